/**
 * The queue's job model (DESIGN.md §4) as plain JSON data plus pure transitions.
 *
 * Plain data, because the state is persisted after every change (plugin data, a vault file, a CLI file)
 * and must round-trip through JSON unchanged. Pure functions returning a new state, because the runner
 * persists the returned state before it acts on it: "what happened" is always on disk before "what it did".
 *
 * The crash-safety contract lives here:
 * - a job's output is recorded (`recordOutput`) before it is applied to a note, then `markApplied`, then
 *   `succeed`; `succeed` refuses an unapplied output, so "succeeded" always means "in the book";
 * - `recover` turns jobs that were `running` when the process died back into `queued`, keeping any
 *   recorded output, so the runner applies that output instead of paying for (and writing) a second take;
 * - every job carries an idempotency key stable across restarts, so an applier can tell its own earlier
 *   write from a new one.
 */
import * as z from "zod";
import { addUsage as sumUsage, type LlmUsage } from "../llm/llm";

/** Bumped when the persisted shape changes incompatibly; loaders refuse versions they do not know. */
export const QUEUE_FORMAT_VERSION = 1;

export type JobKind = "brief" | "write" | "continuity" | "characters" | "timeline" | "seam";
export const JOB_KINDS: readonly JobKind[] = ["brief", "write", "continuity", "characters", "timeline", "seam"];

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "paused";
export type BatchMode = "sequential" | "plan-ahead";

/** What the model produced, kept in the queue state until it is in the book (and after, for the record). */
export interface JobOutput {
  /** Epoch milliseconds when the output was recorded (before anything touched a note). */
  recordedAt: number;
  /** True once the output is in the note (or kept as an alternative take when the writer edited meanwhile). */
  applied: boolean;
  appliedAt?: number;
  /** The generated text, when the job produces text (briefs, chapters, summaries). */
  text?: string;
  /** Structured results (check findings), JSON-serialisable. */
  data?: unknown;
  /** Where the output was stored as a revision before it touched the note (DESIGN.md §4, rule 6). */
  revisionPath?: string;
}

export interface JobError {
  /** A machine-readable class ("rate-limit", "overloaded", "invalid-output", "conflict"…). */
  kind: string;
  message: string;
}

export interface Job {
  /** Unique within the batch, e.g. `write-3`, `seam-2-3`. */
  id: string;
  kind: JobKind;
  /** The chapter the job is about; for a seam, the later chapter of the pair. */
  chapter: number;
  /** For a seam job: the earlier chapter of the pair. */
  previousChapter?: number;
  /** Ids of jobs that must have succeeded before this one may start. */
  dependsOn: string[];
  state: JobState;
  /** How many times the job was started (a retry after a crash counts). */
  attempts: number;
  /** Stable from batch id + kind + chapter, so it survives restarts and devices. */
  idempotencyKey: string;
  /** Higher runs first among ready jobs (p-queue's convention). */
  priority: number;
  startedAt?: number;
  finishedAt?: number;
  /** The note's body hash when the job started, for compare-and-swap on write (DESIGN.md §4, rule 2). */
  startHash?: string;
  output?: JobOutput;
  /** The last failure; kept after a retry so the history explains the attempt count. */
  error?: JobError;
  /** Tokens spent by all attempts together (a failed attempt costs too). */
  usage?: LlmUsage;
  costUsd?: number;
}

export interface QueueState {
  version: typeof QUEUE_FORMAT_VERSION;
  batchId: string;
  /** Vault-relative path of the book's folder. */
  bookFolder: string;
  /** The device that started the batch and alone may run it. */
  deviceId: string;
  mode: BatchMode;
  jobs: Job[];
  createdAt: number;
  costCapUsd?: number;
}

/** Thrown when a transition is not allowed from the job's current state; the message names the job. */
export class JobTransitionError extends Error {
  constructor(
    readonly jobId: string,
    message: string,
  ) {
    super(`job ${jobId}: ${message}`);
    this.name = "JobTransitionError";
  }
}

/** The idempotency key of a job: the same batch, kind and chapter always give the same key. */
export function idempotencyKey(batchId: string, kind: JobKind, chapter: number): string {
  return `${batchId}/${kind}/${chapter}`;
}

export function findJob(state: QueueState, id: string): Job {
  const job = state.jobs.find((j) => j.id === id);
  if (!job) throw new JobTransitionError(id, `no such job in batch ${state.batchId}`);
  return job;
}

/** Output recorded but not yet in the note: the runner must apply it instead of calling the model again. */
export function isApplyPending(job: Job): boolean {
  return job.output !== undefined && !job.output.applied;
}

/**
 * Queued jobs whose dependencies all succeeded, highest priority first, then by chapter, then by id
 * (so the order is total and two devices or two runs agree on it).
 */
export function ready(state: QueueState): Job[] {
  const byId = new Map(state.jobs.map((j) => [j.id, j]));
  return state.jobs
    .filter((j) => j.state === "queued" && j.dependsOn.every((d) => byId.get(d)?.state === "succeeded"))
    .sort((a, b) => b.priority - a.priority || a.chapter - b.chapter || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** queued → running. Refuses a job whose dependencies have not all succeeded. */
export function start(state: QueueState, id: string, now: number, startHash?: string): QueueState {
  const job = findJob(state, id);
  expectState(job, ["queued"], "start");
  const waiting = job.dependsOn.filter((d) => findJob(state, d).state !== "succeeded");
  if (waiting.length > 0) throw new JobTransitionError(id, `cannot start: waiting for ${waiting.join(", ")}`);
  return update(state, id, (j) => {
    const next: Job = { ...j, state: "running", attempts: j.attempts + 1, startedAt: now };
    delete next.finishedAt;
    // A job resumed with a recorded output keeps the hash it was generated against: the applier must
    // compare the note with what the model saw, not with the note as it is after the crash.
    if (startHash !== undefined && !(j.output && j.startHash !== undefined)) next.startHash = startHash;
    return next;
  });
}

/**
 * Records the model's output on a running job, before anything is written to a note. Recording twice is
 * refused: a second take would mean a chapter written twice.
 */
export function recordOutput(state: QueueState, id: string, output: Omit<JobOutput, "applied" | "appliedAt">): QueueState {
  const job = findJob(state, id);
  expectState(job, ["running"], "record output");
  if (job.output) throw new JobTransitionError(id, "an output is already recorded; apply it instead of recording another");
  return update(state, id, (j) => ({ ...j, output: { ...output, applied: false } }));
}

/** The recorded output is now in the note. */
export function markApplied(state: QueueState, id: string, now: number): QueueState {
  const job = findJob(state, id);
  expectState(job, ["running"], "mark applied");
  if (!job.output) throw new JobTransitionError(id, "cannot mark applied: no output was recorded");
  if (job.output.applied) throw new JobTransitionError(id, "the output is already applied");
  const output = job.output;
  return update(state, id, (j) => ({ ...j, output: { ...output, applied: true, appliedAt: now } }));
}

/** running → succeeded. A recorded output must have been applied first. */
export function succeed(state: QueueState, id: string, now: number): QueueState {
  const job = findJob(state, id);
  expectState(job, ["running"], "succeed");
  if (isApplyPending(job)) throw new JobTransitionError(id, "cannot succeed: the recorded output is not applied yet");
  return update(state, id, (j) => {
    const next: Job = { ...j, state: "succeeded", finishedAt: now };
    delete next.error;
    return next;
  });
}

/**
 * running → queued (retryable: rate limits, overload, network) or failed (the runner gave up). A
 * recorded output is kept either way, so a retry applies it rather than generating again.
 */
export function fail(state: QueueState, id: string, error: JobError, retryable: boolean, now: number): QueueState {
  const job = findJob(state, id);
  expectState(job, ["running"], "fail");
  return update(state, id, (j) => ({ ...j, state: retryable ? "queued" : "failed", error: { ...error }, finishedAt: now }));
}

/**
 * Cancels one job (any state but succeeded) or, with "all", every job not yet finished. Cancelling keeps
 * a recorded output in the state: `retry` can bring the job back and apply it.
 */
export function cancel(state: QueueState, id: string): QueueState {
  if (id === "all") return mapJobs(state, (j) => (isOpen(j) ? { ...j, state: "cancelled" } : j));
  const job = findJob(state, id);
  expectState(job, ["queued", "running", "paused", "failed"], "cancel");
  return update(state, id, (j) => ({ ...j, state: "cancelled" }));
}

/** queued or running → paused (a running job's request is aborted by the runner). "all" pauses every open job. */
export function pause(state: QueueState, id: string): QueueState {
  if (id === "all") return mapJobs(state, (j) => (j.state === "queued" || j.state === "running" ? { ...j, state: "paused" } : j));
  expectState(findJob(state, id), ["queued", "running"], "pause");
  return update(state, id, (j) => ({ ...j, state: "paused" }));
}

/** paused → queued. "all" resumes every paused job. */
export function resume(state: QueueState, id: string): QueueState {
  if (id === "all") return mapJobs(state, (j) => (j.state === "paused" ? { ...j, state: "queued" } : j));
  expectState(findJob(state, id), ["paused"], "resume");
  return update(state, id, (j) => ({ ...j, state: "queued" }));
}

/** failed or cancelled → queued, keeping attempts, error and any recorded output. */
export function retry(state: QueueState, id: string): QueueState {
  expectState(findJob(state, id), ["failed", "cancelled"], "retry");
  return update(state, id, (j) => ({ ...j, state: "queued" }));
}

/** Adds one attempt's spend to the job; allowed in any state, because a cancelled request was still billed. */
export function addUsage(state: QueueState, id: string, usage: LlmUsage, costUsd: number): QueueState {
  findJob(state, id);
  return update(state, id, (j) => ({ ...j, usage: j.usage ? sumUsage(j.usage, usage) : { ...usage }, costUsd: (j.costUsd ?? 0) + costUsd }));
}

/** What the batch has cost so far, for the cost cap and the progress view. */
export function totalCostUsd(state: QueueState): number {
  return state.jobs.reduce((sum, j) => sum + (j.costUsd ?? 0), 0);
}

/**
 * After a crash or restart: nothing is running any more. A job left `running` goes back to `queued`;
 * if its output was recorded it stays recorded (apply pending), and if it was even applied, the only step
 * missing was `succeed`, so it succeeds now rather than be applied twice.
 */
export function recover(state: QueueState, now: number): QueueState {
  return mapJobs(state, (j) => {
    if (j.state !== "running") return j;
    if (j.output?.applied) return { ...j, state: "succeeded", finishedAt: now };
    return { ...j, state: "queued" };
  });
}

/** A queue runs only on the device that started it; other devices show it (DESIGN.md §4). */
export function belongsTo(state: QueueState, deviceId: string): boolean {
  return state.deviceId === deviceId;
}

/**
 * The writer's explicit "take over" on another device. Whatever the old device had running is treated as
 * a crash (it may never report back), so the new owner recovers first.
 */
export function takeOver(state: QueueState, deviceId: string, now: number): QueueState {
  return { ...recover(state, now), deviceId };
}

// `cancel`, `pause` and `resume` take a job id or "all" (typed as plain `string`: the literal adds nothing
// to the type, lint says); job ids are `<kind>-<chapter>`, so no job is ever called "all".
function isOpen(job: Job): boolean {
  return job.state === "queued" || job.state === "running" || job.state === "paused";
}

function expectState(job: Job, allowed: readonly JobState[], action: string): void {
  if (!allowed.includes(job.state)) {
    throw new JobTransitionError(job.id, `cannot ${action} a ${job.state} job (allowed from: ${allowed.join(", ")})`);
  }
}

function update(state: QueueState, id: string, change: (job: Job) => Job): QueueState {
  return mapJobs(state, (j) => (j.id === id ? change(j) : j));
}

function mapJobs(state: QueueState, change: (job: Job) => Job): QueueState {
  return { ...state, jobs: state.jobs.map(change) };
}

// --- Persisted format -------------------------------------------------------------------------------

const usageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationInputTokens: z.number(),
  cacheReadInputTokens: z.number(),
  cacheCreation: z.object({ ephemeral5mInputTokens: z.number(), ephemeral1hInputTokens: z.number() }).optional(),
});

const jobSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(["brief", "write", "continuity", "characters", "timeline", "seam"]),
  chapter: z.number(),
  previousChapter: z.number().optional(),
  dependsOn: z.array(z.string()),
  state: z.enum(["queued", "running", "succeeded", "failed", "cancelled", "paused"]),
  attempts: z.number().int().nonnegative(),
  idempotencyKey: z.string().min(1),
  priority: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  startHash: z.string().optional(),
  output: z
    .object({
      recordedAt: z.number(),
      applied: z.boolean(),
      appliedAt: z.number().optional(),
      text: z.string().optional(),
      data: z.unknown().optional(),
      revisionPath: z.string().optional(),
    })
    .optional(),
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  usage: usageSchema.optional(),
  costUsd: z.number().optional(),
});

const stateSchema = z.object({
  version: z.literal(QUEUE_FORMAT_VERSION),
  batchId: z.string().min(1),
  bookFolder: z.string(),
  deviceId: z.string().min(1),
  mode: z.enum(["sequential", "plan-ahead"]),
  jobs: z.array(jobSchema),
  createdAt: z.number(),
  costCapUsd: z.number().optional(),
});

/**
 * Parses persisted queue JSON. Throws an Error saying what is wrong (bad JSON, unknown version, which
 * field is off) so stores can report it to the writer; it never guesses at a partial state.
 */
export function parseQueueState(text: string): QueueState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("expected a JSON object");
  const version = (raw as { version?: unknown }).version;
  if (version !== QUEUE_FORMAT_VERSION) {
    throw new Error(`unknown queue format version ${JSON.stringify(version)} (this Bookwright reads version ${QUEUE_FORMAT_VERSION})`);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid queue state: ${z.prettifyError(parsed.error)}`);
  const state: QueueState = parsed.data;
  const ids = new Set<string>();
  for (const job of state.jobs) {
    if (ids.has(job.id)) throw new Error(`invalid queue state: job id ${job.id} appears twice`);
    ids.add(job.id);
  }
  for (const job of state.jobs) {
    const missing = job.dependsOn.filter((d) => !ids.has(d));
    if (missing.length > 0) throw new Error(`invalid queue state: job ${job.id} depends on unknown ${missing.join(", ")}`);
  }
  return state;
}

/** The persisted text: stable key order (as built) and indented, so a synced file diffs readably. */
export function serializeQueueState(state: QueueState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}
