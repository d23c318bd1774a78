import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
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
