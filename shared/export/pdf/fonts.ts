/**
 * The four faces a printed book is set in (regular, italic, bold, bold italic), read from font bytes the
 * caller supplies (shared/ cannot read files; the companion loads EB Garamond from node_modules), with the
 * shaping, measuring and coverage checks the layout and the PDF writer share.
 *
 * Shaping is done here rather than by fontkit's `layout()` for each word: fontkit's full OpenType pass
 * costs some 60 µs a call, and a novel has tens of thousands of distinct words and word fragments to
 * measure. What a Latin, Greek or Cyrillic book needs from the font is its glyphs, its f-ligatures and
 * its pair kerning, and those are looked up once (a ligature table per font, a kerning value per glyph
 * pair) and then reused. Text that needs real shaping (combining marks that do not compose, other
 * scripts) still goes through fontkit's layout. Measuring and drawing both read the same shaped result,
 * so a line is exactly as wide on the page as the line breaker thought.
 */
import fontkit from "@pdf-lib/fontkit";
import type { Font } from "@pdf-lib/fontkit";
import { partOfChapter, type Block, type BookModel, type Run } from "../book-model";
import type { FontKey, Measurer } from "./linebreak";

export type { FontKey } from "./linebreak";

export const FONT_KEYS: readonly FontKey[] = ["regular", "italic", "bold", "boldItalic"];

/** The font files (TrueType or OpenType bytes) of the four faces. */
export interface FontBytes {
  regular: Uint8Array;
  italic: Uint8Array;
  bold: Uint8Array;
  boldItalic: Uint8Array;
}

/** A piece of text as glyphs of one font. */
export interface Shaped {
  /** Glyph ids in the font, in drawing order. */
  glyphs: number[];
  /** The characters each glyph stands for (several for a ligature): what a PDF reader copies out. */
  texts: string[];
  /** Each glyph's advance in font units, with the kerning against the next glyph included. */
  advances: number[];
  /** The glyph's own advance (what the PDF's width table says), font units. */
  natural: number[];
  /** Sum of `advances`, font units. */
  width: number;
}

/** Ligatures tried longest first; these are all EB Garamond's default `liga` forms, and most text faces'. */
const LIGATURES = ["ffi", "ffl", "ff", "fi", "fl"];
/**
 * Characters that draw nothing and that a font need not have: zero-width spaces and joiners, variation
 * selectors (an emoji's U+FE0F), the word joiner, and soft hyphens (the line breaker consumes those).
 */
const INVISIBLE = /\u00AD|[\u200B\u200C]|\u200D|\u2060|\p{Variation_Selector}/gu;
/** Text the quick shaper can set: scripts without contextual forms, and no combining marks left after NFC. */
const SIMPLE = /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}]*$/u;

/** One face: its glyph lookups and a cache of every string shaped in it. */
export class ShapedFont {
  readonly unitsPerEm: number;
  private readonly glyphIds = new Map<number, number>();
  private readonly advanceById = new Map<number, number>();
  private readonly ligatures = new Map<string, number>();
  private readonly kerning = new Map<number, number>();
  private readonly shapes = new Map<string, Shaped>();
  /** Undefined until first needed; null when the font's GPOS is absent or not understood. */
  private pairs: PairKerning | null | undefined;

  constructor(
    readonly key: FontKey,
    readonly font: Font,
  ) {
    this.unitsPerEm = font.unitsPerEm;
    for (const sequence of LIGATURES) {
      // The font's own `liga` decides: a sequence is a ligature when shaping it gives one glyph.
      const run = font.layout(sequence);
      const glyph = run.glyphs[0];
      if (run.glyphs.length === 1 && glyph && glyph.id !== 0) this.ligatures.set(sequence, glyph.id);
    }
  }

  has(codePoint: number): boolean {
    return this.font.hasGlyphForCodePoint(codePoint);
  }

  /** Width of `text` in font units. */
  width(text: string): number {
    return this.shape(text).width;
  }

  /** The glyph's advance in font units (as the PDF's width table gives it). */
  advanceOf(glyphId: number): number {
    let advance = this.advanceById.get(glyphId);
    if (advance === undefined) {
      advance = this.font.getGlyph(glyphId).advanceWidth;
      this.advanceById.set(glyphId, advance);
    }
    return advance;
  }

  shape(text: string): Shaped {
    let shaped = this.shapes.get(text);
    if (shaped === undefined) {
      shaped = this.shapeUncached(text);
      this.shapes.set(text, shaped);
    }
    return shaped;
  }

  private glyphId(codePoint: number): number {
    let id = this.glyphIds.get(codePoint);
    if (id === undefined) {
      id = this.font.glyphForCodePoint(codePoint).id;
      this.glyphIds.set(codePoint, id);
    }
    return id;
  }

  private shapeUncached(raw: string): Shaped {
    let text = raw.replace(INVISIBLE, "");
    if (/\p{M}/u.test(text)) text = text.normalize("NFC");
    if (!SIMPLE.test(text) || /\p{M}/u.test(text)) return this.shapeWithFontkit(text);

    const glyphs: number[] = [];
    const texts: string[] = [];
    for (let i = 0; i < text.length; ) {
      if (text.charCodeAt(i) === 0x66 /* f */ && this.ligatures.size > 0) {
        const ligature = LIGATURES.find((l) => this.ligatures.has(l) && text.startsWith(l, i));
        if (ligature) {
          glyphs.push(this.ligatures.get(ligature)!);
          texts.push(ligature);
          i += ligature.length;
          continue;
        }
      }
      const codePoint = text.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      glyphs.push(this.glyphId(codePoint));
      texts.push(char);
      i += char.length;
    }
    const natural = glyphs.map((g) => this.advanceOf(g));
    const advances = natural.slice();
    for (let i = 0; i + 1 < glyphs.length; i++) advances[i]! += this.kern(glyphs[i]!, glyphs[i + 1]!, texts[i]! + texts[i + 1]!);
    return { glyphs, texts, advances, natural, width: advances.reduce((a, b) => a + b, 0) };
  }

  /**
   * The font's kerning between two glyphs: what its GPOS `kern` feature does to the first glyph's
   * advance. Read from the pair-adjustment lookups directly (see PairKerning); fontkit's layout of the
   * pair, which gives the same number at some hundred times the cost, is the fallback for a font whose
   * tables that reader does not understand.
   */
  private kern(left: number, right: number, pair: string): number {
    const key = left * 65536 + right;
    let value = this.kerning.get(key);
    if (value === undefined) {
      this.pairs ??= PairKerning.of(this.font);
      const direct = this.pairs?.kern(left, right, scriptOf(pair));
      if (direct !== undefined && direct !== null) value = direct;
      else {
        const run = this.font.layout(pair);
        const [a, b] = run.glyphs;
        value = run.glyphs.length === 2 && a?.id === left && b?.id === right ? (run.positions[0]?.xAdvance ?? a.advanceWidth) - a.advanceWidth : 0;
      }
      this.kerning.set(key, value);
    }
    return value;
  }

  /**
   * fontkit's full shaping, for the rare word that needs it. Mark offsets are dropped (a TJ string
   * cannot move a glyph vertically); NFC has already composed the marks a Latin font has letters for.
   */
  private shapeWithFontkit(text: string): Shaped {
    const run = this.font.layout(text);
    const glyphs = run.glyphs.map((g) => g.id);
    const texts = run.glyphs.map((g) => String.fromCodePoint(...g.codePoints));
    const natural = run.glyphs.map((g) => g.advanceWidth);
    const advances = run.positions.map((p) => p.xAdvance);
    return { glyphs, texts, advances, natural, width: advances.reduce((a, b) => a + b, 0) };
  }
}

/** The OpenType script tag a pair of characters is kerned under. */
function scriptOf(text: string): string {
  if (/\p{Script=Greek}/u.test(text)) return "grek";
  if (/\p{Script=Cyrillic}/u.test(text)) return "cyrl";
  return "latn";
}

// fontkit parses GPOS into plain objects and lazy arrays; these are the parts pair kerning reads.
interface LazyList<T> {
  length: number;
  get(index: number): T;
}
interface Coverage {
  version: number;
  glyphs?: number[];
  rangeRecords?: { start: number; end: number; startCoverageIndex: number }[];
}
interface ClassDef {
  version: number;
  startGlyph?: number;
  classValueArray?: number[];
  classRangeRecord?: { start: number; end: number; class: number }[];
}
interface PairValue {
  xAdvance?: number;
}
interface PairSubtable {
  version: number;
  coverage: Coverage;
  pairSets?: LazyList<{ secondGlyph: number; value1?: PairValue }[]> ;
  classDef1?: ClassDef;
  classDef2?: ClassDef;
  classRecords?: LazyList<LazyList<{ value1?: PairValue }>>;
}
interface GposTable {
  scriptList: { tag: string; script: { defaultLangSys?: { featureIndexes: number[] } } }[];
  featureList: { tag: string; feature: { lookupListIndexes: number[] } }[];
  lookupList: LazyList<{ lookupType: number; subTables: unknown[] }>;
}

/**
 * Pair kerning read straight from the font's GPOS `kern` lookups (pair adjustment, format 1 and 2, also
 * behind extension lookups), applied the way fontkit's GPOS processor applies them: per lookup, the first
 * subtable that covers the pair decides.
 */
class PairKerning {
  private readonly lookups = new Map<string, PairSubtable[][]>();

  private constructor(private readonly gpos: GposTable) {}

  static of(font: Font): PairKerning | null {
    const gpos = (font as unknown as { GPOS?: GposTable }).GPOS;
    return gpos?.scriptList && gpos.featureList && gpos.lookupList ? new PairKerning(gpos) : null;
  }

  /** The adjustment in font units, or null when the tables are not as expected. */
  kern(left: number, right: number, script: string): number | null {
    try {
      let total = 0;
      for (const subtables of this.lookupsFor(script)) {
        for (const table of subtables) {
          const applied = this.apply(table, left, right);
          if (applied !== null) {
            total += applied;
            break;
          }
        }
      }
      return total;
    } catch {
      return null;
    }
  }

  private lookupsFor(script: string): PairSubtable[][] {
    let found = this.lookups.get(script);
    if (found) return found;
    const entry = this.gpos.scriptList.find((s) => s.tag === script) ?? this.gpos.scriptList.find((s) => s.tag === "DFLT") ?? this.gpos.scriptList[0];
    const indexes = new Set<number>();
    for (const f of entry?.script.defaultLangSys?.featureIndexes ?? []) {
      const feature = this.gpos.featureList[f];
      if (feature?.tag === "kern") for (const l of feature.feature.lookupListIndexes) indexes.add(l);
    }
    found = [...indexes]
      .sort((a, b) => a - b)
      .map((i) => {
        const lookup = this.gpos.lookupList.get(i);
        const tables = lookup.subTables.map((t) => (lookup.lookupType === 9 ? ((t as { lookupType: number; extension: unknown }).lookupType === 2 ? (t as { extension: PairSubtable }).extension : null) : lookup.lookupType === 2 ? (t as PairSubtable) : null));
        return tables.filter((t): t is PairSubtable => t !== null);
      });
    this.lookups.set(script, found);
    return found;
  }

  /** The first glyph's advance adjustment, or null when this subtable does not apply to the pair. */
  private apply(table: PairSubtable, left: number, right: number): number | null {
    const index = coverageIndex(table.coverage, left);
    if (index < 0) return null;
    if (table.version === 1 && table.pairSets) {
      for (const pair of table.pairSets.get(index)) if (pair.secondGlyph === right) return pair.value1?.xAdvance ?? 0;
      return null;
    }
    if (table.version === 2 && table.classRecords && table.classDef1 && table.classDef2) {
      const record = table.classRecords.get(classOf(table.classDef1, left)).get(classOf(table.classDef2, right));
      return record.value1?.xAdvance ?? 0;
    }
    throw new Error("Unknown pair adjustment format");
  }
}

function coverageIndex(coverage: Coverage, glyph: number): number {
  if (coverage.version === 1) return coverage.glyphs?.indexOf(glyph) ?? -1;
  for (const r of coverage.rangeRecords ?? []) if (glyph >= r.start && glyph <= r.end) return r.startCoverageIndex + glyph - r.start;
  return -1;
}

function classOf(def: ClassDef, glyph: number): number {
  if (def.version === 1) {
    const i = glyph - (def.startGlyph ?? 0);
    return i >= 0 && i < (def.classValueArray?.length ?? 0) ? (def.classValueArray?.[i] ?? 0) : 0;
  }
  for (const r of def.classRangeRecord ?? []) if (glyph >= r.start && glyph <= r.end) return r.class;
  return 0;
}

/** The book's four faces, with measuring at any size. */
export class FontSet {
  readonly faces: Record<FontKey, ShapedFont>;
  private readonly measurers = new Map<number, Measurer>();

  constructor(readonly bytes: FontBytes) {
    const load = (key: FontKey): ShapedFont => {
      const data = bytes[key];
      if (!(data instanceof Uint8Array) || data.length === 0) throw new Error(`No font given for ${key}.`);
      // Checked here, before the book is laid out, because the embedding (subsetTrueType) needs it.
      const problem = unsupportedFormat(data);
      if (problem) throw new Error(`The ${key} font ${problem}; the print PDF embeds TrueType (.ttf) fonts.`);
      return new ShapedFont(key, fontkit.create(data));
    };
    this.faces = { regular: load("regular"), italic: load("italic"), bold: load("bold"), boldItalic: load("boldItalic") };
  }

  /** Width in points of `text` set in `font` at `size`. */
  width(text: string, font: FontKey, size: number): number {
    const face = this.faces[font];
    return (face.width(text) * size) / face.unitsPerEm;
  }

  /** A measurer at one size, for the line breaker. */
  measurer(size: number): Measurer {
    let measurer = this.measurers.get(size);
    if (!measurer) {
      const faces = this.faces;
      measurer = { width: (text, font) => (faces[font].width(text) * size) / faces[font].unitsPerEm };
      this.measurers.set(size, measurer);
    }
    return measurer;
  }

  /** Whether `font` can draw every visible character of `text`. */
  canDraw(text: string, font: FontKey): boolean {
    const face = this.faces[font];
    for (const char of text.replace(INVISIBLE, "")) if (!isSpace(char) && !face.has(char.codePointAt(0)!)) return false;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------
// Which face a run is set in

/** The face for a run of body text; `bold` for text set bold as a whole (headings). */
export function faceFor(run: Pick<Run, "italic" | "bold">, bold = false): FontKey {
  const b = bold || !!run.bold;
  if (run.italic) return b ? "boldItalic" : "italic";
  return b ? "bold" : "regular";
}

/**
 * Spaces the line breaker turns into glue (never drawn as glyphs). U+2007 and U+202F are not here: the
 * breaker keeps those inside words, so the font must have them.
 */
function isSpace(char: string): boolean {
  return /^[\t\n\v\f\r \u00A0\u1680\u2000-\u2006\u2008-\u200A\u2028\u2029\u205F\u3000]$/u.test(char);
}

// ---------------------------------------------------------------------------------------------------
// Coverage

export interface UnencodableChar {
  char: string;
  /** `U+6708` */
  codePoint: string;
  /**
   * The chapter the character is in, or null for the book's title or author (or, in an omnibus, a
   * book's title, label or author). `book`: in an omnibus, the title of the book the chapter is in.
   */
  chapter: { index: number; number: number | null; title: string; book?: string } | null;
  /** The face that lacks it (the first one, when the text is set in several). */
  font: FontKey;
  /** How many times it occurs there. */
  count: number;
}

/** Thrown by the PDF export when the fonts cannot draw some of the book's characters. */
export class UnencodableError extends Error {
  constructor(readonly characters: UnencodableChar[]) {
    super(describeUnencodable(characters));
    this.name = "UnencodableError";
  }
}

export function codePointLabel(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `chapter 1 "Letters from everywhere": 月 (U+6708), 🗼 (U+1F5FC); …` */
export function describeUnencodable(characters: UnencodableChar[]): string {
  const n = characters.length;
  return `The fonts cannot draw ${n} character${n === 1 ? "" : "s"} in this book; change the text, use fonts that have them, or export with missing characters marked. ${whereUnencodable(characters)}.`;
}

/** Each place and its characters: `chapter 1 "Letters": 月 (U+6708), 🗼 (U+1F5FC)`, places joined by "; ". */
export function whereUnencodable(characters: UnencodableChar[]): string {
  const groups = new Map<string, UnencodableChar[]>();
  for (const c of characters) {
    const where = c.chapter === null ? "the book's title or author" : `${c.chapter.book === undefined ? "" : `${c.chapter.book}, `}chapter ${c.chapter.number ?? c.chapter.index + 1} "${c.chapter.title}"`;
    const list = groups.get(where) ?? [];
    list.push(c);
    groups.set(where, list);
  }
  return [...groups].map(([where, list]) => `${where}: ${list.map((c) => `${c.char} (${c.codePoint})`).join(", ")}`).join("; ");
}

/**
 * A face-tagged piece of the book's visible text: every run, in the face the layout sets it in, plus the
 * chapter titles and the book's title and author (in the faces used for titles and running heads).
 */
interface TextPiece {
  text: string;
  fonts: FontKey[];
  chapter: number | null;
}

function* textPieces(model: BookModel): Generator<TextPiece> {
  const titleFaces: FontKey[] = ["regular", "italic"];
  yield { text: model.title, fonts: titleFaces, chapter: null };
  if (model.author) yield { text: model.author, fonts: titleFaces, chapter: null };
  // An omnibus's books: each title is on its own page, in the contents and in running heads.
  for (const part of model.parts ?? []) {
    yield { text: part.title, fonts: titleFaces, chapter: null };
    yield { text: part.label, fonts: titleFaces, chapter: null };
    if (part.author) yield { text: part.author, fonts: titleFaces, chapter: null };
  }
  const blocks = function* (list: Block[], chapter: number, bold: boolean): Generator<TextPiece> {
    for (const block of list) {
      if (block.type === "paragraph" || block.type === "heading") {
        for (const run of block.runs) yield { text: run.text, fonts: [faceFor(run, bold || block.type === "heading")], chapter };
      } else if (block.type === "blockquote") yield* blocks(block.blocks, chapter, bold);
      else if (block.type === "list") for (const item of block.items) yield* blocks(item, chapter, bold);
      else if (block.type === "code") yield { text: block.text, fonts: ["regular"], chapter };
    }
  };
  for (const [index, chapter] of model.chapters.entries()) {
    yield { text: chapter.title, fonts: titleFaces, chapter: index };
    yield* blocks(chapter.blocks, index, false);
    for (const note of chapter.notes) yield* blocks(note, index, false);
  }
}

/** Every character of the book the fonts cannot draw, by chapter, in the order they first occur. */
export function findUnencodable(model: BookModel, fonts: FontSet): UnencodableChar[] {
  const found = new Map<string, UnencodableChar>();
  for (const piece of textPieces(model)) {
    for (const char of piece.text.replace(INVISIBLE, "")) {
      if (isSpace(char)) continue;
      const codePoint = char.codePointAt(0)!;
      const missing = piece.fonts.find((f) => !fonts.faces[f].has(codePoint));
      if (missing === undefined) continue;
      const key = `${piece.chapter ?? -1}:${char}`;
      const known = found.get(key);
      if (known) {
        known.count++;
        continue;
      }
      const chapter = piece.chapter === null ? null : model.chapters[piece.chapter]!;
      const part = piece.chapter === null ? null : partOfChapter(model, piece.chapter);
      found.set(key, {
        char,
        codePoint: codePointLabel(char),
        chapter: chapter === null ? null : { index: piece.chapter!, number: chapter.number, title: chapter.title, ...(part === null ? {} : { book: model.parts![part]!.title }) },
        font: missing,
        count: 1,
      });
    }
  }
  return [...found.values()];
}

/**
 * The model with every character the fonts cannot draw replaced by U+FFFD (the replacement character,
 * a boxed question mark in most text faces) or, where the face lacks that too, by "?".
 */
export function replaceUnencodable(model: BookModel, fonts: FontSet): BookModel {
  const fix = (text: string, faces: FontKey[]): string => {
    if (faces.every((f) => fonts.canDraw(text, f))) return text;
    const placeholder = faces.every((f) => fonts.faces[f].has(0xfffd)) ? "\uFFFD" : "?";
    let out = "";
    for (const char of text.replace(INVISIBLE, "")) {
      const codePoint = char.codePointAt(0)!;
      out += isSpace(char) || faces.every((f) => fonts.faces[f].has(codePoint)) ? char : placeholder;
    }
    return out;
  };
  const titleFaces: FontKey[] = ["regular", "italic"];
  const runs = (list: Run[], bold: boolean): Run[] => list.map((r) => ({ ...r, text: fix(r.text, [faceFor(r, bold)]) }));
  const blocks = (list: Block[]): Block[] =>
    list.map((block): Block => {
      switch (block.type) {
        case "paragraph":
          return { ...block, runs: runs(block.runs, false) };
        case "heading":
          return { ...block, runs: runs(block.runs, true) };
        case "blockquote":
          return { ...block, blocks: blocks(block.blocks) };
        case "list":
          return { ...block, items: block.items.map(blocks) };
        case "code":
          return { ...block, text: fix(block.text, ["regular"]) };
        default:
          return block;
      }
    });
  return {
    ...model,
    title: fix(model.title, titleFaces),
    ...(model.author ? { author: fix(model.author, titleFaces) } : {}),
    ...(model.parts
      ? { parts: model.parts.map((p) => ({ ...p, title: fix(p.title, titleFaces), label: fix(p.label, titleFaces), ...(p.author ? { author: fix(p.author, titleFaces) } : {}) })) }
      : {}),
    chapters: model.chapters.map((c) => ({ ...c, title: fix(c.title, titleFaces), blocks: blocks(c.blocks), notes: c.notes.map(blocks) })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Subsetting

/** Why a font file cannot be subset by subsetTrueType, or null when it can. */
function unsupportedFormat(bytes: Uint8Array): string | null {
  const tag = String.fromCharCode(...bytes.subarray(0, 4));
  if (tag === "\0\x01\0\0" || tag === "true") return null;
  if (tag === "OTTO") return "has PostScript (CFF) outlines";
  if (tag === "wOFF" || tag === "wOF2") return "is a web font (WOFF); use the .ttf it was made from";
  if (tag === "ttcf") return "is a collection (.ttc); use a single .ttf";
  return "is not a TrueType font";
}

/**
 * A TrueType font cut down to the glyphs a document draws, renumbered in `glyphs` order (0 must be
 * .notdef). Components of composite glyphs are appended and renumbered too. Returns the font program
 * and how many glyphs it holds.
 *
 * fontkit has a subsetter, and pdf-lib's `subset: true` uses it, but it writes short `loca` offsets
 * without padding the glyph records to even lengths, so in fonts with odd-length records (EB Garamond
 * is one) most glyphs come out empty. This one always writes long offsets and pads every record to four
 * bytes. It keeps what a PDF renderer reads (head, hhea, maxp, hmtx, loca, glyf, the hinting tables)
 * plus OS/2, name and a version-3 post; no cmap, since the PDF addresses glyphs by number.
 */
export function subsetTrueType(bytes: Uint8Array, glyphs: number[]): { program: Uint8Array; glyphCount: number } {
  const problem = unsupportedFormat(bytes);
  if (problem) throw new Error(`The font ${problem}; only TrueType (.ttf) fonts can be embedded.`);
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, { offset: number; length: number }>();
  const numTables = font.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const tag = String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
    tables.set(tag, { offset: font.getUint32(at + 8), length: font.getUint32(at + 12) });
  }
  const table = (tag: string): { offset: number; length: number } => {
    const t = tables.get(tag);
    if (!t) throw new Error(`The font has no ${tag} table.`);
    return t;
  };
  const head = table("head");
  const longLoca = font.getInt16(head.offset + 50) === 1;
  const numGlyphs = font.getUint16(table("maxp").offset + 4);
  const numberOfHMetrics = font.getUint16(table("hhea").offset + 34);
  const loca = table("loca").offset;
  const glyf = table("glyf").offset;
  const hmtx = table("hmtx").offset;
  const glyphRange = (gid: number): [number, number] => {
    if (gid >= numGlyphs) return [0, 0];
    return longLoca
      ? [font.getUint32(loca + gid * 4), font.getUint32(loca + gid * 4 + 4)]
      : [font.getUint16(loca + gid * 2) * 2, font.getUint16(loca + gid * 2 + 2) * 2];
  };
  const metrics = (gid: number): [number, number] => {
    const m = Math.min(gid, numberOfHMetrics - 1);
    const advance = font.getUint16(hmtx + m * 4);
    const lsb = gid < numberOfHMetrics ? font.getInt16(hmtx + gid * 4 + 2) : font.getInt16(hmtx + numberOfHMetrics * 4 + (gid - numberOfHMetrics) * 2);
    return [advance, lsb];
  };

  const order = glyphs.slice();
  const newId = new Map<number, number>();
  order.forEach((g, i) => newId.set(g, i));
  const include = (gid: number): number => {
    let id = newId.get(gid);
    if (id === undefined) {
      id = order.length;
      order.push(gid);
      newId.set(gid, id);
    }
    return id;
  };
  const records: Uint8Array[] = [];
  for (let i = 0; i < order.length; i++) {
    const [start, end] = glyphRange(order[i]!);
    const record = bytes.slice(glyf + start, glyf + end);
    if (record.length >= 10 && new DataView(record.buffer).getInt16(0) < 0) {
      // A composite: point its components at their new numbers (including them if new).
      const view = new DataView(record.buffer);
      let at = 10;
      for (;;) {
        const flags = view.getUint16(at);
        view.setUint16(at + 2, include(view.getUint16(at + 2)));
        at += 4 + (flags & 0x0001 ? 4 : 2);
        if (flags & 0x0008) at += 2;
        else if (flags & 0x0040) at += 4;
        else if (flags & 0x0080) at += 8;
        if (!(flags & 0x0020)) break;
      }
    }
    records.push(record);
  }

  const n = order.length;
  const glyfOut = new Uint8Array(records.reduce((sum, r) => sum + pad4(r.length), 0));
  const locaOut = new DataView(new ArrayBuffer((n + 1) * 4));
  let offset = 0;
  records.forEach((r, i) => {
    locaOut.setUint32(i * 4, offset);
    glyfOut.set(r, offset);
    offset += pad4(r.length);
  });
  locaOut.setUint32(n * 4, offset);
  const hmtxOut = new DataView(new ArrayBuffer(n * 4));
  order.forEach((gid, i) => {
    const [advance, lsb] = metrics(gid);
    hmtxOut.setUint16(i * 4, advance);
    hmtxOut.setInt16(i * 4 + 2, lsb);
  });
  const copy = (tag: string): Uint8Array => {
    const t = table(tag);
    return bytes.slice(t.offset, t.offset + t.length);
  };
  const headOut = copy("head");
  new DataView(headOut.buffer).setUint32(8, 0); // checkSumAdjustment, set below
  new DataView(headOut.buffer).setInt16(50, 1);
  const hheaOut = copy("hhea");
  new DataView(hheaOut.buffer).setUint16(34, n);
  const maxpOut = copy("maxp");
  new DataView(maxpOut.buffer).setUint16(4, n);

  const out = new Map<string, Uint8Array>([
    ["glyf", glyfOut],
    ["head", headOut],
    ["hhea", hheaOut],
    ["hmtx", new Uint8Array(hmtxOut.buffer)],
    ["loca", new Uint8Array(locaOut.buffer)],
    ["maxp", maxpOut],
  ]);
  for (const tag of ["cvt ", "fpgm", "prep", "OS/2", "name"]) if (tables.has(tag)) out.set(tag, copy(tag));
  if (tables.has("post") && table("post").length >= 32) {
    const post = copy("post").slice(0, 32);
    new DataView(post.buffer).setUint32(0, 0x00030000); // no glyph names: they would name the old numbers
    out.set("post", post);
  }
  return { program: writeSfnt(out), glyphCount: n };
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function checksum(data: Uint8Array): number {
  const padded = new Uint8Array(pad4(data.length));
  padded.set(data);
  const view = new DataView(padded.buffer);
  let sum = 0;
  for (let i = 0; i < padded.length; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

/** An sfnt file from its tables, with the directory sorted by tag and head's whole-file checksum set. */
function writeSfnt(tables: Map<string, Uint8Array>): Uint8Array {
  const tags = [...tables.keys()].sort();
  const count = tags.length;
  let size = 12 + count * 16;
  for (const tag of tags) size += pad4(tables.get(tag)!.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const power = 2 ** Math.floor(Math.log2(count));
  view.setUint32(0, 0x00010000);
  view.setUint16(4, count);
  view.setUint16(6, power * 16);
  view.setUint16(8, Math.log2(power));
  view.setUint16(10, count * 16 - power * 16);
  let offset = 12 + count * 16;
  let headOffset = -1;
  tags.forEach((tag, i) => {
    const data = tables.get(tag)!;
    const at = 12 + i * 16;
    for (let c = 0; c < 4; c++) out[at + c] = tag.charCodeAt(c);
    view.setUint32(at + 4, checksum(data));
    view.setUint32(at + 8, offset);
    view.setUint32(at + 12, data.length);
    out.set(data, offset);
    if (tag === "head") headOffset = offset;
    offset += pad4(data.length);
  });
  if (headOffset >= 0) view.setUint32(headOffset + 8, (0xb1b0afba - checksum(out)) >>> 0);
  return out;
}
