// Paragraph line breaking for the print-PDF exporter: Knuth and Plass's total-fit algorithm
// ("Breaking Paragraphs into Lines", 1981) over boxes, glue and penalties, with TeX's defaults
// where the paper leaves a choice open.

export type FontKey = "regular" | "italic" | "bold" | "boldItalic";
export interface TextRun { text: string; font: FontKey }
export interface Measurer {
  /** Width in points of `text` set in `font` at the paragraph's size. */
  width(text: string, font: FontKey): number;
}
export interface BreakOptions {
  /** Measure of every line in points. */
  lineWidth: number;
  /** Indent of the first line in points (the line is that much shorter). @default 0 */
  firstLineIndent?: number;
  /** Syllables of a word, or null/undefined for no hyphenation. */
  hyphenate?: ((word: string) => string[]) | null;
  /** false: ragged right (lines set with natural spaces). @default true */
  justify?: boolean;
  /**
   * Knuth–Plass tolerance (max adjustment ratio); when no solution exists within it, retry looser, and
   * finally fall back to a greedy break that never fails (an overfull line for a single word wider than
   * the measure, e.g. a URL, is allowed and flagged). @default 2
   */
  tolerance?: number;
}
export interface PlacedWord { text: string; font: FontKey; x: number; width: number }
export interface Line {
  /**
   * Pieces of text with their x offset from the line's left edge (the first-line indent already
   * included), in reading order. A word that changes font mid-word (e.g. "*un*done") is several pieces.
   * A hyphenated last piece ends with "-" (a real hyphen-minus U+002D, since the PDF text must read back
   * as a hyphen).
   */
  words: PlacedWord[];
  /** Total width the line occupies. */
  width: number;
  hyphenated: boolean;
  /** True for a line whose content is wider than the measure even at maximum shrink. */
  overfull: boolean;
}

// TeX's plain-format values: \hyphenpenalty, \exhyphenpenalty, \linepenalty, \doublehyphendemerits,
// \finalhyphendemerits, \adjdemerits.
const HYPHEN_PENALTY = 50;
const EXPLICIT_HYPHEN_PENALTY = 50;
const LINE_PENALTY = 10;
const DOUBLE_HYPHEN_DEMERITS = 3000;
const FINAL_HYPHEN_DEMERITS = 5000;
const ADJACENT_FITNESS_DEMERITS = 10000;
/** A penalty this large forbids a break; its negative forces one. */
const INFINITE_PENALTY = 10000;
/** Badness of a line that cannot stretch at all (only with a measurer whose space is 0 wide). */
const UNSTRETCHABLE_BADNESS = 10000;
const DEFAULT_TOLERANCE = 2;
/**
 * Ragged right gives every line a stretchable right margin instead of stretchable spaces (as
 * \raggedright's \rightskip); about 2em, counted in spaces of the regular font.
 */
const RAGGED_STRETCH_SPACES = 8;
/**
 * Slack on the ratio limits: sums of thirds of spaces are not exact in binary, and a line that shrinks
 * by exactly all it can must not turn overfull by rounding.
 */
const EPSILON = 1e-9;
const DECENT = 2;
const TIGHT = 3;

const BOX = 0;
const GLUE = 1;
const PENALTY = 2;

interface Piece { text: string; font: FontKey; width: number }

/**
 * The paragraph as Knuth–Plass items, in parallel arrays (a 10,000-word paragraph is some 30,000 items,
 * and the breaker reads them in its innermost loop).
 */
interface Items {
  kind: number[];
  width: number[];
  stretch: number[];
  shrink: number[];
  /** Infinite (first-order) stretch, counted apart so finite sums never meet Infinity. */
  fil: number[];
  penalty: number[];
  flagged: boolean[];
  /** A box's text. */
  pieces: (Piece[] | null)[];
  /** For a penalty inside a word: the font of the "-" a break there adds; null when it adds none. */
  hyphenFont: (FontKey | null)[];
}

type Fragment = { text: string; font: FontKey };
interface Gap { font: FontKey; nonBreaking: boolean }
/** The words between two forced breaks, and the spaces between them (`gaps[i]` follows `words[i]`). */
interface Segment { words: Fragment[][]; gaps: Gap[] }

// Spaces that collapse into one stretchable, breakable space. U+2007 and U+202F are left to the words:
// they are fixed-width and non-breaking by definition. U+00A0 is a space that stretches but never breaks.
const SPACE_CLASS = "\\t\\v\\f\\r \\u00A0\\u1680\\u2000-\\u2006\\u2008-\\u200A\\u205F\\u3000";
const FORCED_CLASS = "\\n\\u2028\\u2029";
const TOKEN = new RegExp(`([${FORCED_CLASS}])|([${SPACE_CLASS}]+)|([^${SPACE_CLASS}${FORCED_CLASS}]+)`, "gu");
const NBSP = "\u00A0";
const SOFT_HYPHEN = "\u00AD";
const DASHES = new Set(["-", "\u2010", "\u2013", "\u2014"]);

function segmentsOf(runs: TextRun[]): Segment[] {
  const segments: Segment[] = [];
  let segment: Segment = { words: [], gaps: [] };
  let word: Fragment[] | null = null;
  let gap: Gap | null = null;

  const closeWord = () => {
    if (word) segment.words.push(word);
    word = null;
  };
  for (const run of runs) {
    for (const m of run.text.matchAll(TOKEN)) {
      if (m[1] !== undefined) {
        closeWord();
        // Spaces next to a forced break would only make the line before it look short.
        gap = null;
        segments.push(segment);
        segment = { words: [], gaps: [] };
      } else if (m[2] !== undefined) {
        closeWord();
        const nonBreaking = m[2].includes(NBSP);
        // A paragraph's or a forced line's leading spaces are dropped, as TeX drops glue after a break.
        if (segment.words.length > 0) {
          gap = gap ? { font: gap.font, nonBreaking: gap.nonBreaking || nonBreaking } : { font: run.font, nonBreaking };
        }
      } else if (m[3] !== undefined) {
        if (gap) {
          segment.gaps.push(gap);
          gap = null;
        }
        const last: Fragment | undefined = word ? word[word.length - 1] : undefined;
        if (last && last.font === run.font) last.text += m[3];
        else (word ??= []).push({ text: m[3], font: run.font });
      }
    }
  }
  closeWord();
  segments.push(segment);
  // A forced break at the very end of a paragraph breaks nothing.
  while (segments.length > 0 && segments[segments.length - 1]?.words.length === 0) segments.pop();
  return segments;
}

/** Break positions inside a word (offsets in the word without soft hyphens), true where a "-" is added. */
function wordBreaks(text: string, soft: number[], hyphenate: ((word: string) => string[]) | null | undefined): Map<number, boolean> {
  const breaks = new Map<number, boolean>();
  // An author's soft hyphens say exactly where the word may break, in any language.
  if (soft.length > 0) {
    for (const p of soft) if (p > 0 && p < text.length) breaks.set(p, true);
  } else if (hyphenate) {
    const parts = hyphenate(text);
    if (parts.length > 1 && parts.join("") === text) {
      let p = 0;
      for (let i = 0; i < parts.length - 1; i++) {
        p += (parts[i] ?? "").length;
        if (p > 0 && p < text.length) breaks.set(p, true);
      }
    }
  }
  // After an explicit hyphen or dash, but not inside a run of dashes ("--") nor after a leading one ("-5").
  let seenOther = false;
  for (let p = 1; p < text.length; p++) {
    const before = text[p - 1] ?? "";
    if (!DASHES.has(before)) seenOther = true;
    else if (seenOther && !DASHES.has(text[p] ?? "")) breaks.set(p, false);
  }
  return breaks;
}

/** Every word is measured once per call: a paragraph repeats "the" and "of" dozens of times. */
class Widths {
  private readonly cache: Record<FontKey, Map<string, number>> = { regular: new Map(), italic: new Map(), bold: new Map(), boldItalic: new Map() };

  constructor(private readonly measure: Measurer) {}

  of(text: string, font: FontKey): number {
    const cache = this.cache[font];
    let w = cache.get(text);
    if (w === undefined) {
      w = this.measure.width(text, font);
      cache.set(text, w);
    }
    return w;
  }
}

class ItemBuilder {
  readonly items: Items = { kind: [], width: [], stretch: [], shrink: [], fil: [], penalty: [], flagged: [], pieces: [], hyphenFont: [] };

  constructor(
    private readonly widths: Widths,
    private readonly justify: boolean,
    private readonly hyphenate: ((word: string) => string[]) | null | undefined,
  ) {}

  private widthOf(text: string, font: FontKey): number {
    return this.widths.of(text, font);
  }

  private push(kind: number, width: number, stretch: number, shrink: number, fil: number, penalty: number, flagged: boolean, pieces: Piece[] | null, hyphenFont: FontKey | null): void {
    const it = this.items;
    it.kind.push(kind);
    it.width.push(width);
    it.stretch.push(stretch);
    it.shrink.push(shrink);
    it.fil.push(fil);
    it.penalty.push(penalty);
    it.flagged.push(flagged);
    it.pieces.push(pieces);
    it.hyphenFont.push(hyphenFont);
  }

  private box(pieces: Piece[]): void {
    let w = 0;
    for (const p of pieces) w += p.width;
    this.push(BOX, w, 0, 0, 0, 0, false, pieces, null);
  }

  word(fragments: Fragment[]): void {
    let clean = fragments;
    const soft: number[] = [];
    if (fragments.some((f) => f.text.includes(SOFT_HYPHEN))) {
      clean = [];
      let offset = 0;
      for (const f of fragments) {
        const parts = f.text.split(SOFT_HYPHEN);
        let text = "";
        for (let i = 0; i < parts.length; i++) {
          if (i > 0) soft.push(offset + text.length);
          text += parts[i] ?? "";
        }
        offset += text.length;
        if (text !== "") clean.push({ text, font: f.font });
      }
      // A word of nothing but soft hyphens has nothing to show.
      if (clean.length === 0) return;
    }
    const text = clean.length === 1 ? (clean[0]?.text ?? "") : clean.map((f) => f.text).join("");
    const breaks = wordBreaks(text, soft, this.hyphenate);
    if (breaks.size === 0) {
      this.box(clean.map((f) => ({ text: f.text, font: f.font, width: this.widthOf(f.text, f.font) })));
      return;
    }

    const cuts = [...breaks.keys()].sort((a, b) => a - b);
    let cutIndex = 0;
    let pieces: Piece[] = [];
    let offset = 0;
    let previousFont: FontKey = clean[0]?.font ?? "regular";
    for (const f of clean) {
      let from = 0;
      for (let cut = cuts[cutIndex]; cut !== undefined && cut < offset + f.text.length; cut = cuts[++cutIndex]) {
        const at = cut - offset;
        if (at > from) {
          const t = f.text.slice(from, at);
          pieces.push({ text: t, font: f.font, width: this.widthOf(t, f.font) });
        }
        this.box(pieces);
        pieces = [];
        if (breaks.get(cut) === true) {
          // The added "-" is set in the font of the letter before it, which is the previous fragment's
          // when the break falls exactly on a font change.
          const font = at > 0 ? f.font : previousFont;
          this.push(PENALTY, this.widthOf("-", font), 0, 0, 0, HYPHEN_PENALTY, true, null, font);
        } else {
          this.push(PENALTY, 0, 0, 0, 0, EXPLICIT_HYPHEN_PENALTY, true, null, null);
        }
        from = at;
      }
      if (from < f.text.length) {
        const t = from === 0 ? f.text : f.text.slice(from);
        pieces.push({ text: t, font: f.font, width: this.widthOf(t, f.font) });
      }
      offset += f.text.length;
      previousFont = f.font;
    }
    this.box(pieces);
  }

  gap(gap: Gap): void {
    const w = this.widthOf(" ", gap.font);
    // A forbidden break before the glue makes it unbreakable: glue breaks only right after a box.
    if (gap.nonBreaking) this.push(PENALTY, 0, 0, 0, 0, INFINITE_PENALTY, false, null, null);
    // TeX's interword glue: stretch a half and shrink a third of the space. Ragged lines keep natural spaces.
    if (this.justify) this.push(GLUE, w, w / 2, w / 3, 0, 0, false, null, null);
    else this.push(GLUE, w, 0, 0, 0, 0, false, null, null);
  }

  /** \parfillskip: the last line (and a line before a forced break) is set at natural width. */
  finish(): void {
    this.push(PENALTY, 0, 0, 0, 0, INFINITE_PENALTY, false, null, null);
    this.push(GLUE, 0, 0, 0, 1, 0, false, null, null);
    this.push(PENALTY, 0, 0, 0, 0, -INFINITE_PENALTY, false, null, null);
  }
}

/** Prefix sums of the items' widths, stretch, shrink and fil: `width[i]` covers items 0..i-1. */
interface Sums { width: Float64Array; stretch: Float64Array; shrink: Float64Array; fil: Float64Array }

function sumsOf(items: Items): Sums {
  const n = items.kind.length;
  const sums: Sums = { width: new Float64Array(n + 1), stretch: new Float64Array(n + 1), shrink: new Float64Array(n + 1), fil: new Float64Array(n + 1) };
  for (let i = 0; i < n; i++) {
    const k = items.kind[i];
    // A penalty's width counts only on the line it ends, so it stays out of the running sums.
    const counts = k !== PENALTY;
    sums.width[i + 1] = (sums.width[i] ?? 0) + (counts ? (items.width[i] ?? 0) : 0);
    sums.stretch[i + 1] = (sums.stretch[i] ?? 0) + (counts ? (items.stretch[i] ?? 0) : 0);
    sums.shrink[i + 1] = (sums.shrink[i] ?? 0) + (counts ? (items.shrink[i] ?? 0) : 0);
    sums.fil[i + 1] = (sums.fil[i] ?? 0) + (counts ? (items.fil[i] ?? 0) : 0);
  }
  return sums;
}

/** Whether item `i` is a legal breakpoint: glue right after a box, or a penalty below infinity. */
function isBreakpoint(items: Items, i: number): boolean {
  const k = items.kind[i];
  if (k === GLUE) return i > 0 && items.kind[i - 1] === BOX;
  return k === PENALTY && (items.penalty[i] ?? 0) < INFINITE_PENALTY;
}

/** The first item of the line after a break at `b`: glue and penalties at a line's start are dropped. */
function lineStart(items: Items, b: number): number {
  let i = b + 1;
  const n = items.kind.length;
  while (i < n && items.kind[i] !== BOX && !(items.kind[i] === PENALTY && (items.penalty[i] ?? 0) <= -INFINITE_PENALTY)) i++;
  return i;
}

interface Geometry {
  /** Available width of the segment's first line, and of every other one. */
  first: number;
  rest: number;
  /** Stretch every line gets on its right margin (ragged right), 0 when justified. */
  ragged: number;
  /**
   * The stretch a line without spaces (a lone word, set flush left) is judged by: one space's. TeX calls
   * every such line equally bad, which makes a lone "of" on a wide line as good as a slightly loose one.
   */
  lone: number;
}

/** Natural width of the line from item `start` to a break at `b`, with the break's own width ("-"). */
function lineWidthBetween(items: Items, sums: Sums, start: number, b: number): number {
  const penaltyWidth = items.kind[b] === PENALTY ? (items.width[b] ?? 0) : 0;
  return (sums.width[b] ?? 0) - (sums.width[start] ?? 0) + penaltyWidth;
}

/** The adjustment ratio: how far the line's glue must stretch (> 0) or shrink (< 0) to fill `available`. */
function ratioOf(natural: number, stretch: number, shrink: number, fil: number, available: number): number {
  if (natural < available) {
    if (fil > 0) return 0;
    return stretch > 0 ? (available - natural) / stretch : Infinity;
  }
  if (natural > available) return shrink > 0 ? (available - natural) / shrink : -Infinity;
  return 0;
}

interface BreakNode {
  /** Index of the break item; -1 for the segment's start. */
  position: number;
  /** First item of the line that follows the break. */
  start: number;
  line: number;
  fitness: number;
  flagged: boolean;
  demerits: number;
  previous: BreakNode | null;
  /** The next node on the active list. */
  next: BreakNode | null;
}

/**
 * Total fit: the breaks that minimise the paragraph's demerits, or null when no set of lines stays
 * within `tolerance`. With `emergency`, a line that cannot be made to fit (a word wider than the
 * measure) is accepted as overfull rather than failing, as TeX's final pass does.
 */
function knuthPlass(items: Items, sums: Sums, geometry: Geometry, tolerance: number, emergency: boolean): number[] | null {
  const n = items.kind.length;
  const startNode: BreakNode = { position: -1, start: 0, line: 0, fitness: DECENT, flagged: false, demerits: 0, previous: null, next: null };
  let head: BreakNode | null = startNode;
  let tail: BreakNode = startNode;
  const best: number[] = [0, 0, 0, 0];
  const bestFrom: (BreakNode | null)[] = [null, null, null, null];
  const { width: sumWidth, stretch: sumStretch, shrink: sumShrink, fil: sumFil } = sums;

  for (let b = 0; b < n && head !== null; b++) {
    if (!isBreakpoint(items, b)) continue;
    const penalty = items.kind[b] === PENALTY ? (items.penalty[b] ?? 0) : 0;
    const forced = penalty <= -INFINITE_PENALTY;
    const flagged = items.flagged[b] ?? false;
    best.fill(Infinity);
    bestFrom.fill(null);
    let found = false;
    // The sums up to the break, read once for every active node.
    const endWidth = (sumWidth[b] ?? 0) + (items.kind[b] === PENALTY ? (items.width[b] ?? 0) : 0);
    const endStretch = sumStretch[b] ?? 0;
    const endShrink = sumShrink[b] ?? 0;
    const endFil = sumFil[b] ?? 0;

    let previous: BreakNode | null = null;
    for (let a: BreakNode | null = head; a !== null; ) {
      const following: BreakNode | null = a.next;
      const s = a.start;
      const natural = endWidth - (sumWidth[s] ?? 0);
      const stretch = (endStretch - (sumStretch[s] ?? 0) + geometry.ragged) || geometry.lone;
      const shrink = endShrink - (sumShrink[s] ?? 0);
      const fil = endFil - (sumFil[s] ?? 0);
      const r = ratioOf(natural, stretch, shrink, fil, a.line === 0 ? geometry.first : geometry.rest);

      let demerits = NaN;
      let fitness = DECENT;
      if (r >= -1 - EPSILON && (r <= tolerance + EPSILON || (emergency && r === Infinity))) {
        // Not capped at 10000 as in TeX: in the emergency pass a line at ratio 40 must still lose to one at 5.
        const badness = r === Infinity ? UNSTRETCHABLE_BADNESS : 100 * Math.abs(r) ** 3;
        demerits = (LINE_PENALTY + badness) ** 2;
        if (penalty > 0) demerits += penalty * penalty;
        else if (!forced) demerits -= penalty * penalty;
        if (flagged && a.flagged) demerits += DOUBLE_HYPHEN_DEMERITS;
        if (forced && a.flagged) demerits += FINAL_HYPHEN_DEMERITS;
        fitness = r < -0.5 ? TIGHT : r <= 0.5 ? DECENT : r <= 1 ? 1 : 0;
        if (Math.abs(fitness - a.fitness) > 1) demerits += ADJACENT_FITNESS_DEMERITS;
      } else if (emergency && r < -1 - EPSILON && !found && previous === null && following === null) {
        // The last way forward is an overfull line; take it at no cost so the rest still breaks well.
        demerits = 0;
        fitness = TIGHT;
      }
      if (!Number.isNaN(demerits)) {
        demerits += a.demerits;
        if (demerits < (best[fitness] ?? Infinity)) {
          best[fitness] = demerits;
          bestFrom[fitness] = a;
          found = true;
        }
      }

      // A node whose line is already overfull can only get worse; a forced break ends every line.
      if (r < -1 - EPSILON || forced) {
        if (previous) previous.next = following;
        else head = following;
        if (tail === a) tail = previous ?? startNode;
        a.next = null;
      } else {
        previous = a;
      }
      a = following;
    }

    if (!found) continue;
    const minimum = Math.min(...best);
    const start = lineStart(items, b);
    for (let fitness = 0; fitness < 4; fitness++) {
      const from = bestFrom[fitness];
      const total = best[fitness] ?? Infinity;
      // As TeX: a class far worse than the best cannot win even with the adjacency bonus it might save.
      if (!from || total > minimum + ADJACENT_FITNESS_DEMERITS) continue;
      const node: BreakNode = { position: b, start, line: from.line + 1, fitness, flagged, demerits: total, previous: from, next: null };
      if (head === null) head = node;
      else tail.next = node;
      tail = node;
    }
  }

  // Only nodes at the final forced break are left active.
  let chosen: BreakNode | null = null;
  for (let a = head; a !== null; a = a.next) {
    if (a.position === n - 1 && (chosen === null || a.demerits < chosen.demerits)) chosen = a;
  }
  if (chosen === null) return null;
  const breaks: number[] = [];
  for (let node: BreakNode | null = chosen; node !== null && node.position >= 0; node = node.previous) breaks.push(node.position);
  return breaks.reverse();
}

/** First fit: the last breakpoint whose line fits at maximum shrink. It cannot fail. */
function greedy(items: Items, sums: Sums, geometry: Geometry): number[] {
  const n = items.kind.length;
  const breaks: number[] = [];
  let start = 0;
  let lastFit = -1;
  for (let b = 0; b < n; ) {
    if (!isBreakpoint(items, b)) {
      b++;
      continue;
    }
    const forced = items.kind[b] === PENALTY && (items.penalty[b] ?? 0) <= -INFINITE_PENALTY;
    const natural = lineWidthBetween(items, sums, start, b);
    const shrink = (sums.shrink[b] ?? 0) - (sums.shrink[start] ?? 0);
    const available = breaks.length === 0 ? geometry.first : geometry.rest;
    // Written as "not greater" so that NaN from a broken measurer still moves on.
    if (!(natural - shrink > available)) {
      lastFit = b;
      if (forced) {
        breaks.push(b);
        start = lineStart(items, b);
        lastFit = -1;
      }
      b++;
    } else if (lastFit >= 0) {
      // No breakpoint lies between lastFit and b, so b is weighed again against the new line.
      breaks.push(lastFit);
      start = lineStart(items, lastFit);
      lastFit = -1;
    } else {
      breaks.push(b);
      start = lineStart(items, b);
      b++;
    }
  }
  return breaks;
}

/** Places the pieces of the line from item `start` to the break at `b`. */
function setLine(items: Items, sums: Sums, start: number, b: number, available: number, indent: number, justify: boolean): Line {
  const natural = lineWidthBetween(items, sums, start, b);
  const stretch = (sums.stretch[b] ?? 0) - (sums.stretch[start] ?? 0);
  const shrink = (sums.shrink[b] ?? 0) - (sums.shrink[start] ?? 0);
  const fil = (sums.fil[b] ?? 0) - (sums.fil[start] ?? 0);
  let r = 0;
  if (natural < available) {
    if (fil === 0 && justify && stretch > 0) r = (available - natural) / stretch;
  } else if (natural > available && shrink > 0) {
    r = Math.max((available - natural) / shrink, -1);
  }
  const overfull = natural - shrink > available + 1e-9 * Math.max(1, Math.abs(available));

  const words: PlacedWord[] = [];
  let x = indent;
  // Pieces with no glue between them belong to one word; same-font neighbours are drawn as one string.
  let joinable = false;
  for (let i = start; i < b; i++) {
    const kind = items.kind[i];
    if (kind === BOX) {
      for (const piece of items.pieces[i] ?? []) {
        const last = words[words.length - 1];
        if (joinable && last && last.font === piece.font) {
          last.text += piece.text;
          last.width += piece.width;
        } else {
          words.push({ text: piece.text, font: piece.font, x, width: piece.width });
        }
        x += piece.width;
        joinable = true;
      }
    } else if (kind === GLUE) {
      x += (items.width[i] ?? 0) + (r > 0 ? r * (items.stretch[i] ?? 0) : r * (items.shrink[i] ?? 0));
      joinable = false;
    }
  }
  const hyphenFont = items.kind[b] === PENALTY ? items.hyphenFont[b] : null;
  const last = words[words.length - 1];
  let hyphenated = false;
  if (hyphenFont && last) {
    last.text += "-";
    last.width += items.width[b] ?? 0;
    hyphenated = true;
  }
  const width = last ? last.x + last.width : 0;
  return { words, width, hyphenated, overfull };
}

export function breakParagraph(runs: TextRun[], measure: Measurer, options: BreakOptions): Line[] {
  const justify = options.justify ?? true;
  const indent = options.firstLineIndent ?? 0;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const lines: Line[] = [];
  const widths = new Widths(measure);
  const space = widths.of(" ", "regular");

  const segments = segmentsOf(runs);
  segments.forEach((segment, index) => {
    const builder = new ItemBuilder(widths, justify, options.hyphenate);
    segment.words.forEach((word, i) => {
      builder.word(word);
      const gap = segment.gaps[i];
      if (gap && i < segment.words.length - 1) builder.gap(gap);
    });
    builder.finish();
    const items = builder.items;
    const sums = sumsOf(items);
    // A forced break starts a new line but not a new paragraph: only the paragraph's first line is indented.
    const segmentIndent = index === 0 ? indent : 0;
    const geometry: Geometry = {
      first: options.lineWidth - segmentIndent,
      rest: options.lineWidth,
      ragged: justify ? 0 : RAGGED_STRETCH_SPACES * space,
      lone: space / 2,
    };

    const breaks =
      knuthPlass(items, sums, geometry, tolerance, false) ??
      knuthPlass(items, sums, geometry, Math.max(tolerance * 2, tolerance + 1), false) ??
      knuthPlass(items, sums, geometry, Infinity, true) ??
      greedy(items, sums, geometry);

    let start = 0;
    breaks.forEach((b, i) => {
      const first = i === 0;
      lines.push(setLine(items, sums, start, b, first ? geometry.first : geometry.rest, first ? segmentIndent : 0, justify));
      start = lineStart(items, b);
    });
  });
  return lines;
}
