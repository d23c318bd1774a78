/**
 * An in-memory {@link RevisionStore} for the HTTP layer's tests: the same observable behaviour as the
 * SQLite store (identical text to a note's latest revision is not stored again, an idempotency key
 * returns the revision its first use made, listing is newest first with `before` paging), kept in arrays.
 *
 * `before` is a revision id: the listing continues with the revisions older than it. An id that is not a
 * revision of that note lists nothing.
 */
import { WordCounter } from "../../shared/book/words";
import { comparePaths, normalizeVaultPath } from "../../shared/vault/vault-files";
import type { CaptureInput, CaptureResult, RetentionPolicy, Revision, RevisionStore, RevisionSummary } from "../revisions/types";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface MemoryRevisionStoreOptions {
  /** The clock for captures without `at`. */
  now?: () => Date;
}

interface Stored extends Revision {
  /** Capture order, to break ties between revisions made in the same millisecond. */
  seq: number;
  at: number;
}

export class MemoryRevisionStore implements RevisionStore {
  /** Per note, oldest first. */
  private readonly byNote = new Map<string, Stored[]>();
  private readonly byId = new Map<string, Stored>();
  private readonly byKey = new Map<string, string>();
  private readonly counter = new WordCounter("en");
  private readonly encoder = new TextEncoder();
  private readonly now: () => Date;
  private seq = 0;

  constructor(options: MemoryRevisionStoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  capture(input: CaptureInput): CaptureResult {
    const note = normalizeVaultPath(input.note);
    if (input.idempotencyKey !== undefined) {
      const seen = this.byId.get(this.byKey.get(input.idempotencyKey) ?? "");
      if (seen) return { revision: summary(seen), created: false };
    }
    const history = this.byNote.get(note) ?? [];
    const latest = newest(history);
    if (latest && latest.text === input.text) {
      if (input.idempotencyKey !== undefined) this.byKey.set(input.idempotencyKey, latest.id);
      return { revision: summary(latest), created: false };
    }
    const at = (input.at ?? this.now()).getTime();
    const words = this.counter.countText(input.text);
    const seq = ++this.seq;
    const stored: Stored = {
      id: `rev-${seq.toString(36).padStart(6, "0")}`,
      note,
      createdAt: new Date(at).toISOString(),
      source: input.source,
      words,
      wordDelta: latest ? words - latest.words : 0,
      bytes: this.encoder.encode(input.text).length,
      ...(input.label !== undefined ? { label: input.label } : {}),
      text: input.text,
      seq,
      at,
    };
    history.push(stored);
    this.byNote.set(note, history);
    this.byId.set(stored.id, stored);
    if (input.idempotencyKey !== undefined) this.byKey.set(input.idempotencyKey, stored.id);
    return { revision: summary(stored), created: true };
  }

  list(note: string, options: { limit?: number; before?: string } = {}): RevisionSummary[] {
    let ordered = [...(this.byNote.get(note) ?? [])].sort(newestFirst);
    if (options.before !== undefined) {
      const index = ordered.findIndex((r) => r.id === options.before);
      ordered = index === -1 ? [] : ordered.slice(index + 1);
    }
    if (options.limit !== undefined) ordered = ordered.slice(0, Math.max(0, options.limit));
    return ordered.map(summary);
  }

  get(id: string): Revision | null {
    const stored = this.byId.get(id);
    return stored ? { ...summary(stored), text: stored.text } : null;
  }

  notes(): string[] {
    return [...this.byNote.keys()].filter((note) => (this.byNote.get(note)?.length ?? 0) > 0).sort(comparePaths);
  }

  prune(policy: RetentionPolicy, now: Date = this.now()): number {
    const cutoff = now.getTime() - policy.keepAllDays * DAY_MS;
    let dropped = 0;
    for (const [note, history] of this.byNote) {
      const latest = newest(history);
      // The last revision of each UTC day, among those old enough to thin out.
      const lastOfDay = new Map<string, Stored>();
      for (const revision of history) {
        const day = revision.createdAt.slice(0, 10);
        const kept = lastOfDay.get(day);
        if (!kept || newestFirst(revision, kept) < 0) lastOfDay.set(day, revision);
      }
      const keep = history.filter(
        (r) => r === latest || r.at >= cutoff || (policy.thenDaily && lastOfDay.get(r.createdAt.slice(0, 10)) === r),
      );
      dropped += history.length - keep.length;
      for (const r of history) if (!keep.includes(r)) this.byId.delete(r.id);
      this.byNote.set(note, keep);
    }
    for (const [key, id] of this.byKey) if (!this.byId.has(id)) this.byKey.delete(key);
    return dropped;
  }
}

function newestFirst(a: Stored, b: Stored): number {
  return b.at - a.at || b.seq - a.seq;
}

function newest(history: readonly Stored[]): Stored | undefined {
  let best: Stored | undefined;
  for (const r of history) if (!best || newestFirst(r, best) < 0) best = r;
  return best;
}

function summary(stored: Stored): RevisionSummary {
  const { id, note, createdAt, source, words, wordDelta, bytes, label } = stored;
  return { id, note, createdAt, source, words, wordDelta, bytes, ...(label !== undefined ? { label } : {}) };
}
