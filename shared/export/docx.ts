/**
 * The book model as Word documents, in two layouts: a manuscript in standard manuscript format (what
 * agents and editors ask for: US Letter, 12 pt Times New Roman or Courier, double spaced, a title page
 * with the word count, a running header) and a book interior (trim-size pages, a title page, a filled-in
 * table of contents, justified text, page numbers), ready to be styled further in Word.
 *
 * The `docx` package writes the body, the footnotes, the headers and footers and the table of
 * contents; the styles, settings and core properties are written here as XML and handed to it as
 * overrides. That keeps every look in *named styles* ("Body Text", "First Paragraph", "Heading 1", …)
 * that a writer can change once in Word, rather than formatting each paragraph, and lets the settings
 * hold what `docx` has no option for (mirrored margins). No Node built-ins: this runs on Obsidian
 * mobile, and `Packer.pack(…, "uint8array")` needs no Buffer.
 */
import {
  Bookmark,
  Document,
  FootnoteReferenceRun,
  Footer,
  Header,
  InternalHyperlink,
  Packer,
  PageNumber,
  Paragraph,
  SectionType,
  Tab,
  TableOfContents,
  TextRun,
  type FileChild,
  type ISectionOptions,
  type ParagraphChild,
} from "docx";
import { modelWordCount, type Block, type BookModel, type ModelChapter, type Run } from "./book-model";
import { escapeXml } from "./epub";

export interface ManuscriptDocxOptions {
  /** Contact block lines shown top-left on the title page (name, address, email, phone, agent). @default [author] */
  contact?: string[];
  /** Surname used in the running header. @default the last word of the author's name, else "Anonymous" */
  surname?: string;
  /** Keyword from the title for the running header. @default the title's longest word */
  keyword?: string;
  /** @default "Times New Roman" */
  font?: "Times New Roman" | "Courier New";
}

export interface BookDocxOptions {
  /** The body font's name, as Word knows it. @default "Georgia" */
  font?: string;
  /** Body text size in points (rounded to the half point Word stores). @default 11.5 */
  fontSizePt?: number;
  /** A title page with the title and author. @default true */
  titlePage?: boolean;
  /** A table of contents, filled in with the chapter titles. @default true */
  toc?: boolean;
  /** The page (trim) size in inches. @default 6 × 9 */
  trim?: { widthIn: number; heightIn: number };
}

/** Twips (twentieths of a point) per inch: every length in WordprocessingML is in twips. */
const INCH = 1440;
const W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

// ---------------------------------------------------------------------------------------------------
// Manuscript

const LETTER = { width: 8.5 * INCH, height: 11 * INCH };
/** Double spacing: `line` is in 240ths of a line when the rule is "auto". */
const DOUBLE = 480;
const SINGLE = 240;
/** Word's single line for 12 pt Times New Roman or Courier New, to place the title page's title. */
const MANUSCRIPT_SINGLE_LINE = 276;

/** `about 122,000 words`: to the nearest 1,000 from 20,000 words, to the nearest 100 below that, never under 100. */
export function manuscriptWordCount(words: number): string {
  const n = Number.isFinite(words) ? Math.max(0, words) : 0;
  const step = n >= 20_000 ? 1000 : 100;
  const rounded = Math.max(100, Math.round(n / step) * step);
  return `about ${String(rounded).replace(/\B(?=(\d{3})+$)/g, ",")} words`;
}

export async function toManuscriptDocx(model: BookModel, options: ManuscriptDocxOptions = {}): Promise<Uint8Array> {
  const lang = language(model);
  const title = clean(model.title).trim() || "Untitled";
  const author = clean(model.author ?? "").trim();
  const font = options.font ?? "Times New Roman";
  const surname = clean(options.surname ?? "").trim() || lastWord(author) || "Anonymous";
  const keyword = clean(options.keyword ?? "").trim() || titleKeyword(title);
  const contact = (options.contact ?? (author ? [author] : [])).map((line) => clean(line).replace(/\s+/g, " ").trim());

  const margin = { top: INCH, bottom: INCH, left: INCH, right: INCH, header: INCH / 2, footer: INCH / 2 };
  const textWidth = LETTER.width - margin.left - margin.right;
  const page = { size: LETTER, margin };

  // The title page: contact block top left, word count on its first line at the right margin, then the
  // title and byline centred about halfway down. It is a section of its own, so it has no header and
  // the manuscript's pages are numbered from the first page of text.
  const titlePage: Paragraph[] = [];
  const wordCount = manuscriptWordCount(modelWordCount(model));
  const lines = contact.length > 0 ? contact : [""];
  lines.forEach((line, i) => {
    const children: ParagraphChild[] = [new TextRun(line)];
    if (i === 0) children.push(new TextRun({ children: [new Tab(), wordCount] }));
    titlePage.push(new Paragraph({ style: "Contact", children }));
  });
  const halfway = (LETTER.height / 2 - margin.top) - lines.length * MANUSCRIPT_SINGLE_LINE - DOUBLE;
  titlePage.push(new Paragraph({ style: "Title", spacing: { before: Math.max(DOUBLE, Math.round(halfway)) }, children: [new TextRun(title)] }));
  if (author) titlePage.push(new Paragraph({ style: "Byline", children: [new TextRun(`by ${author}`)] }));

  const writer = new BodyWriter(MANUSCRIPT_LOOK);
  const header = new Header({
    children: [new Paragraph({ style: "Header", children: [new TextRun({ children: [`${surname} / ${keyword} / `, PageNumber.CURRENT] })] })],
  });
  const sections: ISectionOptions[] = [
    { properties: { page }, children: titlePage },
    {
      properties: { type: SectionType.NEXT_PAGE, page: { ...page, pageNumbers: { start: 1 } } },
      headers: { default: header },
      children: writer.chapters(model.chapters),
    },
  ];
  return pack(new Document({ sections }), {
    styles: manuscriptStyles(font, lang, textWidth),
    settings: settingsXml({ lang, mirrorMargins: false, hyphenate: false }),
    core: coreXml(title, author, lang),
  });
}

const MANUSCRIPT_LOOK: Look = { listStep: INCH / 2, listHang: INCH / 4, sceneBreak: "#", quoteIndent: INCH / 2 };

function manuscriptStyles(font: string, lang: string, textWidth: number): string {
  const code = "Courier New";
  return stylesXml({ font, halfPoints: 24, lang, line: DOUBLE }, [
    { id: "Normal", name: "Normal", type: "paragraph", isDefault: true, pPr: { widowControl: true, suppressAutoHyphens: true, jc: "left" } },
    { id: "BodyText", name: "Body Text", basedOn: "Normal", next: "BodyText", pPr: { ind: { firstLine: INCH / 2 } } },
    // Manuscripts indent every paragraph, the first of a chapter too; the style exists so the writer's
    // paragraphs map one to one onto the book layout's.
    { id: "FirstParagraph", name: "First Paragraph", basedOn: "BodyText", next: "BodyText" },
    {
      id: "Heading1",
      name: "heading 1",
      basedOn: "Normal",
      next: "FirstParagraph",
      // A chapter opens on a new page, its title about a third of the way down.
      pPr: { keepNext: true, keepLines: true, pageBreakBefore: true, spacing: { before: 3360, after: DOUBLE }, jc: "center", outline: 0 },
    },
    ...subheadings({ keepNext: true, keepLines: true, spacing: { before: 0, after: 0 }, jc: "left" }, { b: true }),
    { id: "SceneBreak", name: "Scene Break", basedOn: "Normal", next: "FirstParagraph", pPr: { jc: "center" } },
    { id: "BlockQuote", name: "Block Quote", basedOn: "Normal", next: "BodyText", pPr: { ind: { left: MANUSCRIPT_LOOK.quoteIndent, right: MANUSCRIPT_LOOK.quoteIndent } } },
    { id: "ListItem", name: "List Item", basedOn: "Normal", next: "ListItem" },
    { id: "SourceCode", name: "Source Code", basedOn: "Normal", next: "BodyText", pPr: { spacing: { line: SINGLE, after: SINGLE } }, rPr: { font: code } },
    { id: "Contact", name: "Contact", basedOn: "Normal", pPr: { tabs: [{ val: "right", pos: textWidth }], spacing: { line: SINGLE } } },
    { id: "Title", name: "Title", basedOn: "Normal", next: "Byline", pPr: { keepNext: true, jc: "center" } },
    { id: "Byline", name: "Byline", basedOn: "Normal", pPr: { jc: "center" } },
    { id: "Header", name: "header", basedOn: "Normal", pPr: { spacing: { line: SINGLE }, jc: "right" } },
    { id: "Footer", name: "footer", basedOn: "Normal", pPr: { spacing: { line: SINGLE }, jc: "center" } },
    { id: "FootnoteText", name: "footnote text", basedOn: "Normal", pPr: { spacing: { line: SINGLE, after: 120 } } },
    ...CHARACTER_STYLES,
  ]);
}

/** The header's keyword: the title's longest word (the first of equals), as agents file manuscripts by it. */
function titleKeyword(title: string): string {
  const words = title.match(/[\p{L}\p{N}](?:[\p{L}\p{N}'’-]*[\p{L}\p{N}])?/gu) ?? [];
  let best = "";
  for (const word of words) if ([...word].length > [...best].length) best = word;
  return best || "Untitled";
}

function lastWord(name: string): string {
  const words = name.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "")).filter((w) => w !== "");
  return words.at(-1) ?? "";
}

// ---------------------------------------------------------------------------------------------------
// Book

export async function toBookDocx(model: BookModel, options: BookDocxOptions = {}): Promise<Uint8Array> {
  const lang = language(model);
  const title = clean(model.title).trim() || "Untitled";
  const author = clean(model.author ?? "").trim();
  const font = clean(options.font ?? "").trim() || "Georgia";
  const sizePt = options.fontSizePt ?? 11.5;
  if (!Number.isFinite(sizePt) || sizePt < 6 || sizePt > 36) throw new Error(`A book's font size must be between 6 and 36 points, not ${sizePt}.`);
  const trim = options.trim ?? { widthIn: 6, heightIn: 9 };
  if (![trim.widthIn, trim.heightIn].every((v) => Number.isFinite(v) && v >= 3 && v <= 22)) {
    throw new Error(`A trim size must be between 3 and 22 inches each way, not ${trim.widthIn} × ${trim.heightIn}.`);
  }

  const size = { width: Math.round(trim.widthIn * INCH), height: Math.round(trim.heightIn * INCH) };
  // Print margins for a 6 × 9 in book, the inside (gutter) side wider than the outside; mirrored in the
  // settings so a left-hand page has its wide margin on the right. Smaller pages scale them down.
  const scale = Math.min(1, trim.widthIn / 6, trim.heightIn / 9);
  const m = (inches: number): number => Math.round(inches * INCH * scale);
  const margin = { top: m(0.75), bottom: m(0.8), left: m(0.875), right: m(0.625), header: m(0.4), footer: m(0.4) };
  const page = { size, margin };
  const textHeight = size.height - margin.top - margin.bottom;

  const front: FileChild[] = [];
  if (options.titlePage ?? true) {
    front.push(new Paragraph({ style: "Title", children: [new TextRun(title)] }));
    if (author) front.push(new Paragraph({ style: "Byline", children: [new TextRun(author)] }));
  }
  if ((options.toc ?? true) && model.chapters.length > 0) {
    front.push(new Paragraph({ style: "TOCHeading", pageBreakBefore: front.length > 0, children: [new TextRun("Contents")] }));
    front.push(tableOfContents(model.chapters));
  }

  const writer = new BodyWriter(BOOK_LOOK);
  const footer = new Footer({ children: [new Paragraph({ style: "Footer", children: [new TextRun({ children: [PageNumber.CURRENT] })] })] });
  const body: ISectionOptions = {
    properties: { ...(front.length > 0 ? { type: SectionType.NEXT_PAGE } : {}), page: { ...page, pageNumbers: { start: 1 } } },
    footers: { default: footer },
    children: writer.chapters(model.chapters),
  };
  const sections: ISectionOptions[] = front.length > 0 ? [{ properties: { page }, children: front }, body] : [body];
  return pack(new Document({ sections }), {
    styles: bookStyles(font, Math.round(sizePt * 2), lang, size.width - margin.left - margin.right, textHeight),
    settings: settingsXml({ lang, mirrorMargins: true, hyphenate: true }),
    core: coreXml(title, author, lang),
  });
}

/** 0.3 in steps for lists and quotes: about two of the body's em. */
const BOOK_LOOK: Look = { listStep: 432, listHang: 288, sceneBreak: "* * *", quoteIndent: 432 };

/**
 * The table of contents, filled in with an entry per chapter, each a link to the chapter's title. It is
 * written clean (not dirty), so Word shows it as it is instead of asking to update fields. The entries
 * carry no page numbers: where a chapter's page falls is Word's to work out, and Word's Update Table
 * (it keeps the TOC field) adds them. docx can estimate them (`estimatePageNumbers`), but laying out a
 * novel that way takes it 15–20 s, and its PAGEREF fields are written dirty, which makes Word ask.
 */
function tableOfContents(chapters: ModelChapter[]): TableOfContents {
  const entries = chapters.map((chapter, i) => new Paragraph({ style: "TOC1", children: [new InternalHyperlink({ anchor: chapterBookmark(i), children: textRuns(chapterHeading(chapter)) })] }));
  return new TableOfContents("Contents", { hyperlink: true, headingStyleRange: "1-1", beginDirty: false, contentChildren: entries });
}

/** Word names the bookmarks its contents link to `_Toc…`; the underscore hides them from its Bookmark list. */
function chapterBookmark(index: number): string {
  return `_TocChapter${index + 1}`;
}

function bookStyles(font: string, halfPoints: number, lang: string, textWidth: number, textHeight: number): string {
  const pt = halfPoints / 2;
  const em = Math.round(pt * 20);
  const half = Math.round(em / 2);
  const size = (factor: number): number => Math.round(halfPoints * factor);
  return stylesXml({ font, halfPoints, lang, line: 264 }, [
    { id: "Normal", name: "Normal", type: "paragraph", isDefault: true, pPr: { widowControl: true, jc: "left" } },
    // Printed fiction: justified, indented by about 1.5 em, except the first paragraph of a chapter or scene.
    { id: "BodyText", name: "Body Text", basedOn: "Normal", next: "BodyText", pPr: { ind: { firstLine: Math.round(em * 1.5) }, jc: "both" } },
    { id: "FirstParagraph", name: "First Paragraph", basedOn: "BodyText", next: "BodyText", pPr: { ind: { firstLine: 0 } } },
    {
      id: "Heading1",
      name: "heading 1",
      basedOn: "Normal",
      next: "FirstParagraph",
      pPr: { keepNext: true, keepLines: true, pageBreakBefore: true, suppressAutoHyphens: true, spacing: { before: Math.round(textHeight * 0.18), after: em * 3 }, jc: "center", outline: 0 },
      rPr: { sz: size(1.6) },
    },
    ...subheadings({ keepNext: true, keepLines: true, suppressAutoHyphens: true, spacing: { before: em * 2, after: em }, jc: "center" }, { i: true }),
    { id: "SceneBreak", name: "Scene Break", basedOn: "Normal", next: "FirstParagraph", pPr: { keepNext: true, spacing: { before: em, after: em }, jc: "center" } },
    {
      id: "BlockQuote",
      name: "Block Quote",
      basedOn: "BodyText",
      next: "BodyText",
      pPr: { spacing: { before: half, after: half }, contextualSpacing: true, ind: { left: BOOK_LOOK.quoteIndent, right: BOOK_LOOK.quoteIndent, firstLine: 0 } },
    },
    // Space around a list, none between its items (contextual spacing).
    { id: "ListItem", name: "List Item", basedOn: "Normal", next: "ListItem", pPr: { spacing: { before: half, after: half }, contextualSpacing: true } },
    { id: "SourceCode", name: "Source Code", basedOn: "Normal", next: "BodyText", pPr: { spacing: { line: SINGLE, before: half, after: half } }, rPr: { font: "Courier New", sz: size(0.85) } },
    { id: "Title", name: "Title", basedOn: "Normal", next: "Byline", pPr: { keepNext: true, suppressAutoHyphens: true, spacing: { before: Math.round(textHeight * 0.25), after: em * 2 }, jc: "center" }, rPr: { sz: size(2.4) } },
    { id: "Byline", name: "Byline", basedOn: "Normal", pPr: { suppressAutoHyphens: true, jc: "center" }, rPr: { sz: size(1.3) } },
    {
      id: "TOCHeading",
      name: "TOC Heading",
      basedOn: "Normal",
      next: "TOC1",
      pPr: { keepNext: true, suppressAutoHyphens: true, spacing: { before: Math.round(textHeight * 0.18), after: em * 3 }, jc: "center" },
      rPr: { sz: size(1.6) },
    },
    // The tab stop is where Word's Update Table puts the page numbers.
    { id: "TOC1", name: "toc 1", basedOn: "Normal", next: "Normal", uiPriority: 39, pPr: { tabs: [{ val: "right", pos: textWidth, leader: "dot" }], suppressAutoHyphens: true, spacing: { after: half } } },
    { id: "Footer", name: "footer", basedOn: "Normal", pPr: { jc: "center" } },
    { id: "FootnoteText", name: "footnote text", basedOn: "Normal", pPr: { spacing: { line: SINGLE, after: 60 }, jc: "both" }, rPr: { sz: size(0.82) } },
    ...CHARACTER_STYLES,
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Body

/** What differs between the two layouts' bodies; everything else is in their styles. */
interface Look {
  /** Twips each list level indents its text by. */
  listStep: number;
  /** Twips the marker hangs to the left of an item's text. */
  listHang: number;
  sceneBreak: string;
  /** The Block Quote style's indent on each side, so nested quotes add to it. */
  quoteIndent: number;
}

/** Where a block is being written: its indents, whether it is in a quote, and the footnote it is in. */
interface Place {
  left: number;
  right: number;
  quote: boolean;
  note: NoteMarks | null;
}

const TOP: Place = { left: 0, right: 0, quote: false, note: null };
const BULLETS = ["•", "◦", "▪"];

class BodyWriter {
  private chapter: ModelChapter | null = null;
  constructor(private readonly look: Look) {}

  chapters(chapters: ModelChapter[]): Paragraph[] {
    const out: Paragraph[] = [];
    for (const [i, chapter] of chapters.entries()) {
      this.chapter = chapter;
      out.push(new Paragraph({ style: "Heading1", children: [new Bookmark({ id: chapterBookmark(i), children: textRuns(chapterHeading(chapter)) })] }));
      this.blocks(chapter.blocks, TOP, out, true);
    }
    // A body must hold a paragraph, even for a book with no chapters.
    if (out.length === 0) out.push(new Paragraph({ style: "BodyText" }));
    return out;
  }

  /** `opening`: the next paragraph opens a chapter or scene, so it is not indented. */
  private blocks(blocks: Block[], place: Place, out: Paragraph[], opening: boolean): void {
    let first = opening;
    for (const block of blocks) {
      this.block(block, place, out, first);
      first = block.type === "heading" || block.type === "sceneBreak";
    }
  }

  private block(block: Block, place: Place, out: Paragraph[], first: boolean, lead: ParagraphChild[] = []): void {
    switch (block.type) {
      case "paragraph": {
        const style = place.note ? "FootnoteText" : place.quote ? "BlockQuote" : first ? "FirstParagraph" : "BodyText";
        out.push(new Paragraph({ style, ...this.indent(place, style), children: [...lead, ...this.runs(block.runs, place)] }));
        return;
      }
      case "heading":
        // The chapter title is Heading 1, so the writer's `#` sits one level below it. Notes have no
        // headings; one there is a bold line.
        if (place.note) out.push(new Paragraph({ style: "FootnoteText", ...this.indent(place, "FootnoteText"), children: [...lead, ...this.runs(block.runs.map((r) => ({ ...r, bold: true })), place)] }));
        else out.push(new Paragraph({ style: `Heading${Math.min(6, Math.max(2, block.depth + 1))}`, ...this.indent(place, ""), children: [...lead, ...this.runs(block.runs, place)] }));
        return;
      case "code": {
        const runs = clean(block.text)
          .split("\n")
          .map((line, i) => new TextRun({ text: line, ...(i > 0 ? { break: 1 } : {}) }));
        out.push(new Paragraph({ style: "SourceCode", ...this.indent(place, "SourceCode"), children: [...lead, ...runs] }));
        return;
      }
      default:
        break;
    }
    // Blocks that hold other blocks, or no text: a leading mark (a footnote's) gets a paragraph of its own.
    if (lead.length > 0) out.push(new Paragraph({ style: place.note ? "FootnoteText" : "BodyText", children: lead }));
    if (block.type === "sceneBreak") out.push(new Paragraph({ style: "SceneBreak", children: [new TextRun(this.look.sceneBreak)] }));
    else if (block.type === "blockquote") {
      const q = this.look.quoteIndent;
      this.blocks(block.blocks, { ...place, left: place.left + q, right: place.right + q, quote: true }, out, true);
    } else if (block.type === "list") this.list(block, place, out, 0);
  }

  /**
   * A list is written as paragraphs that carry their marker as text, with a hanging indent the marker
   * sits in: it looks the same in every application, survives copy and paste, and a writer's numbers
   * (a list starting at 3) stay as written. Nested lists step further in.
   */
  private list(list: Extract<Block, { type: "list" }>, place: Place, out: Paragraph[], depth: number): void {
    const left = place.left + this.look.listStep;
    const style = place.note ? "FootnoteText" : "ListItem";
    const right = place.right > 0 ? { right: place.right } : {};
    const inner: Place = { ...place, left };
    for (const [i, item] of list.items.entries()) {
      const marker: ParagraphChild[] = [new TextRun({ children: [list.ordered ? `${list.start + i}.` : BULLETS[depth % BULLETS.length]!, new Tab()] })];
      const head = item[0]?.type === "paragraph" ? item[0] : null;
      // LibreOffice drops the hanging indent of the first such paragraph in a footnote, so there the
      // marker's line is indented instead (a wrapped line then starts under the marker, not the text).
      const indent = place.note ? { left: left - this.look.listHang, ...right } : { left, hanging: this.look.listHang, ...right };
      out.push(new Paragraph({ style, indent, tabStops: [{ type: "left", position: left }], children: [...marker, ...(head ? this.runs(head.runs, inner) : [])] }));
      for (const block of head ? item.slice(1) : item) {
        if (block.type === "list") this.list(block, inner, out, depth + 1);
        else if (block.type === "paragraph") out.push(new Paragraph({ style, indent: { left, firstLine: 0, ...right }, children: this.runs(block.runs, inner) }));
        else this.block(block, inner, out, true);
      }
    }
  }

  /** Direct indents only where the place differs from what the style gives. */
  private indent(place: Place, style: string): { indent?: { left: number; right: number; firstLine?: number } } {
    const q = this.look.quoteIndent;
    const base = style === "BlockQuote" ? { left: q, right: q } : { left: 0, right: 0 };
    if (place.left === base.left && place.right === base.right) return {};
    return { indent: { left: place.left, right: place.right, firstLine: 0 } };
  }

  private runs(runs: Run[], place: Place): ParagraphChild[] {
    const out: ParagraphChild[] = [];
    for (const run of runs) {
      if (run.note === undefined) {
        out.push(...textRuns(run.text, { italics: run.italic === true, bold: run.bold === true }));
        continue;
      }
      if (!this.chapter?.notes[run.note - 1]) continue;
      if (!place.note) out.push(new FootnoteReferenceRun({ children: this.footnote(run.note) }));
      else {
        const mark = place.note.refer(run.note);
        if (mark !== null) out.push(new TextRun({ text: mark, superScript: true }));
      }
    }
    return out;
  }

  /**
   * A footnote's paragraphs. Each reference in the text gets a footnote of its own (Word's are one to
   * one), and `docx` numbers them across the document. Word has no notes inside notes, so a note that
   * refers to another (rare, but Markdown allows it) marks the reference with asterisks and carries that
   * note's text after its own.
   */
  private footnote(n: number): Paragraph[] {
    const marks = new NoteMarks(n);
    const place: Place = { ...TOP, note: marks };
    const out: Paragraph[] = [];
    const write = (blocks: Block[], mark: string): void => {
      blocks.forEach((block, i) => this.block(block, place, out, true, i === 0 ? [new TextRun(mark)] : []));
      if (blocks.length === 0) out.push(new Paragraph({ style: "FootnoteText", children: [new TextRun(mark)] }));
    };
    // Word puts a space between a footnote's number and its text.
    write(this.chapter?.notes[n - 1] ?? [], " ");
    for (let next = marks.take(); next !== null; next = marks.take()) write(this.chapter?.notes[next.note - 1] ?? [], `${next.mark} `);
    return out;
  }
}

/** Asterisk marks for the notes a footnote refers to, and the queue of notes it carries. */
class NoteMarks {
  private readonly marks = new Map<number, string>();
  private readonly queue: { note: number; mark: string }[] = [];
  constructor(own: number) {
    this.marks.set(own, "");
  }

  /** The mark for a reference to `note`; none for a reference back to the footnote's own note. */
  refer(note: number): string | null {
    const known = this.marks.get(note);
    if (known !== undefined) return known === "" ? null : known;
    const mark = "*".repeat(this.marks.size);
    this.marks.set(note, mark);
    this.queue.push({ note, mark });
    return mark;
  }

  take(): { note: number; mark: string } | null {
    return this.queue.shift() ?? null;
  }
}

/** Text as runs: a hard line break (`\n`) becomes a Word line break and a tab a Word tab. */
function textRuns(text: string, format: { italics?: boolean; bold?: boolean } = {}): TextRun[] {
  const out: TextRun[] = [];
  const style = { ...(format.italics ? { italics: true } : {}), ...(format.bold ? { bold: true } : {}) };
  clean(text)
    .split("\n")
    .forEach((line, i) => {
      const parts = line.split("\t");
      const children: (string | Tab)[] = [];
      parts.forEach((part, j) => {
        if (j > 0) children.push(new Tab());
        if (part !== "") children.push(part);
      });
      if (children.length > 0 || i > 0) out.push(new TextRun({ ...style, ...(i > 0 ? { break: 1 } : {}), children }));
    });
  return out;
}

/** The writer's chapter title; the number only when the chapter has no title (as the other formats do). */
function chapterHeading(chapter: ModelChapter): string {
  const title = clean(chapter.title).trim();
  if (title !== "") return title;
  return chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`;
}

/**
 * Drops what XML 1.0 cannot hold (C0 controls but tab and line feed, U+FFFE, U+FFFF); a carriage return
 * is a line break written the old way. `docx` escapes the rest.
 */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- exactly the characters XML 1.0 forbids
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}

function language(model: BookModel): string {
  const lang = clean(model.language).trim();
  return /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(lang) ? lang : "en";
}

// ---------------------------------------------------------------------------------------------------
// Package parts written here

async function pack(doc: Document, parts: { styles: string; settings: string; core: string }): Promise<Uint8Array> {
  return Packer.pack(doc, "uint8array", false, [
    { path: "word/styles.xml", data: parts.styles },
    { path: "word/settings.xml", data: parts.settings },
    { path: "docProps/core.xml", data: parts.core },
  ]);
}

const XML_DECLARATION = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n`;

function coreXml(title: string, author: string, lang: string): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return `${XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<dc:title>${escapeXml(title)}</dc:title>${author ? `<dc:creator>${escapeXml(author)}</dc:creator>` : ""}<dc:language>${escapeXml(lang)}</dc:language>\
<dcterms:created xsi:type="dcterms:W3CDTF">${now}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${now}</dcterms:modified></cp:coreProperties>`;
}

/** Elements in the order the schema (CT_Settings) requires. */
function settingsXml(o: { lang: string; mirrorMargins: boolean; hyphenate: boolean }): string {
  return `${XML_DECLARATION}<w:settings xmlns:w="${W_NS}"><w:zoom w:percent="100"/>${o.mirrorMargins ? "<w:mirrorMargins/>" : ""}\
<w:defaultTabStop w:val="720"/><w:autoHyphenation w:val="${o.hyphenate}"/>${o.hyphenate ? `<w:consecutiveHyphenLimit w:val="2"/>` : ""}\
<w:characterSpacingControl w:val="doNotCompress"/>\
<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>\
<w:themeFontLang w:val="${escapeXml(o.lang)}"/></w:settings>`;
}

interface ParagraphProps {
  keepNext?: boolean;
  keepLines?: boolean;
  pageBreakBefore?: boolean;
  widowControl?: boolean;
  tabs?: { val: "left" | "right" | "center"; pos: number; leader?: "dot" }[];
  suppressAutoHyphens?: boolean;
  spacing?: { before?: number; after?: number; line?: number };
  ind?: { left?: number; right?: number; firstLine?: number; hanging?: number };
  contextualSpacing?: boolean;
  jc?: "left" | "center" | "right" | "both";
  outline?: number;
}

interface RunProps {
  font?: string;
  b?: boolean;
  i?: boolean;
  sz?: number;
  vertAlign?: "superscript";
}

interface StyleDef {
  id: string;
  name: string;
  type?: "paragraph" | "character";
  isDefault?: boolean;
  basedOn?: string;
  next?: string;
  uiPriority?: number;
  hidden?: boolean;
  pPr?: ParagraphProps;
  rPr?: RunProps;
}

/** The character styles both layouts share; the note marks `docx` writes refer to the first two. */
const CHARACTER_STYLES: StyleDef[] = [
  { id: "FootnoteReference", name: "footnote reference", type: "character", basedOn: "DefaultParagraphFont", rPr: { vertAlign: "superscript" } },
  { id: "EndnoteReference", name: "endnote reference", type: "character", basedOn: "DefaultParagraphFont", rPr: { vertAlign: "superscript" } },
  { id: "DefaultParagraphFont", name: "Default Paragraph Font", type: "character", isDefault: true, uiPriority: 1, hidden: true },
];

/** Heading 2 to Heading 6, for the headings a writer puts inside a chapter. */
function subheadings(pPr: ParagraphProps, rPr: RunProps): StyleDef[] {
  return [2, 3, 4, 5, 6].map((level) => ({ id: `Heading${level}`, name: `heading ${level}`, basedOn: "Normal", next: "FirstParagraph", pPr: { ...pPr, outline: level - 1 }, rPr }));
}

function stylesXml(defaults: { font: string; halfPoints: number; lang: string; line: number }, styles: StyleDef[]): string {
  const font = escapeXml(defaults.font);
  const lang = escapeXml(defaults.lang);
  const docDefaults =
    `<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="${font}" w:hAnsi="${font}" w:cs="${font}"/>` +
    `<w:sz w:val="${defaults.halfPoints}"/><w:szCs w:val="${defaults.halfPoints}"/><w:lang w:val="${lang}"/></w:rPr></w:rPrDefault>` +
    `<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="${defaults.line}" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>`;
  return `${XML_DECLARATION}<w:styles xmlns:w="${W_NS}">${docDefaults}${styles.map(styleXml).join("")}</w:styles>`;
}

/** One style, its elements in the order the schema (CT_Style, CT_PPr, CT_RPr) requires. */
function styleXml(s: StyleDef): string {
  const type = s.type ?? "paragraph";
  let xml = `<w:style w:type="${type}"${s.isDefault ? ` w:default="1"` : ""} w:styleId="${s.id}"><w:name w:val="${escapeXml(s.name)}"/>`;
  if (s.basedOn) xml += `<w:basedOn w:val="${s.basedOn}"/>`;
  if (s.next) xml += `<w:next w:val="${s.next}"/>`;
  if (s.uiPriority !== undefined) xml += `<w:uiPriority w:val="${s.uiPriority}"/>`;
  if (s.hidden) xml += `<w:semiHidden/><w:unhideWhenUsed/>`;
  if (!s.hidden && s.uiPriority === undefined) xml += `<w:qFormat/>`;
  if (s.pPr) xml += pPrXml(s.pPr);
  if (s.rPr) xml += rPrXml(s.rPr);
  return `${xml}</w:style>`;
}

function pPrXml(p: ParagraphProps): string {
  let x = "";
  if (p.keepNext) x += "<w:keepNext/>";
  if (p.keepLines) x += "<w:keepLines/>";
  if (p.pageBreakBefore) x += "<w:pageBreakBefore/>";
  if (p.widowControl) x += "<w:widowControl/>";
  if (p.tabs) x += `<w:tabs>${p.tabs.map((t) => `<w:tab w:val="${t.val}"${t.leader ? ` w:leader="${t.leader}"` : ""} w:pos="${t.pos}"/>`).join("")}</w:tabs>`;
  if (p.suppressAutoHyphens) x += "<w:suppressAutoHyphens/>";
  if (p.spacing) {
    const { before, after, line } = p.spacing;
    x += `<w:spacing${before !== undefined ? ` w:before="${before}"` : ""}${after !== undefined ? ` w:after="${after}"` : ""}${line !== undefined ? ` w:line="${line}" w:lineRule="auto"` : ""}/>`;
  }
  if (p.ind) {
    const { left, right, firstLine, hanging } = p.ind;
    const attrs = [left !== undefined ? ` w:left="${left}"` : "", right !== undefined ? ` w:right="${right}"` : "", hanging !== undefined ? ` w:hanging="${hanging}"` : firstLine !== undefined ? ` w:firstLine="${firstLine}"` : ""];
    x += `<w:ind${attrs.join("")}/>`;
  }
  if (p.contextualSpacing) x += "<w:contextualSpacing/>";
  if (p.jc) x += `<w:jc w:val="${p.jc}"/>`;
  if (p.outline !== undefined) x += `<w:outlineLvl w:val="${p.outline}"/>`;
  return `<w:pPr>${x}</w:pPr>`;
}

function rPrXml(r: RunProps): string {
  let x = "";
  if (r.font) {
    const f = escapeXml(r.font);
    x += `<w:rFonts w:ascii="${f}" w:hAnsi="${f}" w:cs="${f}"/>`;
  }
  if (r.b) x += "<w:b/><w:bCs/>";
  if (r.i) x += "<w:i/><w:iCs/>";
  if (r.sz !== undefined) x += `<w:sz w:val="${r.sz}"/><w:szCs w:val="${r.sz}"/>`;
  if (r.vertAlign) x += `<w:vertAlign w:val="${r.vertAlign}"/>`;
  return `<w:rPr>${x}</w:rPr>`;
}
