/**
 * `bookwright series <series-folder>`: the series' books in order with words, status and continuity,
 * its totals, the characters across its books, and the problems found (a book naming a series that does
 * not exist, two books with one place, a listed book that is missing). `--character <name>` lists the
 * chapters where that character appears across the series.
 */
import type { Command } from "commander";
import { formatDiagnostic } from "../../shared/book/diagnostics";
import { loadSeries } from "../../shared/series/series";
import { characterAppearances, characterStateByBook, formatSeriesStats, seriesStats } from "../../shared/series/series-stats";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

export function registerSeriesCommand(program: Command): void {
  program
    .command("series")
    .description("Print a series' books in order with words, status and continuity, and its characters across books")
    .argument("<series-folder>", "folder holding the series note (a note with 'bookwright: series')")
    .option("--vault <folder>", "the vault root, when the series' books live outside its folder (default: only the series folder is read)")
    .option("--character <name>", "list the chapters where this character (name or alias) appears across the series")
    .option("--json", "print as JSON")
    .action(async (seriesFolder: string, options: { vault?: string; character?: string; json?: boolean }) => {
      try {
        const { root, folder } = locateBook(seriesFolder, options.vault);
        // Without --vault only the series folder is read: its parent may be a large folder of anything.
        const series = await loadSeries(new NodeVault(root), folder, options.vault === undefined ? { folder } : {});
        const diagnostics = [...series.diagnostics, ...series.books.flatMap((b) => b.book.diagnostics)];
        if (options.character !== undefined) {
          const found = characterAppearances(series, options.character);
          const states = characterStateByBook(series, options.character);
          if (options.json) console.log(JSON.stringify({ appearances: found, stateByBook: states }, null, 2));
          else if (found.length === 0) console.log(`${options.character} appears in no chapter of ${series.meta.title} (looked in chapters' 'characters' and character notes' 'appearances')`);
          else {
            console.log(`${options.character} in ${series.meta.title}: ${found.length} chapter${found.length === 1 ? "" : "s"}`);
            for (const a of found) console.log(`  book ${a.position} (${a.book}), chapter ${a.chapter}${a.chapterTitle ? `: ${a.chapterTitle}` : ""}${a.role ? ` — ${a.role}` : ""}`);
          }
          if (!options.json) {
            for (const st of states) {
              const at = [st.status, st.location ? `at ${st.location}` : undefined].filter(Boolean).join(", ");
              if (at) console.log(`  at the end of book ${st.position} (${st.book}): ${at}`);
            }
          }
          return;
        }
        const stats = seriesStats(series);
        if (options.json) {
          console.log(JSON.stringify({ ...stats, diagnostics }, null, 2));
        } else {
          console.log(formatSeriesStats(stats));
          for (const d of diagnostics) console.log(formatDiagnostic(d));
        }
        if (diagnostics.some((d) => d.severity === "error")) process.exitCode = 1;
      } catch (error) {
        console.error(`bookwright series: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
