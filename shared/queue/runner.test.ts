import { describe, expect, it } from "vitest";
import { LlmError } from "../llm/llm";
import { buildBatch } from "./graph";
import { MemoryJobStore, type JobStore } from "./job-store";
import { findJob, isApplyPending, recordOutput, start, totalCostUsd, type BatchMode, type Job, type JobKind, type QueueState } from "./jobs";
import { PAUSE_COST_CAP, PAUSE_SPEND_LIMIT, QueueRunner, type ExecuteContext, type ExecuteResult, type JobExecutor, type QueueEvent, type QueueRunnerOptions } from "./runner";

const NOW = 1_700_000_000_000;

function batch(chapters: number[], mode: BatchMode = "sequential", deviceId = "laptop"): QueueState {
  return buildBatch({ batchId: "b1", bookFolder: "Book", deviceId, chapters, mode, now: NOW });
}

/** A clock that moves one millisecond per reading, so timestamps are distinct and deterministic. */
function clock(): () => number {
  let t = NOW;
  return () => ++t;
}

/** Lets other promise chains run, so jobs started together really overlap. */
async function yieldTurns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Records every call. `apply` writes into a shared `book` keyed by idempotency key and skips a key it
 * already holds, as a real applier does with the key and start hash, so the book counts effective writes.
 */
class FakeExecutor implements JobExecutor {
  executed: string[] = [];
  applied: { id: string; output: unknown }[] = [];
  running = new Map<string, JobKind>();
  maxRunning = 0;
  maxByKind = new Map<JobKind, number>();
  /** Overrides `execute` for some jobs; return undefined to fall through to the default. */
  override?: (job: Job, context: ExecuteContext) => Promise<ExecuteResult> | undefined;
  costUsd?: number;
  estimateUsd?: number;

  constructor(readonly book = new Map<string, number>()) {}

  async execute(job: Job, context: ExecuteContext): Promise<ExecuteResult> {
    this.executed.push(job.id);
    this.running.set(job.id, job.kind);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    const ofKind = [...this.running.values()].filter((k) => k === job.kind).length;
    this.maxByKind.set(job.kind, Math.max(this.maxByKind.get(job.kind) ?? 0, ofKind));
    try {
      const custom = this.override?.(job, context);
      if (custom) return await custom;
      context.onProgress({ tokens: 10, stage: "drafting" });
      // Different lengths per job, so completions interleave rather than finish in start order.
      await yieldTurns(3 + ((job.chapter * 7 + job.id.length) % 5));
      const result: ExecuteResult = { output: `text of ${job.id}` };
      if (this.costUsd !== undefined) result.costUsd = this.costUsd;
      return result;
    } catch (error) {
      this.running.delete(job.id);
      throw error;
    }
  }

  /** A job holds its slot until applied, so `running` spans execute and apply. */
  async apply(job: Job, output: unknown): Promise<void> {
    this.applied.push({ id: job.id, output });
    await yieldTurns(2);
    this.running.delete(job.id);
    // The applier's own earlier write (same key) is recognised and not written again.
    if (this.book.has(job.idempotencyKey)) return;
    this.book.set(job.idempotencyKey, 1);
  }

  estimateCostUsd(): number {
    return this.estimateUsd ?? 0;
  }

  applyCount(id: string): number {
    return this.applied.filter((a) => a.id === id).length;
  }
}

/** A store that dies at its N-th save: that save and every later one throw, as if the process ended. */
class CrashingStore implements JobStore {
  saves = 0;
  constructor(
    readonly inner: MemoryJobStore,
    private readonly failAt: number,
  ) {}

  load(batchId?: string): Promise<QueueState | null> {
    return this.inner.load(batchId);
  }

  save(state: QueueState): Promise<void> {
    this.saves++;
    if (this.saves >= this.failAt) return Promise.reject(new Error(`crash at save ${this.saves}`));
    return this.inner.save(state);
  }
}

function runner(executor: JobExecutor, extra: Partial<QueueRunnerOptions> = {}): { runner: QueueRunner; store: MemoryJobStore; events: QueueEvent[] } {
  const store = new MemoryJobStore();
  const events: QueueEvent[] = [];
  const r = new QueueRunner({ store, executor, deviceId: "laptop", concurrency: 1, now: clock(), onEvent: (e) => events.push(e), ...extra });
  return { runner: r, store, events };
}

function states(state: QueueState): Record<string, string> {
  return Object.fromEntries(state.jobs.map((j) => [j.id, j.state]));
}

describe("QueueRunner", () => {
  it.each([1, 4])("runs a 3-chapter sequential batch once, in dependency order (concurrency %i)", async (concurrency) => {
    const executor = new FakeExecutor();
    const { runner: r, store } = runner(executor, { concurrency });
    const initial = batch([1, 2, 3]);
    const final = await r.run(initial);

    expect(final.jobs.every((j) => j.state === "succeeded")).toBe(true);
    expect([...executor.executed].sort()).toEqual(initial.jobs.map((j) => j.id).sort());
    for (const job of initial.jobs) {
      expect(executor.applyCount(job.id)).toBe(1);
      // Each dependency was applied (in the book) before the job was even executed.
      const executedAt = executor.executed.indexOf(job.id);
      for (const dep of job.dependsOn) {
        const appliedAt = executor.applied.findIndex((a) => a.id === dep);
        expect(appliedAt).toBeGreaterThanOrEqual(0);
        expect(executor.executed.indexOf(dep)).toBeLessThan(executedAt);
      }
    }
    // One save for recover, then start, record, applied+succeeded per job.
    expect(store.saves).toBe(1 + 3 * initial.jobs.length);
    expect(await store.load()).toEqual(final);
  });

  it.each<{ concurrency: number; byKind?: Partial<Record<JobKind, number>> }>([
    { concurrency: 1 },
    { concurrency: 3 },
    { concurrency: 4, byKind: { write: 1 } },
    { concurrency: 5, byKind: { brief: 2, seam: 1 } },
  ])("plan-ahead respects concurrency $concurrency and per-kind limits $byKind", async ({ concurrency, byKind }) => {
    const executor = new FakeExecutor();
    const options: Partial<QueueRunnerOptions> = { concurrency };
    if (byKind) options.concurrencyByKind = byKind;
    const { runner: r } = runner(executor, options);
    const final = await r.run(batch([1, 2, 3, 4], "plan-ahead"));

    expect(final.jobs.every((j) => j.state === "succeeded")).toBe(true);
    // Never above the limit, and really parallel when the limit allows it (four briefs are ready at once).
    expect(executor.maxRunning).toBeLessThanOrEqual(concurrency);
    if (concurrency > 1) expect(executor.maxRunning).toBeGreaterThan(1);
    for (const [kind, limit] of Object.entries(byKind ?? {})) {
      // Reached, not exceeded: more jobs of each limited kind than its limit become ready together.
      expect(executor.maxByKind.get(kind as JobKind)).toBe(limit);
    }
  });

  describe("crash at every point", () => {
    it.each<{ mode: BatchMode; concurrency: number }>([
      { mode: "sequential", concurrency: 1 },
      { mode: "plan-ahead", concurrency: 3 },
    ])("$mode, concurrency $concurrency: a fresh runner finishes without a second take or a double write", async ({ mode, concurrency }) => {
      const initial = batch([1, 2, 3], mode);
      const clean = runner(new FakeExecutor(), { concurrency });
      await clean.runner.run(initial);
      const totalSaves = clean.store.saves;
      expect(totalSaves).toBe(1 + 3 * initial.jobs.length);

      // Which crash points hit the interesting cases, so the test proves it exercised them.
      let recoveredOutputs = 0;
      let windowHits = 0;
      for (let n = 1; n <= totalSaves; n++) {
        const book = new Map<string, number>();
        const disk = new MemoryJobStore();
        const first = new FakeExecutor(book);
        const crashing = new CrashingStore(disk, n);
        const dying = new QueueRunner({ store: crashing, executor: first, deviceId: "laptop", concurrency, now: clock() });
        await expect(dying.run(initial), `crash at save ${n}`).rejects.toThrow(`crash at save ${n}`);

        // The next process starts from what reached the disk (nothing, when the very first save died).
        const saved = (await disk.load()) ?? initial;
        const second = new FakeExecutor(book);
        const fresh = new QueueRunner({ store: disk, executor: second, deviceId: "laptop", concurrency, now: clock() });
        const final = await fresh.run(saved);

        expect(final.jobs.every((j) => j.state === "succeeded"), `crash at save ${n}`).toBe(true);
        for (const job of initial.jobs) {
          const before = findJob(saved, job.id);
          // Every job is in the book exactly once.
          expect(book.get(job.idempotencyKey), `${job.id}, crash at save ${n}`).toBe(1);
          // A recorded output is applied, never paid for again.
          if (before.output) expect(second.executed, `${job.id}, crash at save ${n}`).not.toContain(job.id);
          // `apply` runs once, except in the window no runner can close (applied, but the save after it
          // lost): then the recorded output is applied again, and the idempotency key keeps it one write.
          const applyCalls = first.applyCount(job.id) + second.applyCount(job.id);
          const inWindow = isApplyPending(before) && first.applyCount(job.id) === 1;
          expect(applyCalls, `${job.id}, crash at save ${n}`).toBe(inWindow ? 2 : 1);
          if (isApplyPending(before)) recoveredOutputs++;
          if (inWindow) windowHits++;
        }
      }
      expect(recoveredOutputs).toBeGreaterThanOrEqual(initial.jobs.length);
      expect(windowHits).toBeGreaterThan(0);
    });
  });

  it("applies an output recorded before a crash without executing the job again", async () => {
    let state = batch([1]);
    state = recordOutput(start(state, "brief-1", NOW), "brief-1", { recordedAt: NOW, text: "the recorded brief" });
    const executor = new FakeExecutor();
    const { runner: r } = runner(executor);
    const final = await r.run(state);

    expect(executor.executed).not.toContain("brief-1");
    expect(executor.applied[0]).toEqual({ id: "brief-1", output: "the recorded brief" });
    expect(final.jobs.every((j) => j.state === "succeeded")).toBe(true);
  });

  it.each([
    { target: "write-1", cancelled: ["write-1"], succeeded: ["brief-1"] },
    { target: "all", cancelled: ["write-1", "continuity-1", "characters-1", "timeline-1"], succeeded: ["brief-1"] },
  ])("cancel($target) aborts the running job; nothing is applied", async ({ target, cancelled, succeeded }) => {
    const executor = new FakeExecutor();
    const entered = deferred();
    let sawAbort = false;
    executor.override = (job, { signal }) => {
      if (job.id !== "write-1") return undefined;
      entered.resolve();
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          sawAbort = true;
          reject(new LlmError("aborted", "request aborted"));
        });
      });
    };
    const { runner: r, events, store } = runner(executor);
    const running = r.run(batch([1]));
    await entered.promise;
    r.cancel(target);
    const final = await running;

    expect(sawAbort).toBe(true);
    expect(executor.applied.map((a) => a.id)).toEqual(["brief-1"]);
    const write = findJob(final, "write-1");
    expect(write.state).toBe("cancelled");
    expect(write.output).toBeUndefined();
    for (const id of cancelled) expect(findJob(final, id).state).toBe("cancelled");
    for (const id of succeeded) expect(findJob(final, id).state).toBe("succeeded");
    if (target !== "all") expect(findJob(final, "continuity-1").state).toBe("queued");
    expect(events).toContainEqual({ type: "job:cancelled", jobId: "write-1", kind: "write", chapter: 1 });
    expect(await store.load()).toEqual(final);
  });

  it("a spend limit pauses the whole queue instead of failing jobs; resume finishes it", async () => {
    const executor = new FakeExecutor();
    let hitLimit = false;
    executor.override = (job) => {
      if (job.id !== "write-1" || hitLimit) return undefined;
      hitLimit = true;
      return Promise.reject(new LlmError("spend_limit", "monthly spend limit reached", { status: 429 }));
    };
    const { runner: r, events } = runner(executor, { concurrency: 2 });
    const paused = await r.run(batch([1, 2]));

    expect(events).toContainEqual({ type: "queue:paused", reason: PAUSE_SPEND_LIMIT });
    expect(r.pauseReason).toBe(PAUSE_SPEND_LIMIT);
    const write = findJob(paused, "write-1");
    expect(write.state).toBe("queued");
    expect(write.error?.kind).toBe("spend_limit");
    expect(paused.jobs.some((j) => j.state === "failed")).toBe(false);
    // Nothing started after the limit was hit: only brief-1 and write-1 ever ran.
    expect(executor.executed).toEqual(["brief-1", "write-1"]);

    r.resume();
    const final = await r.run(paused);
    expect(final.jobs.every((j) => j.state === "succeeded")).toBe(true);
    expect(executor.executed.filter((id) => id === "write-1")).toHaveLength(2);
  });

  it.each<{ mode: BatchMode; concurrency: number }>([
    { mode: "sequential", concurrency: 1 },
    { mode: "plan-ahead", concurrency: 4 },
  ])("cost cap ($mode, concurrency $concurrency): never starts the job that would cross it", async ({ mode, concurrency }) => {
    const executor = new FakeExecutor();
    executor.costUsd = 1;
    executor.estimateUsd = 1;
    const { runner: r, events } = runner(executor, { concurrency, costCapUsd: 3.5 });
    const final = await r.run(batch([1, 2], mode));

    expect(executor.executed).toHaveLength(3);
    expect(totalCostUsd(final)).toBe(3);
    expect(events).toContainEqual({ type: "queue:paused", reason: PAUSE_COST_CAP });
    expect(final.jobs.filter((j) => j.state === "succeeded")).toHaveLength(3);
    expect(final.jobs.filter((j) => j.state === "queued").length).toBeGreaterThan(0);
  });

  it("takes the cost cap from the batch when the runner has none", async () => {
    const executor = new FakeExecutor();
    executor.costUsd = 1;
    executor.estimateUsd = 1;
    const { runner: r } = runner(executor);
    const final = await r.run({ ...batch([1]), costCapUsd: 1 });
    expect(executor.executed).toEqual(["brief-1"]);
    expect(r.pauseReason).toBe(PAUSE_COST_CAP);
    expect(totalCostUsd(final)).toBe(1);
  });

  it("refuses a queue that belongs to another device, naming both", async () => {
    const executor = new FakeExecutor();
    const { runner: r, store } = runner(executor);
    await expect(r.run(batch([1], "sequential", "phone"))).rejects.toThrow(/"phone".*"laptop"/);
    expect(store.saves).toBe(0);
    expect(executor.executed).toEqual([]);
  });

  it("a failed job leaves its dependents queued and the run resolves", async () => {
    const executor = new FakeExecutor();
    executor.override = (job) => (job.id === "write-1" ? Promise.reject(new Error("model said no")) : undefined);
    const { runner: r, events } = runner(executor, { concurrency: 2 });
    const final = await r.run(batch([1, 2]));

    expect(states(final)).toMatchObject({ "brief-1": "succeeded", "write-1": "failed", "continuity-1": "queued", "brief-2": "queued" });
    expect(findJob(final, "write-1").error).toEqual({ kind: "error", message: "model said no" });
    expect(events).toContainEqual({ type: "job:failed", jobId: "write-1", kind: "write", chapter: 1, error: { kind: "error", message: "model said no" } });
    expect(events.at(-1)).toEqual({ type: "queue:idle" });
  });

  it("pause lets the running job finish and starts nothing more until resume", async () => {
    const executor = new FakeExecutor();
    const { runner: r } = runner(executor);
    executor.override = (job) => {
      if (job.id === "brief-1") r.pause();
      return undefined;
    };
    const paused = await r.run(batch([1]));
    expect(states(paused)).toMatchObject({ "brief-1": "succeeded", "write-1": "queued" });
    expect(executor.executed).toEqual(["brief-1"]);

    r.resume();
    const final = await r.run(paused);
    expect(final.jobs.every((j) => j.state === "succeeded")).toBe(true);
  });

  it("emits queued → started → progress → completed for a job, and chapter:updated after a write", async () => {
    const { runner: r, events } = runner(new FakeExecutor());
    await r.run(batch([1]));

    const ref = { jobId: "brief-1", kind: "brief", chapter: 1 };
    expect(events.filter((e) => "jobId" in e && e.jobId === "brief-1")).toEqual([
      { type: "job:queued", ...ref },
      { type: "job:started", ...ref },
      { type: "job:progress", ...ref, progress: { tokens: 10, stage: "drafting" } },
      { type: "job:completed", ...ref },
    ]);
    const writeDone = events.findIndex((e) => e.type === "job:completed" && e.jobId === "write-1");
    expect(events[writeDone + 1]).toEqual({ type: "chapter:updated", jobId: "write-1", chapter: 1 });
    expect(events.filter((e) => e.type === "chapter:updated")).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: "queue:idle" });
  });
});
