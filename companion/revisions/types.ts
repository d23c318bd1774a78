/**
 * The companion's revision history as the HTTP layer and the watcher see it. Revisions are kept per note
 * (a vault-relative path), content-addressed and deduplicated, and never destroyed by a restore: a restore
 * is itself a new revision.
 */

export type RevisionSource = "plugin" | "watcher" | "restore" | "cli";

export interface RevisionSummary {
  /** Opaque, stable id (not a path). */
  id: string;
  /** Vault-relative path of the note, e.g. `My Book/Chapters/01 Storm.md`. */
  note: string;
  /** ISO 8601 time of capture, UTC. */
  createdAt: string;
  source: RevisionSource;
  /** Words in the note's text (frontmatter included as text). */
  words: number;
  /** Words against the previous revision of the same note (0 for the first). */
  wordDelta: number;
  /** Bytes of the text (UTF-8). */
  bytes: number;
  /** Why it was captured, when the caller said (e.g. "before AI write: chapter 3 draft"). */
  label?: string;
}

export interface Revision extends RevisionSummary {
  text: string;
}

export interface CaptureInput {
  note: string;
  text: string;
  source: RevisionSource;
  label?: string;
  /**
   * A retry after a crash or a lost response sends the same key, and gets the revision the first attempt
   * made instead of a second one.
   */
  idempotencyKey?: string;
  /** @default now */
  at?: Date;
}

export interface CaptureResult {
  revision: RevisionSummary;
  /** False when nothing new was stored: the text equals the note's latest revision, or the key was seen. */
  created: boolean;
}

export interface RetentionPolicy {
  /** Keep every revision younger than this many days. @default 30 */
  keepAllDays: number;
  /** Older than that, keep the last revision of each day per note. @default true */
  thenDaily: boolean;
}

export interface RevisionStore {
  capture(input: CaptureInput): CaptureResult;
  /** Newest first. */
  list(note: string, options?: { limit?: number; before?: string }): RevisionSummary[];
  get(id: string): Revision | null;
  /** Notes that have revisions, sorted. */
  notes(): string[];
  /** Drops revisions the policy does not keep; never a note's newest. Returns how many were dropped. */
  prune(policy: RetentionPolicy, now?: Date): number;
}
