/**
 * `bookwright queue`: the persisted state of a batch as a table by chapter, each chapter's jobs in the
 * order they run (brief ▸ write ▸ checks), with attempts, cost, the errors in plain words, totals, the
 * device that owns the batch, and how to carry on when jobs are left.
 */
import { totalCostUsd, type Job, type QueueState } from "../../shared/queue/jobs";
import { bookName, describeError, formatCost, formatDuration, formatUsd, paint, type DescribeErrorOptions, type Style } from "../../shared/queue/progress";

export interface FormatQueueOptions {
  /** Epoch milliseconds, for "started … ago" and whether a rate limit has lifted. */
  now: number;
  /** ANSI colors. */
  color: boolean;
  /** IANA zone for clock times (default: the machine's). */
  timeZone?: string;
}

/** What a job, or a group of jobs, is doing, in the order a group shows the most pressing one. */
type CellState = "failed" | "running" | "paused" | "cancelled" | "blocked" | "queued" | "waiting" | "done";
const URGENCY: readonly CellState[] = ["failed", "running", "paused", "cancelled", "blocked", "queued", "waiting", "done"];
const STYLE: Partial<Record<CellState, Style>> = { done: "green", failed: "red", running: "cyan", paused: "yellow", cancelled: "yellow", blocked: "yellow" };

interface Cell {
  text: string;
  style?: Style;
}

const CHECK_KINDS = new Set<Job["kind"]>(["continuity", "characters", "timeline", "seam"]);

export function formatQueue(state: QueueState, options: FormatQueueOptions): string {
  const { now, color } = options;
  const byId = new Map(state.jobs.map((j) => [j.id, j]));
  const cellState = jobCellState(byId);
  const lines: string[] = [];

  lines.push(
    [
      paint(bookName(state), "bold", color),
      state.mode,
      `batch ${state.batchId}`,
      `started ${formatDuration(now - state.createdAt)} ago`,
      `owner ${state.deviceId}`,
    ].join(" · "),
  );
  if (state.jobs.length === 0) {
    lines.push("  no jobs");
    return `${lines.join("\n")}\n`;
  }

  const chapters = [...new Set(state.jobs.map((j) => j.chapter))].sort((a, b) => a - b);
  const rows = chapters.map((chapter) => {
    const jobs = state.jobs.filter((j) => j.chapter === chapter);
    const one = (kind: Job["kind"]): Cell => {
      const job = jobs.find((j) => j.kind === kind);
      if (!job) return { text: "—" };
      const s = cellState(job);
      return { text: s, ...styleOf(s) };
    };
    const checks = jobs.filter((j) => CHECK_KINDS.has(j.kind));
    const costs = jobs.filter((j) => j.costUsd !== undefined);
    return {
      chapter: String(chapter),
      brief: one("brief"),
      write: one("write"),
      checks: groupCell(checks.map(cellState)),
      attempts: String(jobs.reduce((n, j) => n + j.attempts, 0)),
      cost: costs.length > 0 ? formatUsd(costs.reduce((n, j) => n + (j.costUsd ?? 0), 0)) : "—",
      errors: jobs.filter((j) => j.error !== undefined),
    };
  });

  const width = {
    chapter: Math.max(2, ...rows.map((r) => r.chapter.length)),
    brief: Math.max(5, ...rows.map((r) => r.brief.text.length)),
    write: Math.max(5, ...rows.map((r) => r.write.text.length)),
    checks: Math.max(6, ...rows.map((r) => r.checks.text.length)),
    attempts: Math.max(5, ...rows.map((r) => r.attempts.length)),
    cost: Math.max(4, ...rows.map((r) => r.cost.length)),
  };
  const cell = (c: Cell, w: number): string => paint(c.text, c.style, color) + " ".repeat(Math.max(0, w - c.text.length));
  const row = (chapter: string, brief: Cell, write: Cell, checks: Cell, attempts: string, cost: string): string =>
    `  ${chapter.padStart(width.chapter)}  ${cell(brief, width.brief)} ▸ ${cell(write, width.write)} ▸ ${cell(checks, width.checks)}  ${attempts.padStart(width.attempts)}  ${cost.padStart(width.cost)}`.trimEnd();

  lines.push(paint(row("ch", { text: "brief" }, { text: "write" }, { text: "checks" }, "tries", "cost"), "dim", color));
  for (const r of rows) {
    lines.push(row(r.chapter, r.brief, r.write, r.checks, r.attempts, r.cost));
    for (const job of r.errors) {
      const failed = job.state === "failed";
      const attempts = `${job.attempts} attempt${job.attempts === 1 ? "" : "s"}`;
      const errorOptions: DescribeErrorOptions = { now };
      if (job.finishedAt !== undefined) errorOptions.failedAt = job.finishedAt;
      if (options.timeZone !== undefined) errorOptions.timeZone = options.timeZone;
      const mark = paint(failed ? "✗" : "!", failed ? "red" : "yellow", color);
      lines.push(`      ${mark} ${job.id} ${job.state}, ${attempts}: ${describeError(job.error!, errorOptions)}`);
    }
  }

  const count = (s: Job["state"]): number => state.jobs.filter((j) => j.state === s).length;
  const tally = [`${count("succeeded")}/${state.jobs.length} jobs done`];
  for (const s of ["failed", "running", "paused", "cancelled"] as const) if (count(s) > 0) tally.push(`${count(s)} ${s}`);
  const attempts = state.jobs.reduce((n, j) => n + j.attempts, 0);
  lines.push(`  total: ${tally.join(", ")} · ${attempts} attempt${attempts === 1 ? "" : "s"} · ${formatCost(totalCostUsd(state), state.costCapUsd)}`);

  const open = count("queued") + count("running") + count("paused");
  if (open > 0) {
    lines.push(`  ${open} job${open === 1 ? "" : "s"} not finished — run \`bookwright generate <book>\` again to resume.`);
  }
  return `${lines.join("\n")}\n`;
}

function styleOf(s: CellState): { style?: Style } {
  const style = STYLE[s];
  return style ? { style } : {};
}

/** `3/3` when all are done, else `1/4 running` with the most pressing state; `—` for no jobs. */
function groupCell(states: CellState[]): Cell {
  if (states.length === 0) return { text: "—" };
  const done = states.filter((s) => s === "done").length;
  if (done === states.length) return { text: `${done}/${states.length}`, style: "green" };
  const worst = URGENCY.find((s) => states.includes(s)) ?? "waiting";
  return { text: `${done}/${states.length} ${worst}`, ...styleOf(worst) };
}

/**
 * A job's state for the table. A queued job is `queued` when it can start, `waiting` while something it
 * needs is still to run, and `blocked` when something it needs failed or was cancelled.
 */
function jobCellState(byId: Map<string, Job>): (job: Job) => CellState {
  const blocked = new Map<string, boolean>();
  const isBlocked = (job: Job): boolean => {
    const known = blocked.get(job.id);
    if (known !== undefined) return known;
    blocked.set(job.id, false); // a cycle (never built by buildBatch) counts as not blocked
    const result = job.dependsOn.some((id) => {
      const dep = byId.get(id);
      if (!dep) return false;
      if (dep.state === "failed" || dep.state === "cancelled") return true;
      return dep.state !== "succeeded" && isBlocked(dep);
    });
    blocked.set(job.id, result);
    return result;
  };
  return (job) => {
    switch (job.state) {
      case "succeeded":
        return "done";
      case "queued":
        if (isBlocked(job)) return "blocked";
        return job.dependsOn.every((id) => byId.get(id)?.state === "succeeded") ? "queued" : "waiting";
      default:
        return job.state;
    }
  };
}
