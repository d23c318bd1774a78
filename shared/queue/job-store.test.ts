import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { buildBatch } from "./graph";
import { MemoryJobStore, queuePath, VaultJobStore, type JobStoreProblem } from "./job-store";
import { recordOutput, serializeQueueState, start } from "./jobs";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const state = buildBatch({ batchId: "b1", bookFolder: "My Book", deviceId: "laptop", chapters: [1, 2], mode: "sequential", now: NOW });

describe("MemoryJobStore", () => {
  it("round-trips a state and filters by batch", async () => {
    const store = new MemoryJobStore();
    expect(await store.load()).toBeNull();
    await store.save(state);
    expect(await store.load()).toEqual(state);
    expect(await store.load("b1")).toEqual(state);
    expect(await store.load("other")).toBeNull();
    expect(store.saves).toBe(1);
  });

  it("keeps a copy, not the caller's object", async () => {
    const store = new MemoryJobStore();
    const mine = structuredClone(state);
    await store.save(mine);
    mine.jobs[0]!.state = "cancelled";
    expect((await store.load())!.jobs[0]!.state).toBe("queued");
  });
});

describe("VaultJobStore", () => {
  function setup(): { vault: MemoryVault; store: VaultJobStore; problems: JobStoreProblem[] } {
    const vault = new MemoryVault({ now: () => NOW });
    const problems: JobStoreProblem[] = [];
    const store = new VaultJobStore(vault, "My Book", { onProblem: (p) => problems.push(p), now: () => NOW });
    return { vault, store, problems };
  }

  it("stores the state in the book's dot-folder, out of the note listing", async () => {
    const { vault, store } = setup();
    expect(store.path).toBe("My Book/.bookwright/queue.json");
    expect(queuePath("My Book/")).toBe("My Book/.bookwright/queue.json");
    expect(await store.load()).toBeNull();
    const running = recordOutput(start(state, "brief-1", NOW, "h"), "brief-1", { recordedAt: NOW, text: "brief" });
    await store.save(running);
    expect(await vault.read("My Book/.bookwright/queue.json")).toBe(serializeQueueState(running));
    expect(await store.load()).toEqual(running);
    expect(await store.load("b2")).toBeNull();
    expect((await vault.list("My Book")).map((f) => f.path)).toEqual([]);
  });

  it("keeps the last of concurrent saves", async () => {
    const { store } = setup();
    const later = start(state, "brief-1", NOW);
    await Promise.all([store.save(state), store.save(later)]);
    expect(await store.load()).toEqual(later);
  });

  it.each([
    ["corrupt JSON", '{"version": 1, "jobs": [', /not valid JSON/],
    ["an unknown version", JSON.stringify({ ...state, version: 7 }), /unknown queue format version 7/],
    ["a wrong field", JSON.stringify({ ...state, jobs: "none" }), /invalid queue state/],
  ])("moves a file with %s aside, reports it and loads nothing", async (_what, text, reason) => {
    const { vault, store, problems } = setup();
    vault.seed({ "My Book/.bookwright/queue.json": text });
    expect(await store.load()).toBeNull();
    const aside = "My Book/.bookwright/queue.corrupt-2026-01-02T03-04-05-006Z.json";
    expect(await vault.exists("My Book/.bookwright/queue.json")).toBe(false);
    expect(await vault.read(aside)).toBe(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "My Book/.bookwright/queue.json", movedTo: aside });
    expect(problems[0]!.message).toContain("My Book/.bookwright/queue.json");
    expect(problems[0]!.message).toMatch(reason);
  });

  it("never overwrites an earlier corrupt file", async () => {
    const { vault, store } = setup();
    vault.seed({ "My Book/.bookwright/queue.json": "first" });
    await store.load();
    vault.seed({ "My Book/.bookwright/queue.json": "second" });
    await store.load();
    expect(await vault.read("My Book/.bookwright/queue.corrupt-2026-01-02T03-04-05-006Z.json")).toBe("first");
    expect(await vault.read("My Book/.bookwright/queue.corrupt-2026-01-02T03-04-05-006Z-1.json")).toBe("second");
  });
});
