/**
 * "Export book": the book of the open note as one plain-text, Markdown or EPUB file in its Exports folder.
 * The work is shared/export's; this file is the modal that asks which format and which chapters.
 */
import { Modal, Notice, Setting, type App, type Plugin } from "obsidian";
import { buildBookModel, parseChapterSelection } from "../../shared/export/book-model";
import { ensureBookIdentifier, toEpub } from "../../shared/export/epub";
import { toMarkdown, toPlainText } from "../../shared/export/text-formats";
import { writeExport, type ExportFormat } from "../../shared/export/write-export";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "./book-stats";

export interface ExportCommandDeps {
  vault: VaultFiles;
}

/** "Export book" (no default hotkey), offered while the open note belongs to a book. */
export function registerExportCommand(plugin: Plugin, deps: ExportCommandDeps): void {
  plugin.addCommand({
    id: "export-book",
    name: "Export book",
    checkCallback: (checking) => {
      const file = plugin.app.workspace.getActiveFile();
      const folder = file ? bookFolderOf(plugin.app, file) : null;
      if (folder === null) return false;
      if (!checking) new ExportModal(plugin.app, deps.vault, folder).open();
      return true;
    },
  });
}

/** Exports the book in `folder` and returns the new file's vault path. */
export async function exportBook(
  vault: VaultFiles,
  folder: string,
  options: { format: ExportFormat; chapters: number[] | "all"; smartTypography: boolean },
): Promise<string> {
  const model = await buildBookModel(vault, folder, { chapters: options.chapters, smartTypography: options.smartTypography });
  if (options.format === "epub") {
    const identifier = await ensureBookIdentifier(vault, folder);
    return writeExport(vault, folder, { format: "epub", name: model.title, bytes: toEpub(model, { identifier, modified: new Date() }) });
  }
  const text = options.format === "md" ? toMarkdown(model) : toPlainText(model);
  return writeExport(vault, folder, { format: options.format, name: model.title, text });
}

export class ExportModal extends Modal {
  private format: ExportFormat = "txt";
  private chapters = "all";
  private smartTypography = true;
  private busy = false;

  constructor(
    app: App,
    private readonly vault: VaultFiles,
    private readonly folder: string,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle("Export book");
    const el = this.contentEl;
    new Setting(el)
      .setName("Format")
      .setDesc("Word (.docx) and PDF files come with the export issue.")
      .addDropdown((d) =>
        d
          .addOptions({ txt: "Plain text", md: "Markdown", epub: "E-book (.epub)" })
          .setValue(this.format)
          .onChange((value) => {
            this.format = value === "md" || value === "epub" ? value : "txt";
          }),
      );
    const chapters = new Setting(el).setName("Chapters").setDesc("All, or numbers and ranges such as 1-5, 8.");
    chapters.addText((t) => {
      t.setValue(this.chapters).onChange((value) => {
        this.chapters = value;
        showChapters(chapterError(value));
      });
      t.inputEl.setAttr("name", "chapters");
    });
    const showChapters = fieldError(chapters);
    new Setting(el)
      .setName("Smart typography")
      .setDesc("Curly quotes and apostrophes, en and em dashes, and ellipses.")
      .addToggle((t) =>
        t.setValue(this.smartTypography).onChange((value) => {
          this.smartTypography = value;
        }),
      );
    const failure = el.createDiv({ cls: "bookwright-field-error", attr: { "aria-live": "polite" } });
    failure.hide();
    new Setting(el).addButton((button) =>
      button
        .setButtonText("Export")
        .setCta()
        .onClick(() => {
          if (this.busy) return;
          const selection = parseChapterSelection(this.chapters);
          if ("error" in selection) {
            showChapters(selection.error);
            return;
          }
          this.busy = true;
          button.setDisabled(true);
          failure.hide();
          exportBook(this.vault, this.folder, { format: this.format, chapters: selection.chapters, smartTypography: this.smartTypography }).then(
            (path) => {
              new Notice(`Exported to ${path}.`);
              this.close();
            },
            (error: unknown) => {
              this.busy = false;
              button.setDisabled(false);
              failure.setText(`Could not export: ${error instanceof Error ? error.message : String(error)}`);
              failure.show();
            },
          );
        }),
    );
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

function chapterError(text: string): string | null {
  const selection = parseChapterSelection(text);
  return "error" in selection ? selection.error : null;
}

/** A line under a field for what is wrong with it; empty (and hidden) while nothing is. */
function fieldError(setting: Setting): (message: string | null) => void {
  const el = setting.infoEl.createDiv({ cls: "bookwright-field-error", attr: { "aria-live": "polite" } });
  el.hide();
  const input = setting.controlEl.querySelector("input");
  return (message) => {
    el.setText(message ?? "");
    el.toggle(message !== null);
    input?.setAttr("aria-invalid", message !== null);
  };
}
