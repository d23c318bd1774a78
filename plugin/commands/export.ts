/**
 * "Export book": the book of the open note as one Word, PDF, EPUB, plain-text or Markdown file in its
 * Exports folder. The work is shared/export's (the CLI runs the same exportBook); this file is the modal
 * that asks which format, which chapters and the options that format has.
 *
 * A large export (see {@link exportsInCompanion}) goes to the companion when one is set up and answers:
 * it runs there in a worker thread while the modal shows how far it got, and the finished file is
 * downloaded and written to the Exports folder under the name an export here would get. When the
 * companion does not answer, or its export fails, the book is exported here as before, after a notice
 * saying why.
 */
import { Modal, Notice, Setting, TFile, type App, type Plugin, type TAbstractFile } from "obsidian";
import type { ExportJob } from "../../shared/companion-api/api";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import { parseChapterSelection } from "../../shared/export/book-model";
import { exportBook, type ExportBookOptions } from "../../shared/export/export-book";
import { readFontFolder } from "../../shared/export/font-files";
import { EXPORT_FORMAT_NAMES, EXPORT_FORMATS, TRIM_SIZES, exportExtension, type ExportFormat } from "../../shared/export/formats";
import type { TrimName } from "../../shared/export/pdf/trim";
import { writeExport } from "../../shared/export/write-export";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { loadBundledFonts } from "../export/bundled-fonts";
import type { CompanionClient, ExportJobOptionsInput } from "../local-service/client";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";
import { bookFolderOf } from "./book-stats";
import { fieldError } from "./field-error";

/** What the modal asks of the companion. */
export type CompanionExports = Pick<CompanionClient, "health" | "startExport" | "getExport" | "downloadExport">;

export interface ExportCommandDeps {
  vault: VaultFiles;
  /** The plugin's settings, read when the modal opens (export defaults, print font folder). @default the defaults */
  settings?: () => BookwrightSettings;
  /**
   * The companion client for the current settings (`companionFromSettings`), null when none is set up;
   * it may throw when the setup is broken (a token secret that is gone). Without it, every export runs here.
   */
  companion?: () => CompanionExports | null;
  /** How often a companion job is asked how far it got. @default 500 ms */
  pollMs?: number;
}

/** Words in the whole book above which a Word book, manuscript or EPUB goes to the companion. */
export const LARGE_EXPORT_WORDS = 50_000;

/**
 * Whether an export is large enough to be worth the companion: a print PDF always (setting every page
 * with hyphenation and embedded fonts is by far the slowest export, seconds even for a novella), and a
 * Word book, manuscript or EPUB of the whole book past {@link LARGE_EXPORT_WORDS} words (a novel, where
 * packing takes long enough to freeze Obsidian noticeably). Plain text and Markdown are quick at any length,
 * and a few chapters of anything but a PDF are too.
 */
export function exportsInCompanion(format: ExportFormat, chapters: number[] | "all", bookWords: number): boolean {
  if (format === "pdf") return true;
  if (format === "txt" || format === "md") return false;
  return chapters === "all" && bookWords > LARGE_EXPORT_WORDS;
}

/**
 * "Export book", offered while the open note belongs to a book, and "Export series", while it is in a
 * series folder (one omnibus file). No default hotkeys.
 */
export function registerExportCommand(plugin: Plugin, deps: ExportCommandDeps): void {
  const commands = [
    { id: "export-book", name: "Export book", folderOf: bookFolderOf, what: "book" },
    { id: "export-series", name: "Export series", folderOf: seriesFolderOf, what: "series" },
  ] as const;
  for (const { id, name, folderOf, what } of commands) {
    plugin.addCommand({
      id,
      name,
      checkCallback: (checking) => {
        const file = plugin.app.workspace.getActiveFile();
        const folder = file ? folderOf(plugin.app, file) : null;
        if (folder === null) return false;
        if (!checking) new ExportModal(plugin.app, deps.vault, folder, deps.settings?.() ?? DEFAULT_SETTINGS, deps, what).open();
        return true;
      },
    });
  }
}

/**
 * The series folder the note is in (the innermost folder with a `bookwright: series` note), else the
 * series the note's book names by its series note's name; null when neither. Read from Obsidian's
 * metadata cache, so the palette stays instant.
 */
export function seriesFolderOf(app: App, file: TAbstractFile): string | null {
  for (let folder = file.parent; folder; folder = folder.parent) {
    for (const child of folder.children) {
      if (child instanceof TFile && child.extension === "md" && app.metadataCache.getFileCache(child)?.frontmatter?.bookwright === "series") {
        return folder.isRoot() ? "" : folder.path;
      }
    }
  }
  return null;
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
  /** The book as loaded when the modal opened (its cover, description and length); null when it could not be read. */
  private book: Promise<BookInfo | null> = Promise.resolve(null);

  constructor(
    app: App,
    private readonly vault: VaultFiles,
    private readonly folder: string,
    private readonly settings: BookwrightSettings = DEFAULT_SETTINGS,
    private readonly deps: Pick<ExportCommandDeps, "companion" | "pollMs"> = {},
    /** A series exports whole, as one omnibus file with a part per book: no chapter selection. */
    private readonly what: "book" | "series" = "book",
  ) {
    super(app);
    this.format = settings.exportDefaults.format;
    this.trim = settings.exportDefaults.trim;
    this.fontSizePt = settings.exportDefaults.fontSizePt;
  }

  override onOpen(): void {
    this.setTitle(this.what === "series" ? "Export series" : "Export book");
    const el = this.contentEl;
    this.book = loadBook(this.vault, this.folder).catch(() => null);
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
    if (this.what === "series") chapters.settingEl.hide();
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

    const status = el.createDiv({ cls: ["bookwright-export-status", "bookwright-muted"], attr: { "aria-live": "polite" } });
    status.hide();
    const showStatus = (text: string | null): void => {
      status.setText(text ?? "");
      status.toggle(text !== null);
    };
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
          this.export(selection.chapters, showStatus).then(
            (result) => {
              new Notice(`Exported to ${result.path}.`);
              for (const warning of result.warnings) new Notice(warning, 0);
              this.close();
            },
            (error: unknown) => {
              this.busy = false;
              button.setDisabled(false);
              button.setButtonText("Export");
              showStatus(null);
              failure.setText(`Could not export: ${error instanceof Error ? error.message : String(error)}`);
              failure.show();
            },
          );
        }),
    );
  }

  /** Through the companion when the export is large and the companion answers; here otherwise. */
  private async export(chapters: number[] | "all", showStatus: (text: string | null) => void): Promise<{ path: string; warnings: string[] }> {
    if (this.deps.companion && exportsInCompanion(this.format, chapters, bookWords(await this.book))) {
      try {
        const client = this.deps.companion();
        if (client) return await this.exportInCompanion(client, chapters, showStatus);
      } catch (error) {
        new Notice(`The companion could not export the book (${error instanceof Error ? error.message : String(error)}); exporting it in Obsidian instead.`);
      }
    }
    showStatus(null);
    return exportBook(this.vault, this.folder, this.options(chapters));
  }

  /** Runs the export as a companion job, following it until it ends, and writes the file it made into Exports/. */
  private async exportInCompanion(client: CompanionExports, chapters: number[] | "all", showStatus: (text: string) => void): Promise<{ path: string; warnings: string[] }> {
    await client.health();
    showStatus("Sending the export to the companion…");
    let job = await client.startExport(this.folder, this.format, this.jobOptions(chapters));
    while (job.state === "queued" || job.state === "running") {
      showStatus(progressText(job));
      await new Promise((resolve) => window.setTimeout(resolve, this.deps.pollMs ?? 500));
      job = await client.getExport(job.id);
    }
    if (job.state !== "succeeded" || !job.result) throw new Error(job.error ?? `the export was ${job.state}`);
    showStatus("Saving the export in the book's Exports folder…");
    const bytes = new Uint8Array(await client.downloadExport(job.id));
    // writeExport names it as an export made here would be named (and numbers it when the name is taken).
    const path = await writeExport(this.vault, this.folder, { bytes, format: this.format, extension: exportExtension(this.format), name: job.result.title });
    return { path, warnings: job.result.warnings };
  }

  /** The modal's choices as the companion's export options: the same choices, the font folder by name. */
  private jobOptions(chapters: number[] | "all"): ExportJobOptionsInput {
    const { missingCharacters, fonts: _fonts, format: _format, ...shared } = this.options(chapters);
    const fontFolder = this.settings.printFontFolder.trim();
    return { ...shared, markMissingCharacters: missingCharacters === "mark", ...(fontFolder ? { fontFolder } : {}) };
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
    const [book, files] = await Promise.all([this.book, this.vault.list(this.folder)]);
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

function bookWords(book: BookInfo | null): number {
  return book?.chapters.reduce((sum, chapter) => sum + chapter.words, 0) ?? 0;
}

/** Where a companion job is, in a line for the modal. */
function progressText(job: ExportJob): string {
  const { stage, done, total } = job.progress;
  if (job.state === "queued") return "The companion is finishing other exports first…";
  switch (stage) {
    case "chapters":
      return `The companion is exporting: chapter ${done} of ${total}…`;
    case "packing":
      return `The companion is putting the file together (${total} chapter${total === 1 ? "" : "s"})…`;
    case "writing":
      return "The companion is saving the file…";
    default:
      return "The companion is reading the book…";
  }
}

function chapterError(text: string): string | null {
  const selection = parseChapterSelection(text);
  return "error" in selection ? selection.error : null;
}
