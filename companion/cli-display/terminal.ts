/**
 * Draws the progress of `bookwright generate` on a terminal stream.
 *
 * On a TTY the block from progress.ts is redrawn in place (cursor up over the last block, each line
 * cleared and rewritten), at most once per `minIntervalMs`: events arriving faster are coalesced into one
 * scheduled redraw. Anywhere else (a pipe, a CI log) it prints one plain line per event that matters
 * (started, finished, failed, cancelled, paused, idle) and never the token-by-token progress.
 *
 * Time and timers are injected (`now`, `schedule`), so tests drive it without fake clocks.
 */
import { setTimeout as after } from "node:timers";
import type { JobKind, QueueState } from "../../shared/queue/jobs";
import type { QueueEvent } from "../../shared/queue/runner";
import {
  batchStatus,
  describeError,
  describePause,
  formatCost,
  formatCount,
  formatDuration,
  jobLabel,
  ProgressModel,
  render,
  type DescribeErrorOptions,
  type ProgressModelOptions,
} from "../../shared/queue/progress";

/** What the display writes to: `process.stdout`, or a stand-in in tests. */
export interface DisplayStream {
  write(s: string): void;
  isTTY?: boolean;
  columns?: number;
}

export interface LiveDisplayOptions extends ProgressModelOptions {
  /** Epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /** Runs `fn` after `ms` milliseconds; default an unref'd `setTimeout`. */
  schedule?: (fn: () => void, ms: number) => void;
  /** ANSI colors; default on for a TTY unless NO_COLOR is set. Non-TTY lines are always plain. */
  color?: boolean;
  /** Least time between two redraws on a TTY; default 100 ms (10 redraws a second). */
  minIntervalMs?: number;
  /** IANA zone for clock times (default: the machine's). */
  timeZone?: string;
  /** A model to draw instead of a new one built from these options. */
  model?: ProgressModel;
}

const ESC = "\x1b[";
/** Clears the whole line the cursor is on. */
const CLEAR_LINE = `${ESC}2K`;
/** Clears from the cursor to the end of the screen. */
const CLEAR_BELOW = `${ESC}J`;

export class LiveDisplay {
  readonly model: ProgressModel;
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => void;
  private readonly minIntervalMs: number;
  private readonly timeZone: string | undefined;
  /** Lines of the block on screen, to move back over on the next redraw. */
  private drawnLines = 0;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private drawPending = false;
  private finished = false;

  constructor(
    private readonly stream: DisplayStream,
    options: LiveDisplayOptions = {},
  ) {
    this.model = options.model ?? new ProgressModel(options);
    this.tty = stream.isTTY === true;
    this.color = options.color ?? (this.tty && !process.env.NO_COLOR);
    this.now = options.now ?? Date.now;
    this.schedule =
      options.schedule ??
      ((fn, ms) => {
        // Never keeps the process alive: `finish()` draws the last block anyway.
        after(fn, ms).unref();
      });
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.timeZone = options.timeZone;
  }

  /** The runner's `onEvent`; bound, so it can be passed as is. */
  readonly onEvent = (event: QueueEvent): void => {
    const now = this.now();
    if (this.tty) {
      this.model.apply(event, now);
      this.requestDraw();
      return;
    }
    const flight = "jobId" in event ? this.model.flightOf(event.jobId) : undefined;
    this.model.apply(event, now);
    if (this.finished) return;
    const line = this.eventLine(event, now, flight?.startedAt, flight?.words);
    if (line !== undefined) this.stream.write(`${line}\n`);
  };

  /** The latest persisted state (costs, attempts, dependencies); call it after every save. */
  setState(state: QueueState): void {
    this.model.setState(state);
    if (this.tty) this.requestDraw();
  }

  /** Draws the final block now and stops drawing; the block stays on screen. Safe to call twice. */
  finish(): void {
    if (this.finished) return;
    if (this.tty) this.draw();
    this.finished = true;
  }

  private requestDraw(): void {
    if (this.finished) return;
    const since = this.now() - this.lastDrawAt;
    if (since >= this.minIntervalMs) {
      this.draw();
      return;
    }
    if (this.drawPending) return;
    this.drawPending = true;
    this.schedule(() => {
      if (this.drawPending && !this.finished) this.draw();
    }, this.minIntervalMs - since);
  }

  private draw(): void {
    this.drawPending = false;
    const now = this.now();
    this.lastDrawAt = now;
    // One column short of the edge: a line filling the last column wraps on some terminals, and a wrapped
    // line would make the next "cursor up" land in the wrong place.
    const width = Math.max(1, (this.stream.columns ?? 80) - 1);
    const options = { now, width, color: this.color, ...(this.timeZone !== undefined ? { timeZone: this.timeZone } : {}) };
    const lines = render(this.model, options);
    let out = this.drawnLines > 0 ? `${ESC}${this.drawnLines}A\r` : "";
    for (const line of lines) out += `${CLEAR_LINE}${line}\n`;
    // A shorter block than last time leaves old lines below it.
    if (this.drawnLines > lines.length) out += CLEAR_BELOW;
    this.stream.write(out);
    this.drawnLines = lines.length;
  }

  /** One log line for an event worth a line, or undefined. */
  private eventLine(event: QueueEvent, now: number, startedAt: number | undefined, words: number | undefined): string | undefined {
    const counts = this.model.counts();
    const tally = `[${counts.succeeded}/${counts.total}]`;
    switch (event.type) {
      case "job:started":
        return `${tally} started ${this.label(event)}`;
      case "job:completed": {
        let line = `${tally} finished ${this.label(event)}`;
        if (startedAt !== undefined) line += ` in ${formatDuration(now - startedAt)}`;
        if (event.kind === "write" && words !== undefined && words > 0) line += ` (${formatCount(words)} words)`;
        return line;
      }
      case "job:failed": {
        const options: DescribeErrorOptions = { failedAt: now, now };
        if (this.timeZone !== undefined) options.timeZone = this.timeZone;
        return `${tally} failed ${this.label(event)}: ${describeError(event.error, options)}`;
      }
      case "job:cancelled":
        return `${tally} cancelled ${this.label(event)}`;
      case "queue:paused":
        return `paused: ${describePause(event.reason, this.model.costCapUsd())}`;
      case "queue:idle": {
        const failed = counts.failed > 0 ? `, ${counts.failed} failed` : "";
        const status = batchStatus(this.model, now, counts);
        return `${status === "done" ? "finished" : status}: ${counts.succeeded}/${counts.total} jobs done${failed} · ${formatCost(this.model.costUsd(), this.model.costCapUsd())}`;
      }
      default:
        return undefined;
    }
  }

  /** The job's label, with a seam's previous chapter (events carry only the later one). */
  private label(event: { jobId: string; kind: JobKind; chapter: number }): string {
    return jobLabel(this.model.jobRef(event.jobId) ?? event);
  }
}
