import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importManuscript } from "../../shared/import/import-manuscript";
import { TRILOGY_FOLDER, trilogyFiles } from "../../shared/testing/series-fixture";
import { registerSeriesCommand } from "./series";
import { runCommand } from "../../test/run-command";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

const runSeries = (...args: string[]) => runCommand(registerSeriesCommand, ["series", ...args]);

describe("bookwright series", () => {
  let temp: string;
  let series: string;
  beforeAll(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-series-"));
    const chapters = importManuscript(readFileSync(corpusPath), { fileName: "pride-and-prejudice.txt" }).chapters;
    for (const [file, text] of Object.entries(trilogyFiles(chapters))) {
      await mkdir(path.dirname(path.join(temp, file)), { recursive: true });
      await writeFile(path.join(temp, file), text);
    }
    series = path.join(temp, TRILOGY_FOLDER);
  });
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("prints the books in order with words, status and continuity, and the characters", async () => {
    const { out, err, exitCode } = await runSeries(series);
    expect(err).toBe("");
    expect(exitCode).toBeUndefined();
    const lines = out.split("\n");
    expect(lines[0]).toBe("Netherfield");
    expect(lines[2]).toMatch(/^ {2}3 books, 61 chapters, [\d,]+ words of 135,000$/);
    expect(lines[3]).toMatch(/^ {3}1\. First Impressions +\d+ ch +[\d,]+ words {2}complete {2}continuity: \d+ pass$/);
    expect(lines[5]).toMatch(/^ {3}3\. Pemberley .* in progress {2}continuity: \d+ pass$/);
    expect(out).toMatch(/Elizabeth Bennet \(series\): \d+ chapters in books 1, 2, 3/);
  });

  it("lists the chapters where a character appears across the series", async () => {
    const { out } = await runSeries(series, "--character", "Wickham");
    expect(out.split("\n")[0]).toMatch(/^Wickham in Netherfield: \d+ chapters$/);
    expect(out).toContain("  book 3 (Pemberley), chapter 1: ");
    const json = JSON.parse((await runSeries(series, "--character", "Darcy", "--json")).out) as { appearances: { position: number }[]; stateByBook: { status?: string }[] };
    expect(new Set(json.appearances.map((a) => a.position))).toEqual(new Set([1, 2, 3]));
    expect(json.stateByBook.map((b) => b.status)).toEqual(["proud", "proud", "proud"]);
    expect((await runSeries(series, "--character", "Elizabeth")).out).toContain("  at the end of book 2 (The Letter): at Longbourn");
  });

  it("names the notes behind each problem, and says when the folder is no series", async () => {
    const bad = path.join(temp, "Bad");
    await mkdir(path.join(bad, "One"), { recursive: true });
    await writeFile(path.join(bad, "Series.md"), "---\nbookwright: series\ntitle: Bad\nbooks: [\"[[One]]\", \"[[Gone]]\"]\n---\n");
    await writeFile(path.join(bad, "One", "Book.md"), "---\nbookwright: book\ntitle: One\n---\n");
    const { out, exitCode } = await runSeries(bad);
    expect(exitCode).toBeUndefined();
    expect(out).toContain("warning: Bad/Series.md (books): lists \"[[Gone]]\"");
    const missing = await runSeries(path.join(bad, "One"));
    expect(missing.exitCode).toBe(1);
    expect(missing.err).toContain("bookwright series: One: no series here");
  });
});
