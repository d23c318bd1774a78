/**
 * The series dashboard view: the series of the book the writer has open (or of the series folder the open
 * note is in), re-read and redrawn (debounced) whenever a note of the series or of one of its books
 * changes, or a book or series note anywhere does (a book elsewhere may just have joined). It only
 * reads; the series commands (commands/series.ts) write.
 */
import { ItemView, Notice, TFile, type App, type Plugin, type TAbstractFile, type ViewStateResult, type WorkspaceLeaf } from "obsidian";
import type { Diagnostic } from "../../shared/book/diagnostics";
import type { BookInfo } from "../../shared/book/scan";
import { scanSeries, type SeriesInfo, type SeriesScan } from "../../shared/series/series";
import { seriesStats } from "../../shared/series/series-stats";
import { isInFolder, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "../commands/book-stats";
import { LatestLoad } from "./latest-load";
import { renderSeriesDashboard } from "./series-render";

export const SERIES_VIEW_TYPE = "bookwright-series";

export interface SeriesViewDeps {
  vault: VaultFiles;
}

/** As the book dashboard: a burst of saves (a move touches the book note and the series note) redraws once. */
const REFRESH_DELAY_MS = 300;

export const NO_SERIES_TEXT = "Open a note of a book in a series, or a note in a series folder, to see the series dashboard.";
export const HOW_TO_MAKE_A_SERIES =
  "To make a series, run \"New series\" (with a book's note open it can add that book), or open a book's note and run \"Move book into series…\" to add it to a series you have.";

export interface SeriesForPath {
  series: SeriesInfo | null;
  /** The innermost book holding the path, in a series or not. */
  book: BookInfo | null;
  /** The scan's warnings the writer should see with what is shown. */
  warnings: Diagnostic[];
}

/**
 * Which series a note (or folder) belongs to: its book's series first, else the innermost series folder
 * holding it. A standalone book inside a series folder therefore shows that series, whose warnings say
 * why the book is not in it.
 */
export function seriesForPath(scan: SeriesScan, path: string): SeriesForPath {
  const innermost = <T>(items: readonly T[], folderOf: (item: T) => string): T | null =>
    items.filter((item) => isInFolder(path, folderOf(item))).sort((a, b) => folderOf(b).length - folderOf(a).length)[0] ?? null;
  const members = scan.series.flatMap((series) => series.books.map(({ book }) => ({ book, series })));
  const book = innermost([...members.map((m) => m.book), ...scan.standalone], (b) => b.folder);
  const series = (book ? members.find((m) => m.book === book)?.series : undefined) ?? innermost(scan.series, (s) => s.folder);
  // Book-scan warnings about the `series` key (a book naming a series that does not exist) live outside
  // any series: show the ones of books in this series' folder, or of the open book.
  const aboutSeries = scan.diagnostics.filter((d) => d.field === "series");
  const warnings = series
    ? [...series.diagnostics, ...aboutSeries.filter((d) => isInFolder(d.path, series.folder) && !series.diagnostics.includes(d))]
    : aboutSeries.filter((d) => book !== null && d.path === book.indexPath);
  return { series, book, warnings };
}

export class SeriesView extends ItemView {
  /** The note (or folder) the view shows the series of; null until one has been open. */
  private anchor: string | null = null;
  /** The series shown, and the folders whose changes redraw it (the series folder and its books'). */
  private shown: string | null = null;
  private watched: string[] = [];
  /** The series shown's folder, and its books' folders. */
  private seriesFolder: string | null = null;
  private members: string[] = [];
  private selected: string | null = null;
  private query = "";
  private readonly loads = new LatestLoad(REFRESH_DELAY_MS);

  constructor(
    leaf: WorkspaceLeaf,
    private readonly deps: SeriesViewDeps,
  ) {
    super(leaf);
  }

  getViewType(): string {
    return SERIES_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Series dashboard";
  }

  override getIcon(): string {
    return "library";
  }

  /** The index note of the series shown (null when none is). */
  get seriesPath(): string | null {
    return this.shown;
  }

  // As the book dashboard: restored with the note it followed, so after a restart it shows the same
  // series before the metadata cache can say where the open note is.
  override getState(): Record<string, unknown> {
    return { ...super.getState(), anchor: this.anchor };
  }

  override async setState(state: unknown, result: ViewStateResult): Promise<void> {
    const anchor = (state as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === "string") this.anchor = anchor;
    await super.setState(state, result);
    this.scheduleReload();
  }

  protected override async onOpen(): Promise<void> {
    this.loads.open();
    this.contentEl.addClass("bookwright-series-view");
    const { vault, workspace } = this.app;
    const changed = (file: TAbstractFile, oldPath?: string) => {
      if (oldPath !== undefined && this.anchor !== null && isInFolder(this.anchor, oldPath)) {
        // The followed note (or a folder above it) moved: follow it, so a renamed series stays shown.
        this.anchor = file.path + this.anchor.slice(oldPath.length);
      }
      if (this.relevant(file.path) || (oldPath !== undefined && this.relevant(oldPath))) this.scheduleReload();
    };
    this.registerEvent(vault.on("modify", (file) => changed(file)));
    this.registerEvent(vault.on("create", (file) => changed(file)));
    this.registerEvent(vault.on("delete", (file) => changed(file)));
    this.registerEvent(vault.on("rename", (file, oldPath) => changed(file, oldPath)));
    this.registerEvent(workspace.on("file-open", (file) => this.follow(file)));
    this.anchor ??= workspace.getActiveFile()?.path ?? null;
    await this.reload();
  }

  protected override onClose(): Promise<void> {
    // A load still running must not draw into a closed view.
    this.loads.close();
    this.contentEl.empty();
    return Promise.resolve();
  }

  /**
   * Shows the series of `file` when it is in a book or a series folder. Any other note (or none: the
   * view itself has focus) keeps what is shown, so opening a chapter from the view does not lose it.
   */
  follow(file: TFile | null): void {
    if (!file || file.path === this.anchor) return;
    const book = bookFolderOf(this.app, file);
    // A note of a book of the series shown, or of the series folder outside any book: nothing to re-read.
    const same = book !== null ? this.members.includes(book) : this.seriesFolder !== null && isInFolder(file.path, this.seriesFolder);
    if (same) {
      this.anchor = file.path;
      return;
    }
    if (book === null && !inSeriesFolder(this.app, file)) return;
    this.anchor = file.path;
    void this.reload();
  }

  /** Shows the series of the note or folder at `path` and draws it; resolves when drawn. */
  async show(path: string | null): Promise<void> {
    if (path !== null) this.anchor = path;
    await this.reload();
  }

  /** Waits for every load started so far. */
  whenIdle(): Promise<void> {
    return this.loads.whenIdle();
  }

  /** Reads the vault's series and draws the one of the followed note; a failure is shown, not thrown. */
  reload(): Promise<void> {
    return this.loads.start(async (current) => {
      const anchor = this.anchor;
      const el = this.contentEl;
      if (anchor === null) {
        this.showEmpty(null, []);
        return;
      }
      try {
        const scan = await scanSeries(this.deps.vault);
        if (!current()) return;
        const found = seriesForPath(scan, anchor);
        const series = found.series;
        if (!series) {
          this.showEmpty(found.book, found.warnings);
          return;
        }
        if (series.indexPath !== this.shown) {
          this.selected = null;
          this.query = "";
        }
        this.shown = series.indexPath;
        this.seriesFolder = series.folder;
        this.members = series.books.map((b) => b.book.folder);
        this.watched = [series.folder, ...this.members];
        // A redraw replaces the search box: give the focus back if the writer was typing in it.
        const typing = el.find(".bookwright-series-search") === activeDocument.activeElement;
        renderSeriesDashboard(
          el,
          { series, stats: seriesStats(series), warnings: found.warnings, selected: this.selected, query: this.query },
          {
            openNote: (path) => void this.openNote(path),
            selectCharacter: (name) => (this.selected = name),
            queryChanged: (query) => (this.query = query),
          },
        );
        if (typing) el.find(".bookwright-series-search")?.focus();
      } catch (error) {
        if (!current()) return;
        el.empty();
        el.createDiv({ cls: "bookwright-series-error", text: `Could not read the series: ${error instanceof Error ? error.message : String(error)}` });
      }
    });
  }

  private showEmpty(book: BookInfo | null, warnings: Diagnostic[]): void {
    this.shown = null;
    this.seriesFolder = null;
    this.members = [];
    // Still watch the open book: when it joins a series the view shows that series.
    this.watched = book ? [book.folder] : [];
    const el = this.contentEl;
    el.empty();
    const box = el.createDiv({ cls: "bookwright-series bookwright-series-empty-state" });
    box.createEl("h2", { cls: "bookwright-series-title", text: book ? `${book.meta.title} is not in a series` : "No series here" });
    box.createEl("p", { cls: "bookwright-muted", text: book ? `Series show the books that share a world side by side, with their characters across books.` : NO_SERIES_TEXT });
    box.createEl("p", { cls: "bookwright-series-how", text: HOW_TO_MAKE_A_SERIES });
    if (warnings.length > 0) {
      const list = box.createEl("ul", { cls: "bookwright-series-warning-list", attr: { "aria-label": "Warnings" } });
      for (const w of warnings) {
        const item = list.createEl("li", { cls: "bookwright-series-warning", attr: { "data-path": w.path } });
        const open = item.createEl("button", { cls: "bookwright-series-link", text: w.path, attr: { type: "button", "data-path": w.path, "aria-label": `Open ${w.path}` } });
        open.onClickEvent(() => void this.openNote(w.path));
        item.createSpan({ cls: "bookwright-series-warning-message", text: `${w.field ? ` (${w.field})` : ""}: ${w.message}` });
      }
    }
  }

  /** Whether a change at `path` can change what the view shows. */
  private relevant(path: string): boolean {
    if (this.watched.some((folder) => isInFolder(path, folder))) return true;
    if (this.anchor !== null && isInFolder(this.anchor, path)) return true;
    // A book or series note elsewhere may be joining this series or naming it: cheap to tell from the
    // metadata cache, and scanning the vault for every keystroke in an unrelated note is not.
    const file = this.app.vault.getFileByPath(path);
    const kind: unknown = file ? this.app.metadataCache.getFileCache(file)?.frontmatter?.bookwright : undefined;
    return kind === "book" || kind === "series";
  }

  private scheduleReload(): void {
    this.loads.schedule(() => void this.reload());
  }

  private async openNote(path: string): Promise<void> {
    const file = this.app.vault.getFileByPath(path);
    if (!file) {
      new Notice(`${path} is gone; the series dashboard will catch up in a moment.`);
      return;
    }
    // getLeaf(false) reuses a navigable leaf; the dashboard is not one, so it stays open beside the note.
    await this.app.workspace.getLeaf(false).openFile(file);
  }
}

/** Whether `file` is in a folder (or above one) holding a `bookwright: series` note, per the metadata cache. */
function inSeriesFolder(app: App, file: TAbstractFile): boolean {
  for (let folder = file.parent; folder; folder = folder.parent) {
    for (const child of folder.children) {
      if (child instanceof TFile && child.extension === "md" && app.metadataCache.getFileCache(child)?.frontmatter?.bookwright === "series") return true;
    }
  }
  return false;
}

/** Registers the series dashboard and "Open series dashboard" (no default hotkey). */
export function registerSeriesView(plugin: Plugin, deps: SeriesViewDeps): void {
  plugin.registerView(SERIES_VIEW_TYPE, (leaf) => new SeriesView(leaf, deps));
  plugin.addCommand({
    id: "open-series-dashboard",
    name: "Open series dashboard",
    callback: () => {
      openSeriesDashboard(plugin).catch((error: unknown) => new Notice(`Could not open the series dashboard: ${error instanceof Error ? error.message : String(error)}`));
    },
  });
}

/** Opens the series dashboard in the main area (or shows the existing one) on the series of the open note. */
export async function openSeriesDashboard(plugin: Plugin): Promise<void> {
  const { workspace } = plugin.app;
  const anchor = workspace.getActiveFile()?.path ?? null;
  const existing = workspace.getLeavesOfType(SERIES_VIEW_TYPE)[0];
  if (existing) {
    if (existing.view instanceof SeriesView && anchor !== null) await existing.view.show(anchor);
    await workspace.revealLeaf(existing);
    return;
  }
  const leaf = workspace.getLeaf("tab");
  await leaf.setViewState({ type: SERIES_VIEW_TYPE, active: true, state: { anchor } });
  await workspace.revealLeaf(leaf);
}
