/**
 * The story as the vault holds it, read afresh for every job: story bible, outline, the codex from the
 * character notes, earlier chapters' summaries from their frontmatter, the timeline note. Nothing the
 * agents need lives only in memory, so a queue resumed after a crash (or on the next day) gives each job
 * exactly the context an uninterrupted run would have given it.
 *
 * A book of a series also gets the series: its bible and the earlier books rolled up (series-context.ts),
 * and the series-wide characters in the codex as of the end of the book before (factsOf with a scope).
 */
import type { CodexCharacter } from "../agents/codex";
import type { BookMaterial, ChapterMemory } from "../agents/context";
import { renderSeriesContext, type EarlierBook } from "../agents/series-context";
import { findFrontmatter, parseFrontmatter } from "../book/frontmatter";
import { loadBook, type BookInfo, type ChapterInfo } from "../book/scan";
import { isSeriesFolder, linkTarget, namesBook, scanSeries, type SeriesBook, type SeriesInfo } from "../series/series";
import { normalizeVaultPath, parentFolder, type VaultFiles } from "../vault/vault-files";
import { factsOf, timelineBefore, type SeriesScope } from "./book-notes";
import { bodyOf } from "./safe-write";

export interface Story {
  info: BookInfo;
  material: BookMaterial;
  codex: CodexCharacter[];
  /**
   * Character note path by lower-cased name and alias: the book's own notes first, then the series-wide
   * ones for people the book has no note of.
   */
  characterPaths: Map<string, string>;
  summaries: ChapterMemory[];
  timelinePath?: string;
  timelineBody: string;
  /** The series the book belongs to; absent for a standalone book. */
  series?: StorySeries;
}

export interface StorySeries {
  info: SeriesInfo;
  member: SeriesBook;
  /** This book within the series, for reading and writing the series-wide notes' book-tagged entries. */
  scope: SeriesScope;
  /** The series-wide character notes in `characterPaths`: what chapters change about them is tagged with this book. */
  characterNotes: Set<string>;
}

export interface ReadStoryOptions {
  /** Tokens for the earlier books of a series together (series-context.ts). */
  seriesTokens?: number;
}

/** Reads everything the agents may need from the book folder (and, for a book of a series, the series). */
export async function readStory(vault: VaultFiles, bookFolder: string, options: ReadStoryOptions = {}): Promise<Story> {
  const { info, series } = await findBook(vault, bookFolder);
  const note = (kind: string) => info.notes.find((n) => n.kind === kind);
  const bodyAt = async (path: string | undefined): Promise<string> => (path ? bodyOf(await vault.read(path)).trim() : "");

  const storyBible = await bodyAt(note("story-bible")?.path);
  const outline = await bodyAt(note("outline")?.path);
  const codex: CodexCharacter[] = [];
  const characterPaths = new Map<string, string>();
  const byPath = new Map<string, CodexCharacter>();
  for (const c of info.characters) {
    const text = await vault.read(c.path);
    const meta = parseFrontmatter(c.path, text).data ?? {};
    const stem = (c.path.split("/").pop() ?? c.path).replace(/\.md$/i, "");
    const name = c.meta?.name ?? stem;
    const aliases = c.meta?.aliases ?? [];
    const entry: CodexCharacter = { name, aliases, ...(c.meta?.role ? { role: c.meta.role } : {}), sheet: bodyOf(text).trim(), facts: factsOf(meta) };
    codex.push(entry);
    byPath.set(c.path, entry);
    for (const n of [name, stem, ...aliases]) characterPaths.set(n.toLowerCase(), c.path);
  }
  const summaries = summariesOf(info);
  const timelinePath = note("timeline")?.path;
  const timelineBody = timelinePath ? bodyOf(await vault.read(timelinePath)) : "";
  const meta = info.meta;
  const material: BookMaterial = {
    title: meta.title,
    ...(meta.genre ? { genre: meta.genre } : {}),
    language: meta.language,
    storyBible,
    outline,
  };
  let storySeries: StorySeries | undefined;
  if (series) {
    storySeries = await addSeries(vault, series.info, series.member, { codex, characterPaths, byPath });
    const earlier: EarlierBook[] = series.info.books
      .filter((b) => b.position < series.member.position)
      .map((b) => ({ position: b.position, title: b.book.meta.title, summaries: summariesOf(b.book) }));
    const seriesMeta = series.info.meta;
    material.seriesContext = renderSeriesContext(
      {
        title: seriesMeta.title,
        ...(seriesMeta.description ? { description: seriesMeta.description } : {}),
        position: series.member.position,
        bible: await bodyAt(series.info.biblePath),
        earlier,
      },
      options.seriesTokens,
    );
  }
  return {
    info,
    material,
    codex,
    characterPaths,
    summaries,
    ...(timelinePath ? { timelinePath } : {}),
    timelineBody,
    ...(storySeries ? { series: storySeries } : {}),
  };
}

function summariesOf(book: BookInfo): ChapterMemory[] {
  return book.chapters
    .filter((c) => c.number !== null && typeof c.meta?.summary === "string" && c.meta.summary.trim() !== "")
    .map((c) => ({ chapter: c.number!, summary: c.meta!.summary! }));
}

/**
 * The book, and its series. Every job reads the story afresh, so a standalone book is read from its
 * folder alone, as always. A book that may be in a series — its index note names one, or it sits right
 * inside a series folder — costs one scan of the vault (a series' books may live anywhere), which reads
 * the book too. A book only listed by a series note elsewhere, without naming it, is read as standalone:
 * finding that out would mean scanning the whole vault for every job of every book.
 */
async function findBook(vault: VaultFiles, bookFolder: string): Promise<{ info: BookInfo; series?: { info: SeriesInfo; member: SeriesBook } }> {
  const path = normalizeVaultPath(bookFolder);
  const folder = path.toLowerCase().endsWith(".md") ? parentFolder(path) : path;
  const parent = folder === "" ? "" : parentFolder(folder);
  // The vault root is left out: some vaults keep thousands of notes there, each a read for every job.
  const maybe = (await namesASeries(vault, folder)) || (parent !== "" && (await isSeriesFolder(vault, parent)));
  if (!maybe) return { info: await loadBook(vault, folder) };
  const scan = await scanSeries(vault);
  for (const series of scan.series) {
    const member = series.books.find((b) => b.book.folder === folder);
    if (member) return { info: member.book, series: { info: series, member } };
  }
  const standalone = scan.standalone.find((b) => b.folder === folder);
  // The series it names is missing (the scan warns about that): the book is read as standalone.
  return { info: standalone ?? (await loadBook(vault, folder)) };
}

/** Whether the book's index note (a `bookwright: book` note directly in `folder`) has a `series` key. */
async function namesASeries(vault: VaultFiles, folder: string): Promise<boolean> {
  for (const file of await vault.list(folder)) {
    if (parentFolder(file.path) !== folder || !file.path.toLowerCase().endsWith(".md")) continue;
    const text = await vault.read(file.path);
    if (findFrontmatter(text) === null) continue;
    const data = parseFrontmatter(file.path, text).data;
    if (data?.bookwright === "book") return typeof data.series === "string" && data.series.trim() !== "";
  }
  return false;
}

/**
 * Adds the series-wide characters to the codex, as of the end of the book before this one, one entry per
 * person: a series note whose name or an alias is one of a book note's is that character, and the book's
 * own note keeps its sheet and takes the updates (its entries need no book tag).
 */
async function addSeries(
  vault: VaultFiles,
  series: SeriesInfo,
  member: SeriesBook,
  book: { codex: CodexCharacter[]; characterPaths: Map<string, string>; byPath: Map<string, CodexCharacter> },
): Promise<StorySeries> {
  const { codex, characterPaths, byPath } = book;
  const scope: SeriesScope = {
    position: member.position,
    title: member.book.meta.title,
    bookOf: (tag) => {
      const target = linkTarget(tag);
      const found = series.books.find((b) => namesBook(target, b.book));
      return found ? { position: found.position, title: found.book.meta.title } : null;
    },
  };
  const characterNotes = new Set<string>();
  for (const c of series.characters) {
    const text = await vault.read(c.path);
    const meta = parseFrontmatter(c.path, text).data ?? {};
    const stem = (c.path.split("/").pop() ?? c.path).replace(/\.md$/i, "");
    const name = c.meta?.name ?? stem;
    const aliases = c.meta?.aliases ?? [];
    const names = [name, stem, ...aliases];
    const facts = factsOf(meta, scope);
    const ownPath = names.map((n) => characterPaths.get(n.toLowerCase())).find((p) => p !== undefined);
    const own = ownPath === undefined ? undefined : byPath.get(ownPath);
    if (ownPath !== undefined && own) {
      // Earlier books' facts first: where both say something "from the start", the book's own note wins.
      own.facts = [...facts, ...own.facts];
      const known = new Set([own.name, ...own.aliases].map((n) => n.toLowerCase()));
      for (const n of [name, ...aliases]) {
        if (known.has(n.toLowerCase())) continue;
        known.add(n.toLowerCase());
        own.aliases = [...own.aliases, n];
      }
      if (own.role === undefined && c.meta?.role) own.role = c.meta.role;
      if (!own.sheet) own.sheet = bodyOf(text).trim();
      for (const n of names) if (!characterPaths.has(n.toLowerCase())) characterPaths.set(n.toLowerCase(), ownPath);
      continue;
    }
    codex.push({ name, aliases, ...(c.meta?.role ? { role: c.meta.role } : {}), sheet: bodyOf(text).trim(), facts });
    for (const n of names) if (!characterPaths.has(n.toLowerCase())) characterPaths.set(n.toLowerCase(), c.path);
    characterNotes.add(c.path);
  }
  return { info: series, member, scope, characterNotes };
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

/**
 * The prose before chapter `chapter`, for "how the previous chapter ends": chapter − 1's, or, for the first
 * chapter of a series book after the first, the last chapter of the book before (with a label naming it,
 * since chapter numbers restart in each book). A standalone book's chapter 1 has none.
 */
export async function textBefore(vault: VaultFiles, story: Story, chapter: number): Promise<{ text: string; label?: string }> {
  const own = await chapterBody(vault, story, chapter - 1);
  const first = story.info.chapters.find((c) => c.number !== null)?.number ?? null;
  const series = story.series;
  if (own !== "" || series === undefined || first === null || chapter > first) return { text: own };
  const before = series.info.books.filter((b) => b.position < series.member.position).at(-1);
  const last = before?.book.chapters.filter((c) => c.number !== null).at(-1);
  if (!before || !last) return { text: own };
  const text = bodyOf(await vault.read(last.path)).trim();
  return text === "" ? { text: own } : { text, label: `book ${before.position} (${before.book.meta.title}), chapter ${last.number}` };
}

/** {@link textBefore} as the context builder's keys: `previousChapterText`, and its label when it has one. */
export async function contextBefore(vault: VaultFiles, story: Story, chapter: number): Promise<{ previousChapterText: string; previousChapterLabel?: string }> {
  const before = await textBefore(vault, story, chapter);
  return { previousChapterText: before.text, ...(before.label ? { previousChapterLabel: before.label } : {}) };
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
