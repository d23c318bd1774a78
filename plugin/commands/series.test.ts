// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import manifest from "../../manifest.json";
import { parseFrontmatter } from "../../shared/book/frontmatter";
import { loadSeries, scanSeries, type SeriesInfo } from "../../shared/series/series";
import { TRILOGY_BOOKS, TRILOGY_FOLDER } from "../../shared/testing/series-fixture";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Modal, Notice, Plugin, type SuggestModal as StubSuggestModal } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { smallTrilogy } from "../../test/support/small-trilogy";
import { ObsidianVault } from "../vault/obsidian-vault";
import { ConfirmModal } from "./generate";
import { createSeries, moveBookIntoSeries, NewSeriesModal, registerSeriesCommands, SeriesSuggestModal } from "./series";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Notice.reset();
  for (const modal of [...Modal.showing]) modal.close();
  Modal.reset();
});

class HostPlugin extends Plugin {}

const S = TRILOGY_FOLDER;
const B1 = `${S}/${TRILOGY_BOOKS[0]}`;
const B2 = `${S}/${TRILOGY_BOOKS[1]}`;
const B3 = `${S}/${TRILOGY_BOOKS[2]}`;
const SOLO = "---\nbookwright: book\ntitle: Solo\ngenre: sea\n---\n\nMy own words.\n";

async function setUp(active: string | null) {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries({ ...smallTrilogy(), "Solo/Book.md": SOLO, "Solo/Chapters/01 Waves.md": "---\nbookwright: chapter\nchapter: 1\n---\nWaves.\n" })) {
    await vault.write(path, text);
  }
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerSeriesCommands(plugin, { vault });
  const activate = (path: string | null) => app.workspace.setActiveFile(path === null ? null : app.vault.getFileByPath(path));
  activate(active);
  return { app, vault, plugin, activate };
}

function command(plugin: HostPlugin, id: string): Command {
  const found = plugin.commands.find((c) => c.id === `bookwright:${id}`);
  if (!found) throw new Error(`no command ${id}`);
  return found;
}

/** Whether the command is offered now (its checkCallback, checking). */
const available = (plugin: HostPlugin, id: string) => command(plugin, id).checkCallback!(true);
const run = (plugin: HostPlugin, id: string) => {
  const c = command(plugin, id);
  if (c.checkCallback) expect(c.checkCallback(false)).toBe(true);
  else c.callback!();
};

/** Lets the commands' promise work (scans, writes) finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => window.setTimeout(resolve, 0));
}

async function meta(vault: ObsidianVault, path: string): Promise<Record<string, unknown>> {
  return parseFrontmatter(path, await vault.read(path)).data ?? {};
}

/** The open modal of a class; the plugin's modals extend Obsidian's types, the stand-in's Modal at run time. */
function shown<T>(type: abstract new (...args: never[]) => T): T {
  const modal: unknown = Modal.showing.find((m) => m instanceof type);
  if (!modal) throw new Error(`no ${type.name} is open`);
  return modal as T;
}

function button(modal: { contentEl: HTMLElement }, text: string): HTMLButtonElement {
  const found = modal.contentEl.findAll("button").find((b) => b.getText() === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found as HTMLButtonElement;
}

describe("the series commands", () => {
  it("are sentence case, without default hotkeys, and offered only where they apply", async () => {
    const { plugin, activate } = await setUp("Inbox/Nothing.md");
    for (const id of ["move-book-into-series", "move-book-out-of-series", "promote-character-to-series", "new-series"]) expect(command(plugin, id)).not.toHaveProperty("hotkeys");
    expect(plugin.commands.map((c) => c.name.replace(/^Bookwright: /, ""))).toEqual(["Move book into series…", "Move book out of series", "Promote character to series", "New series"]);
    activate(null);
    expect(available(plugin, "move-book-into-series")).toBe(false);
    expect(available(plugin, "promote-character-to-series")).toBe(false);
    activate(`${B1}/Chapters/01 The ball.md`);
    expect(available(plugin, "move-book-into-series")).toBe(true);
    expect(available(plugin, "move-book-out-of-series")).toBe(true);
    // A chapter is not a character note.
    expect(available(plugin, "promote-character-to-series")).toBe(false);
    activate(`${B1}/Characters/Jane Bennet.md`);
    expect(available(plugin, "promote-character-to-series")).toBe(true);
    // A series-wide note is promoted already.
    activate(`${S}/Characters/Elizabeth Bennet.md`);
    expect(available(plugin, "promote-character-to-series")).toBe(false);
  });

  it("Move book into series…: picks a series, joins it after the last book, and says which place", async () => {
    const { vault, plugin } = await setUp("Solo/Chapters/01 Waves.md");
    const chapterBefore = await vault.read("Solo/Chapters/01 Waves.md");
    run(plugin, "move-book-into-series");
    await settle();
    const modal = shown(SeriesSuggestModal);
    const stub = modal as unknown as StubSuggestModal<SeriesInfo>;
    expect((await stub.suggestionsShown()).map((s) => s.meta.title)).toEqual(["Netherfield"]);
    expect(modal.inputEl.placeholder).toBe("Move Solo into…");
    expect(modal.resultContainerEl.find(".suggestion-item").getText()).toBe("NetherfieldNetherfield · 3 books");
    modal.resultContainerEl.find(".suggestion-item").click();
    await settle();
    expect(Modal.showing).toEqual([]);
    expect(Notice.messages).toEqual(["Solo is now book 4 of Netherfield."]);
    expect(await meta(vault, "Solo/Book.md")).toMatchObject({ series: "[[Series]]", series_order: 4, genre: "sea" });
    expect((await meta(vault, `${S}/Series.md`)).books).toEqual([...TRILOGY_BOOKS.map((b) => `[[${S}/${b}/Book]]`), "[[Solo/Book]]"]);
    expect((await loadSeries(vault, S)).books.map((b) => b.book.meta.title)).toEqual([...TRILOGY_BOOKS, "Solo"]);
    // Membership is frontmatter: the book's chapters and its own text are untouched.
    expect(await vault.read("Solo/Chapters/01 Waves.md")).toBe(chapterBefore);
    expect(await vault.read("Solo/Book.md")).toContain("\nMy own words.\n");
  });

  it("Move book into series…: says to make a series first when there is none to move into", async () => {
    const { plugin } = await setUp(`${B1}/Book.md`);
    run(plugin, "move-book-into-series");
    await settle();
    expect(Modal.showing).toEqual([]);
    expect(Notice.messages).toEqual(['First Impressions is already in Netherfield, the only series in the vault. Run "New series" to make another.']);
  });

  it("Move book out of series: asks first, then removes the keys and the series' entry", async () => {
    const { vault, plugin } = await setUp(`${B2}/Chapters/01 The proposal.md`);
    const before = await vault.read(`${B2}/Book.md`);
    run(plugin, "move-book-out-of-series");
    await settle();
    const confirm = shown(ConfirmModal);
    expect(confirm.contentEl.getText()).toContain("Take The Letter out of Netherfield?");
    // Cancelling changes nothing.
    button(confirm, "Cancel").click();
    await settle();
    expect(await vault.read(`${B2}/Book.md`)).toBe(before);

    run(plugin, "move-book-out-of-series");
    await settle();
    button(shown(ConfirmModal), "Move out of series").click();
    await settle();
    expect(Notice.messages).toEqual(["The Letter is no longer in Netherfield."]);
    const book = await meta(vault, `${B2}/Book.md`);
    expect(book).not.toHaveProperty("series");
    expect(book).not.toHaveProperty("series_order");
    expect((await meta(vault, `${S}/Series.md`)).books).toEqual([`[[${B1}/Book]]`, `[[${B3}/Book]]`]);
    const scan = await scanSeries(vault);
    expect(scan.series[0]!.books.map((b) => b.book.meta.title)).toEqual([TRILOGY_BOOKS[0], TRILOGY_BOOKS[2]]);
    expect(scan.standalone.map((b) => b.meta.title).sort()).toEqual(["Solo", "The Letter"]);
  });

  it("Move book out of series: says so for a book in no series", async () => {
    const { plugin } = await setUp("Solo/Book.md");
    run(plugin, "move-book-out-of-series");
    await settle();
    expect(Modal.showing).toEqual([]);
    expect(Notice.messages).toEqual(["Solo is not in a series."]);
  });

  it("Promote character to series: moves the first book note, merges the second into it", async () => {
    const { app, vault, plugin, activate } = await setUp(`${B2}/Characters/George Wickham.md`);
    run(plugin, "promote-character-to-series");
    await settle();
    expect(Notice.messages).toEqual([`George Wickham is now a character of the whole series: moved to ${S}/Characters/George Wickham.md.`]);
    expect(await vault.exists(`${B2}/Characters/George Wickham.md`)).toBe(false);
    expect((await meta(vault, `${S}/Characters/George Wickham.md`)).appearances).toEqual([{ book: TRILOGY_BOOKS[1], chapter: 1, role: "mentioned", state: "charming" }]);

    Notice.reset();
    activate(`${B3}/Characters/George Wickham.md`);
    run(plugin, "promote-character-to-series");
    await settle();
    expect(Notice.messages).toEqual([`George Wickham was already a character of Netherfield: merged into ${S}/Characters/George Wickham.md. The book's note went to the trash.`]);
    expect(await vault.exists(`${B3}/Characters/George Wickham.md`)).toBe(false);
    expect(((await meta(vault, `${S}/Characters/George Wickham.md`)).appearances as { book: string }[]).map((a) => a.book)).toEqual([TRILOGY_BOOKS[1], TRILOGY_BOOKS[2]]);
    // The merged note is opened in place of the one that went to the trash.
    const opened = (app.workspace as unknown as { leaves: { all: StubLeaf[] } }).leaves.all.map((l) => l.openedFile?.path);
    expect(opened).toEqual([`${S}/Characters/George Wickham.md`]);
  });

  it("Promote character to series: says so when the book is in no series", async () => {
    const { vault, plugin, activate } = await setUp(null);
    await vault.write("Solo/Characters/Ahab.md", "---\nbookwright: character\nname: Ahab\n---\n");
    activate("Solo/Characters/Ahab.md");
    run(plugin, "promote-character-to-series");
    await settle();
    expect(Notice.messages).toEqual(['Could not promote the character: Solo is not in a series; run "Move book into series…" with one of its notes open first.']);
    expect(await vault.exists("Solo/Characters/Ahab.md")).toBe(true);
  });

  it("New series: a folder with Series.md and Series Bible.md, the open book added as book 1", async () => {
    const { vault, plugin } = await setUp("Solo/Book.md");
    run(plugin, "new-series");
    const modal = shown(NewSeriesModal);
    const el = modal.contentEl;
    expect(el.findAll(".setting-item-name").map((n) => n.getText())).toEqual(["Title", "Description", "Add Solo", ""]);
    const title = el.find("input[name=title]") as HTMLInputElement;
    title.value = "Sea Stories";
    title.dispatchEvent(new Event("input"));
    const description = el.find("textarea[name=description]") as HTMLTextAreaElement;
    description.value = "Books of the sea.";
    description.dispatchEvent(new Event("input"));
    button(modal, "Create series").click();
    const created = await modal.created;
    await settle();
    expect(created?.indexPath).toBe("Sea Stories/Series.md");
    expect(Notice.messages).toEqual(["Created the series Sea Stories in Sea Stories, with Solo as book 1."]);
    expect(await meta(vault, "Sea Stories/Series.md")).toEqual({ bookwright: "series", title: "Sea Stories", description: "Books of the sea.", books: ["[[Solo/Book]]"] });
    expect(await meta(vault, "Sea Stories/Series Bible.md")).toEqual({ bookwright: "story-bible" });
    // Two series notes are called Series.md now: the book names its series by path, so it is read in the right one.
    expect((await meta(vault, "Solo/Book.md")).series).toBe("[[Sea Stories/Series]]");
    const scan = await scanSeries(vault);
    expect(scan.series.map((s) => [s.meta.title, s.books.map((b) => b.book.meta.title)])).toEqual([
      ["Netherfield", [...TRILOGY_BOOKS]],
      ["Sea Stories", ["Solo"]],
    ]);
    expect(scan.diagnostics).toEqual([]);
  });

  it("New series: asks for a title, and refuses a folder that is a series or inside a book", async () => {
    const { vault, plugin } = await setUp(null);
    run(plugin, "new-series");
    const modal = shown(NewSeriesModal);
    const el = modal.contentEl;
    expect(el.findAll(".setting-item-name").map((n) => n.getText())).toEqual(["Title", "Description", ""]);
    button(modal, "Create series").click();
    expect(el.find(".bookwright-field-error")?.getText()).toBe("Enter a title for the series.");
    await expect(createSeries(vault, { title: "Netherfield" })).rejects.toThrow("Netherfield is already the series Netherfield; choose another title.");
    await expect(createSeries(vault, { title: "Characters" }, "Solo")).rejects.toThrow("Solo/Characters is inside the book Solo");
  });

  it("moving a book from one series into another takes it out of the first", async () => {
    const { vault } = await setUp(null);
    const created = await createSeries(vault, { title: "Tides" });
    const moved = await moveBookIntoSeries(vault, B3, created.indexPath);
    expect(moved.left?.meta.title).toBe("Netherfield");
    expect(moved.place).toBe(1);
    const scan = await scanSeries(vault);
    expect(scan.series.map((s) => [s.meta.title, s.books.map((b) => b.book.meta.title), s.diagnostics])).toEqual([
      ["Netherfield", [TRILOGY_BOOKS[0], TRILOGY_BOOKS[1]], []],
      ["Tides", [TRILOGY_BOOKS[2]], []],
    ]);
    await expect(moveBookIntoSeries(vault, B3, created.indexPath)).rejects.toThrow("Pemberley is already book 1 of Tides.");
  });
});
