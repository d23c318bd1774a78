/**
 * Revisions: every AI output, and every note text an AI write is about to replace, is kept somewhere
 * the writer can get it back (DESIGN.md §4, rules 2 and 6). Kept as ordinary notes inside the book, so
 * they sync, show up in search, and survive the plugin being uninstalled.
 */
import { parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { safeFileName } from "../book/safe-name";
import { baseName, joinVaultPath, normalizeVaultPath, VaultError, type VaultFiles } from "../vault/vault-files";

export type RevisionReason = "before-ai-write" | "ai-output" | "alternative-take";

export interface Revision {
  /** The note the revision belongs to (vault-relative). */
  notePath: string;
  /** The text kept, verbatim. */
  text: string;
  reason: RevisionReason;
  /** The queue job that produced or replaced the text. */
  jobId?: string;
  /** When it was taken, epoch milliseconds. */
  at: number;
}

export interface RevisionInfo extends Revision {
  id: string;
  /** Where the revision is stored, when it is stored as a note. */
  path?: string;
}

/** Where revisions go. `save` never overwrites an earlier revision. */
export interface Revisions {
  save(rev: Revision): Promise<{ id: string; path?: string }>;
  /** The revisions of one note, oldest first. */
  list(notePath: string): Promise<RevisionInfo[]>;
}

/** The folder below the book folder that holds revisions, one subfolder per chapter. */
export const REVISIONS_FOLDER = "Revisions";

/**
 * Writes `text` as a new note at the first free path among `candidate(0)`, `candidate(1)`…, never
 * replacing an existing file, and returns the path used. `VaultFiles.create` checks and creates in one
 * step, so concurrent callers (even through other ports or processes) get distinct names.
 */
export async function writeNewNote(
  vault: VaultFiles,
  folder: string,
  candidate: (index: number) => string,
  text: string,
): Promise<string> {
  for (let index = 0; index < 10000; index++) {
    const path = normalizeVaultPath(candidate(index));
    try {
      await vault.create(path, text);
      return path;
    } catch (error) {
      if (error instanceof VaultError && error.code === "exists") continue;
      throw error;
    }
  }
  throw new Error(`no free name for a new note in ${folder || "the vault root"}`);
}

/** `2026-11-25T21-16-52.123Z`: ISO time, with the colons Windows forbids in names turned into dashes. */
export function revisionTimeStamp(at: number): string {
  return new Date(at).toISOString().replace(/:/g, "-");
}

/** The link a revision's `note` key holds: the full path without `.md`, so same-named chapters in two books stay apart. */
function noteLink(notePath: string): string {
  return `[[${normalizeVaultPath(notePath).replace(/\.md$/i, "")}]]`;
}

function stemOf(notePath: string): string {
  return baseName(normalizeVaultPath(notePath)).replace(/\.md$/i, "");
}

const REASONS: readonly string[] = ["before-ai-write", "ai-output", "alternative-take"];

/**
 * Revisions stored as notes: `<book>/Revisions/<chapter stem>/<ISO time> <reason>.md`, with frontmatter
 * `bookwright: revision`, `note`, `reason`, `job`, `at`, and the text verbatim as the body. The id is
 * the note's path.
 */
export class NoteRevisions implements Revisions {
  constructor(
    private readonly vault: VaultFiles,
    /** The book folder the revisions live in. */
    private readonly bookFolder: string,
  ) {}

  /** The folder holding one note's revisions. */
  folderFor(notePath: string): string {
    return joinVaultPath(this.bookFolder, REVISIONS_FOLDER, safeFileName(stemOf(notePath)));
  }

  async save(rev: Revision): Promise<{ id: string; path: string }> {
    const folder = this.folderFor(rev.notePath);
    // Built from empty text so a revision whose own text starts with frontmatter keeps it in the body.
    const header = setFrontmatterKeys("", {
      bookwright: "revision",
      note: noteLink(rev.notePath),
      reason: rev.reason,
      job: rev.jobId,
      at: new Date(rev.at).toISOString(),
    });
    const stem = `${revisionTimeStamp(rev.at)} ${rev.reason}`;
    const path = await writeNewNote(
      this.vault,
      folder,
      (i) => joinVaultPath(folder, `${i === 0 ? stem : `${stem} ${i + 1}`}.md`),
      header + rev.text,
    );
    return { id: path, path };
  }

  async list(notePath: string): Promise<RevisionInfo[]> {
    const folder = this.folderFor(notePath);
    if (!(await this.vault.exists(folder))) return [];
    const link = noteLink(notePath);
    const found: RevisionInfo[] = [];
    for (const file of await this.vault.list(folder)) {
      if (!file.path.toLowerCase().endsWith(".md")) continue;
      const content = await this.vault.read(file.path);
      const parsed = parseFrontmatter(file.path, content);
      const data = parsed.data;
      // The folder is shared by same-named chapters of other books and may hold the writer's own notes.
      if (!data || data.bookwright !== "revision" || data.note !== link) continue;
      if (typeof data.reason !== "string" || !REASONS.includes(data.reason)) continue;
      const at = typeof data.at === "string" ? Date.parse(data.at) : NaN;
      found.push({
        id: file.path,
        path: file.path,
        notePath: normalizeVaultPath(notePath),
        text: content.slice(parsed.bodyStart),
        reason: data.reason as RevisionReason,
        ...(typeof data.job === "string" ? { jobId: data.job } : {}),
        at: Number.isNaN(at) ? file.mtime : at,
      });
    }
    return found.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/** Revisions kept in memory, for tests of code that takes a {@link Revisions}. */
export class MemoryRevisions implements Revisions {
  readonly saved: RevisionInfo[] = [];

  save(rev: Revision): Promise<{ id: string }> {
    const id = `rev-${this.saved.length + 1}`;
    this.saved.push({ ...rev, notePath: normalizeVaultPath(rev.notePath), id });
    return Promise.resolve({ id });
  }

  list(notePath: string): Promise<RevisionInfo[]> {
    const target = normalizeVaultPath(notePath);
    return Promise.resolve(this.saved.filter((r) => r.notePath === target).sort((a, b) => a.at - b.at));
  }
}
