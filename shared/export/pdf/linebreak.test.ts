import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHyphenator } from "./hyphenate";
import { breakParagraph, type FontKey, type Line, type Measurer, type TextRun } from "./linebreak";

/** Every character one unit wide, spaces included, so breaks can be worked out by hand. */
const mono: Measurer = { width: (text) => [...text].length };

/** Different per-character widths per font, so font changes move the pieces. */
const FONT_SCALE: Record<FontKey, number> = { regular: 1, italic: 0.9, bold: 1.1, boldItalic: 1.05 };
const scaled: Measurer = { width: (text, font) => [...text].length * FONT_SCALE[font] };

const plain = (text: string): TextRun[] => [{ text, font: "regular" }];
const round = (n: number) => Math.round(n * 1e9) / 1e9;
const texts = (line: Line) => line.words.map((w) => w.text);
const lineTexts = (lines: Line[]) => lines.map((l) => texts(l).join(" "));
const end = (line: Line) => {
  const last = line.words[line.words.length - 1];
  return last ? last.x + last.width : 0;
};
/** Pieces drawn edge to edge are one word; anything else had a space between them. */
const touching = (a: { x: number; width: number }, b: { x: number }) => Math.abs(b.x - (a.x + a.width)) < 1e-9;

/**
 * The paragraph's text as the lines give it back: spaces between words, nothing between the pieces of
 * one word, and a syllable break's added "-" dropped.
 */
function readBack(lines: Line[]): string {
  let out = "";
  let continuesWord = false;
  let started = false;
  for (const line of lines) {
    line.words.forEach((word, i) => {
      let text = word.text;
      if (line.hyphenated && i === line.words.length - 1) {
        expect(text.endsWith("-")).toBe(true);
        text = text.slice(0, -1);
      }
      const previous = line.words[i - 1];
      const joined = previous ? touching(previous, word) : continuesWord;
      out += (started && !joined ? " " : "") + text;
      started = true;
    });
    continuesWord = line.hyphenated;
  }
  return out;
}

/** A break after an explicit dash puts a line end where the text has none; both sides read it alike. */
const closeDashes = (text: string) => text.replace(/([-‐–—]) /g, "$1");
const wordsOf = (text: string) => text.split(/\s+/).filter((w) => w !== "");

/** The adjustment ratio of a monospace line of `words` set in `width` (natural spaces 1, stretch ½, shrink ⅓). */
function monoRatio(words: string[], width: number): number {
  const gaps = words.length - 1;
  const slack = width - words.join("").length - gaps;
  return slack >= 0 ? slack / (gaps / 2) : slack / (gaps / 3);
}

interface PlainLine { texts: string[]; hyphenated: boolean }
const TOLERANCE = 2;

/** The adjustment ratio of a monospace line, as the breaker judges it (a lone word by one space's stretch). */
function ratioOf(line: PlainLine, width: number, last: boolean): number {
  const gaps = line.texts.length - 1;
  const natural = line.texts.join("").length + gaps;
  if (natural < width) return last ? 0 : (width - natural) / (gaps > 0 ? gaps / 2 : 0.5);
  if (natural > width) return gaps > 0 ? (width - natural) / (gaps / 3) : -Infinity;
  return 0;
}

/**
 * Knuth and Plass's demerits of a whole breaking, written out from the paper and TeX's defaults: line
 * penalty 10, hyphen penalty 50, 3000 for consecutive hyphens, 5000 for a hyphen before the last line,
 * 10000 between lines whose fitness classes are not neighbours. Null when a line is outside the tolerance.
 */
function demeritsOf(lines: PlainLine[], width: number): number | null {
  let total = 0;
  let fitness = 2;
  let flagged = false;
  for (const [i, line] of lines.entries()) {
    const last = i === lines.length - 1;
    const r = ratioOf(line, width, last);
    if (r < -1 - 1e-9 || r > TOLERANCE + 1e-9) return null;
    let d = (10 + 100 * Math.abs(r) ** 3) ** 2 + (line.hyphenated ? 50 ** 2 : 0);
    if (line.hyphenated && flagged) d += 3000;
    if (last && flagged) d += 5000;
    const cls = r < -0.5 ? 3 : r <= 0.5 ? 2 : r <= 1 ? 1 : 0;
    if (Math.abs(cls - fitness) > 1) d += 10000;
    total += d;
    fitness = cls;
    flagged = line.hyphenated;
  }
  return total;
}

/** Every way of breaking words (given as syllables) into lines, cut short where a line leaves the tolerance. */
function* allBreakings(words: string[][], width: number, k = 0, j = 0, done: PlainLine[] = []): Generator<PlainLine[]> {
  const line: string[] = [];
  let partial = "";
  const fits = (candidate: PlainLine) => {
    const r = ratioOf(candidate, width, false);
    return r >= -1 - 1e-9 && r <= TOLERANCE + 1e-9;
  };
  for (let w = k, s = j; w < words.length; ) {
    const syllables = words[w] ?? [];
    partial += syllables[s] ?? "";
    if (s < syllables.length - 1) {
      const candidate = { texts: [...line, partial + "-"], hyphenated: true };
      if (fits(candidate)) yield* allBreakings(words, width, w, s + 1, [...done, candidate]);
      s++;
    } else {
      line.push(partial);
      partial = "";
      const candidate = { texts: [...line], hyphenated: false };
      if (w === words.length - 1) {
        yield [...done, candidate];
        return;
      }
      if (fits(candidate)) yield* allBreakings(words, width, w + 1, 0, [...done, candidate]);
      w++;
      s = 0;
    }
    // Longer lines only get wider.
    const gaps = line.length + (partial === "" ? -1 : 0);
    if (line.join("").length + partial.length + gaps - gaps / 3 > width + 1) return;
  }
}

describe("breakParagraph", () => {
  it("sets a paragraph justified, every line but the last ending exactly at the measure", () => {
    const lines = breakParagraph(plain("aa b c d eeee f ggggg hhhhhh iiiii"), mono, { lineWidth: 14 });
    expect(lineTexts(lines)).toEqual(["aa b c d eeee", "f ggggg hhhhhh", "iiiii"]);
    // Line 1: 9 letters and 4 spaces make 13; the missing unit is shared by the 4 spaces (stretch ½ each).
    expect(lines[0]?.words.map((w) => w.x)).toEqual([0, 3.25, 5.5, 7.75, 10]);
    expect(end(lines[0]!)).toBeCloseTo(14, 9);
    expect(lines[1]?.words.map((w) => w.x)).toEqual([0, 2, 8]);
    expect(lines[2]).toEqual({ words: [{ text: "iiiii", font: "regular", x: 0, width: 5 }], width: 5, hyphenated: false, overfull: false });
    for (const line of lines) expect(line.overfull).toBe(false);
  });

  it("beats first fit on a paragraph where first fit leaves a loose line", () => {
    const words = "aa b c d eeee f ggggg hhhhhh iiiii".split(" ");
    // First fit at maximum shrink: "aa b c d eeee f" is 15 natural but 13⅓ shrunk, so it fits; "ggggg"
    // cannot join it. Then "ggggg hhhhhh" is 12 wide on a 14 measure with one space: ratio 4.
    const firstFit = [["aa", "b", "c", "d", "eeee", "f"], ["ggggg", "hhhhhh"], ["iiiii"]];
    expect(firstFit.flat()).toEqual(words);
    const greedyWorst = Math.max(...firstFit.slice(0, -1).map((l) => monoRatio(l, 14)));
    expect(greedyWorst).toBe(4);

    const lines = breakParagraph(plain(words.join(" ")), mono, { lineWidth: 14 });
    const worst = Math.max(...lines.slice(0, -1).map((l) => monoRatio(texts(l), 14)));
    expect(worst).toBe(0.5);
    expect(worst).toBeLessThan(greedyWorst);
  });

  it("finds the breaks of least total demerits, as an exhaustive search over all breakings does", () => {
    // Words of syllables joined by soft hyphens, so every possible break is known to the search.
    const paragraph = fc.record({
      words: fc.array(fc.array(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 10 }),
      lineWidth: fc.integer({ min: 6, max: 20 }),
    });
    let compared = 0;
    fc.assert(
      fc.property(paragraph, ({ words, lineWidth }) => {
        let best = Infinity;
        for (const breaking of allBreakings(words, lineWidth)) best = Math.min(best, demeritsOf(breaking, lineWidth) ?? Infinity);
        // Without a breaking within the tolerance the breaker retries looser; that is not total fit.
        if (best === Infinity) return;
        const lines = breakParagraph(plain(words.map((w) => w.join("\u00AD")).join(" ")), mono, { lineWidth });
        const found = demeritsOf(lines.map((l) => ({ texts: texts(l), hyphenated: l.hyphenated })), lineWidth);
        expect(found).not.toBeNull();
        expect((found ?? 0) / best).toBeCloseTo(1, 9);
        compared++;
      }),
      { numRuns: 400 },
    );
    expect(compared).toBeGreaterThan(100);
  });

  it("indents the first line and gives it that much less room", () => {
    const lines = breakParagraph(plain("aaa bbb ccc ddd eee fff ggg"), mono, { lineWidth: 11, firstLineIndent: 4 });
    // 7 units are left on line 1: "aaa bbb" exactly; the other lines take three words (11) each.
    expect(lineTexts(lines)).toEqual(["aaa bbb", "ccc ddd eee", "fff ggg"]);
    expect(lines[0]?.words.map((w) => w.x)).toEqual([4, 8]);
    expect(lines[0]?.width).toBe(11);
    expect(lines[1]?.words[0]?.x).toBe(0);
    expect(lines[2]?.words[0]?.x).toBe(0);
  });

  it("breaks the line at a newline and does not justify the line before it", () => {
    const lines = breakParagraph(plain("one two\nthree four five six seven"), mono, { lineWidth: 16, firstLineIndent: 2 });
    expect(lineTexts(lines)).toEqual(["one two", "three four five", "six seven"]);
    expect(lines[0]?.words.map((w) => w.x)).toEqual([2, 6]);
    expect(lines[0]?.width).toBe(9);
    // A forced break is a new line, not a new paragraph: no indent after it.
    expect(lines[1]?.words[0]?.x).toBe(0);
    expect(lines[1]?.width).toBeCloseTo(16, 9);
  });

  it("keeps an empty line between two newlines and ignores a trailing newline and spaces", () => {
    const lines = breakParagraph([{ text: "  first  \n\n", font: "regular" }, { text: "  second \n  ", font: "italic" }], mono, { lineWidth: 20 });
    expect(lines.map(texts)).toEqual([["first"], [], ["second"]]);
    expect(lines[1]).toEqual({ words: [], width: 0, hyphenated: false, overfull: false });
    expect(breakParagraph(plain(" \n  \t"), mono, { lineWidth: 20 })).toEqual([]);
    expect(breakParagraph([], mono, { lineWidth: 20 })).toEqual([]);
  });

  it("sets a word wider than the measure on an overfull line instead of failing", () => {
    const url = "https://example.com/a/very/long/path/to/somewhere";
    const lines = breakParagraph(plain(`see the page at ${url} for more on the subject`), mono, { lineWidth: 16 });
    const over = lines.filter((l) => l.overfull);
    expect(over.map(texts)).toEqual([[url]]);
    expect(over[0]?.width).toBe(url.length);
    expect(readBack(lines)).toBe(`see the page at ${url} for more on the subject`);
    for (const line of lines.filter((l) => !l.overfull)) expect(line.width).toBeLessThanOrEqual(16 + 1e-9);
    // The lines around it are still broken with care: both neighbours are set full.
    const at = lines.findIndex((l) => l.overfull);
    expect(end(lines[at - 1]!)).toBeCloseTo(16, 9);
  });

  it("sets a word in several pieces when its font changes inside it", () => {
    const runs: TextRun[] = [{ text: "the ", font: "regular" }, { text: "un", font: "italic" }, { text: "done deed", font: "regular" }];
    const [line] = breakParagraph(runs, scaled, { lineWidth: 40 });
    expect(line?.words.map((w) => ({ ...w, x: round(w.x), width: round(w.width) }))).toEqual([
      { text: "the", font: "regular", x: 0, width: 3 },
      { text: "un", font: "italic", x: 4, width: 1.8 },
      { text: "done", font: "regular", x: 5.8, width: 4 },
      { text: "deed", font: "regular", x: 10.8, width: 4 },
    ]);
    expect(readBack(breakParagraph(runs, scaled, { lineWidth: 40 }))).toBe("the undone deed");
  });

  it("hyphenates, adding a real hyphen-minus in the font of the syllable before it", () => {
    const en = createHyphenator("en");
    // "aaaaaaa hy-" is 11 exactly; without the hyphen the only choices are an overfull line or a lone word.
    const lines = breakParagraph([{ text: "aaaaaaa ", font: "regular" }, { text: "hy", font: "italic" }, { text: "phenation", font: "regular" }], mono, { lineWidth: 11, hyphenate: en });
    expect(lines.map(texts)).toEqual([["aaaaaaa", "hy-"], ["phenation"]]);
    expect(lines[0]?.hyphenated).toBe(true);
    expect(lines[0]?.words[1]).toEqual({ text: "hy-", font: "italic", x: 8, width: 3 });
    expect(lines[1]?.hyphenated).toBe(false);
    expect(readBack(lines)).toBe("aaaaaaa hyphenation");
  });

  it("hyphenates English text in a narrow measure and reads back every word", () => {
    const text = "The extraordinary hyphenation of particularly unbelievable constitutional arrangements surprised everybody.";
    const lines = breakParagraph(plain(text), mono, { lineWidth: 16, hyphenate: createHyphenator("en-US") });
    expect(lines.some((l) => l.hyphenated)).toBe(true);
    expect(lines.every((l) => !l.overfull)).toBe(true);
    expect(readBack(lines)).toBe(text);
    for (const line of lines.slice(0, -1)) expect(end(line)).toBeCloseTo(16, 9);
  });

  it("does not hyphenate without a hyphenator, nor a hyphen-less paragraph at all", () => {
    const lines = breakParagraph(plain("aaaaaaa hyphenation aaaa"), mono, { lineWidth: 11 });
    expect(lines.some((l) => l.hyphenated)).toBe(false);
    expect(lines.map(texts)).toEqual([["aaaaaaa"], ["hyphenation"], ["aaaa"]]);
  });

  it("breaks after an explicit hyphen or dash without adding one", () => {
    const lines = breakParagraph(plain("aaaa well-known bbbb"), mono, { lineWidth: 10 });
    expect(lines.map(texts)).toEqual([["aaaa", "well-"], ["known", "bbbb"]]);
    expect(lines[0]?.hyphenated).toBe(false);
    expect(readBack(lines)).toBe("aaaa well- known bbbb");
    // After the last dash of "--", never between the two.
    const dashes = breakParagraph(plain("aaa sect--fairly aaa yes—no"), mono, { lineWidth: 10 });
    expect(dashes.map(texts)).toEqual([["aaa", "sect--"], ["fairly", "aaa"], ["yes—no"]]);
    expect(breakParagraph(plain("aaaa yes—no"), mono, { lineWidth: 9 }).map(texts)).toEqual([["aaaa", "yes—"], ["no"]]);
    expect(breakParagraph(plain("aaaa 1990–1995"), mono, { lineWidth: 10 }).map(texts)).toEqual([["aaaa", "1990–"], ["1995"]]);
    // A leading dash is not a break: "-5" stays whole.
    expect(breakParagraph(plain("aaaa -55555"), mono, { lineWidth: 6 }).map(texts)).toEqual([["aaaa"], ["-55555"]]);
  });

  it("never breaks at a non-breaking space, though it stretches like any space", () => {
    expect(breakParagraph(plain("aaaa bbbb Mr. Darcy"), mono, { lineWidth: 13 }).map(texts)).toEqual([["aaaa", "bbbb", "Mr."], ["Darcy"]]);
    expect(breakParagraph(plain("aaaa bbbb Mr.\u00A0Darcy"), mono, { lineWidth: 13 }).map(texts)).toEqual([["aaaa", "bbbb"], ["Mr.", "Darcy"]]);
    const [first] = breakParagraph(plain("Mr.\u00A0Darcy bowed"), mono, { lineWidth: 10 });
    // "Mr. Darcy" is 9 wide; the one unit left goes into the non-breaking space.
    expect(first?.words.map((w) => w.x)).toEqual([0, 5]);
  });

  it("breaks at an author's soft hyphen, showing it only when it breaks", () => {
    const lines = breakParagraph(plain("aaaaaa Bing\u00ADley and the Bing\u00ADley"), mono, { lineWidth: 12 });
    expect(lines.map(texts)).toEqual([["aaaaaa", "Bing-"], ["ley", "and", "the"], ["Bingley"]]);
    expect(lines[0]?.hyphenated).toBe(true);
  });

  it("sets ragged-right lines with natural spaces and evens out their ends", () => {
    const text = "aaa bb cccc d eeeee ff ggg hhhh i jjjjj kk lll mmmm n ooooo";
    const lines = breakParagraph(plain(text), mono, { lineWidth: 16, justify: false });
    for (const line of lines) {
      expect(line.width).toBeLessThanOrEqual(16);
      line.words.slice(1).forEach((w, i) => expect(w.x - ((line.words[i]?.x ?? 0) + (line.words[i]?.width ?? 0))).toBe(1));
    }
    expect(readBack(lines)).toBe(text);
    const ends = lines.slice(0, -1).map((l) => l.width);
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThanOrEqual(4);
  });

  it("still sets every word, one line per forced break, when the measurer returns nonsense", () => {
    // NaN widths defeat every Knuth–Plass pass; the first-fit fallback is what is left.
    const broken: Measurer = { width: () => NaN };
    const lines = breakParagraph(plain("first line here\nsecond line"), broken, { lineWidth: 10 });
    expect(lines.map(texts)).toEqual([["first", "line", "here"], ["second", "line"]]);
  });

  it("never throws and loses no word, whatever the text, fonts and measure", () => {
    const word = fc.oneof(
      fc.constantFrom("hyphenation", "extraordinary", "well-known", "sect--fairly", "Elizabeth’s", "(possession),", "1990s", "“Netherfield,", "—", "yes—no", "a"),
      fc.stringMatching(/^[a-z]{1,22}$/),
      fc.stringMatching(/^[a-zA-Zé’.,;!?()\-—]{1,10}$/),
    );
    const separator = fc.constantFrom(" ", " ", " ", "  ", "\t", " \u00A0", "\u00A0", "\n", " \n ", "\r\n");
    const fonts = fc.constantFrom<FontKey>("regular", "italic", "bold", "boldItalic");
    const paragraph = fc.record({
      words: fc.array(fc.tuple(word, separator), { maxLength: 60 }),
      lead: fc.constantFrom("", " ", "\n"),
      cuts: fc.array(fc.tuple(fc.nat(), fonts), { maxLength: 8 }),
      lineWidth: fc.integer({ min: 3, max: 60 }),
      indent: fc.constantFrom(0, 0, 2, 3.5),
      justify: fc.boolean(),
      hyphenate: fc.boolean(),
    });
    const en = createHyphenator("en");
    fc.assert(
      fc.property(paragraph, (p) => {
        const text = p.lead + p.words.map(([w, s]) => w + s).join("");
        // Split the text into runs at random places, so fonts change inside words and inside spaces.
        const at = [...new Set(p.cuts.map(([c]) => c % (text.length + 1)))].sort((a, b) => a - b);
        const runs: TextRun[] = [];
        let from = 0;
        at.forEach((cut, i) => {
          runs.push({ text: text.slice(from, cut), font: p.cuts[i]?.[1] ?? "regular" });
          from = cut;
        });
        runs.push({ text: text.slice(from), font: "regular" });

        const lines = breakParagraph(runs, scaled, { lineWidth: p.lineWidth, firstLineIndent: p.indent, justify: p.justify, hyphenate: p.hyphenate ? en : null });
        expect(closeDashes(readBack(lines))).toBe(closeDashes(wordsOf(text).join(" ")));
        lines.forEach((line, i) => {
          if (!line.overfull) expect(line.width).toBeLessThanOrEqual(p.lineWidth + 1e-6);
          // An empty first line means the paragraph opened with a newline; the indent went with it.
          if (line.words[0]) expect(line.words[0].x).toBe(i === 0 ? p.indent : 0);
          line.words.slice(1).forEach((w, k) => expect(w.x).toBeGreaterThanOrEqual((line.words[k]?.x ?? 0) + (line.words[k]?.width ?? 0) - 1e-9));
        });
      }),
      { numRuns: 400 },
    );
  });

  it("ends every justified line but the last exactly at the measure", () => {
    const en = createHyphenator("en");
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 12, max: 50 }),
        fc.constantFrom(0, 1.5, 4),
        fc.boolean(),
        (words, lineWidth, indent, hyphenate) => {
          const lines = breakParagraph([{ text: words.join(" "), font: "italic" }], scaled, { lineWidth, firstLineIndent: indent, hyphenate: hyphenate ? en : null });
          expect(lines[0]?.words[0]?.x).toBe(indent);
          lines.slice(0, -1).forEach((line) => {
            const spaced = line.words.some((w, k) => k > 0 && !touching(line.words[k - 1]!, w));
            if (spaced && !line.overfull) expect(Math.abs(line.width - lineWidth)).toBeLessThanOrEqual(1e-6);
          });
          const last = lines[lines.length - 1]!;
          // The last line is never stretched (italic spaces are 0.9).
          last.words.slice(1).forEach((w, k) => {
            const before = last.words[k]!;
            if (!touching(before, w)) expect(w.x - (before.x + before.width)).toBeLessThanOrEqual(0.9 + 1e-9);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("breaks a 10,000-word paragraph", () => {
    const vocabulary = "the of and to a in that it was her his he be not as had with for you which she have this at but by on all".split(" ");
    const long = "constitutional extraordinary unaccountable acknowledgment neighbourhood circumstances".split(" ");
    const words = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 3 ? long[i % long.length] : vocabulary[(i * 31) % vocabulary.length]) ?? "x");
    const text = words.join(" ");
    const lines = breakParagraph(plain(text), mono, { lineWidth: 60, firstLineIndent: 3, hyphenate: createHyphenator("en-GB") });
    expect(readBack(lines)).toBe(text);
    expect(lines.every((l) => !l.overfull && l.width <= 60 + 1e-9)).toBe(true);
    expect(lines.slice(0, -1).every((l) => Math.abs(l.width - 60) < 1e-6)).toBe(true);
  });

  it("breaks the first chapters of Pride and Prejudice with a proportional measurer", () => {
    const book = readFileSync(new URL("../../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url), "utf8");
    const text = book.slice(book.indexOf("It is a truth universally"), book.indexOf("CHAPTER VI."));
    const paragraphs = text
      .split(/\r?\n\s*\r?\n/)
      .map((p) => p.replace(/\s+/g, " ").trim())
      .filter((p) => p !== "" && !p.startsWith("[Illustration") && !p.startsWith("CHAPTER") && !p.startsWith("[_"));
    expect(paragraphs.length).toBeGreaterThan(100);

    // Rough Garamond-like advance widths in em, at 11 pt; italic is narrower, as real italics are.
    const em = (ch: string): number => {
      if (ch === " " || ch === "\u00A0") return 0.25;
      if ("iljt.,;:!’'‘|()".includes(ch)) return 0.28;
      if ("frs“”-".includes(ch)) return 0.38;
      if ("mwMW—".includes(ch)) return 0.82;
      if (ch >= "A" && ch <= "Z") return 0.68;
      return 0.5;
    };
    const widths = (text: string) => {
      let w = 0;
      for (const ch of text) w += em(ch);
      return w * 11;
    };
    const garamond: Measurer = { width: (text, font) => widths(text) * (font === "italic" ? 0.92 : font === "bold" ? 1.06 : 1) };
    const en = createHyphenator("en-GB");

    let lineCount = 0;
    let hyphenated = 0;
    for (const paragraph of paragraphs) {
      // Gutenberg marks italics with underscores.
      const runs: TextRun[] = paragraph.split("_").map((part, i) => ({ text: part, font: i % 2 === 1 ? "italic" : "regular" }));
      const lines = breakParagraph(runs, garamond, { lineWidth: 300, firstLineIndent: 14, hyphenate: en });
      expect(closeDashes(readBack(lines))).toBe(closeDashes(wordsOf(paragraph.replace(/_/g, "")).join(" ")));
      for (const line of lines) {
        if (!line.overfull) expect(line.width).toBeLessThanOrEqual(300 + 1e-6);
      }
      lines.slice(0, -1).forEach((line) => expect(line.width).toBeCloseTo(300, 6));
      lineCount += lines.length;
      hyphenated += lines.filter((l) => l.hyphenated).length;
    }
    expect(lineCount).toBeGreaterThan(400);
    // Hyphens help but stay the exception.
    expect(hyphenated).toBeGreaterThan(0);
    expect(hyphenated / lineCount).toBeLessThan(0.2);
  });
});
