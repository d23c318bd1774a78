import type { Command } from "commander";
import { formatDiagnostic } from "../../shared/book/diagnostics";
import { loadBook } from "../../shared/book/scan";
import { bookStats, type BookStats } from "../../shared/book/stats";
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

const number = new Intl.NumberFormat("en");

/** Plain-text stats as a writer reads them in a terminal. */
export function formatStats(stats: BookStats, author?: string): string {
  const lines = [`${stats.title}${author ? ` by ${author}` : ""}`];
  const target = stats.targetWords === null ? "" : ` of ${number.format(stats.targetWords)} (${Math.round((stats.progress ?? 0) * 100)}%)`;
  lines.push(`  ${stats.chapters} chapters, ${number.format(stats.words)} words${target}`);
  const statuses = Object.entries(stats.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${s.replace(/_/g, " ")} ${n}`);
  lines.push(`  chapters by status: ${statuses.join(", ") || "none"}`);
  const width = Math.max(5, ...stats.perChapter.map((c) => c.title.length));
  for (const c of stats.perChapter) {
    const n = c.number === null ? "  ?" : String(c.number).padStart(3);
    lines.push(`  ${n}  ${c.title.padEnd(width)}  ${number.format(c.words).padStart(7)}  ${c.status.replace(/_/g, " ")}`);
  }
  return lines.join("\n");
}
