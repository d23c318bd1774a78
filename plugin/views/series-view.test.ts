// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../../manifest.json";
import { TRILOGY_BOOKS, TRILOGY_FOLDER } from "../../shared/testing/series-fixture";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { SMALL_TRILOGY_WORDS, smallTrilogy } from "../../test/support/small-trilogy";
import { ObsidianVault } from "../vault/obsidian-vault";
import { HOW_TO_MAKE_A_SERIES, registerSeriesView, SERIES_VIEW_TYPE, SeriesView } from "./series-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Notice.reset();
  // Only the view's debounce timers are faked; promise work (the stand-in's vault) runs as usual.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.useRealTimers();
});

class HostPlugin extends Plugin {}

const SOLO = "---\nbookwright: book\ntitle: Solo\n---\n";
const B1 = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[0]}`;
const B2 = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}`;

async function setUp(active: string | null = `${B2}/Chapters/02 Charlotte.md`, extra: Record<string, string> = {}) {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries({ ...smallTrilogy(), "Solo/Book.md": SOLO, "Inbox/Errands.md": "Buy lamp oil.\n", ...extra })) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerSeriesView(plugin, { vault });
  app.workspace.setActiveFile(active === null ? null : app.vault.getFileByPath(active));
  return { app, vault, plugin };
}

function command(plugin: HostPlugin): Command {
  const found = plugin.commands.find((c) => c.id === "bookwright:open-series-dashboard");
  if (!found?.callback) throw new Error("no Open series dashboard command");
  return found;
}

/** Runs the debounce timers out, then lets the stand-in's promise-only work finish. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(1_000);
  await new Promise((resolve) => setImmediate(resolve));
}

async function open(app: StubApp, plugin: HostPlugin): Promise<SeriesView> {
  command(plugin).callback!();
  await settle();
  const leaves = app.workspace.getLeavesOfType(SERIES_VIEW_TYPE) as unknown as StubLeaf[];
  expect(leaves).toHaveLength(1);
  const view = leaves[0]!.view as unknown as SeriesView;
  await view.whenIdle();
  return view;
}

const texts = (view: SeriesView, selector: string) => view.contentEl.findAll(selector).map((e) => e.getText());
const opened = (app: StubApp) => (app.workspace as unknown as { leaves: { all: StubLeaf[] } }).leaves.all.map((l) => l.openedFile?.path).filter(Boolean);

describe("the series dashboard view", () => {
  it("opens in the main area on the series of the open note's book, its books in order with their words; no default hotkey", async () => {
    const { app, plugin } = await setUp();
    expect(command(plugin)).not.toHaveProperty("hotkeys");
    const view = await open(app, plugin);
    expect((app.workspace.getLeavesOfType(SERIES_VIEW_TYPE)[0] as unknown as StubLeaf).side).toBe("main");
    expect(view.seriesPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
    expect(texts(view, ".bookwright-series-title")).toEqual(["Netherfield"]);
    expect(texts(view, ".bookwright-series-book-title")).toEqual([...TRILOGY_BOOKS]);
    expect(texts(view, ".bookwright-series-book-words-text")).toEqual(SMALL_TRILOGY_WORDS.map((w) => `${w} / 45,000 words (0%)`));
  });

  it("shows the series of the series folder the open note is in", async () => {
    const { app, plugin } = await setUp(`${TRILOGY_FOLDER}/Characters/Elizabeth Bennet.md`);
    const view = await open(app, plugin);
    expect(view.seriesPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
  });

  it("lists where a character clicked appears, and opens the chapter clicked", async () => {
    const { app, plugin } = await setUp();
    const view = await open(app, plugin);
    const row = view.contentEl.findAll("tr.bookwright-series-character").find((r) => r.getAttr("data-name") === "Fitzwilliam Darcy")!;
    (row.find("button.bookwright-series-character-name") as HTMLButtonElement).click();
    const links = view.contentEl.findAll(".bookwright-series-appearance .bookwright-series-link") as HTMLButtonElement[];
    expect(links.map((l) => l.getText())).toEqual(["Chapter 1: The ball", "Chapter 3: A story", "Chapter 3: The letter", "Chapter 3: Autumn"]);
    links[2]!.click();
    await settle();
    expect(opened(app)).toEqual([`${B2}/Chapters/03 The letter.md`]);
  });

  it("keeps the chosen character when it redraws after a change to the series, and shows the new words", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await open(app, plugin);
    const row = view.contentEl.findAll("tr.bookwright-series-character").find((r) => r.getAttr("data-name") === "Jane Bennet")!;
    (row.find("button") as HTMLButtonElement).click();
    const list = vi.spyOn(vault, "list");
    await vault.process(`${B2}/Chapters/02 Charlotte.md`, (text) => text.replace(/the very next day\.\n$/, "the very next day, to everyone's surprise but Jane's.\n"));
    await vault.process(`${B2}/Chapters/02 Charlotte.md`, (text) => text.replace("status: written", "status: verified"));
    // Debounced: nothing is read before the delay has passed, then once for the burst.
    expect(list).not.toHaveBeenCalled();
    await settle();
    await view.whenIdle();
    expect(list).toHaveBeenCalledTimes(1);
    expect(texts(view, ".bookwright-series-book-words-text")[1]).toBe("30 / 45,000 words (0%)");
    expect(texts(view, ".bookwright-series-book-chapters-text")[1]).toBe("3 chapters · 2 written, 1 verified");
    expect(view.contentEl.find(".bookwright-series-appearances-title")?.getText()).toBe("Where does Jane Bennet appear?");
  });

  it("redraws when a book elsewhere joins the series, and ignores notes that are not about series", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await open(app, plugin);
    const list = vi.spyOn(vault, "list");
    await vault.write("Inbox/Errands.md", "Buy lamp oil and wicks.\n");
    await settle();
    expect(list).not.toHaveBeenCalled();
    await vault.process("Solo/Book.md", (text) => text.replace("title: Solo\n", "title: Solo\nseries: \"[[Series]]\"\nseries_order: 4\n"));
    await settle();
    await view.whenIdle();
    expect(texts(view, ".bookwright-series-book-title")).toEqual([...TRILOGY_BOOKS, "Solo"]);
  });

  it("shows the scan's warnings, each naming its note, which a click opens", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await open(app, plugin);
    await vault.write(`${TRILOGY_FOLDER}/Lost/Book.md`, "---\nbookwright: book\ntitle: Lost\nseries: \"[[Waves]]\"\n---\n");
    await vault.process(`${B1}/Book.md`, (text) => text.replace("series_order: 1", "series_order: 2"));
    await settle();
    await view.whenIdle();
    const items = view.contentEl.findAll(".bookwright-series-warning");
    expect(items.map((i) => i.getAttr("data-path"))).toEqual([`${B2}/Book.md`, `${TRILOGY_FOLDER}/Lost/Book.md`]);
    expect(items[0]!.getText()).toContain(`series_order 2 is also ${B1}/Book.md's`);
    expect(items[1]!.getText()).toContain('names the series "[[Waves]]", but no note');
    (items[1]!.find(".bookwright-series-link") as HTMLButtonElement).click();
    await settle();
    expect(opened(app)).toEqual([`${TRILOGY_FOLDER}/Lost/Book.md`]);
  });

  it("says how to make a series when the open note is in none, with the book's own warning", async () => {
    const { app, plugin } = await setUp("Solo/Book.md", { "Solo/Book.md": "---\nbookwright: book\ntitle: Solo\nseries: \"[[Waves]]\"\n---\n" });
    const view = await open(app, plugin);
    expect(view.seriesPath).toBeNull();
    expect(view.contentEl.find(".bookwright-series-title")?.getText()).toBe("Solo is not in a series");
    expect(view.contentEl.getText()).toContain(HOW_TO_MAKE_A_SERIES);
    expect(texts(view, ".bookwright-series-warning .bookwright-series-link")).toEqual(["Solo/Book.md"]);
  });

  it("says how to make a series when no note of a book or series is open", async () => {
    const { app, plugin } = await setUp("Inbox/Errands.md");
    const view = await open(app, plugin);
    expect(view.contentEl.find(".bookwright-series-title")?.getText()).toBe("No series here");
    expect(view.contentEl.getText()).toContain("New series");
  });

  it("follows the writer into another series' book, and stays put for a note outside any", async () => {
    const other = {
      "Tides/Series.md": "---\nbookwright: series\ntitle: Tides\n---\n",
      "Tides/One/Book.md": "---\nbookwright: book\ntitle: One\nseries: \"[[Tides/Series]]\"\nseries_order: 1\n---\n",
      // In Netherfield's folder, but a book of Tides.
      [`${TRILOGY_FOLDER}/Stray/Book.md`]: "---\nbookwright: book\ntitle: Stray\nseries: \"[[Tides/Series]]\"\nseries_order: 2\n---\n",
    };
    const { app, plugin } = await setUp(undefined, other);
    const view = await open(app, plugin);
    const follow = async (path: string) => {
      const file = app.vault.getFileByPath(path);
      app.workspace.setActiveFile(file);
      app.workspace.trigger("file-open", file);
      await settle();
      await view.whenIdle();
    };
    await follow("Inbox/Errands.md");
    expect(view.seriesPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
    await follow(`${TRILOGY_FOLDER}/Characters/Elizabeth Bennet.md`);
    expect(view.seriesPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
    await follow(`${TRILOGY_FOLDER}/Stray/Book.md`);
    expect(view.seriesPath).toBe("Tides/Series.md");
    expect(texts(view, ".bookwright-series-book-title")).toEqual(["One", "Stray"]);
    await follow(`${B1}/Book.md`);
    expect(view.seriesPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
  });

  it("follows its series when the series folder is renamed", async () => {
    const { app, vault, plugin } = await setUp(`${TRILOGY_FOLDER}/Series.md`);
    const view = await open(app, plugin);
    const folder = app.vault.getAbstractFileByPath(TRILOGY_FOLDER)!;
    await app.fileManager.renameFile(folder, "Longbourn");
    await settle();
    await view.whenIdle();
    expect(view.seriesPath).toBe("Longbourn/Series.md");
    void vault;
  });

  it("says so in the view when the vault cannot be read", async () => {
    const { app, vault, plugin } = await setUp();
    vi.spyOn(vault, "list").mockRejectedValueOnce(new Error("the disk went away"));
    const view = await open(app, plugin);
    expect(view.contentEl.find(".bookwright-series-error")?.getText()).toBe("Could not read the series: the disk went away");
  });

  it("stops listening once closed", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await open(app, plugin);
    (app.workspace.getLeavesOfType(SERIES_VIEW_TYPE)[0] as unknown as StubLeaf).detach();
    await settle();
    const list = vi.spyOn(vault, "list");
    await vault.write(`${B1}/Book.md`, "---\nbookwright: book\ntitle: Gone\n---\n");
    await settle();
    expect(list).not.toHaveBeenCalled();
    expect(view.contentEl.childElementCount).toBe(0);
  });
});
