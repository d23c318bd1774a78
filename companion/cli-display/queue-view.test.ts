import { describe, expect, it } from "vitest";
import { buildBatch } from "../../shared/queue/graph";
import { addUsage, fail, markApplied, recordOutput, retry, start, succeed, type QueueState } from "../../shared/queue/jobs";
import { formatQueue } from "./queue-view";

const NOW = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
const S = 1000;
const ZERO_USAGE = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

function batch(): QueueState {
  return buildBatch({ batchId: "b1", bookFolder: "Books/The Lighthouse Keeper", deviceId: "laptop", chapters: [1, 2, 3], mode: "plan-ahead", now: NOW, costCapUsd: 5 });
}

/** start → usage → output → applied → succeeded, as the runner does. */
function runJob(state: QueueState, id: string, at: number, costUsd: number): QueueState {
  let next = addUsage(start(state, id, at), id, ZERO_USAGE, costUsd);
  next = recordOutput(next, id, { recordedAt: at + S, text: `text of ${id}` });
  return succeed(markApplied(next, id, at + S), id, at + S);
}

/**
 * Plan-ahead, three chapters, two minutes in: the briefs and chapter 1 are written; chapter 2's writer was
 * refused the API key twice; chapter 3 is being written; chapter 1's continuity check passed and its
 * character check hit a rate limit and waits to run again.
 */
function midway(): QueueState {
  let s = batch();
  for (const id of ["brief-1", "brief-2", "brief-3"]) s = runJob(s, id, NOW + 5 * S, 0.02);
  s = runJob(s, "write-1", NOW + 10 * S, 0.25);
  const auth = { kind: "auth", message: "The API key was not accepted. Check the key in Bookwright's settings." };
  s = fail(addUsage(start(s, "write-2", NOW + 10 * S), "write-2", ZERO_USAGE, 0.03), "write-2", auth, false, NOW + 11 * S);
  s = fail(start(retry(s, "write-2"), "write-2", NOW + 20 * S), "write-2", auth, false, NOW + 21 * S);
  s = start(s, "write-3", NOW + 30 * S);
  s = runJob(s, "continuity-1", NOW + 40 * S, 0.01);
  const rateLimit = { kind: "rate_limited", message: "Too many requests for your account's rate limit. Trying again in 90 s." };
  s = fail(start(s, "characters-1", NOW + 40 * S), "characters-1", rateLimit, true, NOW + 100 * S);
  return s;
}

// eslint-disable-next-line no-control-regex -- stripping the ANSI codes is the point
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

describe("formatQueue", () => {
  it("a batch midway: stages per chapter, attempts, cost, errors in plain words, totals and how to resume", () => {
    expect(formatQueue(midway(), { now: NOW + 120 * S, color: false, timeZone: "UTC" })).toBe(
      [
        "The Lighthouse Keeper · plan-ahead · batch b1 · started 2m00s ago · owner laptop",
        "  ch  brief ▸ write   ▸ checks       tries   cost",
        "   1  done  ▸ done    ▸ 1/3 queued       4  $0.28",
        "      ! characters-1 queued, 1 attempt: rate limited — resuming at 22:16",
        "   2  done  ▸ failed  ▸ 0/4 blocked      3  $0.05",
        "      ✗ write-2 failed, 2 attempts: the API key was refused — check ANTHROPIC_API_KEY",
        "   3  done  ▸ running ▸ 0/4 blocked      2  $0.02",
        "  total: 5/17 jobs done, 1 failed, 1 running · 9 attempts · $0.35 of $5.00 cap",
        "  11 jobs not finished — run `bookwright generate <book>` again to resume.",
        "",
      ].join("\n"),
    );
  });

  it("once the rate limit has passed, says it resumes on the next run", () => {
    expect(formatQueue(midway(), { now: NOW + 65 * 60 * S, color: false, timeZone: "UTC" })).toContain(
      "      ! characters-1 queued, 1 attempt: rate limited — resumes on the next run\n",
    );
  });

  it("colors states only when asked, keeping the columns aligned", () => {
    const plain = formatQueue(midway(), { now: NOW + 120 * S, color: false, timeZone: "UTC" });
    const colored = formatQueue(midway(), { now: NOW + 120 * S, color: true, timeZone: "UTC" });
    expect(plain).not.toContain("\x1b");
    expect(colored).toContain("\x1b[1mThe Lighthouse Keeper\x1b[0m");
    expect(colored).toContain("   2  \x1b[32mdone\x1b[0m  ▸ \x1b[31mfailed\x1b[0m  ▸ \x1b[33m0/4 blocked\x1b[0m      3  $0.05");
    expect(colored).toContain("\x1b[36mrunning\x1b[0m");
    expect(stripAnsi(colored)).toBe(plain);
  });

  it("a sequential batch not started yet: waiting behind the earlier chapter, no cost, how to start", () => {
    const state = buildBatch({ batchId: "b2", bookFolder: "Novel", deviceId: "desktop", chapters: [1, 2], mode: "sequential", now: NOW });
    expect(formatQueue(state, { now: NOW + 3 * 3600 * S, color: false })).toBe(
      [
        "Novel · sequential · batch b2 · started 3h00m ago · owner desktop",
        "  ch  brief   ▸ write   ▸ checks       tries  cost",
        "   1  queued  ▸ waiting ▸ 0/3 waiting      0     —",
        "   2  waiting ▸ waiting ▸ 0/3 waiting      0     —",
        "  total: 0/10 jobs done · 0 attempts · $0.00 spent",
        "  10 jobs not finished — run `bookwright generate <book>` again to resume.",
        "",
      ].join("\n"),
    );
  });

  it("a finished batch has no resume note; cancelled and paused jobs are named in the totals", () => {
    let s = batch();
    for (const job of s.jobs) s = runJob(s, job.id, NOW + S, 0.1);
    expect(formatQueue(s, { now: NOW + 600 * S, color: false }).split("\n").slice(-3)).toEqual([
      "   3  done  ▸ done  ▸ 4/4         6  $0.60",
      "  total: 17/17 jobs done · 17 attempts · $1.70 of $5.00 cap",
      "",
    ]);

    let t = batch();
    t = { ...t, jobs: t.jobs.map((j) => (j.chapter === 3 ? { ...j, state: "cancelled" as const } : j.chapter === 2 ? { ...j, state: "paused" as const } : j)) };
    expect(formatQueue(t, { now: NOW, color: false })).toBe(
      [
        "The Lighthouse Keeper · plan-ahead · batch b1 · started 0s ago · owner laptop",
        "  ch  brief     ▸ write     ▸ checks         tries  cost",
        "   1  queued    ▸ waiting   ▸ 0/3 waiting        0     —",
        "   2  paused    ▸ paused    ▸ 0/4 paused         0     —",
        "   3  cancelled ▸ cancelled ▸ 0/4 cancelled      0     —",
        "  total: 0/17 jobs done, 6 paused, 6 cancelled · 0 attempts · $0.00 of $5.00 cap",
        "  11 jobs not finished — run `bookwright generate <book>` again to resume.",
        "",
      ].join("\n"),
    );
  });

  it("an empty batch", () => {
    const state = buildBatch({ batchId: "b3", bookFolder: "Novel", deviceId: "desktop", chapters: [], mode: "sequential", now: NOW });
    expect(formatQueue(state, { now: NOW, color: false })).toBe("Novel · sequential · batch b3 · started 0s ago · owner desktop\n  no jobs\n");
  });
});
