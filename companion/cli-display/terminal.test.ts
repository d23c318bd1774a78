import { describe, expect, it } from "vitest";
import { buildBatch } from "../../shared/queue/graph";
import type { BatchMode, JobKind, QueueState } from "../../shared/queue/jobs";
import { PAUSE_SPEND_LIMIT, type QueueEvent } from "../../shared/queue/runner";
import { LiveDisplay, type DisplayStream, type LiveDisplayOptions } from "./terminal";

const NOW = 1_700_000_000_000;
const S = 1000;
const UP = (n: number): string => `\x1b[${n}A\r`;
const CLEAR = "\x1b[2K";
const CLEAR_BELOW = "\x1b[J";

class FakeStream implements DisplayStream {
  writes: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(s: string): void {
    this.writes.push(s);
  }
}

/** A clock and a timer queue the test moves by hand. */
class FakeTime {
  t = NOW;
  private timers: { at: number; fn: () => void }[] = [];
  readonly now = (): number => this.t;
  readonly schedule = (fn: () => void, ms: number): void => void this.timers.push({ at: this.t + ms, fn });
  get pending(): number {
    return this.timers.length;
  }
  /** Moves the clock to `t`, running the timers that fall due on the way, in order. */
  to(t: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > t) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = t;
  }
}

function batch(chapters: number[], mode: BatchMode): QueueState {
  return buildBatch({ batchId: "b1", bookFolder: "Book", deviceId: "laptop", chapters, mode, now: NOW });
}

function ref(jobId: string): { jobId: string; kind: JobKind; chapter: number } {
  const [kind, a, b] = jobId.split("-");
  return { jobId, kind: kind as JobKind, chapter: Number(b ?? a) };
}
const started = (id: string): QueueEvent => ({ type: "job:started", ...ref(id) });
const completed = (id: string): QueueEvent => ({ type: "job:completed", ...ref(id) });
const progress = (id: string, p: { tokens?: number; words?: number }): QueueEvent => ({ type: "job:progress", ...ref(id), progress: p });

function display(stream: FakeStream, time: FakeTime, extra: LiveDisplayOptions = {}): LiveDisplay {
  return new LiveDisplay(stream, { now: time.now, schedule: time.schedule, color: false, timeZone: "UTC", ...extra });
}

// eslint-disable-next-line no-control-regex -- stripping the ANSI codes is the point
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

describe("LiveDisplay on a TTY", () => {
  it("redraws the block in place: cursor up, each line cleared, leftovers cleared below", () => {
    const stream = new FakeStream(true, 60);
    const time = new FakeTime();
    const d = display(stream, time);
    const header = `${CLEAR}Book · sequential\n`;

    d.setState(batch([1], "sequential"));
    expect(stream.writes).toEqual([`${header}${CLEAR}0/5 jobs · 0/1 chapters written · $0.00 spent · ETA —\n`]);

    // Within 100 ms of the last draw: nothing drawn now, one redraw scheduled for when the interval is up.
    d.onEvent(started("brief-1"));
    time.to(NOW + 40);
    d.onEvent(progress("brief-1", { tokens: 0 }));
    expect(stream.writes).toHaveLength(1);
    expect(time.pending).toBe(1);
    time.to(NOW + 100);
    expect(stream.writes[1]).toBe(
      `${UP(2)}${header}${CLEAR}0/5 jobs · 0/1 chapters written · $0.00 spent · ETA —\n${CLEAR}  [----------] brief ch 1  0/1,500 tok\n`,
    );

    // Long after the last draw: drawn at once.
    time.to(NOW + 10 * S);
    d.onEvent(progress("brief-1", { tokens: 750 }));
    expect(stream.writes[2]).toBe(
      `${UP(3)}${header}${CLEAR}0/5 jobs · 0/1 chapters written · $0.00 spent · ETA —\n${CLEAR}  [#####-----] brief ch 1  750/1,500 tok  75 tok/s  ETA 10s\n`,
    );

    // The block shrinks when the job finishes: the line left below is cleared.
    time.to(NOW + 10 * S + 30);
    d.onEvent(progress("brief-1", { tokens: 800 }));
    time.to(NOW + 10 * S + 60);
    d.onEvent(completed("brief-1"));
    expect(stream.writes).toHaveLength(3);
    time.to(NOW + 10 * S + 100);
    expect(stream.writes[3]).toBe(`${UP(3)}${header}${CLEAR}1/5 jobs · 0/1 chapters written · $0.00 spent · ETA —\n${CLEAR_BELOW}`);

    // finish() draws at once, throttle or not, and leaves the block on screen; nothing is drawn after it.
    time.to(NOW + 10 * S + 120);
    d.onEvent({ type: "queue:idle" });
    d.finish();
    expect(stream.writes[4]).toBe(`${UP(2)}${header}${CLEAR}1/5 jobs · 0/1 chapters written · $0.00 spent · stopped\n`);
    time.to(NOW + 20 * S);
    d.onEvent(started("write-1"));
    d.finish();
    expect(stream.writes).toHaveLength(5);
  });

  it("draws at most about 10 times a second, and the last state always lands", () => {
    const stream = new FakeStream(true, 100);
    const time = new FakeTime();
    const d = display(stream, time);
    d.setState(batch([1], "sequential"));
    d.onEvent(started("brief-1"));
    for (let ms = 1; ms <= 1000; ms++) {
      time.to(NOW + ms);
      d.onEvent(progress("brief-1", { tokens: ms }));
    }
    // One draw at 0 ms, then one per 100 ms.
    expect(stream.writes).toHaveLength(11);
    time.to(NOW + 1100);
    expect(stream.writes).toHaveLength(12);
    expect(stream.writes.at(-1)).toContain("1,000/1,500 tok");
    expect(time.pending).toBe(0);
  });

  it("a redraw scheduled before finish() does nothing after it", () => {
    const stream = new FakeStream(true, 80);
    const time = new FakeTime();
    const d = display(stream, time);
    d.setState(batch([1], "sequential"));
    d.onEvent(started("brief-1"));
    expect(time.pending).toBe(1);
    d.finish();
    time.to(NOW + S);
    expect(stream.writes).toHaveLength(2);
  });

  it("keeps every line narrower than the terminal, and colors only when asked", () => {
    const stream = new FakeStream(true, 30);
    const time = new FakeTime();
    const d = display(stream, time, { color: true });
    d.setState(batch([1, 2], "plan-ahead"));
    d.onEvent(started("write-1"));
    time.to(NOW + 5 * S);
    d.onEvent(progress("write-1", { tokens: 700, words: 500 }));
    d.finish();
    const last = stream.writes.at(-1)!;
    expect(last).toContain("\x1b[1mBook\x1b[0m");
    const lines = stripAnsi(last).replace(/^\r/, "").split("\n").slice(0, -1);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(29);

    const plain = new FakeStream(true);
    const d2 = display(plain, new FakeTime());
    d2.setState(batch([1], "sequential"));
    expect(plain.writes[0]).not.toContain("\x1b[1m");
  });
});

describe("LiveDisplay elsewhere (a pipe, a CI log)", () => {
  it("prints one plain line per event that matters and no progress", () => {
    const stream = new FakeStream(false);
    const time = new FakeTime();
    const d = display(stream, time, { color: true });
    d.setState(batch([1, 2], "plan-ahead"));
    const at = (seconds: number, ...events: QueueEvent[]): void => {
      time.to(NOW + seconds * S);
      for (const e of events) d.onEvent(e);
    };
    at(0, started("brief-1"), progress("brief-1", { tokens: 100 }));
    at(20, completed("brief-1"), started("write-1"));
    at(60, progress("write-1", { tokens: 3900, words: 2900 }));
    at(85, completed("write-1"), { type: "chapter:updated", jobId: "write-1", chapter: 1 }, started("write-2"));
    at(90, { type: "job:failed", ...ref("write-2"), error: { kind: "rate_limited", message: "Too many requests. Trying again in 60 s." } });
    at(91, started("seam-1-2"), { type: "job:cancelled", ...ref("seam-1-2") });
    at(92, { type: "job:queued", ...ref("brief-2") }, { type: "queue:paused", reason: PAUSE_SPEND_LIMIT }, { type: "queue:idle" });
    d.finish();
    expect(stream.writes.join("")).toBe(
      [
        "[0/11] started brief ch 1",
        "[1/11] finished brief ch 1 in 20s",
        "[1/11] started write ch 1",
        "[2/11] finished write ch 1 in 1m05s (2,900 words)",
        "[2/11] started write ch 2",
        "[2/11] failed write ch 2: rate limited — resuming at 22:15",
        "[2/11] started seam ch 1–2",
        "[2/11] cancelled seam ch 1–2",
        "paused: spend limit reached — raise it in the Anthropic console, then run again",
        "stopped: 2/11 jobs done, 1 failed · $0.00 spent",
        "",
      ].join("\n"),
    );
    expect(time.pending).toBe(0);
  });

  it("says finished when every job succeeded", () => {
    const stream = new FakeStream(false);
    const time = new FakeTime();
    const d = display(stream, time);
    d.onEvent(started("brief-1"));
    time.to(NOW + 3 * S);
    d.onEvent(completed("brief-1"));
    d.onEvent({ type: "queue:idle" });
    expect(stream.writes).toEqual(["[0/1] started brief ch 1\n", "[1/1] finished brief ch 1 in 3s\n", "finished: 1/1 jobs done · $0.00 spent\n"]);
  });
});
