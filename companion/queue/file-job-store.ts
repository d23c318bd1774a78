/**
 * The CLI's {@link JobStore}: one JSON file at a path outside the vault (the CLI keeps its state apart
 * from the book so a run never adds files the writer did not ask for).
 *
 * Saves are atomic on disk: write a temp file next to the target, fsync it, rename it over the target,
 * then fsync the folder so the rename itself survives a power cut. A crash at any point leaves either the
 * old complete file or the new complete one; a leftover temp file is ignored by `load`.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs/promises";
import * as nodePath from "node:path";
import { serializeQueueState, type QueueState } from "../../shared/queue/jobs";
import { readStoredQueue, type JobStore, type JobStoreOptions } from "../../shared/queue/job-store";

export class FileJobStore implements JobStore {
  private readonly onProblem: NonNullable<JobStoreOptions["onProblem"]>;
  private readonly now: () => number;
  /** Saves run one after another, so an older state can never be renamed over a newer one. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    options: JobStoreOptions = {},
  ) {
    this.onProblem = options.onProblem ?? ((p) => console.warn(p.message));
    this.now = options.now ?? Date.now;
  }

  async load(batchId?: string): Promise<QueueState | null> {
    await this.tail;
    await this.sweepTempFiles();
    let text: string;
    try {
      text = await fs.readFile(this.path, "utf8");
    } catch (e) {
      if ((e as { code?: unknown }).code === "ENOENT") return null;
      throw e;
    }
    return readStoredQueue(text, batchId, (reason) => this.moveAside(reason));
  }

  save(state: QueueState): Promise<void> {
    const text = serializeQueueState(state);
    const run = this.tail.then(() => this.writeAtomically(text));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Forgets the saved batch. The file is renamed (`queue.discarded-<time>.json`), not deleted: it may
   * hold the only copy of outputs that were paid for and never applied.
   */
  async clear(): Promise<string | null> {
    await this.tail;
    if (!(await exists(this.path))) return null;
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, "-");
    const target = `${this.path.replace(/\.json$/, "")}.discarded-${stamp}.json`;
    await fs.rename(this.path, target);
    return target;
  }

  private async writeAtomically(text: string): Promise<void> {
    const folder = nodePath.dirname(this.path);
    await fs.mkdir(folder, { recursive: true });
    // The temp name starts with the target's name and a dot-suffix, so a leftover one is easy to spot and
    // never matches the target itself.
    // The writer's process id is in the name, so a later load can tell a temp file of a dead process
    // (killed mid-save) from one another live process is still writing.
    const temp = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    const handle = await fs.open(temp, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.rename(temp, this.path);
    } catch (e) {
      await fs.rm(temp, { force: true });
      throw e;
    }
    await syncFolder(folder);
  }

  /**
   * Removes temp files that processes killed mid-save left beside the queue file. Only those of dead
   * processes: another live process may be between its write and its rename right now.
   */
  private async sweepTempFiles(): Promise<void> {
    const folder = nodePath.dirname(this.path);
    const prefix = `${nodePath.basename(this.path)}.`;
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
      const pid = Number(name.slice(prefix.length).split(".")[0]);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
      await fs.rm(nodePath.join(folder, name), { force: true });
    }
  }

  private async moveAside(reason: string): Promise<void> {
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, "-");
    const base = this.path.replace(/\.json$/, "");
    let target = `${base}.corrupt-${stamp}.json`;
    for (let index = 1; await exists(target); index++) target = `${base}.corrupt-${stamp}-${index}.json`;
    await fs.rename(this.path, target);
    this.onProblem({
      path: this.path,
      movedTo: target,
      message: `Bookwright could not read the queue file ${this.path}: ${reason}. It was moved to ${target}; the queue starts empty.`,
    });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means there is no such process.
    return (error as { code?: unknown }).code === "EPERM";
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}

/** Makes a rename durable; Windows cannot open folders for fsync, where the rename is durable enough. */
async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, "r");
    await handle.sync();
  } catch {
    // Best effort: the data file itself was already synced.
  } finally {
    await handle?.close();
  }
}
