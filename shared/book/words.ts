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
} as const;

const FAST_LIMIT = 0x2100;
const classes = new Uint8Array(FAST_LIMIT).fill(C.Unknown);

function setRange(from: number, to: number, cls: number): void {
  for (let c = from; c <= to; c++) classes[c] = cls;
}

// Controls, space and ASCII punctuation break words.
setRange(0x00, 0x7f, C.Other);
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
 * Counts the words of one line with the fast path, or returns -1 when the line holds a character the
 * fast path does not classify (the caller then asks Intl.Segmenter).
 */
function countLineFast(text: string, start: number, end: number): number {
  let words = 0;
  /** The class of the last character of the current token, or Other outside one. */
  let prev: number = C.Other;
  /** Whether the current token holds a letter or digit (a lone `_` is not a word). */
  let tokenHasWordChar = false;
  let i = start;
  while (i < end) {
    const code = text.charCodeAt(i);
    if (code >= FAST_LIMIT) return -1;
    const cls = classes[code]!;
    if (cls === C.Unknown) return -1;
    if (cls === C.Letter || cls === C.Numeric || cls === C.ExtendNumLet) {
      const startsToken = prev === C.Other;
      if (startsToken) tokenHasWordChar = false;
      // ICU counts a run of two or more `_` as a word, but not a lone `_`.
      const wordLike = cls !== C.ExtendNumLet || (!startsToken && prev === C.ExtendNumLet);
      if (wordLike && !tokenHasWordChar) {
        tokenHasWordChar = true;
        words++;
      }
      prev = cls;
      i++;
      continue;
    }
    if (cls === C.MidLetter || cls === C.MidNumLet || cls === C.MidNum) {
      // A middle character joins only between two word characters of the right kinds.
      const next = nextClass(text, i + 1, end);
      if (next === -1) return -1;
      const joinsLetters = prev === C.Letter && next === C.Letter && cls !== C.MidNum;
      const joinsDigits = prev === C.Numeric && next === C.Numeric && cls !== C.MidLetter;
      if (joinsLetters || joinsDigits) {
        i++;
        continue;
      }
    }
    prev = C.Other;
    i++;
  }
  return words;
}

/** Class of the character at `at`, Other at the end, -1 if the fast path cannot classify it. */
function nextClass(text: string, at: number, end: number): number {
  if (at >= end) return C.Other;
  const code = text.charCodeAt(at);
  const cls = code < FAST_LIMIT ? classes[code]! : C.Unknown;
  return cls === C.Unknown ? -1 : cls;
}

/** Counts words the way Intl.Segmenter does, for text in any script. */
export class WordCounter {
  private segmenter: Intl.Segmenter | undefined;

  constructor(private readonly language = "en") {}

  /** Words in plain text (no Markdown handling). */
  countText(text: string): number {
    let words = 0;
    let lineStart = 0;
    const length = text.length;
    while (lineStart <= length) {
      let lineEnd = text.indexOf("\n", lineStart);
      if (lineEnd === -1) lineEnd = length;
      if (lineEnd > lineStart) {
        const fast = countLineFast(text, lineStart, lineEnd);
        words += fast >= 0 ? fast : this.countSegmented(text.slice(lineStart, lineEnd));
      }
      lineStart = lineEnd + 1;
    }
    return words;
  }

  /** Words a reader sees in a Markdown note: no frontmatter, comments, link targets or embeds. */
  countMarkdown(markdown: string): number {
    return this.countText(readableText(markdown));
  }

  /** The slow, exact path: Intl.Segmenter with word granularity. */
  countSegmented(text: string): number {
    this.segmenter ??= new Intl.Segmenter(this.language, { granularity: "word" });
    let words = 0;
    for (const segment of this.segmenter.segment(text)) if (segment.isWordLike) words++;
    return words;
  }
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
