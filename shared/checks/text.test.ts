import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { excerpt, isSentenceStart, LineIndex, listNumbers, paragraphBreaks, quotedSpans, sentenceAt, spanAt, tokenize, wordKey } from "./text";

describe("LineIndex", () => {
  it.each([
    ["first line", "abc\ndef", 0, 1],
    ["end of the first line", "abc\ndef", 3, 1],
    ["start of the second", "abc\ndef", 4, 2],
    ["CRLF counts one line per \\n", "a\r\nb\r\nc", 6, 3],
    ["after a blank line", "a\n\nb", 3, 3],
    ["empty text", "", 0, 1],
  ])("%s", (_name, text, offset, line) => {
    expect(new LineIndex(text).lineAt(offset)).toBe(line);
  });

  it("agrees with counting line breaks (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "\n", " ", "\r") }), fc.nat(), (text, n) => {
        const offset = text.length === 0 ? 0 : n % text.length;
        return new LineIndex(text).lineAt(offset) === text.slice(0, offset).split("\n").length;
      }),
    );
  });
});

describe("tokenize", () => {
  it.each([
    ["apostrophes stay inside words", "Don’t you know it's Mr. Darcy’s?", ["Don’t", "you", "know", "it's", "Mr", "Darcy’s"]],
    ["hyphens and dashes separate", "a well-known man—yes", ["a", "well", "known", "man", "yes"]],
    ["Gutenberg italics", "_that_ is all", ["that", "is", "all"]],
    ["accents and Cyrillic", "naïve café, Все семьи", ["naïve", "café", "Все", "семьи"]],
    ["digits", "In 1813 there were 3", ["In", "1813", "there", "were", "3"]],
  ])("%s", (_name, text, words) => {
    const tokens = tokenize(text);
    expect(tokens.map((t) => t.text)).toEqual(words);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
  });

  it("splits Japanese with Intl.Segmenter, keeping offsets into the whole text", () => {
    const text = "First line\n日本語の文章です";
    const tokens = tokenize(text);
    expect(tokens.slice(0, 2).map((t) => t.text)).toEqual(["First", "line"]);
    expect(tokens.length).toBeGreaterThan(3);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
  });

  it("folds case and apostrophes for comparison", () => {
    expect(wordKey("Don’t")).toBe("don't");
  });
});

describe("excerpt", () => {
  const text = "The first line is here.\nA much longer second line where the weight of the world sits in the middle of it all.\nThird.";

  it("cuts at word boundaries within the line and stays a substring", () => {
    const start = text.indexOf("the weight of");
    const quote = excerpt(text, start, start + "the weight of".length, 20);
    expect(text.includes(quote)).toBe(true);
    expect(quote).toContain("the weight of");
    expect(quote).not.toContain("\n");
    expect(quote.startsWith(" ")).toBe(false);
    expect(quote).toBe("second line where the weight of the world sits in");
  });

  it("is always a substring holding the passage (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", " ", "\n", ".", "’") }), fc.nat(), fc.nat(5), fc.nat(50), (t, a, len, context) => {
        if (t.length === 0) return true;
        const start = a % t.length;
        const end = Math.min(t.length, start + len + 1);
        const quote = excerpt(t, start, end, context);
        return t.includes(quote) && (t.slice(start, end).trim() === "" || quote.includes(t.slice(start, end).trim()));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("sentences", () => {
  it.each([
    ["plain", "One. Two is here. Three.", "Two", "Two is here."],
    ["abbreviations do not end a sentence", "He left. Then Mr. Darcy said so. Fine.", "Darcy", "Then Mr. Darcy said so."],
    ["initials do not either", "It was J. R. Hartley who came. Yes.", "Hartley", "It was J. R. Hartley who came."],
    ["dialogue with attribution is one sentence", "She waited. “Go!” cried Mara. Then silence.", "Mara", "“Go!” cried Mara."],
    ["a paragraph break ends a sentence", "No full stop here\n\nMara came in", "Mara", "Mara came in"],
    ["a soft line wrap does not", "Then Mara\nwalked in. Next.", "walked", "Then Mara\nwalked in."],
  ])("%s", (_name, text, word, sentence) => {
    const { start, end } = sentenceAt(text, text.indexOf(word));
    expect(text.slice(start, end)).toBe(sentence);
  });

  it.each([
    ["start of text", "Jon went", "Jon", true],
    ["after a full stop", "He left. Jon went", "Jon", true],
    ["after an opening quote at a paragraph start", "x\n\n“Join us,” she said", "Join", true],
    ["after a closing quote and full stop", "He left.” Jon went", "Jon", true],
    ["mid-sentence", "and then Jon went", "Jon", false],
    ["after Mr.", "He saw Mr. Jon", "Jon", false],
    ["after a soft wrap mid-sentence", "and then\nJon went", "Jon", false],
  ])("sentence start: %s", (_name, text, word, expected) => {
    expect(isSentenceStart(text, text.indexOf(word))).toBe(expected);
  });
});

describe("quotedSpans", () => {
  const inside = (text: string, word: string): boolean => spanAt(quotedSpans(text), text.indexOf(word)) >= 0;

  it.each([
    ["curly double quotes", "“Hello,” said Mara.", "Hello", true],
    ["outside them", "“Hello,” said Mara.", "Mara", false],
    ["straight double quotes", 'He said "come here" and left.', "come", true],
    ["after straight quotes close", 'He said "come here" and left.', "left", false],
    ["British single quotes", "‘Go home,’ said Tom’s wife.", "home", true],
    ["apostrophes are not quotes", "Tom’s wife didn’t go.", "wife", false],
    ["speech running over a paragraph break", "“First part\n\n“Second part,” she said.", "First", true],
    ["text after an unclosed paragraph", "“First part\n\nNarration here.", "Narration", false],
  ])("%s", (_name, text, word, expected) => {
    expect(inside(text, word)).toBe(expected);
  });
});

describe("small helpers", () => {
  it("finds paragraph breaks, blank lines with spaces included", () => {
    expect(paragraphBreaks("a\n\nb\n \t\r\nc\nd")).toEqual([1, 4]);
  });

  it("lists numbers as prose", () => {
    expect(listNumbers([3])).toBe("3");
    expect(listNumbers([3, 5])).toBe("3 and 5");
    expect(listNumbers([3, 5, 9])).toBe("3, 5 and 9");
  });
});
