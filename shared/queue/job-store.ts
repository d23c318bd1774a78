/**
 * Where the queue state lives between runs. The runner saves after every transition, so a crash loses at
 * most the step in flight, and `recover` (jobs.ts) deals with that step.
 *
 * A corrupt or unknown-version file is never thrown away or overwritten: it may hold the only record of
 * outputs that were paid for. It is moved aside (`queue.corrupt-<time>.json`) where the writer can find
 * it, the problem is reported, and the store behaves as if there were no queue.
 */
import { joinVaultPath, type VaultFiles } from "../vault/vault-files";
import { parseQueueState, serializeQueueState, type QueueState } from "./jobs";

export interface JobStore {
  /**
   * The saved state, or null when there is none (or it was unreadable and moved aside). With `batchId`,
   * null also when the saved state belongs to another batch.
   */
  load(batchId?: string): Promise<QueueState | null>;
  save(state: QueueState): Promise<void>;
}

/** A problem found while loading, handed to the store's `onProblem` so the UI or CLI can show it. */
export interface JobStoreProblem {
  /** The file that was unreadable. */
  path: string;
  /** Where it was moved, so the writer can inspect or restore it. */
  movedTo: string;
  /** What was wrong, naming the file. */
  message: string;
}

export interface JobStoreOptions {
  /** Told about a corrupt file that was moved aside; defaults to console.warn. */
  onProblem?: (problem: JobStoreProblem) => void;
  /** The clock for the moved-aside name, in epoch milliseconds. */
  now?: () => number;
}

/** For tests and for runs that need no persistence; keeps a JSON copy so callers cannot mutate it in place. */
export class MemoryJobStore implements JobStore {
  private saved: string | null = null;
  /** How many times `save` ran; tests use it to check that every transition was persisted. */
  saves = 0;

  load(batchId?: string): Promise<QueueState | null> {
    if (this.saved === null) return Promise.resolve(null);
    const state = parseQueueState(this.saved);
    return Promise.resolve(batchId === undefined || state.batchId === batchId ? state : null);
  }

  save(state: QueueState): Promise<void> {
    this.saved = serializeQueueState(state);
    this.saves++;
    return Promise.resolve();
  }
}

/** The queue file of a book: in a dot-folder, so Obsidian does not list it as a note. */
export function queuePath(bookFolder: string): string {
  return joinVaultPath(bookFolder, ".bookwright", "queue.json");
}

/**
 * The state in a stored queue file, or null when it belongs to another batch. A file that does not
 * parse is handed to `moveAside` (never deleted) and reads as no queue. Shared by every JobStore.
 */
export async function readStoredQueue(text: string, batchId: string | undefined, moveAside: (reason: string) => Promise<void>): Promise<QueueState | null> {
  let state: QueueState;
  try {
    state = parseQueueState(text);
  } catch (e) {
    await moveAside(e instanceof Error ? e.message : String(e));
    return null;
  }
  return batchId === undefined || state.batchId === batchId ? state : null;
}

/** The name a corrupt queue file is moved to, next to it; the time keeps successive ones apart. */
export function corruptName(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
  return path.replace(/queue\.json$/, `queue.corrupt-${stamp}.json`);
}

/** The state as `<book>/.bookwright/queue.json`, inside the vault, so it syncs with the book. */
export class VaultJobStore implements JobStore {
  readonly path: string;
  private readonly onProblem: (problem: JobStoreProblem) => void;
  private readonly now: () => number;

  constructor(
    private readonly vault: VaultFiles,
    bookFolder: string,
    options: JobStoreOptions = {},
  ) {
    this.path = queuePath(bookFolder);
    this.onProblem = options.onProblem ?? ((p) => console.warn(p.message));
    this.now = options.now ?? Date.now;
  }

  async load(batchId?: string): Promise<QueueState | null> {
    if ((await this.vault.stat(this.path)) === null) return null;
    return readStoredQueue(await this.vault.read(this.path), batchId, (reason) => this.moveAside(reason));
  }

  save(state: QueueState): Promise<void> {
    // `write` replaces the file as one operation of the port (Obsidian's adapter and NodeVault both
    // write whole files), and the vault serialises writes per path, so saves never interleave.
    return this.vault.write(this.path, serializeQueueState(state));
  }

  private async moveAside(reason: string): Promise<void> {
    let index = 0;
    let target = corruptName(this.path, this.now());
    // Two corrupt files within one millisecond (tests, fast retries) must not collide.
    while (await this.vault.exists(target)) target = target.replace(/(-\d+)?\.json$/, `-${++index}.json`);
    await this.vault.rename(this.path, target);
    this.onProblem({
      path: this.path,
      movedTo: target,
      message: `Bookwright could not read the queue file ${this.path}: ${reason}. It was moved to ${target}; the queue starts empty.`,
    });
  }
}
