import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import * as nodePath from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type SqliteDatabase } from "../db/database";
import { RevisionCorruptError, SqliteRevisionStore } from "./sqlite-revision-store";
import { corpusChapter, seededRandom, smallEdit } from "./storage-measure";
import type { RetentionPolicy, RevisionSource } from "./types";

const NOTE = "My Book/Chapters/01 Storm.md";
const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let folder: string;
let db: SqliteDatabase;
let store: SqliteRevisionStore;

beforeEach(() => {
  folder = mkdtempSync(nodePath.join(os.tmpdir(), "bookwright-revisions-"));
  db = openDatabase(nodePath.join(folder, "vault.sqlite"));
  store = new SqliteRevisionStore(db);
});
afterEach(() => {
  db.close();
  rmSync(folder, { recursive: true, force: true });
});

function capture(text: string, at: number, extra: { note?: string; source?: RevisionSource; label?: string; idempotencyKey?: string } = {}) {
  return store.capture({ note: extra.note ?? NOTE, text, source: extra.source ?? "watcher", at: new Date(at), label: extra.label, idempotencyKey: extra.idempotencyKey });
}

const count = (sql: string): number => db.prepare(sql).pluck().get() as number;

/** Every blob's base exists, and no blob is left without a revision. */
function expectConsistentBlobs(database: SqliteDatabase): void {
  expect(database.pragma("foreign_key_check")).toEqual([]);
  expect(database.prepare("SELECT count(*) FROM revision_blobs b WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.blob = b.id)").pluck().get()).toBe(0);
  expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
}

describe("SqliteRevisionStore", () => {
  it("refuses a database that was not migrated", async () => {
    const { default: Database } = await import("better-sqlite3");
    const bare = new Database(":memory:");
    try {
      expect(() => new SqliteRevisionStore(bare)).toThrow(/openDatabase/);
    } finally {
      bare.close();
    }
  });

  it("captures a revision with its words, bytes, source, label and time", () => {
    const text = "---\ntitle: Storm\n---\nThe wind rose. Naïve café — 🙂\n";
    const result = capture(text, T0, { source: "plugin", label: "before AI write: chapter 1 draft" });
    expect(result.created).toBe(true);
    expect(result.revision.id).toMatch(/^[0-9a-f]{32}$/);
    expect(result.revision).toEqual({
      id: result.revision.id,
      note: NOTE,
      createdAt: new Date(T0).toISOString(),
      source: "plugin",
      // Frontmatter counts as text: title, Storm, The, wind, rose, Naïve, café.
      words: 7,
      wordDelta: 0,
      bytes: Buffer.byteLength(text, "utf8"),
      label: "before AI write: chapter 1 draft",
    });
    expect(result.revision.id).not.toContain("Storm");
    expect(store.get(result.revision.id)).toEqual({ ...result.revision, text });
  });

  it("counts the word delta against the previous revision", () => {
    const first = capture("one two three", T0).revision;
    const second = capture("one two three four five", T0 + 1000).revision;
    const third = capture("one", T0 + 2000).revision;
    expect([first.wordDelta, second.wordDelta, third.wordDelta]).toEqual([0, 2, -4]);
    expect(third.words).toBe(1);
  });

  it("dedupes: the latest text again stores nothing and returns the latest revision", () => {
    const first = capture("Same text.", T0);
    const again = capture("Same text.", T0 + 1000, { source: "plugin" });
    expect(again).toEqual({ revision: first.revision, created: false });
    expect(store.list(NOTE)).toHaveLength(1);
  });

  it("stores each distinct text once, across time and notes", () => {
    capture("Draft A.", T0);
    capture("Draft B.", T0 + 1000);
    const back = capture("Draft A.", T0 + 2000);
    const elsewhere = capture("Draft A.", T0 + 3000, { note: "My Book/Chapters/02 Calm.md" });
    expect(back.created).toBe(true);
    expect(elsewhere.created).toBe(true);
    expect(count("SELECT count(*) FROM revisions")).toBe(4);
    expect(count("SELECT count(*) FROM revision_blobs")).toBe(2);
    expect(store.get(back.revision.id)?.text).toBe("Draft A.");
    expect(store.get(elsewhere.revision.id)?.text).toBe("Draft A.");
  });

  it("returns the first result for a retried idempotency key", () => {
    const first = capture("Version one.", T0, { idempotencyKey: "job-7-before-write" });
    expect(first.created).toBe(true);
    const retry = capture("Version one.", T0 + 5000, { idempotencyKey: "job-7-before-write" });
    expect(retry).toEqual({ revision: first.revision, created: false });
    // Even when the note moved on in between, the key still answers with what the first attempt made.
    capture("Version two.", T0 + 6000);
    const late = capture("Version one.", T0 + 7000, { idempotencyKey: "job-7-before-write" });
    expect(late).toEqual({ revision: first.revision, created: false });
    expect(store.list(NOTE)).toHaveLength(2);
    expect(count("SELECT count(*) FROM revision_idempotency_keys")).toBe(1);
  });

  it("remembers a key whose capture was a dedupe", () => {
    const first = capture("Unchanged.", T0);
    const deduped = capture("Unchanged.", T0 + 1000, { idempotencyKey: "k1" });
    expect(deduped).toEqual({ revision: first.revision, created: false });
    capture("Changed.", T0 + 2000);
    expect(capture("Unchanged.", T0 + 3000, { idempotencyKey: "k1" })).toEqual({ revision: first.revision, created: false });
  });

  it("lists newest first, with a limit and a `before` cursor that pages through everything", () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(capture(`text ${i}`, T0 + (i < 3 ? 0 : i) * 1000).revision.id);
    const newestFirst = [...ids].reverse();
    expect(store.list(NOTE).map((r) => r.id)).toEqual(newestFirst);
    expect(store.list(NOTE, { limit: 2 }).map((r) => r.id)).toEqual(newestFirst.slice(0, 2));
    const paged: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = store.list(NOTE, { limit: 3, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      paged.push(...page.map((r) => r.id));
      before = page[page.length - 1]!.id;
    }
    // Revisions at the same millisecond keep their capture order.
    expect(paged).toEqual(newestFirst);
    expect(store.list(NOTE, { before: "no-such-id" })).toEqual([]);
    expect(store.list("Other.md")).toEqual([]);
    expect(store.list(NOTE, { limit: 0 })).toEqual([]);
    expect(() => store.list(NOTE, { limit: -1 })).toThrow(RangeError);
  });

  it("lists the notes that have revisions, sorted", () => {
    capture("b", T0, { note: "Book/b.md" });
    capture("a", T0, { note: "Book/a.md" });
    capture("a2", T0 + 1, { note: "Book/a.md" });
    expect(store.notes()).toEqual(["Book/a.md", "Book/b.md"]);
  });

  it("returns null for an unknown id", () => {
    expect(store.get("0".repeat(32))).toBeNull();
  });

  it("places a capture dated before the latest one in time, fixing its successor's word delta", () => {
    capture("one", T0);
    const later = capture("one two three four", T0 + 2000).revision;
    const between = capture("one two", T0 + 1000).revision;
    expect(between.wordDelta).toBe(1);
    expect(store.list(NOTE).map((r) => [r.id, r.wordDelta])).toEqual([
      [later.id, 2],
      [between.id, 1],
      [expect.any(String), 0],
    ]);
  });

  it("rejects malformed input", () => {
    expect(() => store.capture({ note: "", text: "x", source: "cli" })).toThrow(TypeError);
    expect(() => store.capture({ note: NOTE, text: "x", source: "nope" as RevisionSource })).toThrow(/unknown source/);
    expect(() => store.capture({ note: NOTE, text: "x", source: "cli", at: new Date(Number.NaN) })).toThrow(/valid Date/);
    expect(count("SELECT count(*) FROM revisions")).toBe(0);
  });

  it("stores small edits as scripts with a keyframe at least every N, and rebuilds every revision exactly", () => {
    const small = new SqliteRevisionStore(db, { keyframeInterval: 10, cacheBytes: 0 });
    const random = seededRandom(99);
    let text = corpusChapter(2000);
    const captured: [string, string][] = [];
    for (let i = 0; i < 60; i++) {
      if (i > 0) text = smallEdit(text, random);
      const { revision, created } = small.capture({ note: NOTE, text, source: "watcher", at: new Date(T0 + i * 1000) });
      if (created) captured.push([revision.id, text]);
    }
    expect(count("SELECT max(depth) FROM revision_blobs")).toBeLessThan(10);
    expect(count("SELECT count(*) FROM revision_blobs WHERE format = 0")).toBeGreaterThanOrEqual(6);
    expect(count("SELECT count(*) FROM revision_blobs WHERE format = 1")).toBeGreaterThan(40);
    // A fresh store (empty cache) rebuilds each from its keyframe.
    const fresh = new SqliteRevisionStore(db, { keyframeInterval: 10, cacheBytes: 0 });
    for (const [id, expected] of captured) expect(fresh.get(id)?.text).toBe(expected);
  });

  it("rebuilds exactly for random edit sequences (property)", () => {
    const memory = openDatabase(":memory:");
    try {
      const edit = fc.oneof(
        fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.string({ maxLength: 40, unit: "grapheme" }) }),
        fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.nat({ max: 30 }) }),
        fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), length: fc.nat({ max: 10 }), text: fc.string({ maxLength: 10, unit: "grapheme-composite" }) }),
        fc.record({ kind: fc.constant("revert" as const), back: fc.nat() }),
      );
      let run = 0;
      fc.assert(
        fc.property(fc.string({ maxLength: 400, unit: "grapheme" }), fc.array(edit, { maxLength: 25 }), fc.integer({ min: 1, max: 6 }), (start, edits, interval) => {
          const note = `run-${run++}.md`;
          const s = new SqliteRevisionStore(memory, { keyframeInterval: interval, cacheBytes: 0 });
          const history: string[] = [start];
          let text = start;
          const expected = new Map<string, string>();
          const keep = (t: string): void => {
            const { revision } = s.capture({ note, text: t, source: "cli" });
            expected.set(revision.id, t);
          };
          keep(text);
          for (const e of edits) {
            // Positions are clamped and kept off surrogate halves: the store keeps UTF-8, as a note file does.
            const at = (n: number): number => {
              let p = text.length === 0 ? 0 : n % (text.length + 1);
              if (p > 0 && p < text.length && /[\udc00-\udfff]/.test(text[p]!)) p--;
              return p;
            };
            if (e.kind === "insert") text = text.slice(0, at(e.at)) + e.text + text.slice(at(e.at));
            else if (e.kind === "delete") text = text.slice(0, at(e.at)) + text.slice(at(at(e.at) + e.length));
            else if (e.kind === "replace") text = text.slice(0, at(e.at)) + e.text + text.slice(at(at(e.at) + e.length));
            else text = history[e.back % history.length]!;
            history.push(text);
            keep(text);
          }
          for (const [id, t] of expected) expect(s.get(id)?.text).toBe(t);
          expect(s.list(note)[0]!.bytes).toBe(Buffer.byteLength(text, "utf8"));
        }),
        { numRuns: 150 },
      );
      expect(memory.pragma("foreign_key_check")).toEqual([]);
    } finally {
      memory.close();
    }
  });

  it("reports a broken chain clearly, and still captures new revisions of that note", () => {
    capture(corpusChapter(300), T0);
    const second = capture(`${corpusChapter(300)}One more sentence.\n`, T0 + 1000).revision;
    expect(count("SELECT format FROM revision_blobs ORDER BY id DESC LIMIT 1")).toBe(1);
    db.prepare("UPDATE revision_blobs SET data = ? WHERE id = (SELECT max(id) FROM revision_blobs)").run(Buffer.from([1, 2, 3, 4]));
    const fresh = new SqliteRevisionStore(db);
    expect(() => fresh.get(second.id)).toThrow(RevisionCorruptError);
    expect(() => fresh.get(second.id)).toThrow(/cannot be rebuilt/);
    const third = fresh.capture({ note: NOTE, text: "A fresh start.", source: "cli", at: new Date(T0 + 2000) });
    expect(fresh.get(third.revision.id)?.text).toBe("A fresh start.");
  });

  it("detects a rebuilt text whose SHA-256 does not match", () => {
    const first = capture("Alpha text.", T0).revision;
    capture("Beta text.", T0 + 1);
    // Swap the stored (keyframe) contents of the two blobs: each now inflates to the other's text.
    const rows = db.prepare("SELECT id, data FROM revision_blobs ORDER BY id").all() as { id: number; data: Buffer }[];
    const update = db.prepare("UPDATE revision_blobs SET data = ? WHERE id = ?");
    update.run(rows[1]!.data, rows[0]!.id);
    update.run(rows[0]!.data, rows[1]!.id);
    expect(() => new SqliteRevisionStore(db).get(first.id)).toThrow(/SHA-256/);
  });
});

describe("SqliteRevisionStore.prune", () => {
  const policy: RetentionPolicy = { keepAllDays: 30, thenDaily: true };
  const now = new Date(T0 + 100 * DAY);

  it("keeps everything recent, the last of each older UTC day, and always the newest", () => {
    const at = (daysAgo: number, hour: number): number => {
      const day = new Date(now.getTime() - daysAgo * DAY);
      return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour);
    };
    const ids: Record<string, string> = {};
    let n = 0;
    const add = (name: string, time: number, note = NOTE): void => {
      ids[name] = capture(`${name} ${"word ".repeat(n++)}`, time, { note }).revision.id;
    };
    add("d40-a", at(40, 9));
    add("d40-b", at(40, 13));
    add("d40-c", at(40, 23));
    add("d35-a", at(35, 1));
    add("d35-b", at(35, 2));
    add("d31", at(31, 8));
    add("d10-a", at(10, 8));
    add("d10-b", at(10, 9));
    add("now", now.getTime() - HOUR);
    // Another note, only old revisions, all on one day: its newest stays whatever its age.
    add("old-a", at(200, 1), "Old.md");
    add("old-b", at(200, 2), "Old.md");

    expect(store.prune(policy, now)).toBe(4);
    expect(store.list(NOTE).map((r) => r.id)).toEqual(["now", "d10-b", "d10-a", "d31", "d35-b", "d40-c"].map((k) => ids[k]));
    expect(store.list("Old.md").map((r) => r.id)).toEqual([ids["old-b"]]);
    // Word deltas now run against the previous kept revision.
    const kept = store.list(NOTE).reverse();
    kept.forEach((r, k) => expect(r.wordDelta).toBe(k === 0 ? 0 : r.words - kept[k - 1]!.words));
    for (const r of kept) expect(store.get(r.id)?.text.startsWith(Object.keys(ids).find((k) => ids[k] === r.id)!)).toBe(true);
    expectConsistentBlobs(db);

    // Without the daily tier, everything older than the window goes but each note's newest.
    expect(store.prune({ keepAllDays: 30, thenDaily: false }, now)).toBe(3);
    expect(store.list(NOTE).map((r) => r.id)).toEqual(["now", "d10-b", "d10-a"].map((k) => ids[k]));
    expect(store.list("Old.md").map((r) => r.id)).toEqual([ids["old-b"]]);
    expect(store.prune(policy, now)).toBe(0);
  });

  it("never breaks a chain: kept revisions whose base was pruned still rebuild", () => {
    const chained = new SqliteRevisionStore(db, { keyframeInterval: 20 });
    const random = seededRandom(5);
    let text = corpusChapter(1500);
    const texts = new Map<string, string>();
    // 120 revisions, 4 a day, starting 60 days before `now`.
    for (let i = 0; i < 120; i++) {
      if (i > 0) text = smallEdit(text, random);
      const { revision, created } = chained.capture({ note: NOTE, text, source: "watcher", at: new Date(now.getTime() - 60 * DAY + i * 6 * HOUR) });
      if (created) texts.set(revision.id, text);
    }
    const before = count("SELECT count(*) FROM revision_blobs");
    const dropped = chained.prune({ keepAllDays: 45, thenDaily: true }, now);
    expect(dropped).toBeGreaterThan(30);
    expect(count("SELECT count(*) FROM revision_blobs")).toBe(before - dropped);
    expectConsistentBlobs(db);
    const fresh = new SqliteRevisionStore(db, { keyframeInterval: 20, cacheBytes: 0 });
    const kept = fresh.list(NOTE);
    expect(kept).toHaveLength(texts.size - dropped);
    for (const r of kept) expect(fresh.get(r.id)?.text).toBe(texts.get(r.id));
    expect(count("SELECT max(depth) FROM revision_blobs")).toBeLessThan(20);
    // The re-encoded blobs are still mostly scripts, not whole copies.
    expect(count("SELECT count(*) FROM revision_blobs WHERE format = 1")).toBeGreaterThan(count("SELECT count(*) FROM revision_blobs WHERE format = 0"));
  });

  it("forgets the idempotency keys of pruned revisions", () => {
    capture("old", now.getTime() - 40 * DAY, { idempotencyKey: "old-key" });
    capture("old, later that day", now.getTime() - 40 * DAY + HOUR);
    capture("new", now.getTime());
    expect(store.prune(policy, now)).toBe(1);
    expect(count("SELECT count(*) FROM revision_idempotency_keys")).toBe(0);
  });

  it("keeps exactly what the policy says, and every kept revision rebuilds (property)", () => {
    // Prune works on the whole database: each run gets its own.
    const databases: SqliteDatabase[] = [];
    try {
      const revision = fc.record({ note: fc.constantFrom("a.md", "b.md", "c.md"), hoursAgo: fc.nat({ max: 24 * 12 }), text: fc.constantFrom("x", "y", "z", "x y", "a b c", "z z z z") });
      let run = 0;
      fc.assert(
        fc.property(fc.array(revision, { maxLength: 40 }), fc.integer({ min: 0, max: 10 }), fc.boolean(), fc.integer({ min: 1, max: 5 }), (items, keepAllDays, thenDaily, interval) => {
          const prefix = `r${run++}/`;
          const memory = openDatabase(":memory:");
          databases.push(memory);
          const s = new SqliteRevisionStore(memory, { keyframeInterval: interval, cacheBytes: 0 });
          const pruneNow = T0 + 50 * DAY;
          type Kept = { id: string; note: string; at: number; text: string; order: number };
          const all: Kept[] = [];
          items.forEach((item, order) => {
            const at = pruneNow - item.hoursAgo * HOUR;
            // Long texts, so some blobs are scripts against others.
            const text = `${item.note} ${"lorem ipsum dolor sit amet ".repeat(20)}${item.text} ${order}`;
            const { revision: r, created } = s.capture({ note: prefix + item.note, text, source: "cli", at: new Date(at) });
            if (created) all.push({ id: r.id, note: prefix + item.note, at, text, order });
          });
          // The model: per note in time order, keep the newest, the young, and (daily) the last of each UTC day.
          const expectKept = new Set<string>();
          const cutoff = pruneNow - keepAllDays * DAY;
          for (const note of new Set(all.map((k) => k.note))) {
            const mine = all.filter((k) => k.note === note).sort((p, q) => p.at - q.at || p.order - q.order);
            mine.forEach((k, i) => {
              const next = mine[i + 1];
              if (!next || k.at >= cutoff || (thenDaily && Math.floor(next.at / DAY) !== Math.floor(k.at / DAY))) expectKept.add(k.id);
            });
          }
          const dropped = s.prune({ keepAllDays, thenDaily }, new Date(pruneNow));
          expect(dropped).toBe(all.length - expectKept.size);
          const keptNow = new Set(s.notes().filter((n) => n.startsWith(prefix)).flatMap((n) => s.list(n).map((r) => r.id)));
          expect(keptNow).toEqual(expectKept);
          for (const k of all) if (expectKept.has(k.id)) expect(s.get(k.id)?.text).toBe(k.text);
          expectConsistentBlobs(memory);
        }),
        { numRuns: 150 },
      );
    } finally {
      for (const memory of databases) memory.close();
    }
  });
});

describe("content addressing", () => {
  it("names blobs by the SHA-256 of the text's UTF-8 bytes", () => {
    const text = "Hashed — ✓";
    capture(text, T0);
    const hash = db.prepare("SELECT hash FROM revision_blobs").pluck().get() as Buffer;
    expect(hash.toString("hex")).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
  });
});
