import { describe, expect, it } from "vitest";
import { buildBatch, criticalPath, idealMakespan, listScheduleMakespan, prioritizeChapter, topologicalOrder } from "./graph";
import { ready, type Job, type QueueState } from "./jobs";

const spec = { batchId: "b1", bookFolder: "Book", deviceId: "laptop", now: 0 };

function deps(state: QueueState): Record<string, string[]> {
  return Object.fromEntries(state.jobs.map((j) => [j.id, j.dependsOn]));
}

describe("buildBatch", () => {
  it("sequential: each brief waits for the previous chapter's continuity job", () => {
    const s = buildBatch({ ...spec, chapters: [3, 1, 2], mode: "sequential" });
    expect(deps(s)).toEqual({
      "brief-1": [],
      "write-1": ["brief-1"],
      "continuity-1": ["write-1"],
      "characters-1": ["write-1"],
      "timeline-1": ["write-1"],
      "brief-2": ["continuity-1"],
      "write-2": ["brief-2"],
      "continuity-2": ["write-2"],
      "characters-2": ["write-2"],
      "timeline-2": ["write-2"],
      "brief-3": ["continuity-2"],
      "write-3": ["brief-3"],
      "continuity-3": ["write-3"],
      "characters-3": ["write-3"],
      "timeline-3": ["write-3"],
    });
    expect(s).toMatchObject({ version: 1, batchId: "b1", bookFolder: "Book", deviceId: "laptop", mode: "sequential", createdAt: 0 });
    expect(s.jobs.every((j) => j.state === "queued" && j.attempts === 0)).toBe(true);
  });

  it("plan-ahead: briefs are free, and a seam job joins each consecutive pair of writes", () => {
    const s = buildBatch({ ...spec, chapters: [1, 2, 3], mode: "plan-ahead" });
    expect(deps(s)).toEqual({
      "brief-1": [],
      "write-1": ["brief-1"],
      "continuity-1": ["write-1"],
      "characters-1": ["write-1"],
      "timeline-1": ["write-1"],
      "brief-2": [],
      "write-2": ["brief-2"],
      "continuity-2": ["write-2"],
      "characters-2": ["write-2"],
      "timeline-2": ["write-2"],
      "brief-3": [],
      "write-3": ["brief-3"],
      "continuity-3": ["write-3"],
      "characters-3": ["write-3"],
      "timeline-3": ["write-3"],
      "seam-1-2": ["write-1", "write-2"],
      "seam-2-3": ["write-2", "write-3"],
    });
    expect(s.jobs.find((j) => j.id === "seam-2-3")).toMatchObject({ kind: "seam", chapter: 3, previousChapter: 2 });
  });

  it("a brief does not wait for a chapter outside the batch", () => {
    const s = buildBatch({ ...spec, chapters: [2, 4, 5], mode: "sequential" });
    expect(deps(s)["brief-2"]).toEqual([]);
    expect(deps(s)["brief-4"]).toEqual([]);
    expect(deps(s)["brief-5"]).toEqual(["continuity-4"]);
  });

  it("gives every job a distinct idempotency key and keeps the cost cap", () => {
    const s = buildBatch({ ...spec, chapters: [1, 2, 3], mode: "plan-ahead", costCapUsd: 5 });
    expect(new Set(s.jobs.map((j) => j.idempotencyKey)).size).toBe(s.jobs.length);
    expect(s.costCapUsd).toBe(5);
  });
});

/** A tiny hand-made graph: a → b → d, a → c → d. */
function diamond(durations: Record<string, number>): { state: QueueState; durationOf: (j: Job) => number } {
  const job = (id: string, dependsOn: string[]): Job => ({
    id,
    kind: "brief",
    chapter: 1,
    dependsOn,
    state: "queued",
    attempts: 0,
    idempotencyKey: id,
    priority: 0,
  });
  const state: QueueState = {
    version: 1,
    batchId: "g",
    bookFolder: "",
    deviceId: "d",
    mode: "sequential",
    createdAt: 0,
    jobs: [job("a", []), job("b", ["a"]), job("c", ["a"]), job("d", ["b", "c"])],
  };
  return { state, durationOf: (j) => durations[j.id]! };
}

describe("schedule measures", () => {
  it("criticalPath follows the longest chain", () => {
    const { state, durationOf } = diamond({ a: 1, b: 5, c: 2, d: 1 });
    expect(criticalPath(state, durationOf)).toEqual({ length: 7, jobs: ["a", "b", "d"] });
  });

  it("idealMakespan is the larger of the critical path and the work per worker", () => {
    const { state, durationOf } = diamond({ a: 1, b: 5, c: 2, d: 1 });
    expect(idealMakespan(state, { concurrency: 1, durationOf })).toBe(9);
    expect(idealMakespan(state, { concurrency: 2, durationOf })).toBe(7);
    expect(idealMakespan(state, { concurrency: 8, durationOf })).toBe(7);
    expect(() => idealMakespan(state, { concurrency: 0, durationOf })).toThrow(/concurrency/);
  });

  it("idealMakespan of whole batches: plan-ahead is shorter than sequential with enough workers", () => {
    const durationOf = (j: Job): number => ({ brief: 1, write: 10, continuity: 2, characters: 1, timeline: 1, seam: 2 })[j.kind];
    const sequential = buildBatch({ ...spec, chapters: [1, 2, 3], mode: "sequential" });
    const planAhead = buildBatch({ ...spec, chapters: [1, 2, 3], mode: "plan-ahead" });
    // Sequential chain: (brief 1 + write 10 + continuity 2) × 3 chapters.
    expect(criticalPath(sequential, durationOf).length).toBe(39);
    expect(idealMakespan(sequential, { concurrency: 4, durationOf })).toBe(39);
    // Plan-ahead: brief + write + seam (or continuity), 13; work is 3×15 + 2×2 = 49.
    expect(idealMakespan(planAhead, { concurrency: 4, durationOf })).toBe(13);
    expect(idealMakespan(planAhead, { concurrency: 2, durationOf })).toBe(24.5);
  });

  it("list scheduling is never better than the bound and within Graham's factor of it", () => {
    const durationOf = (j: Job): number => ({ brief: 1, write: 10, continuity: 2, characters: 1, timeline: 1, seam: 2 })[j.kind];
    for (const mode of ["sequential", "plan-ahead"] as const) {
      for (const concurrency of [1, 2, 3, 8]) {
        const s = buildBatch({ ...spec, chapters: [1, 2, 3, 4], mode });
        const bound = idealMakespan(s, { concurrency, durationOf });
        const greedy = listScheduleMakespan(s, { concurrency, durationOf });
        expect(greedy).toBeGreaterThanOrEqual(bound);
        expect(greedy).toBeLessThanOrEqual((2 - 1 / concurrency) * bound + 1e-9);
      }
    }
    const { state, durationOf: d } = diamond({ a: 1, b: 5, c: 2, d: 1 });
    expect(listScheduleMakespan(state, { concurrency: 2, durationOf: d })).toBe(7);
    expect(listScheduleMakespan(state, { concurrency: 1, durationOf: d })).toBe(9);
  });

  it("topologicalOrder reports cycles", () => {
    const { state } = diamond({});
    state.jobs[0]!.dependsOn = ["d"];
    expect(() => topologicalOrder(state)).toThrow(/cycle/);
  });
});

describe("prioritizeChapter", () => {
  it("puts the open chapter's ready jobs first, and gives the others their usual priority back", () => {
    const state = buildBatch({ batchId: "b", bookFolder: "B", deviceId: "d", chapters: [1, 2, 3, 4], mode: "plan-ahead", now: 0 });
    expect(ready(state)[0]!.id).toBe("brief-1");
    const lifted = prioritizeChapter(state, 3);
    expect(ready(lifted).map((j) => j.id)).toEqual(["brief-3", "brief-1", "brief-2", "brief-4"]);
    const back = prioritizeChapter(lifted, null);
    expect(back.jobs.map((j) => j.priority)).toEqual(state.jobs.map((j) => j.priority));
    expect(prioritizeChapter(state, null)).toEqual(state);
  });
});
