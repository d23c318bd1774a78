import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importManuscript } from "../import/import-manuscript";
import { findRepeatedNgrams } from "./repeated-ngrams";
import { chapter, expectValidFindings } from "./testing";
import type { ChapterText } from "./types";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

/** Filler prose in which no two words are alike, so the only repeats are the ones a test plants. */
let fillerWord = 0;
function filler(words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(`filler${fillerWord++}`);
  return `${out.join(" ")}.`;
}

const planted = "the copper lantern swung above the harbour gate";

describe("findRepeatedNgrams", () => {
  it("reports a phrase repeated in a later chapter, quoting the earlier one and its chapter", () => {
    const chapters = [
      chapter(1, filler(20), `${filler(5)} The copper lantern swung above the harbour gate ${filler(5)}`),
      chapter(2, filler(40)),
      chapter(3, filler(10), "", `${filler(3)} and the copper lantern, swung above: the harbour gate! ${filler(4)}`),
    ];
    const findings = findRepeatedNgrams(chapters);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ where: { chapter: 3, line: 3 }, category: "style", check: "repeated-ngram", severity: "warning" });
    // Eight words: the whole planted phrase, quoted as chapter 3 has it (case and punctuation included).
    expect(f!.quote).toBe("the copper lantern, swung above: the harbour gate");
    expect(f!.why).toContain("in chapter 1 (line 2)");
    expect(f!.why).toContain("“The copper lantern swung above the harbour gate”");
    expectValidFindings(findings, chapters);
  });

  it.each([
    ["twice in one chapter is not enough", [[planted, planted]], 0],
    ["three times in one chapter is", [[planted, planted, planted]], 2],
    ["twice in two chapters is", [[planted], [planted]], 1],
    ["once in each of three chapters gives two findings", [[planted], [planted], [planted]], 2],
  ])("%s", (_name, layout, expected) => {
    const chapters = layout.map((uses, i) => chapter(i + 1, ...uses.map((use) => `${filler(6)} ${use} ${filler(6)}`)));
    const findings = findRepeatedNgrams(chapters);
    expect(findings).toHaveLength(expected);
    expectValidFindings(findings, chapters);
  });

  it("counts every use of a phrase that occurs three times or more", () => {
    const phrase = "she ran a hand through her hair";
    const chapters = [1, 2, 3].map((n) => chapter(n, `${filler(5)} ${phrase} ${filler(5)}`));
    const findings = findRepeatedNgrams(chapters);
    expect(findings.map((f) => f.where.chapter)).toEqual([2, 3]);
    for (const f of findings) {
      expect(f.severity).toBe("warning");
      expect(f.why).toContain("occurs 3 times in the book (chapters 1, 2 and 3)");
      expect(f.why).toContain("in chapter 1");
    }
  });

  it("reports a short repeat in two chapters as info, and a copied sentence as one warning", () => {
    const short = "copper lanterns swung in wind";
    const copied = "the rain came down over the slate roofs of the old town and every gutter ran with it until dawn";
    const chapters = [chapter(1, `${filler(4)} ${short} ${filler(4)}`, `${filler(4)} ${copied} ${filler(4)}`), chapter(2, `${filler(4)} ${short} ${filler(4)} ${copied} ${filler(4)}`)];
    const findings = findRepeatedNgrams(chapters);
    expect(findings.map((f) => [f.severity, f.quote])).toEqual([
      ["info", short],
      ["warning", "the rain came down over the slate roofs"],
    ]);
    expect(findings[1]!.why).toMatch(/^This 20-word passage repeats one in chapter 1 \(line 2\), which begins “the rain came down over the slate roofs”/);
    expectValidFindings(findings, chapters);
  });

  it("ignores runs made only of very common words", () => {
    const common = "and then she had been there all the time";
    const chapters = [chapter(1, `${filler(4)} ${common} ${filler(4)}`), chapter(2, `${filler(4)} ${common} ${filler(4)}`)];
    expect(findRepeatedNgrams(chapters)).toEqual([]);
  });

  it("needs only one uncommon word: a repeated gesture is exactly what it is for", () => {
    const gesture = "and she looked up at him";
    const chapters = [chapter(1, `${filler(4)} ${gesture} ${filler(4)}`), chapter(2, `${filler(4)} ${gesture} ${filler(4)}`)];
    expect(findRepeatedNgrams(chapters).map((f) => f.quote)).toEqual([gesture]);
  });

  it("leaves dialogue out unless asked, and never runs across a quotation mark", () => {
    const line = "I will never forgive the harbour master";
    const chapters = [chapter(1, `${filler(4)} “${line},” she said. ${filler(4)}`), chapter(2, `${filler(4)} “${line},” he said. ${filler(4)}`)];
    expect(findRepeatedNgrams(chapters)).toEqual([]);
    const withDialogue = findRepeatedNgrams(chapters, { includeDialogue: true });
    expect(withDialogue.map((f) => f.quote)).toEqual([line]);
    expectValidFindings(withDialogue, chapters);
    // Narration repeated around different speech is not joined to it.
    const around = [chapter(1, `the old captain said “yes” and walked out`), chapter(2, `the old captain said “no” and walked out`)];
    expect(findRepeatedNgrams(around, { min: 3 }).map((f) => f.quote)).toEqual(["the old captain said", "and walked out"]);
  });

  it("never runs across a paragraph break", () => {
    const chapters = [chapter(1, `${filler(3)} ${planted} ${filler(3)}`), chapter(2, `${filler(3)} the copper lantern swung`, "", `above the harbour gate ${filler(3)}`)];
    expect(findRepeatedNgrams(chapters)).toEqual([]);
  });

  it("takes book order from the chapter numbers, not from the order given", () => {
    const chapters = [chapter(7, `${filler(3)} ${planted}`), chapter(2, `${planted} ${filler(3)}`)];
    const findings = findRepeatedNgrams(chapters);
    expect(findings.map((f) => f.where.chapter)).toEqual([7]);
    expect(findings[0]!.why).toContain("chapter 2");
  });

  it("honours a shorter minimum length", () => {
    const chapters = [chapter(1, `${filler(3)} copper lantern swung ${filler(3)}`), chapter(2, `${filler(3)} copper lantern swung ${filler(3)}`)];
    expect(findRepeatedNgrams(chapters)).toEqual([]);
    expect(findRepeatedNgrams(chapters, { min: 3, max: 8 }).map((f) => f.quote)).toEqual(["copper lantern swung"]);
  });

  it("treats a phrase that overlaps itself as one use", () => {
    const chapters = [chapter(1, `${filler(3)} ha ha ha ha ha ha ha ha ${filler(3)}`)];
    expect(findRepeatedNgrams(chapters, { commonWords: new Set() })).toEqual([]);
  });
});

describe("findRepeatedNgrams on Pride and Prejudice", () => {
  const bytes = readFileSync(corpusPath);
  const imported = importManuscript(new Uint8Array(bytes), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
  const plant = " The copper lantern swung slowly above the harbour gate at dusk.";
  const chapters: ChapterText[] = imported.chapters.map((c) => ({
    chapter: c.number,
    title: c.title,
    body: c.number === 10 || c.number === 40 ? `${c.text}${plant}` : c.text,
  }));

  it("runs on the whole novel, finds Austen's own repeats and the planted phrase", () => {
    expect(chapters).toHaveLength(61);
    const started = performance.now();
    const findings = findRepeatedNgrams(chapters);
    const elapsed = performance.now() - started;
    const words = chapters.reduce((sum, c) => sum + c.body.split(/\s+/).length, 0);
    console.log(`repeated n-grams: ${chapters.length} chapters, ~${words} words, ${findings.length} findings in ${elapsed.toFixed(0)} ms`);

    expect(findings.length).toBeGreaterThan(20);
    expectValidFindings(findings, chapters);
    const plantedFinding = findings.find((f) => f.where.chapter === 40 && /copper lantern swung slowly/.test(f.quote));
    expect(plantedFinding).toBeDefined();
    expect(plantedFinding!.why).toContain("in chapter 10");
    expect(plantedFinding!.where.line).toBe(chapters.find((c) => c.chapter === 40)!.body.split("\n").length);
    // A phrase Austen herself repeats across chapters (4 times) is found too.
    expect(findings.some((f) => /^the rest of the evening$/i.test(f.quote))).toBe(true);
  });
});
