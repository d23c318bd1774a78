/**
 * The plugin's {@link JobStore}: `<book>/.bookwright/queue.json`, the same file the CLI uses, so every
 * device and the CLI see one batch per book. Obsidian's vault does not index dot-folders, so the file is
 * read and written through the vault's adapter rather than the VaultFiles port.
 *
 * The adapter has no atomic replace: a save writes `queue.json.tmp` first, then swaps it in (remove the
 * old file, rename the new one). A crash between those two steps leaves only the temp file, which `load`
 * then reads, so no saved state is ever lost to a half-written file.
 */
import type { DataAdapter } from "obsidian";
import { serializeQueueState, type QueueState } from "../../shared/queue/jobs";
import { corruptName, queuePath, readStoredQueue, type JobStore, type JobStoreOptions } from "../../shared/queue/job-store";
import { parentFolder } from "../../shared/vault/vault-files";

export class AdapterJobStore implements JobStore {
  readonly path: string;
  private readonly temp: string;
  private readonly onProblem: NonNullable<JobStoreOptions["onProblem"]>;
  private readonly now: () => number;
  /** Saves run one after another, so an older state can never replace a newer one. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly adapter: Pick<DataAdapter, "exists" | "read" | "write" | "remove" | "rename" | "mkdir">,
    bookFolder: string,
    options: JobStoreOptions = {},
  ) {
    this.path = queuePath(bookFolder);
    this.temp = `${this.path}.tmp`;
    this.onProblem = options.onProblem ?? (() => undefined);
    this.now = options.now ?? Date.now;
  }

  async load(batchId?: string): Promise<QueueState | null> {
    await this.tail;
    let source = this.path;
    if (!(await this.adapter.exists(this.path))) {
      // Only the temp file: the process stopped between removing the old file and renaming the new one.
      if (!(await this.adapter.exists(this.temp))) return null;
      source = this.temp;
    }
    const text = await this.adapter.read(source);
    return readStoredQueue(text, batchId, (reason) => this.moveAside(source, reason));
  }

  save(state: QueueState): Promise<void> {
    const text = serializeQueueState(state);
    const run = this.tail.then(async () => {
      const folder = parentFolder(this.path);
      if (!(await this.adapter.exists(folder))) await this.adapter.mkdir(folder);
      await this.adapter.write(this.temp, text);
      if (await this.adapter.exists(this.path)) await this.adapter.remove(this.path);
      await this.adapter.rename(this.temp, this.path);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async moveAside(source: string, reason: string): Promise<void> {
    let target = corruptName(this.path, this.now());
    for (let i = 1; await this.adapter.exists(target); i++) target = target.replace(/(-\d+)?\.json$/, `-${i}.json`);
    await this.adapter.rename(source, target);
    this.onProblem({ path: source, movedTo: target, message: `Bookwright could not read the queue file ${source}: ${reason}. It was moved to ${target}; the queue starts empty.` });
  }
}
