import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { formatDiagnostic } from "../../shared/book/diagnostics";
import { loadBook } from "../../shared/book/scan";
import { bookStats, formatStats } from "../../shared/book/stats";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

/** `bookwright stats <book-folder>`: words per chapter and book, progress, chapters by status, problems. */
export function registerStatsCommand(program: Command): void {
  program
    .command("stats")
    .description("Print a book's word counts, progress against its target and chapters by status")
    .argument("<book-folder>", "folder holding the book's Book.md (or a Longform index note)")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .option("--json", "print the stats as JSON")
    .action(async (bookFolder: string, options: { vault?: string; json?: boolean }) => {
      try {
        const { root, folder } = locateBook(bookFolder, options.vault);
        const found = await stat(path.resolve(bookFolder)).catch(() => null);
        if (!found?.isDirectory()) throw new Error(`${bookFolder}: no such folder; expected the folder that holds the book's Book.md`);
        const book = await loadBook(new NodeVault(root), folder);
        const stats = bookStats(book);
        if (options.json) {
          console.log(JSON.stringify({ ...stats, diagnostics: book.diagnostics }, null, 2));
        } else {
          console.log(formatStats(stats, book.meta.author));
          for (const d of book.diagnostics) console.log(formatDiagnostic(d));
        }
        if (book.diagnostics.some((d) => d.severity === "error")) process.exitCode = 1;
      } catch (error) {
        console.error(`bookwright stats: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
