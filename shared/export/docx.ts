/**
 * The book model as Word documents, in two layouts: a manuscript in standard manuscript format (what
 * agents and editors ask for: US Letter, 12 pt Times New Roman or Courier, double spaced, a title page
 * with the word count, a running header) and a book interior (trim-size pages, a title page, a filled-in
 * table of contents, justified text, page numbers), ready to be styled further in Word.
 *
 * The WordprocessingML is written here as text (./docx-xml has the parts every document shares and
 * the packing). Every look is in *named styles* ("Body Text", "First Paragraph", "Heading 1", …) that a
 * writer can change once in Word, rather than formatting each paragraph: a body paragraph is its style
 * and its runs, nothing more. No Node built-ins: this runs on Obsidian mobile.
 */
import { modelWordCount, type Block, type BookModel, type ModelChapter, type ModelImage, type ModelPart, type Run } from "./book-model";
import { pictureName } from "./image-info";
import {
  EMU_PER_PIXEL,
  EMU_PER_TWIP,
  INCH,
  PAGE_FIELD,
  clean,
  coreXml,
  drawingRun,
  endSection,
  escapeText,
  packDocx,
  paragraph,
  settingsXml,
  sectPrXml,
  stylesXml,
  textRuns,
  type DocxMedia,
  type PageSetup,
  type ParagraphProps,
  type RunProps,
  type StyleDef,
} from "./docx-xml";

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
  const page: PageSetup = { size: LETTER, margin };

  // The title page: contact block top left, word count on its first line at the right margin, then the
  // title and byline centred about halfway down. It is a section of its own, so it has no header and
  // the manuscript's pages are numbered from the first page of text.
  const titlePage: string[] = [];
  const wordCount = manuscriptWordCount(modelWordCount(model));
  const lines = contact.length > 0 ? contact : [""];
  lines.forEach((line, i) => {
    const count = i === 0 ? `<w:r><w:tab/><w:t xml:space="preserve">${escapeText(wordCount)}</w:t></w:r>` : "";
    titlePage.push(paragraph("Contact", textRuns(line) + count));
  });
  const halfway = (LETTER.height / 2 - margin.top) - lines.length * MANUSCRIPT_SINGLE_LINE - DOUBLE;
  titlePage.push(paragraph("Title", textRuns(title), { spacing: { before: Math.max(DOUBLE, Math.round(halfway)) } }));
  if (author) titlePage.push(paragraph("Byline", textRuns(`by ${author}`)));
  endSection(titlePage, sectPrXml(page));

  const writer = new BodyWriter(MANUSCRIPT_LOOK, { width: textWidth, height: LETTER.height - margin.top - margin.bottom });
  const parts = model.parts ?? [];
  const body = writer.chapters(model.chapters, parts);
  return packDocx({
    body: [...titlePage, ...body, sectPrXml(page, { header: true, nextPage: true, startAt: 1 })],
    header: paragraph("Header", textRuns(`${surname} / ${keyword} / `) + PAGE_FIELD),
    footnotes: writer.notes,
    media: writer.media,
    styles: manuscriptStyles(font, lang, textWidth, parts.length > 0),
    settings: settingsXml({ lang, mirrorMargins: false, hyphenate: false, footnotes: writer.notes.length > 0 }),
    core: coreXml(title, author, lang),
  });
}

const MANUSCRIPT_LOOK: Look = { listStep: INCH / 2, listHang: INCH / 4, sceneBreak: "#", quoteIndent: INCH / 2, bylinePrefix: "by " };

/** `series`: the styles of an omnibus, whose books are Heading 1 (each on a page of its own) and chapters Heading 2. */
function manuscriptStyles(font: string, lang: string, textWidth: number, series = false): string {
  const code = "Courier New";
  const level = series ? 1 : 0;
  return stylesXml({ font, halfPoints: 24, lang, line: DOUBLE }, [
    { id: "Normal", name: "Normal", type: "paragraph", isDefault: true, pPr: { widowControl: true, suppressAutoHyphens: true, jc: "left" } },
    { id: "BodyText", name: "Body Text", basedOn: "Normal", next: "BodyText", pPr: { ind: { firstLine: INCH / 2 } } },
    // Manuscripts indent every paragraph, the first of a chapter too; the style exists so the writer's
    // paragraphs map one to one onto the book layout's.
    { id: "FirstParagraph", name: "First Paragraph", basedOn: "BodyText", next: "BodyText" },
    ...(series
      ? [
          // A book's page: "Book 2" a third of the way down, on a new page, its title under it.
          { id: "PartLabel", name: "Part Label", basedOn: "Normal", next: "Heading1", pPr: { keepNext: true, pageBreakBefore: true, spacing: { before: 3360 }, jc: "center" as const } },
          { id: "Heading1", name: "heading 1", basedOn: "Normal", next: "Byline", pPr: { keepNext: true, keepLines: true, spacing: { before: 0, after: DOUBLE }, jc: "center" as const, outline: 0 } },
        ]
      : []),
    {
      id: `Heading${level + 1}`,
      name: `heading ${level + 1}`,
      basedOn: "Normal",
      next: "FirstParagraph",
      // A chapter opens on a new page, its title about a third of the way down.
      pPr: { keepNext: true, keepLines: true, pageBreakBefore: true, spacing: { before: 3360, after: DOUBLE }, jc: "center", outline: level },
    },
    ...subheadings({ keepNext: true, keepLines: true, spacing: { before: 0, after: 0 }, jc: "left" }, { b: true }, level + 2),
    { id: "SceneBreak", name: "Scene Break", basedOn: "Normal", next: "FirstParagraph", pPr: { jc: "center" } },
    { id: "BlockQuote", name: "Block Quote", basedOn: "Normal", next: "BodyText", pPr: { ind: { left: MANUSCRIPT_LOOK.quoteIndent, right: MANUSCRIPT_LOOK.quoteIndent } } },
    { id: "ListItem", name: "List Item", basedOn: "Normal", next: "ListItem" },
    { id: "SourceCode", name: "Source Code", basedOn: "Normal", next: "BodyText", pPr: { spacing: { line: SINGLE, after: SINGLE } }, rPr: { font: code } },
    pictureStyle(SINGLE),
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
  const page: PageSetup = { size, margin };
  const textHeight = size.height - margin.top - margin.bottom;

  const front: string[] = [];
  if (options.titlePage ?? true) {
    front.push(paragraph("Title", textRuns(title)));
    if (author) front.push(paragraph("Byline", textRuns(author)));
  }
  const parts = model.parts ?? [];
  if ((options.toc ?? true) && model.chapters.length > 0) {
    front.push(paragraph("TOCHeading", textRuns("Contents"), front.length > 0 ? { pageBreakBefore: true } : undefined));
    front.push(tableOfContents(model.chapters, parts));
  }
  // The front matter is a section of its own, so it has no page numbers and the text's start at 1.
  if (front.length > 0) endSection(front, sectPrXml(page));

  const writer = new BodyWriter(BOOK_LOOK, { width: size.width - margin.left - margin.right, height: textHeight });
  const body = writer.chapters(model.chapters, parts);
  return packDocx({
    body: [...front, ...body, sectPrXml(page, { footer: true, nextPage: front.length > 0, startAt: 1 })],
    footer: paragraph("Footer", PAGE_FIELD),
    footnotes: writer.notes,
    media: writer.media,
    styles: bookStyles(font, Math.round(sizePt * 2), lang, size.width - margin.left - margin.right, textHeight, parts.length > 0),
    settings: settingsXml({ lang, mirrorMargins: true, hyphenate: true, footnotes: writer.notes.length > 0 }),
    core: coreXml(title, author, lang),
  });
}

/** 0.3 in steps for lists and quotes: about two of the body's em. */
const BOOK_LOOK: Look = { listStep: 432, listHang: 288, sceneBreak: "* * *", quoteIndent: 432, bylinePrefix: "" };

/**
 * The table of contents, filled in with an entry per chapter, each a link to the chapter's title: a TOC
 * field in a content control Word knows as its own ("Table of Contents"), its result the entries. It is
 * written clean (not dirty), so Word shows it as it is instead of asking to update fields. The entries
 * carry no page numbers: where a chapter's page falls is Word's to work out, and Word's Update Table
 * (it keeps the TOC field) adds them.
 */
function tableOfContents(chapters: ModelChapter[], parts: ModelPart[] = []): string {
  const link = (style: string, anchor: string, text: string): string => paragraph(style, `<w:hyperlink w:history="1" w:anchor="${anchor}">${textRuns(text)}</w:hyperlink>`);
  // An omnibus lists each book (Heading 1, "toc 1") with its chapters (Heading 2, "toc 2") under it.
  const entries =
    parts.length === 0
      ? chapters.map((chapter, i) => link("TOC1", chapterBookmark(i), chapterHeading(chapter)))
      : chapters.flatMap((chapter, i) => [
          ...parts.flatMap((part, p) => (part.start === i ? [link("TOC1", partBookmark(p), partHeading(part))] : [])),
          link("TOC2", chapterBookmark(i), chapterHeading(chapter)),
        ]);
  const levels = parts.length === 0 ? "1-1" : "1-2";
  return (
    `<w:sdt><w:sdtPr><w:alias w:val="Contents"/><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>` +
    `<w:p><w:r><w:fldChar w:fldCharType="begin" w:dirty="false"/><w:instrText xml:space="preserve">TOC \\h \\o &quot;${levels}&quot;</w:instrText><w:fldChar w:fldCharType="separate"/></w:r></w:p>` +
    entries.join("") +
    `<w:p><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:sdtContent></w:sdt>`
  );
}

/** Word names the bookmarks its contents link to `_Toc…`; the underscore hides them from its Bookmark list. */
function chapterBookmark(index: number): string {
  return `_TocChapter${index + 1}`;
}

function partBookmark(index: number): string {
  return `_TocPart${index + 1}`;
}

/** `series`: the styles of an omnibus, whose books are Heading 1 (each on a page of its own) and chapters Heading 2. */
function bookStyles(font: string, halfPoints: number, lang: string, textWidth: number, textHeight: number, series = false): string {
  const pt = halfPoints / 2;
  const em = Math.round(pt * 20);
  const half = Math.round(em / 2);
  const size = (factor: number): number => Math.round(halfPoints * factor);
  const level = series ? 1 : 0;
  const tocTabs = [{ val: "right" as const, pos: textWidth, leader: "dot" as const }];
  return stylesXml({ font, halfPoints, lang, line: 264 }, [
    { id: "Normal", name: "Normal", type: "paragraph", isDefault: true, pPr: { widowControl: true, jc: "left" } },
    // Printed fiction: justified, indented by about 1.5 em, except the first paragraph of a chapter or scene.
    { id: "BodyText", name: "Body Text", basedOn: "Normal", next: "BodyText", pPr: { ind: { firstLine: Math.round(em * 1.5) }, jc: "both" } },
    { id: "FirstParagraph", name: "First Paragraph", basedOn: "BodyText", next: "BodyText", pPr: { ind: { firstLine: 0 } } },
    ...(series
      ? [
          // A book's page: "Book 2" where the title page's title stands, on a new page, the title under it.
          { id: "PartLabel", name: "Part Label", basedOn: "Normal", next: "Heading1", pPr: { keepNext: true, pageBreakBefore: true, suppressAutoHyphens: true, spacing: { before: Math.round(textHeight * 0.25), after: em }, jc: "center" as const }, rPr: { i: true, sz: size(1.3) } },
          { id: "Heading1", name: "heading 1", basedOn: "Normal", next: "Byline", pPr: { keepNext: true, keepLines: true, suppressAutoHyphens: true, spacing: { before: 0, after: em * 2 }, jc: "center" as const, outline: 0 }, rPr: { sz: size(2.4) } },
        ]
      : []),
    {
      id: `Heading${level + 1}`,
      name: `heading ${level + 1}`,
      basedOn: "Normal",
      next: "FirstParagraph",
      pPr: { keepNext: true, keepLines: true, pageBreakBefore: true, suppressAutoHyphens: true, spacing: { before: Math.round(textHeight * 0.18), after: em * 3 }, jc: "center", outline: level },
      rPr: { sz: size(1.6) },
    },
    ...subheadings({ keepNext: true, keepLines: true, suppressAutoHyphens: true, spacing: { before: em * 2, after: em }, jc: "center" }, { i: true }, level + 2),
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
    pictureStyle(em),
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
    { id: "TOC1", name: "toc 1", basedOn: "Normal", next: "Normal", uiPriority: 39, pPr: { tabs: tocTabs, suppressAutoHyphens: true, spacing: { after: half } } },
    // An omnibus's chapters, indented under their book.
    ...(series ? [{ id: "TOC2", name: "toc 2", basedOn: "Normal", next: "Normal", uiPriority: 39, pPr: { tabs: tocTabs, suppressAutoHyphens: true, spacing: { after: half }, ind: { left: Math.round(em * 1.5) } } }] : []),
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
  /** Before an omnibus book's author on its page: "by " in a manuscript, as on its title page. */
  bylinePrefix: string;
}

/** The text area of a page, in twips: what a picture is shrunk to fit. */
interface TextArea {
  width: number;
  height: number;
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
/** Word's number for a footnote, at the start of its text. */
const FOOTNOTE_REF = `<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>`;

/** Word's extension for each picture type, under which the package registers its content type. */
const MEDIA_EXTENSIONS: Record<ModelImage["mediaType"], string> = { "image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif" };

/**
 * Writes chapters as `<w:p>` elements, their notes as footnotes numbered across the document, and
 * collects the pictures they show.
 */
class BodyWriter {
  private chapter: ModelChapter | null = null;
  /** Heading levels the chapters sit below Heading 1: 1 in an omnibus, whose books are Heading 1. */
  private level = 0;
  /** The footnotes written so far, as `<w:footnote>` elements: footnote n is `notes[n - 1]`. */
  readonly notes: string[] = [];
  /** The pictures shown so far, each once however often it is shown, in the order first shown. */
  readonly media: DocxMedia[] = [];
  private readonly mediaByPath = new Map<string, DocxMedia>();
  /** The drawings written so far, body and notes: each has the next `wp:docPr` id. */
  private drawings = 0;
  constructor(
    private readonly look: Look,
    private readonly area: TextArea,
  ) {}

  /**
   * The chapters; with `parts` (an omnibus), each book's page before its first chapter: its label, its
   * title as Heading 1 and its author when the books' differ, the chapters then a level down.
   */
  chapters(chapters: ModelChapter[], parts: ModelPart[] = []): string[] {
    const out: string[] = [];
    this.level = parts.length > 0 ? 1 : 0;
    for (const [i, chapter] of chapters.entries()) {
      for (const [p, part] of parts.entries()) {
        if (part.start !== i) continue;
        // Bookmark ids are unique across the document: the chapters have 1 to n, the books follow.
        const mark = `w:id="${chapters.length + p + 1}"`;
        out.push(paragraph("PartLabel", textRuns(clean(part.label))));
        out.push(paragraph("Heading1", `<w:bookmarkStart w:name="${partBookmark(p)}" ${mark}/>${textRuns(partHeading(part))}<w:bookmarkEnd ${mark}/>`));
        if (part.author) out.push(paragraph("Byline", textRuns(`${this.look.bylinePrefix}${clean(part.author).trim()}`)));
      }
      this.chapter = chapter;
      // The bookmark the table of contents links to.
      const mark = `w:id="${i + 1}"`;
      out.push(paragraph(`Heading${this.level + 1}`, `<w:bookmarkStart w:name="${chapterBookmark(i)}" ${mark}/>${textRuns(chapterHeading(chapter))}<w:bookmarkEnd ${mark}/>`));
      this.blocks(chapter.blocks, TOP, out, true);
    }
    // A body must hold a paragraph, even for a book with no chapters.
    if (out.length === 0) out.push(paragraph("BodyText", ""));
    return out;
  }

  /** `opening`: the next paragraph opens a chapter or scene, so it is not indented. */
  private blocks(blocks: Block[], place: Place, out: string[], opening: boolean): void {
    let first = opening;
    for (const block of blocks) {
      this.block(block, place, out, first);
      first = block.type === "heading" || block.type === "sceneBreak";
    }
  }

  /** `lead`: runs to open the block's first paragraph with (a footnote's space after its number). */
  private block(block: Block, place: Place, out: string[], first: boolean, lead = ""): void {
    switch (block.type) {
      case "paragraph": {
        const style = place.note ? "FootnoteText" : place.quote ? "BlockQuote" : first ? "FirstParagraph" : "BodyText";
        out.push(paragraph(style, lead + this.runs(block.runs, place), this.indent(place, style)));
        return;
      }
      case "heading":
        // The chapter title is Heading 1, so the writer's `#` sits one level below it. Notes have no
        // headings; one there is a bold line.
        if (place.note) out.push(paragraph("FootnoteText", lead + this.runs(block.runs.map((r) => ({ ...r, bold: true })), place), this.indent(place, "FootnoteText")));
        else out.push(paragraph(`Heading${Math.min(6, Math.max(2 + this.level, block.depth + 1 + this.level))}`, lead + this.runs(block.runs, place), this.indent(place, "")));
        return;
      case "code":
        out.push(paragraph("SourceCode", lead + textRuns(block.text), this.indent(place, "SourceCode")));
        return;
      default:
        break;
    }
    // Blocks that hold other blocks, or no text: a leading mark (a footnote's) gets a paragraph of its own.
    if (lead !== "") out.push(paragraph(place.note ? "FootnoteText" : "BodyText", lead));
    if (block.type === "sceneBreak") out.push(paragraph("SceneBreak", textRuns(this.look.sceneBreak)));
    else if (block.type === "image") {
      // A picture the model did not find in the vault is left out (the model's warnings name it).
      if (block.image) out.push(paragraph("Picture", this.picture(block.image, block.alt, place), this.indent(place, "Picture")));
    } else if (block.type === "blockquote") {
      const q = this.look.quoteIndent;
      this.blocks(block.blocks, { ...place, left: place.left + q, right: place.right + q, quote: true }, out, true);
    } else if (block.type === "list") this.list(block, place, out, 0);
  }

  /**
   * A list is written as paragraphs that carry their marker as text, with a hanging indent the marker
   * sits in: it looks the same in every application, survives copy and paste, and a writer's numbers
   * (a list starting at 3) stay as written. Nested lists step further in.
   */
  private list(list: Extract<Block, { type: "list" }>, place: Place, out: string[], depth: number): void {
    const left = place.left + this.look.listStep;
    const style = place.note ? "FootnoteText" : "ListItem";
    const right = place.right > 0 ? { right: place.right } : {};
    const inner: Place = { ...place, left };
    const tabs: ParagraphProps["tabs"] = [{ val: "left", pos: left }];
    // LibreOffice drops the hanging indent of the first such paragraph in a footnote, so there the
    // marker's line is indented instead (a wrapped line then starts under the marker, not the text).
    const ind = place.note ? { left: left - this.look.listHang, ...right } : { left, hanging: this.look.listHang, ...right };
    for (const [i, item] of list.items.entries()) {
      const marker = `<w:r><w:t xml:space="preserve">${list.ordered ? `${list.start + i}.` : BULLETS[depth % BULLETS.length]!}</w:t><w:tab/></w:r>`;
      const head = item[0]?.type === "paragraph" ? item[0] : null;
      out.push(paragraph(style, marker + (head ? this.runs(head.runs, inner) : ""), { tabs, ind }));
      for (const block of head ? item.slice(1) : item) {
        if (block.type === "list") this.list(block, inner, out, depth + 1);
        else if (block.type === "paragraph") out.push(paragraph(style, this.runs(block.runs, inner), { ind: { left, ...right, firstLine: 0 } }));
        else this.block(block, inner, out, true);
      }
    }
  }

  /**
   * A picture as a run, at its natural size at 96 dpi, shrunk (keeping its shape) to the width the place
   * leaves it and to half the text's height, so it never runs off the page or fills one by itself.
   */
  private picture(image: ModelImage, alt: string, place: Place): string {
    let media = this.mediaByPath.get(image.path);
    if (!media) {
      const n = this.media.length + 1;
      media = { name: `image${n}.${MEDIA_EXTENSIONS[image.mediaType]}`, contentType: image.mediaType, bytes: image.bytes, rel: `rIdImage${n}`, inDocument: false, inFootnotes: false };
      this.media.push(media);
      this.mediaByPath.set(image.path, media);
    }
    if (place.note) media.inFootnotes = true;
    else media.inDocument = true;
    const width = image.width * EMU_PER_PIXEL;
    const height = image.height * EMU_PER_PIXEL;
    const maxWidth = Math.max(INCH, this.area.width - place.left - place.right) * EMU_PER_TWIP;
    const maxHeight = (this.area.height / 2) * EMU_PER_TWIP;
    const scale = Math.min(1, maxWidth / width, maxHeight / height);
    return drawingRun({
      id: ++this.drawings,
      rel: media.rel,
      descr: clean(alt).trim() || pictureName(image.path),
      cx: Math.max(1, Math.floor(width * scale)),
      cy: Math.max(1, Math.floor(height * scale)),
    });
  }

  /** Direct indents only where the place differs from what the style gives. */
  private indent(place: Place, style: string): ParagraphProps | undefined {
    const q = this.look.quoteIndent;
    const base = style === "BlockQuote" ? { left: q, right: q } : { left: 0, right: 0 };
    if (place.left === base.left && place.right === base.right) return undefined;
    return { ind: { left: place.left, right: place.right, firstLine: 0 } };
  }

  private runs(runs: Run[], place: Place): string {
    let xml = "";
    for (const run of runs) {
      if (run.note === undefined) {
        xml += textRuns(run.text, run);
        continue;
      }
      if (!this.chapter?.notes[run.note - 1]) continue;
      if (!place.note) xml += `<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="${this.footnote(run.note)}"/></w:r>`;
      else {
        const mark = place.note.refer(run.note);
        if (mark !== null) xml += `<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:t xml:space="preserve">${mark}</w:t></w:r>`;
      }
    }
    return xml;
  }

  /**
   * Writes a footnote for a reference to note `n` and returns its id. Each reference in the text gets a
   * footnote of its own (Word's are one to one), numbered across the document. Word has no notes inside
   * notes, so a note that refers to another (rare, but Markdown allows it) marks the reference with
   * asterisks and carries that note's text after its own.
   */
  private footnote(n: number): number {
    const marks = new NoteMarks(n);
    const place: Place = { ...TOP, note: marks };
    const out: string[] = [];
    const write = (blocks: Block[], mark: string): void => {
      const lead = textRuns(mark);
      blocks.forEach((block, i) => this.block(block, place, out, true, i === 0 ? lead : ""));
      if (blocks.length === 0) out.push(paragraph("FootnoteText", lead));
    };
    // Word puts a space between a footnote's number and its text.
    write(this.chapter?.notes[n - 1] ?? [], " ");
    for (let next = marks.take(); next !== null; next = marks.take()) write(this.chapter?.notes[next.note - 1] ?? [], `${next.mark} `);
    // The note's number opens its first paragraph (every paragraph written here has properties).
    const first = out[0]!;
    const at = first.indexOf("</w:pPr>") + "</w:pPr>".length;
    out[0] = first.slice(0, at) + FOOTNOTE_REF + first.slice(at);
    const id = this.notes.length + 1;
    this.notes.push(`<w:footnote w:id="${id}">${out.join("")}</w:footnote>`);
    return id;
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


/** The writer's chapter title; the number only when the chapter has no title (as the other formats do). */
function chapterHeading(chapter: ModelChapter): string {
  const title = clean(chapter.title).trim();
  if (title !== "") return title;
  return chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`;
}

/** An omnibus book's title as its heading and contents entry. */
function partHeading(part: ModelPart): string {
  return clean(part.title).trim() || "Untitled";
}

function language(model: BookModel): string {
  const lang = clean(model.language).trim();
  return /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(lang) ? lang : "en";
}

// ---------------------------------------------------------------------------------------------------
// Styles

/** The character styles both layouts share; a footnote's number, in the text and in the note, is in the first. */
const CHARACTER_STYLES: StyleDef[] = [
  { id: "FootnoteReference", name: "footnote reference", type: "character", basedOn: "DefaultParagraphFont", rPr: { vertAlign: "superscript" } },
  { id: "EndnoteReference", name: "endnote reference", type: "character", basedOn: "DefaultParagraphFont", rPr: { vertAlign: "superscript" } },
  { id: "DefaultParagraphFont", name: "Default Paragraph Font", type: "character", isDefault: true, uiPriority: 1, hidden: true },
];

/**
 * A picture's paragraph: centred, unindented, single spaced (Word's "auto" line spacing multiplies the
 * tallest thing on the line, so a double-spaced picture would take twice its height), with `space` above
 * and below.
 */
function pictureStyle(space: number): StyleDef {
  return { id: "Picture", name: "Picture", basedOn: "Normal", next: "BodyText", pPr: { suppressAutoHyphens: true, spacing: { before: space, after: space, line: SINGLE }, ind: { left: 0, right: 0, firstLine: 0 }, jc: "center" } };
}

/** Heading `from` (2, or 3 in an omnibus) to Heading 6, for the headings a writer puts inside a chapter. */
function subheadings(pPr: ParagraphProps, rPr: RunProps, from = 2): StyleDef[] {
  return [2, 3, 4, 5, 6].filter((level) => level >= from).map((level) => ({ id: `Heading${level}`, name: `heading ${level}`, basedOn: "Normal", next: "FirstParagraph", pPr: { ...pPr, outline: level - 1 }, rPr }));
}
