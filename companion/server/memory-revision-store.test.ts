import { describe, expect, it } from "vitest";
import { MemoryRevisionStore } from "./memory-revision-store";

const DAY = 24 * 60 * 60 * 1000;

describe("MemoryRevisionStore", () => {
  it("captures with word counts, deltas and bytes", () => {
    const store = new MemoryRevisionStore({ now: () => new Date("2026-01-02T03:04:05.000Z") });
    const first = store.capture({ note: "a.md", text: "one two", source: "plugin", label: "first" });
    expect(first).toEqual({
      created: true,
      revision: { id: first.revision.id, note: "a.md", createdAt: "2026-01-02T03:04:05.000Z", source: "plugin", words: 2, wordDelta: 0, bytes: 7, label: "first" },
    });
    const second = store.capture({ note: "a.md", text: "one — é", source: "watcher" });
    expect(second.revision).toMatchObject({ words: 2, wordDelta: 0, bytes: 10 });
    expect(second.revision.label).toBeUndefined();
    expect(store.capture({ note: "a.md", text: "one", source: "cli" }).revision.wordDelta).toBe(-1);
  });

  it("dedupes text equal to the note's latest revision, but not to an older one", () => {
    const store = new MemoryRevisionStore();
    const a = store.capture({ note: "a.md", text: "A", source: "plugin" });
    expect(store.capture({ note: "a.md", text: "A", source: "watcher" })).toEqual({ revision: a.revision, created: false });
    store.capture({ note: "a.md", text: "B", source: "plugin" });
    expect(store.capture({ note: "a.md", text: "A", source: "plugin" }).created).toBe(true);
    // The same text in another note is its own revision.
    expect(store.capture({ note: "b.md", text: "A", source: "plugin" }).created).toBe(true);
  });

  it("returns the first revision for a repeated idempotency key", () => {
    const store = new MemoryRevisionStore();
    const first = store.capture({ note: "a.md", text: "1", source: "plugin", idempotencyKey: "k" });
    expect(store.capture({ note: "a.md", text: "2", source: "plugin", idempotencyKey: "k" })).toEqual({ revision: first.revision, created: false });
    expect(store.list("a.md")).toHaveLength(1);
  });

  it("lists newest first, pages with before, and gets by id", () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const store = new MemoryRevisionStore({ now: () => new Date(t) });
    const ids = ["1", "2", "3", "4"].map((text) => {
      t += 1000;
      return store.capture({ note: "a.md", text, source: "plugin" }).revision.id;
    });
    // Same millisecond: capture order decides.
    const tie = store.capture({ note: "a.md", text: "5", source: "plugin" }).revision.id;
    expect(store.list("a.md").map((r) => r.id)).toEqual([tie, ...[...ids].reverse()]);
    expect(store.list("a.md", { limit: 2, before: ids[3] }).map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(store.list("a.md", { before: "nope" })).toEqual([]);
    expect(store.list("b.md")).toEqual([]);
    expect(store.get(ids[0]!)?.text).toBe("1");
    expect(store.get("nope")).toBeNull();
  });

  it("lists notes sorted", () => {
    const store = new MemoryRevisionStore();
    for (const note of ["b.md", "A/z.md", "a.md"]) store.capture({ note, text: "x", source: "plugin" });
    expect(store.notes()).toEqual(["A/z.md", "a.md", "b.md"]);
  });

  it("prunes old revisions to one a day, never a note's newest", () => {
    const now = new Date("2026-03-01T12:00:00Z");
    const store = new MemoryRevisionStore();
    const at = (daysAgo: number, hour: number): Date => new Date(now.getTime() - daysAgo * DAY + hour * 3600_000);
    let n = 0;
    const add = (note: string, when: Date): string => store.capture({ note, text: `v${n++}`, source: "watcher", at: when }).revision.id;
    add("a.md", at(40, -3));
    const keptDaily = add("a.md", at(40, -1));
    const recent1 = add("a.md", at(2, 0));
    const recent2 = add("a.md", at(1, 0));
    const lonely = add("b.md", at(90, 0));
    expect(store.prune({ keepAllDays: 30, thenDaily: true }, now)).toBe(1);
    expect(store.list("a.md").map((r) => r.id)).toEqual([recent2, recent1, keptDaily]);
    expect(store.prune({ keepAllDays: 30, thenDaily: false }, now)).toBe(1);
    expect(store.list("a.md").map((r) => r.id)).toEqual([recent2, recent1]);
    expect(store.list("b.md").map((r) => r.id)).toEqual([lonely]);
  });
});
