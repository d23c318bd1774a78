// @vitest-environment happy-dom
import type { Editor, MarkdownFileInfo } from "obsidian";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../manifest.json";
import { installObsidianDomHelpers } from "../test/obsidian-dom/dom-helpers";
import { createStubApp, Plugin, type StubApp } from "../test/obsidian-stub/obsidian";
import { formatStatusBar, registerStatusBar } from "./status-bar";
import { ObsidianVault } from "./vault/obsidian-vault";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  // Only the debounce timers are faked; the stand-in's vault does promise work only.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.useRealTimers();
});

const STORM = "Lighthouse/Chapters/01 Storm.md";
const NOTES: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\ntarget_words: 90000\n---\nA keeper's daughter inherits a light.\n",
  // 9 words.
  [STORM]: "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came in from the west before dawn.\n",
  // 11 words.
  "Lighthouse/Chapters/02 Supply boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Supply boat\n---\nNo boat came that week, and the lamp oil ran low.\n",
  "Lighthouse/Research.md": "Spring tides cover the landing twice a month.\n",
  "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\n---\n",
  "Tides/One.md": "---\nbookwright: chapter\nchapter: 1\n---\nThree words here.\n",
  "Inbox/Errands.md": "Buy lamp oil.\n",
};

class HostPlugin extends Plugin {}

async function setUp() {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerStatusBar(plugin, { vault });
  app.workspace.finishLayout();
  const item = plugin.statusBarItems[0]!;
  return { app, vault, plugin, item };
}

async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(2_000);
  await new Promise((resolve) => setImmediate(resolve));
}

async function open(app: StubApp, path: string | null): Promise<void> {
  const file = path === null ? null : app.vault.getFileByPath(path);
  app.workspace.setActiveFile(file);
  app.workspace.trigger("file-open", file);
  await settle();
}

/** An editor whose text the test sets, as Obsidian passes one to editor-change. */
function typeInto(app: StubApp, path: string, text: string): void {
  const editor = { getValue: () => text } as unknown as Editor;
  const info = { file: app.vault.getFileByPath(path) } as unknown as MarkdownFileInfo;
  app.workspace.trigger("editor-change", editor, info);
}

describe("the status bar word counts", () => {
  it("shows the chapter's words and the book's against its target", async () => {
    const { app, item } = await setUp();
    await open(app, STORM);
    expect(item.isShown()).toBe(true);
    expect(item.getText()).toBe("Chapter 9 words · Book 20 / 90,000");
  });

  it("is hidden while the open note is in no book, or no note is open", async () => {
    const { app, item } = await setUp();
    expect(item.isShown()).toBe(false);
    await open(app, STORM);
    await open(app, "Inbox/Errands.md");
    expect(item.isShown()).toBe(false);
    await open(app, STORM);
    await open(app, null);
    expect(item.isShown()).toBe(false);
  });

  it("shows only the book's words on a note of the book that is not a chapter", async () => {
    const { app, item } = await setUp();
    await open(app, "Lighthouse/Research.md");
    expect(item.getText()).toBe("Book 20 / 90,000");
  });

  it("shows the book's words without a target when it has none", async () => {
    const { app, item } = await setUp();
    await open(app, "Tides/One.md");
    expect(item.getText()).toBe("Chapter 3 words · Book 3 words");
  });

  it("counts the editor's text once typing pauses, and the book with it", async () => {
    const { app, item } = await setUp();
    await open(app, STORM);
    typeInto(app, STORM, "---\nbookwright: chapter\n---\nThe storm came in.");
    typeInto(app, STORM, "---\nbookwright: chapter\n---\nThe storm came in from the west.");
    await vi.advanceTimersByTimeAsync(100);
    // Not yet: the count waits for a pause.
    expect(item.getText()).toBe("Chapter 9 words · Book 20 / 90,000");
    await settle();
    expect(item.getText()).toBe("Chapter 7 words · Book 18 / 90,000");
  });

  it("ignores typing in a note other than the open one", async () => {
    const { app, item } = await setUp();
    await open(app, STORM);
    typeInto(app, "Lighthouse/Chapters/02 Supply boat.md", "One.");
    await settle();
    expect(item.getText()).toBe("Chapter 9 words · Book 20 / 90,000");
  });

  it("re-reads the book (once) after other notes of the book change, and not for notes elsewhere", async () => {
    const { app, vault, item } = await setUp();
    await open(app, STORM);
    const list = vi.spyOn(vault, "list");
    await vault.write("Inbox/Errands.md", "Buy lamp oil and wicks.\n");
    await settle();
    expect(list).not.toHaveBeenCalled();
    await vault.write("Lighthouse/Chapters/03 Lamp room.md", "---\nbookwright: chapter\nchapter: 3\n---\nThe lamp turned.\n");
    await vault.process("Lighthouse/Chapters/02 Supply boat.md", (text) => text.replace("ran low.", "ran low again."));
    await settle();
    expect(list).toHaveBeenCalledTimes(1);
    expect(item.getText()).toBe("Chapter 9 words · Book 24 / 90,000");
  });

  it("recounts the open chapter, not the book, when the open chapter changes on disk", async () => {
    const { app, vault, item } = await setUp();
    await open(app, STORM);
    const list = vi.spyOn(vault, "list");
    await vault.process(STORM, (text) => text.replace("before dawn.", "before dawn, and stayed."));
    await settle();
    expect(list).not.toHaveBeenCalled();
    expect(item.getText()).toBe("Chapter 11 words · Book 22 / 90,000");
  });

  it("removes its item when the plugin unloads", async () => {
    const { plugin, item } = await setUp();
    document.body.appendChild(item);
    plugin.unload();
    expect(item.isConnected).toBe(false);
  });
});

describe("formatStatusBar", () => {
  it.each([
    [{ chapterWords: 1234, bookWords: 45000, targetWords: 90000 }, "Chapter 1,234 words · Book 45,000 / 90,000"],
    [{ chapterWords: 1, bookWords: 1, targetWords: null }, "Chapter 1 word · Book 1 words"],
    [{ chapterWords: null, bookWords: 45000, targetWords: 90000 }, "Book 45,000 / 90,000"],
  ])("%o → %s", (counts, text) => {
    expect(formatStatusBar(counts)).toBe(text);
  });
});
