import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDefaultFonts } from "../../../companion/export/default-fonts";
import { importManuscript, writeBookFolder } from "../../import/import-manuscript";
import { EXPORT_FIXTURE_FOLDER, exportFixtureFiles } from "../../testing/export-fixture";
import { MemoryVault } from "../../testing/memory-vault";
import { buildBookModel, type Block, type BookModel } from "../book-model";
import { FontSet } from "./fonts";
import { createHyphenator } from "./hyphenate";
import { chapterHeading, layoutBook, linesToPlace, type LaidLine, type LaidPage, type LayoutMetrics, type PrintLayout } from "./layout";
import { kdpMinimumGutterInches, TRIM_NAMES, trimSize } from "./trim";

const corpusPath = fileURLToPath(new URL("../../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

/** Every character half an em wide: lays out fast, and the rules under test do not care about glyphs. */
const MONOSPACE: LayoutMetrics = {
  measurer: (size) => ({ width: (text) => [...text].length * size * 0.5 }),
  width: (text, _font, size) => [...text].length * size * 0.5,
  canDraw: () => true,
};

let fonts: FontSet;
let fixture: BookModel;
let corpus: BookModel;
let corpusLayout: PrintLayout;

beforeAll(async () => {
  fonts = new FontSet(await loadDefaultFonts());
  fixture = await buildBookModel(new MemoryVault().seed(exportFixtureFiles()), EXPORT_FIXTURE_FOLDER);
  const vault = new MemoryVault();
  await writeBookFolder(vault, "Pride and Prejudice", importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" }));
  corpus = await buildBookModel(vault, "Pride and Prejudice");
  corpusLayout = layoutBook(corpus, fonts, { hyphenate: createHyphenator(corpus.language) });
}, 120_000);

const bodyRoles = new Set(["body", "note", "code", "heading", "sceneBreak", "notesHeading"]);
const bodyLines = (page: LaidPage): LaidLine[] => page.lines.filter((l) => bodyRoles.has(l.role));

/** Problems with widows, orphans and stranded headings, as readable strings (empty when there are none). */
function keepingProblems(layout: PrintLayout): string[] {
  const problems: string[] = [];
  for (const page of layout.pages) {
    const lines = bodyLines(page);
    const first = lines[0];
    const last = lines.at(-1);
    const next = layout.pages[page.number];
    const continues = next?.chapter === page.chapter && next !== undefined && bodyLines(next).length > 0;
    if (first?.paragraph && first.paragraph.lines > 1 && first.paragraph.line === first.paragraph.lines - 1) {
      problems.push(`page ${page.number} starts with the last line of a ${first.paragraph.lines}-line paragraph (a widow)`);
    }
    if (last?.paragraph && last.paragraph.lines > 1 && last.paragraph.line === 0) {
      problems.push(`page ${page.number} ends with the first line of a ${last.paragraph.lines}-line paragraph (an orphan)`);
    }
    if (continues && last && (last.role === "heading" || last.role === "sceneBreak" || last.role === "notesHeading")) {
      problems.push(`page ${page.number} ends with a ${last.role} line`);
    }
  }
  return problems;
}

/** Every paragraph's lines appear once each, in order, across the pages. */
function paragraphOrderProblems(layout: PrintLayout): string[] {
  const seen = new Map<number, number>();
  const problems: string[] = [];
  let lastId = -1;
  for (const page of layout.pages) {
    for (const line of page.lines) {
      const p = line.paragraph;
      if (!p) continue;
      const expected = seen.get(p.id) ?? 0;
      if (p.line !== expected) problems.push(`paragraph ${p.id}: line ${p.line} where ${expected} was due (page ${page.number})`);
      if (p.id < lastId) problems.push(`paragraph ${p.id} after paragraph ${lastId} (page ${page.number})`);
      lastId = p.id;
      seen.set(p.id, p.line + 1);
    }
  }
  return problems;
}

function expectGutterMatchesPageCount(layout: PrintLayout): void {
  const pages = layout.pages.length;
  expect(layout.margins.inside).toBeCloseTo((kdpMinimumGutterInches(pages) + 0.25) * 72, 6);
}

describe("print layout of the export fixture", () => {
  it.each(TRIM_NAMES)("opens every chapter on a recto at %s, after a title page, a blank verso and the contents", (trim) => {
    const layout = layoutBook(fixture, fonts, { trim, hyphenate: createHyphenator("en") });
    expect(layout.trim).toEqual(trimSize(trim));
    expect(layout.pages.map((p) => p.number)).toEqual(layout.pages.map((_, i) => i + 1));
    expect(layout.pages.slice(0, 3).map((p) => p.kind)).toEqual(["title", "blank", "contents"]);
    expect(layout.chapterPages).toHaveLength(fixture.chapters.length);
    for (const [i, number] of layout.chapterPages.entries()) {
      expect(number % 2, `chapter ${i + 1} opens on page ${number}`).toBe(1);
      const page = layout.pages[number - 1]!;
      expect(page.kind).toBe("opening");
      expect(page.chapter).toBe(i);
      // The title sits at the sink, well below the top of the text block, and the page has no running head.
      const title = page.lines.find((l) => l.role === "chapterTitle")!;
      expect(title.words.map((w) => w.text).join(" ")).toBe(chapterHeading(fixture.chapters[i]!));
      expect(title.slot).toBeGreaterThanOrEqual(Math.floor(layout.slots / 6));
      expect(page.lines.some((l) => l.role === "runningHead")).toBe(false);
      // The page before an opening is either the chapter before it or a blank verso.
      const before = layout.pages[number - 2]!;
      expect(before.kind === "blank" || before.chapter === i - 1 || before.kind === "contents").toBe(true);
    }
    expectGutterMatchesPageCount(layout);
    expect(keepingProblems(layout)).toEqual([]);
    expect(paragraphOrderProblems(layout)).toEqual([]);
  });

  it("mirrors the margins: the gutter is on the left of odd pages and the right of even ones", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const { inside, outside } = layout.margins;
    expect(outside).toBeGreaterThanOrEqual(0.25 * 72);
    const measure = layout.trim.width - inside - outside;
    for (const page of layout.pages) {
      for (const line of page.lines) {
        expect(line.x).toBe(page.number % 2 === 1 ? inside : outside);
        for (const word of line.words) {
          expect(word.x, `"${word.text}" on page ${page.number}`).toBeGreaterThanOrEqual(-1e-6);
          expect(word.x + word.width, `"${word.text}" on page ${page.number}`).toBeLessThanOrEqual(measure + 0.01);
        }
      }
    }
  });

  it("sets running heads (author on versos, title on rectos) and folios on text pages only", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const text = (line: LaidLine | undefined) => line?.words.map((w) => w.text).join(" ");
    let textPages = 0;
    for (const page of layout.pages) {
      const heads = page.lines.filter((l) => l.role === "runningHead");
      const folios = page.lines.filter((l) => l.role === "folio");
      if (page.kind === "text") {
        textPages++;
        expect(text(heads[0]), `page ${page.number}`).toBe(page.number % 2 === 1 ? fixture.title : fixture.author);
        expect(heads[0]!.slot).toBe(0);
      } else {
        expect(heads, `page ${page.number} (${page.kind})`).toEqual([]);
      }
      if (page.kind === "text" || page.kind === "opening") expect(text(folios[0])).toBe(String(page.number));
      else expect(folios).toEqual([]);
      if (page.kind === "blank") expect(page.lines).toEqual([]);
    }
    expect(textPages).toBeGreaterThan(20);
  });

  it("keeps every line on the baseline grid and no two on one slot", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const top = layout.trim.height - layout.margins.top;
    // The text block is a whole number of lines.
    expect((layout.trim.height - layout.margins.top - layout.margins.bottom) / layout.leading).toBeCloseTo(layout.slots, 9);
    expect(layout.leading).toBeGreaterThan(11 * 1.25);
    expect(layout.leading).toBeLessThan(11 * 1.35);
    for (const page of layout.pages) {
      const slots = page.lines.map((l) => l.slot);
      expect(new Set(slots).size, `page ${page.number}`).toBe(slots.length);
      const offsets = page.lines.map((l) => (top - l.y) - l.slot * layout.leading);
      for (const o of offsets) expect(o).toBeCloseTo(offsets[0]!, 6);
      for (const line of page.lines) {
        expect(line.slot).toBeGreaterThanOrEqual(0);
        expect(line.slot).toBeLessThan(layout.slots);
        // Text stays inside the margins.
        expect(line.y).toBeGreaterThan(layout.margins.bottom);
        expect(line.y).toBeLessThan(top);
      }
    }
  });

  it("lists each chapter in the contents with the page it opens on", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const entries = layout.pages.filter((p) => p.kind === "contents").flatMap((p) => p.lines.filter((l) => l.role === "contentsEntry"));
    const numbers = entries.map((l) => l.words.at(-1)!.text).filter((t) => /^\d+$/.test(t));
    expect(numbers).toEqual(layout.chapterPages.map(String));
  });

  it("sets notes as numbered endnotes after the chapter, with superscript references in the text", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const chapterOne = layout.pages.filter((p) => p.chapter === 0).flatMap((p) => p.lines);
    const words = chapterOne.flatMap((l) => l.words.map((w) => w.text));
    expect(words.some((w) => w.endsWith("mark.¹"))).toBe(true);
    const notesAt = chapterOne.findIndex((l) => l.role === "notesHeading");
    expect(notesAt).toBeGreaterThan(0);
    const note = chapterOne.slice(notesAt + 1).find((l) => l.role === "note")!;
    expect(note.words[0]!.text).toBe("1.");
    expect(chapterOne.slice(notesAt + 1).map((l) => l.words.map((w) => w.text).join(" ")).join(" ")).toContain("first reason");
  });

  it("indents paragraphs except a chapter's first and the one after a scene break", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const lines = layout.pages.filter((p) => p.chapter === 0).flatMap((p) => p.lines);
    const starts = lines.filter((l) => l.role === "body" && l.paragraph?.line === 0);
    expect(starts[0]!.words[0]!.x).toBe(0);
    expect(starts[1]!.words[0]!.x).toBeCloseTo(11 * 1.5, 6);
    const scene = lines.findIndex((l) => l.role === "sceneBreak");
    expect(scene).toBeGreaterThan(0);
    expect(lines[scene]!.words.map((w) => w.text).join(" ")).toBe("* * *");
    // The block quote after the scene break is indented on both sides.
    const quote = lines.slice(scene + 1).find((l) => l.role === "body")!;
    expect(quote.words[0]!.x).toBeCloseTo(11 * 1.5, 6);
  });
});

describe("print layout of a book with a long title and no author", () => {
  it("shortens the running head with an ellipsis and uses the title on both sides", () => {
    const title = "The Remarkable and Entirely True History of the Lighthouse at the End of the Northern Rocks";
    const model: BookModel = {
      title,
      language: "en",
      chapters: [{ number: 1, title: "One", notes: [], blocks: Array.from({ length: 60 }, () => ({ type: "paragraph", runs: [{ text: "word ".repeat(80) }] })) }],
    };
    const layout = layoutBook(model, MONOSPACE, { toc: false });
    const measure = layout.trim.width - layout.margins.inside - layout.margins.outside;
    const heads = layout.pages.flatMap((p) => p.lines.filter((l) => l.role === "runningHead"));
    expect(heads.length).toBeGreaterThan(4);
    for (const head of heads) {
      const text = head.words.map((w) => w.text).join(" ");
      expect(text.endsWith("…")).toBe(true);
      expect(title.startsWith(text.slice(0, -1))).toBe(true);
      expect(head.words.at(-1)!.x + head.words.at(-1)!.width).toBeLessThanOrEqual(measure);
    }
    // No contents: the chapter opens on page 3, after the title page and its blank verso.
    expect(layout.chapterPages).toEqual([3]);
  });
});

describe("print layout of an empty book", () => {
  it("has a title page and its verso, and no contents", () => {
    const layout = layoutBook({ title: "Nothing Yet", language: "en", chapters: [] }, MONOSPACE);
    expect(layout.pages.map((p) => p.kind)).toEqual(["title", "blank"]);
    expect(layout.chapterPages).toEqual([]);
    expect(layoutBook({ title: "Nothing Yet", language: "en", chapters: [] }, MONOSPACE, { titlePage: false }).pages).toEqual([]);
  });
});

describe("print layout of Pride and Prejudice", () => {
  it("has no widows, orphans or stranded headings, and every paragraph in order", () => {
    expect(corpusLayout.pages.length).toBeGreaterThan(250);
    expect(corpusLayout.overfullLines).toBe(0);
    expect(keepingProblems(corpusLayout)).toEqual([]);
    expect(paragraphOrderProblems(corpusLayout)).toEqual([]);
    // Short pages are the price of that; there should not be many.
    const short = corpusLayout.pages.filter((p, i) => p.kind === "text" && corpusLayout.pages[i + 1]?.chapter === p.chapter && bodyLines(p).at(-1)!.slot < corpusLayout.slots - 3);
    expect(short.length).toBeLessThan(corpusLayout.pages.length / 4);
  });

  it("has the gutter KDP asks for at its page count", () => {
    expectGutterMatchesPageCount(corpusLayout);
    expect(corpusLayout.chapterPages).toHaveLength(61);
    expect(corpusLayout.chapterPages.every((n) => n % 2 === 1)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// Rules on generated books

const VOCABULARY = ["sea", "lamp", "keeper", "weather", "granite", "she", "wrote", "the", "of", "nevertheless", "indistinguishable", "a"];
const word = fc.constantFrom(...VOCABULARY);
// Lengths drawn uniformly (fast-check's arrays favour short ones), so paragraphs of one to some twenty lines.
const paragraph = fc.tuple(fc.integer({ min: 1, max: 180 }), fc.nat(1000)).map(([length, seed]): Block => ({
  type: "paragraph",
  runs: [{ text: `${Array.from({ length }, (_, i) => VOCABULARY[(seed + i * 7 + Math.floor(i / 5)) % VOCABULARY.length]).join(" ")}.` }],
}));
const block: fc.Arbitrary<Block> = fc.oneof(
  { weight: 12, arbitrary: paragraph },
  { weight: 1, arbitrary: fc.constant<Block>({ type: "sceneBreak" }) },
  { weight: 1, arbitrary: word.map((w): Block => ({ type: "heading", depth: 2, runs: [{ text: w }] })) },
  { weight: 1, arbitrary: fc.array(paragraph, { minLength: 1, maxLength: 3 }).map((blocks): Block => ({ type: "blockquote", blocks })) },
);
const book = fc.array(fc.array(block, { minLength: 1, maxLength: 60, size: "max" }), { minLength: 1, maxLength: 4 }).map(
  (chapters): BookModel => ({ title: "Generated", author: "Test", language: "en", chapters: chapters.map((blocks, i) => ({ number: i + 1, title: `Part ${i + 1}`, blocks, notes: [] })) }),
);

describe("print layout rules", () => {
  it("splits a paragraph only where neither a widow nor an orphan is left", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 60 }), (lines, room) => {
        const n = linesToPlace(lines, room);
        if (lines <= room) return n === lines;
        return n === 0 || (n >= 2 && lines - n >= 2 && n <= room);
      }),
    );
    expect(linesToPlace(2, 1)).toBe(0);
    expect(linesToPlace(5, 4)).toBe(3);
    expect(linesToPlace(3, 2)).toBe(0);
  });

  it("never leaves a widow or an orphan, and keeps every line in order, on generated books", () => {
    fc.assert(
      fc.property(book, fc.constantFrom(...TRIM_NAMES), (model, trim) => {
        const layout = layoutBook(model, MONOSPACE, { trim, fontSizePt: 12 });
        expect(keepingProblems(layout)).toEqual([]);
        expect(paragraphOrderProblems(layout)).toEqual([]);
        expect(layout.chapterPages.every((n) => n % 2 === 1)).toBe(true);
        expectGutterMatchesPageCount(layout);
      }),
      { numRuns: 60 },
    );
  });

  it("settles the gutter for books on either side of each page-count bracket", () => {
    const long = (paragraphs: number): BookModel => ({
      title: "Long",
      language: "en",
      chapters: [{ number: 1, title: "All of it", notes: [], blocks: Array.from({ length: paragraphs }, (_, i) => ({ type: "paragraph", runs: [{ text: `${"word ".repeat(60 + (i % 7))}end.` }] })) }],
    });
    const seen = new Set<number>();
    const passes: number[] = [];
    // About 150 and 500 pages, where the first guess (from the text's length) lands in the wrong bracket.
    for (const paragraphs of [770, 777, 778, 1300, 2580, 2590, 4000]) {
      const layout = layoutBook(long(paragraphs), MONOSPACE, { fontSizePt: 12 });
      expectGutterMatchesPageCount(layout);
      expect(layout.passes).toBeLessThanOrEqual(3);
      passes.push(layout.passes);
      seen.add(kdpMinimumGutterInches(layout.pages.length));
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect(passes.some((p) => p > 1)).toBe(true);
  });
});
