/**
 * The queue runner (DESIGN.md §4): runs a batch's job graph to completion with the pure transitions of
 * jobs.ts, persisting the state after every change.
 *
 * It knows nothing about models or notes: a `JobExecutor` produces a job's output (`execute`, the paid,
 * slow part) and puts it into the book (`apply`). The runner's job is the order of those steps and what is
 * on disk between them:
 *
 *   start → save → execute → recordOutput (+ usage) → save → apply → markApplied + succeed → save
 *
 * so a crash at any point leaves a state that `recover` can finish without paying for a second take (the
 * recorded output is applied, not regenerated). The one window no runner can close is "apply done, the
 * save after it lost": the next run applies the output again, and the applier tells its own earlier write
 * apart by the job's idempotency key and start hash (DESIGN.md §4, write-safety rules 2 and 6).
 *
 * No timers: the runner waits only on the executor's promises, so it runs the same on mobile, in Node
 * and under tests without fake clocks; time comes from the injected `now`.
 */
import { LlmError, type LlmUsage } from "../llm/llm";
import type { JobStore } from "./job-store";
import {
  addUsage,
  belongsTo,
  cancel as cancelJob,
  fail,
  findJob,
  isApplyPending,
  markApplied,
  ready,
  recordOutput,
  recover,
  start,
  succeed,
  totalCostUsd,
  type Job,
  type JobError,
  type JobKind,
  type JobOutput,
  type QueueState,
} from "./jobs";

export interface JobProgress {
  /** Tokens streamed so far. */
  tokens?: number;
  /** Words written so far. */
  words?: number;
  /** A short label of what the job is doing ("drafting", "repairing"…). */
  stage?: string;
}

export interface ExecuteContext {
  /** Aborted when the writer cancels the job (or the runner dies); `execute` should then reject. */
  signal: AbortSignal;
  onProgress(progress: JobProgress): void;
}

export interface ExecuteResult {
  /** A string is recorded as the job's text, anything else as its (JSON-serialisable) data. */
  output: unknown;
  usage?: LlmUsage;
  costUsd?: number;
}

export interface JobExecutor {
  execute(job: Job, context: ExecuteContext): Promise<ExecuteResult>;
  /**
   * Puts a recorded output into the book. May be called twice for one job if the process died between
   * the write and the save after it: recognise the earlier write by `job.idempotencyKey`.
   */
  apply(job: Job, output: unknown): Promise<void>;
  /** What `execute` will probably cost; without it the cost cap only counts money already spent. */
  estimateCostUsd?(job: Job): number;
}

interface JobRef {
  jobId: string;
  kind: JobKind;
  chapter: number;
}

export type QueueEvent =
  | ({ type: "job:queued" | "job:started" | "job:completed" | "job:cancelled" } & JobRef)
  | ({ type: "job:progress"; progress: JobProgress } & JobRef)
  | ({ type: "job:failed"; error: JobError } & JobRef)
  /** A `write` job's output is in the chapter note: views showing the chapter should refresh. */
  | { type: "chapter:updated"; jobId: string; chapter: number }
  | { type: "queue:paused"; reason: string }
  /** Nothing is running and nothing more can start (done, blocked by failures, or paused). */
  | { type: "queue:idle" };

export interface QueueRunnerOptions {
  store: JobStore;
  executor: JobExecutor;
  /** This device; the runner refuses a queue started by another one (DESIGN.md §4). */
  deviceId: string;
  /** How many jobs may run at once, all kinds together. */
  concurrency: number;
  /** Tighter limits for some kinds (e.g. one writer at a time while checks run beside it). */
  concurrencyByKind?: Partial<Record<JobKind, number>>;
  /** Overrides the batch's own `costCapUsd`. */
  costCapUsd?: number;
  now: () => number;
  onEvent?: (event: QueueEvent) => void;
}

/** Pause reasons, exported so the UI and the CLI can tell them apart. */
export const PAUSE_BY_WRITER = "paused by the writer";
export const PAUSE_COST_CAP = "cost cap";
export const PAUSE_SPEND_LIMIT = "spend limit";
export const PAUSE_STOPPED = "stopped";

interface Flight {
  controller: AbortController;
  /** Once applying, the output is going into the book; cancelling then would leave it half-recorded. */
  phase: "executing" | "applying";
  cancelRequested: boolean;
  /** Stopped (Ctrl-C, Obsidian closing): back to the queue with nothing recorded, to run again next time. */
  stopRequested: boolean;
  kind: JobKind;
  /** Reserved against the cost cap while the job runs, since its cost is not in the state yet. */
  estimateUsd: number;
}

export class QueueRunner {
  private state: QueueState | undefined;
  private readonly flights = new Map<string, Flight>();
  private pausedFor: string | undefined;
  /** Set when a save failed: the runner behaves as a dead process and does nothing more. */
  private fatal: { error: unknown } | undefined;
  private saveTail: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private active = false;

  constructor(private readonly options: QueueRunnerOptions) {
    if (!(options.concurrency >= 1)) throw new Error(`concurrency must be at least 1, got ${options.concurrency}`);
  }

  /**
   * Runs the batch until nothing is running and nothing more can start: every job finished, the rest
   * blocked behind failed or cancelled jobs, or the queue paused (then `resume()` and run again). Resolves
   * with the final state, which is also the last one saved. Rejects if a save fails, since the state on
   * disk is then behind what happened and only `recover` on the next run can sort it out.
   */
  async run(initial: QueueState): Promise<QueueState> {
    const { deviceId } = this.options;
    if (!belongsTo(initial, deviceId)) {
      throw new Error(
        `batch ${initial.batchId} belongs to device "${initial.deviceId}", not to this device "${deviceId}": take it over before running it here`,
      );
    }
    if (this.active) throw new Error("this runner is already running a batch");
    this.active = true;
    this.fatal = undefined;
    try {
      // Whatever was `running` when the last process stopped is not running now.
      await this.commit(recover(initial, this.options.now()));
      for (const job of this.current().jobs) if (job.state === "queued") this.emitJob("job:queued", job);
      // After a failed save the loop still waits for the jobs in flight (aborted, starting nothing new),
      // so a rejected `run` has nothing of it left running when the caller starts the next one.
      for (;;) {
        this.fill();
        if (this.flights.size === 0) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      await this.saveTail;
      this.throwIfDead();
      this.emit({ type: "queue:idle" });
      return this.current();
    } finally {
      this.active = false;
      this.wake = undefined;
    }
  }

  /**
   * Cancels one job, or with "all" every job not finished yet. A job still executing is aborted and ends
   * cancelled with nothing applied; a job already applying its output is let finish, because its text is
   * on its way into the note and stopping it would leave the book and the state disagreeing.
   */
  cancel(jobId: string): void {
    const state = this.state;
    // Between runs there is no state of record here: the caller's copy is the one to change.
    if (!this.active || !state || this.fatal) return;
    const ids = jobId === "all" ? state.jobs.map((j) => j.id) : [findJob(state, jobId).id];
    let next = state;
    const cancelled: Job[] = [];
    for (const id of ids) {
      const flight = this.flights.get(id);
      if (flight) {
        if (flight.phase === "executing" && !flight.cancelRequested) {
          flight.cancelRequested = true;
          flight.controller.abort();
        }
        continue;
      }
      const job = findJob(next, id);
      if (job.state === "queued" || job.state === "paused" || (jobId !== "all" && job.state === "failed")) {
        next = cancelJob(next, id);
        cancelled.push(job);
      }
    }
    if (next !== state) {
      void this.commit(next).then(
        () => cancelled.forEach((j) => this.emitJob("job:cancelled", j)),
        () => undefined, // `commit` already recorded the failure; `run` reports it.
      );
    }
    this.wakeUp();
  }

  /**
   * Stops the batch for now (Ctrl-C, the app closing): requests in flight are aborted and their jobs go
   * back to the queue as they were, a job already applying its output finishes, nothing new starts, and
   * `run` resolves once it is all saved. The next `run` of the saved state carries on from there.
   */
  stop(): void {
    if (!this.active || this.fatal) return;
    this.pauseFor(PAUSE_STOPPED);
    for (const flight of this.flights.values()) {
      if (flight.phase === "executing" && !flight.stopRequested) {
        flight.stopRequested = true;
        flight.controller.abort();
      }
    }
    this.wakeUp();
  }

  /** Lets running jobs finish and starts no new ones until `resume()`. */
  pause(): void {
    this.pauseFor(PAUSE_BY_WRITER);
  }

  /** Lifts a pause of any reason (the writer raised the spend limit or the cap); a running batch carries on. */
  resume(): void {
    this.pausedFor = undefined;
    this.wakeUp();
  }

  /** Why the queue is paused, or undefined when it is not. */
  get pauseReason(): string | undefined {
    return this.pausedFor;
  }

  // --- Scheduling ---------------------------------------------------------------------------------

  /** Starts ready jobs in `ready()` order (priority, chapter, id) while the limits allow. */
  private fill(): void {
    if (this.fatal || this.pausedFor !== undefined) return;
    const { concurrency, concurrencyByKind } = this.options;
    for (const job of ready(this.current())) {
      if (this.flights.size >= concurrency) return;
      const kindLimit = concurrencyByKind?.[job.kind];
      if (kindLimit !== undefined && this.runningOfKind(job.kind) >= kindLimit) continue;
      // Applying a recorded output costs nothing: only jobs that will call the model count against the cap.
      const estimateUsd = isApplyPending(job) ? 0 : (this.options.executor.estimateCostUsd?.(job) ?? 0);
      if (this.wouldExceedCap(estimateUsd)) {
        this.pauseFor(PAUSE_COST_CAP);
        return;
      }
      this.launch(job, estimateUsd);
    }
  }

  private wouldExceedCap(estimateUsd: number): boolean {
    const cap = this.options.costCapUsd ?? this.current().costCapUsd;
    if (cap === undefined) return false;
    // Running jobs have not reported their cost yet; their estimates are reserved so that several jobs
    // started together cannot cross the cap between them.
    let reserved = 0;
    for (const f of this.flights.values()) reserved += f.estimateUsd;
    return totalCostUsd(this.current()) + reserved + estimateUsd > cap;
  }

  private runningOfKind(kind: JobKind): number {
    let n = 0;
    for (const f of this.flights.values()) if (f.kind === kind) n++;
    return n;
  }

  private launch(job: Job, estimateUsd: number): void {
    // A recorded output is already on its way into the book: cancelling it now would change nothing paid for.
    const phase = isApplyPending(job) ? "applying" : "executing";
    const flight: Flight = { controller: new AbortController(), phase, cancelRequested: false, stopRequested: false, kind: job.kind, estimateUsd };
    this.flights.set(job.id, flight);
    // `start` is applied synchronously so the next `ready()` no longer offers this job.
    const saved = this.commit(start(this.current(), job.id, this.options.now()));
    void this.runJob(job.id, flight, saved)
      .catch((error: unknown) => this.die(error))
      .finally(() => {
        this.flights.delete(job.id);
        this.wakeUp();
      });
  }

  private async runJob(id: string, flight: Flight, started: Promise<void>): Promise<void> {
    await started;
    this.emitJob("job:started", findJob(this.current(), id));

    let output: unknown;
    const job = findJob(this.current(), id);
    if (job.output) {
      // Recorded by an earlier run that died before applying it: apply that take, never pay for another.
      output = outputValue(job.output);
    } else {
      let result: ExecuteResult;
      try {
        result = await this.options.executor.execute(job, {
          signal: flight.controller.signal,
          onProgress: (progress) => {
            if (!flight.controller.signal.aborted && !this.fatal) this.emitJob("job:progress", job, { progress });
          },
        });
      } catch (error) {
        await this.afterExecuteError(id, flight, error);
        return;
      }
      if (this.fatal) return;
      let next = this.current();
      if (result.usage !== undefined || result.costUsd !== undefined) {
        next = addUsage(next, id, result.usage ?? ZERO_USAGE, result.costUsd ?? 0);
      }
      // The real cost is in the state now; keeping the estimate reserved too would count the job twice.
      flight.estimateUsd = 0;
      // A job that finished as a stop came is recorded and applied as usual: its output is paid for.
      if (flight.cancelRequested) {
        // The executor finished despite the abort; the writer asked for nothing to be applied.
        await this.commit(cancelJob(next, id));
        this.emitJob("job:cancelled", job);
        return;
      }
      output = result.output;
      await this.commit(recordOutput(next, id, { recordedAt: this.options.now(), ...outputFields(output) }));
    }

    // The output is on disk: from here on the job goes into the book even if cancel is asked.
    flight.phase = "applying";
    try {
      await this.options.executor.apply(findJob(this.current(), id), output);
    } catch (error) {
      if (this.fatal) return;
      // The output stays recorded, so `retry` applies it again rather than regenerating it.
      await this.failJob(id, { kind: "apply", message: messageOf(error) });
      return;
    }
    if (this.fatal) return;
    const now = this.options.now();
    await this.commit(succeed(markApplied(this.current(), id, now), id, now));
    const done = findJob(this.current(), id);
    this.emitJob("job:completed", done);
    if (done.kind === "write") this.emit({ type: "chapter:updated", jobId: id, chapter: done.chapter });
  }

  private async afterExecuteError(id: string, flight: Flight, error: unknown): Promise<void> {
    if (this.fatal) return;
    const job = findJob(this.current(), id);
    if (flight.cancelRequested) {
      await this.commit(cancelJob(this.current(), id));
      this.emitJob("job:cancelled", job);
      return;
    }
    if (flight.stopRequested) {
      await this.commit(fail(this.current(), id, { kind: "stopped", message: "stopped before it finished; it runs again when the batch resumes" }, true, this.options.now()));
      this.emitJob("job:queued", job);
      return;
    }
    if (error instanceof LlmError && error.kind === "spend_limit") {
      // Every other job would hit the same wall: back to the queue (nothing was recorded), and the whole
      // queue waits for the writer instead of failing the batch job by job.
      await this.commit(fail(this.current(), id, { kind: error.kind, message: error.message }, true, this.options.now()));
      this.emitJob("job:queued", job);
      this.pauseFor(PAUSE_SPEND_LIMIT);
      return;
    }
    // Retryable errors reach the runner only after the Llm layer's own retries (retry.ts) gave up, so
    // they fail the job too; the writer's `retry` brings it back. Dependents stay queued, unreachable.
    await this.failJob(id, { kind: error instanceof LlmError ? error.kind : "error", message: messageOf(error) });
  }

  private async failJob(id: string, error: JobError): Promise<void> {
    await this.commit(fail(this.current(), id, error, false, this.options.now()));
    this.emitJob("job:failed", findJob(this.current(), id), { error });
  }

  private pauseFor(reason: string): void {
    if (this.pausedFor !== undefined) return;
    this.pausedFor = reason;
    this.emit({ type: "queue:paused", reason });
  }

  // --- Persistence --------------------------------------------------------------------------------

  /**
   * Makes `next` the current state and saves it. Saves run one after another in the order the changes
   * were made, so the last save always holds the latest state. After a failed save nothing more is
   * saved: like a process that died there, the runner leaves the disk as it was.
   */
  private commit(next: QueueState): Promise<void> {
    this.state = next;
    const saved = this.saveTail.then(() => {
      if (this.fatal) throw this.fatal.error;
      return this.options.store.save(next);
    });
    this.saveTail = saved.catch((error: unknown) => this.die(error));
    return saved;
  }

  // A method rather than an inline check: TypeScript narrows `this.fatal` to undefined after `run` resets it
  // and cannot see the callbacks that set it meanwhile.
  private throwIfDead(): void {
    if (this.fatal) throw this.fatal.error;
  }

  private die(error: unknown): void {
    if (this.fatal) return;
    this.fatal = { error };
    for (const f of this.flights.values()) f.controller.abort();
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private current(): QueueState {
    if (!this.state) throw new Error("the runner has no batch");
    return this.state;
  }

  // --- Events -------------------------------------------------------------------------------------

  private emitJob(type: "job:queued" | "job:started" | "job:completed" | "job:cancelled", job: Job): void;
  private emitJob(type: "job:progress", job: Job, extra: { progress: JobProgress }): void;
  private emitJob(type: "job:failed", job: Job, extra: { error: JobError }): void;
  private emitJob(type: QueueEvent["type"], job: Job, extra: object = {}): void {
    this.emit({ type, jobId: job.id, kind: job.kind, chapter: job.chapter, ...extra } as QueueEvent);
  }

  private emit(event: QueueEvent): void {
    this.options.onEvent?.(event);
  }
}

const ZERO_USAGE: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/** Strings become the job's text and anything else its data, so a recovered output round-trips as given. */
function outputFields(output: unknown): Pick<JobOutput, "text" | "data"> {
  if (typeof output === "string") return { text: output };
  return output === undefined ? {} : { data: output };
}

function outputValue(output: JobOutput): unknown {
  return output.text ?? output.data;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
