/**
 * The story as the vault holds it, read afresh for every job: story bible, outline, the codex from the
 * character notes, earlier chapters' summaries from their frontmatter, the timeline note. Nothing the
 * agents need lives only in memory, so a queue resumed after a crash (or on the next day) gives each job
 * exactly the context an uninterrupted run would have given it.
 */
import type { CodexCharacter } from "../agents/codex";
import type { BookMaterial, ChapterMemory } from "../agents/context";
import { findFrontmatter, parseFrontmatter } from "../book/frontmatter";
import { loadBook, type BookInfo, type ChapterInfo } from "../book/scan";
import type { VaultFiles } from "../vault/vault-files";
import { factsOf, timelineBefore } from "./book-notes";
import { bodyOf } from "./safe-write";

export interface Story {
  info: BookInfo;
  material: BookMaterial;
  codex: CodexCharacter[];
  /** Character note path by lower-cased name and alias. */
  characterPaths: Map<string, string>;
  summaries: ChapterMemory[];
  timelinePath?: string;
  timelineBody: string;
}

/** Reads everything the agents may need from the book folder. */
export async function readStory(vault: VaultFiles, bookFolder: string): Promise<Story> {
  const info = await loadBook(vault, bookFolder);
  const note = (kind: string) => info.notes.find((n) => n.kind === kind);
  const bodyAt = async (path: string | undefined): Promise<string> => (path ? bodyOf(await vault.read(path)).trim() : "");

  const storyBible = await bodyAt(note("story-bible")?.path);
  const outline = await bodyAt(note("outline")?.path);
  const codex: CodexCharacter[] = [];
  const characterPaths = new Map<string, string>();
  for (const c of info.characters) {
    const text = await vault.read(c.path);
    const meta = parseFrontmatter(c.path, text).data ?? {};
    const stem = (c.path.split("/").pop() ?? c.path).replace(/\.md$/i, "");
    const name = c.meta?.name ?? stem;
    const aliases = c.meta?.aliases ?? [];
    codex.push({ name, aliases, ...(c.meta?.role ? { role: c.meta.role } : {}), sheet: bodyOf(text).trim(), facts: factsOf(meta) });
    for (const n of [name, stem, ...aliases]) characterPaths.set(n.toLowerCase(), c.path);
  }
  const summaries: ChapterMemory[] = info.chapters
    .filter((c) => c.number !== null && typeof c.meta?.summary === "string" && c.meta.summary.trim() !== "")
    .map((c) => ({ chapter: c.number!, summary: c.meta!.summary! }));
  const timelinePath = note("timeline")?.path;
  const timelineBody = timelinePath ? bodyOf(await vault.read(timelinePath)) : "";
  const meta = info.meta;
  return {
    info,
    material: {
      title: meta.title,
      ...(meta.genre ? { genre: meta.genre } : {}),
      language: meta.language,
      storyBible,
      outline,
    },
    codex,
    characterPaths,
    summaries,
    ...(timelinePath ? { timelinePath } : {}),
    timelineBody,
  };
}

/** The chapter note numbered `chapter`, or undefined. */
export function chapterInfo(story: Story, chapter: number): ChapterInfo | undefined {
  return story.info.chapters.find((c) => c.number === chapter);
}

/** The chapter's prose (its note's body), or "" when the chapter has no note yet. */
export async function chapterBody(vault: VaultFiles, story: Story, chapter: number): Promise<string> {
  const info = chapterInfo(story, chapter);
  return info ? bodyOf(await vault.read(info.path)).trim() : "";
}

/** The brief note of `chapter`: the one whose `chapter` key says so. */
export function briefPath(story: Story, chapter: number): string | undefined {
  return story.info.notes.find((n) => n.kind === "brief" && (n.meta as { chapter?: unknown } | null)?.chapter === chapter)?.path;
}

/** The report note of `chapter` (seam reports carry `seam_of` and are not it). */
export function reportPath(story: Story, chapter: number, seamOf?: number): string | undefined {
  return story.info.notes.find((n) => {
    const meta = n.meta as { chapter?: unknown; seam_of?: unknown } | null;
    return n.kind === "continuity-report" && meta?.chapter === chapter && (seamOf === undefined ? meta.seam_of === undefined : meta.seam_of === seamOf);
  })?.path;
}

/** The timeline as of before `chapter`, one event a line. */
export function timelineSoFar(story: Story, chapter: number): string {
  return timelineBefore(story.timelineBody, chapter);
}

/** Whether the note's frontmatter can be rewritten safely (parsed, valid UTF-8). */
export function canRewrite(story: Story, path: string, text: string): boolean {
  if (story.info.protectedPaths.includes(path)) return false;
  return findFrontmatter(text) === null || parseFrontmatter(path, text).data !== null;
}
