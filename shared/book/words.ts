/**
 * Word counts that match `Intl.Segmenter` (word granularity) for every language, with a fast path for
 * Latin-script lines, because segmenting a million-word book through Intl is far slower than reading it.
 * The fast path is property-tested against Intl.Segmenter (words.test.ts); any line holding a character
 * it does not classify goes to Intl.Segmenter instead.
 */

/** Character classes after UAX #29 (word boundaries), for the characters the fast path handles. */
const C = {
  Other: 0,
  Letter: 1,
  Numeric: 2,
  /** Joins letters only: `a:b`, `a·b`. */
  MidLetter: 3,
  /** Joins letters or digits: `e.g`, `3.14`, `don't`, `don’t`. */
  MidNumLet: 4,
  /** Joins digits only: `1,000`, `1;2`. */
  MidNum: 5,
  /** Joins with anything word-like: `_`. */
  ExtendNumLet: 6,
  /** A character the fast path does not know: the line goes to Intl.Segmenter. */
  Unknown: 8,
  /** `\n`: ends the line (and any word). */
  Newline: 9,
} as const;

/** One byte per UTF-16 unit; everything not set below is Unknown. */
const classes = new Uint8Array(0x10000).fill(C.Unknown);

function setRange(from: number, to: number, cls: number): void {
  for (let c = from; c <= to; c++) classes[c] = cls;
}

// Controls, space and ASCII punctuation break words.
setRange(0x00, 0x7f, C.Other);
classes[0x0a] = C.Newline;
setRange(0x30, 0x39, C.Numeric);
setRange(0x41, 0x5a, C.Letter);
setRange(0x61, 0x7a, C.Letter);
classes[0x3a] = C.MidLetter; // :
classes[0x2e] = C.MidNumLet; // .
classes[0x27] = C.MidNumLet; // ' (Single_Quote behaves as MidNumLet outside Hebrew)
classes[0x2c] = C.MidNum; // ,
classes[0x3b] = C.MidNum; // ;
classes[0x5f] = C.ExtendNumLet; // _
// Latin-1 supplement and Latin Extended-A/B.
setRange(0xa0, 0xbf, C.Other);
classes[0xaa] = C.Letter; // ª
// Soft hyphen (a Format character) stays Unknown: ICU's rule statuses around it have quirks (`a_\u00ad`
// is not word-like) that are not worth mirroring for a character novels rarely hold.
classes[0xad] = C.Unknown;
classes[0xb5] = C.Letter; // µ
classes[0xb7] = C.MidLetter; // ·
classes[0xba] = C.Letter; // º
setRange(0xc0, 0x24f, C.Letter);
classes[0xd7] = C.Other; // ×
classes[0xf7] = C.Other; // ÷
// General punctuation that novels use: dashes, curly quotes, ellipsis, bullets.
setRange(0x2010, 0x2015, C.Other);
classes[0x2018] = C.MidNumLet; // ‘
classes[0x2019] = C.MidNumLet; // ’
setRange(0x201a, 0x201f, C.Other);
setRange(0x2020, 0x2023, C.Other);
classes[0x2024] = C.MidNumLet; // one dot leader
setRange(0x2025, 0x2026, C.Other);
setRange(0x2030, 0x203e, C.Other);

/**
 * The word automaton, after UAX #29 as ICU applies it. States: 0 outside a token; 1 after a letter;
 * 2 after a digit; 3 a token of `_` only, not yet a word (ICU: `_` is not a word, `__` is); 4 after `_`
 * in a counted token; 5 a letter then a letter-joiner (`:`, `·`, `.`, `'`, `’`), a word only if a letter
 * follows; 6 a digit then a digit-joiner (`,`, `;`, `.`, `'`), likewise for a digit. TRANSITIONS and
 * COUNTS are indexed by `state << 3 | class`; COUNTS says whether that step starts a new word.
 */
/** `state << 3 | class` → next state in bits 0–2, 1 in bit 3 when the step starts a new word. */
const STEPS = new Uint8Array(7 << 3);
{
  const { Other: O, Letter: L, Numeric: N, MidLetter: ML, MidNumLet: MNL, MidNum: MN, ExtendNumLet: E } = C;
  const set = (state: number, cls: number, to: number, count: number): void => {
    STEPS[(state << 3) | cls] = to | (count << 3);
  };
  // From outside a token (state 0); also how a pending joiner that did not join carries on.
  const fromOutside = (state: number): void => {
    for (const cls of [O, ML, MNL, MN]) set(state, cls, 0, 0);
    set(state, L, 1, 1);
    set(state, N, 2, 1);
    set(state, E, 3, 0);
  };
  fromOutside(0);
  for (const inWord of [1, 2, 4]) {
    set(inWord, O, 0, 0);
    set(inWord, L, 1, 0);
    set(inWord, N, 2, 0);
    set(inWord, E, 4, 0);
    set(inWord, ML, 0, 0);
    set(inWord, MNL, 0, 0);
    set(inWord, MN, 0, 0);
  }
  set(1, ML, 5, 0);
  set(1, MNL, 5, 0);
  set(2, MNL, 6, 0);
  set(2, MN, 6, 0);
  set(3, O, 0, 0);
  set(3, L, 1, 1);
  set(3, N, 2, 1);
  set(3, E, 4, 1);
  for (const cls of [ML, MNL, MN]) set(3, cls, 0, 0);
  fromOutside(5);
  set(5, L, 1, 0);
  fromOutside(6);
  set(6, N, 2, 0);
}

/** Flag in ASCII_STEPS: a line break (reset, and remember where the line starts). */
const LINE_BREAK = 16;
/** Flag in MARKUP_ASCII_STEPS: `%`, `<` or `[`, where Markdown markup that hides words may begin. */
const MARKUP = 32;
/**
 * The automaton pre-applied to ASCII, by `state << 7 | code`: one lookup per character for most prose,
 * which is what keeps counting a million-word book cheaper than reading it from disk.
 */
const ASCII_STEPS = new Uint8Array(7 << 7);
for (let state = 0; state < 7; state++) {
  for (let code = 0; code < 128; code++) {
    const cls = classes[code]!;
    ASCII_STEPS[(state << 7) | code] = cls === C.Newline ? LINE_BREAK : STEPS[(state << 3) | cls]!;
  }
}
/** In a pair table: one of the two bytes needs the single-byte path (a line break or markup). */
const PAIR_SPECIAL = 64;

/**
 * The automaton applied to two ASCII bytes at once, by `state << 14 | first << 7 | second`: next
 * state in bits 0–2, words started (0–2) in bits 3–4. 7 × 128 × 128 entries (112 KB each), built on
 * first use from the single-byte tables, so they agree by construction.
 */
function buildPairTable(single: Uint8Array): Uint8Array {
  const table = new Uint8Array(7 << 14);
  for (let state = 0; state < 7; state++) {
    for (let x = 0; x < 128; x++) {
      const first = single[(state << 7) | x]!;
      for (let y = 0; y < 128; y++) {
        const at = (state << 14) | (x << 7) | y;
        if (first >= LINE_BREAK) {
          table[at] = PAIR_SPECIAL;
          continue;
        }
        const second = single[((first & 7) << 7) | y]!;
        table[at] = second >= LINE_BREAK ? PAIR_SPECIAL : (second & 7) | (((first >> 3) + (second >> 3)) << 3);
      }
    }
  }
  return table;
}


/** ASCII_STEPS that also stop at markup, for counting bytes that have not been checked for Markdown. */
const MARKUP_ASCII_STEPS = ASCII_STEPS.slice();
for (let state = 0; state < 7; state++) for (const code of [0x25, 0x3c, 0x5b]) MARKUP_ASCII_STEPS[(state << 7) | code] = MARKUP;
// About a millisecond to build both at load; constant afterwards.
const PAIR_STEPS = buildPairTable(ASCII_STEPS);
const MARKUP_PAIR_STEPS = buildPairTable(MARKUP_ASCII_STEPS);

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (bytes.length when all are valid). */
function firstInvalidOffset(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, by bisection: a prefix that cuts a sequence in half is invalid too,
  // so the answer can sit up to three bytes before the bad one, which is close enough for a line number.
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (isValidUtf8(bytes.subarray(0, mid))) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Offset of the `\n` ending the line that holds `from`, or the text's length. */
function lineEndAt(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end === -1 ? text.length : end;
}

/** Counts words the way Intl.Segmenter does, for text in any script. */
export class WordCounter {
  private segmenter: Intl.Segmenter | undefined;

  constructor(private readonly language = "en") {}

  /**
   * Words in plain text (no Markdown handling). One pass of a small automaton over the characters
   * (table lookups, no data-dependent branches, so prose does not pay for mispredicted word ends); a
   * line holding a character the automaton does not classify is counted again, whole, by
   * Intl.Segmenter. Lines are independent because a line break always ends a word.
   */
  countText(text: string, from = 0): number {
    const classOf = classes;
    const steps = STEPS;
    const asciiSteps = ASCII_STEPS;
    const length = text.length;
    let words = 0;
    let state = 0;
    let lineStart = from;
    let wordsAtLineStart = 0;
    for (let i = from; i < length; i++) {
      const code = text.charCodeAt(i);
      let step: number;
      if (code < 128) {
        step = asciiSteps[(state << 7) | code]!;
      } else {
        const cls = classOf[code]!;
        if (cls === C.Unknown) {
          // A character the automaton does not know: count this whole line with Intl.Segmenter.
          i = lineEndAt(text, i);
          words = wordsAtLineStart + this.countSegmented(text.slice(lineStart, i));
          step = LINE_BREAK;
        } else {
          step = steps[(state << 3) | cls]!;
        }
      }
      if (step === LINE_BREAK) {
        state = 0;
        lineStart = i + 1;
        wordsAtLineStart = words;
        continue;
      }
      words += step >> 3;
      state = step & 7;
    }
    return words;
  }


  /**
   * Words in UTF-8 bytes from `from` on, without decoding them to a string first: decoding a
   * million words of curly-quoted prose costs several times what reading the bytes does, and a scan
   * needs only the count. Same automaton as countText; a line holding a character it does not know (or
   * bytes that are not valid UTF-8) is decoded and counted by Intl.Segmenter, exactly as countText
   * would count the decoded text. Plain text only: with `stopAtMarkup` it stops at the first `%`, `<`
   * or `[` and says so (`markup: true`), and the caller counts the note as Markdown instead.
   *
   * @returns the words, the byte offset of the first invalid UTF-8 sequence (-1 when there is none),
   *   and whether it stopped at markup (then `words` is partial).
   */
  countUtf8(bytes: Uint8Array, from = 0, options: { stopAtMarkup?: boolean } = {}): { words: number; invalidAt: number; markup: boolean } {
    const classOf = classes;
    const steps = STEPS;
    const asciiSteps = options.stopAtMarkup ? MARKUP_ASCII_STEPS : ASCII_STEPS;
    const length = bytes.length;
    let words = 0;
    let state = 0;
    let lineStart = from;
    let wordsAtLineStart = 0;
    let invalidAt = -1;
    const pairSteps = options.stopAtMarkup ? MARKUP_PAIR_STEPS : PAIR_STEPS;
    let i = from;
    scan: while (i < length) {
      // The hot loop: two ASCII bytes per step. Each step waits on the previous one's table lookup, so
      // taking two bytes a lookup nearly halves the time a million words take.
      while (i + 1 < length) {
        const x = bytes[i]!;
        const y = bytes[i + 1]!;
        if ((x | y) >= 0x80) break;
        const pair = pairSteps[(state << 14) | (x << 7) | y]!;
        if (pair >= PAIR_SPECIAL) break;
        words += pair >> 3;
        state = pair & 7;
        i += 2;
      }
      if (i >= length) break;
      let b = bytes[i]!;
      // One ASCII byte at a time up to whatever stopped the pairs (a line break, markup, non-ASCII).
      while (b < 0x80) {
        const ascii = asciiSteps[(state << 7) | b]!;
        if (ascii >= LINE_BREAK) break;
        words += ascii >> 3;
        state = ascii & 7;
        if (++i >= length) break scan;
        b = bytes[i]!;
      }
      let step: number;
      if (b < 0x80) {
        step = asciiSteps[(state << 7) | b]!;
        i++;
      } else {
        let cls: number = C.Unknown;
        let size = 1;
        if ((b & 0xe0) === 0xc0 && i + 1 < length && (bytes[i + 1]! & 0xc0) === 0x80 && b >= 0xc2) {
          cls = classOf[((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f)]!;
          size = 2;
        } else if ((b & 0xf0) === 0xe0 && i + 2 < length && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80) {
          const code = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
          // Overlong forms and surrogates are invalid UTF-8: leave them to the decoder below.
          if (code >= 0x800 && (code < 0xd800 || code > 0xdfff)) cls = classOf[code]!;
          size = 3;
        }
        if (cls === C.Unknown) {
          let lineEnd = bytes.indexOf(0x0a, i);
          if (lineEnd === -1) lineEnd = length;
          const line = bytes.subarray(lineStart, lineEnd);
          if (invalidAt === -1 && !isValidUtf8(line)) invalidAt = lineStart + firstInvalidOffset(line);
          words = wordsAtLineStart + this.countSegmented(new TextDecoder().decode(line));
          i = lineEnd + 1;
          step = LINE_BREAK;
        } else {
          step = steps[(state << 3) | cls]!;
          i += size;
        }
      }
      if (step >= LINE_BREAK) {
        if (step === MARKUP) return { words, invalidAt, markup: true };
        state = 0;
        lineStart = i;
        wordsAtLineStart = words;
        continue;
      }
      words += step >> 3;
      state = step & 7;
    }
    return { words, invalidAt, markup: false };
  }

  /** Words a reader sees in a Markdown note: no frontmatter, comments, link targets or embeds. */
  countMarkdown(markdown: string, from = 0): number {
    // Prose without comments, tags or links is counted in place: slicing or rewriting it first would
    // hand countText a different kind of V8 string per note and cost more than the counting itself.
    if (!hasMarkup(markdown, from)) return this.countText(markdown, from);
    return this.countText(readableText(from === 0 ? markdown : markdown.slice(from)));
  }

  /** The slow, exact path: Intl.Segmenter with word granularity. */
  countSegmented(text: string): number {
    this.segmenter ??= new Intl.Segmenter(this.language, { granularity: "word" });
    let words = 0;
    for (const segment of this.segmenter.segment(text)) if (segment.isWordLike) words++;
    return words;
  }
}

/** Whether `readableText` would change anything from `from` on (a BOM, frontmatter, comments, links, tags). */
function hasMarkup(text: string, from: number): boolean {
  return text.charCodeAt(from) === 0xfeff || text.startsWith("---", from) || text.includes("%%", from) || text.includes("<", from) || text.includes("[", from);
}

/**
 * Reduces Markdown to the text a reader sees: drops frontmatter, `%% %%` and `<!-- -->` comments,
 * embeds, HTML tags, footnote markers and link targets (`[[target|shown]]` → `shown`, `[text](url)` → `text`).
 * Each replacement runs only when its marker occurs, so plain prose costs one scan per marker.
 */
export function readableText(markdown: string): string {
  let text = markdown;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.startsWith("---")) text = stripFrontmatterBlock(text);
  if (text.includes("%%")) text = text.replace(/%%[\s\S]*?(?:%%|$)/g, " ");
  if (text.includes("<")) {
    text = text.replace(/<!--[\s\S]*?(?:-->|$)/g, " ").replace(/<\/?[a-zA-Z][^<>]*>/g, " ");
  }
  if (text.includes("[")) {
    text = text
      .replace(/!\[\[[^\]\n]*\]\]/g, " ")
      .replace(/!\[[^\]\n]*\]\([^)\n]*\)/g, " ")
      .replace(/\[\[([^\]|\n]*)\|([^\]\n]*)\]\]/g, "$2")
      .replace(/\[\[([^\]#^|\n]*)(?:[#^][^\]\n]*)?\]\]/g, (_m, target: string) => baseNameOf(target))
      .replace(/\[\^[^\]\n]*\]:?/g, " ")
      .replace(/\[([^\]\n]*)\]\([^)\n]*\)/g, "$1");
  }
  return text;
}

function baseNameOf(target: string): string {
  const slash = target.lastIndexOf("/");
  return slash === -1 ? target : target.slice(slash + 1);
}

function stripFrontmatterBlock(text: string): string {
  const firstLineEnd = text.indexOf("\n");
  if (firstLineEnd === -1 || text.slice(0, firstLineEnd).trimEnd() !== "---") return text;
  const close = /^(?:---|\.\.\.)[ \t]*\r?$/m;
  const rest = text.slice(firstLineEnd + 1);
  const match = close.exec(rest);
  if (!match) return text;
  return rest.slice(match.index + match[0].length);
}

/** Convenience for one-off counts. */
export function countWords(markdown: string, language = "en"): number {
  return new WordCounter(language).countMarkdown(markdown);
}
