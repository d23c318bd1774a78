import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isWatchedNote, watchVault, type VaultWatcher } from "./vault-watcher";

describe("isWatchedNote", () => {
  it.each([
    ["Book/Chapters/01 Storm.md", true],
    ["Inbox.md", true],
    [".config-folder/workspace.md", false],
    ["Book/.bookwright/queue.md", false],
    [".trash/Old.md", false],
    ["Book/Exports/Book (md).md", false],
    ["Book/Cover.jpg", false],
  ])("%s → %s", (p, watched) => {
    expect(isWatchedNote(p)).toBe(watched);
  });
});

describe("watchVault", () => {
  let root: string;
  let watcher: VaultWatcher | null = null;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "bookwright-watch-"));
    await mkdir(path.join(root, "Book", "Chapters"), { recursive: true });
    await mkdir(path.join(root, ".trash"), { recursive: true });
  });
  afterEach(async () => {
    watcher?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("reports a note written in several saves once, and ignores hidden folders and other files", async () => {
    const seen: string[] = [];
    let resolve!: () => void;
    const reported = new Promise<void>((r) => (resolve = r));
    watcher = watchVault({
      root,
      debounceMs: 300,
      onNoteChanged: (p) => {
        seen.push(p);
        if (p === "Book/Chapters/01 Storm.md") resolve();
      },
    });
    await writeFile(path.join(root, ".trash", "Old chapter.md"), "gone");
    await writeFile(path.join(root, "Book", "cover.jpg"), "x");
    for (const text of ["The", "The storm", "The storm came."]) await writeFile(path.join(root, "Book", "Chapters", "01 Storm.md"), text);
    await reported;
    expect(seen).toEqual(["Book/Chapters/01 Storm.md"]);
  }, 20_000);
});

describe("watchVault, as sync clients and editors save", () => {
  let root: string;
  let watcher: VaultWatcher | null = null;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "bookwright-watch-"));
    await mkdir(path.join(root, "Book"), { recursive: true });
  });
  afterEach(async () => {
    watcher?.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Resolves with the next note reported. */
  function watching(): () => Promise<string> {
    const waiting: ((p: string) => void)[] = [];
    const queued: string[] = [];
    watcher = watchVault({
      root,
      debounceMs: 100,
      onNoteChanged: (p) => {
        const next = waiting.shift();
        if (next) next(p);
        else queued.push(p);
      },
    });
    return () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise<string>((r) => waiting.push(r)));
  }

  it("keeps reporting a note that is replaced by renaming a new file over it, again and again", async () => {
    const next = watching();
    const note = path.join(root, "Book", "01.md");
    for (const text of ["one", "two", "three"]) {
      const partial = path.join(root, "Book", `.01.md.${text}.tmp`);
      await writeFile(partial, text);
      await rename(partial, note);
      expect(await next()).toBe("Book/01.md");
    }
  }, 20_000);

  it("watches folders made after it started, and reports the notes of a folder moved in", async () => {
    const next = watching();
    await mkdir(path.join(root, "New", "Deep"), { recursive: true });
    // No waiting for the new folders' watches: a note already there when a folder is first watched is reported too.
    await writeFile(path.join(root, "New", "Deep", "a.md"), "a");
    expect(await next()).toBe("New/Deep/a.md");
    const outside = await mkdtemp(path.join(os.tmpdir(), "bookwright-outside-"));
    await mkdir(path.join(outside, "Moved"));
    await writeFile(path.join(outside, "Moved", "b.md"), "b");
    await rename(path.join(outside, "Moved"), path.join(root, "Moved"));
    expect(await next()).toBe("Moved/b.md");
    await rm(outside, { recursive: true, force: true });
  }, 20_000);
});
