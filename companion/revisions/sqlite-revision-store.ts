/**
 * The companion's {@link RevisionStore}, in the vault's SQLite database (companion/db/database.ts opens
 * it with WAL and `synchronous=FULL`, so a capture is on disk when `capture` returns).
 *
 * Texts are content-addressed: one blob per distinct text (SHA-256 of its UTF-8 bytes), however many
 * revisions of however many notes hold it. A new blob is stored as an edit script against the text of the
 * note's latest revision (delta.ts) when that is smaller than the whole text compressed, and whole (a
 * keyframe) otherwise, or when the chain behind the base already holds `keyframeInterval - 1` scripts:
 * rebuilding a text never applies more than that many. Every rebuilt text is checked against its SHA-256.
 *
 * Pruning deletes revisions, then the blobs no revision holds any more. A kept blob whose script is
 * written against a deleted one is re-encoded first, in the same transaction: against its nearest kept
 * ancestor when that is smaller, as a keyframe otherwise. The base reference is a deferred foreign key, so
 * a prune that left a chain broken could not commit.
 *
 * Texts are kept as UTF-8, like the note files they come from: a lone UTF-16 surrogate (which no file can
 * hold) comes back as U+FFFD. Times are the caller's `at` (default now); revisions of a note are ordered by
 * time, then by capture order.
 */
import { createHash, randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type Database from "better-sqlite3";
import { WordCounter } from "../../shared/book/words";
import type { CaptureInput, CaptureResult, RetentionPolicy, Revision, RevisionSource, RevisionStore, RevisionSummary } from "./types";
import { applyDelta, encodeDelta } from "./delta";

const DAY_MS = 86_400_000;
const SOURCES: ReadonlySet<string> = new Set<RevisionSource>(["plugin", "watcher", "restore", "cli"]);
/** Idempotency keys are for retries; prune forgets them after this long. */
const IDEMPOTENCY_KEY_DAYS = 7;
const FORMAT_WHOLE = 0;
const FORMAT_DELTA = 1;

export interface SqliteRevisionStoreOptions {
  /** A keyframe at least every this many blobs along a chain (so at most this − 1 scripts to apply). @default 50 */
  keyframeInterval?: number;
  /** Rebuilt texts kept in memory, by content hash (they never change). @default 16 MB */
  cacheBytes?: number;
}

/** A blob cannot be rebuilt: its chain is broken, or the text it gives does not match its SHA-256. */
export class RevisionCorruptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RevisionCorruptError";
  }
}

interface BlobRow {
  id: number;
  hash: Buffer;
  size: number;
  format: number;
  base: number | null;
  depth: number;
  data: Buffer;
}

interface RevisionRow {
  seq: number;
  id: string;
  note: string;
  created_at: number;
  source: RevisionSource;
  blob: number;
  words: number;
  word_delta: number;
  label: string | null;
  size: number;
}

const REVISION_COLUMNS = "r.seq, r.id, r.note, r.created_at, r.source, r.blob, r.words, r.word_delta, r.label, b.size";

export class SqliteRevisionStore implements RevisionStore {
  private readonly keyframeInterval: number;
  private readonly cache: TextCache;
  private readonly words = new WordCounter();
  private readonly sql;
  private readonly captureTransaction;
  private readonly pruneTransaction;

  constructor(
    private readonly db: Database.Database,
    options: SqliteRevisionStoreOptions = {},
  ) {
    this.keyframeInterval = Math.max(1, Math.floor(options.keyframeInterval ?? 50));
    this.cache = new TextCache(options.cacheBytes ?? 16 * 1024 * 1024);
    const hasTable = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'revisions'").get();
    if (!hasTable) throw new Error("the database has no revisions table: open it with openDatabase (companion/db/database.ts), which migrates it");
    const revision = (where: string, tail = ""): Database.Statement =>
      db.prepare(`SELECT ${REVISION_COLUMNS} FROM revisions r JOIN revision_blobs b ON b.id = r.blob WHERE ${where} ${tail}`);
    this.sql = {
      byId: revision("r.id = ?"),
      bySeq: revision("r.seq = ?"),
      byKey: revision("r.seq = (SELECT revision FROM revision_idempotency_keys WHERE key = ?)"),
      newest: revision("r.note = ?", "ORDER BY r.created_at DESC, r.seq DESC LIMIT 1"),
      atOrBefore: revision("r.note = ? AND r.created_at <= ?", "ORDER BY r.created_at DESC, r.seq DESC LIMIT 1"),
      after: revision("r.note = ? AND r.created_at > ?", "ORDER BY r.created_at, r.seq LIMIT 1"),
      list: revision("r.note = ?", "ORDER BY r.created_at DESC, r.seq DESC LIMIT ?"),
      listBefore: revision("r.note = ? AND (r.created_at < ? OR (r.created_at = ? AND r.seq < ?))", "ORDER BY r.created_at DESC, r.seq DESC LIMIT ?"),
      blobHash: db.prepare("SELECT hash FROM revision_blobs WHERE id = ?").pluck(),
      blobByHash: db.prepare("SELECT id, hash, size, format, base, depth, data FROM revision_blobs WHERE hash = ?"),
      blobById: db.prepare("SELECT id, hash, size, format, base, depth, data FROM revision_blobs WHERE id = ?"),
      insertBlob: db.prepare("INSERT INTO revision_blobs (hash, size, format, base, depth, data) VALUES (?, ?, ?, ?, ?, ?)"),
      updateBlob: db.prepare("UPDATE revision_blobs SET format = ?, base = ?, depth = ?, data = ? WHERE id = ?"),
      deleteBlob: db.prepare("DELETE FROM revision_blobs WHERE id = ?"),
      insertRevision: db.prepare(
        "INSERT INTO revisions (id, note, created_at, source, blob, words, word_delta, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      setWordDelta: db.prepare("UPDATE revisions SET word_delta = ? WHERE seq = ?"),
      deleteRevision: db.prepare("DELETE FROM revisions WHERE seq = ?"),
      insertKey: db.prepare("INSERT INTO revision_idempotency_keys (key, revision, created_at) VALUES (?, ?, ?)"),
      expireKeys: db.prepare("DELETE FROM revision_idempotency_keys WHERE created_at < ?"),
      notes: db.prepare("SELECT DISTINCT note FROM revisions ORDER BY note").pluck(),
      allForPrune: db.prepare("SELECT seq, note, created_at, words, word_delta FROM revisions ORDER BY note, created_at, seq"),
      orphanBlobs: db.prepare("SELECT id FROM revision_blobs b WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.blob = b.id)").pluck(),
      dependents: db.prepare("SELECT id FROM revision_blobs WHERE base = ?").pluck(),
    };
    this.captureTransaction = db.transaction((input: CaptureInput): CaptureResult => this.captureInTransaction(input));
    this.pruneTransaction = db.transaction((policy: RetentionPolicy, now: Date): number => this.pruneInTransaction(policy, now));
  }

  capture(input: CaptureInput): CaptureResult {
    validateCapture(input);
    // IMMEDIATE: the write lock is taken before the note's latest revision is read, so a second process
    // capturing the same note waits instead of basing its script on a revision that is no longer the latest.
    return this.captureTransaction.immediate(input);
  }

  private captureInTransaction(input: CaptureInput): CaptureResult {
    const at = (input.at ?? new Date()).getTime();
    const key = input.idempotencyKey;
    if (key !== undefined) {
      const seen = this.sql.byKey.get(key) as RevisionRow | undefined;
      if (seen) return { revision: summary(seen), created: false };
    }
    const bytes = Buffer.from(input.text, "utf8");
    const hash = sha256(bytes);
    const newest = this.sql.newest.get(input.note) as RevisionRow | undefined;
    if (newest && (this.sql.blobHash.get(newest.blob) as Buffer).equals(hash)) {
      if (key !== undefined) this.sql.insertKey.run(key, newest.seq, at);
      return { revision: summary(newest), created: false };
    }

    const blob = this.storeBlob(bytes, hash, newest?.blob);
    const words = this.words.countText(input.text);
    const before = this.sql.atOrBefore.get(input.note, at) as RevisionRow | undefined;
    const wordDelta = before ? words - before.words : 0;
    const id = randomBytes(16).toString("hex");
    const inserted = this.sql.insertRevision.run(id, input.note, at, input.source, blob, words, wordDelta, input.label ?? null);
    // A capture dated before the note's newest revision (a clock set back) sits between two revisions: the
    // one after it now follows this one.
    const after = this.sql.after.get(input.note, at) as RevisionRow | undefined;
    if (after) this.sql.setWordDelta.run(after.words - words, after.seq);
    if (key !== undefined) this.sql.insertKey.run(key, inserted.lastInsertRowid, at);
    const row = this.sql.bySeq.get(inserted.lastInsertRowid) as RevisionRow;
    return { revision: summary(row), created: true };
  }

  /** The id of the blob holding `bytes`, storing it (as a script against `baseId` when that pays) if new. */
  private storeBlob(bytes: Buffer, hash: Buffer, baseId: number | undefined): number {
    const existing = this.sql.blobByHash.get(hash) as BlobRow | undefined;
    if (existing) return existing.id;
    const base = baseId === undefined ? undefined : this.blob(baseId);
    const encoded = this.encode(bytes, base);
    this.cache.put(hash, bytes);
    return Number(this.sql.insertBlob.run(hash, bytes.length, encoded.format, encoded.base, encoded.depth, encoded.data).lastInsertRowid);
  }

  /** The smaller of `bytes` whole and `bytes` as a script against `base`, keeping chains under the interval. */
  private encode(bytes: Buffer, base: BlobRow | undefined): { format: number; base: number | null; depth: number; data: Buffer } {
    let delta: Buffer | undefined;
    if (base && base.depth + 1 < this.keyframeInterval) {
      let baseText: Buffer | undefined;
      try {
        baseText = this.text(base);
      } catch (error) {
        // A damaged history must not stop new captures: this one starts a fresh chain.
        if (!(error instanceof RevisionCorruptError)) throw error;
      }
      if (baseText) delta = deflateRawSync(encodeDelta(baseText, bytes));
    }
    // Prose deflates to a third of its size at best, so a script under an eighth of the text wins without
    // compressing the whole text to compare.
    if (base && delta && delta.length * 8 < bytes.length) return { format: FORMAT_DELTA, base: base.id, depth: base.depth + 1, data: delta };
    const whole = deflateRawSync(bytes);
    if (base && delta && delta.length < whole.length) return { format: FORMAT_DELTA, base: base.id, depth: base.depth + 1, data: delta };
    return { format: FORMAT_WHOLE, base: null, depth: 0, data: whole };
  }

  private blob(id: number): BlobRow {
    const row = this.sql.blobById.get(id) as BlobRow | undefined;
    if (!row) throw new RevisionCorruptError(`revision blob ${id} is missing`);
    return row;
  }

  /** The text of a blob as UTF-8 bytes, rebuilt along its chain and checked against its SHA-256. */
  private text(row: BlobRow): Buffer {
    const cached = this.cache.get(row.hash);
    if (cached) return cached;
    // Walk back to a keyframe (or a text already in memory), then apply the scripts forward.
    const chain: BlobRow[] = [row];
    let start: Buffer | undefined;
    let current = row;
    while (current.base !== null) {
      const baseRow = this.sql.blobById.get(current.base) as BlobRow | undefined;
      if (!baseRow) throw new RevisionCorruptError(`revision blob ${current.id} (sha256 ${hex(current.hash)}) cannot be rebuilt: its base blob ${current.base} is missing`);
      if (chain.length > this.keyframeInterval * 4 + 1000) throw new RevisionCorruptError(`revision blob ${row.id} (sha256 ${hex(row.hash)}) has a chain that does not end`);
      start = this.cache.get(baseRow.hash);
      if (start) break;
      chain.push(baseRow);
      current = baseRow;
    }
    let bytes: Buffer;
    try {
      bytes = start ?? inflateRawSync(current.data);
      for (let k = start ? chain.length - 1 : chain.length - 2; k >= 0; k--) bytes = applyDelta(bytes, inflateRawSync(chain[k]!.data));
    } catch (error) {
      throw new RevisionCorruptError(`revision blob ${row.id} (sha256 ${hex(row.hash)}) cannot be rebuilt: ${(error as Error).message}`);
    }
    if (bytes.length !== row.size || !sha256(bytes).equals(row.hash)) {
      throw new RevisionCorruptError(`revision blob ${row.id} rebuilt to a text whose SHA-256 is not its own (${hex(row.hash)})`);
    }
    this.cache.put(row.hash, bytes);
    return bytes;
  }

  list(note: string, options: { limit?: number; before?: string } = {}): RevisionSummary[] {
    const limit = options.limit ?? -1;
    if (options.limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`limit must be a whole number ≥ 0, not ${options.limit}`);
    if (options.before === undefined) return (this.sql.list.all(note, limit) as RevisionRow[]).map(summary);
    const cursor = this.sql.byId.get(options.before) as RevisionRow | undefined;
    // A cursor that is not a revision of this note (pruned, or another note's) has nothing before it.
    if (!cursor || cursor.note !== note) return [];
    return (this.sql.listBefore.all(note, cursor.created_at, cursor.created_at, cursor.seq, limit) as RevisionRow[]).map(summary);
  }

  get(id: string): Revision | null {
    const row = this.sql.byId.get(id) as RevisionRow | undefined;
    if (!row) return null;
    return { ...summary(row), text: this.text(this.blob(row.blob)).toString("utf8") };
  }

  notes(): string[] {
    return this.sql.notes.all() as string[];
  }

  /** Policy fields left out take their defaults (30 days, then daily). */
  prune(policy: Partial<RetentionPolicy> = {}, now: Date = new Date()): number {
    const full: RetentionPolicy = { keepAllDays: policy.keepAllDays ?? 30, thenDaily: policy.thenDaily ?? true };
    if (!(full.keepAllDays >= 0)) throw new RangeError(`keepAllDays must be ≥ 0, not ${full.keepAllDays}`);
    if (Number.isNaN(now.getTime())) throw new RangeError("prune: `now` is not a valid date");
    return this.pruneTransaction.immediate(full, now);
  }

  private pruneInTransaction(policy: RetentionPolicy, now: Date): number {
    const cutoff = now.getTime() - policy.keepAllDays * DAY_MS;
    const rows = this.sql.allForPrune.all() as Pick<RevisionRow, "seq" | "note" | "created_at" | "words" | "word_delta">[];
    let dropped = 0;
    // Rows come grouped by note, oldest first.
    for (let start = 0; start < rows.length; ) {
      let end = start + 1;
      while (end < rows.length && rows[end]!.note === rows[start]!.note) end++;
      const kept: typeof rows = [];
      for (let k = start; k < end; k++) {
        const row = rows[k]!;
        const next = rows[k + 1];
        const newest = k === end - 1;
        const young = row.created_at >= cutoff;
        const lastOfDay = policy.thenDaily && (newest || utcDay(next!.created_at) !== utcDay(row.created_at));
        if (newest || young || lastOfDay) kept.push(row);
        else {
          this.sql.deleteRevision.run(row.seq);
          dropped++;
        }
      }
      // Word deltas are against the previous revision, which for some kept ones is now an earlier one.
      if (kept.length !== end - start) {
        kept.forEach((row, k) => {
          const delta = k === 0 ? 0 : row.words - kept[k - 1]!.words;
          if (delta !== row.word_delta) this.sql.setWordDelta.run(delta, row.seq);
        });
      }
      start = end;
    }
    this.sql.expireKeys.run(now.getTime() - IDEMPOTENCY_KEY_DAYS * DAY_MS);
    if (dropped > 0) this.collectBlobs();
    return dropped;
  }

  /** Deletes the blobs no revision holds, re-encoding first every kept blob written against one of them. */
  private collectBlobs(): void {
    const orphans = new Set(this.sql.orphanBlobs.all() as number[]);
    if (orphans.size === 0) return;
    const stranded: BlobRow[] = [];
    for (const orphan of orphans) {
      for (const id of this.sql.dependents.all(orphan) as number[]) if (!orphans.has(id)) stranded.push(this.blob(id));
    }
    // Orphans are deleted last, so every chain is whole while the stranded blobs are rebuilt; re-encoding
    // one changes how it is stored, never its text, so the order among them does not matter.
    for (const row of stranded) {
      let ancestor = row.base === null ? undefined : this.blob(row.base);
      while (ancestor && orphans.has(ancestor.id)) ancestor = ancestor.base === null ? undefined : this.blob(ancestor.base);
      const encoded = this.encode(this.text(row), ancestor);
      this.sql.updateBlob.run(encoded.format, encoded.base, encoded.depth, encoded.data, row.id);
    }
    for (const id of orphans) this.sql.deleteBlob.run(id);
  }
}

function validateCapture(input: CaptureInput): void {
  if (typeof input.note !== "string" || input.note.length === 0) throw new TypeError("capture: `note` must be a non-empty vault path");
  if (typeof input.text !== "string") throw new TypeError("capture: `text` must be a string");
  if (!SOURCES.has(input.source)) throw new TypeError(`capture: unknown source '${String(input.source)}'`);
  if (input.label !== undefined && typeof input.label !== "string") throw new TypeError("capture: `label` must be a string");
  if (input.idempotencyKey !== undefined && (typeof input.idempotencyKey !== "string" || input.idempotencyKey.length === 0)) {
    throw new TypeError("capture: `idempotencyKey` must be a non-empty string");
  }
  if (input.at !== undefined && !(input.at instanceof Date && !Number.isNaN(input.at.getTime()))) throw new TypeError("capture: `at` must be a valid Date");
}

function summary(row: RevisionRow): RevisionSummary {
  const result: RevisionSummary = {
    id: row.id,
    note: row.note,
    createdAt: new Date(row.created_at).toISOString(),
    source: row.source,
    words: row.words,
    wordDelta: row.word_delta,
    bytes: row.size,
  };
  if (row.label !== null) result.label = row.label;
  return result;
}

function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

function hex(hash: Buffer): string {
  return hash.toString("hex");
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** Texts by content hash, least recently used dropped first; safe to share because a hash's text never changes. */
class TextCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(hash: Buffer): Buffer | undefined {
    const key = hash.toString("base64");
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  put(hash: Buffer, text: Buffer): void {
    if (text.length > this.maxBytes) return;
    const key = hash.toString("base64");
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.length;
    }
    this.entries.set(key, text);
    this.bytes += text.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }
}
