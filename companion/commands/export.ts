import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { deflateRawSync } from "node:zlib";
import type { Command } from "commander";
import { parseChapterSelection } from "../../shared/export/book-model";
import { EXPORT_FORMATS, exportBook, isExportFormat, TRIM_SIZES, type ExportBookOptions } from "../../shared/export/export-book";
import { pickFontFiles } from "../../shared/export/font-files";
import { isSeriesFolder } from "../../shared/series/series";
import { useDeflateRaw } from "../../shared/export/zip";
import type { FontBytes } from "../../shared/export/pdf/fonts";
import type { TrimName } from "../../shared/export/pdf/trim";
import { loadDefaultFonts } from "../export/default-fonts";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

const FORMAT_LIST = `${EXPORT_FORMATS.slice(0, -1).join(", ")} or ${EXPORT_FORMATS.at(-1)!}`;
const MIN_FONT_PT = 8;
const MAX_FONT_PT = 16;

interface ExportOptions {
  format: string;
  description?: string;
  chapters?: string;
  smartTypography: boolean;
  overwrite?: boolean;
  vault?: string;
  trim?: string;
  fontSize?: string;
  fontDir?: string;
  titlePage: boolean;
  toc: boolean;
  contact?: string[];
  courier?: boolean;
  markMissingCharacters?: boolean;
}

/**
 * `bookwright export <book-folder> --format …`: the book as one file in `<book>/Exports/`; given a series
 * folder, one omnibus file of all its books in `<series>/Exports/` (exportBook tells the two apart).
 */
export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("Export a book (or a whole series, as one omnibus) as one Word, PDF, EPUB, plain-text or Markdown file in its Exports folder")
    .argument("<book-folder>", "folder holding the book's Book.md (or a Longform index note), or a series folder holding its series note")
    .requiredOption("--format <format>", `docx (a book), manuscript (standard manuscript format .docx), pdf (print), epub, txt or md`)
    .option("--chapters <list>", 'chapters to export: "all" or numbers and ranges such as 1-5,8 (a book only: a series exports whole)', "all")
    .option("--trim <size>", `print trim in inches for pdf and docx: ${TRIM_SIZES.join(", ")} (default 6x9)`)
    .option("--font-size <pt>", `body text size in points for pdf and docx (${MIN_FONT_PT}–${MAX_FONT_PT})`)
    .option("--font-dir <folder>", "a folder with your own regular, italic, bold and bold italic TrueType (.ttf) files for pdf (default: EB Garamond)")
    .option("--no-title-page", "leave out the title page (pdf and docx)")
    .option("--no-toc", "leave out the table of contents (pdf and docx)")
    .option("--contact <line>", "a line of the manuscript's contact block; repeat for each line (default: Book.md's contact, else the author)", collect)
    .option("--mark-missing-characters", "pdf: put a placeholder where the fonts lack a character, instead of refusing the export")
    .option("--courier", "set the manuscript in Courier New instead of Times New Roman")
    .option("--description <text>", "the e-book's description, shown by readers and stores (default: Book.md's description)")
    .option("--no-smart-typography", "keep straight quotes, -- and ... as typed")
    .option("--overwrite", "replace an earlier export of the same name instead of numbering the new one")
    .option("--vault <folder>", "the vault root (default: the folder's parent; give it for a series whose books live elsewhere in the vault)")
    .action(async (bookFolder: string, options: ExportOptions) => {
      // Node's zlib is native: compressing a whole novel's EPUB or DOCX takes a fraction of fflate's time cold.
      useDeflateRaw((data) => deflateRawSync(data, { level: 6 }));
      try {
        const format = options.format.toLowerCase();
        if (!isExportFormat(format)) throw new Error(`--format ${options.format}: expected ${FORMAT_LIST}`);
        const selection = parseChapterSelection(options.chapters ?? "all");
        if ("error" in selection) throw new Error(`--chapters: ${selection.error}`);
        const trim = parseTrim(options.trim);
        const fontSizePt = parseFontSize(options.fontSize);
        const { root, folder } = locateBook(bookFolder, options.vault);
        const vault = new NodeVault(root);
        // Every book of a series numbers its chapters from 1, so a selection cannot say which book's it means.
        if (selection.chapters !== "all" && (await isSeriesFolder(vault, folder))) {
          throw new Error(`--chapters ${options.chapters}: ${bookFolder} is a series, which exports whole; to export some chapters, give the book's own folder`);
        }
        const exportOptions: ExportBookOptions = {
          format,
          chapters: selection.chapters,
          smartTypography: options.smartTypography,
          overwrite: options.overwrite ?? false,
          titlePage: options.titlePage,
          toc: options.toc,
          ...(trim ? { trim } : {}),
          ...(fontSizePt ? { fontSizePt } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.contact ? { contact: options.contact } : {}),
          ...(options.courier ? { manuscriptFont: "Courier New" as const } : {}),
          ...(options.markMissingCharacters ? { missingCharacters: "mark" as const } : {}),
          fonts: () => (options.fontDir ? readFontDir(options.fontDir) : loadDefaultFonts()),
        };
        const result = await exportBook(vault, folder, exportOptions);
        console.log(path.join(root, ...result.path.split("/")));
        console.log(`${result.chapters} chapter${result.chapters === 1 ? "" : "s"}, ${result.words.toLocaleString("en")} words`);
        for (const warning of result.warnings) console.error(`bookwright export: warning: ${warning}`);
      } catch (error) {
        console.error(`bookwright export: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseTrim(value: string | undefined): TrimName | undefined {
  if (value === undefined) return undefined;
  const trim = TRIM_SIZES.find((t) => t === value.trim().toLowerCase().replace(/\s*[×x]\s*/, "x").replace(/(in|")$/, ""));
  if (!trim) throw new Error(`--trim ${value}: expected one of ${TRIM_SIZES.join(", ")} (inches, width x height)`);
  return trim;
}

function parseFontSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const size = Number(value);
  if (!Number.isFinite(size) || size < MIN_FONT_PT || size > MAX_FONT_PT) throw new Error(`--font-size ${value}: expected a number of points from ${MIN_FONT_PT} to ${MAX_FONT_PT}`);
  return size;
}

async function readFontDir(folder: string): Promise<FontBytes> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    throw new Error(`--font-dir ${folder}: ${(error as { code?: string }).code === "ENOENT" ? "no such folder" : String(error)}`);
  }
  const picked = pickFontFiles(folder, names);
  if ("error" in picked) throw new Error(`--font-dir ${picked.error}`);
  const read = async (name: string): Promise<Uint8Array> => new Uint8Array(await readFile(path.join(folder, name)));
  return { regular: await read(picked.files.regular), italic: await read(picked.files.italic), bold: await read(picked.files.bold), boldItalic: await read(picked.files.boldItalic) };
}
