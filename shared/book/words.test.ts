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

describe("WordCounter.countUtf8", () => {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const valid = (bytes: Uint8Array): boolean => {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      return true;
    } catch {
      return false;
    }
  };

  it("counts encoded text exactly as countText counts the text (property)", () => {
    const alphabet = [..."aZé9_.,;:'’‘·\u00ad -—“”!?\n\r\tßµ×0", "Ω", "я", "日", "😀", "\uFFFD"];
    const text = fc.oneof(
      fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }).map((chars) => chars.join("")),
      fc.string({ unit: "grapheme", maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, fc.nat(3), (t, skip) => {
        const counter = new WordCounter();
        const bytes = encoder.encode("x".repeat(skip) + t);
        expect(counter.countUtf8(bytes, skip)).toEqual({ words: counter.countText(t), invalidAt: -1, markup: false });
      }),
      { numRuns: 3000 },
    );
  });

  it("counts long texts exactly as countText does (property)", () => {
    const alphabet = [..."aZé9_.,;:'’‘·\u00ad -—“”!?\r\tßµ×0", "Ω", "я", "日", "😀", "\n"];
    const line = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 300 }).map((chars) => chars.join(""));
    const text = fc.array(line, { minLength: 1, maxLength: 60 }).map((lines) => {
      let joined = lines.join("\n");
      while (joined.length < 9000) joined += `\n${joined}`;
      return joined;
    });
    fc.assert(
      fc.property(text, (t) => {
        const counter = new WordCounter();
        expect(counter.countUtf8(encoder.encode(t))).toEqual({ words: counter.countText(t), invalidAt: -1, markup: false });
      }),
      { numRuns: 300 },
    );
  });

  it("finds invalid bytes and markup anywhere in a long text", () => {
    const half = "Plain words here. ".repeat(400);
    for (const [before, after] of [["Caf\u00e9", ""], ["", "Caf\u00e9"]]) {
      const bytes = new Uint8Array([...encoder.encode(`${half}\n${before}`), ...(before ? [0xff] : []), ...encoder.encode(`\n${half}\n${after}`), ...(after ? [0xff] : [])]);
      const result = new WordCounter().countUtf8(bytes);
      expect(result.invalidAt).toBeGreaterThan(0);
      expect(result.words).toBe(new WordCounter().countText(decoder.decode(bytes)));
    }
    expect(new WordCounter().countUtf8(encoder.encode(`${half}\n${half}\n[[Link]]`), 0, { stopAtMarkup: true }).markup).toBe(true);
    expect(new WordCounter().countUtf8(encoder.encode(`[[Link]]\n${half}\n${half}`), 0, { stopAtMarkup: true }).markup).toBe(true);
  });

  it("counts invalid UTF-8 as the decoder shows it, and says where it is (property)", () => {
    const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x20, 0x0a, 0x61, 0xe2, 0x80, 0x99, 0xc3, 0xa9)), { maxLength: 40 });
    fc.assert(
      fc.property(bytes, (list) => {
        const data = new Uint8Array(list);
        const counter = new WordCounter();
        const result = counter.countUtf8(data);
        expect(result.words).toBe(counter.countText(decoder.decode(data)));
        expect(result.invalidAt === -1).toBe(valid(data));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([["%% comment %%"], ["<!-- c -->"], ["[[Link]]"], ["<b>"]])("stops at markup (%s) when asked", (markup) => {
    const bytes = encoder.encode(`One two ${markup} three`);
    expect(new WordCounter().countUtf8(bytes, 0, { stopAtMarkup: true })).toMatchObject({ markup: true });
    expect(new WordCounter().countUtf8(bytes)).toMatchObject({ markup: false });
  });

  it("points at the line of a Latin-1 byte", () => {
    const data = new Uint8Array([...encoder.encode("Fine line.\nCaf"), 0xe9, ...encoder.encode(" noir.\nLast line.")]);
    const { words, invalidAt } = new WordCounter().countUtf8(data);
    expect(words).toBe(6); // "Caf", "�" (not a word), "noir"
    expect(invalidAt).toBeGreaterThanOrEqual(11);
    expect(invalidAt).toBeLessThanOrEqual(14);
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
