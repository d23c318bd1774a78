/**
 * The series index's freshness: which changes schedule a rebuild, how a burst of them coalesces, what a
 * failed rebuild leaves behind, and the vault watcher driving it all on disk. No test measures time:
 * each waits for the rebuild it expects (`nextRebuild`, `idle`).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { watchVault, type VaultWatcher } from "../revisions/vault-watcher";
import { SeriesIndex, seriesIdOf } from "./series-index";
import { makeSeriesFixture, type SeriesFixture } from "./test-support";

const book = (title: string, extra = "") => `---\nbookwright: book\ntitle: ${title}\n${extra}---\n`;
const series = (title: string, extra = "") => `---\nbookwright: series\ntitle: ${title}\n${extra}---\n`;
const chapter = (n: number, text: string) => `---\nbookwright: chapter\nchapter: ${n}\ntitle: Chapter ${n}\nstatus: written\n---\n${text}\n`;

const SAGA = {
  "Saga/Series.md": series("Saga", 'books: ["[[Saga/One/Book]]", "[[Saga/Two/Book]]"]\n'),
  "Saga/One/Book.md": book("One", 'series: "[[Series]]"\nseries_order: 1\n'),
  "Saga/One/01.md": chapter(1, "The ship left harbour at dawn."),
  "Saga/Two/Book.md": book("Two", 'series: "[[Series]]"\nseries_order: 2\n'),
  "Saga/Two/01.md": chapter(1, "It came back."),
  "Solo/Book.md": book("Solo"),
  "Notes/Groceries.md": "Milk, eggs.\n",
};
const SAGA_ID = seriesIdOf("Saga/Series.md");

let fixtures: SeriesFixture[] = [];
let watchers: VaultWatcher[] = [];

async function saga(options: Parameters<typeof makeSeriesFixture>[1] = {}): Promise<SeriesFixture> {
  const s = await makeSeriesFixture(SAGA, options);
  fixtures.push(s);
  return s;
}

afterEach(async () => {
  for (const w of watchers) w.close();
  for (const s of fixtures) await s.cleanup();
  fixtures = [];
  watchers = [];
});

/** The vault, with `list` (where every scan starts) replaced. */
function withList(vault: VaultFiles, list: VaultFiles["list"]): VaultFiles {
  return new Proxy(vault, {
    get(target, key) {
      if (key === "list") return list;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Waits through rebuilds (never a clock) until `done` holds; the test's timeout ends a wait that never would. */
async function rebuiltUntil(index: SeriesIndex, done: () => boolean): Promise<void> {
  while (!done()) expect(await index.nextRebuild()).toMatchObject({ ok: true });
}

const words = (s: SeriesFixture): number | undefined => s.index.store.list().find((x) => x.id === SAGA_ID)?.words;

describe("what schedules a rebuild", () => {
  it("any note before the first rebuild; after it, notes under a series or book folder, and Bookwright notes anywhere", async () => {
    const s = await saga({ debounceMs: 60_000 });
    expect(await s.index.noteChanged("Notes/Groceries.md")).toBe(true);
    await s.index.rebuild();
    expect(await s.index.noteChanged("Saga/One/01.md")).toBe(true);
    expect(await s.index.noteChanged("Saga/Characters/New.md")).toBe(true);
    // A standalone book may join a series by editing its Book.md.
    expect(await s.index.noteChanged("Solo/Book.md")).toBe(true);
    expect(await s.index.noteChanged("Notes/Groceries.md")).toBe(false);
    expect(await s.index.noteChanged("Notes/Gone.md")).toBe(false);
    expect(await s.index.noteChanged("Saga/One/cover.jpg")).toBe(false);
    // A new book somewhere else, which may name a series.
    await s.writeNote("Elsewhere/Book.md", book("Three", 'series: "[[Series]]"\nseries_order: 3\n'));
    expect(await s.index.noteChanged("Elsewhere/Book.md")).toBe(true);
  });

  it("coalesces a burst of changes into one rebuild", async () => {
    const s = await saga({ debounceMs: 20 });
    await s.index.rebuild();
    const before = s.index.rebuilds;
    const paths = Array.from({ length: 200 }, (_, i) => `Saga/${i % 2 ? "One" : "Two"}/${String(i).padStart(3, "0")}.md`);
    await Promise.all(paths.map((p) => s.index.noteChanged(p)));
    await s.index.idle();
    expect(s.index.rebuilds - before).toBe(1);
  });

  it("runs one more rebuild after a running one for any number of changes meanwhile, and never two at once", async () => {
    const s = await saga();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let scans = 0;
    let running = 0;
    let overlapped = false;
    const index = new SeriesIndex({
      db: s.db,
      vault: withList(s.vault, async (folder) => {
        scans++;
        running++;
        overlapped ||= running > 1;
        if (scans === 1) await gate;
        running--;
        return s.vault.list(folder);
      }),
      debounceMs: 0,
    });
    const first = index.rebuild();
    // Asked for while the first scan is under way: all share the one that follows.
    const seconds = [index.rebuild(), index.rebuild(), index.rebuild()];
    expect(seconds[1]).toBe(seconds[0]);
    release();
    expect(await first).toMatchObject({ ok: true });
    for (const second of seconds) expect(await second).toMatchObject({ ok: true });
    expect(scans).toBe(2);
    expect(overlapped).toBe(false);
    await index.close();
  });
});

describe("a rebuild that fails", () => {
  it("keeps the last good index and warns in one line, without the note's text", async () => {
    const s = await saga();
    const warnings: string[] = [];
    let fail = false;
    const index = new SeriesIndex({
      db: s.db,
      vault: withList(s.vault, async (folder) => {
        if (fail) throw Object.assign(new Error("EACCES: permission denied, scandir 'Saga'\nThe ship left harbour at dawn."), { code: "EACCES" });
        return s.vault.list(folder);
      }),
      onWarning: (m) => warnings.push(m),
      now: () => Date.UTC(2025, 0, 2, 3, 4, 5),
    });
    expect(await index.rebuild()).toMatchObject({ ok: true, series: 1 });
    const good = index.store.get(SAGA_ID);
    expect(good?.stats.words).toBe(9);

    fail = true;
    await s.writeNote("Saga/One/01.md", chapter(1, "Rewritten entirely, and much longer than before it was."));
    const outcome = await index.rebuild();
    expect(outcome).toEqual({ ok: false, error: "EACCES: EACCES: permission denied, scandir 'Saga'" });
    expect(index.store.get(SAGA_ID)).toEqual(good);
    expect(warnings).toEqual([
      "series index: the rebuild failed (EACCES: EACCES: permission denied, scandir 'Saga'); the index built 2025-01-02T03:04:05.000Z is kept, and the next change in the vault tries again",
    ]);
    expect(warnings.join("")).not.toContain("harbour");

    fail = false;
    expect(await index.rebuild()).toMatchObject({ ok: true });
    expect(index.store.get(SAGA_ID)?.stats.words).toBe(12);
    await index.close();
  });

  it("keeps the index when a note cannot be stored either (a database failure rolls back whole)", async () => {
    const s = await saga();
    const warnings: string[] = [];
    const index = new SeriesIndex({ db: s.db, vault: s.vault, onWarning: (m) => warnings.push(m) });
    await index.rebuild();
    const good = index.store.list();
    // A trigger stands in for a disk that fills up half-way through the rebuild's transaction.
    s.db.exec("CREATE TEMP TRIGGER fail_books BEFORE INSERT ON series_books WHEN NEW.position = 2 BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(await index.rebuild()).toMatchObject({ ok: false });
    expect(index.store.list()).toEqual(good);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^series index: the rebuild failed \(SQLITE_CONSTRAINT_TRIGGER: disk full\)/);
    await index.close();
  });
});

describe("driven by the vault watcher", () => {
  it("rebuilds after a chapter is edited on disk, and after a book joins the series", async () => {
    const s = await saga({ debounceMs: 20 });
    await s.index.rebuild();
    expect(words(s)).toBe(9);
    // The new book's folder is there before the watcher starts: a folder made after it is watched only
    // once the watcher has seen it appear, and a file written at once into it may be missed.
    await mkdir(join(s.vaultPath, "Harbour", "Three"), { recursive: true });
    watchers.push(watchVault({ root: s.vaultPath, debounceMs: 20, onNoteChanged: (note) => void s.index.noteChanged(note) }));

    // A write may reach the watcher as several events, each ending in a rebuild: wait for the one that saw it.
    await s.writeNote("Saga/Two/01.md", chapter(1, "It came back, battered, three years late."));
    await rebuiltUntil(s.index, () => words(s) === 13);

    await s.writeNote("Harbour/Three/Book.md", book("Three", 'series: "[[Saga/Series]]"\nseries_order: 3\n'));
    await rebuiltUntil(s.index, () => s.index.store.get(SAGA_ID)?.books.length === 3);
    expect(s.index.store.get(SAGA_ID)?.books.map((b) => [b.position, b.title, b.folder])).toEqual([
      [1, "One", "Saga/One"],
      [2, "Two", "Saga/Two"],
      [3, "Three", "Harbour/Three"],
    ]);
  });
});

describe("closing", () => {
  it("cancels a scheduled rebuild, tells whoever waits, and writes nothing after", async () => {
    const s = await saga({ debounceMs: 60_000 });
    await s.index.rebuild();
    const before = s.index.rebuilds;
    await s.index.noteChanged("Saga/One/01.md");
    const waiting = s.index.nextRebuild();
    await s.index.close();
    expect(await waiting).toEqual({ ok: false, error: "the series index is closed" });
    expect(s.index.rebuilds).toBe(before);
    expect(await s.index.noteChanged("Saga/One/01.md")).toBe(false);
  });
});
