/**
 * The companion's export jobs: a queue that runs one export at a time, each in a worker thread
 * (`export-worker.ts`), so the HTTP API answers while a novel's PDF is being set. Jobs are kept in SQLite
 * (`export-job-store.ts`); finished files in the companion's own exports folder (one per vault, beside
 * the database, never in the vault), written to a `.partial` file and renamed into place when complete.
 *
 * Nothing waits for ever: a job left queued or running by a companion that stopped is marked failed when
 * the next one starts (and when this one closes), a worker that dies or runs past `timeoutMs` fails its
 * job, and finished jobs with their files are removed after `retentionMs`, checked at start and hourly.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as nodePath from "node:path";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ExportJob, ExportJobOptions, ExportJobProgress } from "../../shared/companion-api/api";
import { exportExtension, type ExportFormat } from "../../shared/export/formats";
import { exportFileName } from "../../shared/export/write-export";
import type { SqliteDatabase } from "../db/database";
import type { ExportEvents } from "../server/events";
import { ExportJobStore, toApiJob, type StoredExportJob } from "./export-job-store";
import type { ExportWorkerData } from "./export-worker";
import type { ExportWorkerMessage } from "./run-export";

export const DEFAULT_EXPORT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** Far beyond a whole novel's PDF (well under a minute); a job this slow is stuck. */
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

/** Why a job left queued or running by a stopped companion failed. */
export const INTERRUPTED_MESSAGE = "the companion stopped while this export ran";

/** The files this queue writes (`<id>.<extension>`, and `.partial` while being written); nothing else in the folder is touched. */
const OWN_FILE = /^[A-Za-z0-9_-]+\.(docx|pdf|epub|txt|md)(\.partial)?$/;

export interface ExportJobsOptions {
  db: SqliteDatabase;
  /** Where finished exports are kept (created when missing). */
  folder: string;
  /** The vault folder on disk (absolute), for the workers. */
  vaultPath: string;
  events: ExportEvents;
  /** Finished jobs and their files are removed this long after they finished. @default 7 days */
  retentionMs?: number;
  /** How often retention is checked (also at start). @default 1 hour */
  retentionCheckMs?: number;
  /** A job running longer is stopped and failed. @default 30 minutes */
  timeoutMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** Tests: every worker blocks once packing starts until `hold[0]` is non-zero (see ExportWorkerData). */
  hold?: Int32Array;
  /** Problems that concern no request (a file that could not be removed); the queue carries on. */
  onWarning?: (message: string) => void;
}

interface Run {
  id: string;
  worker: Worker;
  /** The file's name in the folder once complete. */
  file: string;
  partial: string;
  progress: ExportJobProgress;
  timer: ReturnType<typeof setTimeout>;
}

export type DownloadInfo = { status: "ready"; job: ExportJob; path: string } | { status: "not-found" } | { status: "not-finished"; job: ExportJob } | { status: "file-gone"; job: ExportJob };

export class ExportJobs {
  private readonly store: ExportJobStore;
  private readonly folder: string;
  private readonly now: () => Date;
  private readonly retentionMs: number;
  private readonly timeoutMs: number;
  private running: Run | null = null;
  /** Workers being terminated: the next job waits for them, so only one export thread works at a time. */
  private stopping = 0;
  private closed = false;
  private readonly retentionTimer: ReturnType<typeof setInterval>;
  /** Waiters for a job to reach a final state. */
  private readonly waiters = new Map<string, ((job: ExportJob) => void)[]>();

  constructor(private readonly options: ExportJobsOptions) {
    this.store = new ExportJobStore(options.db);
    this.folder = options.folder;
    this.now = options.now ?? (() => new Date());
    this.retentionMs = options.retentionMs ?? DEFAULT_EXPORT_RETENTION_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    this.store.failUnfinished(this.time(), INTERRUPTED_MESSAGE);
    this.removeStrayFiles();
    this.removeExpired();
    this.retentionTimer = setInterval(() => this.removeExpired(), options.retentionCheckMs ?? HOUR_MS);
    // The companion stops when asked, not when this timer would be the last thing left.
    this.retentionTimer.unref();
  }

  /** Queues an export of the book in `book` (a checked, vault-relative folder); it runs when the jobs before it are done. */
  create(book: string, format: ExportFormat, options: ExportJobOptions): ExportJob {
    if (this.closed) throw new Error("the export queue is closed");
    const id = `exp_${randomBytes(12).toString("base64url")}`;
    this.store.insert({ id, book, format, options, createdAt: this.time() });
    const job = this.get(id)!;
    this.options.events.changed("state", job);
    this.pump();
    // Starting it may already have moved it on.
    return this.get(id)!;
  }

  get(id: string): ExportJob | null {
    const stored = this.store.get(id);
    return stored ? this.apiJob(stored) : null;
  }

  /** Newest first. */
  list(): ExportJob[] {
    return this.store.list().map((job) => this.apiJob(job));
  }

  /** Where a succeeded job's file is, or why there is none. */
  download(id: string): DownloadInfo {
    const stored = this.store.get(id);
    if (!stored) return { status: "not-found" };
    const job = this.apiJob(stored);
    if (stored.state !== "succeeded" || stored.file === null) return { status: "not-finished", job };
    const path = nodePath.join(this.folder, stored.file);
    return existsSync(path) ? { status: "ready", job, path } : { status: "file-gone", job };
  }

  /**
   * Cancels a queued or running job (its worker is terminated, its partial file removed), or removes a
   * finished one with its file. `not-found` when there is no such job.
   */
  async remove(id: string): Promise<"cancelled" | "removed" | "not-found"> {
    const stored = this.store.get(id);
    if (!stored) return "not-found";
    if (stored.state === "queued") {
      this.end(stored.id, "cancelled", "cancelled before it started");
      return "cancelled";
    }
    if (stored.state === "running") {
      const run = this.running?.id === id ? this.running : null;
      this.end(stored.id, "cancelled", "cancelled while it ran", run ?? undefined);
      if (run) await this.stop(run);
      this.pump();
      return "cancelled";
    }
    this.store.delete(id);
    if (stored.file !== null) this.removeFile(stored.file);
    this.options.events.removed(id);
    return "removed";
  }

  /** Removes finished jobs (and their files) older than the retention period; returns how many. */
  removeExpired(): number {
    if (this.closed) return 0;
    const expired = this.store.finishedBefore(this.time() - this.retentionMs);
    for (const job of expired) {
      this.store.delete(job.id);
      if (job.file !== null) this.removeFile(job.file);
      this.options.events.removed(job.id);
    }
    return expired.length;
  }

  /** Resolves with the job once it has succeeded, failed or been cancelled. */
  settled(id: string): Promise<ExportJob> {
    const job = this.get(id);
    if (!job) return Promise.reject(new Error(`no export job ${id}`));
    if (job.state !== "queued" && job.state !== "running") return Promise.resolve(job);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  /** Stops the running job's worker and fails every unfinished job: the companion is stopping. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    const run = this.running;
    if (!this.options.db.open) {
      // The database went first; the next start marks what was unfinished.
      this.running = null;
      if (run) await this.stop(run);
      return;
    }
    if (run) this.end(run.id, "failed", INTERRUPTED_MESSAGE, run);
    for (const id of this.store.failUnfinished(this.time(), INTERRUPTED_MESSAGE)) this.announceEnd(id);
    if (run) await this.stop(run);
  }

  private time(): number {
    return this.now().getTime();
  }

  private apiJob(job: StoredExportJob): ExportJob {
    return toApiJob(job, this.running?.id === job.id ? this.running.progress : undefined);
  }

  /** Starts the next queued job when none runs. */
  private pump(): void {
    if (this.closed || this.running || this.stopping > 0) return;
    const next = this.store.nextQueued();
    if (!next) return;
    this.store.markRunning(next.id, this.time());
    const file = `${next.id}.${exportExtension(next.format)}`;
    const partial = nodePath.join(this.folder, `${file}.partial`);
    const data: ExportWorkerData = {
      task: { vaultPath: this.options.vaultPath, book: next.book, format: next.format, options: next.options, partialFile: partial },
      ...(this.options.hold ? { hold: this.options.hold } : {}),
    };
    let worker: Worker;
    try {
      worker = spawnExportWorker(data);
    } catch (error) {
      this.end(next.id, "failed", `the export could not start: ${error instanceof Error ? error.message : String(error)}`);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      if (this.running !== run) return;
      this.end(run.id, "failed", `the export took longer than ${duration(this.timeoutMs)} and was stopped`, run);
      void this.stop(run).then(() => this.pump());
    }, this.timeoutMs);
    timer.unref();
    const run: Run = { id: next.id, worker, file, partial, progress: { stage: "reading", done: 0, total: 0 }, timer };
    this.running = run;
    worker.on("message", (message: ExportWorkerMessage) => this.heard(run, message));
    worker.on("error", (error: Error) => this.workerFailed(run, error.message));
    worker.on("exit", (code: number) => this.workerFailed(run, `the export stopped unexpectedly (exit code ${code})`));
    this.options.events.changed("state", this.get(next.id)!);
  }

  private heard(run: Run, message: ExportWorkerMessage): void {
    if (this.running !== run) return;
    switch (message.type) {
      case "progress":
        if (message.stage !== run.progress.stage) this.store.setProgress(run.id, { stage: message.stage, done: message.done, total: message.total });
        run.progress = { stage: message.stage, done: message.done, total: message.total };
        this.options.events.changed("progress", this.get(run.id)!);
        return;
      case "failed":
        this.end(run.id, "failed", message.message, run);
        this.pump();
        return;
      case "done": {
        const stored = this.store.get(run.id)!;
        const fileName = exportFileName(message.result.title, stored.format, exportExtension(stored.format));
        try {
          // Synchronous, with the record below: no request can slip in between the file and the record.
          renameSync(run.partial, nodePath.join(this.folder, run.file));
        } catch (error) {
          this.end(run.id, "failed", `the finished export could not be kept: ${error instanceof Error ? error.message : String(error)}`, run);
          this.pump();
          return;
        }
        this.running = null;
        clearTimeout(run.timer);
        this.store.markSucceeded(run.id, this.time(), run.file, { ...message.result, fileName });
        this.announceEnd(run.id);
        this.pump();
        return;
      }
    }
  }

  private workerFailed(run: Run, why: string): void {
    if (this.running !== run) return;
    this.end(run.id, "failed", why, run);
    this.pump();
  }

  /** Records a failed or cancelled job (the running one when `run` is given: it stops being the running one). */
  private end(id: string, state: "failed" | "cancelled", error: string, run?: Run): void {
    if (run && this.running === run) {
      this.running = null;
      clearTimeout(run.timer);
      this.removeQuietly(run.partial);
    }
    this.store.markEnded(id, state, this.time(), error, run?.progress);
    this.announceEnd(id);
  }

  private announceEnd(id: string): void {
    const job = this.get(id);
    if (!job) return;
    this.options.events.changed("state", job);
    const waiting = this.waiters.get(id);
    this.waiters.delete(id);
    for (const resolve of waiting ?? []) resolve(job);
  }

  /** Terminates a worker that no longer runs a job, then removes what it may have half written. */
  private async stop(run: Run): Promise<void> {
    this.stopping++;
    try {
      await run.worker.terminate();
    } finally {
      this.stopping--;
    }
    this.removeQuietly(run.partial);
  }

  private removeFile(file: string): void {
    this.removeQuietly(nodePath.join(this.folder, file));
  }

  private removeQuietly(path: string): void {
    try {
      rmSync(path, { force: true });
    } catch (error) {
      this.options.onWarning?.(`export jobs: could not remove ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Partial files of jobs that never finished, and files whose job is gone (a stop between the two). */
  private removeStrayFiles(): void {
    const kept = this.store.files();
    for (const name of readdirSync(this.folder)) {
      if (!OWN_FILE.test(name) || kept.has(name)) continue;
      const path = nodePath.join(this.folder, name);
      if (statSync(path).isFile()) this.removeQuietly(path);
    }
  }
}

/** `30 minutes`, `45 seconds`. */
function duration(ms: number): string {
  const [amount, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), "minute"] : [Math.max(1, Math.round(ms / 1000)), "second"];
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}

/**
 * A worker running `export-worker`. Built, the code calling this sits in `dist/` or `dist/chunks/` and
 * the worker is `dist/export-worker.js` (its own entry point), so it is looked for beside this file and
 * one folder up. From TypeScript source (vitest, tsx) the worker is the `.ts` file, loaded through tsx's
 * API: Node 20 does not apply tsx's `--import` hooks inside worker threads.
 */
function spawnExportWorker(data: ExportWorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    const resolveFrom = createRequire(here);
    const tsxPackage = resolveFrom.resolve("tsx/package.json");
    const api = (resolveFrom("tsx/package.json") as { exports: Record<string, { import: { default: string } }> }).exports["./esm/api"]!.import.default;
    const tsx = { api: pathToFileURL(nodePath.join(nodePath.dirname(tsxPackage), api)).href, entry: new URL("./export-worker.ts", here).href };
    return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { ...data, tsx } });
  }
  const candidates = [new URL("./export-worker.js", here), new URL("../export-worker.js", here)];
  const file = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (file === undefined) throw new Error(`export-worker.js is missing beside ${fileURLToPath(here)}; rebuild Bookwright (npm run build)`);
  return new Worker(file, { workerData: data });
}

/** Evaluated as CommonJS in the worker: loads tsx's API, then the worker's TypeScript through it. */
const TS_BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
import(workerData.tsx.api)
  .then((api) => api.tsImport(workerData.tsx.entry, workerData.tsx.entry))
  .catch((error) => process.nextTick(() => { throw error; }));
`;
