import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  parseChapterHeading,
  parseMarkdownHeading,
  parseMarkdownHeadingText,
  romanValue,
  splitChapters,
  toSourceLines,
  type ChapterSplit,
} from "./chapters";

describe("parseChapterHeading", () => {
  it.each([
    ["CHAPTER IV.", 4, ""],
    ["Chapter 12", 12, ""],
    ["CHAPTER 1. Loomings.", 1, "Loomings"],
    ["Chapter XLVI.", 46, ""],
    ["CHAPTER XIII", 13, ""],
    ["chapter xiii", 13, ""],
    ["Chapter Twelve", 12, ""],
    ["Chapter One", 1, ""],
    ["CHAPTER TWENTY", 20, ""],
    ["Chapter Twenty-One: The Ball", 21, "The Ball"],
    ["Chapter Thirty Two", 32, ""],
    ["Chapter Seventeen.", 17, ""],
    ["Chapter 3: The Storm", 3, "The Storm"],
    ["Chapter 3 — The Storm", 3, "The Storm"],
    ["Chapter 3 - The Storm", 3, "The Storm"],
    ["CHAPTER II.—THE ARRIVAL", 2, "THE ARRIVAL"],
    ["   Chapter LXI.   ", 61, ""],
    ["Chapter 9: Wait...", 9, "Wait..."],
    ["Chapter\u00a07", 7, ""],
  ])("%j → chapter %i %j", (line, number, title) => {
    expect(parseChapterHeading(line)).toEqual({ number, title });
  });

  it.each([
    ["Chapter one was the hardest to write, she said."],
    ["Chapter 12 of the act says otherwise."],
    ["Chapters 1 and 2"],
    ["Chapter"],
    ["Chapter and verse"],
    ["Chapter I think was best"],
    ["Chapter 3x"],
    ["Chapter12"],
    ["Chapter IIII"],
    ["Chapter dim"],
    ["In chapter 3 we meet her."],
    ["Heading to Chapter I.                                                  1"],
    [`Chapter 3: ${"a very long sentence that goes on ".repeat(4)}`],
  ])("%j is not a heading", (line) => {
    expect(parseChapterHeading(line)).toBeNull();
  });

  it("accepts a bare title only when asked (inside a Markdown heading)", () => {
    expect(parseChapterHeading("Chapter 12 The Storm")).toBeNull();
    expect(parseChapterHeading("Chapter 12 The Storm", true)).toEqual({ number: 12, title: "The Storm" });
  });
});

describe("roman numerals", () => {
  it.each([
    ["i", 1], ["IV", 4], ["ix", 9], ["XIII", 13], ["XLVI", 46], ["LXI", 61], ["xcix", 99], ["MCMLXXXIV", 1984],
  ])("%s = %i", (numeral, value) => expect(romanValue(numeral)).toBe(value));
  it.each(["IIII", "VV", "IC", "dim", "mixed", ""])("%j is not canonical", (numeral) => expect(romanValue(numeral)).toBeNull());
});

describe("Markdown headings", () => {
  it.each([
    ["# Chapter 3: The Storm", 1, "Chapter 3: The Storm"],
    ["## 4 — Title ##", 2, "4 — Title"],
    ["###   Spaced", 3, "Spaced"],
    ["#", 1, ""],
    ["# C#", 1, "C#"],
  ])("%j → level %i %j", (line, level, text) => {
    expect(parseMarkdownHeading(line)).toEqual({ level, text });
  });
  it.each(["#hashtag", "####### seven", "    # indented code"])("%j is not a heading", (line) => {
    expect(parseMarkdownHeading(line)).toBeNull();
  });

  it.each([
    ["Chapter 3: The Storm", 3, "The Storm"],
    ["Chapter 12 The Storm", 12, "The Storm"],
    ["4 — Title", 4, "Title"],
    ["IV. The Return", 4, "The Return"],
    ["7", 7, ""],
    ["The Storm", null, "The Storm"],
    ["1 Corinthians", null, "1 Corinthians"],
  ])("heading text %j → %j %j", (text, number, title) => {
    expect(parseMarkdownHeadingText(text)).toEqual({ number, title });
  });
});

function split(text: string, markdown = false): ChapterSplit {
  return splitChapters(toSourceLines(text), { markdown });
}

const summary = (result: ChapterSplit) => result.chapters.map((c) => [c.number, c.title, c.lines.map((l) => l.text).join("|").trim()]);

describe("splitChapters", () => {
  it("splits plain text at standalone headings and keeps front matter out", () => {
    const result = split("PREFACE\n\nSome preface.\n\nCHAPTER I.\n\nFirst text.\n\nCHAPTER II.\n\nSecond text.\n");
    expect(summary(result)).toEqual([
      [1, "", "|First text.|"],
      [2, "", "|Second text.|"],
    ]);
    expect(result.frontMatter.map((l) => l.text)).toEqual(["PREFACE", "", "Some preface.", ""]);
    expect(result.chapters[1]!.headingLine).toBe(9);
    expect(result.warnings).toEqual([]);
  });

  it("takes a title from the line under a bare heading", () => {
    const result = split("CHAPTER I.\nDown the Rabbit-Hole\n\nAlice was beginning.\n");
    expect(summary(result)).toEqual([[1, "Down the Rabbit-Hole", "|Alice was beginning.|"]]);
  });

  it("does not take a sentence mentioning a chapter mid-paragraph for a heading", () => {
    const text = [
      "Chapter 1",
      "",
      "She had read the book up to the end of",
      "Chapter 3. Then she slept.",
      "",
      "Chapter one was the hardest to write, she said.",
      "",
      "Chapter 4",
      "was what she called the last part of her",
      "long day.",
      "",
      "Chapter 2",
      "",
      "More.",
    ].join("\n");
    expect(split(text).chapters.map((c) => c.number)).toEqual([1, 2]);
  });

  it("leaves out a table of contents at the start: its entries have no text under them", () => {
    const text = [
      "CONTENTS",
      "",
      "Chapter 1. Loomings",
      "",
      "Chapter 2. The Carpet-Bag",
      "",
      "Chapter 3. The Spouter-Inn",
      "",
      "",
      "Chapter 1. Loomings",
      "",
      "Call me Ishmael.",
      "",
      "Chapter 2. The Carpet-Bag",
      "",
      "I stuffed a shirt or two.",
      "",
      "Chapter 3. The Spouter-Inn",
      "",
      "Entering that gable-ended Spouter-Inn.",
    ].join("\n");
    const result = split(text);
    expect(summary(result)).toEqual([
      [1, "Loomings", "|Call me Ishmael.|"],
      [2, "The Carpet-Bag", "|I stuffed a shirt or two.|"],
      [3, "The Spouter-Inn", "|Entering that gable-ended Spouter-Inn."],
    ]);
    expect(result.warnings).toEqual([{ line: 3, message: "3 chapter headings up to line 7 look like a table of contents and were left out" }]);
  });

  it("leaves out a contents list whose last entry runs into the front matter", () => {
    const text = "Chapter 1. One\n\nChapter 2. Two\n\nA note on the text.\n\nChapter 1. One\n\nText one.\n\nChapter 2. Two\n\nText two.";
    expect(summary(split(text))).toEqual([
      [1, "One", "|Text one.|"],
      [2, "Two", "|Text two."],
    ]);
  });

  it("ignores a contents list without blank lines (its entries do not stand alone)", () => {
    const text = "CONTENTS\nCHAPTER I. Down the Rabbit-Hole\nCHAPTER II. The Pool of Tears\n\nCHAPTER I. Down the Rabbit-Hole\n\nAlice.\n\nCHAPTER II. The Pool of Tears\n\nCuriouser.";
    expect(split(text).chapters.map((c) => [c.number, c.title])).toEqual([[1, "Down the Rabbit-Hole"], [2, "The Pool of Tears"]]);
  });

  it("reports skipped, repeated and out-of-order numbers without renumbering", () => {
    const text = "Chapter 1\n\na\n\nChapter 2\n\nb\n\nChapter 5\n\nc\n\nChapter 5\n\nd\n\nChapter 4\n\ne\n\nChapter 7\n\nf";
    const result = split(text);
    expect(result.chapters.map((c) => c.number)).toEqual([1, 2, 5, 5, 4, 7]);
    expect(result.warnings).toEqual([
      { line: 9, message: "chapter 5 follows chapter 2: chapters 3–4 are missing" },
      { line: 13, message: "chapter 5 appears again (first at line 9)" },
      { line: 17, message: "chapter 4 comes after chapter 5 (out of order)" },
      { line: 21, message: "chapter 7 follows chapter 4: chapters 5–6 are missing" },
    ]);
  });

  it("warns when the first chapter is not 1 and when a chapter is empty", () => {
    const result = split("Chapter 2\n\ntext\n\nChapter 3\n\nChapter 4\n\nmore");
    expect(result.chapters.map((c) => c.number)).toEqual([2, 3, 4]);
    expect(result.warnings).toEqual([
      { line: 1, message: "the first chapter is 2: chapter 1 is missing" },
      { line: 5, message: "chapter 3 has no text under its heading" },
    ]);
  });

  it("finds numbered Markdown headings in any file", () => {
    const text = "# My Novel\n\nBy me.\n\n# Chapter 3: The Storm\nRain.\n\n## 4 — Calm\nSun.";
    expect(summary(split(text, true))).toEqual([
      [3, "The Storm", "Rain.|"],
      [4, "Calm", "Sun."],
    ]);
    expect(summary(split(text, false))).toEqual([
      [3, "The Storm", "Rain.|"],
      [4, "Calm", "Sun."],
    ]);
  });

  it("uses the repeated heading level of a .md file as chapters when no heading is numbered", () => {
    const text = "# The Book\n\nIntro.\n\n## The Storm\n\nRain.\n\n### A scene\n\nWet.\n\n## The Calm\n\nSun.";
    expect(summary(split(text, true))).toEqual([
      [1, "The Storm", "|Rain.||### A scene||Wet.|"],
      [2, "The Calm", "|Sun."],
    ]);
    // The same text as .txt: # lines are just text, so there are no chapters.
    expect(split(text, false).chapters).toEqual([]);
  });

  it("keeps unnumbered subheadings inside numbered chapters", () => {
    const text = "# Chapter 1\n\n## Morning\n\nA.\n\n# Chapter 2\n\nB.";
    expect(summary(split(text, true)).map(([n]) => n)).toEqual([1, 2]);
  });

  it("skips headings inside fenced code in Markdown", () => {
    const text = "# Chapter 1\n\n```\n# Chapter 2\n```\n\n# Chapter 2\n\nB.";
    const result = split(text, true);
    expect(result.chapters.map((c) => [c.number, c.headingLine])).toEqual([[1, 1], [2, 7]]);
  });

  it("returns no chapters (all front matter) when there are no headings", () => {
    const result = split("Just a story.\n\nThe end.");
    expect(result.chapters).toEqual([]);
    expect(result.frontMatter).toHaveLength(3);
  });
});

describe("splitChapters properties", () => {
  /** Lines that real manuscripts mix: headings of every kind, prose about chapters, blanks, code fences. */
  const line = fc.oneof(
    fc.constantFrom(
      "", "", "", "CHAPTER I.", "Chapter 2", "CHAPTER XIII", "Chapter Twelve", "Chapter 3: The Storm", "# Chapter 4",
      "## 5 — Title", "## A scene", "# Book", "Chapter one was hard.", "It was late.", "Down the Rabbit-Hole",
      "[Illustration]", "```", "Contents", "Chapter 1. Loomings",
    ),
    fc.string({ maxLength: 30 }),
  );

  it("puts every line in the front matter, a heading or exactly one chapter, in order", () => {
    fc.assert(fc.property(fc.array(line, { maxLength: 60 }), fc.boolean(), (texts, markdown) => {
      const lines = toSourceLines(texts.join("\n"));
      const result = splitChapters(lines, { markdown });
      const covered = result.frontMatter.map((l) => l.line);
      const titled = new Set<number>();
      for (const chapter of result.chapters) {
        covered.push(chapter.headingLine, ...chapter.lines.map((l) => l.line));
        if (chapter.title !== "") titled.add(chapter.headingLine);
      }
      for (let i = 1; i < covered.length; i++) expect(covered[i]).toBeGreaterThan(covered[i - 1]!);
      // The only lines in no part: a title sitting on the line under its heading.
      const inPart = new Set(covered);
      const missing = lines.map((l) => l.line).filter((n) => !inPart.has(n));
      for (const n of missing) expect(titled.has(n - 1)).toBe(true);
      expect(covered.every((n) => n >= 1 && n <= lines.length)).toBe(true);
    }), { numRuns: 1000 });
  });
});
