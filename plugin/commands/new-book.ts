/**
 * Starting a book: "New book" (a folder with the notes docs/book-folder.md describes and a stub per
 * planned chapter), "New chapter" (the next number in the book of the open note) and "Import
 * manuscript" (a text or Markdown file split into chapters by shared/import). Every note is created with
 * `VaultFiles.create`, which refuses a taken path, so none of these can replace anything the writer has.
 */
import { Modal, Notice, Setting, type App, type Plugin } from "obsidian";
import { stringify } from "yaml";
import { safeFileName } from "../../shared/book/safe-name";
import { loadBook } from "../../shared/book/scan";
import { importManuscript, writeBookFolder, type ImportedManuscript, type WrittenBook } from "../../shared/import/import-manuscript";
import { joinVaultPath, normalizeVaultPath, VaultError, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "./book-stats";
import { fieldError } from "./field-error";

export interface BookCommandDeps {
  vault: VaultFiles;
}

export interface NewBookInput {
  title: string;
  author?: string;
  genre?: string;
  /** BCP 47; canonicalised before it is written (`en-gb` → `en-GB`). */
  language: string;
  targetWords?: number | null;
  /** A chapter stub is created for each. */
  plannedChapters: number;
}

export interface CreatedBook {
  folder: string;
  bookPath: string;
  /** Every note created, Book.md last. */
  notes: string[];
}

/** More stubs than any novel plans is a typo, and thousands of notes are tedious to delete. */
export const MAX_PLANNED_CHAPTERS = 500;
export const CHAPTERS_FOLDER = "Chapters";

/** Frontmatter as YAML 1.1, as the importer writes it, so a title like `No` stays text for 1.1 readers. */
function frontmatter(data: Record<string, unknown>): string {
  const defined = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== ""));
  return `---\n${stringify(defined, { version: "1.1", lineWidth: 0 })}---\n`;
}

/** Null when `tag` is a BCP 47 language tag, else the message to show beside the field. */
export function languageError(tag: string): string | null {
  const trimmed = tag.trim();
  if (trimmed === "") return "Enter a language tag such as en, en-GB or fr.";
  try {
    if (Intl.getCanonicalLocales(trimmed).length === 1) return null;
  } catch {
    // A RangeError is how Intl says "not a language tag"; reported below.
  }
  return `"${trimmed}" is not a BCP 47 language tag; use one such as en, en-GB, fr or pt-BR.`;
}

function canonicalLanguage(tag: string): string {
  return Intl.getCanonicalLocales(tag.trim())[0] ?? tag.trim();
}

/** `Chapters/07 Chapter 7.md`: two digits at least, more once the numbers need them, so names sort. */
export function chapterStubPath(bookFolder: string, chapter: number, width = 2): string {
  const digits = Math.max(2, width, String(chapter).length);
  return joinVaultPath(bookFolder, CHAPTERS_FOLDER, `${String(chapter).padStart(digits, "0")} Chapter ${chapter}.md`);
}

/** An empty chapter: its keys and no prose (the body of a chapter is the prose and nothing else). */
export function chapterStubText(chapter: number): string {
  return frontmatter({ bookwright: "chapter", chapter, title: `Chapter ${chapter}`, status: "not_started" });
}

const STORY_BIBLE_SECTIONS: [heading: string, prompt: string][] = [
  ["Premise", "What the story is about, in a paragraph: who wants what, what stands in the way, what is at stake."],
  ["World rules", "What is true in this world and never bends: places, history, technology or magic, and their limits."],
  ["Themes", "The questions the book keeps asking."],
  ["Tone", "How the book should feel to read: wry, bleak, tender, tense…"],
  ["Style guide", "Sentence length, vocabulary, dialogue habits, spelling conventions, words to avoid."],
  ["POV and tense", "Whose eyes each chapter sees through, first or third person, past or present tense."],
];

/**
 * The story bible with a heading per part the agents read. The prompts are Obsidian comments (`%%`):
 * hidden in reading view and left out of word counts; replace them with the book's own answers.
 */
export function storyBibleText(): string {
  const sections = STORY_BIBLE_SECTIONS.map(([heading, prompt]) => `## ${heading}\n\n%% ${prompt} %%\n`);
  return `${frontmatter({ bookwright: "story-bible" })}\n${sections.join("\n")}`;
}

export function outlineText(): string {
  return `${frontmatter({ bookwright: "outline" })}
## Acts

%% The book's shape: the acts or movements and the turn that ends each. %%

## Chapter plan

%% A line or two per chapter: what happens and what changes. The Architect drafts briefs from this. %%
`;
}

function bookText(input: NewBookInput): string {
  return `${frontmatter({
    bookwright: "book",
    title: input.title.trim(),
    author: input.author?.trim(),
    genre: input.genre?.trim(),
    language: canonicalLanguage(input.language),
    target_words: input.targetWords ?? undefined,
    planned_chapters: input.plannedChapters,
    status: "draft",
  })}\n%% The book's index note: Bookwright reads the properties above. The rest of this note is yours. %%\n`;
}

/**
 * Creates `<parent>/<Title>/` with Book.md, Story Bible.md, Outline.md, an empty Characters folder and
 * a stub per planned chapter. Refuses, before writing anything, when the folder exists. Book.md comes
 * last, so a creation cut short leaves a folder Bookwright does not take for a book.
 */
export async function createBook(vault: VaultFiles, input: NewBookInput, parent = ""): Promise<CreatedBook> {
  const title = input.title.trim();
  if (title === "") throw new Error("Enter a title for the book.");
  const language = languageError(input.language);
  if (language) throw new Error(language);
  if (!Number.isInteger(input.plannedChapters) || input.plannedChapters < 0 || input.plannedChapters > MAX_PLANNED_CHAPTERS) {
    throw new Error(`Planned chapters must be a whole number from 0 to ${MAX_PLANNED_CHAPTERS}.`);
  }
  const folder = joinVaultPath(parent, safeFileName(title));
  if (await vault.exists(folder)) {
    throw new Error(`A folder named "${folder}" already exists; choose another title, or rename that folder first.`);
  }
  const notes: string[] = [];
  const create = async (path: string, text: string) => {
    await vault.create(path, text);
    notes.push(path);
  };
  await create(joinVaultPath(folder, "Story Bible.md"), storyBibleText());
  await create(joinVaultPath(folder, "Outline.md"), outlineText());
  await vault.mkdir(joinVaultPath(folder, "Characters"));
  const width = String(input.plannedChapters).length;
  for (let n = 1; n <= input.plannedChapters; n++) await create(chapterStubPath(folder, n, width), chapterStubText(n));
  const bookPath = joinVaultPath(folder, "Book.md");
  await create(bookPath, bookText(input));
  return { folder, bookPath, notes };
}

/**
 * Adds the chapter after the highest-numbered one to the book in `folder` (chapter 1 in an empty book)
 * as `Chapters/NN Chapter N.md`, and returns its path.
 */
export async function createNextChapter(vault: VaultFiles, folder: string): Promise<string> {
  const book = await loadBook(vault, folder);
  if (book.format === "longform") {
    throw new Error(`${book.meta.title} is a Longform project; add scenes in Longform, whose scene list orders its chapters.`);
  }
  const next = Math.max(0, ...book.chapters.map((c) => c.number ?? 0)) + 1;
  const path = chapterStubPath(book.folder, next);
  try {
    await vault.create(path, chapterStubText(next));
  } catch (error) {
    if (error instanceof VaultError && error.code === "exists") {
      throw new Error(`${path} already exists but is not chapter ${next} of the book; rename it or give it 'chapter: ${next}'.`);
    }
    throw error;
  }
  return path;
}

/** Reads and splits a manuscript, then writes it as a book folder (never replacing a note). */
export async function importManuscriptInto(
  vault: VaultFiles,
  file: { name: string; bytes: Uint8Array },
  folder: string,
): Promise<{ imported: ImportedManuscript; written: WrittenBook }> {
  // Each part made safe as titles are, so a folder typed as "Tales: vol. 1" syncs to Windows too.
  const target = normalizeVaultPath(folder).split("/").filter((part) => part !== "").map((part) => safeFileName(part)).join("/");
  if (target === "") throw new Error("Enter a folder to import into.");
  const imported = importManuscript(file.bytes, { fileName: file.name });
  const written = await writeBookFolder(vault, target, imported);
  return { imported, written };
}

/** "New book", "New chapter" and "Import manuscript" (no default hotkeys). */
export function registerBookCommands(plugin: Plugin, deps: BookCommandDeps): void {
  const { app } = plugin;
  plugin.addCommand({
    id: "new-book",
    name: "New book",
    callback: () => new NewBookModal(app, deps.vault).open(),
  });
  plugin.addCommand({
    id: "new-chapter",
    name: "New chapter",
    checkCallback: (checking) => {
      const file = app.workspace.getActiveFile();
      const folder = file ? bookFolderOf(app, file) : null;
      if (folder === null) return false;
      if (!checking) {
        createNextChapter(deps.vault, folder).then(
          (path) => openNote(app, path),
          (error: unknown) => new Notice(`Could not add a chapter: ${messageOf(error)}`),
        );
      }
      return true;
    },
  });
  plugin.addCommand({
    id: "import-manuscript",
    name: "Import manuscript",
    callback: () => new ImportManuscriptModal(app, deps.vault).open(),
  });
}

async function openNote(app: App, path: string): Promise<void> {
  const file = app.vault.getFileByPath(path);
  // getLeaf(false) reuses the tab in front when it shows a note, as following a link does.
  if (file) await app.workspace.getLeaf(false).openFile(file);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A whole number from the field, null when it is blank, NaN when it is not a whole number ≥ 0. */
function wholeNumber(text: string): number | null {
  const trimmed = text.trim().replace(/[,_\s]/g, "");
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
}

export class NewBookModal extends Modal {
  private readonly values = { title: "", author: "", genre: "", language: "en", targetWords: "", plannedChapters: "" };

  constructor(
    app: App,
    private readonly vault: VaultFiles,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle("New book");
    const el = this.contentEl;
    const text = (key: keyof NewBookModal["values"], name: string, desc: string, numeric = false): ((message: string | null) => void) => {
      const setting = new Setting(el).setName(name).setDesc(desc);
      setting.addText((t) => {
        t.setValue(this.values[key]).onChange((value) => {
          this.values[key] = value;
          if (key === "language") showLanguage(languageError(value));
        });
        t.inputEl.setAttr("name", key);
        // Not type=number: browsers turn "90,000" into an empty value there, and the target would vanish silently.
        if (numeric) t.inputEl.setAttr("inputmode", "numeric");
      });
      return fieldError(setting);
    };
    const showTitle = text("title", "Title", "The folder of the same name is created in the vault root.");
    text("author", "Author", "As it should be printed.");
    text("genre", "Genre", "For example literary fiction; the agents read it.");
    const showLanguage = text("language", "Language", "A BCP 47 tag such as en, en-GB, fr or pt-BR.");
    const showTarget = text("targetWords", "Target words", "The length you aim for; progress is shown against it.", true);
    const showPlanned = text("plannedChapters", "Planned chapters", "A note is created for each.", true);

    new Setting(el).addButton((button) =>
      button
        .setButtonText("Create book")
        .setCta()
        .onClick(async () => {
          const target = wholeNumber(this.values.targetWords);
          const planned = wholeNumber(this.values.plannedChapters);
          const titleProblem = this.values.title.trim() === "" ? "Enter a title for the book." : null;
          const languageProblem = languageError(this.values.language);
          const targetProblem = Number.isNaN(target) ? "Enter a whole number of words, or leave it blank." : null;
          const plannedProblem = Number.isNaN(planned) || (planned ?? 0) > MAX_PLANNED_CHAPTERS ? `Enter a whole number from 0 to ${MAX_PLANNED_CHAPTERS}.` : null;
          showTitle(titleProblem);
          showLanguage(languageProblem);
          showTarget(targetProblem);
          showPlanned(plannedProblem);
          if (titleProblem || languageProblem || targetProblem || plannedProblem) return;
          button.setDisabled(true);
          try {
            const created = await createBook(this.vault, {
              title: this.values.title,
              author: this.values.author,
              genre: this.values.genre,
              language: this.values.language,
              targetWords: target,
              plannedChapters: planned ?? 0,
            });
            this.close();
            new Notice(`Created ${created.folder} with ${planned ?? 0} chapter note${planned === 1 ? "" : "s"}.`);
            await openNote(this.app, created.bookPath);
          } catch (error) {
            // Most likely the folder exists: said under the title, whose name picks the folder.
            showTitle(messageOf(error));
            button.setDisabled(false);
          }
        }),
    );
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

export class ImportManuscriptModal extends Modal {
  private file: File | null = null;
  private folder = "";

  constructor(
    app: App,
    private readonly vault: VaultFiles,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle("Import manuscript");
    const el = this.contentEl;
    el.createEl("p", {
      cls: "bookwright-muted",
      text: "A plain text or Markdown file, such as a book from an online library. Chapters are split at their headings; nothing already in the vault is replaced.",
    });
    let folderInput: HTMLInputElement | null = null;
    const fileSetting = new Setting(el).setName("Manuscript").setDesc("A .txt or .md file.");
    const picker = fileSetting.controlEl.createEl("input", { type: "file", attr: { accept: ".txt,.md", "aria-label": "Manuscript file" } });
    const showFile = fieldError(fileSetting);
    picker.addEventListener("change", () => {
      this.file = picker.files?.[0] ?? null;
      showFile(null);
      // The file's name is the likeliest folder; the writer can still change it.
      if (this.file && this.folder.trim() === "" && folderInput) {
        this.folder = safeFileName(this.file.name.replace(/\.[^.]*$/, ""));
        folderInput.value = this.folder;
      }
    });
    const folderSetting = new Setting(el)
      .setName("Folder")
      .setDesc("The book's folder in the vault; created if it does not exist.")
      .addText((t) => {
        folderInput = t.inputEl;
        t.inputEl.setAttr("name", "folder");
        t.setValue(this.folder).onChange((value) => (this.folder = value));
      });
    const showFolder = fieldError(folderSetting);
    const report = el.createDiv({ cls: "bookwright-import-report" });

    new Setting(el).addButton((button) =>
      button
        .setButtonText("Import")
        .setCta()
        .onClick(async () => {
          const file = this.file;
          showFile(file ? null : "Choose a file to import.");
          showFolder(this.folder.trim() ? null : "Enter a folder to import into.");
          if (!file || !this.folder.trim()) return;
          button.setDisabled(true);
          report.empty();
          try {
            const bytes = new Uint8Array(await file.arrayBuffer());
            const { imported, written } = await importManuscriptInto(this.vault, { name: file.name, bytes }, this.folder);
            this.showReport(report, imported, written);
          } catch (error) {
            showFolder(messageOf(error));
            button.setDisabled(false);
          }
        }),
    );
  }

  /** The outcome stays in the modal: a notice would vanish before the warnings could be read. */
  private showReport(el: HTMLElement, imported: ImportedManuscript, written: WrittenBook): void {
    const count = imported.chapters.length;
    const warnings = imported.warnings.length;
    const summary = `Imported ${count} chapter${count === 1 ? "" : "s"} of "${imported.title}" into ${written.bookPath.replace(/\/?Book\.md$/, "") || "the vault root"}.`;
    new Notice(`${summary}${warnings ? ` ${warnings} warning${warnings === 1 ? "" : "s"}.` : ""}`);
    el.createEl("p", { cls: "bookwright-import-summary", text: summary });
    if (warnings > 0) {
      el.createEl("p", { text: `Warnings (${warnings}):` });
      const list = el.createEl("ul", { cls: "bookwright-problems" });
      for (const warning of imported.warnings) list.createEl("li", { text: warning });
    }
    new Setting(el).addButton((b) =>
      b.setButtonText("Open book").onClick(async () => {
        this.close();
        await openNote(this.app, written.bookPath);
      }),
    );
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}
