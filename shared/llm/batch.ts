/**
 * Many model requests at half price, through a message-batch API (Anthropic's Message Batches: results
 * within 24 hours, usually much sooner, at 50% of the normal token prices; see `batchCostOf` in prices.ts).
 *
 * A batch outlives the process that sent it: it is paid for once it runs, whether or not anyone is still
 * waiting. So `runBatch` writes down which remote batch belongs to which piece of work (a `BatchRecord`,
 * kept by a `BatchRecordStore` in the book's folder) before it waits, and a later run with the same key
 * picks that batch up again instead of sending (and paying for) the requests a second time. The record is
 * forgotten only when the caller says its results are safely stored (`BatchRun.commit`).
 *
 * Sleep and the clock are injected, so tests poll without waiting and the plugin can use window timers.
 */
import * as z from "zod";
import { joinVaultPath, PathLocks, type VaultFiles } from "../vault/vault-files";
import { LlmError, type LlmRequest, type LlmResponse } from "./llm";

/** One request of a batch; `customId` names its result (the API allows 1–64 of `a-z A-Z 0-9 _ -`). */
export interface BatchItem {
  customId: string;
  /** `signal` and `onText` are ignored: a batch item is neither cancelled alone nor streamed. */
  request: LlmRequest;
}

/** What became of one item: its reply, or why there is none. */
export type BatchResult = { ok: true; response: LlmResponse } | { ok: false; error: LlmError };

/** How many items are in each state; together they add up to the batch's size. */
export interface BatchCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

export interface BatchStatus {
  /** `canceling`: a cancel was asked for and the items already running are finishing. Results come only at `ended`. */
  state: "in_progress" | "canceling" | "ended";
  counts: BatchCounts;
}

/**
 * The port to a message-batch service (shared/llm/anthropic-batches.ts over @anthropic-ai/sdk). Failures
 * are LlmErrors, as with the `Llm` port.
 */
export interface BatchClient {
  /** Sends the items as one batch; resolves once the service has accepted it. */
  submit(items: readonly BatchItem[], signal?: AbortSignal): Promise<{ id: string }>;
  status(id: string, signal?: AbortSignal): Promise<BatchStatus>;
  /**
   * The results of an ended batch, by custom id. `items` are the batch's requests: a reply is read as its
   * request asked (which tool, structured JSON or prose), and after a restart only the caller still has
   * them. Results for ids not among `items` are left out.
   */
  results(id: string, items: readonly BatchItem[], signal?: AbortSignal): Promise<Map<string, BatchResult>>;
  /** Asks the service to stop; items already answered keep their results (and are billed). */
  cancel(id: string): Promise<void>;
}

/** Which remote batch a piece of work is waiting on. */
export interface BatchRecord {
  id: string;
  /** From the injected clock, epoch milliseconds. */
  submittedAt: number;
  customIds: string[];
}

/** Where batch records survive a restart (the plugin and CLI: VaultBatchRecordStore). */
export interface BatchRecordStore {
  load(key: string): Promise<BatchRecord | null>;
  save(key: string, record: BatchRecord): Promise<void>;
  clear(key: string): Promise<void>;
}

export interface RunBatchOptions {
  store: BatchRecordStore;
  /** Names the piece of work (e.g. `summaries:ch-1..ch-12`); one batch at a time per key. */
  key: string;
  /** Between status checks. Batches take minutes to hours; a minute or so is plenty. */
  pollMs: number;
  /** Resolves after `ms`; should reject (or resolve early) when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch milliseconds, for the record's `submittedAt`. */
  now: () => number;
  /** Stops waiting (see runBatch); the remote batch keeps running and the record stays for the next run. */
  signal?: AbortSignal;
  /** Told the counts after every status check. */
  onProgress?: (counts: BatchCounts) => void;
  /**
   * Transient failures (rate limits, overload, server errors, broken connections) tolerated in a row while
   * checking the status or fetching results, on top of the SDK's own quick retries. A batch runs for hours,
   * and one failed check should not end the wait; more in a row end it (the record stays). Default 3.
   */
  transientFailures?: number;
}

export interface BatchRun {
  /** The remote batch, for logs and support requests. */
  id: string;
  /** True when this run found a record and picked up a batch sent by an earlier run. */
  resumed: boolean;
  /** One entry per item of the batch. */
  results: Map<string, BatchResult>;
  /**
   * Forgets the batch record. Call it once the results are stored where they belong. Until then the
   * record stays, so if the process dies with the results only in memory, the next run with the same key
   * fetches them again (the service keeps them for 29 days) rather than sending the requests again.
   */
  commit(): Promise<void>;
}

/**
 * Runs `items` as one batch and waits for all of them, surviving restarts:
 *
 * 1. With a record under `key` (an earlier run sent the batch), picks that batch up: nothing is sent again.
 *    The items must have the same custom ids as the record; anything else throws, since the results
 *    could not be matched to the work.
 * 2. Otherwise sends the batch and saves the record before the first status check. The one window where a
 *    batch can be lost is between the service accepting it and the record being saved (a crash there, or
 *    a failed save): that batch runs and is billed but is never read. A failed save cancels the batch at
 *    once to keep that cost small; a crash cannot.
 * 3. Checks the status every `pollMs` until the batch has ended, then fetches the results. An item with no
 *    result (the service should never do that) comes back as a `server` error, so every item has an entry.
 *
 * Aborting stops the waiting with an `aborted` LlmError and leaves the record, so the next run resumes;
 * the remote batch is not cancelled (cancel it with `BatchClient.cancel` if that is what is wanted). Once
 * sending has begun it is finished and the record saved before the abort is honoured: a batch whose id we
 * never learned could not be cancelled or read.
 */
export async function runBatch(client: BatchClient, items: readonly BatchItem[], options: RunBatchOptions): Promise<BatchRun> {
  const { store, key, signal } = options;
  const ids = items.map((item) => item.customId);
  const seen = new Set<string>();
  const duplicate = ids.find((id) => seen.size === seen.add(id).size);
  if (duplicate !== undefined) throw new LlmError("invalid_request", `The batch has two requests with the custom id "${duplicate}"; each needs its own.`);

  throwIfAborted(signal);
  let record = await store.load(key);
  const resumed = record !== null;
  if (record) {
    if (!sameIds(record.customIds, ids)) {
      throw new Error(
        `The batch saved under "${key}" (${record.id}) was sent for other requests (${describeIds(record.customIds)}) than these (${describeIds(ids)}). ` +
          "Run it with the requests it was sent with, or clear its record to give up on it.",
      );
    }
  } else {
    // No signal: see the doc comment. A send cut off halfway may still have created the batch.
    const { id } = await client.submit(items);
    record = { id, submittedAt: options.now(), customIds: ids };
    try {
      await options.store.save(key, record);
    } catch (error) {
      await client.cancel(id).catch(() => undefined);
      throw error;
    }
  }
  const { id } = record;

  const persist = persistently(options);
  for (;;) {
    throwIfAborted(signal);
    const status = await persist(() => client.status(id, signal));
    options.onProgress?.(status.counts);
    if (status.state === "ended") break;
    await wait(options, options.pollMs);
  }
  throwIfAborted(signal);
  const fetched = await persist(() => client.results(id, items, signal));

  const results = new Map<string, BatchResult>();
  for (const customId of ids) {
    results.set(
      customId,
      fetched.get(customId) ?? { ok: false, error: new LlmError("server", `The batch ${id} ended without a result for "${customId}"; it can be sent again.`) },
    );
  }
  return { id, resumed, results, commit: () => store.clear(key) };
}

/** Calls `call` again after a transient failure, up to `transientFailures` failures in a row. */
function persistently(options: RunBatchOptions): <T>(call: () => Promise<T>) => Promise<T> {
  const allowed = Math.max(0, Math.floor(options.transientFailures ?? 3));
  return async (call) => {
    for (let failures = 0; ; failures++) {
      try {
        return await call();
      } catch (error) {
        // Whatever a cancelled wait throws (an SDK abort, a network error), it is a cancellation.
        throwIfAborted(options.signal);
        if (!(error instanceof LlmError) || !error.retryable || failures >= allowed) throw error;
        await wait(options, error.details.retryAfterMs ?? options.pollMs);
      }
    }
  };
}

/** The injected sleep, with an abort as our `aborted` error whether the sleep rejects or resolves early. */
async function wait(options: RunBatchOptions, ms: number): Promise<void> {
  try {
    await options.sleep(ms, options.signal);
  } catch (error) {
    throwIfAborted(options.signal);
    throw error;
  }
  throwIfAborted(options.signal);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LlmError("aborted", "Stopped waiting for the batch; it keeps running, and the next run picks it up.");
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

function describeIds(ids: readonly string[]): string {
  const shown = ids.slice(0, 3).map((id) => `"${id}"`).join(", ");
  return ids.length > 3 ? `${shown} and ${ids.length - 3} more` : shown || "none";
}

/** For tests and for runs that need not survive a restart; keeps copies, so callers cannot change a record in place. */
export class MemoryBatchRecordStore implements BatchRecordStore {
  private readonly records = new Map<string, BatchRecord>();

  load(key: string): Promise<BatchRecord | null> {
    const record = this.records.get(key);
    return Promise.resolve(record ? copy(record) : null);
  }

  save(key: string, record: BatchRecord): Promise<void> {
    this.records.set(key, copy(record));
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.records.delete(key);
    return Promise.resolve();
  }
}

function copy(record: BatchRecord): BatchRecord {
  return { id: record.id, submittedAt: record.submittedAt, customIds: [...record.customIds] };
}

const BATCH_RECORDS_VERSION = 1;

const recordSchema = z.object({
  id: z.string().min(1),
  submittedAt: z.number(),
  customIds: z.array(z.string()),
});

const recordsFileSchema = z.object({
  version: z.literal(BATCH_RECORDS_VERSION),
  batches: z.record(z.string(), recordSchema),
});

const EXPECTED_SHAPE = `{"version": ${BATCH_RECORDS_VERSION}, "batches": {"<key>": {"id": "<batch id>", "submittedAt": <epoch ms>, "customIds": ["…"]}}}`;

/** The batch records file of a book: in its dot-folder, beside the queue, so Obsidian does not list it as a note. */
export function batchRecordsPath(bookFolder: string): string {
  return joinVaultPath(bookFolder, ".bookwright", "batches.json");
}

/**
 * Every record of a book in one JSON file in the vault (e.g. `<book>/.bookwright/batches.json`), so the
 * records sync with the book: a batch sent from one machine can be collected on another.
 *
 * A file that cannot be read is never overwritten: it may be the only note of batches already paid for.
 * Loading and saving throw an Error naming the file and the shape expected until the writer repairs or
 * removes it.
 */
export class VaultBatchRecordStore implements BatchRecordStore {
  /** Read-modify-write of the one file, one at a time, so two saves never drop each other's record. */
  private readonly locks = new PathLocks();

  constructor(
    private readonly vault: VaultFiles,
    readonly path: string,
  ) {}

  async load(key: string): Promise<BatchRecord | null> {
    const batches = await this.locks.run([this.path], () => this.read());
    const record = batches.get(key);
    return record ? copy(record) : null;
  }

  save(key: string, record: BatchRecord): Promise<void> {
    return this.update((batches) => batches.set(key, copy(record)));
  }

  clear(key: string): Promise<void> {
    return this.update((batches) => batches.delete(key));
  }

  private update(change: (batches: Map<string, BatchRecord>) => void): Promise<void> {
    return this.locks.run([this.path], async () => {
      const batches = await this.read();
      const before = serialise(batches);
      change(batches);
      const after = serialise(batches);
      // Clearing a key that is not there (or saving the same record again) leaves the file alone.
      if (after !== before) await this.vault.write(this.path, after);
    });
  }

  /** The records in the file; none when there is no file yet. */
  private async read(): Promise<Map<string, BatchRecord>> {
    if ((await this.vault.stat(this.path)) === null) return new Map();
    const text = await this.vault.read(this.path);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new Error(`The batch records file ${this.path} is not valid JSON (${e instanceof Error ? e.message : String(e)}); expected ${EXPECTED_SHAPE}.`);
    }
    const parsed = recordsFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`The batch records file ${this.path} is not in the expected form (${z.prettifyError(parsed.error)}); expected ${EXPECTED_SHAPE}.`);
    }
    return new Map(Object.entries(parsed.data.batches));
  }
}

/** Indented with a final newline, so a synced file diffs readably. */
function serialise(batches: Map<string, BatchRecord>): string {
  return `${JSON.stringify({ version: BATCH_RECORDS_VERSION, batches: Object.fromEntries(batches) }, null, 2)}\n`;
}
