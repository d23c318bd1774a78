/**
 * The book as a print-ready PDF (a paperback interior for KDP and similar printers): the page layout
 * from layout.ts drawn with pdf-lib, fonts embedded as subsets, one bookmark per chapter.
 *
 * Pictures are embedded with pdf-lib's `embedJpg` (the JPEG's own bytes, as DCTDecode) and `embedPng`
 * (Flate, with an SMask for transparency), once per file however often the book shows it, and drawn
 * inside a marked-content sequence whose /Alt carries the writer's description (when there is one). A
 * PDF has no GIF filter, so GIFs are left out and reported in `exportPrintPdf`'s warnings.
 *
 * pdf-lib's `drawText` is not used for the text: it makes several operator objects per call and reshapes
 * the string each time, which for a novel's 120,000 words costs more than the whole layout. Each line
 * is written instead as one text object whose TJ array carries the words, the font's kerning and the
 * justified spaces, from strings encoded once per distinct word. The fonts are embedded here too
 * (not with pdf-lib's `embedFont`), as Type 0 / CIDFontType2 subsets cut by fonts.ts, because the glyphs
 * drawn are the ones fonts.ts shaped (ligatures included) and the ToUnicode map must say what each one
 * stands for; and because pdf-lib's `subset: true` loses most of EB Garamond's glyphs (see subsetTrueType).
 */
import { zlibSync } from "fflate";
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFString, type PDFContext } from "pdf-lib";
import { chapterPlace, partRanges, type Block, type BookModel, type ModelChapter } from "../book-model";
import { FontSet, findUnencodable, replaceUnencodable, subsetTrueType, UnencodableError, type FontBytes, type FontKey, type ShapedFont, type UnencodableChar } from "./fonts";
import { createHyphenator } from "./hyphenate";
import { chapterHeading, layoutBook, type LaidFigure, type LaidLine, type PrintLayout } from "./layout";
import type { TrimName } from "./trim";

export interface PrintPdfOptions {
  fonts: FontBytes;
  /** Page size is exactly the trim, in points (72 per inch). @default "6x9" */
  trim?: TrimName;
  /** @default 11 */
  fontSizePt?: number;
  /** Line height in points, snapped so the text block is a whole number of lines. @default 1.3 × size */
  leading?: number;
  /** @default true */
  titlePage?: boolean;
  /** @default true */
  toc?: boolean;
  /** Hyphenate by `model.language` (when there are patterns for it). @default true */
  hyphenate?: boolean;
  /**
   * What to do with characters the fonts cannot draw: "error" throws an UnencodableError listing every
   * one with its chapter; "replace" draws U+FFFD (or "?" in a font without it) and still reports them
   * in `exportPrintPdf`'s result. @default "error"
   */
  unencodable?: "error" | "replace";
  /** Creation and modification date written in the PDF, so equal input gives equal bytes. @default now */
  date?: Date;
}

export interface PrintPdf {
  bytes: Uint8Array;
  layout: PrintLayout;
  /** Characters replaced because the fonts lack them (always empty with `unencodable: "error"`). */
  unencodable: UnencodableChar[];
  /** Pictures left out, each naming its chapter and file: GIFs (which a PDF cannot carry) and files that would not read. */
  warnings: string[];
}

export { UnencodableError } from "./fonts";

/** The print PDF's bytes. Throws UnencodableError (with the default `unencodable: "error"`). */
export async function toPrintPdf(model: BookModel, options: PrintPdfOptions): Promise<Uint8Array> {
  return (await exportPrintPdf(model, options)).bytes;
}

/** The print PDF with its layout (page count, chapter pages, margins), what was replaced and what was left out. */
export async function exportPrintPdf(model: BookModel, options: PrintPdfOptions): Promise<PrintPdf> {
  const fonts = new FontSet(options.fonts);
  const unencodable = findUnencodable(model, fonts);
  if (unencodable.length > 0 && (options.unencodable ?? "error") === "error") throw new UnencodableError(unencodable);
  const replaced = unencodable.length > 0 ? replaceUnencodable(model, fonts) : model;

  const doc = await PDFDocument.create({ updateMetadata: false });
  // Pictures are embedded before the layout, so that one the PDF cannot carry takes no room on a page.
  const { model: book, pictures, warnings } = await embedPictures(doc, replaced);
  const layout = layoutBook(book, fonts, {
    trim: options.trim ?? "6x9",
    fontSizePt: options.fontSizePt ?? 11,
    ...(options.leading !== undefined ? { leading: options.leading } : {}),
    titlePage: options.titlePage ?? true,
    toc: options.toc ?? true,
    hyphenate: (options.hyphenate ?? true) ? createHyphenator(book.language) : null,
  });
  const bytes = await writePdf(doc, book, fonts, layout, pictures, options.date ?? new Date());
  return { bytes, layout, unencodable, warnings };
}

// ---------------------------------------------------------------------------------------------------
// Pictures

/** A picture embedded in the document: its image XObject and the name pages draw it by. */
interface Picture {
  name: string;
  ref: PDFRef;
}

/**
 * Embeds every picture the model shows, each file once (by vault path), and returns the model without
 * the ones that cannot go in the PDF, with a warning for each chapter and file left out.
 */
async function embedPictures(doc: PDFDocument, model: BookModel): Promise<{ model: BookModel; pictures: Map<string, Picture>; warnings: string[] }> {
  const pictures = new Map<string, Picture>();
  /** Why a file is left out, by path. */
  const refused = new Map<string, string>();
  const warnings: string[] = [];
  const chapters: ModelChapter[] = [];
  for (const [index, chapter] of model.chapters.entries()) {
    const warned = new Set<string>();
    // In an omnibus the book's title comes first: every book has its chapter 1.
    const where = chapterPlace(model, index);
    const keep = async (block: Extract<Block, { type: "image" }>): Promise<boolean> => {
      const image = block.image;
      if (!image) return false;
      if (!pictures.has(image.path) && !refused.has(image.path)) {
        if (image.mediaType === "image/gif") refused.set(image.path, "is a GIF, which the PDF cannot carry");
        else {
          try {
            const embedded = image.mediaType === "image/jpeg" ? await doc.embedJpg(image.bytes) : await doc.embedPng(image.bytes);
            pictures.set(image.path, { name: `Im${pictures.size + 1}`, ref: embedded.ref });
          } catch {
            // pdf-lib's messages ("Invalid typed array length") would tell the writer nothing more.
            refused.set(image.path, `could not be read as a ${image.mediaType === "image/jpeg" ? "JPEG" : "PNG"} (the file may be damaged)`);
          }
        }
      }
      const reason = refused.get(image.path);
      if (reason === undefined) return true;
      if (!warned.has(image.path)) warnings.push(`${where}: picture ${image.path} ${reason}; it is left out`);
      warned.add(image.path);
      return false;
    };
    const walk = async (blocks: Block[]): Promise<Block[]> => {
      const out: Block[] = [];
      for (const block of blocks) {
        if (block.type === "image") {
          if (await keep(block)) out.push(block);
        } else if (block.type === "blockquote") out.push({ ...block, blocks: await walk(block.blocks) });
        else if (block.type === "list") {
          const items: Block[][] = [];
          for (const item of block.items) items.push(await walk(item));
          out.push({ ...block, items });
        } else out.push(block);
      }
      return out;
    };
    const blocks = await walk(chapter.blocks);
    const notes: Block[][] = [];
    for (const note of chapter.notes) notes.push(await walk(note));
    chapters.push({ ...chapter, blocks, notes });
  }
  return { model: { ...model, chapters }, pictures, warnings };
}

/**
 * A picture drawn at its place: the image XObject scaled into its box, in a marked-content sequence
 * whose /Alt is the writer's description (a picture without one is drawn bare).
 */
function figureOperators(figure: LaidFigure, picture: Picture): string {
  const draw = `q\n${num(figure.width)} 0 0 ${num(figure.height)} ${num(figure.x)} ${num(figure.y)} cm\n/${picture.name} Do\nQ\n`;
  const alt = figure.alt.trim();
  return alt === "" ? draw : `/Figure <</Alt ${PDFHexString.fromText(alt).toString()}>> BDC\n${draw}EMC\n`;
}

// ---------------------------------------------------------------------------------------------------
// Document

async function writePdf(doc: PDFDocument, model: BookModel, fonts: FontSet, layout: PrintLayout, pictures: Map<string, Picture>, date: Date): Promise<Uint8Array> {
  const title = model.title.trim() || "Untitled";
  doc.setTitle(title, { showInWindowTitleBar: true });
  if (model.author) doc.setAuthor(model.author);
  doc.setCreator("Bookwright");
  doc.setProducer("Bookwright (pdf-lib)");
  doc.setLanguage(model.language.trim() || "en");
  doc.setCreationDate(date);
  doc.setModificationDate(date);

  const context = doc.context;
  const faces = new Map<FontKey, FaceWriter>();
  const writerFor = (key: FontKey): FaceWriter => {
    let face = faces.get(key);
    if (!face) {
      face = new FaceWriter(fonts.faces[key], fonts.bytes[key], `F${faces.size + 1}`, context.nextRef());
      faces.set(key, face);
    }
    return face;
  };
  const pictureFor = (figure: LaidFigure): Picture => {
    const picture = pictures.get(figure.image.path);
    if (!picture) throw new Error(`internal: the picture ${figure.image.path} was laid out but not embedded`);
    return picture;
  };
  // Every page shares one resource dictionary, written once the faces in use are known.
  const resourcesRef = context.nextRef();
  const { width, height } = layout.trim;
  const pageRefs: PDFRef[] = [];
  for (const laid of layout.pages) {
    const page = doc.addPage([width, height]);
    page.setTrimBox(0, 0, width, height);
    page.node.set(PDFName.of("Resources"), resourcesRef);
    pageRefs.push(page.ref);
    if (laid.lines.length === 0 && laid.figures.length === 0) continue;
    // Lines and pictures in the order they stand on the page, top to bottom.
    const parts = [
      ...laid.lines.map((l) => ({ slot: l.slot, draw: () => lineOperators(l, writerFor) })),
      ...laid.figures.map((figure) => ({ slot: figure.slot, draw: () => figureOperators(figure, pictureFor(figure)) })),
    ].sort((a, b) => a.slot - b.slot);
    const content = parts.map((p) => p.draw()).join("");
    page.node.set(PDFName.of("Contents"), context.register(deflated(context, content)));
  }
  if (layout.pages.length === 0) doc.addPage([width, height]);

  const fontDict = context.obj({});
  for (const face of faces.values()) {
    face.embed(context);
    fontDict.set(PDFName.of(face.name), face.ref);
  }
  const resources = context.obj({ Font: fontDict, ProcSet: pictures.size > 0 ? ["PDF", "Text", "ImageB", "ImageC", "ImageI"] : ["PDF", "Text"] });
  if (pictures.size > 0) {
    const xObjects = context.obj({});
    for (const picture of pictures.values()) xObjects.set(PDFName.of(picture.name), picture.ref);
    resources.set(PDFName.of("XObject"), xObjects);
  }
  context.assign(resourcesRef, resources);

  addOutline(doc, model, layout, pageRefs);
  return doc.save({ useObjectStreams: true });
}

/**
 * One line as a text object: the font, a text matrix at the line's first word, and a TJ array in which
 * each word is followed by a space glyph and the adjustment that carries the pen to the next word's x.
 * The space is drawn (though the adjustment could do its work alone) so that copying, searching and
 * text extraction see real spaces between words however tightly a line is set. Pieces of one word in
 * different faces ("*tolerable*.”") are drawn touching, with no space. A font change closes the array
 * and opens another after the new Tf; the pen stays where it was.
 */
function lineOperators(line: LaidLine, writerFor: (key: FontKey) => FaceWriter): string {
  const words = line.words;
  if (words.length === 0) return "";
  const size = line.size;
  let out = "BT\n";
  let current: FaceWriter | null = null;
  let pen = 0;
  let array = "";
  const start = words[0]!.x;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const previous = words[i - 1];
    const face = writerFor(word.font);
    const encoded = face.encode(word.text);
    const drawn = (encoded.width * size) / face.unitsPerEm;
    // The breaker places a piece that continues a word exactly at the end of the piece before it.
    const continues = previous !== undefined && Math.abs(previous.x + previous.width - word.x) < 1e-6;
    let x = continues ? pen : word.x - start;
    // The breaker measured a word as the sum of its syllables; shaped whole (kerning across them, an
    // "ffi" ligature) it can be a hair narrower or wider. The line's last word keeps its right edge
    // where the breaker put it, so a justified margin stays straight.
    if (i === words.length - 1 && i > 0 && !continues) x += word.width - drawn;
    if (current !== null && !continues) {
      const space = current.encode(" ");
      array += space.tj;
      pen += (space.width * size) / current.unitsPerEm;
    }
    if (face !== current) {
      if (array !== "") out += `[${array}] TJ\n`;
      array = "";
      out += `/${face.name} ${num(size)} Tf\n`;
      if (current === null) out += `1 0 0 1 ${num(line.x + start)} ${num(line.y)} Tm\n`;
      current = face;
    }
    const gap = x - pen;
    if (Math.abs(gap) > 0.005) {
      const adjustment = Math.round((-gap * 1000 * 100) / size) / 100;
      array += num(adjustment);
      pen -= (adjustment * size) / 1000;
    }
    array += encoded.tj;
    pen += drawn;
  }
  if (array !== "") out += `[${array}] TJ\n`;
  return `${out}ET\n`;
}

const encoder = new TextEncoder();

/**
 * A Flate-compressed stream. fflate rather than pdf-lib's own `flateStream` (pako): a novel's page
 * content is megabytes, and fflate compresses it in a fraction of the time.
 */
function deflated(context: PDFContext, data: string | Uint8Array, dict: Record<string, number> = {}): PDFRawStream {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return context.stream(zlibSync(bytes, { level: 6 }), { ...dict, Filter: "FlateDecode" });
}

/**
 * A number as PDF content wants it: two decimals at most (a hundredth of a point, or of a thousandth of
 * an em in a TJ array), which also keeps it out of exponent notation; -0 prints as 0.
 */
function num(n: number): string {
  return String(Math.round(n * 100) / 100 + 0);
}

// ---------------------------------------------------------------------------------------------------
// Fonts

interface Encoded {
  /** TJ array elements: hex glyph strings, with kerning adjustments between them. */
  tj: string;
  /** Drawn width in font units. */
  width: number;
}

/**
 * One face as the PDF sees it: a fontkit subset collecting the glyphs drawn (numbered from 1 in the
 * order first used, which is also their CID), and what each glyph stands for.
 */
class FaceWriter {
  /** Original glyph id of each CID (CID 0 is .notdef), and the reverse. */
  private readonly glyphOf: number[] = [0];
  private readonly cidOf = new Map<number, number>([[0, 0]]);
  private readonly encoded = new Map<string, Encoded>();
  /** Text for each CID, for ToUnicode. */
  private readonly unicode: string[] = [""];
  /** Glyph advance (font units) for each CID, for the W array. */
  private readonly widths: number[];
  readonly unitsPerEm: number;

  constructor(
    private readonly face: ShapedFont,
    private readonly bytes: Uint8Array,
    readonly name: string,
    readonly ref: PDFRef,
  ) {
    this.unitsPerEm = face.unitsPerEm;
    this.widths = [face.advanceOf(0)];
  }

  encode(text: string): Encoded {
    let encoded = this.encoded.get(text);
    if (encoded) return encoded;
    const shaped = this.face.shape(text);
    const scale = 1000 / this.unitsPerEm;
    let tj = "<";
    for (let i = 0; i < shaped.glyphs.length; i++) {
      const glyph = shaped.glyphs[i]!;
      let cid = this.cidOf.get(glyph);
      if (cid === undefined) {
        cid = this.glyphOf.length;
        this.glyphOf.push(glyph);
        this.cidOf.set(glyph, cid);
        this.unicode[cid] = shaped.texts[i]!;
        this.widths[cid] = this.face.advanceOf(glyph);
      }
      tj += cid.toString(16).padStart(4, "0");
      const kern = (shaped.natural[i]! - shaped.advances[i]!) * scale;
      if (i + 1 < shaped.glyphs.length && Math.abs(kern) > 1e-6) tj += `>${num(kern)}<`;
    }
    tj += ">";
    encoded = { tj: tj === "<>" ? "" : tj, width: shaped.width };
    this.encoded.set(text, encoded);
    return encoded;
  }

  /** Writes the font's objects to `this.ref`: Type 0 font, CID font, descriptor, font file, ToUnicode. */
  embed(context: PDFContext): void {
    const font = this.face.font;
    const scale = 1000 / this.unitsPerEm;
    const { program } = subsetTrueType(this.bytes, this.glyphOf);
    const postscript = (font.postscriptName ?? "Font").replace(/[^!-~]|[[\]()<>{}/%#]/g, "");
    // A subset's name starts with six capital letters and "+"; these come from the glyphs it holds, so
    // the same book gives the same name.
    const baseFont = `${subsetTag(this.name + this.unicode.join("\u0000"))}+${postscript}`;
    const fontFile = deflated(context, program, { Length1: program.length });
    const italic = font.italicAngle !== 0 || this.face.key === "italic" || this.face.key === "boldItalic";
    const bold = this.face.key === "bold" || this.face.key === "boldItalic";
    const bbox = font.bbox;
    const descriptor = context.obj({
      Type: "FontDescriptor",
      FontName: baseFont,
      // Symbolic (the glyphs are addressed by CID, not a standard encoding), plus italic where it is.
      Flags: 4 | (italic ? 64 : 0) | (font.post.isFixedPitch ? 1 : 0),
      FontBBox: [bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale].map(Math.round),
      ItalicAngle: font.italicAngle,
      Ascent: Math.round(font.ascent * scale),
      Descent: Math.round(font.descent * scale),
      CapHeight: Math.round((font.capHeight || font.ascent) * scale),
      XHeight: Math.round((font.xHeight || 0) * scale),
      // No font table gives the stem width; these are typical of a text face's regular and bold.
      StemV: bold ? 140 : 80,
      FontFile2: context.register(fontFile),
    });
    const cidFont = context.obj({
      Type: "Font",
      Subtype: "CIDFontType2",
      BaseFont: baseFont,
      CIDSystemInfo: { Registry: PDFString.of("Adobe"), Ordering: PDFString.of("Identity"), Supplement: 0 },
      FontDescriptor: context.register(descriptor),
      CIDToGIDMap: "Identity",
      DW: 1000,
      W: [0, this.widths.map((w) => Math.round(w * scale * 1000) / 1000)],
    });
    const toUnicode = deflated(context, toUnicodeCMap(this.unicode));
    context.assign(
      this.ref,
      context.obj({
        Type: "Font",
        Subtype: "Type0",
        BaseFont: baseFont,
        Encoding: "Identity-H",
        DescendantFonts: [context.register(cidFont)],
        ToUnicode: context.register(toUnicode),
      }),
    );
  }
}

function subsetTag(seed: string): string {
  // FNV-1a, read out as six letters.
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  let tag = "";
  for (let i = 0; i < 6; i++) {
    tag += String.fromCharCode(65 + (hash % 26));
    hash = Math.floor(hash / 26) + i * 7919;
  }
  return tag;
}

/** The ToUnicode CMap: each CID to the UTF-16 of its text, in blocks of at most 100 (the format's limit). */
function toUnicodeCMap(unicode: string[]): string {
  const entries: string[] = [];
  unicode.forEach((text, cid) => {
    if (cid === 0 || !text) return;
    let hex = "";
    for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, "0");
    entries.push(`<${cid.toString(16).padStart(4, "0")}> <${hex}>`);
  });
  const blocks: string[] = [];
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    blocks.push(`${block.length} beginbfchar\n${block.join("\n")}\nendbfchar`);
  }
  return [
    "/CIDInit /ProcSet findresource begin",
    "12 dict begin",
    "begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
    "/CMapName /Adobe-Identity-UCS def",
    "/CMapType 2 def",
    "1 begincodespacerange",
    "<0000> <FFFF>",
    "endcodespacerange",
    ...blocks,
    "endcmap",
    "CMapName currentdict /CMap defineresource pop",
    "end",
    "end",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Bookmarks

/** An outline entry: its title, the 1-based page it opens, and (an omnibus's book) the entries under it. */
interface OutlineEntry {
  title: string;
  page: number;
  children?: OutlineEntry[];
}

/**
 * One bookmark per chapter, opening the chapter's first page; in an omnibus one per book, opening its
 * title page, with its chapters under it (shown open). pdf-lib has no outline API, so the /Outlines tree
 * (a root and, on each level, a doubly linked list of items) is built from its low-level objects.
 */
function addOutline(doc: PDFDocument, model: BookModel, layout: PrintLayout, pageRefs: PDFRef[]): void {
  if (model.chapters.length === 0) return;
  const context = doc.context;
  const rootRef = context.nextRef();
  const chapterEntry = (i: number): OutlineEntry => ({ title: chapterHeading(model.chapters[i]!), page: layout.chapterPages[i]! });
  const parts = partRanges(model);
  const entries: OutlineEntry[] =
    parts.length === 0
      ? model.chapters.map((_, i) => chapterEntry(i))
      : parts.map((range) => ({
          title: range.part.title.trim() || "Untitled",
          page: layout.partPages![range.index]!,
          children: model.chapters.slice(range.start, range.end).map((_, j) => chapterEntry(range.start + j)),
        }));
  /** Writes one level's items under `parentRef` and returns their refs and how many items are visible. */
  const level = (list: OutlineEntry[], parentRef: PDFRef): { refs: PDFRef[]; visible: number } => {
    const itemRefs = list.map(() => context.nextRef());
    let visible = list.length;
    list.forEach((entry, i) => {
      const page = pageRefs[entry.page - 1]!;
      const item = PDFDict.withContext(context);
      item.set(PDFName.of("Title"), PDFHexString.fromText(entry.title));
      item.set(PDFName.of("Parent"), parentRef);
      if (i > 0) item.set(PDFName.of("Prev"), itemRefs[i - 1]!);
      if (i + 1 < itemRefs.length) item.set(PDFName.of("Next"), itemRefs[i + 1]!);
      if (entry.children && entry.children.length > 0) {
        const children = level(entry.children, itemRefs[i]!);
        item.set(PDFName.of("First"), children.refs[0]!);
        item.set(PDFName.of("Last"), children.refs.at(-1)!);
        // A positive count: the book's entry is open, its chapters shown.
        item.set(PDFName.of("Count"), PDFNumber.of(children.visible));
        visible += children.visible;
      }
      const dest = PDFArray.withContext(context);
      dest.push(page);
      dest.push(PDFName.of("Fit"));
      item.set(PDFName.of("Dest"), dest);
      context.assign(itemRefs[i]!, item);
    });
    return { refs: itemRefs, visible };
  };
  const { refs: itemRefs, visible } = level(entries, rootRef);
  const root = PDFDict.withContext(context);
  root.set(PDFName.of("Type"), PDFName.of("Outlines"));
  root.set(PDFName.of("First"), itemRefs[0]!);
  root.set(PDFName.of("Last"), itemRefs[itemRefs.length - 1]!);
  root.set(PDFName.of("Count"), PDFNumber.of(visible));
  context.assign(rootRef, root);
  doc.catalog.set(PDFName.of("Outlines"), rootRef);
  doc.catalog.set(PDFName.of("PageMode"), PDFName.of("UseOutlines"));
}
