/**
 * "Export book": the book of the open note as one Word, PDF, EPUB, plain-text or Markdown file in its
 * Exports folder. The work is shared/export's (the CLI runs the same exportBook); this file is the modal
 * that asks which format, which chapters and the options that format has.
 */
import { Modal, Notice, Setting, type App, type Plugin } from "obsidian";
import { loadBook } from "../../shared/book/scan";
import { parseChapterSelection } from "../../shared/export/book-model";
import { exportBook, type ExportBookOptions } from "../../shared/export/export-book";
import { readFontFolder } from "../../shared/export/font-files";
import { EXPORT_FORMAT_NAMES, EXPORT_FORMATS, TRIM_SIZES, type ExportFormat } from "../../shared/export/formats";
import type { TrimName } from "../../shared/export/pdf/trim";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { loadBundledFonts } from "../export/bundled-fonts";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";
import { bookFolderOf } from "./book-stats";
import { fieldError } from "./field-error";

export interface ExportCommandDeps {
  vault: VaultFiles;
  /** The plugin's settings, read when the modal opens (export defaults, print font folder). @default the defaults */
  settings?: () => BookwrightSettings;
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
      if (!checking) new ExportModal(plugin.app, deps.vault, folder, deps.settings?.() ?? DEFAULT_SETTINGS).open();
      return true;
    },
  });
}

const TRIM_LABELS: Record<TrimName, string> = { "5x8": "5 × 8 in", "5.25x8": "5.25 × 8 in", "5.5x8.5": "5.5 × 8.5 in", "6x9": "6 × 9 in" };
const NO_COVER = "";

/** Where each option applies, so the modal shows only the ones the chosen format has. */
const PRINT_FORMATS: readonly ExportFormat[] = ["pdf", "docx"];

export class ExportModal extends Modal {
  private format: ExportFormat;
  private chapters = "all";
  private smartTypography = true;
  private trim: TrimName;
  private fontSizePt: number;
  private titlePage = true;
  private toc = true;
  private description = "";
  private cover = NO_COVER;
  private markMissing = false;
  private busy = false;

  constructor(
    app: App,
    private readonly vault: VaultFiles,
    private readonly folder: string,
    private readonly settings: BookwrightSettings = DEFAULT_SETTINGS,
  ) {
    super(app);
    this.format = settings.exportDefaults.format;
    this.trim = settings.exportDefaults.trim;
    this.fontSizePt = settings.exportDefaults.fontSizePt;
  }

  override onOpen(): void {
    this.setTitle("Export book");
    const el = this.contentEl;
    const byFormat: { setting: Setting; formats: readonly ExportFormat[] }[] = [];
    const only = (setting: Setting, formats: readonly ExportFormat[]): Setting => {
      byFormat.push({ setting, formats });
      return setting;
    };
    const showFormatOptions = (): void => {
      for (const { setting, formats } of byFormat) setting.settingEl.toggle(formats.includes(this.format));
    };

    new Setting(el).setName("Format").addDropdown((d) =>
      d
        .addOptions(EXPORT_FORMAT_NAMES)
        .setValue(this.format)
        .onChange((value) => {
          this.format = EXPORT_FORMATS.find((f) => f === value) ?? "txt";
          showFormatOptions();
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

    only(new Setting(el).setName("Trim size").setDesc("The printed page, width by height."), PRINT_FORMATS).addDropdown((d) =>
      d
        .addOptions(TRIM_LABELS)
        .setValue(this.trim)
        .onChange((value) => {
          this.trim = TRIM_SIZES.find((t) => t === value) ?? this.trim;
        }),
    );
    const sizes: Record<string, string> = {};
    for (let pt = 9; pt <= 14; pt += 0.5) sizes[String(pt)] = `${pt} pt`;
    sizes[String(this.fontSizePt)] ??= `${this.fontSizePt} pt`;
    only(new Setting(el).setName("Font size"), PRINT_FORMATS).addDropdown((d) =>
      d
        .addOptions(sizes)
        .setValue(String(this.fontSizePt))
        .onChange((value) => {
          this.fontSizePt = Number(value);
        }),
    );
    only(new Setting(el).setName("Title page"), PRINT_FORMATS).addToggle((t) =>
      t.setValue(this.titlePage).onChange((value) => {
        this.titlePage = value;
      }),
    );
    only(new Setting(el).setName("Table of contents"), PRINT_FORMATS).addToggle((t) =>
      t.setValue(this.toc).onChange((value) => {
        this.toc = value;
      }),
    );
    only(
      new Setting(el).setName("Mark missing characters").setDesc("Put a placeholder where the font has no glyph (emoji, or a script it lacks) instead of refusing the export."),
      ["pdf"],
    ).addToggle((t) =>
      t.setValue(this.markMissing).onChange((value) => {
        this.markMissing = value;
      }),
    );
    only(
      new Setting(el).setName("Manuscript contact").setDesc("The title page shows the contact lines from the book's contact property, or the author when there are none."),
      ["manuscript"],
    );
    const coverSetting = only(new Setting(el).setName("Cover").setDesc("A JPEG image from the book's folder."), ["epub"]);
    const description = only(new Setting(el).setName("Description").setDesc("What readers and stores show about the book."), ["epub"]);
    description.addTextArea((t) => {
      t.setValue(this.description).onChange((value) => {
        this.description = value;
      });
      t.inputEl.setAttr("name", "description");
      t.inputEl.rows = 3;
    });
    new Setting(el)
      .setName("Smart typography")
      .setDesc("Curly quotes and apostrophes, en and em dashes, and ellipses.")
      .addToggle((t) =>
        t.setValue(this.smartTypography).onChange((value) => {
          this.smartTypography = value;
        }),
      );
    showFormatOptions();
    void this.fillBookDefaults(coverSetting, description);

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
          button.setButtonText("Exporting…");
          failure.hide();
          exportBook(this.vault, this.folder, this.options(selection.chapters)).then(
            (result) => {
              new Notice(`Exported to ${result.path}.`);
              for (const warning of result.warnings) new Notice(warning, 0);
              this.close();
            },
            (error: unknown) => {
              this.busy = false;
              button.setDisabled(false);
              button.setButtonText("Export");
              failure.setText(`Could not export: ${error instanceof Error ? error.message : String(error)}`);
              failure.show();
            },
          );
        }),
    );
  }

  private options(chapters: number[] | "all"): ExportBookOptions {
    const fontFolder = this.settings.printFontFolder.trim();
    return {
      format: this.format,
      chapters,
      smartTypography: this.smartTypography,
      trim: this.trim,
      fontSizePt: this.fontSizePt,
      titlePage: this.titlePage,
      toc: this.toc,
      cover: this.cover === NO_COVER ? null : this.cover,
      missingCharacters: this.markMissing ? "mark" : "error",
      ...(this.description.trim() ? { description: this.description.trim() } : {}),
      fonts: () => (fontFolder ? readFontFolder(this.vault, fontFolder) : loadBundledFonts()),
    };
  }

  /** The cover and description Book.md names, and the JPEGs in the book folder to choose a cover from. */
  private async fillBookDefaults(coverSetting: Setting, description: Setting): Promise<void> {
    const [book, files] = await Promise.all([loadBook(this.vault, this.folder).catch(() => null), this.vault.list(this.folder)]);
    const meta = (book?.meta ?? {}) as Record<string, unknown>;
    const jpegs = files.map((f) => f.path).filter((p) => /\.jpe?g$/i.test(p) && !p.includes("/Exports/"));
    const named = typeof meta.cover === "string" ? meta.cover.replace(/^!?\[\[|\]\]$/g, "").trim() : "";
    const namedPath = jpegs.find((p) => p === named || p.endsWith(`/${named}`));
    const options: Record<string, string> = { [NO_COVER]: "No cover" };
    for (const path of jpegs) options[path] = path.slice(this.folder.length + 1);
    this.cover = namedPath ?? NO_COVER;
    coverSetting.addDropdown((d) =>
      d
        .addOptions(options)
        .setValue(this.cover)
        .onChange((value) => {
          this.cover = value;
        }),
    );
    if (typeof meta.description === "string" && this.description === "") {
      this.description = meta.description.trim();
      const area = description.controlEl.querySelector("textarea");
      if (area) area.value = this.description;
    }
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

function chapterError(text: string): string | null {
  const selection = parseChapterSelection(text);
  return "error" in selection ? selection.error : null;
}
