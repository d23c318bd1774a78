/**
 * What a running batch looks like to the writer: a pure model fed with the runner's events (and the
 * persisted state, for costs and what events cannot say), the plain words for failures and pauses, and a
 * renderer that turns it into text lines. Shared by `bookwright generate` (companion/cli-display/terminal.ts
 * draws the lines) and the plugin's queue panel (which builds DOM from the same model), so both say the
 * same thing about the same batch.
 *
 * Nothing here reads a clock or the terminal: time arrives as `now` with every event and every render, the
 * width and whether to color come with the render call, so the output is a function of its inputs and the
 * tests compare whole lines.
 */
import { totalCostUsd, type JobError, type JobKind, type JobState, type QueueState } from "./jobs";
import { PAUSE_BY_WRITER, PAUSE_COST_CAP, PAUSE_SPEND_LIMIT, type QueueEvent } from "./runner";

/** Expected length of a chapter when the outline names no target. */
export const DEFAULT_TARGET_WORDS = 3000;
/** Expected output of a job that is not a chapter (brief, checks, seam), in tokens. */
export const DEFAULT_EXPECTED_TOKENS = 1500;

export interface ProgressModelOptions {
  /** The writer's target length of a chapter; undefined falls back to {@link DEFAULT_TARGET_WORDS}. */
  targetWordsByChapter?: (chapter: number) => number | undefined;
  /** Expected output tokens of the jobs that are not `write`; missing kinds use {@link DEFAULT_EXPECTED_TOKENS}. */
  expectedTokensByKind?: Partial<Record<JobKind, number>>;
  /** How many jobs run at once (the runner's `concurrency`); the batch ETA divides the remaining work by it. */
  concurrency?: number;
  /** Overrides the batch's own cost cap, as the runner's option does. */
  costCapUsd?: number;
}

/** A running job as the display sees it. `done` and `expected` are in `unit`: words for `write`, else tokens. */
export interface RunningJobProgress {
  jobId: string;
  kind: JobKind;
  chapter: number;
  previousChapter?: number;
  stage?: string;
  /** Tokens streamed so far. */
  tokens: number;
  /** Words written so far. */
  words: number;
  startedAt: number;
  unit: "words" | "tokens";
  done: number;
  expected: number;
}

export interface FailedJobInfo {
  jobId: string;
  kind: JobKind;
  chapter: number;
  previousChapter?: number;
  attempts: number;
  error: JobError;
  /** When the job failed, if known (the event's time, or the job's `finishedAt`). */
  failedAt?: number;
}

export interface BatchCounts {
  total: number;
  succeeded: number;
  running: number;
  failed: number;
  cancelled: number;
  /** Queued or paused: still to run. */
  waiting: number;
  /** Chapters in the batch (those with a `write` job) and how many of them are written. */
  chapters: number;
  chaptersWritten: number;
}

/** The progress of one running job, as reported by `job:progress` so far. */
export interface JobFlight {
  startedAt: number;
  tokens: number;
  words: number;
  stage?: string;
}

interface JobView {
  id: string;
  kind: JobKind;
  chapter: number;
  previousChapter?: number;
  state: JobState;
  attempts: number;
  /** Known only from the persisted state. */
  dependsOn?: string[];
  startedAt?: number;
  error?: JobError;
  failedAt?: number;
}

export class ProgressModel {
  private state: QueueState | undefined;
  /** Every job known, in batch order (the state's order, then jobs seen only in events). */
  private jobs = new Map<string, JobView>();
  private readonly flights = new Map<string, JobFlight>();
  /** Durations of succeeded jobs, by job id so a job seen in both an event and the state counts once. */
  private readonly durations = new Map<string, { kind: JobKind; ms: number }>();
  private pausedFor: string | undefined;
  private idleNow = false;
  private lastNow: number | undefined;

  constructor(private readonly options: ProgressModelOptions = {}) {}

  /** The latest persisted state: job list, dependencies, attempts, errors and costs. */
  setState(state: QueueState): void {
    this.state = state;
    const jobs = new Map<string, JobView>();
    for (const job of state.jobs) {
      const view: JobView = { id: job.id, kind: job.kind, chapter: job.chapter, state: job.state, attempts: job.attempts, dependsOn: job.dependsOn };
      if (job.previousChapter !== undefined) view.previousChapter = job.previousChapter;
      if (job.startedAt !== undefined) view.startedAt = job.startedAt;
      if (job.error) view.error = job.error;
      const failedAt = job.state === "failed" ? (job.finishedAt ?? this.jobs.get(job.id)?.failedAt) : undefined;
      if (failedAt !== undefined) view.failedAt = failedAt;
      jobs.set(job.id, view);
      if (job.state === "succeeded" && job.startedAt !== undefined && job.finishedAt !== undefined && !this.durations.has(job.id)) {
        this.durations.set(job.id, { kind: job.kind, ms: Math.max(0, job.finishedAt - job.startedAt) });
      }
      // Attached in the middle of a run (or the save came before the event): track it from its start.
      if (job.state === "running" && !this.flights.has(job.id)) {
        this.flights.set(job.id, { startedAt: job.startedAt ?? this.lastNow ?? 0, tokens: 0, words: 0 });
      }
    }
    // Jobs known only from events (never from a state) stay, after the state's own.
    for (const [id, view] of this.jobs) if (!jobs.has(id) && view.dependsOn === undefined) jobs.set(id, view);
    this.jobs = jobs;
  }

  /** One event from the runner, at `now` (epoch milliseconds). */
  apply(event: QueueEvent, now: number): void {
    this.lastNow = now;
    switch (event.type) {
      case "job:queued": {
        this.view(event).state = "queued";
        this.flights.delete(event.jobId);
        break;
      }
      case "job:started": {
        const view = this.view(event);
        view.state = "running";
        view.startedAt = now;
        this.flights.set(event.jobId, { startedAt: now, tokens: 0, words: 0 });
        this.idleNow = false;
        break;
      }
      case "job:progress": {
        const view = this.view(event);
        view.state = "running";
        let flight = this.flights.get(event.jobId);
        if (!flight) {
          flight = { startedAt: view.startedAt ?? now, tokens: 0, words: 0 };
          this.flights.set(event.jobId, flight);
        }
        const { tokens, words, stage } = event.progress;
        if (tokens !== undefined) flight.tokens = tokens;
        if (words !== undefined) flight.words = words;
        if (stage !== undefined) flight.stage = stage;
        break;
      }
      case "job:completed": {
        const view = this.view(event);
        const startedAt = this.flights.get(event.jobId)?.startedAt ?? view.startedAt;
        if (startedAt !== undefined && !this.durations.has(event.jobId)) {
          this.durations.set(event.jobId, { kind: event.kind, ms: Math.max(0, now - startedAt) });
        }
        view.state = "succeeded";
        delete view.error;
        this.flights.delete(event.jobId);
        break;
      }
      case "job:failed": {
        const view = this.view(event);
        view.state = "failed";
        view.error = event.error;
        view.failedAt = now;
        this.flights.delete(event.jobId);
        break;
      }
      case "job:cancelled": {
        this.view(event).state = "cancelled";
        this.flights.delete(event.jobId);
        break;
      }
      case "chapter:updated":
        break;
      case "queue:paused":
        this.pausedFor = event.reason;
        break;
      case "queue:idle":
        this.idleNow = true;
        this.flights.clear();
        break;
    }
  }

  /**
   * The runner announces pauses but not their end (`resume()` is the caller's own call): a caller that
   * resumes a paused runner in the same process says so here.
   */
  resume(): void {
    this.pausedFor = undefined;
  }

  get queueState(): QueueState | undefined {
    return this.state;
  }

  /** Why the queue is paused (the runner's reason), or undefined. */
  get pauseReason(): string | undefined {
    return this.pausedFor;
  }

  /** True after `queue:idle`, until a job starts again. */
  get idle(): boolean {
    return this.idleNow;
  }

  counts(): BatchCounts {
    const counts: BatchCounts = { total: 0, succeeded: 0, running: 0, failed: 0, cancelled: 0, waiting: 0, chapters: 0, chaptersWritten: 0 };
    for (const job of this.jobs.values()) {
      counts.total++;
      if (job.state === "succeeded") counts.succeeded++;
      else if (job.state === "running") counts.running++;
      else if (job.state === "failed") counts.failed++;
      else if (job.state === "cancelled") counts.cancelled++;
      else counts.waiting++;
      if (job.kind === "write") {
        counts.chapters++;
        if (job.state === "succeeded") counts.chaptersWritten++;
      }
    }
    return counts;
  }

  /** What the job is (kind, chapter, and a seam's previous chapter), or undefined for a job never seen. */
  jobRef(jobId: string): { kind: JobKind; chapter: number; previousChapter?: number } | undefined {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    const previous = previousChapterOf(job);
    return previous === undefined ? { kind: job.kind, chapter: job.chapter } : { kind: job.kind, chapter: job.chapter, previousChapter: previous };
  }

  /** A running job's progress so far (a copy), or undefined when it is not running. */
  flightOf(jobId: string): JobFlight | undefined {
    const flight = this.flights.get(jobId);
    return flight ? { ...flight } : undefined;
  }

  /** Running jobs, longest-running first (then by chapter and id). */
  running(): RunningJobProgress[] {
    const out: RunningJobProgress[] = [];
    for (const job of this.jobs.values()) {
      const flight = this.flights.get(job.id);
      if (job.state !== "running" || !flight) continue;
      const isWrite = job.kind === "write";
      const progress: RunningJobProgress = {
        jobId: job.id,
        kind: job.kind,
        chapter: job.chapter,
        tokens: flight.tokens,
        words: flight.words,
        startedAt: flight.startedAt,
        unit: isWrite ? "words" : "tokens",
        done: isWrite ? flight.words : flight.tokens,
        expected: this.expectedSize(job.kind, job.chapter),
      };
      const previous = previousChapterOf(job);
      if (previous !== undefined) progress.previousChapter = previous;
      if (flight.stage !== undefined) progress.stage = flight.stage;
      out.push(progress);
    }
    return out.sort((a, b) => a.startedAt - b.startedAt || a.chapter - b.chapter || compare(a.jobId, b.jobId));
  }

  /** Jobs that failed and stay failed until the writer retries them, in batch order. */
  failed(): FailedJobInfo[] {
    const out: FailedJobInfo[] = [];
    for (const job of this.jobs.values()) {
      if (job.state !== "failed") continue;
      const info: FailedJobInfo = {
        jobId: job.id,
        kind: job.kind,
        chapter: job.chapter,
        attempts: job.attempts,
        error: job.error ?? { kind: "unknown", message: "failed without a reason on record" },
      };
      const previous = previousChapterOf(job);
      if (previous !== undefined) info.previousChapter = previous;
      if (job.failedAt !== undefined) info.failedAt = job.failedAt;
      out.push(info);
    }
    return out;
  }

  /** The size a job is measured against: the chapter's target words for `write`, else expected tokens. */
  expectedSize(kind: JobKind, chapter: number): number {
    if (kind === "write") return this.options.targetWordsByChapter?.(chapter) ?? DEFAULT_TARGET_WORDS;
    return this.options.expectedTokensByKind?.[kind] ?? DEFAULT_EXPECTED_TOKENS;
  }

  /** Tokens per second since the job started, or undefined before any time has passed. */
  tokensPerSecond(job: RunningJobProgress, now: number): number | undefined {
    const elapsed = now - job.startedAt;
    return elapsed > 0 ? (job.tokens * 1000) / elapsed : undefined;
  }

  /**
   * Milliseconds until the job is done at its rate so far (words or tokens per second × what remains);
   * undefined until it has produced something. 0 once it has reached its expected size.
   */
  jobEtaMs(job: RunningJobProgress, now: number): number | undefined {
    const elapsed = now - job.startedAt;
    if (elapsed <= 0 || job.done <= 0) return undefined;
    const remaining = Math.max(0, job.expected - job.done);
    return (remaining * elapsed) / job.done;
  }

  /** Mean duration of the succeeded jobs of a kind, or undefined when none has finished. */
  averageDurationMs(kind: JobKind): number | undefined {
    let sum = 0;
    let n = 0;
    for (const d of this.durations.values()) {
      if (d.kind !== kind) continue;
      sum += d.ms;
      n++;
    }
    return n > 0 ? sum / n : undefined;
  }

  /**
   * Milliseconds until the batch is done: each waiting job costs the average duration of its kind so far
   * (or, before any job of that kind finished, the projected duration of one running now), each running
   * job its own ETA; the sum is spread over the concurrency, and the batch cannot end before its slowest
   * running job does. Jobs stuck behind a failed or cancelled one are left out: they will not run.
   * Undefined while some remaining kind has no estimate yet; 0 when nothing remains.
   */
  batchEtaMs(now: number): number | undefined {
    const running = this.running();
    const waiting = [...this.jobs.values()].filter((j) => (j.state === "queued" || j.state === "paused") && !this.isBlocked(j));
    if (running.length === 0 && waiting.length === 0) return 0;

    const projected = new Map<JobKind, number[]>();
    const runningLeft: (number | undefined)[] = running.map((job) => {
      const eta = this.jobEtaMs(job, now);
      if (eta !== undefined) projected.set(job.kind, [...(projected.get(job.kind) ?? []), now - job.startedAt + eta]);
      return eta;
    });
    const perJob = (kind: JobKind): number | undefined => {
      const average = this.averageDurationMs(kind);
      if (average !== undefined) return average;
      const guesses = projected.get(kind);
      return guesses ? guesses.reduce((a, b) => a + b, 0) / guesses.length : undefined;
    };

    let work = 0;
    let longest = 0;
    for (const [i, job] of running.entries()) {
      let left = runningLeft[i];
      if (left === undefined) {
        const typical = perJob(job.kind);
        if (typical === undefined) return undefined;
        left = Math.max(0, typical - (now - job.startedAt));
      }
      work += left;
      longest = Math.max(longest, left);
    }
    for (const job of waiting) {
      const typical = perJob(job.kind);
      if (typical === undefined) return undefined;
      work += typical;
    }
    const workers = Math.max(1, Math.min(this.options.concurrency ?? 1, running.length + waiting.length));
    return Math.max(work / workers, longest);
  }

  costUsd(): number {
    return this.state ? totalCostUsd(this.state) : 0;
  }

  costCapUsd(): number | undefined {
    return this.options.costCapUsd ?? this.state?.costCapUsd;
  }

  private view(ref: { jobId: string; kind: JobKind; chapter: number }): JobView {
    let view = this.jobs.get(ref.jobId);
    if (!view) {
      view = { id: ref.jobId, kind: ref.kind, chapter: ref.chapter, state: "queued", attempts: 0 };
      this.jobs.set(ref.jobId, view);
    }
    return view;
  }

  /** A waiting job that can never start: something it depends on (directly or not) failed or was cancelled. */
  private isBlocked(job: JobView, seen = new Set<string>()): boolean {
    if (seen.has(job.id)) return false;
    seen.add(job.id);
    for (const id of job.dependsOn ?? []) {
      const dep = this.jobs.get(id);
      if (!dep) continue;
      if (dep.state === "failed" || dep.state === "cancelled") return true;
      if (dep.state !== "succeeded" && this.isBlocked(dep, seen)) return true;
    }
    return false;
  }
}

// --- Plain words -------------------------------------------------------------------------------------

/** `write ch 3`, `seam ch 2–3`. */
export function jobLabel(job: { kind: JobKind; chapter: number; previousChapter?: number }): string {
  return job.previousChapter === undefined ? `${job.kind} ch ${job.chapter}` : `${job.kind} ch ${job.previousChapter}–${job.chapter}`;
}

export interface DescribeErrorOptions {
  /** When the job failed; with a "try again in N s" in a rate-limit message it gives the time to resume. */
  failedAt?: number;
  /** When the rate limit lifts, if the caller knows it better than the message says. */
  resumeAt?: number;
  /** With it, a resume time already past is not announced. */
  now?: number;
  /** IANA zone for clock times (default: the machine's). */
  timeZone?: string;
}

/**
 * A job's error in plain words, with what the writer can do about it. Kinds are the `LlmError` kinds and
 * the runner's own (`apply`, `error`); spellings with hyphens (`rate-limit`) are understood too.
 */
export function describeError(error: JobError, options: DescribeErrorOptions = {}): string {
  const message = oneLine(error.message);
  switch (normaliseKind(error.kind)) {
    case "rate_limited": {
      const resumeAt = options.resumeAt ?? resumeTimeOf(message, options.failedAt);
      if (resumeAt !== undefined && (options.now === undefined || resumeAt > options.now)) {
        return `rate limited — resuming at ${clockTime(resumeAt, options.timeZone)}`;
      }
      return "rate limited — resumes on the next run";
    }
    case "spend_limit":
      return "spend limit reached — raise it in the Anthropic console, then run again";
    case "auth":
      return "the API key was refused — check ANTHROPIC_API_KEY";
    case "invalid_output":
      return "the model's reply did not have the expected shape, even after a repair — run again to retry";
    case "stream_cut":
      return "the connection broke while the reply was streaming — run again to retry";
    case "overloaded":
      return "the model service is overloaded — run again in a few minutes";
    case "server":
      return "the model server had a problem — run again to retry";
    case "aborted":
    case "stopped":
      return "stopped — resumes on the next run";
    case "conflict":
      return message ? `the chapter note changed meanwhile: ${message}` : "the chapter note changed meanwhile";
    case "apply":
      return message ? `could not put the text into the book: ${message}` : "could not put the text into the book";
    default:
      return message || error.kind;
  }
}

/** A pause reason from the runner in plain words. */
export function describePause(reason: string, costCapUsd?: number): string {
  switch (reason) {
    case PAUSE_SPEND_LIMIT:
      return describeError({ kind: "spend_limit", message: "" });
    case PAUSE_COST_CAP:
      return costCapUsd === undefined
        ? "cost cap reached — raise the cap, then run again"
        : `cost cap of ${formatUsd(costCapUsd)} reached — raise the cap, then run again`;
    case PAUSE_BY_WRITER:
      return "paused by the writer — resumes on the next run";
    // The runner's PAUSE_STOPPED (Ctrl-C): the jobs in flight went back to the queue.
    case "stopped":
      return describeError({ kind: "stopped", message: "" });
    default:
      return reason;
  }
}

/** `$0.42 of $5.00 cap`, or `$0.42 spent` without a cap. */
export function formatCost(spentUsd: number, capUsd: number | undefined): string {
  return capUsd === undefined ? `${formatUsd(spentUsd)} spent` : `${formatUsd(spentUsd)} of ${formatUsd(capUsd)} cap`;
}

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(2)}`;
}

/** `42s`, `1m05s`, `2h07m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  return `${Math.floor(m / 60)}h${pad2(m % 60)}m`;
}

/** `1,234`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en");
}

/** `14:05` in the given zone (default: the machine's). */
export function clockTime(epochMs: number, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...(timeZone ? { timeZone } : {}) }).format(epochMs);
}

/** The book's name: the last segment of its folder. */
export function bookName(state: QueueState): string {
  const parts = state.bookFolder.split("/").filter((p) => p !== "");
  return parts[parts.length - 1] ?? state.bookFolder;
}

function normaliseKind(kind: string): string {
  const k = kind.trim().toLowerCase().replace(/-/g, "_");
  if (k === "rate_limit" || k === "ratelimited") return "rate_limited";
  if (k === "spend_limit_reached") return "spend_limit";
  return k;
}

/** "Trying again in 17 s." (the Anthropic client's wording) or "retry after 17s", from the failure time. */
function resumeTimeOf(message: string, failedAt: number | undefined): number | undefined {
  if (failedAt === undefined) return undefined;
  const match = /\b(?:in|after)\s+(\d+(?:\.\d+)?)\s*(?:s|sec|seconds?)\b/i.exec(message);
  return match?.[1] === undefined ? undefined : failedAt + Number(match[1]) * 1000;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function previousChapterOf(job: { id: string; kind: JobKind; previousChapter?: number }): number | undefined {
  if (job.previousChapter !== undefined) return job.previousChapter;
  // Events carry no previous chapter; a seam's id (`seam-2-3`) does.
  const match = job.kind === "seam" ? /-(\d+)-\d+$/.exec(job.id) : null;
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

// --- Terminal text -----------------------------------------------------------------------------------

export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";
const SGR: Record<Style, number> = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 };

/** A piece of a line with an optional style; styles become ANSI codes only when color is on. */
export interface Segment {
  text: string;
  style?: Style;
}

export function paint(text: string, style: Style | undefined, color: boolean): string {
  return color && style !== undefined && text !== "" ? `\x1b[${SGR[style]}m${text}\x1b[0m` : text;
}

/**
 * Joins segments into a line of at most `width` visible characters (escape codes do not count); a longer
 * line is cut and ends in "…". Characters are counted as code points, one column each.
 */
export function fitLine(segments: readonly Segment[], width: number, color: boolean): string {
  const total = segments.reduce((n, s) => n + Array.from(s.text).length, 0);
  if (total <= width) return segments.map((s) => paint(s.text, s.style, color)).join("");
  if (width <= 0) return "";
  let budget = width - 1;
  let out = "";
  for (const s of segments) {
    if (budget <= 0) break;
    const chars = Array.from(s.text);
    const piece = chars.slice(0, budget).join("");
    budget -= Math.min(chars.length, budget);
    out += paint(piece, s.style, color);
  }
  return `${out}…`;
}

export interface RenderOptions {
  now: number;
  /** Terminal columns available; no line is longer. */
  width: number;
  /** ANSI colors. */
  color: boolean;
  /** IANA zone for clock times (default: the machine's). */
  timeZone?: string;
}

const BAR_MIN = 10;
const BAR_MAX = 30;

/**
 * The progress block: a two-line header (book and mode; jobs, chapters, cost and ETA), one line per
 * running job with a progress bar, one per failed job with what to do, and the pause reason if paused.
 */
export function render(model: ProgressModel, options: RenderOptions): string[] {
  const { now, width, color } = options;
  const fit = (segments: Segment[]): string => fitLine(segments, width, color);
  const state = model.queueState;
  const counts = model.counts();
  const lines: string[] = [];

  lines.push(fit(state ? [{ text: bookName(state), style: "bold" }, { text: ` · ${state.mode}` }] : [{ text: "Bookwright", style: "bold" }]));
  const summary: Segment[] = [
    { text: `${counts.succeeded}/${counts.total} jobs` },
    { text: ` · ${counts.chaptersWritten}/${counts.chapters} chapters written` },
    { text: ` · ${formatCost(model.costUsd(), model.costCapUsd())}` },
  ];
  if (counts.failed > 0) summary.push({ text: " · " }, { text: `${counts.failed} failed`, style: "red" });
  summary.push({ text: " · " }, statusSegment(model, counts, now));
  lines.push(fit(summary));

  // The bar's size depends on the width and on what the lines will hold at most, not on what they hold
  // now, so it does not jump when a rate or an ETA appears. The stage comes last: a cut takes it first.
  const running = model.running().map((job) => ({ job, label: jobLabel(job), details: jobDetails(model, job, now), stage: job.stage ? `  (${job.stage})` : "" }));
  const longest = Math.max(0, ...running.map((r) => length(r.label) + length(sizeText(r.job, r.job.expected)) + RATE_ETA_ROOM + length(r.stage)));
  // "  [" + bar + "] " + the rest
  const bar = Math.min(BAR_MAX, Math.max(BAR_MIN, width - 5 - longest));
  for (const { job, label, details, stage } of running) {
    const filled = Math.min(bar, Math.max(0, Math.floor((job.done / Math.max(1, job.expected)) * bar)));
    lines.push(
      fit([
        { text: "  [" },
        { text: "#".repeat(filled), style: "green" },
        { text: "-".repeat(bar - filled), style: "dim" },
        { text: "] " },
        { text: label + details },
        { text: stage, style: "dim" },
      ]),
    );
  }

  for (const job of model.failed()) {
    const attempts = job.attempts > 1 ? ` (${job.attempts} attempts)` : "";
    const errorOptions: DescribeErrorOptions = { now };
    if (job.failedAt !== undefined) errorOptions.failedAt = job.failedAt;
    if (options.timeZone !== undefined) errorOptions.timeZone = options.timeZone;
    lines.push(fit([{ text: "  ✗ ", style: "red" }, { text: `${jobLabel(job)}${attempts}: ${describeError(job.error, errorOptions)}` }]));
  }

  const reason = model.pauseReason;
  if (reason !== undefined) lines.push(fit([{ text: "  paused: ", style: "yellow" }, { text: describePause(reason, model.costCapUsd()) }]));
  return lines;
}

/** `done` when everything succeeded, `stopped` when idle with work left, `paused`, or the ETA. */
export function batchStatus(model: ProgressModel, now: number, counts: BatchCounts = model.counts()): string {
  if (model.idle) return counts.succeeded === counts.total ? "done" : "stopped";
  if (model.pauseReason !== undefined) return "paused";
  const eta = model.batchEtaMs(now);
  return eta === undefined ? "ETA —" : `ETA ${formatDuration(eta)}`;
}

function statusSegment(model: ProgressModel, counts: BatchCounts, now: number): Segment {
  const text = batchStatus(model, now, counts);
  return { text, style: text === "done" ? "green" : text === "paused" || text === "stopped" ? "yellow" : undefined };
}

/** `  1,234/3,000 words  42 tok/s  ETA 1m05s` (rate and ETA once known). */
function jobDetails(model: ProgressModel, job: RunningJobProgress, now: number): string {
  let text = sizeText(job, job.done);
  const rate = model.tokensPerSecond(job, now);
  if (rate !== undefined && job.tokens > 0) text += `  ${formatCount(rate)} tok/s`;
  const eta = model.jobEtaMs(job, now);
  if (eta !== undefined) text += eta > 0 ? `  ETA ${formatDuration(eta)}` : "  finishing";
  return text;
}

/** Room kept for `  999 tok/s  ETA 59m59s`. */
const RATE_ETA_ROOM = 23;

function sizeText(job: RunningJobProgress, done: number): string {
  return `  ${formatCount(done)}/${formatCount(job.expected)} ${job.unit === "words" ? "words" : "tok"}`;
}

function length(text: string): number {
  return Array.from(text).length;
}
