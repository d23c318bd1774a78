/**
 * The one way the queue puts AI text into a chapter (DESIGN.md §4, write safety). The job records the
 * chapter body's hash when it starts; the write compares it inside `VaultFiles.process` (atomic, with a
 * synchronous callback, so nothing can write between the comparison and the swap). If the writer
 * changed the body meanwhile, their text stays exactly as it is and the AI text becomes an alternative
 * take beside the chapter. Before any of that, the AI output and the note as it was are saved as
 * revisions, so a crash or a bug at any later point loses nothing.
 */
import { findFrontmatter, parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { safeFileNameWithSuffix } from "../book/safe-name";
import { baseName, joinVaultPath, normalizeVaultPath, parentFolder, type VaultFiles } from "../vault/vault-files";
import { hashText } from "./hash";
import { writeNewNote, type Revisions } from "./revisions";

export interface ChapterWrite {
  /** The chapter note. */
  path: string;
  /** {@link bodyHash} of the chapter when the job started. */
  expectedHash: string;
  /** The AI's chapter body (any line endings; written with the note's). */
  body: string;
  jobId: string;
  /** Frontmatter keys Bookwright owns to set with the body (`undefined` removes a key). */
  frontmatter?: Record<string, unknown>;
  /** The time, epoch milliseconds, for the revisions. */
  now: number;
}

export type ChapterWriteOutcome = "written" | "unchanged" | "alternative-take";

export interface ChapterWriteResult {
  outcome: ChapterWriteOutcome;
  /** The chapter for `written`/`unchanged`; the alternative-take note for `alternative-take`. */
  path: string;
  /** The revisions saved: the AI output first, then the note as it was (when it was saved). */
  revisionIds: string[];
}

/** The part of a note Bookwright may replace: everything after the frontmatter (and after a BOM). */
export function bodyOf(text: string): string {
  const block = findFrontmatter(text);
  if (block) return text.slice(block.bodyStart);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The hash a job records when it starts: `bodyHash(await vault.read(path))`. Only the body counts, so
 * the writer (or another job) changing a frontmatter key does not turn the AI's chapter into a take.
 */
export function bodyHash(text: string): string {
  return hashText(bodyOf(text));
}

/** The note's line ending: the frontmatter's when it has one, else CRLF if any line uses it. */
function lineEndingOf(text: string): "\n" | "\r\n" {
  return findFrontmatter(text)?.eol ?? (text.includes("\r\n") ? "\r\n" : "\n");
}

function withLineEnding(text: string, eol: "\n" | "\r\n"): string {
  const unix = text.replace(/\r\n/g, "\n");
  return eol === "\n" ? unix : unix.replace(/\n/g, "\r\n");
}

/** `text` with its body replaced, keeping the frontmatter bytes and a BOM exactly. */
function replaceBody(text: string, body: string): string {
  const block = findFrontmatter(text);
  const keep = block ? text.slice(0, block.bodyStart) : text.charCodeAt(0) === 0xfeff ? "\uFEFF" : "";
  return keep + body;
}

/**
 * Writes the AI's `body` into the chapter at `path` if, and only if, the chapter's body still hashes to
 * `expectedHash`; otherwise keeps the AI text as `<stem> (AI take).md` beside it. See the module comment.
 *
 * - `written`: the body (and the given frontmatter keys) replaced; every other byte kept.
 * - `unchanged`: the chapter already says this; nothing written, so no mtime change and no sync churn.
 *   This is also what a job resumed after a crash gets when its write had already landed.
 * - `alternative-take`: the writer edited the chapter since the job started; their text is untouched.
 *
 * Throws (after saving the revisions, before touching the chapter) when the chapter is missing or its
 * frontmatter is not valid YAML and `frontmatter` keys were asked for.
 */
export async function applyChapterText(vault: VaultFiles, revisions: Revisions, write: ChapterWrite): Promise<ChapterWriteResult> {
  const path = normalizeVaultPath(write.path);
  const revisionIds: string[] = [];
  // The AI output first: whatever happens to the note later, the generated text is not lost. A job
  // applied again after a crash finds its own earlier copy and keeps one, not two.
  const earlier = (await revisions.list(path)).find((r) => r.reason === "ai-output" && r.jobId === write.jobId && r.text === write.body);
  revisionIds.push(earlier ? earlier.id : (await revisions.save({ notePath: path, text: write.body, reason: "ai-output", jobId: write.jobId, at: write.now })).id);
  const before = await vault.read(path);
  // Nothing to recover when the body will not change (a resumed job whose write already landed).
  if (bodyOf(before) !== withLineEnding(write.body, lineEndingOf(before))) {
    revisionIds.push((await revisions.save({ notePath: path, text: before, reason: "before-ai-write", jobId: write.jobId, at: write.now })).id);
  }

  let seen = "";
  let conflict = false;
  const after = await vault.process(path, (current) => {
    // Synchronous from here to the return: this is the compare-and-swap.
    seen = current;
    const body = withLineEnding(write.body, lineEndingOf(current));
    const currentBody = bodyOf(current);
    if (currentBody !== body && hashText(currentBody) !== write.expectedHash) {
      conflict = true;
      return current;
    }
    const next = currentBody === body ? current : replaceBody(current, body);
    return write.frontmatter ? setFrontmatterKeys(next, write.frontmatter) : next;
  });

  if (conflict) {
    const takePath = await writeAlternativeTake(vault, path, seen, write.body);
    return { outcome: "alternative-take", path: takePath, revisionIds };
  }
  return { outcome: after === seen ? "unchanged" : "written", path, revisionIds };
}

/**
 * `<stem> (AI take).md`, `<stem> (AI take 2).md`… beside the chapter, never replacing one: the chapter's
 * frontmatter keys (bytes kept) plus `take_of`, and the AI text with the chapter's line endings.
 */
async function writeAlternativeTake(vault: VaultFiles, chapterPath: string, chapterText: string, aiBody: string): Promise<string> {
  const folder = parentFolder(chapterPath);
  const stem = baseName(chapterPath).replace(/\.md$/i, "");
  const eol = lineEndingOf(chapterText);
  const body = withLineEnding(aiBody, eol);
  const block = findFrontmatter(chapterText);
  const takeOf = { take_of: `[[${stem}]]` };
  let text: string;
  if (block && parseFrontmatter(chapterPath, chapterText).data) {
    text = setFrontmatterKeys(chapterText.slice(0, block.bodyStart) + body, takeOf);
  } else {
    // No frontmatter, or one we cannot edit safely: the take gets a fresh block with the link only.
    const bom = chapterText.charCodeAt(0) === 0xfeff ? "\uFEFF" : "";
    text = bom + withLineEnding(setFrontmatterKeys("", takeOf), eol) + body;
  }
  return writeNewNote(
    vault,
    folder,
    (i) => joinVaultPath(folder, `${safeFileNameWithSuffix(stem, i === 0 ? " (AI take)" : ` (AI take ${i + 1})`)}.md`),
    text,
  );
}
