import { describe, expect, it } from "vitest";
import { buildBatch } from "../../shared/queue/graph";
import { start } from "../../shared/queue/jobs";
import { HiddenFilesAdapter } from "../../test/obsidian-stub/obsidian";
import { AdapterJobStore } from "./adapter-job-store";

const state = buildBatch({ batchId: "b1", bookFolder: "Book", deviceId: "d", chapters: [1, 2], mode: "sequential", now: 0 });

describe("AdapterJobStore", () => {
  it("keeps the queue in the book's hidden folder, where the CLI keeps it too", async () => {
    const adapter = new HiddenFilesAdapter();
    const store = new AdapterJobStore(adapter, "Book");
    expect(await store.load()).toBeNull();
    await store.save(state);
    const next = start(state, "brief-1", 5);
    await store.save(next);
    expect([...adapter.files.keys()]).toEqual(["Book/.bookwright/queue.json"]);
    expect(await store.load()).toEqual(next);
    expect(await store.load("other-batch")).toBeNull();
  });

  it("reads the temp file when a save stopped between removing the old file and renaming the new one", async () => {
    const adapter = new HiddenFilesAdapter();
    const store = new AdapterJobStore(adapter, "Book");
    await store.save(state);
    const next = start(state, "brief-1", 5);
    await adapter.write("Book/.bookwright/queue.json.tmp", JSON.stringify(next));
    await adapter.remove("Book/.bookwright/queue.json");
    expect(await new AdapterJobStore(adapter, "Book").load()).toEqual(next);
  });

  it("moves a corrupt file aside and says where", async () => {
    const adapter = new HiddenFilesAdapter();
    await adapter.write("Book/.bookwright/queue.json", "{ not json");
    const problems: string[] = [];
    const store = new AdapterJobStore(adapter, "Book", { onProblem: (p) => problems.push(p.movedTo), now: () => Date.UTC(2026, 10, 25) });
    expect(await store.load()).toBeNull();
    expect(problems).toHaveLength(1);
    expect(adapter.files.get(problems[0]!)).toBe("{ not json");
    expect(adapter.files.has("Book/.bookwright/queue.json")).toBe(false);
  });
});
