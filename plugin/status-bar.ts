/**
 * The status bar's word counts: the chapter open now and the whole book against its target,
 * "Chapter 1,234 words · Book 45,000 / 90,000". It runs on every pause in typing, so it stays cheap:
 * only the open note's text is counted then; the book's other chapters come from one loadBook, kept
 * and re-read (debounced) only when another note of the book changes.
 */
import type { Editor, MarkdownFileInfo, Plugin, TAbstractFile, TFile } from "obsidian";
import { loadBook } from "../shared/book/scan";
import { WordCounter } from "../shared/book/words";
import { isInFolder, type VaultFiles } from "../shared/vault/vault-files";
import { bookFolderOf } from "./commands/book-stats";

export interface StatusBarDeps {
  vault: VaultFiles;
}

/** After the last keystroke: counting a chapter is fast, but not worth doing on every key. */
const TYPING_DELAY_MS = 500;
/** After the last change to another note of the book (sync and AI writes come in bursts). */
const BOOK_RELOAD_DELAY_MS = 1_000;

const numbers = new Intl.NumberFormat("en");

export interface StatusBarCounts {
  /** Words in the open note when it is a chapter, else null. */
  chapterWords: number | null;
  bookWords: number;
  targetWords: number | null;
}

/** "Chapter 1,234 words · Book 45,000 / 90,000"; without a target "Book 45,000 words". */
export function formatStatusBar(counts: StatusBarCounts): string {
  const book = counts.targetWords === null
    ? `Book ${numbers.format(counts.bookWords)} words`
    : `Book ${numbers.format(counts.bookWords)} / ${numbers.format(counts.targetWords)}`;
  if (counts.chapterWords === null) return book;
  return `Chapter ${numbers.format(counts.chapterWords)} word${counts.chapterWords === 1 ? "" : "s"} · ${book}`;
}

interface BookTotals {
  folder: string;
  /** Words per chapter path, as loadBook counted them. */
  chapters: Map<string, number>;
  total: number;
  target: number | null;
}

/** Adds the word counts to the status bar; hidden while the open note belongs to no book. */
export function registerStatusBar(plugin: Plugin, deps: StatusBarDeps): void {
  new StatusBarWords(plugin, deps).start();
}

class StatusBarWords {
  private readonly item: HTMLElement;
  private readonly counter = new WordCounter();
  /** The open note, its book and its words now (null when it is not in a book). */
  private active: { path: string; folder: string; words: number; isChapter: boolean } | null = null;
  private book: BookTotals | null = null;
  private loading: { folder: string; promise: Promise<void> } | null = null;
  private typingTimer: number | null = null;
  private reloadTimer: number | null = null;
  private pendingEditor: Editor | null = null;
  /** Bumped on every file-open, so a slow read for the previous note is dropped. */
  private generation = 0;

  constructor(
    private readonly plugin: Plugin,
    private readonly deps: StatusBarDeps,
  ) {
    this.item = plugin.addStatusBarItem();
    this.item.addClass("bookwright-status-bar");
    this.item.setAttr("aria-label", "Words in this chapter and in the book");
    this.item.hide();
  }

  start(): void {
    const { app } = this.plugin;
    this.plugin.registerEvent(app.workspace.on("file-open", (file) => void this.open(file)));
    this.plugin.registerEvent(app.workspace.on("editor-change", (editor, info) => this.typed(editor, info)));
    const onVaultChange = (file: TAbstractFile, oldPath?: string) => this.vaultChanged(file.path, oldPath);
    this.plugin.registerEvent(app.vault.on("modify", (file) => onVaultChange(file)));
    this.plugin.registerEvent(app.vault.on("create", (file) => onVaultChange(file)));
    this.plugin.registerEvent(app.vault.on("delete", (file) => onVaultChange(file)));
    this.plugin.registerEvent(app.vault.on("rename", (file, oldPath) => onVaultChange(file, oldPath)));
    this.plugin.register(() => {
      if (this.typingTimer !== null) window.clearTimeout(this.typingTimer);
      if (this.reloadTimer !== null) window.clearTimeout(this.reloadTimer);
    });
    // The metadata cache (which says which book a note is in) is ready once the layout is.
    app.workspace.onLayoutReady(() => void this.open(app.workspace.getActiveFile()));
  }

  /** A note was opened (or none is): count it and make sure its book's totals are loaded. */
  private async open(file: TFile | null): Promise<void> {
    const generation = ++this.generation;
    this.pendingEditor = null;
    const folder = file && file.extension === "md" ? bookFolderOf(this.plugin.app, file) : null;
    if (!file || folder === null) {
      this.active = null;
      this.render();
      return;
    }
    let text: string;
    try {
      text = await this.plugin.app.vault.cachedRead(file);
    } catch {
      // The note went away as it opened: nothing to count, and the next file-open will say what is.
      text = "";
    }
    if (generation !== this.generation) return;
    this.active = { path: file.path, folder, words: this.counter.countMarkdown(text), isChapter: this.isChapter(file) };
    this.render();
    if (this.book?.folder !== folder) await this.loadTotals(folder);
  }

  private isChapter(file: TFile): boolean {
    if (this.book?.chapters.has(file.path)) return true;
    return this.plugin.app.metadataCache.getFileCache(file)?.frontmatter?.bookwright === "chapter";
  }

  private typed(editor: Editor, info: MarkdownFileInfo): void {
    if (!this.active || info.file?.path !== this.active.path) return;
    this.pendingEditor = editor;
    if (this.typingTimer !== null) window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = null;
      const pending = this.pendingEditor;
      this.pendingEditor = null;
      if (!pending || !this.active) return;
      this.active.words = this.counter.countMarkdown(pending.getValue());
      this.render();
    }, TYPING_DELAY_MS);
  }

  private vaultChanged(path: string, oldPath?: string): void {
    const book = this.book;
    if (!book || !(isInFolder(path, book.folder) || (oldPath !== undefined && isInFolder(oldPath, book.folder)))) return;
    // The open note is counted on its own (one note, not the book): its saves mostly come from the
    // editor, already counted, but sync or an AI write can change it too.
    if (path === this.active?.path && oldPath === undefined) {
      this.recountActive();
      return;
    }
    if (this.reloadTimer !== null) window.clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => {
      this.reloadTimer = null;
      void this.loadTotals(book.folder);
    }, BOOK_RELOAD_DELAY_MS);
  }

  private recountActive(): void {
    const active = this.active;
    const file = active ? this.plugin.app.vault.getFileByPath(active.path) : null;
    if (!file || this.pendingEditor) return;
    if (this.typingTimer !== null) window.clearTimeout(this.typingTimer);
    const generation = this.generation;
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = null;
      void this.plugin.app.vault.cachedRead(file).then((text) => {
        if (generation !== this.generation || this.active?.path !== file.path) return;
        this.active.words = this.counter.countMarkdown(text);
        this.render();
      });
    }, TYPING_DELAY_MS);
  }

  private loadTotals(folder: string): Promise<void> {
    if (this.loading?.folder === folder) return this.loading.promise;
    const promise = loadBook(this.deps.vault, folder)
      .then((book) => {
        // The writer moved on to another book while this one loaded; its totals would only be hidden.
        if (this.active && this.active.folder !== folder) return;
        this.book = {
          folder,
          chapters: new Map(book.chapters.map((c) => [c.path, c.words])),
          total: book.chapters.reduce((sum, c) => sum + c.words, 0),
          target: book.meta.target_words ?? null,
        };
        if (this.active?.path && this.book.chapters.has(this.active.path)) this.active.isChapter = true;
      })
      .catch(() => {
        // A book that cannot be read shows no totals; "Show book stats" explains why.
        if (this.book?.folder === folder) this.book = null;
      })
      .finally(() => {
        if (this.loading?.promise === promise) this.loading = null;
        this.render();
      });
    this.loading = { folder, promise };
    return promise;
  }

  private render(): void {
    const active = this.active;
    const book = this.book;
    if (!active || !book || book.folder !== active.folder) {
      this.item.hide();
      return;
    }
    // The open chapter counts as it is now, not as it was when the book was last read.
    const saved = book.chapters.get(active.path);
    const bookWords = saved !== undefined ? book.total - saved + active.words : book.total + (active.isChapter ? active.words : 0);
    this.item.setText(formatStatusBar({ chapterWords: active.isChapter ? active.words : null, bookWords, targetWords: book.target }));
    this.item.show();
  }
}
