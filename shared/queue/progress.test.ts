import { describe, expect, it } from "vitest";
import { buildBatch } from "./graph";
import { addUsage, fail, markApplied, recordOutput, retry, start, succeed, type BatchMode, type JobError, type JobKind, type QueueState } from "./jobs";
import { PAUSE_BY_WRITER, PAUSE_COST_CAP, PAUSE_SPEND_LIMIT, type QueueEvent } from "./runner";
import { describeError, describePause, fitLine, formatDuration, jobLabel, ProgressModel, render, type ProgressModelOptions } from "./progress";

const NOW = 1_700_000_000_000;
const S = 1000;
const ZERO_USAGE = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

function batch(chapters: number[], mode: BatchMode, costCapUsd?: number): QueueState {
  return buildBatch({
    batchId: "b1",
    bookFolder: "Books/The Lighthouse Keeper",
    deviceId: "laptop",
    chapters,
    mode,
    now: NOW,
    ...(costCapUsd !== undefined ? { costCapUsd } : {}),
  });
}

/** start → usage → output → applied → succeeded, as the runner does. */
function runJob(state: QueueState, id: string, from: number, to: number, costUsd = 0): QueueState {
  let next = start(state, id, from);
  next = addUsage(next, id, ZERO_USAGE, costUsd);
  next = recordOutput(next, id, { recordedAt: to, text: `text of ${id}` });
  return succeed(markApplied(next, id, to), id, to);
}

/** Feeds events to a model, each with its own time (seconds after NOW). */
class Feed {
  constructor(readonly model: ProgressModel) {}
  at(seconds: number, ...events: QueueEvent[]): this {
    for (const e of events) this.model.apply(e, NOW + seconds * S);
    return this;
  }
}

const ref = (jobId: string): { jobId: string; kind: JobKind; chapter: number } => {
  const [kind, a, b] = jobId.split("-");
  return { jobId, kind: kind as JobKind, chapter: Number(b ?? a) };
};
const started = (id: string): QueueEvent => ({ type: "job:started", ...ref(id) });
const completed = (id: string): QueueEvent => ({ type: "job:completed", ...ref(id) });
const progress = (id: string, p: { tokens?: number; words?: number; stage?: string }): QueueEvent => ({ type: "job:progress", ...ref(id), progress: p });
const failed = (id: string, error: JobError): QueueEvent => ({ type: "job:failed", ...ref(id), error });

function model(state: QueueState | undefined, options: ProgressModelOptions = {}): ProgressModel {
  const m = new ProgressModel(options);
  if (state) m.setState(state);
  return m;
}

// eslint-disable-next-line no-control-regex -- stripping the ANSI codes is the point
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

/** Three briefs done ($0.02 each), two chapters being written since 20 s. */
function writingScene(): ProgressModel {
  let state = batch([1, 2, 3], "plan-ahead", 5);
  for (const id of ["brief-1", "brief-2", "brief-3"]) state = runJob(state, id, NOW, NOW + 20 * S, 0.02);
  state = start(start(state, "write-1", NOW + 20 * S), "write-2", NOW + 20 * S);
  const m = model(state, { concurrency: 2 });
  new Feed(m)
    .at(20, started("write-1"), started("write-2"))
    .at(49, progress("write-1", { tokens: 1600, words: 1200, stage: "drafting" }))
    .at(50, progress("write-2", { tokens: 300, words: 250 }));
  return m;
}

describe("render", () => {
  it("shows the header, a bar per running job with words, rate and ETA", () => {
    expect(render(writingScene(), { now: NOW + 50 * S, width: 80, color: false })).toEqual([
      "The Lighthouse Keeper · plan-ahead",
      "3/17 jobs · 0/3 chapters written · $0.06 of $5.00 cap · ETA —",
      "  [####-------] write ch 1  1,200/3,000 words  53 tok/s  ETA 45s  (drafting)",
      "  [-----------] write ch 2  250/3,000 words  10 tok/s  ETA 5m30s",
    ]);
  });

  it("sizes the bars to the width and the longest line they may hold, between 10 and 30 characters", () => {
    const m = writingScene();
    const bars = (width: number): number[] => render(m, { now: NOW + 50 * S, width, color: false }).slice(2).map((l) => l.indexOf("]") - l.indexOf("[") - 1);
    // Room for `write ch 1  3,000/3,000 words  999 tok/s  ETA 59m59s  (drafting)`, whatever the line holds now.
    expect(bars(80)).toEqual([11, 11]);
    expect(bars(90)).toEqual([21, 21]);
    expect(bars(200)).toEqual([30, 30]);
    expect(bars(50)).toEqual([10, 10]);
  });

  it("never writes a line wider than the width, and marks a cut with …", () => {
    const m = writingScene();
    new Feed(m).at(50, failed("write-2", { kind: "auth", message: "The API key was not accepted." }), { type: "queue:paused", reason: PAUSE_SPEND_LIMIT });
    for (const width of [1, 5, 20, 33, 47, 80, 120]) {
      for (const color of [false, true]) {
        for (const line of render(m, { now: NOW + 50 * S, width, color })) expect(Array.from(stripAnsi(line)).length).toBeLessThanOrEqual(width);
      }
    }
    expect(render(m, { now: NOW + 50 * S, width: 40, color: false })).toEqual([
      "The Lighthouse Keeper · plan-ahead",
      "3/17 jobs · 0/3 chapters written · $0.0…",
      "  [####------] write ch 1  1,200/3,000 …",
      "  ✗ write ch 2: the API key was refused…",
      "  paused: spend limit reached — raise i…",
    ]);
  });

  it("colors with ANSI only when asked, and the colored text reads the same", () => {
    const m = writingScene();
    const plain = render(m, { now: NOW + 50 * S, width: 80, color: false });
    const colored = render(m, { now: NOW + 50 * S, width: 80, color: true });
    expect(plain.join("\n")).not.toContain("\x1b");
    expect(colored[0]).toBe("\x1b[1mThe Lighthouse Keeper\x1b[0m · plan-ahead");
    expect(colored[2]).toBe("  [\x1b[32m####\x1b[0m\x1b[2m-------\x1b[0m] write ch 1  1,200/3,000 words  53 tok/s  ETA 45s\x1b[2m  (drafting)\x1b[0m");
    expect(colored.map(stripAnsi)).toEqual(plain);
  });

  it("lists failed jobs with what to do, then the pause reason", () => {
    let state = batch([1, 2], "plan-ahead");
    state = runJob(state, "brief-1", NOW, NOW + 10 * S, 0.5);
    const m = model(state);
    new Feed(m)
      .at(10, started("brief-2"), failed("brief-2", { kind: "invalid_output", message: "the reply did not validate" }))
      .at(12, started("write-1"), failed("write-1", { kind: "rate_limited", message: "Too many requests for your account's rate limit. Trying again in 120 s." }))
      .at(13, { type: "queue:paused", reason: PAUSE_COST_CAP }, { type: "queue:idle" });
    // Failed jobs are listed in batch order (chapter 1's jobs, then chapter 2's).
    expect(render(m, { now: NOW + 13 * S, width: 120, color: false, timeZone: "UTC" })).toEqual([
      "The Lighthouse Keeper · plan-ahead",
      "1/11 jobs · 0/2 chapters written · $0.50 spent · 2 failed · stopped",
      "  ✗ write ch 1: rate limited — resuming at 22:15",
      "  ✗ brief ch 2: the model's reply did not have the expected shape, even after a repair — run again to retry",
      "  paused: cost cap reached — raise the cap, then run again",
    ]);
  });

  it("counts attempts and labels seams with both chapters", () => {
    let state = batch([1, 2], "plan-ahead");
    for (const id of ["brief-1", "brief-2", "write-1", "write-2"]) state = runJob(state, id, NOW, NOW + S);
    state = start(state, "seam-1-2", NOW + 2 * S);
    const m = model(state, { expectedTokensByKind: { seam: 800 } });
    new Feed(m).at(4, progress("seam-1-2", { tokens: 200, stage: "reading" }));
    const overloaded = { kind: "overloaded", message: "" };
    const twice = fail(start(retry(fail(state, "seam-1-2", overloaded, false, NOW + 3 * S), "seam-1-2"), "seam-1-2", NOW + 4 * S), "seam-1-2", overloaded, false, NOW + 5 * S);
    const m2 = model(twice);
    expect(render(m, { now: NOW + 4 * S, width: 80, color: false })[2]).toBe("  [####-------------] seam ch 1–2  200/800 tok  100 tok/s  ETA 6s  (reading)");
    expect(render(m2, { now: NOW + 6 * S, width: 100, color: false })[2]).toBe("  ✗ seam ch 1–2 (2 attempts): the model service is overloaded — run again in a few minutes");
  });

  it("says done when the batch finished, and works from events alone", () => {
    let state = batch([1], "sequential");
    for (const id of ["brief-1", "write-1", "continuity-1", "characters-1", "timeline-1"]) state = runJob(state, id, NOW, NOW + S, 0.1);
    const m = model(state);
    m.apply({ type: "queue:idle" }, NOW + 2 * S);
    expect(render(m, { now: NOW + 2 * S, width: 80, color: false })).toEqual(["The Lighthouse Keeper · sequential", "5/5 jobs · 1/1 chapters written · $0.50 spent · done"]);

    const bare = new ProgressModel();
    new Feed(bare).at(0, started("brief-1")).at(1, progress("brief-1", { tokens: 150 }));
    expect(render(bare, { now: NOW + 2 * S, width: 80, color: false })).toEqual([
      "Bookwright",
      "0/1 jobs · 0/0 chapters written · $0.00 spent · ETA 18s",
      "  [##-----------------------] brief ch 1  150/1,500 tok  75 tok/s  ETA 18s",
    ]);
  });
});

describe("ProgressModel", () => {
  it("per job: ETA from the rate so far, against the chapter's target words", () => {
    const m = model(batch([4], "sequential"), { targetWordsByChapter: (ch) => (ch === 4 ? 2000 : undefined) });
    new Feed(m).at(0, started("write-4")).at(30, progress("write-4", { tokens: 900, words: 500 }));
    const [job] = m.running();
    expect(job).toMatchObject({ jobId: "write-4", unit: "words", done: 500, expected: 2000, startedAt: NOW });
    // 500 words in 40 s → 12.5 words/s; 1,500 words to go → 120 s.
    expect(m.jobEtaMs(job!, NOW + 40 * S)).toBe(120 * S);
    expect(m.tokensPerSecond(job!, NOW + 40 * S)).toBe(22.5);
    // Past the target: finishing, not negative.
    new Feed(m).at(50, progress("write-4", { words: 2100 }));
    expect(m.jobEtaMs(m.running()[0]!, NOW + 60 * S)).toBe(0);
    expect(render(m, { now: NOW + 60 * S, width: 80, color: false })[2]).toBe("  [#######################] write ch 4  2,100/2,000 words  15 tok/s  finishing");
  });

  it("no ETA for a job before it produced anything", () => {
    const m = model(batch([1], "sequential"));
    new Feed(m).at(0, started("brief-1"));
    expect(m.jobEtaMs(m.running()[0]!, NOW + 5 * S)).toBeUndefined();
    expect(m.jobEtaMs(m.running()[0]!, NOW)).toBeUndefined();
  });

  it("batch: average duration per kind × jobs left of that kind, over the concurrency", () => {
    const m = model(batch([1, 2, 3], "sequential"), { concurrency: 2 });
    new Feed(m)
      .at(0, started("brief-1"))
      .at(10, completed("brief-1"), started("write-1"))
      .at(70, completed("write-1"), started("continuity-1"), started("characters-1"))
      .at(80, completed("continuity-1"), started("timeline-1"))
      .at(90, completed("characters-1"))
      .at(100, completed("timeline-1"), started("brief-2"))
      .at(105, progress("brief-2", { tokens: 500 }));
    expect(m.averageDurationMs("brief")).toBe(10 * S);
    expect(m.averageDurationMs("write")).toBe(60 * S);
    expect(m.averageDurationMs("timeline")).toBe(20 * S);
    // Running: brief-2, 1,000 tokens to go at 100 tok/s = 10 s. Waiting: brief-3 10 s, two writes 120 s,
    // two continuity 20 s, two characters 40 s, two timeline 40 s. (10 + 230) / 2 workers = 120 s.
    expect(m.batchEtaMs(NOW + 105 * S)).toBe(120 * S);
    expect(render(m, { now: NOW + 105 * S, width: 80, color: false })[1]).toBe("5/15 jobs · 1/3 chapters written · $0.00 spent · ETA 2m00s");

    // brief-2 fails: everything after it in the chain is blocked, so nothing is left to wait for.
    new Feed(m).at(106, failed("brief-2", { kind: "server", message: "HTTP 500" }));
    expect(m.batchEtaMs(NOW + 106 * S)).toBe(0);
    new Feed(m).at(106, { type: "queue:idle" });
    expect(render(m, { now: NOW + 106 * S, width: 80, color: false })[1]).toBe("5/15 jobs · 1/3 chapters written · $0.00 spent · 1 failed · stopped");
  });

  it("batch: before a kind has finished once, its running jobs' projections stand in; unknown kinds give no ETA", () => {
    const state = batch([1, 2, 3], "plan-ahead");
    const briefsOnly: QueueState = { ...state, jobs: state.jobs.filter((j) => j.kind === "brief") };
    const m = model(briefsOnly, { concurrency: 2 });
    new Feed(m).at(0, started("brief-1"), started("brief-2")).at(10, progress("brief-1", { tokens: 750 }));
    // brief-1: 750 of 1,500 in 10 s → 10 s left, 20 s in all. brief-2 (no tokens yet): 20 − 10 = 10 s left.
    // brief-3 waits: 20 s. (10 + 10 + 20) / 2 = 20 s.
    expect(m.batchEtaMs(NOW + 10 * S)).toBe(20 * S);

    const full = model(state, { concurrency: 2 });
    new Feed(full).at(0, started("brief-1")).at(10, progress("brief-1", { tokens: 750 }));
    expect(full.batchEtaMs(NOW + 10 * S)).toBeUndefined();
  });

  it("batch: cannot end before its slowest running job, and spreads over no more workers than jobs", () => {
    const state = batch([1, 2], "plan-ahead");
    const briefsOnly: QueueState = { ...state, jobs: state.jobs.filter((j) => j.kind === "brief") };
    const m = model(briefsOnly, { concurrency: 8 });
    new Feed(m).at(0, started("brief-1"), started("brief-2")).at(10, progress("brief-1", { tokens: 1400 }), progress("brief-2", { tokens: 100 }));
    // brief-1 has ~0.7 s left, brief-2 140 s: the sum over 2 workers (~70 s) would be too soon.
    expect(m.batchEtaMs(NOW + 10 * S)).toBe(140 * S);
  });

  it("takes durations, failures and running jobs from the persisted state", () => {
    let state = batch([1], "sequential", 2);
    state = runJob(state, "brief-1", NOW, NOW + 30 * S, 0.25);
    state = start(state, "write-1", NOW + 30 * S);
    const m = model(state);
    expect(m.averageDurationMs("brief")).toBe(30 * S);
    expect(m.running().map((j) => [j.jobId, j.startedAt])).toEqual([["write-1", NOW + 30 * S]]);
    expect(m.costUsd()).toBe(0.25);
    expect(m.costCapUsd()).toBe(2);
    expect(new ProgressModel({ costCapUsd: 9 }).costCapUsd()).toBe(9);
    expect(m.counts()).toEqual({ total: 5, succeeded: 1, running: 1, failed: 0, cancelled: 0, waiting: 3, chapters: 1, chaptersWritten: 0 });
  });

  it("forgets a pause only when told the runner resumed", () => {
    const m = new ProgressModel();
    new Feed(m).at(0, { type: "queue:paused", reason: PAUSE_BY_WRITER }, started("brief-1"));
    expect(m.pauseReason).toBe(PAUSE_BY_WRITER);
    m.resume();
    expect(m.pauseReason).toBeUndefined();
  });
});

describe("describeError", () => {
  const at = Date.UTC(2024, 0, 1, 14, 3, 30);
  it.each<[string, string, string]>([
    ["spend_limit", "Your account has reached its spending limit.", "spend limit reached — raise it in the Anthropic console, then run again"],
    ["auth", "The API key was not accepted.", "the API key was refused — check ANTHROPIC_API_KEY"],
    ["invalid_output", "no", "the model's reply did not have the expected shape, even after a repair — run again to retry"],
    ["invalid-output", "no", "the model's reply did not have the expected shape, even after a repair — run again to retry"],
    ["stream_cut", "terminated", "the connection broke while the reply was streaming — run again to retry"],
    ["overloaded", "529", "the model service is overloaded — run again in a few minutes"],
    ["server", "HTTP 500", "the model server had a problem — run again to retry"],
    ["aborted", "Cancelled.", "stopped — resumes on the next run"],
    ["stopped", "stopped before it finished", "stopped — resumes on the next run"],
    ["conflict", "Chapter 3.md changed since the job started", "the chapter note changed meanwhile: Chapter 3.md changed since the job started"],
    ["apply", "EACCES: permission denied", "could not put the text into the book: EACCES: permission denied"],
    ["context_window", "Everything sent is more than\n  the model can read at once.", "Everything sent is more than the model can read at once."],
    ["weird", "", "weird"],
  ])("%s → plain words", (kind, message, expected) => {
    expect(describeError({ kind, message })).toBe(expected);
  });

  it("rate limits: the time to resume when the message or the caller knows it", () => {
    const error = { kind: "rate_limited", message: "Too many requests for your account's rate limit. Trying again in 90 s." };
    expect(describeError(error, { failedAt: at, timeZone: "UTC" })).toBe("rate limited — resuming at 14:05");
    expect(describeError({ kind: "rate-limit", message: "retry after 30s" }, { failedAt: at, timeZone: "UTC" })).toBe("rate limited — resuming at 14:04");
    expect(describeError({ kind: "rate_limited", message: "" }, { resumeAt: at, timeZone: "UTC" })).toBe("rate limited — resuming at 14:03");
    expect(describeError(error, { failedAt: at, timeZone: "Europe/Berlin" })).toBe("rate limited — resuming at 15:05");
    expect(describeError(error)).toBe("rate limited — resumes on the next run");
    expect(describeError(error, { failedAt: at, now: at + 600 * S, timeZone: "UTC" })).toBe("rate limited — resumes on the next run");
  });

  it("pause reasons", () => {
    expect(describePause(PAUSE_SPEND_LIMIT)).toBe("spend limit reached — raise it in the Anthropic console, then run again");
    expect(describePause(PAUSE_COST_CAP, 5)).toBe("cost cap of $5.00 reached — raise the cap, then run again");
    expect(describePause(PAUSE_BY_WRITER)).toBe("paused by the writer — resumes on the next run");
    expect(describePause("stopped")).toBe("stopped — resumes on the next run");
    expect(describePause("maintenance window")).toBe("maintenance window");
  });
});

describe("formatting helpers", () => {
  it("durations", () => {
    expect([0, 400, 45 * S, 59.4 * S, 65 * S, 3599 * S, 3600 * S, 7620 * S].map(formatDuration)).toEqual(["0s", "0s", "45s", "59s", "1m05s", "59m59s", "1h00m", "2h07m"]);
  });

  it("fitLine cuts across segments and keeps styles whole", () => {
    const segments = [{ text: "abc", style: "red" as const }, { text: "defgh" }];
    expect(fitLine(segments, 8, false)).toBe("abcdefgh");
    expect(fitLine(segments, 7, false)).toBe("abcdef…");
    expect(fitLine(segments, 3, true)).toBe("\x1b[31mab\x1b[0m…");
    expect(fitLine(segments, 1, false)).toBe("…");
    expect(fitLine(segments, 0, false)).toBe("");
  });

  it("job labels", () => {
    expect(jobLabel({ kind: "write", chapter: 3 })).toBe("write ch 3");
    expect(jobLabel({ kind: "seam", chapter: 3, previousChapter: 2 })).toBe("seam ch 2–3");
  });
});
