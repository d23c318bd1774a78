import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importManuscript } from "../import/import-manuscript";
import { runChecks } from "./run-checks";
import { chapter, expectValidFindings } from "./testing";
import type { CodexCharacter, Finding } from "./types";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

const codex: CodexCharacter[] = [
  { name: "Mara Voss", aliases: [], status: "dead", statusSince: 2 },
  { name: "Elizabeth Hale", aliases: [] },
];

const book = [
  chapter(1, "Mara stood at the window of the lighthouse kitchen.", "", "The tension was palpable. Elizabeth said nothing."),
  chapter(2, "The storm took Mara that night.", "", "Elizabeth kept the copper lantern lit above the harbour gate."),
  chapter(3, "Morning came grey.", "", "“Come,” Mara said, and Elisabeth kept the copper lantern lit above the harbour gate."),
];

const summary = (findings: Finding[]) => findings.map((f) => [f.where.chapter, f.where.line, f.check]);

describe("runChecks", () => {
  it("runs every check and sorts the findings by chapter, then line", () => {
    const findings = runChecks(book, codex);
    expect(summary(findings)).toEqual([
      [1, 3, "stock-phrase"],
      [3, 3, "dead-character"],
      [3, 3, "name-variant"],
      [3, 3, "repeated-ngram"],
    ]);
    expect(findings.find((f) => f.check === "dead-character")!.severity).toBe("error");
    expectValidFindings(findings, book);
  });

  it("passes the phrase and n-gram options through", () => {
    const withoutDefaults = runChecks(book, codex, { useDefaultPhrases: false, phrases: ["window of the"] });
    expect(withoutDefaults.filter((f) => f.check === "stock-phrase").map((f) => f.where.chapter)).toEqual([1]);
    expect(withoutDefaults.find((f) => f.check === "stock-phrase")!.why).toContain("“window of the”");
    const ignoring = runChecks(book, codex, { ignorePhrases: ["the tension was palpable"] });
    expect(ignoring.some((f) => f.check === "stock-phrase")).toBe(false);
    // Runs of ten words or more only: the nine-word "kept the copper lantern … gate" no longer counts.
    expect(runChecks(book, codex, { ngram: { min: 9, max: 12 } }).some((f) => f.check === "repeated-ngram")).toBe(true);
    const longRuns = runChecks(book, codex, { ngram: { min: 10, max: 12 } });
    expect(longRuns.some((f) => f.check === "repeated-ngram")).toBe(false);
  });

  it("returns nothing for an empty book", () => {
    expect(runChecks([], codex)).toEqual([]);
  });

  it("keeps every quote exact on a whole real novel", () => {
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    const chapters = imported.chapters.map((c) => ({ chapter: c.number, title: c.title, body: c.text }));
    const cast: CodexCharacter[] = [
      { name: "Elizabeth Bennet", aliases: ["Lizzy", "Eliza"] },
      { name: "Mr. Bennet", aliases: [], status: "dead", statusSince: 50 },
      { name: "Mrs. Bennet", aliases: [] },
      { name: "George Wickham", aliases: ["Mr. Wickham"] },
    ];
    const findings = runChecks(chapters, cast);
    const checks = new Set(findings.map((f) => f.check));
    expect([...checks].sort()).toEqual(["dead-character", "repeated-ngram", "stock-phrase"]);
    // Mr. Bennet speaks after his "death": "“He is as fine a fellow,” said Mr. Bennet" (chapter 53).
    expect(findings.some((f) => f.check === "dead-character" && f.severity === "error" && f.where.chapter === 53)).toBe(true);
    expect(findings.every((f, i) => i === 0 || findings[i - 1]!.where.chapter < f.where.chapter || (findings[i - 1]!.where.chapter === f.where.chapter && findings[i - 1]!.where.line <= f.where.line))).toBe(true);
    expectValidFindings(findings, chapters);
  });
});
