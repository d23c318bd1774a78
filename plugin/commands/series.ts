/**
 * The series commands: "Move book into series…", "Move book out of series", "Promote character to
 * series" and "New series". Membership is frontmatter only (shared/series/membership.ts), so moving a
 * book writes two keys on its index note and one list on the series note, through VaultFiles.process;
 * nothing in the book is moved or rewritten. "New series" creates its notes with VaultFiles.create, which
 * refuses a taken path, so it cannot replace anything the writer has.
 */
import { Modal, Notice, Setting, SuggestModal, type App, type Plugin } from "obsidian";
import { stringify } from "yaml";
import { setFrontmatterKeys } from "../../shared/book/frontmatter";
import { safeFileName } from "../../shared/book/safe-name";
import type { BookInfo } from "../../shared/book/scan";
import { bookLink, joinSeries, leaveSeries, promoteCharacter, type PromoteResult } from "../../shared/series/membership";
import { scanSeries, type SeriesInfo, type SeriesScan } from "../../shared/series/series";
import { baseName, isInFolder, joinVaultPath, parentFolder, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "./book-stats";
import { fieldError } from "./field-error";
import { ConfirmModal } from "./generate";
import { storyBibleText } from "./new-book";

export interface SeriesCommandDeps {
  vault: VaultFiles;
}

export interface BookPlace {
  book: BookInfo;
  /** The series the book is in now, null for a standalone book. */
  series: SeriesInfo | null;
  scan: SeriesScan;
}

/** The book whose folder is `bookFolder`, and its series, from one scan of the vault. */
export async function bookPlace(vault: VaultFiles, bookFolder: string): Promise<BookPlace> {
  const scan = await scanSeries(vault);
  for (const series of scan.series) {
    const member = series.books.find((b) => b.book.folder === bookFolder);
    if (member) return { book: member.book, series, scan };
  }
  const book = scan.standalone.find((b) => b.folder === bookFolder);
  if (!book) throw new Error(`${bookFolder || "the vault root"}: no book here; expected a note with 'bookwright: book'`);
  return { book, series: null, scan };
}

export interface Moved {
  book: BookInfo;
  series: SeriesInfo;
  /** The book's `series_order` in it. */
  place: number;
  /** The series the book was taken out of first, if it was in one. */
  left: SeriesInfo | null;
}

/**
 * Puts the book in `bookFolder` into the series whose note is `seriesIndexPath`, after its last book. A
 * book already in another series leaves that one first, so no series note lists a book that names another.
 */
export async function moveBookIntoSeries(vault: VaultFiles, bookFolder: string, seriesIndexPath: string): Promise<Moved> {
  const { book, series: current, scan } = await bookPlace(vault, bookFolder);
  const target = scan.series.find((s) => s.indexPath === seriesIndexPath);
  if (!target) throw new Error(`${seriesIndexPath}: no series note there any more; expected a note with 'bookwright: series'`);
  if (current === target) {
    const position = target.books.find((b) => b.book === book)?.position;
    throw new Error(`${book.meta.title} is already book ${position} of ${target.meta.title}.`);
  }
  if (current) await leaveSeries(vault, book.indexPath, current);
  const place = await joinSeries(vault, book.indexPath, target);
  await pinSeriesLink(vault, book.indexPath, target, scan);
  return { book, series: target, place, left: current };
}

/**
 * joinSeries links the series by its note's name (`[[Series]]`), which is what a writer would type; but
 * when another series note has the same name (every "New series" makes a `Series.md`), that link names
 * both, and the scan would put the book in whichever it finds first. The note's path names one only.
 */
async function pinSeriesLink(vault: VaultFiles, bookIndexPath: string, series: SeriesInfo, scan: SeriesScan): Promise<void> {
  const name = baseName(series.indexPath).toLowerCase();
  const twin = scan.series.some((s) => s !== series && baseName(s.indexPath).toLowerCase() === name);
  if (twin) await vault.process(bookIndexPath, (text) => setFrontmatterKeys(text, { series: bookLink(series.indexPath) }));
}

/** Takes the book in `bookFolder` out of its series; returns the series it left. */
export async function moveBookOutOfSeries(vault: VaultFiles, bookFolder: string): Promise<{ book: BookInfo; series: SeriesInfo }> {
  const { book, series } = await bookPlace(vault, bookFolder);
  if (!series) throw new Error(`${book.meta.title} is not in a series.`);
  await leaveSeries(vault, book.indexPath, series);
  return { book, series };
}

/** Makes the book character note at `characterPath` series-wide (moved, or merged into the series' note). */
export async function promoteToSeries(vault: VaultFiles, characterPath: string): Promise<PromoteResult & { series: SeriesInfo }> {
  const scan = await scanSeries(vault);
  const books = [...scan.series.flatMap((s) => s.books.map((b) => b.book)), ...scan.standalone]
    .filter((b) => isInFolder(characterPath, b.folder))
    .sort((a, b) => b.folder.length - a.folder.length);
  const book = books[0];
  if (!book) throw new Error(`${characterPath} is not in a book; open a character note of a book in a series.`);
  const series = scan.series.find((s) => s.books.some((b) => b.book === book));
  if (!series) throw new Error(`${book.meta.title} is not in a series; run "Move book into series…" with one of its notes open first.`);
  return { ...(await promoteCharacter(vault, series, characterPath)), series };
}

export interface NewSeriesInput {
  title: string;
  description?: string;
  /** The folder of a book to add as the series' first book. */
  addBook?: string | null;
}

export interface CreatedSeries {
  folder: string;
  indexPath: string;
  biblePath: string;
  /** Set when a book was added. */
  moved?: Moved;
}

/** Frontmatter as YAML 1.1, as "New book" writes it, so a title like `No` stays text for 1.1 readers. */
function frontmatter(data: Record<string, unknown>): string {
  const defined = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined && v !== ""));
  return `---\n${stringify(defined, { version: "1.1", lineWidth: 0 })}---\n`;
}

export function seriesNoteText(input: NewSeriesInput): string {
  return `${frontmatter({ bookwright: "series", title: input.title.trim(), description: input.description?.trim() })}
%% The series note: Bookwright reads the properties above. \`books\` lists the books in order; "Move book into series…" and "Move book out of series" keep it. The rest of this note is yours. %%
`;
}

/**
 * Creates `<parent>/<Title>/` with `Series Bible.md`, an empty `Characters/` and `Series.md` (last, so a
 * creation cut short leaves no half series). A folder of that name that is neither a series nor inside a
 * book is used as it is: it may well be the folder that already holds the books.
 */
export async function createSeries(vault: VaultFiles, input: NewSeriesInput, parent = ""): Promise<CreatedSeries> {
  const title = input.title.trim();
  if (title === "") throw new Error("Enter a title for the series.");
  const folder = joinVaultPath(parent, safeFileName(title));
  const scan = await scanSeries(vault);
  const series = scan.series.find((s) => s.folder === folder);
  if (series) throw new Error(`${folder} is already the series ${series.meta.title}; choose another title.`);
  const book = [...scan.series.flatMap((s) => s.books.map((b) => b.book)), ...scan.standalone].find((b) => isInFolder(folder, b.folder));
  if (book) throw new Error(`${folder} is inside the book ${book.meta.title}; a series folder holds books, not the other way round. Choose another title.`);
  const indexPath = joinVaultPath(folder, "Series.md");
  const biblePath = joinVaultPath(folder, "Series Bible.md");
  for (const path of [indexPath, biblePath]) {
    if (await vault.exists(path)) throw new Error(`${path} already exists; choose another title, or rename that note first.`);
  }
  await vault.create(biblePath, storyBibleText());
  await vault.mkdir(joinVaultPath(folder, "Characters"));
  await vault.create(indexPath, seriesNoteText(input));
  const created: CreatedSeries = { folder, indexPath, biblePath };
  if (input.addBook !== undefined && input.addBook !== null) created.moved = await moveBookIntoSeries(vault, input.addBook, indexPath);
  return created;
}

/** "Move book into series…", "Move book out of series", "Promote character to series", "New series" (no default hotkeys). */
export function registerSeriesCommands(plugin: Plugin, deps: SeriesCommandDeps): void {
  const { app } = plugin;
  const activeBook = (): string | null => {
    const file = app.workspace.getActiveFile();
    return file ? bookFolderOf(app, file) : null;
  };

  // The two moves are offered while the open note belongs to a book, and differ only in what they open.
  const moves = [
    { id: "move-book-into-series", name: "Move book into series…", run: chooseSeries },
    { id: "move-book-out-of-series", name: "Move book out of series", run: confirmLeave },
  ];
  for (const { id, name, run } of moves) {
    plugin.addCommand({
      id,
      name,
      checkCallback: (checking) => {
        const folder = activeBook();
        if (folder === null) return false;
        if (!checking) void run(app, deps.vault, folder);
        return true;
      },
    });
  }

  plugin.addCommand({
    id: "promote-character-to-series",
    name: "Promote character to series",
    checkCallback: (checking) => {
      const file = app.workspace.getActiveFile();
      if (!file || bookFolderOf(app, file) === null) return false;
      if (app.metadataCache.getFileCache(file)?.frontmatter?.bookwright !== "character") return false;
      if (!checking) {
        promoteToSeries(deps.vault, file.path).then(
          async (result) => {
            const name = file.basename;
            new Notice(
              result.merged
                ? `${name} was already a character of ${result.series.meta.title}: merged into ${result.path}. The book's note went to the trash.`
                : `${name} is now a character of the whole series: moved to ${result.path}.`,
            );
            // A merged note is gone (in the trash): show the one that has its entries now.
            if (result.merged) await openNote(app, result.path);
          },
          (error: unknown) => new Notice(`Could not promote the character: ${messageOf(error)}`),
        );
      }
      return true;
    },
  });

  plugin.addCommand({
    id: "new-series",
    name: "New series",
    callback: () => new NewSeriesModal(app, deps.vault, activeBook()).open(),
  });
}

/** The book's place in the vault's series, or null after a notice saying the book could not be read. */
async function placeOrNotice(vault: VaultFiles, bookFolder: string): Promise<BookPlace | null> {
  try {
    return await bookPlace(vault, bookFolder);
  } catch (error) {
    new Notice(`Could not read the book: ${messageOf(error)}`);
    return null;
  }
}

async function chooseSeries(app: App, vault: VaultFiles, bookFolder: string): Promise<void> {
  const place = await placeOrNotice(vault, bookFolder);
  if (!place) return;
  const { book, series: current, scan } = place;
  const choices = scan.series.filter((s) => s !== current);
  if (choices.length === 0) {
    new Notice(current
      ? `${book.meta.title} is already in ${current.meta.title}, the only series in the vault. Run "New series" to make another.`
      : "No series in the vault yet. Run \"New series\" to make one; it can add this book.");
    return;
  }
  new SeriesSuggestModal(app, choices, book, current, (series) => {
    moveBookIntoSeries(vault, bookFolder, series.indexPath).then(
      (moved) => new Notice(`${moved.book.meta.title} is now book ${moved.place} of ${moved.series.meta.title}${moved.left ? ` (taken out of ${moved.left.meta.title})` : ""}.`),
      (error: unknown) => new Notice(`Could not move the book: ${messageOf(error)}`),
    );
  }).open();
}

/** Picks a series: by title or folder, each shown with its folder and how many books it has. */
export class SeriesSuggestModal extends SuggestModal<SeriesInfo> {
  constructor(
    app: App,
    private readonly choices: SeriesInfo[],
    book: BookInfo,
    current: SeriesInfo | null,
    private readonly chosen: (series: SeriesInfo) => void,
  ) {
    super(app);
    this.setPlaceholder(current ? `Move ${book.meta.title} from ${current.meta.title} into…` : `Move ${book.meta.title} into…`);
    this.emptyStateText = "No series by that name.";
  }

  getSuggestions(query: string): SeriesInfo[] {
    const wanted = query.trim().toLowerCase();
    return this.choices.filter((s) => s.meta.title.toLowerCase().includes(wanted) || s.folder.toLowerCase().includes(wanted));
  }

  renderSuggestion(series: SeriesInfo, el: HTMLElement): void {
    el.createDiv({ cls: "bookwright-suggestion-title", text: series.meta.title });
    const books = series.books.length;
    el.createEl("small", { cls: "bookwright-muted", text: `${series.folder || "Vault root"} · ${books} book${books === 1 ? "" : "s"}` });
  }

  onChooseSuggestion(series: SeriesInfo): void {
    this.chosen(series);
  }
}

async function confirmLeave(app: App, vault: VaultFiles, bookFolder: string): Promise<void> {
  const place = await placeOrNotice(vault, bookFolder);
  if (!place) return;
  const { book, series } = place;
  if (!series) {
    new Notice(`${book.meta.title} is not in a series.`);
    return;
  }
  new ConfirmModal(app, {
    title: "Move book out of series",
    text: `Take ${book.meta.title} out of ${series.meta.title}? Its series and series_order properties are removed, and ${series.meta.title}'s list of books no longer names it. Its chapters, characters and reports stay as they are; "Move book into series…" puts it back.`,
    confirm: "Move out of series",
    onConfirm: () => {
      moveBookOutOfSeries(vault, bookFolder).then(
        ({ book: left, series: from }) => new Notice(`${left.meta.title} is no longer in ${from.meta.title}.`),
        (error: unknown) => new Notice(`Could not move the book out of the series: ${messageOf(error)}`),
      );
    },
  }).open();
}

export class NewSeriesModal extends Modal {
  private readonly values = { title: "", description: "" };
  private addBook: boolean;
  /** Set once the series is created (tests and the harness wait on it). */
  created: Promise<CreatedSeries | null> = Promise.resolve(null);

  constructor(
    app: App,
    private readonly vault: VaultFiles,
    /** The folder of the book the writer has open, offered as the series' first book. */
    private readonly bookFolder: string | null,
  ) {
    super(app);
    this.addBook = bookFolder !== null;
  }

  override onOpen(): void {
    this.setTitle("New series");
    const el = this.contentEl;
    const title = new Setting(el).setName("Title").setDesc("The series folder of the same name is created in the vault root, with a series note and a series bible.");
    title.addText((t) => {
      t.inputEl.setAttr("name", "title");
      t.setValue(this.values.title).onChange((value) => (this.values.title = value));
    });
    const showTitle = fieldError(title);
    new Setting(el)
      .setName("Description")
      .setDesc("A line about the series; the series dashboard shows it.")
      .addTextArea((t) => {
        t.inputEl.setAttr("name", "description");
        t.setValue(this.values.description).onChange((value) => (this.values.description = value));
      });
    if (this.bookFolder !== null) {
      const book = baseName(this.bookFolder) || "the open book";
      new Setting(el)
        .setName(`Add ${book}`)
        .setDesc(`As the series' first book. The book's folder stays where it is (${parentFolder(this.bookFolder) || "the vault root"}).`)
        .addToggle((t) => t.setValue(this.addBook).onChange((value) => (this.addBook = value)));
    }
    new Setting(el).addButton((button) =>
      button
        .setButtonText("Create series")
        .setCta()
        .onClick(() => {
          if (this.values.title.trim() === "") {
            showTitle("Enter a title for the series.");
            return;
          }
          showTitle(null);
          button.setDisabled(true);
          this.created = this.create().then(
            (created) => created,
            (error: unknown) => {
              // Most likely the folder is taken or is a book: said under the title, which picks the folder.
              showTitle(messageOf(error));
              button.setDisabled(false);
              return null;
            },
          );
        }),
    );
  }

  private async create(): Promise<CreatedSeries> {
    const created = await createSeries(this.vault, { ...this.values, addBook: this.addBook ? this.bookFolder : null });
    this.close();
    const added = created.moved ? `, with ${created.moved.book.meta.title} as book ${created.moved.place}` : "";
    new Notice(`Created the series ${this.values.title.trim()} in ${created.folder}${added}.`);
    await openNote(this.app, created.indexPath);
    return created;
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

async function openNote(app: App, path: string): Promise<void> {
  const file = app.vault.getFileByPath(path);
  // getLeaf(false) reuses the tab in front when it shows a note, as following a link does.
  if (file) await app.workspace.getLeaf(false).openFile(file);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
