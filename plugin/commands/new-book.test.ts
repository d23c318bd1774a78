// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import manifest from "../../manifest.json";
import { parseFrontmatter } from "../../shared/book/frontmatter";
import { loadBook } from "../../shared/book/scan";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Modal, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import { ObsidianVault } from "../vault/obsidian-vault";
import {
  chapterStubPath,
  createBook,
  createNextChapter,
  languageError,
  registerBookCommands,
  storyBibleText,
} from "./new-book";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Modal.reset();
  Notice.reset();
});

class HostPlugin extends Plugin {}

const EXISTING: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\n---\n",
  "Lighthouse/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.\n",
  "Lighthouse/Chapters/02 Supply boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Supply boat\n---\nNo boat came.\n",
  "Inbox/Errands.md": "Buy lamp oil.\n",
};

async function setUp(notes: Record<string, string> = EXISTING) {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(notes)) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerBookCommands(plugin, { vault });
  return { app, vault, plugin };
}

function command(plugin: HostPlugin, id: string): Command {
  const found = plugin.commands.find((c) => c.id === `bookwright:${id}`);
  if (!found) throw new Error(`no command ${id}`);
  return found;
}

function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Paths below `folder`, sorted, files and folders alike. */
function pathsBelow(app: StubApp, folder: string): string[] {
  return app.vault
    .getAllLoadedFiles()
    .map((f) => f.path)
    .filter((p) => p.startsWith(`${folder}/`))
    .sort();
}

/** The notes opened in a pane since the app started, oldest first. */
function openedNotes(app: StubApp): string[] {
  return app.workspace.leaves.all.flatMap((l) => (l.openedFile ? [l.openedFile.path] : []));
}

function shownModal(): HTMLElement {
  expect(Modal.showing).toHaveLength(1);
  return Modal.showing[0]!.contentEl as unknown as HTMLElement;
}

function fill(modal: HTMLElement, name: string, value: string): void {
  const input = modal.find(`input[name='${name}']`) as HTMLInputElement | null;
  if (!input) throw new Error(`no field ${name}`);
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

function press(modal: HTMLElement, label: string): void {
  const button = modal.findAll("button").find((b) => b.getText() === label);
  if (!button) throw new Error(`no button ${label}`);
  button.click();
}

const errors = (modal: HTMLElement) => modal.findAll(".bookwright-field-error").filter((e) => e.isShown()).map((e) => e.getText());

describe("createBook", () => {
  it("creates exactly the book's notes, with frontmatter that loads without a problem", async () => {
    const { app, vault } = await setUp({});
    const created = await createBook(vault, {
      title: "Salt Roads",
      author: "Ada Quill",
      genre: "literary fiction",
      language: "en-gb",
      targetWords: 90000,
      plannedChapters: 3,
    });
    expect(created.folder).toBe("Salt Roads");
    expect(pathsBelow(app, "Salt Roads")).toEqual([
      "Salt Roads/Book.md",
      "Salt Roads/Chapters",
      "Salt Roads/Chapters/01 Chapter 1.md",
      "Salt Roads/Chapters/02 Chapter 2.md",
      "Salt Roads/Chapters/03 Chapter 3.md",
      "Salt Roads/Characters",
      "Salt Roads/Outline.md",
      "Salt Roads/Story Bible.md",
    ]);
    expect(created.notes.at(-1)).toBe("Salt Roads/Book.md");
    const book = await loadBook(vault, "Salt Roads");
    expect(book.diagnostics).toEqual([]);
    expect(book.meta).toMatchObject({ bookwright: "book", title: "Salt Roads", author: "Ada Quill", genre: "literary fiction", language: "en-GB", target_words: 90000, planned_chapters: 3, status: "draft" });
    expect(book.chapters.map((c) => [c.number, c.title, c.status, c.words])).toEqual([
      [1, "Chapter 1", "not_started", 0],
      [2, "Chapter 2", "not_started", 0],
      [3, "Chapter 3", "not_started", 0],
    ]);
    expect(book.notes.map((n) => [n.path, n.kind])).toEqual([
      ["Salt Roads/Outline.md", "outline"],
      ["Salt Roads/Story Bible.md", "story-bible"],
    ]);
    expect(parseFrontmatter("c.md", await vault.read("Salt Roads/Chapters/02 Chapter 2.md")).data).toEqual({
      bookwright: "chapter",
      chapter: 2,
      title: "Chapter 2",
      status: "not_started",
    });
  });

  it("writes the story bible's sections as headings with prompts the word count leaves out", async () => {
    const { vault } = await setUp({});
    await createBook(vault, { title: "Salt Roads", language: "en", plannedChapters: 0 });
    const text = await vault.read("Salt Roads/Story Bible.md");
    expect(text).toBe(storyBibleText());
    expect(text.match(/^## .+$/gm)).toEqual(["## Premise", "## World rules", "## Themes", "## Tone", "## Style guide", "## POV and tense"]);
    const book = await loadBook(vault, "Salt Roads");
    expect(book.meta.planned_chapters).toBe(0);
    expect(book.meta).not.toHaveProperty("author");
    expect(book.meta).not.toHaveProperty("target_words");
  });

  it("quotes titles YAML 1.1 would read as something else", async () => {
    const { vault } = await setUp({});
    await createBook(vault, { title: "No", language: "en", plannedChapters: 0 });
    expect(await vault.read("No/Book.md")).toContain('title: "No"');
    expect((await loadBook(vault, "No")).meta.title).toBe("No");
  });

  it("refuses a folder that exists, naming it, and writes nothing", async () => {
    const { app, vault } = await setUp();
    const before = pathsBelow(app, "Lighthouse");
    await expect(createBook(vault, { title: "Lighthouse", language: "en", plannedChapters: 2 })).rejects.toThrow(
      'A folder named "Lighthouse" already exists; choose another title, or rename that folder first.',
    );
    expect(pathsBelow(app, "Lighthouse")).toEqual(before);
  });

  it("names the folder safely after a title with characters file names cannot hold", async () => {
    const { vault } = await setUp({});
    const created = await createBook(vault, { title: "Tides: a novel?", language: "en", plannedChapters: 1 });
    expect(created.folder).toBe("Tides a novel");
    expect((await loadBook(vault, created.folder)).meta.title).toBe("Tides: a novel?");
  });

  it("pads chapter numbers to the widest planned one so the names sort", async () => {
    expect(chapterStubPath("B", 7)).toBe("B/Chapters/07 Chapter 7.md");
    expect(chapterStubPath("B", 7, 3)).toBe("B/Chapters/007 Chapter 7.md");
    expect(chapterStubPath("B", 120)).toBe("B/Chapters/120 Chapter 120.md");
  });
});

describe("languageError", () => {
  it("accepts BCP 47 tags and explains anything else", () => {
    expect([languageError("en"), languageError("pt-BR"), languageError("zh-Hans")]).toEqual([null, null, null]);
    expect(languageError("en_US")).toBe('"en_US" is not a BCP 47 language tag; use one such as en, en-GB, fr or pt-BR.');
    expect(languageError(" ")).toBe("Enter a language tag such as en, en-GB or fr.");
  });
});

describe("the New book command", () => {
  it("creates the book from the modal and opens Book.md", async () => {
    const { app, vault, plugin } = await setUp({});
    expect(command(plugin, "new-book")).not.toHaveProperty("hotkeys");
    command(plugin, "new-book").callback!();
    const modal = shownModal();
    fill(modal, "title", "Salt Roads");
    fill(modal, "author", "Ada Quill");
    fill(modal, "language", "fr");
    fill(modal, "targetWords", "80,000");
    fill(modal, "plannedChapters", "2");
    press(modal, "Create book");
    await settled();
    expect(Modal.showing).toEqual([]);
    const book = await loadBook(vault, "Salt Roads");
    expect(book.diagnostics).toEqual([]);
    expect([book.meta.language, book.meta.target_words, book.chapters.length]).toEqual(["fr", 80000, 2]);
    expect(openedNotes(app)).toEqual(["Salt Roads/Book.md"]);
    expect(Notice.messages).toEqual(["Created Salt Roads with 2 chapter notes."]);
  });

  it("shows an invalid language under the field as it is typed, and creates nothing", async () => {
    const { app, plugin } = await setUp({});
    command(plugin, "new-book").callback!();
    const modal = shownModal();
    fill(modal, "title", "Salt Roads");
    fill(modal, "language", "english please");
    expect(errors(modal)).toEqual(['"english please" is not a BCP 47 language tag; use one such as en, en-GB, fr or pt-BR.']);
    expect(modal.find("input[name='language']")?.getAttr("aria-invalid")).toBe("");
    press(modal, "Create book");
    await settled();
    expect(Modal.showing).toHaveLength(1);
    expect(app.vault.getAbstractFileByPath("Salt Roads")).toBeNull();
    fill(modal, "language", "en-GB");
    expect(errors(modal)).toEqual([]);
  });

  it("asks for a title and whole numbers", async () => {
    const { plugin } = await setUp({});
    command(plugin, "new-book").callback!();
    const modal = shownModal();
    fill(modal, "targetWords", "lots");
    fill(modal, "plannedChapters", "2.5");
    press(modal, "Create book");
    await settled();
    expect(errors(modal)).toEqual([
      "Enter a title for the book.",
      "Enter a whole number of words, or leave it blank.",
      "Enter a whole number from 0 to 500.",
    ]);
  });

  it("says under the title that the folder exists, and keeps the modal open", async () => {
    const { app, plugin } = await setUp();
    command(plugin, "new-book").callback!();
    const modal = shownModal();
    fill(modal, "title", "Lighthouse");
    fill(modal, "plannedChapters", "3");
    press(modal, "Create book");
    await settled();
    expect(errors(modal)).toEqual(['A folder named "Lighthouse" already exists; choose another title, or rename that folder first.']);
    expect(pathsBelow(app, "Lighthouse/Chapters")).toEqual(["Lighthouse/Chapters/01 Storm.md", "Lighthouse/Chapters/02 Supply boat.md"]);
    expect(openedNotes(app)).toEqual([]);
  });
});

describe("the New chapter command", () => {
  it("adds the chapter after the highest number and opens it", async () => {
    const { app, vault, plugin } = await setUp({
      ...EXISTING,
      // A gap: the next chapter is 6, after the highest, not 3.
      "Lighthouse/Chapters/05 Lamp room.md": "---\nbookwright: chapter\nchapter: 5\n---\nThe lamp.\n",
    });
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Chapters/01 Storm.md"));
    expect(command(plugin, "new-chapter").checkCallback!(false)).toBe(true);
    await settled();
    expect(openedNotes(app)).toEqual(["Lighthouse/Chapters/06 Chapter 6.md"]);
    const book = await loadBook(vault, "Lighthouse");
    expect(book.chapters.map((c) => c.number)).toEqual([1, 2, 5, 6]);
    expect(book.chapters.at(-1)).toMatchObject({ title: "Chapter 6", status: "not_started", words: 0 });
  });

  it("starts an empty book at chapter 1", async () => {
    const { vault } = await setUp({ "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\n---\n" });
    expect(await createNextChapter(vault, "Tides")).toBe("Tides/Chapters/01 Chapter 1.md");
    expect(await createNextChapter(vault, "Tides")).toBe("Tides/Chapters/02 Chapter 2.md");
  });

  it("is not offered outside a book", async () => {
    const { app, plugin } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Inbox/Errands.md"));
    expect(command(plugin, "new-chapter").checkCallback!(true)).toBe(false);
    app.workspace.setActiveFile(null);
    expect(command(plugin, "new-chapter").checkCallback!(true)).toBe(false);
  });

  it("refuses to replace a note that holds the next chapter's name", async () => {
    const { app, plugin } = await setUp({ ...EXISTING, "Lighthouse/Chapters/03 Chapter 3.md": "My notes for later.\n" });
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command(plugin, "new-chapter").checkCallback!(false);
    await settled();
    expect(Notice.messages).toEqual([
      "Could not add a chapter: Lighthouse/Chapters/03 Chapter 3.md already exists but is not chapter 3 of the book; rename it or give it 'chapter: 3'.",
    ]);
    expect(app.vault.textOf(app.vault.getFileByPath("Lighthouse/Chapters/03 Chapter 3.md")!)).toBe("My notes for later.\n");
  });
});

const MANUSCRIPT = [
  "THE SALT ROADS",
  "",
  "CHAPTER I.",
  "",
  "The road ran down to the sea, and the",
  "carts ran down it every morning.",
  "",
  "CHAPTER II.",
  "",
  "Nobody came back up before noon.",
  "",
  "CHAPTER III.",
  "",
  "At noon the bell rang.",
  "",
].join("\n");

/** Picks `file` in the modal's file input, as the writer does in the system dialog. */
function pick(modal: HTMLElement, file: File): void {
  const input = modal.find("input[type='file']") as HTMLInputElement;
  expect(input.getAttr("accept")).toBe(".txt,.md");
  Object.defineProperty(input, "files", { value: [file], configurable: true });
  input.dispatchEvent(new Event("change"));
}

describe("the Import manuscript command", () => {
  it("imports a text manuscript as a book and reports its chapters and warnings", async () => {
    const { app, vault, plugin } = await setUp({});
    command(plugin, "import-manuscript").callback!();
    const modal = shownModal();
    pick(modal, new File([new TextEncoder().encode(MANUSCRIPT)], "salt-roads.txt", { type: "text/plain" }));
    expect((modal.find("input[name='folder']") as HTMLInputElement).value).toBe("salt-roads");
    fill(modal, "folder", "Salt Roads");
    press(modal, "Import");
    await settled();
    await settled();
    const book = await loadBook(vault, "Salt Roads");
    expect(book.diagnostics).toEqual([]);
    expect(book.chapters.map((c) => [c.number, c.title, c.words])).toEqual([
      [1, "Chapter 1", 15],
      [2, "Chapter 2", 6],
      [3, "Chapter 3", 5],
    ]);
    expect(await vault.read(book.chapters[0]!.path)).toContain("\nThe road ran down to the sea, and the carts ran down it every morning.\n");
    expect(modal.find(".bookwright-import-summary")?.getText()).toBe('Imported 3 chapters of "Salt Roads" into Salt Roads.');
    // The title line before chapter I is left out, and said so.
    expect(modal.findAll(".bookwright-problems li").map((li) => li.getText())).toEqual([
      "salt-roads.txt:1: 1 line before the first chapter heading (line 3) left out: preface, contents or title page",
    ]);
    expect(Notice.messages).toEqual(['Imported 3 chapters of "Salt Roads" into Salt Roads. 1 warning.']);
    press(modal, "Open book");
    await settled();
    expect(openedNotes(app)).toEqual(["Salt Roads/Book.md"]);
  });

  it("asks for a file and refuses to import over a book, writing nothing", async () => {
    const { app, plugin } = await setUp();
    command(plugin, "import-manuscript").callback!();
    const modal = shownModal();
    press(modal, "Import");
    await settled();
    expect(errors(modal)).toEqual(["Choose a file to import.", "Enter a folder to import into."]);
    pick(modal, new File([MANUSCRIPT], "salt.txt"));
    fill(modal, "folder", "Lighthouse");
    press(modal, "Import");
    await settled();
    await settled();
    expect(errors(modal)).toEqual(["Lighthouse/Book.md already exists (this folder already holds a book); nothing was overwritten. Import into a new folder."]);
    expect(pathsBelow(app, "Lighthouse/Chapters")).toEqual(["Lighthouse/Chapters/01 Storm.md", "Lighthouse/Chapters/02 Supply boat.md"]);
  });
});
