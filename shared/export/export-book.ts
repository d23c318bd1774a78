/**
 * One export, whatever the format: build the book model, pack it, and write it to `<book>/Exports/`.
 * The CLI and the plugin both call this, so an option means the same in both and a fix lands once.
 *
 * What differs between hosts is passed in: the print fonts (Node reads them from the font package, the
 * plugin from its bundle or the writer's vault), and the clock (tests pin it).
 */
import { loadBook } from "../book/scan";
import { isSeriesFolder, loadSeries } from "../series/series";
import { normalizeVaultPath, joinVaultPath, type VaultFiles } from "../vault/vault-files";
import { buildBookModel, modelWordCount, type BookModel } from "./book-model";
import { buildSeriesModel } from "./series-model";
import { exportExtension, type ExportFormat, type ExportStage } from "./formats";
import type { FontBytes } from "./pdf/fonts";
import type { TrimName } from "./pdf/trim";
import { writeExport, type ExportContent } from "./write-export";

export interface ExportBookOptions {
  format: ExportFormat;
  /** @default "all" */
  chapters?: number[] | "all";
  /** @default true */
  smartTypography?: boolean;
  /** Replace an earlier export of the same name instead of numbering the new one. @default false */
  overwrite?: boolean;
  /** A title page before the first chapter (book DOCX and PDF). @default true */
  titlePage?: boolean;
  /** A table of contents (book DOCX and PDF; an EPUB always has its navigation document). @default true */
  toc?: boolean;
  /** Body text size in points (book DOCX and PDF). */
  fontSizePt?: number;
  /** Print trim (PDF and book DOCX). @default "6x9" */
  trim?: TrimName;
  /** The e-book's cover: a JPEG's vault path, or null for none. @default the book's `cover` */
  cover?: string | null;
  /** The e-book's description; @default the book's `description` */
  description?: string;
  /** Manuscript title-page contact block; @default the book's `contact`, else the author */
  contact?: string[];
  /** Manuscript typeface. @default "Times New Roman" */
  manuscriptFont?: "Times New Roman" | "Courier New";
  /**
   * Characters the print fonts cannot draw: "error" refuses the PDF naming each one and its chapter;
   * "mark" sets a visible placeholder in their place and reports them in `warnings`. @default "error"
   */
  missingCharacters?: "error" | "mark";
  /** Print fonts; only asked for when the format is PDF. */
  fonts?: () => Promise<FontBytes>;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * Told as the export moves on: each stage as it starts, and each chapter parsed (`done` of `total`).
   * The companion passes these on to the plugin; a long PDF otherwise looks stuck.
   */
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportProgress {
  stage: ExportStage;
  /** Chapters parsed so far (during "chapters"; all of them after). */
  done: number;
  /** Chapters to parse; 0 until the book has been read. */
  total: number;
}

/** An export packed but not yet written anywhere: what exportBook writes to the vault, and the companion to its own folder. */
export interface RenderedExport {
  /** The book's title, which the file is named after. */
  title: string;
  content: ExportContent;
  /** The file extension, without its dot. */
  extension: string;
  chapters: number;
  words: number;
  warnings: string[];
}

export interface ExportResult {
  /** Vault path of the new file. */
  path: string;
  chapters: number;
  words: number;
  /** What the writer should know about the file (characters marked as missing, for one). */
  warnings: string[];
}

export { EXPORT_FORMATS, EXPORT_FORMAT_NAMES, TRIM_SIZES, exportExtension, isExportFormat, type ExportFormat } from "./formats";

/**
 * Exports the book in `bookFolder`; throws with a message a writer can act on, leaving no partial file.
 * A series folder (or its series note) gives one omnibus of all its books, in `<series>/Exports/`.
 */
export async function exportBook(vault: VaultFiles, bookFolder: string, options: ExportBookOptions): Promise<ExportResult> {
  const { rendered, folder } = await render(vault, normalizeVaultPath(bookFolder), options);
  options.onProgress?.({ stage: "writing", done: rendered.chapters, total: rendered.chapters });
  const path = await writeExport(vault, folder, { ...rendered.content, format: options.format, extension: rendered.extension, name: rendered.title, overwrite: options.overwrite ?? false });
  return { path, chapters: rendered.chapters, words: rendered.words, warnings: rendered.warnings };
}

/** Builds and packs the export of the book (or series) in `bookFolder` without writing it (exportBook's first half). */
export async function renderExport(vault: VaultFiles, bookFolder: string, options: ExportBookOptions): Promise<RenderedExport> {
  return (await render(vault, normalizeVaultPath(bookFolder), options)).rendered;
}

/** The rendered export, and the folder whose `Exports/` it belongs in (the series' folder when given its note). */
async function render(vault: VaultFiles, folder: string, options: ExportBookOptions): Promise<{ rendered: RenderedExport; folder: string }> {
  const progress = options.onProgress;
  progress?.({ stage: "reading", done: 0, total: 0 });
  // A folder that cannot be listed is no series; loadBook then says what is wrong with it.
  if (await isSeriesFolder(vault, folder).catch(() => false)) return renderSeries(vault, folder, options);
  const book = await loadBook(vault, folder);
  const model = await buildBookModel(vault, folder, {
    book,
    chapters: options.chapters ?? "all",
    smartTypography: options.smartTypography ?? true,
    ...(progress ? { onChapter: (done: number, total: number) => progress({ stage: "chapters", done, total }) } : {}),
  });
  if (model.chapters.length === 0) throw new Error(`${model.title} has no chapters to export`);
  const chapters = model.chapters.length;
  progress?.({ stage: "packing", done: chapters, total: chapters });
  const { warnings = [], ...content } = await pack(vault, folder, model, book.meta, options);
  return { rendered: { title: model.title, content, extension: exportExtension(options.format), chapters, words: modelWordCount(model), warnings: [...(model.warnings ?? []), ...warnings] }, folder };
}

/**
 * The omnibus of a series: every book a part, through the same packers. Its title, description and cover
 * are the series note's; its EPUB identifier is kept in the series note as a book's is in Book.md.
 */
async function renderSeries(vault: VaultFiles, folder: string, options: ExportBookOptions): Promise<{ rendered: RenderedExport; folder: string }> {
  const series = await loadSeries(vault, folder);
  if (Array.isArray(options.chapters)) {
    throw new Error(
      `${series.meta.title} is a series: choosing chapters (the chapters option, --chapters) works for one book only, since each book numbers its chapters from 1. Export the whole series, or export the chapters from the book's own folder`,
    );
  }
  const progress = options.onProgress;
  const model = await buildSeriesModel(vault, series, {
    smartTypography: options.smartTypography ?? true,
    ...(progress ? { onChapter: (done: number, total: number) => progress({ stage: "chapters", done, total }) } : {}),
  });
  if (model.chapters.length === 0) throw new Error(`${model.title} has no chapters to export`);
  const chapters = model.chapters.length;
  progress?.({ stage: "packing", done: chapters, total: chapters });
  const { warnings = [], ...content } = await pack(vault, series.folder, model, series.meta, options, series.indexPath);
  const rendered = { title: model.title, content, extension: exportExtension(options.format), chapters, words: modelWordCount(model), warnings: [...(model.warnings ?? []), ...warnings] };
  return { rendered, folder: series.folder };
}

/**
 * Each packer is imported when its format is asked for: the CLI's bundle is split, so a plain-text export
 * never parses pdf-lib, fontkit, the hyphenation patterns or docx (about a third of a second of start-up
 * on a whole novel). The plugin's bundle is one file; there the imports resolve at once.
 */
async function pack(
  vault: VaultFiles,
  folder: string,
  model: BookModel,
  meta: Record<string, unknown>,
  options: ExportBookOptions,
  /** The index note when it is not the book's Book.md (a series note): it keeps the EPUB identifier, and names a missing cover. */
  indexNote?: string,
): Promise<({ text: string } | { bytes: Uint8Array }) & { warnings?: string[] }> {
  switch (options.format) {
    case "txt":
      return { text: (await import("./text-formats")).toPlainText(model) };
    case "md":
      return { text: (await import("./text-formats")).toMarkdown(model) };
    case "epub": {
      const { ensureBookIdentifier, ensureNoteIdentifier, toEpub } = await import("./epub");
      const description = options.description ?? stringField(meta, "description");
      const bookCover = stringField(meta, "cover");
      const cover =
        options.cover === null
          ? null
          : options.cover !== undefined
            ? await readCover(vault, folder, options.cover, "the chosen cover", meta)
            : await readCover(vault, folder, bookCover, `${indexNote ?? joinVaultPath(folder, "Book.md")}: cover`, meta);
      return {
        bytes: toEpub(model, {
          identifier: indexNote ? await ensureNoteIdentifier(vault, indexNote) : await ensureBookIdentifier(vault, folder),
          modified: (options.now ?? (() => new Date()))(),
          ...(description ? { description } : {}),
          ...(cover ? { cover } : {}),
        }),
      };
    }
    case "manuscript": {
      const { toManuscriptDocx } = await import("./docx");
      const contact = options.contact ?? listField(meta, "contact");
      return { bytes: await toManuscriptDocx(model, { ...(contact ? { contact } : {}), ...(options.manuscriptFont ? { font: options.manuscriptFont } : {}) }) };
    }
    case "docx": {
      const { toBookDocx } = await import("./docx");
      return {
        bytes: await toBookDocx(model, {
          titlePage: options.titlePage ?? true,
          toc: options.toc ?? true,
          ...(options.fontSizePt ? { fontSizePt: options.fontSizePt } : {}),
          ...(options.trim ? { trim: trimInches(options.trim) } : {}),
        }),
      };
    }
    case "pdf": {
      if (!options.fonts) throw new Error("PDF export needs print fonts, and none were given");
      const { exportPrintPdf } = await import("./pdf/pdf");
      const { whereUnencodable } = await import("./pdf/fonts");
      const pdf = await exportPrintPdf(model, {
        fonts: await options.fonts(),
        trim: options.trim ?? "6x9",
        titlePage: options.titlePage ?? true,
        toc: options.toc ?? true,
        unencodable: options.missingCharacters === "mark" ? "replace" : "error",
        ...(options.fontSizePt ? { fontSizePt: options.fontSizePt } : {}),
      });
      const n = pdf.unencodable.length;
      const warnings = [...pdf.warnings, ...(n === 0 ? [] : [`Marked ${n} character${n === 1 ? "" : "s"} the fonts cannot draw, each replaced by a visible placeholder: ${whereUnencodable(pdf.unencodable)}.`])];
      return { bytes: pdf.bytes, warnings };
    }
  }
}

function trimInches(trim: TrimName): { widthIn: number; heightIn: number } {
  const [w, h] = trim.split("x").map(Number);
  return { widthIn: w!, heightIn: h! };
}

function stringField(meta: Record<string, unknown>, key: string): string | undefined {
  const value = meta[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function listField(meta: Record<string, unknown>, key: string): string[] | undefined {
  const value = meta[key];
  if (typeof value === "string" && value.trim() !== "") return value.split("\n").map((l) => l.trim()).filter(Boolean);
  if (Array.isArray(value)) {
    const lines = value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
    return lines.length > 0 ? lines : undefined;
  }
  return undefined;
}

/**
 * The cover (the `cover` key of Book.md, or the writer's choice): a JPEG in the vault, as a wiki link (`[[Cover.jpg]]`), a path relative to the
 * book folder, or a vault path. A cover that is named but missing or not a JPEG is an error, not a silent
 * e-book without its cover.
 */
async function readCover(vault: VaultFiles, folder: string, raw: string | undefined, source: string, meta: Record<string, unknown>): Promise<{ jpeg: Uint8Array; alt: string } | null> {
  if (!raw) return null;
  const target = /^!?\[\[([^\]|#]+)(?:[|#][^\]]*)?\]\]$/.exec(raw)?.[1]?.trim() ?? raw;
  const candidates = [joinVaultPath(folder, target), normalizeVaultPath(target)];
  for (const candidate of candidates) {
    if (!(await vault.exists(candidate))) continue;
    const jpeg = await vault.readBinary(candidate);
    if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error(`${source} ${candidate} is not a JPEG image; EPUB covers must be JPEG`);
    const alt = stringField(meta, "cover_alt") ?? `Cover of ${stringField(meta, "title") ?? "the book"}`;
    return { jpeg, alt };
  }
  throw new Error(`${source} ${raw} was not found; looked for ${candidates.join(" and ")}`);
}
