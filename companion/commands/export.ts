import path from "node:path";
import type { Command } from "commander";
import { buildBookModel, modelWordCount, parseChapterSelection } from "../../shared/export/book-model";
import { ensureBookIdentifier, toEpub } from "../../shared/export/epub";
import { toMarkdown, toPlainText } from "../../shared/export/text-formats";
import { writeExport, type ExportFormat } from "../../shared/export/write-export";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

const FORMATS: readonly ExportFormat[] = ["txt", "md", "epub"];
const FORMAT_LIST = "txt, md or epub";

interface ExportOptions {
  format: string;
  description?: string;
  chapters?: string;
  smartTypography: boolean;
  overwrite?: boolean;
  vault?: string;
}

/** `bookwright export <book-folder> --format txt|md|epub`: the book as one file in `<book>/Exports/`. */
export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("Export a book as one plain-text, Markdown or EPUB file in the book's Exports folder")
    .argument("<book-folder>", "folder holding the book's Book.md (or a Longform index note)")
    .requiredOption("--format <format>", `the file format: ${FORMAT_LIST}`)
    .option("--description <text>", "the e-book's description, shown by readers and stores (epub only)")
    .option("--chapters <list>", 'chapters to export: "all" or numbers and ranges such as 1-5,8', "all")
    .option("--no-smart-typography", "keep straight quotes, -- and ... as typed")
    .option("--overwrite", "replace an earlier export of the same name instead of numbering the new one")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .action(async (bookFolder: string, options: ExportOptions) => {
      try {
        const format = options.format.toLowerCase();
        if (!(FORMATS as readonly string[]).includes(format)) {
          throw new Error(`--format ${options.format}: expected ${FORMAT_LIST} (DOCX and PDF are not supported yet)`);
        }
        const selection = parseChapterSelection(options.chapters ?? "all");
        if ("error" in selection) throw new Error(`--chapters: ${selection.error}`);
        const { root, folder } = locateBook(bookFolder, options.vault);
        const vault = new NodeVault(root);
        const model = await buildBookModel(vault, folder, { chapters: selection.chapters, smartTypography: options.smartTypography });
        const common = { format: format as ExportFormat, name: model.title, overwrite: options.overwrite ?? false };
        const written =
          format === "epub"
            ? await writeExport(vault, folder, {
                ...common,
                bytes: toEpub(model, {
                  identifier: await ensureBookIdentifier(vault, folder),
                  ...(options.description ? { description: options.description } : {}),
                  modified: new Date(),
                }),
              })
            : await writeExport(vault, folder, { ...common, text: format === "md" ? toMarkdown(model) : toPlainText(model) });
        const words = modelWordCount(model);
        console.log(path.join(root, ...written.split("/")));
        console.log(`${model.chapters.length} chapter${model.chapters.length === 1 ? "" : "s"}, ${words.toLocaleString("en")} words`);
      } catch (error) {
        console.error(`bookwright export: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
