/**
 * The queue panel's content as a function of its inputs: the batch of one book, grouped by chapter, as a
 * writer needs to see it (what each chapter is at, how far the running jobs are, what failed and what to do
 * about it, what it costs). Pure DOM building with Obsidian's element helpers and no `obsidian` import, so
 * it renders the same in the app, in happy-dom and in the screenshot harness; the view (queue-view.ts)
 * decides when to render and wires the actions to the controller.
 *
 * The words come from shared/queue/progress.ts, so the panel and `bookwright generate` describe the same
 * batch the same way; only what reads differently in the app (an API key lives in the settings here, not
 * in an environment variable) is said here.
 */
import type { Job, JobKind, JobState, QueueState } from "../../shared/queue/jobs";
import {
  batchStatus,
  bookName,
  describeError,
  describePause,
  formatCount,
  formatDuration,
  formatUsd,
  type FailedJobInfo,
  type ProgressModel,
  type RunningJobProgress,
} from "../../shared/queue/progress";

export interface QueuePanelInput {
  /** Fed with the controller's events and states for this book. */
  model: ProgressModel;
  /** The book's saved batch; null when it has none. */
  state: QueueState | null;
  /** A runner works on the batch on this device now. */
  running: boolean;
  /** The batch belongs to this device (only then may it run here). */
  ownedHere: boolean;
  now: number;
  /** Chapter titles by number, for the group headings. */
  chapterTitles?: ReadonlyMap<number, string>;
  /** What to say when there is no batch; a sensible default otherwise. */
  emptyText?: string;
}

/** What the panel's buttons do; the view routes them to the controller and reports failures. */
export interface QueuePanelActions {
  /** A job id, or "all" for every job not finished yet. */
  cancel(jobId: string): void;
  retry(jobId: string): void;
  pauseAll(): void;
  resumeAll(): void;
  takeOver(): void;
  openChapter(chapter: number): void;
}

export const EMPTY_QUEUE_TEXT = "No batch for this book yet. Start one with “Generate chapters…” or a chapter command.";

/** The pipeline of a chapter as the panel shows it: the agents' steps in the order they run. */
type Step = "brief" | "write" | "checks";
const STEPS: readonly Step[] = ["brief", "write", "checks"];
const STEP_NAMES: Record<Step, string> = { brief: "Brief", write: "Write", checks: "Checks" };
const STEP_OF: Record<JobKind, Step> = { brief: "brief", write: "write", continuity: "checks", characters: "checks", timeline: "checks", seam: "checks" };
const KIND_ORDER: readonly JobKind[] = ["brief", "write", "continuity", "characters", "timeline", "seam"];

type StepState = "done" | "running" | "failed" | "waiting" | "cancelled" | "absent";
const STEP_STATE_WORDS: Record<StepState, string> = {
  done: "done",
  running: "running",
  failed: "failed",
  waiting: "waiting",
  cancelled: "cancelled",
  absent: "not in this batch",
};

/** Renders the panel into `el`, replacing what it held. */
export function renderQueuePanel(el: HTMLElement, input: QueuePanelInput, actions: QueuePanelActions): void {
  el.empty();
  const root = el.createDiv({ cls: "bookwright-queue" });
  const { state, model } = input;
  if (!state || state.jobs.length === 0) {
    root.createEl("p", { cls: "bookwright-queue-empty", text: input.emptyText ?? EMPTY_QUEUE_TEXT });
    return;
  }

  const running = new Map(model.running().map((job) => [job.jobId, job]));
  const failed = new Map(model.failed().map((job) => [job.jobId, job]));
  // The model hears about a start or a failure before (or without) the next save; it wins over the state.
  const stateOf = (job: Job): JobState => (running.has(job.id) ? "running" : failed.has(job.id) ? "failed" : job.state);
  const unfinished = state.jobs.some((job) => {
    const s = stateOf(job);
    return s !== "succeeded" && s !== "cancelled";
  });

  renderHeader(root, input, unfinished, actions);

  if (!input.ownedHere && unfinished) {
    const notice = root.createDiv({ cls: "bookwright-queue-notice bookwright-queue-other-device" });
    notice.createEl("p", {
      text: `This batch was started on another device (${state.deviceId}) and runs only there. Take it over to run it on this device; the other device then stops working on it.`,
    });
    button(notice, "Take over", "mod-cta", "Run this batch on this device", () => actions.takeOver());
  }

  const pause = model.pauseReason;
  if (pause !== undefined && unfinished) {
    root.createDiv({ cls: "bookwright-queue-banner bookwright-queue-paused", text: `Paused: ${describePause(pause, model.costCapUsd())}` });
  }

  const failures = [...failed.values()];
  if (failures.length > 0) renderFailures(root, failures, input, actions);

  renderChapters(root, state, input, running, stateOf, actions);
}

function renderHeader(root: HTMLElement, input: QueuePanelInput, unfinished: boolean, actions: QueuePanelActions): void {
  const { state, model } = input;
  if (!state) return;
  const header = root.createDiv({ cls: "bookwright-queue-header" });
  header.createDiv({ cls: "bookwright-queue-title", text: bookName(state) });
  header.createDiv({
    cls: "bookwright-queue-mode bookwright-muted",
    text: state.mode === "plan-ahead" ? "Plan ahead: briefs first, chapters written side by side" : "In order: each chapter after the one before it",
  });

  const counts = model.counts();
  const parts = [`${counts.succeeded} of ${counts.total} jobs done`];
  if (counts.chapters > 0) parts.push(`${counts.chaptersWritten} of ${counts.chapters} chapters written`);
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  parts.push(statusWords(input, unfinished));
  header.createDiv({ cls: "bookwright-queue-summary", text: parts.join(" · ") });

  const spent = model.costUsd();
  const cap = model.costCapUsd();
  const cost = header.createDiv({ cls: "bookwright-queue-cost" });
  cost.createSpan({ cls: "bookwright-queue-cost-spent", text: `Spent ${formatUsd(spent)}` });
  cost.createSpan({ cls: "bookwright-queue-cost-cap", text: cap === undefined ? " · no cost cap" : ` of ${formatUsd(cap)} cap` });
  if (cap !== undefined && cap > 0) {
    cost.createDiv({ cls: "bookwright-queue-cost-bar" }, (bar) => progressBar(bar, Math.min(100, (spent / cap) * 100), `Spent ${formatUsd(spent)} of the ${formatUsd(cap)} cap`));
  }

  if (!input.ownedHere || !unfinished) return;
  const controls = header.createDiv({ cls: "bookwright-queue-controls" });
  const paused = model.pauseReason !== undefined;
  if (input.running && !paused) button(controls, "Pause all", "", "Let running jobs finish and start no new ones", () => actions.pauseAll());
  else button(controls, "Resume all", "mod-cta", "Run the jobs still to do (failed ones are tried again)", () => actions.resumeAll());
  button(controls, "Cancel all", "mod-warning", "Cancel every job not finished yet", () => actions.cancel("all"));
}

/** Done, stopped, paused or the batch's ETA while it runs here; where it runs otherwise. */
function statusWords(input: QueuePanelInput, unfinished: boolean): string {
  if (!unfinished) return "Done";
  if (!input.ownedHere) return "Running on another device";
  if (!input.running) return input.model.pauseReason !== undefined ? "Paused" : "Not running";
  const status = batchStatus(input.model, input.now);
  return status.charAt(0).toUpperCase() + status.slice(1);
}

function renderFailures(root: HTMLElement, failures: FailedJobInfo[], input: QueuePanelInput, actions: QueuePanelActions): void {
  const section = root.createDiv({ cls: "bookwright-queue-failures" });
  section.createDiv({ cls: "bookwright-queue-section-title", text: failures.length === 1 ? "1 job failed" : `${failures.length} jobs failed` });
  for (const job of failures) {
    const item = section.createDiv({ cls: "bookwright-queue-failure", attr: { "data-job": job.jobId } });
    const attempts = job.attempts > 1 ? ` (${job.attempts} attempts)` : "";
    item.createDiv({ cls: "bookwright-queue-failure-job", text: `${jobWords(job)}${attempts}` });
    item.createDiv({ cls: "bookwright-queue-failure-reason", text: failureReason(job, input.now) });
    if (!input.ownedHere) continue;
    const buttons = item.createDiv({ cls: "bookwright-queue-job-buttons" });
    button(buttons, "Retry", "mod-cta", `Retry ${jobPhrase(job)}`, () => actions.retry(job.jobId));
    button(buttons, "Cancel", "", `Cancel ${jobPhrase(job)} and leave it undone`, () => actions.cancel(job.jobId));
  }
}

/** describeError's words, with what to do said the way the plugin does it. */
export function failureReason(job: Pick<FailedJobInfo, "error" | "failedAt">, now: number): string {
  const kind = job.error.kind.trim().toLowerCase();
  // The CLI names the environment variable; in Obsidian the key is chosen in the settings.
  if (kind === "auth") return "The API key was refused — choose a valid key in Bookwright's settings, then retry.";
  const words = describeError(job.error, { now, ...(job.failedAt !== undefined ? { failedAt: job.failedAt } : {}) });
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
}

function renderChapters(
  root: HTMLElement,
  state: QueueState,
  input: QueuePanelInput,
  running: Map<string, RunningJobProgress>,
  stateOf: (job: Job) => JobState,
  actions: QueuePanelActions,
): void {
  const byChapter = new Map<number, Job[]>();
  for (const job of state.jobs) byChapter.set(job.chapter, [...(byChapter.get(job.chapter) ?? []), job]);
  const byId = new Map(state.jobs.map((job) => [job.id, job]));
  const list = root.createDiv({ cls: "bookwright-queue-chapters" });

  for (const chapter of [...byChapter.keys()].sort((a, b) => a - b)) {
    const jobs = (byChapter.get(chapter) ?? []).sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
    const group = list.createDiv({ cls: "bookwright-queue-chapter", attr: { "data-chapter": chapter } });
    const head = group.createDiv({ cls: "bookwright-queue-chapter-head" });
    const given = input.chapterTitles?.get(chapter);
    // A stub's title is "Chapter N" already; saying it twice reads as a glitch.
    const title = given && given.trim().toLowerCase() !== `chapter ${chapter}` ? given : undefined;
    const link = head.createEl("a", { cls: "bookwright-queue-chapter-link", text: title ? `Chapter ${chapter} · ${title}` : `Chapter ${chapter}`, attr: { href: "#" } });
    link.addEventListener("click", (evt) => {
      evt.preventDefault();
      actions.openChapter(chapter);
    });

    const stage = group.createDiv({ cls: "bookwright-queue-stage" });
    STEPS.forEach((step, i) => {
      if (i > 0) stage.createSpan({ cls: "bookwright-queue-stage-sep", text: " ▸ " });
      const s = stepState(jobs.filter((j) => STEP_OF[j.kind] === step).map(stateOf));
      stage.createSpan({ cls: "bookwright-queue-step", text: STEP_NAMES[step], attr: { "data-state": s, "aria-label": `${STEP_NAMES[step]}: ${STEP_STATE_WORDS[s]}` } });
    });

    const rows = group.createEl("ul", { cls: "bookwright-queue-jobs" });
    for (const job of jobs) renderJob(rows, job, stateOf(job), running.get(job.id), blockerOf(job, byId, stateOf), input, actions);
  }
}

/** A step is as far as its least finished job (a failure shows first: it needs the writer). */
function stepState(states: JobState[]): StepState {
  if (states.length === 0) return "absent";
  if (states.includes("failed")) return "failed";
  if (states.includes("running")) return "running";
  if (states.every((s) => s === "succeeded" || s === "cancelled")) return states.every((s) => s === "cancelled") ? "cancelled" : "done";
  return "waiting";
}

/** The failed or cancelled job a waiting job can never get past (directly or further back). */
function blockerOf(job: Job, byId: Map<string, Job>, stateOf: (job: Job) => JobState, seen = new Set<string>()): Job | undefined {
  if (seen.has(job.id)) return undefined;
  seen.add(job.id);
  for (const id of job.dependsOn) {
    const dep = byId.get(id);
    if (!dep) continue;
    const s = stateOf(dep);
    if (s === "failed" || s === "cancelled") return dep;
    if (s !== "succeeded") {
      const further = blockerOf(dep, byId, stateOf, seen);
      if (further) return further;
    }
  }
  return undefined;
}

function renderJob(
  rows: HTMLElement,
  job: Job,
  state: JobState,
  flight: RunningJobProgress | undefined,
  blocker: Job | undefined,
  input: QueuePanelInput,
  actions: QueuePanelActions,
): void {
  const waiting = state === "queued" || state === "paused";
  const row = rows.createEl("li", { cls: "bookwright-queue-job", attr: { "data-job": job.id, "data-state": state } });
  const line = row.createDiv({ cls: "bookwright-queue-job-line" });
  line.createSpan({ cls: "bookwright-queue-job-name", text: kindWords(job) });
  let status = STATE_WORDS[state];
  if (state === "running" && flight?.stage) status = capitalise(flight.stage);
  else if (waiting && blocker) status = `Blocked: ${jobPhrase(blocker)} ${blocker.state === "cancelled" ? "was cancelled" : "failed"}`;
  line.createSpan({ cls: "bookwright-queue-job-state", text: status });
  if ((job.costUsd ?? 0) > 0) line.createSpan({ cls: "bookwright-queue-job-cost", text: formatUsd(job.costUsd ?? 0) });

  if (input.ownedHere) {
    const buttons = line.createDiv({ cls: "bookwright-queue-job-buttons" });
    if (state === "running" || waiting) button(buttons, "Cancel", "", `Cancel ${jobPhrase(job)}`, () => actions.cancel(job.id));
    else if (state === "cancelled") button(buttons, "Retry", "", `Run ${jobPhrase(job)} again`, () => actions.retry(job.id));
  }

  if (state === "running" && flight) {
    const percent = Math.min(100, Math.round((flight.done / Math.max(1, flight.expected)) * 100));
    const unit = flight.unit === "words" ? "words" : "tokens";
    row.createDiv({ cls: "bookwright-queue-bar" }, (bar) => progressBar(bar, percent, `${kindWords(job)}: ${percent}%`));
    const details = [`${formatCount(flight.done)} of ${formatCount(flight.expected)} ${unit}`];
    if (flight.unit === "words" && flight.tokens > 0) details.push(`${formatCount(flight.tokens)} tokens`);
    const eta = input.model.jobEtaMs(flight, input.now);
    if (eta !== undefined) details.push(eta > 0 ? `ETA ${formatDuration(eta)}` : "Finishing");
    row.createDiv({ cls: "bookwright-queue-job-detail", text: details.join(" · ") });
  }
}

const STATE_WORDS: Record<JobState, string> = {
  queued: "Waiting",
  running: "Running",
  succeeded: "Done",
  failed: "Failed — see above",
  cancelled: "Cancelled",
  paused: "Paused",
};

/** A job inside a sentence: "the write of chapter 3", "the seam between chapters 2 and 3". */
function jobPhrase(job: { kind: JobKind; chapter: number; previousChapter?: number }): string {
  if (job.kind === "seam") return `the seam between chapters ${job.previousChapter ?? job.chapter - 1} and ${job.chapter}`;
  return `the ${kindWords(job).toLowerCase()} of chapter ${job.chapter}`;
}

/** A job in words for a heading: "Write, chapter 3", "Seam between chapters 2 and 3". */
function jobWords(job: { kind: JobKind; chapter: number; previousChapter?: number }): string {
  if (job.kind === "seam") return `Seam between chapters ${job.previousChapter ?? job.chapter - 1} and ${job.chapter}`;
  return `${kindWords(job)}, chapter ${job.chapter}`;
}

/** The kind as a row label inside its chapter's group. */
function kindWords(job: { kind: JobKind; chapter: number; previousChapter?: number }): string {
  switch (job.kind) {
    case "brief":
      return "Brief";
    case "write":
      return "Write";
    case "continuity":
      return "Continuity check";
    case "characters":
      return "Characters";
    case "timeline":
      return "Timeline";
    case "seam":
      return `Seam with chapter ${job.previousChapter ?? job.chapter - 1}`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A bar whose fill width is a CSS variable (no inline width), with the value for screen readers. */
function progressBar(bar: HTMLElement, percent: number, label: string): void {
  const rounded = Math.round(percent);
  bar.addClass("bookwright-progress");
  bar.setAttrs({ role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": rounded, "aria-label": label });
  bar.setCssProps({ "--bookwright-progress": `${rounded}%` });
  bar.createDiv({ cls: "bookwright-progress-fill" });
}

function button(parent: HTMLElement, text: string, cls: string, tooltip: string, onClick: () => void): HTMLButtonElement {
  const el = parent.createEl("button", { text, cls: cls ? `bookwright-queue-button ${cls}` : "bookwright-queue-button", attr: { "aria-label": tooltip } });
  el.addEventListener("click", (evt) => {
    evt.preventDefault();
    onClick();
  });
  return el;
}
