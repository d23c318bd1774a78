import path from "node:path";
import type { Command } from "commander";
import { buildBookModel, modelWordCount, parseChapterSelection } from "../../shared/export/book-model";
import { toMarkdown, toPlainText } from "../../shared/export/text-formats";
import { writeExport, type ExportFormat } from "../../shared/export/write-export";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

const FORMATS: readonly ExportFormat[] = ["txt", "md"];

interface ExportOptions {
  format: string;
  chapters?: string;
  smartTypography: boolean;
  overwrite?: boolean;
  vault?: string;
}

/** `bookwright export <book-folder> --format txt|md`: the book as one file in `<book>/Exports/`. */
export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("Export a book as one plain-text or Markdown file in the book's Exports folder")
    .argument("<book-folder>", "folder holding the book's Book.md (or a Longform index note)")
    .requiredOption("--format <format>", `the file format: ${FORMATS.join(" or ")}`)
    .option("--chapters <list>", 'chapters to export: "all" or numbers and ranges such as 1-5,8', "all")
    .option("--no-smart-typography", "keep straight quotes, -- and ... as typed")
    .option("--overwrite", "replace an earlier export of the same name instead of numbering the new one")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .action(async (bookFolder: string, options: ExportOptions) => {
      try {
        const format = options.format.toLowerCase();
        if (!(FORMATS as readonly string[]).includes(format)) {
          throw new Error(`--format ${options.format}: expected ${FORMATS.join(" or ")} (DOCX, PDF and EPUB are not supported yet)`);
        }
        const selection = parseChapterSelection(options.chapters ?? "all");
        if ("error" in selection) throw new Error(`--chapters: ${selection.error}`);
        const { root, folder } = locateBook(bookFolder, options.vault);
        const vault = new NodeVault(root);
        const model = await buildBookModel(vault, folder, { chapters: selection.chapters, smartTypography: options.smartTypography });
        const text = format === "md" ? toMarkdown(model) : toPlainText(model);
        const written = await writeExport(vault, folder, { format: format as ExportFormat, name: model.title, text, overwrite: options.overwrite ?? false });
        const words = modelWordCount(model);
        console.log(path.join(root, ...written.split("/")));
        console.log(`${model.chapters.length} chapter${model.chapters.length === 1 ? "" : "s"}, ${words.toLocaleString("en")} words`);
      } catch (error) {
        console.error(`bookwright export: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
