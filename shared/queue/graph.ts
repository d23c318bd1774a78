/**
 * Builds a batch's job graph (DESIGN.md §4) and measures it.
 *
 * Sequential mode chains chapters: chapter N's brief needs chapter N-1's summary, which its continuity
 * job produces, so a book is written in order and each brief knows what really happened before.
 * Plan-ahead mode briefs every chapter from the outline at once, writes in parallel, and then checks each
 * seam between consecutive chapters, trading a little coherence for a much shorter wall-clock time.
 * `idealMakespan` puts a number on that trade for the schedule benchmark.
 */
import { idempotencyKey, QUEUE_FORMAT_VERSION, type BatchMode, type Job, type JobKind, type QueueState } from "./jobs";

export interface BatchSpec {
  batchId: string;
  bookFolder: string;
  deviceId: string;
  chapters: number[];
  mode: BatchMode;
  now: number;
  costCapUsd?: number;
}

/**
 * Priorities among ready jobs (higher first). Sequential: the continuity job unblocks the next chapter's
 * brief, so it goes before side checks. Plan-ahead: briefs first ("all briefs first"), then writers, then
 * the seams that read two chapters, then per-chapter checks.
 */
const PRIORITY: Record<BatchMode, Record<JobKind, number>> = {
  sequential: { brief: 30, write: 30, continuity: 40, characters: 10, timeline: 10, seam: 20 },
  "plan-ahead": { brief: 40, write: 30, seam: 20, continuity: 10, characters: 10, timeline: 10 },
};

export function jobId(kind: JobKind, chapter: number, previousChapter?: number): string {
  return previousChapter === undefined ? `${kind}-${chapter}` : `${kind}-${previousChapter}-${chapter}`;
}

/** How far the writer's open chapter is lifted above every other job of its kind and stage. */
export const OPEN_CHAPTER_BOOST = 100;

/**
 * The chapter the writer has open goes first (DESIGN.md §4): its unfinished jobs are lifted above the
 * others, and every other job goes back to its kind's usual priority. `null` lifts nothing. Dependencies
 * still hold: in sequential mode an open chapter waits for the one before it like any other.
 */
export function prioritizeChapter(state: QueueState, chapter: number | null): QueueState {
  return {
    ...state,
    jobs: state.jobs.map((job) => {
      const base = PRIORITY[state.mode][job.kind];
      const priority = chapter !== null && job.chapter === chapter ? base + OPEN_CHAPTER_BOOST : base;
      return priority === job.priority ? job : { ...job, priority };
    }),
  };
}

export function buildBatch(spec: BatchSpec): QueueState {
  const chapters = [...new Set(spec.chapters)].sort((a, b) => a - b);
  const inBatch = new Set(chapters);
  const jobs: Job[] = [];
  const add = (kind: JobKind, chapter: number, dependsOn: string[], previousChapter?: number): void => {
    const job: Job = {
      id: jobId(kind, chapter, previousChapter),
      kind,
      chapter,
      dependsOn,
      state: "queued",
      attempts: 0,
      idempotencyKey: idempotencyKey(spec.batchId, kind, chapter),
      priority: PRIORITY[spec.mode][kind],
    };
    if (previousChapter !== undefined) job.previousChapter = previousChapter;
    jobs.push(job);
  };

  for (const chapter of chapters) {
    // A chapter before the batch (or outside it) already has its summary in the book, so only a previous
    // chapter being written in this batch holds the brief back.
    const briefDeps = spec.mode === "sequential" && inBatch.has(chapter - 1) ? [jobId("continuity", chapter - 1)] : [];
    add("brief", chapter, briefDeps);
    add("write", chapter, [jobId("brief", chapter)]);
    for (const check of ["continuity", "characters", "timeline"] as const) add(check, chapter, [jobId("write", chapter)]);
  }
  if (spec.mode === "plan-ahead") {
    // Seams join chapters that are consecutive in the batch; each needs both sides written.
    for (let i = 1; i < chapters.length; i++) {
      const before = chapters[i - 1]!;
      const after = chapters[i]!;
      add("seam", after, [jobId("write", before), jobId("write", after)], before);
    }
  }

  const state: QueueState = {
    version: QUEUE_FORMAT_VERSION,
    batchId: spec.batchId,
    bookFolder: spec.bookFolder,
    deviceId: spec.deviceId,
    mode: spec.mode,
    jobs,
    createdAt: spec.now,
  };
  if (spec.costCapUsd !== undefined) state.costCapUsd = spec.costCapUsd;
  return state;
}

export interface ScheduleOptions {
  /** How many jobs may run at once. */
  concurrency: number;
  /** Expected duration of a job, in any unit (the results are in the same unit). */
  durationOf: (job: Job) => number;
}

/** Jobs in an order where every job comes after its dependencies; throws on a cycle or unknown dependency. */
export function topologicalOrder(state: QueueState): Job[] {
  const byId = new Map(state.jobs.map((j) => [j.id, j]));
  const order: Job[] = [];
  const mark = new Map<string, "visiting" | "done">();
  const visit = (job: Job, path: string[]): void => {
    const seen = mark.get(job.id);
    if (seen === "done") return;
    if (seen === "visiting") throw new Error(`the job graph has a cycle: ${[...path, job.id].join(" → ")}`);
    mark.set(job.id, "visiting");
    for (const dep of job.dependsOn) {
      const depJob = byId.get(dep);
      if (!depJob) throw new Error(`job ${job.id} depends on unknown job ${dep}`);
      visit(depJob, [...path, job.id]);
    }
    mark.set(job.id, "done");
    order.push(job);
  };
  for (const job of state.jobs) visit(job, []);
  return order;
}

/** The longest chain of dependent jobs by duration: no schedule, however wide, finishes sooner. */
export function criticalPath(state: QueueState, durationOf: (job: Job) => number): { length: number; jobs: string[] } {
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const job of topologicalOrder(state)) {
    let start = 0;
    let from: string | undefined;
    for (const dep of job.dependsOn) {
      const f = finish.get(dep)!;
      if (from === undefined || f > start) {
        start = f;
        from = dep;
      }
    }
    finish.set(job.id, start + durationOf(job));
    via.set(job.id, from);
  }
  let end: string | undefined;
  for (const [id, f] of finish) if (end === undefined || f > finish.get(end)!) end = id;
  const jobs: string[] = [];
  for (let id = end; id !== undefined; id = via.get(id)) jobs.unshift(id);
  return { length: end === undefined ? 0 : finish.get(end)!, jobs };
}

/**
 * The ideal makespan: the lower bound max(critical path, total work / concurrency) that any schedule
 * with `concurrency` workers is measured against. Graham's list-scheduling guarantee says the greedy
 * schedule ({@link listScheduleMakespan}) is within (2 - 1/m) of the optimum, hence of this bound's
 * neighbourhood; the benchmark reports the ratio.
 */
export function idealMakespan(state: QueueState, options: ScheduleOptions): number {
  if (options.concurrency < 1) throw new Error(`concurrency must be at least 1, got ${options.concurrency}`);
  const work = state.jobs.reduce((sum, j) => sum + options.durationOf(j), 0);
  return Math.max(criticalPath(state, options.durationOf).length, work / options.concurrency);
}

/**
 * The makespan of greedy list scheduling: whenever a worker is free, it takes the first ready job in
 * {@link ready}'s order (priority, then chapter). This is what the runner does, with known durations.
 */
export function listScheduleMakespan(state: QueueState, options: ScheduleOptions): number {
  if (options.concurrency < 1) throw new Error(`concurrency must be at least 1, got ${options.concurrency}`);
  const order = topologicalOrder(state);
  const finished = new Map<string, number>();
  const running: { id: string; end: number }[] = [];
  const pending = new Set(order.map((j) => j.id));
  let now = 0;
  const byPriority = [...state.jobs].sort((a, b) => b.priority - a.priority || a.chapter - b.chapter || (a.id < b.id ? -1 : 1));
  while (pending.size > 0 || running.length > 0) {
    for (const job of byPriority) {
      if (running.length >= options.concurrency) break;
      if (!pending.has(job.id)) continue;
      if (!job.dependsOn.every((d) => (finished.get(d) ?? Infinity) <= now)) continue;
      pending.delete(job.id);
      running.push({ id: job.id, end: now + options.durationOf(job) });
    }
    if (running.length === 0) break;
    running.sort((a, b) => a.end - b.end);
    const next = running.shift()!;
    now = next.end;
    finished.set(next.id, next.end);
    // Everything ending at the same moment frees its worker now too.
    while (running.length > 0 && running[0]!.end === now) finished.set(running.shift()!.id, now);
  }
  return now;
}
