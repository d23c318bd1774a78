/**
 * Page layout for the print PDF: the book model and a way to measure text in, pages of positioned lines
 * out. Nothing here knows about PDF objects, so the layout rules (mirrored margins, chapters on rectos,
 * widows and orphans, the gutter a page count needs) are tested without writing a file.
 *
 * Every line of every page sits on one baseline grid: the text block is a whole number of line slots,
 * and headings, scene breaks and the space around block quotes take whole slots too. Facing pages then
 * line up, and a line on a recto backs its twin on the verso, as a printer would set it.
 *
 * Pictures are figures: centred, never split, and as tall as a whole number of slots with a blank slot
 * above and below, so the text after a picture stays on the grid too.
 *
 * Page numbers are physical: page 1 is the title page, so the folio printed on a page is its page in the
 * PDF, odd pages are rectos (right-hand pages) and the contents page can give the number a reader types
 * into a viewer.
 */
import { breakParagraph, type FontKey, type Line, type Measurer, type PlacedWord, type TextRun } from "./linebreak";
import { partOfChapter, type Block, type BookModel, type ModelChapter, type ModelImage, type ModelPart, type Run } from "../book-model";
import { faceFor } from "./fonts";
import { kdpMinimumGutterInches, lastPageOfBracket, marginsForPageCount, trimSize, type Margins, type TrimName, type TrimSize } from "./trim";

/** What the layout needs from the fonts. `FontSet` is one. */
export interface LayoutMetrics {
  measurer(size: number): Measurer;
  width(text: string, font: FontKey, size: number): number;
  canDraw(text: string, font: FontKey): boolean;
}

export interface LayoutOptions {
  /** @default "6x9" */
  trim?: TrimName;
  /** @default 11 */
  fontSizePt?: number;
  /** Line height in points, snapped so the text block holds a whole number of lines. @default 1.3 × size */
  leading?: number;
  /** @default true */
  titlePage?: boolean;
  /** @default true */
  toc?: boolean;
  /** Syllables of a word for hyphenation, or null not to hyphenate. */
  hyphenate?: ((word: string) => string[]) | null;
}

export type LineRole =
  | "body"
  | "heading"
  | "sceneBreak"
  | "code"
  | "notesHeading"
  | "note"
  | "chapterLabel"
  | "chapterTitle"
  | "runningHead"
  | "folio"
  | "bookTitle"
  | "bookAuthor"
  /** An omnibus book's page: "Book 2" above its title (and its author when the books' differ). */
  | "partLabel"
  | "partTitle"
  | "partAuthor"
  | "contentsTitle"
  | "contentsEntry"
  /**
   * A slot a picture takes while a chapter is set. None is left on a finished page (the picture is in
   * `LaidPage.figures`; a list item's bullet or a note's number beside it becomes a body or note line).
   */
  | "figure";

/** Where a line sits in its paragraph, for the widow and orphan rules (and the tests of them). */
export interface ParagraphPosition {
  /** Unique in the book. */
  id: number;
  /** 0-based line in the paragraph. */
  line: number;
  lines: number;
}

export interface LaidLine {
  role: LineRole;
  size: number;
  /** Left edge of the text block on this page, points from the page's left edge. */
  x: number;
  /** Baseline, points up from the page's bottom edge (PDF coordinates). */
  y: number;
  /** The grid slot (0 = the top line of the text block). */
  slot: number;
  /** Words with `x` measured from the line's `x`. */
  words: PlacedWord[];
  paragraph?: ParagraphPosition;
}

/** A picture on a page. It covers `slots` whole grid slots from `slot`, and is centred in them. */
export interface LaidFigure {
  image: ModelImage;
  /** The writer's description of the picture (not printed; the PDF carries it for screen readers). */
  alt: string;
  /** First grid slot of the band the picture takes, and how many (the blank slots around it not counted). */
  slot: number;
  slots: number;
  /** Drawn size in points. */
  width: number;
  height: number;
  /** Left edge of the picture from the text block's left edge. */
  offset: number;
  /** Lower-left corner, points from the page's lower-left corner (PDF coordinates). */
  x: number;
  y: number;
}

/** "part": an omnibus book's own title page, on a recto, before its chapters. */
export type PageKind = "title" | "blank" | "contents" | "part" | "opening" | "text";

export interface LaidPage {
  /** 1-based; also the folio printed on it. Odd numbers are rectos. */
  number: number;
  kind: PageKind;
  /** Index into `model.chapters` for a chapter's pages. */
  chapter: number | null;
  /** In an omnibus: index into `model.parts` for a book's page and its chapters' pages. */
  part?: number;
  lines: LaidLine[];
  figures: LaidFigure[];
}

export interface PrintLayout {
  trim: TrimSize;
  margins: Margins;
  fontSize: number;
  leading: number;
  /** Line slots in the text block. */
  slots: number;
  pages: LaidPage[];
  /** The page each chapter opens on, by chapter index. */
  chapterPages: number[];
  /** In an omnibus: the page of each book's title page, by part index. */
  partPages?: number[];
  /** Times the book was laid out before its gutter suited its page count (at most 3). */
  passes: number;
  /** Blank pages added at the end so the page count falls in the bracket of the gutter used. */
  paddingPages: number;
  /** Lines wider than their measure (a word too long for any line). */
  overfullLines: number;
}

// Typographic proportions, in ems of the body size unless named otherwise.
const INDENT_EM = 1.5;
const QUOTE_INDENT_EM = 1.5;
const LIST_INDENT_EM = 1.5;
const CODE_INDENT_EM = 1.5;
const MARKER_GAP_EM = 0.4;
const CHAPTER_TITLE_SCALE = 1.6;
const BOOK_TITLE_SCALE = 2.2;
const BOOK_AUTHOR_SCALE = 1.25;
/** Slot of the chapter sink (title line) as a share of the text block: about a quarter down the page. */
const SINK_SHARE = 0.2;
/** Slots between the head line and the body, and between the body and the folio. */
const HEAD_GAP = 1;
const FOOT_GAP = 1;

const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const ORNAMENTS = ["⁂", "* * *"];
const BULLETS = ["•", "◦", "–"];
/** A picture's natural size: its pixels printed at this many per inch (enough for print, and no blurrier). */
export const FIGURE_DPI = 150;
/** The tallest a picture may be, as a share of the text block's height. */
export const FIGURE_HEIGHT_SHARE = 0.6;

/**
 * Lays the book out, settling the gutter: the inside margin KDP asks for depends on the page count, which
 * depends on the margin. A first guess from the text's length, then a relayout whenever the count lands
 * in another bracket, at most three passes. A book whose count flips between brackets keeps the wider
 * gutter and is padded with blank end pages into that gutter's bracket (so it never has less than KDP
 * asks for).
 */
export function layoutBook(model: BookModel, metrics: LayoutMetrics, options: LayoutOptions = {}): PrintLayout {
  const settings = resolveSettings(metrics, options);
  const tried: PrintLayout[] = [];
  let guess = estimatePages(model, metrics, settings);
  for (let pass = 1; pass <= 3; pass++) {
    const layout = layoutWithMargins(model, metrics, settings, marginsForPageCount(guess));
    layout.passes = pass;
    tried.push(layout);
    const pages = layout.pages.length;
    if (kdpMinimumGutterInches(pages) === kdpMinimumGutterInches(guess)) return layout;
    guess = pages;
  }
  // No fixed point: the widest gutter tried is enough for its own page count once padded into its bracket.
  let widest = tried.reduce((a, b) => (b.margins.inside > a.margins.inside ? b : a));
  if (marginsForPageCount(widest.pages.length).inside > widest.margins.inside + 1e-9) {
    // Unless even that was too narrow (a first guess brackets away): one more pass at its count's gutter.
    widest = layoutWithMargins(model, metrics, settings, marginsForPageCount(widest.pages.length));
  }
  padToGutter(widest);
  widest.passes = tried.length;
  return widest;
}

/** Adds blank end pages until the page count needs the gutter the layout has. */
function padToGutter(layout: PrintLayout): void {
  let pages = layout.pages.length;
  while (marginsForPageCount(pages).inside < layout.margins.inside - 1e-9) {
    const target = lastPageOfBracket(pages) + 1;
    while (pages < target) {
      layout.pages.push({ number: pages + 1, kind: "blank", chapter: null, lines: [], figures: [] });
      layout.paddingPages++;
      pages++;
    }
  }
}

interface Settings {
  trim: TrimSize;
  size: number;
  leading: number;
  slots: number;
  /** Baseline offset within a slot, from the slot's top. */
  baseline: number;
  titlePage: boolean;
  toc: boolean;
  hyphenate: ((word: string) => string[]) | null;
  superscripts: boolean;
  ornament: string;
  bullets: string[];
  figureSpace: boolean;
}

function resolveSettings(metrics: LayoutMetrics, options: LayoutOptions): Settings {
  const trim = trimSize(options.trim ?? "6x9");
  const size = options.fontSizePt ?? 11;
  if (!(size >= 6 && size <= 24)) throw new Error(`Font size ${size} pt is outside 6–24 pt.`);
  const margins = marginsForPageCount(0);
  const blockHeight = trim.height - margins.top - margins.bottom;
  const wanted = options.leading ?? size * 1.3;
  if (!(wanted >= size)) throw new Error(`Leading ${wanted} pt is less than the font size ${size} pt.`);
  const slots = Math.max(8, Math.round(blockHeight / wanted));
  const leading = blockHeight / slots;
  // The baseline sits so that ascenders stay below the slot's top and descenders above its bottom.
  const baseline = leading - (leading - size) / 2 - 0.22 * size;
  const ornament = ORNAMENTS.find((o) => metrics.canDraw(o, "regular")) ?? "* * *";
  const bullets = BULLETS.map((b) => (metrics.canDraw(b, "regular") ? b : "-"));
  return {
    trim,
    size,
    leading,
    slots,
    baseline,
    titlePage: options.titlePage ?? true,
    toc: options.toc ?? true,
    hyphenate: options.hyphenate ?? null,
    superscripts: metrics.canDraw(SUPERSCRIPT_DIGITS, "regular"),
    ornament,
    bullets,
    figureSpace: metrics.canDraw("\u2007", "regular"),
  };
}

/** Page count from the text's length alone, good enough to pick the first pass's gutter bracket. */
function estimatePages(model: BookModel, metrics: LayoutMetrics, s: Settings): number {
  const margins = marginsForPageCount(300);
  const measure = s.trim.width - margins.inside - margins.outside;
  let chars = 0;
  let paragraphs = 0;
  let figureLines = 0;
  const count = (blocks: Block[]): void => {
    for (const b of blocks) {
      if (b.type === "paragraph" || b.type === "heading") {
        paragraphs++;
        for (const r of b.runs) chars += r.text.length;
      } else if (b.type === "blockquote") count(b.blocks);
      else if (b.type === "list") for (const item of b.items) count(item);
      else if (b.type === "code") {
        paragraphs += b.text.split("\n").length;
        chars += b.text.length;
      } else if (b.type === "image") {
        if (b.image) figureLines += figureSlots(figureSize(b.image, measure, s.slots * s.leading * FIGURE_HEIGHT_SHARE).height, s.leading) + 2;
      } else paragraphs++;
    }
  };
  for (const c of model.chapters) {
    count(c.blocks);
    for (const n of c.notes) count(n);
  }
  const sample = "the quick brown fox jumps over a lazy dog, and then she said";
  const charWidth = metrics.width(sample, "regular", s.size) / sample.length;
  const lines = (chars * charWidth) / measure + paragraphs * 0.5 + figureLines;
  const perPage = s.slots - 2 - HEAD_GAP - FOOT_GAP;
  // An omnibus's books each add their page and its blank back.
  const parts = model.parts?.length ?? 0;
  return Math.ceil(lines / perPage + model.chapters.length * 1.25 + 4 + parts * 2);
}

// ---------------------------------------------------------------------------------------------------
// One pass at fixed margins

interface Frame {
  s: Settings;
  metrics: LayoutMetrics;
  margins: Margins;
  /** Width of the text block. */
  measure: number;
  /** First and last body slot on a text page. */
  firstSlot: number;
  lastSlot: number;
  nextParagraph: number;
  overfull: number;
  /** The picture each figure's first placeholder line stands for, and every placeholder line. */
  figures: Map<LaidLine, LaidFigure>;
  placeholders: Set<LaidLine>;
}

function layoutWithMargins(model: BookModel, metrics: LayoutMetrics, s: Settings, margins: Margins): PrintLayout {
  const frame: Frame = {
    s,
    metrics,
    margins,
    measure: s.trim.width - margins.inside - margins.outside,
    firstSlot: 1 + HEAD_GAP,
    lastSlot: s.slots - 2 - FOOT_GAP,
    nextParagraph: 0,
    overfull: 0,
    figures: new Map(),
    placeholders: new Set(),
  };
  const pages: LaidPage[] = [];
  const addPage = (kind: PageKind, chapter: number | null): LaidPage => {
    const page: LaidPage = { number: pages.length + 1, kind, chapter, lines: [], figures: [] };
    pages.push(page);
    return page;
  };

  if (s.titlePage) {
    titlePage(frame, model, addPage("title", null));
    addPage("blank", null);
  }
  // The contents pages are set before the chapters (their length does not depend on the page numbers,
  // which sit in a fixed column), and their numbers filled in once the chapters have pages.
  const contents = s.toc && model.chapters.length > 0 ? contentsPages(frame, model) : null;
  if (contents) {
    if (pages.length % 2 === 1) addPage("blank", null);
    for (const lines of contents.pages) addPage("contents", null).lines = lines;
  }

  const chapterPages: number[] = [];
  const parts = model.parts ?? [];
  const partPages: number[] = [];
  for (const [index, chapter] of model.chapters.entries()) {
    for (const [p, part] of parts.entries()) {
      if (part.start !== index) continue;
      // An omnibus's book opens on a recto with a page of its own, whose back is left blank.
      if (pages.length % 2 === 1) addPage("blank", null);
      partPages.push(pages.length + 1);
      const page = addPage("part", null);
      page.part = p;
      partTitlePage(frame, part, page);
    }
    if (pages.length % 2 === 1) addPage("blank", null);
    chapterPages.push(pages.length + 1);
    const part = partOfChapter(model, index);
    const flow = chapterFlow(frame, chapter);
    const opening = openingLines(frame, chapter);
    const placed = paginate(flow, opening.bodySlot, frame);
    placed.forEach((placedLines, i) => {
      const page = addPage(i === 0 ? "opening" : "text", index);
      if (part !== null) page.part = part;
      const { lines, figures } = takeFigures(frame, placedLines);
      page.lines = i === 0 ? [...opening.lines, ...lines] : lines;
      page.figures = figures;
    });
  }

  // The contents list an omnibus's books and chapters in reading order, so their pages interleave too.
  const entryPages = parts.length === 0 ? chapterPages : model.chapters.flatMap((_, i) => [...parts.flatMap((part, p) => (part.start === i ? [partPages[p]!] : [])), chapterPages[i]!]);
  if (contents) contents.fill(entryPages);
  for (const page of pages) finishPage(frame, model, page);
  return {
    trim: s.trim,
    margins,
    fontSize: s.size,
    leading: s.leading,
    slots: s.slots,
    pages,
    chapterPages,
    ...(parts.length > 0 ? { partPages } : {}),
    passes: 1,
    paddingPages: 0,
    overfullLines: frame.overfull,
  };
}

/** Puts a page's lines at their page position, and adds its running head and folio. */
function finishPage(f: Frame, model: BookModel, page: LaidPage): void {
  const recto = page.number % 2 === 1;
  const left = recto ? f.margins.inside : f.margins.outside;
  const top = f.s.trim.height - f.margins.top;
  // In an omnibus the recto's head is the book's title (and a verso without an omnibus author names the book's).
  const part = page.part === undefined ? null : (model.parts?.[page.part] ?? null);
  const head = page.kind === "text" ? runningHead(f, recto ? (part?.title ?? model.title) : (model.author ?? part?.author ?? model.title)) : null;
  if (head) page.lines.unshift(head);
  if (page.kind === "text" || page.kind === "opening") {
    page.lines.push(centred(f, "folio", [{ text: String(page.number), font: "regular" }], f.s.size, f.s.slots - 1)[0]!);
  }
  for (const line of page.lines) {
    line.x = left;
    line.y = top - line.slot * f.s.leading - f.s.baseline;
  }
  // A picture sits in the middle of its band of slots, which keeps equal space above and below it.
  for (const figure of page.figures) {
    figure.x = left + figure.offset;
    figure.y = top - (figure.slot + figure.slots) * f.s.leading + (figure.slots * f.s.leading - figure.height) / 2;
  }
}

/**
 * A page's pictures from the placeholder lines that held their slots in the flow; the placeholders go,
 * except a first one that carries a list item's bullet or a note's number.
 */
function takeFigures(f: Frame, placed: LaidLine[]): { lines: LaidLine[]; figures: LaidFigure[] } {
  const figures: LaidFigure[] = [];
  for (const l of placed) {
    const figure = f.figures.get(l);
    if (figure) figures.push({ ...figure, slot: l.slot });
  }
  return { lines: placed.filter((l) => !f.placeholders.has(l) || l.words.length > 0), figures };
}

/** The author (versos) or title (rectos) in italic, shortened with an ellipsis when it is wider than the page. */
function runningHead(f: Frame, text: string): LaidLine | null {
  const size = f.s.size;
  let head = text.trim().replace(/\s+/g, " ");
  if (f.metrics.width(head, "italic", size) > f.measure) {
    const ellipsis = f.metrics.canDraw("…", "italic") ? "…" : "...";
    const words = head.split(" ");
    while (words.length > 1 && f.metrics.width(`${words.join(" ")}${ellipsis}`, "italic", size) > f.measure) words.pop();
    head = `${words.join(" ")}${ellipsis}`;
  }
  return centred(f, "runningHead", [{ text: head, font: "italic" }], size, 0)[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------
// Front matter and chapter openings

function line(role: LineRole, size: number, slot: number, words: PlacedWord[], paragraph?: ParagraphPosition): LaidLine {
  return { role, size, x: 0, y: 0, slot, words, ...(paragraph ? { paragraph } : {}) };
}

/**
 * Centred lines, one every `step` slots from `slot`, broken ragged (display type is not hyphenated).
 * Returns one line per slot used.
 */
function centred(f: Frame, role: LineRole, runs: TextRun[], size: number, slot: number, step = 1): LaidLine[] {
  const lines = breakParagraph(runs, f.metrics.measurer(size), { lineWidth: f.measure, justify: false, hyphenate: null });
  return lines.map((l, i) => {
    const shift = Math.max(0, (f.measure - l.width) / 2);
    return line(role, size, slot + i * step, l.words.map((w) => ({ ...w, x: w.x + shift })));
  });
}

/** Slot of the chapter sink (and the title page's and contents page's titles). */
function sinkSlot(s: Settings): number {
  return Math.max(2, Math.round(s.slots * SINK_SHARE));
}

/** Display sizes take two slots a line when they are too big for one. */
function stepFor(s: Settings, size: number): number {
  return Math.max(1, Math.ceil((size * 1.15) / s.leading));
}

function titlePage(f: Frame, model: BookModel, page: LaidPage): void {
  const s = f.s;
  const size = s.size * BOOK_TITLE_SCALE;
  const title = centred(f, "bookTitle", [{ text: model.title.trim() || "Untitled", font: "regular" }], size, Math.round(s.slots * 0.3), stepFor(s, size));
  page.lines.push(...title);
  if (model.author) {
    const authorSize = s.size * BOOK_AUTHOR_SCALE;
    const after = (title.at(-1)?.slot ?? 0) + 3;
    page.lines.push(...centred(f, "bookAuthor", [{ text: model.author.trim(), font: "italic" }], authorSize, after, stepFor(s, authorSize)));
  }
}

/** An omnibus book's page: its label and title where the title page has the omnibus's, its author below when the books' differ. */
function partTitlePage(f: Frame, part: ModelPart, page: LaidPage): void {
  const s = f.s;
  const labelSize = s.size * BOOK_AUTHOR_SCALE;
  const label = centred(f, "partLabel", [{ text: part.label, font: "italic" }], labelSize, Math.max(0, Math.round(s.slots * 0.3) - 3), stepFor(s, labelSize));
  page.lines.push(...label);
  const size = s.size * BOOK_TITLE_SCALE;
  const title = centred(f, "partTitle", [{ text: part.title.trim() || "Untitled", font: "regular" }], size, (label.at(-1)?.slot ?? 0) + 3, stepFor(s, size));
  page.lines.push(...title);
  if (part.author) {
    const authorSize = s.size * BOOK_AUTHOR_SCALE;
    page.lines.push(...centred(f, "partAuthor", [{ text: part.author.trim(), font: "italic" }], authorSize, (title.at(-1)?.slot ?? 0) + 3, stepFor(s, authorSize)));
  }
}

/** The chapter's heading as the reader sees it (as the EPUB and text exports name chapters). */
export function chapterHeading(chapter: ModelChapter): string {
  const title = chapter.title.trim();
  if (title !== "") return title;
  return chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`;
}

/** "Chapter 3" above the title, unless the title already says it. */
function chapterLabel(chapter: ModelChapter): string | null {
  if (chapter.number === null) return null;
  const title = chapterHeading(chapter);
  if (new RegExp(`^(?:chapter\\s+)?${chapter.number}\\b`, "i").test(title) || /^chapter\b/i.test(title)) return null;
  return `Chapter ${chapter.number}`;
}

function openingLines(f: Frame, chapter: ModelChapter): { lines: LaidLine[]; bodySlot: number } {
  const s = f.s;
  const lines: LaidLine[] = [];
  let slot = sinkSlot(s);
  const label = chapterLabel(chapter);
  if (label) {
    lines.push(...centred(f, "chapterLabel", [{ text: label, font: "italic" }], s.size, slot));
    slot += 2;
  }
  const size = s.size * CHAPTER_TITLE_SCALE;
  const title = centred(f, "chapterTitle", [{ text: chapterHeading(chapter), font: "regular" }], size, slot, stepFor(s, size));
  lines.push(...title);
  const last = title.at(-1)?.slot ?? slot;
  return { lines, bodySlot: Math.min(last + 3, f.lastSlot - 1) };
}

/**
 * The contents: a title at the sink, then one entry per chapter with its page number right-aligned
 * after a row of dot leaders. The dots sit on a fixed pitch measured from the text block's edge, so
 * the leaders of every entry line up in columns. An omnibus lists each book, a blank line above it
 * (but the first), and its chapters indented under it.
 */
function contentsPages(f: Frame, model: BookModel): { pages: LaidLine[][]; fill: (pagesByEntry: number[]) => void } {
  const s = f.s;
  const size = s.size;
  const titleSize = s.size * CHAPTER_TITLE_SCALE;
  const numberColumn = f.metrics.width("0000", "regular", size) + size;
  const pages: LaidLine[][] = [];
  let page = centred(f, "contentsTitle", [{ text: "Contents", font: "regular" }], titleSize, sinkSlot(s), stepFor(s, titleSize));
  let slot = (page.at(-1)?.slot ?? 0) + 3;
  const lastLines: LaidLine[] = [];
  const parts = model.parts ?? [];
  const indent = parts.length === 0 ? 0 : INDENT_EM * size;
  const entries = model.chapters.flatMap((chapter, i) => [
    ...parts.filter((part) => part.start === i).map((part) => ({ text: part.title.trim() || "Untitled", left: 0, book: true })),
    { text: chapterHeading(chapter), left: indent, book: false },
  ]);
  for (const [i, entry] of entries.entries()) {
    const broken = breakParagraph([{ text: entry.text, font: "regular" }], f.metrics.measurer(size), {
      lineWidth: f.measure - numberColumn - entry.left,
      justify: false,
      hyphenate: null,
    });
    const gap = entry.book && i > 0 ? 1 : 0;
    // An entry is not split over two pages, and a book's entry brings its first chapter's first line along.
    if (slot + gap + broken.length - 1 + (entry.book ? 1 : 0) > f.lastSlot) {
      pages.push(page);
      page = [];
      slot = f.firstSlot;
    } else slot += gap;
    for (const l of broken) page.push(line("contentsEntry", size, slot++, entry.left === 0 ? l.words.slice() : l.words.map((w) => ({ ...w, x: w.x + entry.left }))));
    lastLines.push(page.at(-1)!);
  }
  pages.push(page);

  const fill = (pagesByEntry: number[]): void => {
    const pitch = size * 0.55;
    const dotWidth = f.metrics.width(".", "regular", size);
    lastLines.forEach((l, i) => {
      const number = String(pagesByEntry[i]);
      const numberWidth = f.metrics.width(number, "regular", size);
      const numberX = f.measure - numberWidth;
      const textEnd = l.words.reduce((end, w) => Math.max(end, w.x + w.width), 0);
      const dots: PlacedWord[] = [];
      for (let x = Math.ceil((textEnd + size * 0.6) / pitch) * pitch; x + dotWidth <= numberX - size * 0.5; x += pitch) {
        dots.push({ text: ".", font: "regular", x, width: dotWidth });
      }
      l.words.push(...dots, { text: number, font: "regular", x: numberX, width: numberWidth });
    });
  };
  return { pages, fill };
}

// ---------------------------------------------------------------------------------------------------
// Chapter text as a flow of paragraphs

/** A unit the paginator places: a paragraph's lines, or a display line such as a heading. */
interface FlowItem {
  lines: LaidLine[];
  /** May be split over two pages (under the widow and orphan rules). */
  splittable: boolean;
  /** Must share its page with the start of what follows (headings, scene breaks, list markers). */
  keepWithNext: boolean;
  /** A blank slot before it, dropped at the top of a page. */
  spaceBefore: boolean;
}

/** The chapter's items in order, with a blank slot owed to whatever comes next (after a quote or code). */
class Flow {
  readonly items: FlowItem[] = [];
  private spaceOwed = false;

  push(item: FlowItem): void {
    if (this.spaceOwed && this.items.length > 0) item.spaceBefore = true;
    this.spaceOwed = false;
    this.items.push(item);
  }

  /** Asks for a blank slot before the next item (none at the chapter's start). */
  space(): void {
    this.spaceOwed = this.items.length > 0;
  }
}

interface BlockContext {
  /** Left and right indents of the text, from the text block's edges. */
  left: number;
  right: number;
  /** Whether the next paragraph gets a first-line indent. */
  indentNext: boolean;
  listDepth: number;
  role: "body" | "note";
}

function chapterFlow(f: Frame, chapter: ModelChapter): FlowItem[] {
  const flow = new Flow();
  addBlocks(f, flow, chapter.blocks, { left: 0, right: 0, indentNext: false, listDepth: 0, role: "body" });
  if (chapter.notes.length > 0) addNotes(f, flow, chapter);
  return flow.items;
}

function runsOf(f: Frame, runs: Run[], bold = false): TextRun[] {
  return runs.map((run) => {
    if (run.note === undefined) return { text: run.text, font: faceFor(run, bold) };
    // A note reference: superscript figures from the font (they keep the line's spacing and read back
    // as superscripts); a font without them gets the number in brackets.
    const text = f.s.superscripts ? [...String(run.note)].map((d) => SUPERSCRIPT_DIGITS[Number(d)]).join("") : `[${run.note}]`;
    return { text, font: "regular" };
  });
}

function paragraphItem(f: Frame, lines: Line[], role: LineRole, size: number, left: number): FlowItem {
  const id = f.nextParagraph++;
  const laid = lines.map((l, i) => {
    if (l.overfull) f.overfull++;
    const words = left === 0 ? l.words : l.words.map((w) => ({ ...w, x: w.x + left }));
    return line(role, size, 0, words, { id, line: i, lines: lines.length });
  });
  return { lines: laid, splittable: true, keepWithNext: false, spaceBefore: false };
}

/** A marker (bullet, number) hung in the indent before the first line of what was added from `start`. */
function hangMarker(f: Frame, flow: Flow, start: number, marker: string, textLeft: number, role: LineRole): void {
  const em = f.s.size;
  const width = f.metrics.width(marker, "regular", f.s.size);
  const word: PlacedWord = { text: marker, font: "regular", x: textLeft - MARKER_GAP_EM * em - width, width };
  const opening = flow.items[start];
  const first = opening?.lines[0];
  if (first && (first.role === "body" || first.role === "note" || first.role === "code")) {
    first.words.unshift(word);
    return;
  }
  if (first?.role === "figure") {
    // An item that opens with a picture: the marker stands beside the picture's first slot.
    first.role = role;
    first.words.push(word);
    return;
  }
  // An empty item, or one that opens with a heading: the marker gets a line of its own, and the blank
  // slot owed before the heading comes before the marker instead.
  const item: FlowItem = { lines: [line(role, f.s.size, 0, [word])], splittable: false, keepWithNext: start < flow.items.length, spaceBefore: opening?.spaceBefore ?? false };
  if (opening) opening.spaceBefore = false;
  flow.items.splice(start, 0, item);
}

/**
 * A picture's printed size: its pixels at FIGURE_DPI, shrunk (never enlarged) to fit `maxWidth` and
 * `maxHeight`, keeping its proportions.
 */
export function figureSize(image: Pick<ModelImage, "width" | "height">, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const width = (image.width * 72) / FIGURE_DPI;
  const height = (image.height * 72) / FIGURE_DPI;
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: width * scale, height: height * scale };
}

/** Whole grid slots a picture `height` points tall takes (at least one). */
function figureSlots(height: number, leading: number): number {
  return Math.max(1, Math.ceil(height / leading - 1e-9));
}

/**
 * A picture as one unsplittable flow item: as many empty placeholder lines as it takes slots, with a
 * blank slot owed before and after it. Centred between the context's indents; no taller than
 * FIGURE_HEIGHT_SHARE of the text block, nor than a text page's body.
 */
function addFigure(f: Frame, flow: Flow, image: ModelImage, alt: string, c: BlockContext): void {
  const s = f.s;
  const width = f.measure - c.left - c.right;
  const bodySlots = f.lastSlot - f.firstSlot + 1;
  const maxHeight = Math.min(s.slots * s.leading * FIGURE_HEIGHT_SHARE, bodySlots * s.leading);
  const size = figureSize(image, Math.max(1, width), maxHeight);
  const slots = Math.min(bodySlots, figureSlots(size.height, s.leading));
  const lines = Array.from({ length: slots }, () => line("figure", s.size, 0, []));
  for (const l of lines) f.placeholders.add(l);
  f.figures.set(lines[0]!, { image, alt, slot: 0, slots, ...size, offset: c.left + (width - size.width) / 2, x: 0, y: 0 });
  flow.space();
  flow.push({ lines, splittable: false, keepWithNext: false, spaceBefore: false });
  flow.space();
}

function addBlocks(f: Frame, flow: Flow, blocks: Block[], c: BlockContext): void {
  const s = f.s;
  const em = s.size;
  const width = f.measure - c.left - c.right;
  for (const block of blocks) {
    switch (block.type) {
      case "paragraph": {
        const lines = breakParagraph(runsOf(f, block.runs), f.metrics.measurer(s.size), {
          lineWidth: width,
          firstLineIndent: c.indentNext ? INDENT_EM * em : 0,
          hyphenate: s.hyphenate,
        });
        if (lines.length > 0) flow.push(paragraphItem(f, lines, c.role, s.size, c.left));
        c.indentNext = true;
        break;
      }
      case "heading": {
        // Headings inside a chapter: bold, centred for the top two levels, flush left below them.
        const broken = breakParagraph(runsOf(f, block.runs, true), f.metrics.measurer(s.size), { lineWidth: width, justify: false, hyphenate: null });
        const centre = block.depth <= 2;
        const laid = broken.map((l) => {
          const shift = c.left + (centre ? Math.max(0, (width - l.width) / 2) : 0);
          return line("heading", s.size, 0, l.words.map((w) => ({ ...w, x: w.x + shift })));
        });
        flow.space();
        if (laid.length > 0) flow.push({ lines: laid, splittable: false, keepWithNext: true, spaceBefore: false });
        c.indentNext = false;
        break;
      }
      case "sceneBreak": {
        // A slot of its own with a centred ornament, which (unlike a bare blank line) still shows at a page break.
        const ornament = centred(f, "sceneBreak", [{ text: s.ornament, font: "regular" }], s.size, 0)[0]!;
        flow.push({ lines: [ornament], splittable: false, keepWithNext: true, spaceBefore: false });
        c.indentNext = false;
        break;
      }
      case "blockquote": {
        flow.space();
        addBlocks(f, flow, block.blocks, { ...c, left: c.left + QUOTE_INDENT_EM * em, right: c.right + QUOTE_INDENT_EM * em, indentNext: false });
        flow.space();
        c.indentNext = false;
        break;
      }
      case "list":
        addList(f, flow, block, c);
        // Text after a list (or a quote, or code) goes on flush left, as the paragraph it interrupted.
        c.indentNext = false;
        break;
      case "code": {
        // Code keeps its line breaks and its indentation (as figure spaces, which the breaker keeps).
        const text = block.text
          .split("\n")
          .map((l) => (s.figureSpace ? l.replace(/^ +/, (m) => "\u2007".repeat(m.length)) : l))
          .join("\n");
        const indent = CODE_INDENT_EM * em;
        const lines = breakParagraph([{ text, font: "regular" }], f.metrics.measurer(s.size), { lineWidth: width - indent, justify: false, hyphenate: null });
        flow.space();
        if (lines.length > 0) flow.push(paragraphItem(f, lines, "code", s.size, c.left + indent));
        flow.space();
        c.indentNext = false;
        break;
      }
      case "image":
        // A picture the model could not find has nothing to show.
        if (block.image) {
          addFigure(f, flow, block.image, block.alt, c);
          c.indentNext = false;
        }
        break;
    }
  }
}

function addList(f: Frame, flow: Flow, list: Extract<Block, { type: "list" }>, c: BlockContext): void {
  const s = f.s;
  const em = s.size;
  const markers = list.items.map((_, i) => (list.ordered ? `${list.start + i}.` : s.bullets[Math.min(c.listDepth, s.bullets.length - 1)]!));
  const widest = Math.max(...markers.map((m) => f.metrics.width(m, "regular", s.size)));
  // The text hangs at a fixed indent, wider when the numbers need it ("10." in a long list).
  const textLeft = c.left + Math.max(LIST_INDENT_EM * em, widest + (MARKER_GAP_EM + 0.3) * em);
  list.items.forEach((blocks, i) => {
    const start = flow.items.length;
    // Every paragraph of an item starts flush with the item's text.
    for (const block of blocks) addBlocks(f, flow, [block], { ...c, left: textLeft, indentNext: false, listDepth: c.listDepth + 1 });
    hangMarker(f, flow, start, markers[i]!, textLeft, c.role);
  });
}

/** The chapter's notes as endnotes: a "Notes" heading, then each note numbered in the indent. */
function addNotes(f: Frame, flow: Flow, chapter: ModelChapter): void {
  const s = f.s;
  const em = s.size;
  flow.space();
  flow.push({ lines: centred(f, "notesHeading", [{ text: "Notes", font: "italic" }], s.size, 0), splittable: false, keepWithNext: true, spaceBefore: false });
  const widest = f.metrics.width(`${chapter.notes.length}.`, "regular", s.size);
  const textLeft = Math.max(LIST_INDENT_EM * em, widest + (MARKER_GAP_EM + 0.3) * em);
  chapter.notes.forEach((note, i) => {
    const start = flow.items.length;
    for (const block of note) addBlocks(f, flow, [block], { left: textLeft, right: 0, indentNext: false, listDepth: 0, role: "note" });
    hangMarker(f, flow, start, `${i + 1}.`, textLeft, "note");
  });
}

// ---------------------------------------------------------------------------------------------------
// Pagination

/**
 * How many of a `lines`-line paragraph's lines go on a page with `room` slots left: all that fit, less
 * one when only the last line would be left over (a widow), and none when only the first would fit (an
 * orphan). A paragraph that cannot be split either way moves to the next page whole.
 */
export function linesToPlace(lines: number, room: number): number {
  if (room >= lines) return lines;
  let n = room;
  if (lines - n < 2) n = lines - 2;
  return n < 2 ? 0 : n;
}

/**
 * Whether flow item `i` can start on a page with `room` slots left: all of it, or (for a paragraph) a
 * split the widow and orphan rules allow; an item kept with the next must bring the next one's start.
 */
function canStart(flow: FlowItem[], i: number, room: number, top: boolean): boolean {
  const item = flow[i];
  if (!item) return true;
  const r = room - (item.spaceBefore && !top ? 1 : 0);
  if (item.keepWithNext) return item.lines.length <= r && (i + 1 >= flow.length || canStart(flow, i + 1, r - item.lines.length, false));
  if (item.splittable) return linesToPlace(item.lines.length, r) > 0;
  return item.lines.length <= r;
}

/**
 * Fills pages with the chapter's flow: the first page (the opening) from `firstSlot`, the others from
 * the text block's first body slot. A page may end a line or two short to keep a paragraph's first
 * or last line company, or several short to move a picture whole to the next; the lines it has still
 * sit on the grid. Returns each page's lines.
 */
function paginate(flow: FlowItem[], firstSlot: number, f: Frame): LaidLine[][] {
  const pages: LaidLine[][] = [];
  let page: LaidLine[] = [];
  let slot = firstSlot;
  const newPage = (): void => {
    pages.push(page);
    page = [];
    slot = f.firstSlot;
  };
  const room = (): number => f.lastSlot - slot + 1;
  const put = (l: LaidLine): void => {
    l.slot = slot++;
    page.push(l);
  };

  for (let i = 0; i < flow.length; i++) {
    const item = flow[i]!;
    // The opening page's body starts below the chapter's title, so even its first item may not fit there
    // (a picture taller than the rest of the page, and a heading or scene break kept with it).
    const fresh = page.length === 0 && slot === f.firstSlot;
    if (!fresh && !canStart(flow, i, room(), page.length === 0)) newPage();
    if (item.spaceBefore && page.length > 0) slot++;
    if (!item.splittable) {
      // Only display lines taller than a whole page would need this.
      for (const l of item.lines) {
        if (room() <= 0) newPage();
        put(l);
      }
      continue;
    }
    let rest = item.lines;
    while (rest.length > 0) {
      let n = linesToPlace(rest.length, room());
      // A fresh page too short for any legal split (a tiny trim at a huge size) takes what fits.
      if (n === 0) n = Math.max(1, Math.min(rest.length, room()));
      for (const l of rest.slice(0, n)) put(l);
      rest = rest.slice(n);
      if (rest.length > 0) newPage();
    }
  }
  pages.push(page);
  return pages;
}
