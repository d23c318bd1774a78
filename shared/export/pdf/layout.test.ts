import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDefaultFonts } from "../../../companion/export/default-fonts";
import { importManuscript, writeBookFolder } from "../../import/import-manuscript";
import { EXPORT_FIXTURE_FOLDER, seedExportFixture } from "../../testing/export-fixture";
import { MemoryVault } from "../../testing/memory-vault";
import { buildBookModel, type Block, type BookModel, type ModelImage } from "../book-model";
import { FontSet } from "./fonts";
import { createHyphenator } from "./hyphenate";
import { chapterHeading, FIGURE_DPI, FIGURE_HEIGHT_SHARE, layoutBook, linesToPlace, type LaidFigure, type LaidLine, type LaidPage, type LayoutMetrics, type PrintLayout } from "./layout";
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
  const seeded = new MemoryVault();
  await seedExportFixture(seeded);
  fixture = await buildBookModel(seeded, EXPORT_FIXTURE_FOLDER);
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
    // A heading with a picture under it does not end its page.
    const figureBelow = page.figures.some((f) => last !== undefined && f.slot > last.slot);
    if (continues && last && !figureBelow && (last.role === "heading" || last.role === "sceneBreak" || last.role === "notesHeading")) {
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

/** The first and last body slots of a text page: a running head and a blank slot above, a blank slot and the folio below. */
const FIRST_BODY_SLOT = 2;
const lastBodySlot = (layout: PrintLayout): number => layout.slots - 3;

/**
 * Problems with pictures, as readable strings: each must take whole grid slots in one piece inside the
 * body, sit centred in that band, share no slot with a line (but a list item's marker), have a blank slot
 * above and below it (except at the page's top or foot), and keep its proportions within the width, the
 * height cap and its size at FIGURE_DPI.
 */
function figureProblems(layout: PrintLayout, images: Map<string, ModelImage>): string[] {
  const problems: string[] = [];
  const top = layout.trim.height - layout.margins.top;
  const measure = layout.trim.width - layout.margins.inside - layout.margins.outside;
  const cap = FIGURE_HEIGHT_SHARE * layout.slots * layout.leading;
  for (const page of layout.pages) {
    const left = page.number % 2 === 1 ? layout.margins.inside : layout.margins.outside;
    for (const figure of page.figures) {
      const where = `${figure.image.path} on page ${page.number}`;
      const image = images.get(figure.image.path);
      if (image !== figure.image) problems.push(`${where} is not the book's picture`);
      const natural = { width: (figure.image.width * 72) / FIGURE_DPI, height: (figure.image.height * 72) / FIGURE_DPI };
      if (figure.width > natural.width + 1e-6 || figure.height > natural.height + 1e-6) problems.push(`${where} is larger than at ${FIGURE_DPI} dpi`);
      if (Math.abs(figure.width / figure.height - figure.image.width / figure.image.height) > 1e-6) problems.push(`${where} lost its proportions`);
      if (figure.height > cap + 1e-6) problems.push(`${where} is taller than the cap`);
      if (figure.offset < -1e-6 || figure.offset + figure.width > measure + 1e-6) problems.push(`${where} is wider than the text block`);
      if (Math.abs(figure.x - (left + figure.offset)) > 1e-6) problems.push(`${where} is not at its offset`);
      if (figure.slots !== Math.max(1, Math.ceil(figure.height / layout.leading - 1e-9))) problems.push(`${where} takes ${figure.slots} slots for ${figure.height} pt`);
      if (figure.slot < FIRST_BODY_SLOT || figure.slot + figure.slots - 1 > lastBodySlot(layout)) problems.push(`${where} is outside the body (slots ${figure.slot}–${figure.slot + figure.slots - 1})`);
      // Centred in its band of slots.
      const bandTop = top - figure.slot * layout.leading;
      const bandBottom = top - (figure.slot + figure.slots) * layout.leading;
      if (Math.abs(figure.y - bandBottom - (bandTop - (figure.y + figure.height))) > 1e-6) problems.push(`${where} is not centred in its band`);
      for (const line of page.lines) {
        const inside = line.slot >= figure.slot && line.slot < figure.slot + figure.slots;
        const marker = line.slot === figure.slot && line.words.length === 1 && line.words[0]!.x + line.words[0]!.width <= figure.offset;
        if (inside && !marker) problems.push(`${where}: line "${line.words.map((w) => w.text).join(" ")}" in its slot ${line.slot}`);
        if (line.slot === figure.slot - 1 && line.role !== "runningHead") problems.push(`${where}: no blank slot above it`);
        if (line.slot === figure.slot + figure.slots && line.role !== "folio") problems.push(`${where}: no blank slot below it`);
      }
    }
  }
  return problems;
}

/** Every image the model shows, by path. */
function modelImages(model: BookModel): Map<string, ModelImage> {
  const out = new Map<string, ModelImage>();
  const walk = (blocks: Block[]): void => {
    for (const b of blocks) {
      if (b.type === "image" && b.image) out.set(b.image.path, b.image);
      else if (b.type === "blockquote") walk(b.blocks);
      else if (b.type === "list") b.items.forEach(walk);
    }
  };
  for (const c of model.chapters) {
    walk(c.blocks);
    c.notes.forEach(walk);
  }
  return out;
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
    expect(figureProblems(layout, modelImages(fixture))).toEqual([]);
  });

  it("sets chapter 2's two pictures centred on its pages, at 150 dpi, and no others", () => {
    const layout = layoutBook(fixture, fonts, { hyphenate: createHyphenator("en") });
    const measure = layout.trim.width - layout.margins.inside - layout.margins.outside;
    const round = (n: number): number => Math.round(n * 1e6) / 1e6 + 0;
    const figures = layout.pages.flatMap((p) =>
      p.figures.map((f) => ({ chapter: p.chapter, path: f.image.path, alt: f.alt, size: [round(f.width), round(f.height)], offCentre: round(f.offset + f.width / 2 - measure / 2) })),
    );
    // 150 dpi: a pixel is 0.48 pt.
    expect(figures).toEqual([
      { chapter: 1, path: "Attachments/Map of the island.png", alt: "", size: [2.88, 1.92], offCentre: 0 },
      { chapter: 1, path: "Babel/Chapters/Art/reef chart.jpg", alt: "The chart of the reef", size: [7.68, 7.68], offCentre: 0 },
    ]);
    expect(figureProblems(layout, modelImages(fixture))).toEqual([]);
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

describe("print layout of pictures", () => {
  const picture = (path: string, width: number, height: number): ModelImage => ({ path, bytes: new Uint8Array(), mediaType: "image/png", width, height });
  const figure = (image: ModelImage, alt = ""): Block => ({ type: "image", src: image.path, alt, image });
  const text = (words: number): Block => ({ type: "paragraph", runs: [{ text: `${"word ".repeat(words - 1)}end.` }] });
  const oneLiners = (n: number): Block[] => Array.from({ length: n }, () => text(3));
  const wide = picture("wide.png", 3000, 1000);
  const tall = picture("tall.png", 400, 4000);
  const small = picture("small.png", 60, 40);

  it("scales a picture to the text width, to the height cap, or not at all, and centres it on the grid", () => {
    const model: BookModel = {
      title: "Figures",
      language: "en",
      chapters: [
        {
          number: 1,
          title: "Pictures",
          blocks: [
            text(40),
            figure(wide, "A wide one"),
            text(40),
            figure(tall),
            text(20),
            figure(small),
            { type: "paragraph", runs: [{ text: "A note" }, { text: "1", note: 1 }] },
            { type: "blockquote", blocks: [text(30), figure(small)] },
            { type: "list", ordered: true, start: 1, items: [[figure(small)], [text(30)]] },
            // A picture the model could not find is skipped.
            { type: "image", src: "missing.png", alt: "gone" },
          ],
          notes: [[text(10), figure(small)]],
        },
      ],
    };
    const layout = layoutBook(model, MONOSPACE, { toc: false });
    const measure = layout.trim.width - layout.margins.inside - layout.margins.outside;
    const cap = FIGURE_HEIGHT_SHARE * layout.slots * layout.leading;
    const placed = layout.pages.flatMap((page) => page.figures.map((f) => ({ page, f })));
    expect(placed.map(({ f }) => f.image.path)).toEqual(["wide.png", "tall.png", "small.png", "small.png", "small.png", "small.png"]);
    const [w, t, s, quoted, listed, noted] = placed as { page: LaidPage; f: LaidFigure }[];

    // Wide: as wide as the text block. Tall: as tall as the cap. Small: 150 dpi, 60 × 40 px being 28.8 × 19.2 pt.
    expect(w!.f.width).toBeCloseTo(measure, 6);
    expect(w!.f.height).toBeCloseTo(measure / 3, 6);
    expect(w!.f.offset).toBeCloseTo(0, 6);
    expect(w!.f.alt).toBe("A wide one");
    expect(t!.f.height).toBeCloseTo(cap, 6);
    expect(t!.f.width).toBeCloseTo(cap / 10, 6);
    expect(s!.f.width).toBeCloseTo(28.8, 9);
    expect(s!.f.height).toBeCloseTo(19.2, 9);
    expect(s!.f.slots).toBe(2);
    // Centred in the text block, and in a quote (indented on both sides) too.
    for (const { f } of [w!, t!, s!, quoted!]) expect(f.offset + f.width / 2).toBeCloseTo(measure / 2, 6);
    // In a list item: centred in the item's column, with the item's number beside its first slot.
    const marker = listed!.page.lines.find((l) => l.slot === listed!.f.slot)!;
    expect(marker.words.map((x) => x.text)).toEqual(["1."]);
    const secondItem = listed!.page.lines.find((l) => l.words[0]?.text === "2.") ?? layout.pages[listed!.page.number]!.lines.find((l) => l.words[0]?.text === "2.")!;
    const textLeft = secondItem.words[1]!.x;
    expect(listed!.f.offset + listed!.f.width / 2).toBeCloseTo((textLeft + measure) / 2, 6);
    // In a note: after the notes heading.
    const notesAt = layout.pages.flatMap((p) => p.lines.filter((l) => l.role === "notesHeading").map(() => p.number))[0]!;
    expect(noted!.page.number).toBeGreaterThanOrEqual(notesAt);

    // The text after a picture goes on one blank slot below it, on the grid.
    const after = w!.page.lines.find((l) => l.slot > w!.f.slot && l.role === "body")!;
    expect(after.slot).toBe(w!.f.slot + w!.f.slots + 1);
    expect(after.words[0]!.x).toBe(0);

    expect(figureProblems(layout, modelImages(model))).toEqual([]);
    expect(keepingProblems(layout)).toEqual([]);
    expect(paragraphOrderProblems(layout)).toEqual([]);
  });

  it("moves a picture that does not fit to the next page whole, leaving the page before it short", () => {
    // A chapter that opens with a paragraph and then a picture too tall for the rest of the opening page,
    // then pictures after ever more lines of text.
    const blocks: Block[] = [text(60), figure(tall)];
    for (let n = 1; n <= 30; n += 3) blocks.push(...oneLiners(n), figure(n % 2 === 0 ? tall : wide));
    blocks.push(...oneLiners(5));
    const model: BookModel = { title: "Moves", language: "en", chapters: [{ number: 1, title: "One", notes: [], blocks }] };
    const layout = layoutBook(model, MONOSPACE, { toc: false });
    const last = lastBodySlot(layout);
    let moved = 0;
    let movedFromOpening = false;
    for (const page of layout.pages) {
      for (const f of page.figures) {
        const before = layout.pages[page.number - 2]!;
        if (f.slot === FIRST_BODY_SLOT && page.kind === "text" && before.chapter === page.chapter) {
          // At the top of its page: it would not have fitted after the last line (and a blank slot) on the page before.
          const end = Math.max(...before.lines.filter((l) => l.role === "body").map((l) => l.slot));
          expect(end + 1 + f.slots, `${f.image.path} on page ${page.number}`).toBeGreaterThan(last);
          if (end < last) moved++;
          if (before.kind === "opening") movedFromOpening = true;
        } else {
          // Anywhere else it follows the text right after one blank slot: it was not pushed on needlessly.
          expect(page.lines.some((l) => l.slot === f.slot - 2 && l.role === "body"), `${f.image.path} on page ${page.number} slot ${f.slot}`).toBe(true);
        }
      }
    }
    expect(layout.pages.flatMap((p) => p.figures)).toHaveLength(blocks.filter((b) => b.type === "image").length);
    expect(moved).toBeGreaterThanOrEqual(3);
    expect(movedFromOpening).toBe(true);
    expect(figureProblems(layout, modelImages(model))).toEqual([]);
    expect(paragraphOrderProblems(layout)).toEqual([]);
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
// Pictures from a sliver to a poster, at the top level and in quotes.
const image = fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 })).map(([width, height]): Block => {
  const path = `${width}x${height}.png`;
  return { type: "image", src: path, alt: "", image: { path, bytes: new Uint8Array(), mediaType: "image/png", width, height } };
});
const block: fc.Arbitrary<Block> = fc.oneof(
  { weight: 12, arbitrary: paragraph },
  { weight: 1, arbitrary: fc.constant<Block>({ type: "sceneBreak" }) },
  { weight: 1, arbitrary: word.map((w): Block => ({ type: "heading", depth: 2, runs: [{ text: w }] })) },
  { weight: 1, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: paragraph }, { weight: 1, arbitrary: image }), { minLength: 1, maxLength: 3 }).map((blocks): Block => ({ type: "blockquote", blocks })) },
  { weight: 1, arbitrary: image },
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

  it("never leaves a widow or an orphan, and keeps every line in order and every picture whole, on generated books", () => {
    fc.assert(
      fc.property(book, fc.constantFrom(...TRIM_NAMES), (model, trim) => {
        const layout = layoutBook(model, MONOSPACE, { trim, fontSizePt: 12 });
        expect(keepingProblems(layout)).toEqual([]);
        expect(paragraphOrderProblems(layout)).toEqual([]);
        expect(figureProblems(layout, modelImages(model))).toEqual([]);
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
