import type { Command } from "obsidian";
import { beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../../manifest.json";
import { createStubApp, Modal, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import { ObsidianVault } from "../vault/obsidian-vault";
import { bookFolderOf, registerBookStatsCommand } from "./book-stats";

/** A Bookwright book (with a folder nested two deep), a Longform project, and notes in no book. */
const NOTES: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\ntarget_words: 1000\n---\nA keeper's daughter inherits a light.\n",
  // 9 words.
  "Lighthouse/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\nstatus: written\n---\nThe storm came in from the west before dawn.\n",
  // 11 words.
  "Lighthouse/Chapters/02 Supply boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Supply boat\n---\nNo boat came that week, and the lamp oil ran low.\n",
  "Lighthouse/Research/Tides/Spring tides.md": "Spring tides cover the landing twice a month.\n",
  "Harbour/Index.md": "---\nlongform:\n  format: scenes\n  title: Harbour Lights\n  sceneFolder: /\n  scenes:\n    - Arrival\n---\n",
  "Harbour/Arrival.md": "She came in on the night ferry.\n",
  "Inbox/Errands.md": "---\ntags: errand\n---\nBuy lamp oil.\n",
  "Welcome.md": "Start here.\n",
};

/** The third chapter of the duplicate-number test: it claims number 2, which the supply boat has. */
const DUPLICATE = "Lighthouse/Chapters/03 Lamp room.md";

class HostPlugin extends Plugin {}

async function vaultWith(notes: Record<string, string>): Promise<{ app: StubApp; vault: ObsidianVault }> {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(notes)) await vault.write(path, text);
  return { app, vault };
}

function fileAt(app: StubApp, path: string) {
  const file = app.vault.getFileByPath(path);
  if (!file) throw new Error(`the fixture has no ${path}`);
  return file;
}

function checkCallbackOf(command: Command | undefined): (checking: boolean) => boolean | void {
  if (!command?.checkCallback) throw new Error("expected a command with a checkCallback");
  return command.checkCallback;
}

/** Registers the command on a fresh stand-in plugin and makes `activePath` (or nothing) the open note. */
function statsCommand(app: StubApp, vault: ObsidianVault, activePath: string | null): (checking: boolean) => boolean | void {
  const plugin = new HostPlugin(app, manifest);
  registerBookStatsCommand(plugin, vault);
  app.workspace.setActiveFile(activePath === null ? null : fileAt(app, activePath));
  return checkCallbackOf(plugin.commands[0]);
}

/**
 * Lets the command's background load finish. ObsidianVault and the stand-in do only promise work (no
 * timers, no I/O), so all of it runs before the next macrotask: this waits for the work, not for time.
 */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The one modal open now. */
function shownModal(): Modal {
  expect(Modal.showing).toHaveLength(1);
  return Modal.showing[0]!;
}

beforeEach(() => {
  Modal.reset();
  Notice.reset();
});

describe("bookFolderOf", () => {
  it("finds the book folder from a chapter and from a note two folders below the book", async () => {
    const { app } = await vaultWith(NOTES);
    expect(bookFolderOf(app, fileAt(app, "Lighthouse/Chapters/01 Storm.md"))).toBe("Lighthouse");
    expect(bookFolderOf(app, fileAt(app, "Lighthouse/Research/Tides/Spring tides.md"))).toBe("Lighthouse");
    expect(bookFolderOf(app, fileAt(app, "Lighthouse/Book.md"))).toBe("Lighthouse");
  });

  it("returns null for notes in no book, in a folder or at the vault root", async () => {
    const { app } = await vaultWith(NOTES);
    expect(bookFolderOf(app, fileAt(app, "Inbox/Errands.md"))).toBeNull();
    expect(bookFolderOf(app, fileAt(app, "Welcome.md"))).toBeNull();
  });

  it("treats the folder of a Longform index note as a book", async () => {
    const { app } = await vaultWith(NOTES);
    expect(bookFolderOf(app, fileAt(app, "Harbour/Arrival.md"))).toBe("Harbour");
  });

  it("asks the metadata cache and reads no file", async () => {
    const { app } = await vaultWith(NOTES);
    const reads = (["read", "cachedRead", "readBinary"] as const).map((name) => vi.spyOn(app.vault, name));
    const cache = vi.spyOn(app.metadataCache, "getFileCache");
    bookFolderOf(app, fileAt(app, "Lighthouse/Chapters/01 Storm.md"));
    expect(reads.map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0]);
    expect(cache).toHaveBeenCalled();
  });

  it("sees a note become a book index as soon as its frontmatter says so", async () => {
    const { app, vault } = await vaultWith(NOTES);
    const errands = fileAt(app, "Inbox/Errands.md");
    await vault.write("Inbox/Errands.md", "---\nbookwright: book\ntitle: Errands\n---\n");
    expect(bookFolderOf(app, errands)).toBe("Inbox");
  });
});

describe("the Show book stats command", () => {
  it("is available only while a note of a book is open", async () => {
    const { app, vault } = await vaultWith(NOTES);
    expect(statsCommand(app, vault, "Lighthouse/Chapters/02 Supply boat.md")(true)).toBe(true);
    expect(statsCommand(app, vault, "Harbour/Arrival.md")(true)).toBe(true);
    expect(statsCommand(app, vault, null)(true)).toBe(false);
    expect(statsCommand(app, vault, "Inbox/Errands.md")(true)).toBe(false);
    expect(statsCommand(app, vault, "Welcome.md")(true)).toBe(false);
  });

  it("only checks when asked to check: it reads nothing and opens nothing", async () => {
    const { app, vault } = await vaultWith(NOTES);
    const list = vi.spyOn(vault, "list");
    statsCommand(app, vault, "Lighthouse/Chapters/01 Storm.md")(true);
    await settled();
    expect(list).not.toHaveBeenCalled();
    expect(Modal.showing).toEqual([]);
  });

  it("does nothing when run with no book note open", async () => {
    const { app, vault } = await vaultWith(NOTES);
    const list = vi.spyOn(vault, "list");
    expect(statsCommand(app, vault, "Inbox/Errands.md")(false)).toBe(false);
    await settled();
    expect(list).not.toHaveBeenCalled();
    expect(Modal.showing).toEqual([]);
    expect(Notice.messages).toEqual([]);
  });

  it("opens a modal with the book's title, chapters, words and progress", async () => {
    const { app, vault } = await vaultWith(NOTES);
    expect(statsCommand(app, vault, "Lighthouse/Chapters/01 Storm.md")(false)).toBe(true);
    await settled();
    const modal = shownModal();
    expect(modal.titleEl.text).toBe("The Lighthouse Keeper");
    const [pre, ...rest] = modal.contentEl.children;
    expect(pre?.tag).toBe("pre");
    expect(pre?.hasClass("bookwright-stats")).toBe(true);
    const lines = pre?.text.split("\n") ?? [];
    expect(lines[0]).toBe("The Lighthouse Keeper");
    expect(lines[1]).toBe("  2 chapters, 20 words of 1,000 (2%)");
    expect(lines[2]).toBe("  chapters by status: not started 1, written 1");
    expect(lines.slice(3).map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ["1", "Storm", "9", "written"],
      ["2", "Supply boat", "11", "not started"],
    ]);
    // A clean book shows no problems section.
    expect(rest).toEqual([]);
    expect(Notice.messages).toEqual([]);
  });

  it("shows the book of the note that is open, here a Longform project", async () => {
    const { app, vault } = await vaultWith(NOTES);
    statsCommand(app, vault, "Harbour/Arrival.md")(false);
    await settled();
    const modal = shownModal();
    expect(modal.titleEl.text).toBe("Harbour Lights");
    expect(modal.contentEl.findAllByTag("pre")[0]?.text).toContain("1 chapter, 7 words");
  });

  it("reads a book that is the whole vault (Obsidian's root folder is \"/\", the port's is \"\")", async () => {
    const { app, vault } = await vaultWith({
      "Book.md": "---\nbookwright: book\ntitle: Root book\n---\n",
      "One.md": "---\nbookwright: chapter\nchapter: 1\n---\nThree words here.",
    });
    statsCommand(app, vault, "One.md")(false);
    await settled();
    expect(Notice.messages).toEqual([]);
    expect(shownModal().contentEl.findAllByTag("pre")[0]?.text).toContain("1 chapter, 3 words");
  });

  it("lists a chapter number used twice under the stats", async () => {
    const { app, vault } = await vaultWith({
      ...NOTES,
      [DUPLICATE]: "---\nbookwright: chapter\nchapter: 2\ntitle: Lamp room\n---\nThe lamp turned all night.\n",
    });
    statsCommand(app, vault, "Lighthouse/Book.md")(false);
    await settled();
    const modal = shownModal();
    expect(modal.contentEl.findAllByTag("pre")[0]?.text).toContain("3 chapters, 25 words of 1,000 (3%)");
    expect(modal.contentEl.findAllByTag("h3").map((h) => h.text)).toEqual(["Problems found (1)"]);
    const [list] = modal.contentEl.findAllByTag("ul");
    expect(list?.hasClass("bookwright-problems")).toBe(true);
    expect(list?.children.map((li) => [li.tag, li.text])).toEqual([
      [
        "li",
        `error: ${DUPLICATE} (chapter): chapter number 2 is also used by Lighthouse/Chapters/02 Supply boat.md; expected each number once`,
      ],
    ]);
  });

  it("empties the modal when it closes", async () => {
    const { app, vault } = await vaultWith(NOTES);
    statsCommand(app, vault, "Lighthouse/Chapters/01 Storm.md")(false);
    await settled();
    const modal = shownModal();
    modal.close();
    expect(Modal.showing).toEqual([]);
    expect(modal.contentEl.children).toEqual([]);
  });

  it("shows a notice instead of a modal when the book cannot be read", async () => {
    const { app, vault } = await vaultWith(NOTES);
    vi.spyOn(vault, "list").mockRejectedValueOnce(new Error("the disk went away"));
    expect(statsCommand(app, vault, "Lighthouse/Chapters/01 Storm.md")(false)).toBe(true);
    await settled();
    expect(Modal.showing).toEqual([]);
    expect(Notice.messages).toEqual(["Could not read the book: the disk went away"]);
  });
});
