import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importManuscript } from "../import/import-manuscript";
import { damerauLevenshtein, findNameVariants } from "./name-variants";
import { chapter, expectValidFindings } from "./testing";
import type { CodexCharacter } from "./types";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

describe("damerauLevenshtein", () => {
  it.each([
    ["jon", "john", 1],
    ["elisabeth", "elizabeth", 1],
    ["jhon", "john", 1],
    ["ca", "abc", 2],
    ["christofer", "christopher", 2],
    ["mara", "mara", 0],
    ["", "abc", 3],
    ["kitten", "sitting", 3],
  ])("%s → %s is %i", (a, b, d) => {
    expect(damerauLevenshtein(a, b)).toBe(d);
    expect(damerauLevenshtein(b, a)).toBe(d);
  });
});

const codex: CodexCharacter[] = [
  { name: "Jon Harrow", aliases: ["the Harrow boy"] },
  { name: "Elizabeth Marsh", aliases: ["Lizzy"] },
  { name: "Christopher Vane", aliases: [] },
  { name: "Mara", aliases: [] },
  { name: "Tom", aliases: [] },
  { name: "Jane Doe", aliases: [] },
];

describe("findNameVariants", () => {
  it.each([
    // [name, text, variant reported or null, the codex spelling named]
    ["a one-letter slip in a short name", "Later that night John came back.", "John", "Jon"],
    ["s for z in a long name", "It was Elisabeth who answered.", "Elisabeth", "Elizabeth"],
    ["a name nowhere near the codex", "He saw Bartholomew at the gate.", null, null],
    ["a transposition counts as one edit", "He saw Lizyz at the gate.", "Lizyz", "Lizzy"],
    ["two edits in a name of seven letters or more", "Then Christofer laughed.", "Christofer", "Christopher"],
    ["two edits in a short name are too many", "Then Mirra laughed at Mira.", "Mira", "Mara"],
    ["a possessive is the same word", "It was Elisabeth’s coat.", "Elisabeth", "Elizabeth"],
    ["the codex spelling itself", "Jon and Elizabeth and Lizzy came.", null, null],
    ["a family in the plural", "The Harrows came to dinner, Toms and all.", null, null],
    ["a month is not a name", "In June they married.", null, null],
    ["a sentence-initial common word", "Too late, he saw Tim.", "Tim", "Tom"],
    ["a sentence-initial word the book also uses in lower case", "They sang. Mars rose. And mars was red.", null, null],
    ["the second word of a place name", "They walked down Hunsford Mary to the church.", null, null],
    ["but not after a word capitalised only because it starts the sentence", "The end came. Then Jhon left.", "Jhon", "Jon"],
    ["all capitals is emphasis", "He shouted JOHN at the sea.", null, null],
    ["a lower-case word of an alias is not a name", "They sailed into the Bay.", null, null],
  ])("%s", (_name, text, variant, codexName) => {
    const chapters = [chapter(3, "First line.", text)];
    const findings = findNameVariants(chapters, codex);
    if (variant === null) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "warning", category: "character", check: "name-variant", where: { chapter: 3, line: 2 } });
    expect(findings[0]!.quote).toContain(variant);
    expect(findings[0]!.why).toContain(`“${variant}” is spelled almost like “${codexName}”`);
    expect(findings[0]!.suggestedFix).toContain(`“${codexName}”`);
    expectValidFindings(findings, chapters);
  });

  it("names the character a name word belongs to", () => {
    const [f] = findNameVariants([chapter(1, "She met Harow at noon.")], codex);
    expect(f!.why).toContain("“Harrow” (Jon Harrow) from the codex");
  });

  it("reports one finding per chapter, with every line the variant is on", () => {
    const chapters = [chapter(1, "Then John left.", "Later, John ate.", "", "John slept."), chapter(2, "And John woke.")];
    const findings = findNameVariants(chapters, codex);
    expect(findings.map((f) => [f.where.chapter, f.where.line])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(findings[0]!.why).toContain("3 times in this chapter (lines 1, 2 and 4)");
    expectValidFindings(findings, chapters);
  });

  it("takes a word used 5 times or more in 3 chapters or more to be another character", () => {
    const uses = (n: number) => Array.from({ length: n }, () => "And John came.");
    const spread = [chapter(1, ...uses(2)), chapter(2, ...uses(2)), chapter(3, ...uses(1))];
    expect(findNameVariants(spread, codex)).toEqual([]);
    // As often, but in two chapters only: still reported (a slip made on one day of writing).
    const twoChapters = [chapter(1, ...uses(3)), chapter(2, ...uses(2))];
    expect(findNameVariants(twoChapters, codex)).toHaveLength(2);
    // The thresholds are options.
    expect(findNameVariants(spread, codex, { otherCharacterOccurrences: 10 })).toHaveLength(3);
  });

  it("finds nothing without a codex", () => {
    expect(findNameVariants([chapter(1, "John came.")], [])).toEqual([]);
  });

  it("raises no false alarm on Pride and Prejudice with its main cast, and finds a planted slip", () => {
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    const chapters = imported.chapters.map((c) => ({ chapter: c.number, title: c.title, body: c.number === 30 ? `${c.text}\n\nElisabeth said nothing.` : c.text }));
    const cast: CodexCharacter[] = [
      { name: "Elizabeth Bennet", aliases: ["Lizzy", "Eliza"] },
      { name: "Jane Bennet", aliases: [] },
      { name: "Mr. Bennet", aliases: [] },
      { name: "Mrs. Bennet", aliases: [] },
      { name: "Fitzwilliam Darcy", aliases: ["Mr. Darcy"] },
      { name: "Charles Bingley", aliases: ["Mr. Bingley"] },
      { name: "Caroline Bingley", aliases: ["Miss Bingley"] },
      { name: "George Wickham", aliases: ["Mr. Wickham"] },
      { name: "Lydia Bennet", aliases: [] },
      { name: "Kitty Bennet", aliases: ["Catherine"] },
      { name: "Mary Bennet", aliases: [] },
      { name: "William Collins", aliases: ["Mr. Collins"] },
      { name: "Charlotte Lucas", aliases: [] },
      { name: "Lady Catherine de Bourgh", aliases: [] },
    ];
    const findings = findNameVariants(chapters, cast);
    expect(findings.map((f) => [f.where.chapter, f.quote])).toEqual([[30, "Elisabeth said nothing."]]);
    expectValidFindings(findings, chapters);
  });
});
