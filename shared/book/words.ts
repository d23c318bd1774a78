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
   * Words in plain text (no Markdown handling). One pass over the characters; a line holding a
   * character the fast path does not classify is counted again, whole, by Intl.Segmenter. Lines are
   * independent because a line break always ends a word.
   */
  countText(text: string): number {
    const table = classes;
    const length = text.length;
    let words = 0;
    let lineStart = 0;
    let wordsAtLineStart = 0;
    /** The class of the last character of the current token, or Other (0) outside one. */
    let prev = 0;
    /** Whether the current token is already counted (a lone `_` is not a word, `__` is). */
    let counted = false;
    for (let i = 0; i < length; i++) {
      const cls = table[text.charCodeAt(i)]!;
      if (cls === 1 || cls === 2) {
        // Letter or digit, the common case: count the token once, then run to its last letter or digit.
        if (prev === 0 || !counted) {
          counted = true;
          words++;
        }
        let last = cls;
        while (i + 1 < length) {
          const following = table[text.charCodeAt(i + 1)]!;
          if (following !== 1 && following !== 2) break;
          last = following;
          i++;
        }
        prev = last;
      } else if (cls === 0) {
        prev = 0;
      } else if (cls === C.Newline) {
        prev = 0;
        lineStart = i + 1;
        wordsAtLineStart = words;
      } else if (cls === C.ExtendNumLet) {
        if (prev === 0) counted = false; // a token that starts with `_` is not a word yet
        // ICU counts a run of two or more `_` as a word, but not a lone `_`.
        else if (prev === C.ExtendNumLet && !counted) {
          counted = true;
          words++;
        }
        prev = cls;
      } else if (cls !== C.Unknown) {
        // MidLetter, MidNumLet, MidNum join only between two word characters of the right kinds.
        const next = i + 1 < length ? table[text.charCodeAt(i + 1)]! : 0;
        if (next === C.Unknown) {
          i = lineEndAt(text, i);
          words = wordsAtLineStart + this.countSegmented(text.slice(lineStart, i));
          prev = 0;
          lineStart = i + 1;
          wordsAtLineStart = words;
          continue;
        }
        const joinsLetters = prev === 1 && next === 1 && cls !== C.MidNum;
        const joinsDigits = prev === 2 && next === 2 && cls !== C.MidLetter;
        if (!joinsLetters && !joinsDigits) prev = 0;
      } else {
        // A character the fast path does not know: count this whole line with Intl.Segmenter.
        i = lineEndAt(text, i);
        words = wordsAtLineStart + this.countSegmented(text.slice(lineStart, i));
        prev = 0;
        lineStart = i + 1;
        wordsAtLineStart = words;
      }
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
