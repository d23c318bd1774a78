import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WordCounter, countWords, readableText } from "./words";

const segmenterCount = (text: string, language = "en"): number =>
  [...new Intl.Segmenter(language, { granularity: "word" }).segment(text)].filter((s) => s.isWordLike).length;

describe("WordCounter", () => {
  it.each([
    ["plain English", "It is a truth universally acknowledged.", 6],
    ["contractions and curly apostrophes", "Don’t you know it's Mr. Darcy’s?", 6],
    ["numbers with separators", "In 1,813 there were 3.14 of them.", 7],
    ["hyphenated words count as parts", "a state-of-the-art ballroom", 6],
    ["em dashes separate", "yes—no—perhaps", 3],
    ["accented Latin", "naïve café façade", 3],
    ["Cyrillic", "Все счастливые семьи похожи друг на друга", 7],
    ["Greek", "Ἐν ἀρχῇ ἦν ὁ λόγος", 5],
    ["Japanese is segmented by dictionary", "日本語の文章です", 4],
    ["Chinese", "我爱北京天安门", segmenterCount("我爱北京天安门", "zh")],
    ["Gutenberg underscores stay one word", "_Pride and Prejudice_", 3],
    ["empty", "", 0],
    ["only punctuation", "… — “ ” * * *", 0],
  ])("%s", (_name, text, expected) => {
    expect(new WordCounter("en").countText(text)).toBe(expected);
  });

  it("agrees with Intl.Segmenter on random Latin-script text (the fast path)", () => {
    // An alphabet weighted towards the characters the fast path classifies, including every joiner.
    const alphabet = [..."aZé9_.,;:'’‘·\u00ad -—“”!?\n\tßµ×0", "Ω", "я", "日"];
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(text, (t) => new WordCounter("en").countText(t) === segmenterCount(t)),
      { numRuns: 3000 },
    );
  });

  it("agrees with Intl.Segmenter on arbitrary Unicode strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (t) => new WordCounter("en").countText(t) === segmenterCount(t)),
      { numRuns: 1000 },
    );
  });
});

describe("readableText / countMarkdown", () => {
  it.each([
    ["frontmatter is not words", "---\ntitle: Many words in a title\n---\nTwo words", 2],
    ["Obsidian comments are not words", "One %% hidden\nnotes here %% two", 2],
    ["HTML comments are not words", "One <!-- secret --> two", 2],
    ["wiki link shows its alias", "Met [[Characters/Elizabeth Bennet|Lizzy]] today", 3],
    ["wiki link without alias shows the note name", "Met [[Characters/Elizabeth]] today", 3],
    ["heading links show the note name", "See [[Longbourn#The library]] now", 3],
    ["embeds are not words", "Before ![[map of Hertfordshire.png]] after", 2],
    ["Markdown links show their text", "Read [the letter](https://example.com/a-long-url) twice", 4],
    ["footnote markers are not words", "A claim[^1].\n\n[^1]: Source text", 4],
    ["Markdown syntax is not words", "# Heading\n\n> *quoted* **bold** text\n\n- item", 5],
    ["a BOM is not a word", "\uFEFFHello world", 2],
    ["CRLF frontmatter", "---\r\ntitle: x y z\r\n---\r\nOne two\r\n", 2],
  ])("%s", (_name, markdown, expected) => {
    expect(countWords(markdown)).toBe(expected);
  });

  it("leaves plain prose unchanged (no copies on the hot path)", () => {
    const prose = "It is a truth universally acknowledged, that a single man.";
    expect(readableText(prose)).toBe(prose);
  });
});
