import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerStatsCommand } from "./stats";
import { runCommand } from "../../test/run-command";

const demoBook = fileURLToPath(new URL("../../demo/vault/The Lighthouse Keeper", import.meta.url));

const runStats = (...args: string[]) => runCommand(registerStatsCommand, ["stats", ...args]);

describe("bookwright stats", () => {
  let temp: string;
  beforeEach(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-stats-"));
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("prints the demo book's words, progress and chapters by status", async () => {
    const { out, exitCode } = await runStats(demoBook);
    expect(exitCode).toBeUndefined();
    expect(out.split("\n").slice(0, 3)).toEqual([
      "The Lighthouse Keeper by Ada Marsh",
      "  3 chapters, 266 words of 80,000 (0%)",
      "  chapters by status: brief complete 1, written 2",
    ]);
    expect(out).toMatch(/1 {2}Storm +164 {2}written/);
  });

  it("prints JSON with the diagnostics when asked", async () => {
    const { out } = await runStats(demoBook, "--json");
    const parsed = JSON.parse(out) as { words: number; chapters: number; diagnostics: unknown[] };
    expect(parsed).toMatchObject({ words: 266, chapters: 3, diagnostics: [] });
  });

  it("lists each problem with file, line and key, and exits 1 on errors", async () => {
    const book = path.join(temp, "Broken");
    await mkdir(book);
    await writeFile(path.join(book, "Book.md"), "---\nbookwright: book\ntitle: Broken\n---\n");
    await writeFile(path.join(book, "a.md"), "---\nbookwright: chapter\nchapter: 1\n---\nOne.");
    await writeFile(path.join(book, "b.md"), "---\nbookwright: chapter\nchapter: 1\n---\nTwo.");
    const { out, exitCode } = await runStats(book);
    expect(out).toContain("error: Broken/b.md (chapter): chapter number 1 is also used by Broken/a.md; expected each number once");
    expect(exitCode).toBe(1);
  });

  it.each([
    ["a folder that does not exist", (t: string) => path.join(t, "nope"), /nope: no such folder/],
    ["a folder with no book", (t: string) => t, /no book here; expected a note with 'bookwright: book'/],
  ])("says clearly when given %s", async (_name, folder, message) => {
    const { err, exitCode } = await runStats(folder(temp));
    expect(err).toMatch(message);
    expect(exitCode).toBe(1);
  });
});
