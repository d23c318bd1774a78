import { Modal, Notice, TFile, type App, type Plugin, type TAbstractFile } from "obsidian";
import { formatDiagnostic } from "../../shared/book/diagnostics";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import { bookStats, formatStats } from "../../shared/book/stats";
import type { VaultFiles } from "../../shared/vault/vault-files";

/**
 * The book folder holding `file`: the nearest folder upwards with a `bookwright: book` note (or a
 * Longform index note). Uses Obsidian's metadata cache, so finding it reads no file.
 */
export function bookFolderOf(app: App, file: TAbstractFile): string | null {
  for (let folder = file.parent; folder; folder = folder.parent) {
    for (const child of folder.children) {
      if (!(child instanceof TFile) || child.extension !== "md") continue;
      const frontmatter = app.metadataCache.getFileCache(child)?.frontmatter;
      // Obsidian calls the vault root "/"; the VaultFiles port calls it "".
      if (frontmatter?.bookwright === "book" || frontmatter?.longform !== undefined) return folder.isRoot() ? "" : folder.path;
    }
  }
  return null;
}

/** "Show book stats": words, progress and chapters by status of the book the open note belongs to. */
export function registerBookStatsCommand(plugin: Plugin, vault: VaultFiles): void {
  plugin.addCommand({
    id: "show-book-stats",
    name: "Show book stats",
    checkCallback: (checking) => {
      const file = plugin.app.workspace.getActiveFile();
      const folder = file ? bookFolderOf(plugin.app, file) : null;
      if (folder === null) return false;
      if (!checking) {
        loadBook(vault, folder).then(
          (book) => new BookStatsModal(plugin.app, book).open(),
          (error: unknown) => new Notice(`Could not read the book: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
      return true;
    },
  });
}

class BookStatsModal extends Modal {
  constructor(app: App, private readonly book: BookInfo) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle(this.book.meta.title);
    this.contentEl.createEl("pre", { cls: "bookwright-stats", text: formatStats(bookStats(this.book), this.book.meta.author) });
    if (this.book.diagnostics.length > 0) {
      this.contentEl.createEl("h3", { text: `Problems found (${this.book.diagnostics.length})` });
      const list = this.contentEl.createEl("ul", { cls: "bookwright-problems" });
      for (const d of this.book.diagnostics) list.createEl("li", { text: formatDiagnostic(d) });
    }
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}
