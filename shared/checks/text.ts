/**
 * Text helpers the checks share: line numbers, exact excerpts, words, sentences, paragraphs and
 * quotation marks in a chapter body. All work on offsets into the body as given (CRLF included), so
 * every quote a finding carries is `body.slice(…)` of the text the writer has, never a normalised copy.
 */

/** 1-based line numbers for offsets: the line starts once, then a binary search per lookup. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  lineAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}

/** A word: letters or digits, with inner apostrophes (`don’t`, `Darcy's`) kept inside it. */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{N}][\p{L}\p{M}\p{N}]*)*/gu;
/** Scripts written without spaces between words: only Intl.Segmenter's dictionaries can split them. */
const NO_SPACES = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export interface Token {
  start: number;
  end: number;
  text: string;
}

let segmenter: Intl.Segmenter | undefined;

/**
 * The words of a text with their offsets. A regular expression does space-separated scripts: Intl.Segmenter
 * is six times slower on a whole novel and gives the same words there (apostrophes inside, hyphens and
 * dashes between). A line holding Chinese, Japanese, Thai and the like goes to Intl.Segmenter, which
 * knows where their words end.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  if (!NO_SPACES.test(text)) {
    regexTokens(text, 0, text.length, tokens);
    return tokens;
  }
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "word" });
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    if (NO_SPACES.test(line)) {
      for (const s of segmenter.segment(line)) {
        if (s.isWordLike) tokens.push({ start: lineStart + s.index, end: lineStart + s.index + s.segment.length, text: s.segment });
      }
    } else {
      regexTokens(text, lineStart, lineEnd, tokens);
    }
    lineStart = lineEnd + 1;
  }
  return tokens;
}

function regexTokens(text: string, from: number, to: number, out: Token[]): void {
  const re = new RegExp(WORD.source, WORD.flags);
  re.lastIndex = from;
  for (let m = re.exec(text); m !== null && m.index < to; m = re.exec(text)) {
    out.push({ start: m.index, end: m.index + m[0].length, text: m[0] });
  }
}

/** How words are compared: case folded, curly apostrophes made straight. */
export function wordKey(word: string): string {
  const lower = word.toLowerCase();
  return lower.includes("’") ? lower.replace(/’/g, "'") : lower;
}

/**
 * An exact excerpt of `text` around [start, end): up to `context` characters either side, cut at word
 * boundaries and trimmed, and kept within `within` (by default the lines the passage is on, so a quote
 * does not run into the next paragraph). Always a substring of `text`.
 */
export function excerpt(text: string, start: number, end: number, context = 40, within?: { start: number; end: number }): string {
  let lower = within?.start ?? text.lastIndexOf("\n", start - 1) + 1;
  let upper = within?.end ?? text.indexOf("\n", Math.max(start, end - 1));
  if (upper === -1) upper = text.length;
  lower = Math.min(lower, start);
  upper = Math.max(upper, end);
  let from = Math.max(lower, start - context);
  if (from > lower) {
    // Cut mid-passage: start at the next word, not inside one.
    const space = text.slice(from, start).search(/\s/);
    from = space === -1 ? start : from + space;
  }
  let to = Math.min(upper, end + context);
  if (to < upper) {
    const tail = text.slice(end, to);
    const lastSpace = tail.search(/\s\S*$/);
    to = lastSpace === -1 ? end : end + lastSpace;
  }
  const raw = text.slice(from, to);
  const lead = raw.length - raw.trimStart().length;
  return raw.slice(lead, raw.trimEnd().length) || text.slice(start, end);
}

/** Offsets of paragraph breaks: a line break, blank space, and another line break. */
export function paragraphBreaks(text: string): number[] {
  const breaks: number[] = [];
  const re = /\n[ \t\r]*\n/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    breaks.push(m.index);
    re.lastIndex = m.index + m[0].length - 1;
  }
  return breaks;
}

/** Words after which a full stop does not end a sentence. */
const ABBREVIATIONS = new Set([
  "mr", "mrs", "ms", "mx", "dr", "st", "mt", "jr", "sr", "prof", "capt", "col", "gen", "lt", "sgt", "rev", "hon",
  "messrs", "mme", "mlle", "vs", "etc", "no", "fig", "vol", "ch", "p", "pp", "ft", "gov", "sen", "rep", "cpl", "maj", "adm", "insp", "supt",
]);

const TERMINAL = new Set([".", "!", "?", "…"]);
const CLOSERS = new Set(["”", "’", '"', "'", ")", "]", "*", "_", "»"]);

function isAbbreviationBefore(text: string, dot: number): boolean {
  if (text[dot] !== ".") return false;
  let i = dot - 1;
  while (i >= 0 && /\p{L}/u.test(text[i]!)) i--;
  const word = text.slice(i + 1, dot);
  if (word.length === 0) return false;
  // A single capital is an initial: `J. R. Hartley`.
  if (word.length === 1 && word === word.toUpperCase() && word !== word.toLowerCase()) return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

/** Whether a line break at `i` belongs to a blank line (a paragraph break), looking back from it. */
function blankLineBefore(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && (text[j] === " " || text[j] === "\t" || text[j] === "\r")) j--;
  return j < 0 || text[j] === "\n";
}

function blankLineAfter(text: string, i: number): boolean {
  let j = i + 1;
  while (j < text.length && (text[j] === " " || text[j] === "\t" || text[j] === "\r")) j++;
  return j >= text.length || text[j] === "\n";
}

/**
 * Whether the terminal mark at `i` ends a sentence: not an abbreviation's full stop, followed (after
 * closing quotes and brackets) by white space or the end, and the next word not in lower case
 * (`“Go!” cried Mara` is one sentence).
 */
function endsSentence(text: string, i: number): { end: number } | null {
  if (!TERMINAL.has(text[i]!) || isAbbreviationBefore(text, i)) return null;
  let j = i + 1;
  while (j < text.length && (TERMINAL.has(text[j]!) || CLOSERS.has(text[j]!))) j++;
  if (j < text.length && !/\s/.test(text[j]!)) return null;
  let k = j;
  while (k < text.length && /\s/.test(text[k]!)) k++;
  if (k < text.length && /\p{Ll}/u.test(text[k]!)) return null;
  return { end: j };
}

/**
 * The sentence holding `offset`, as [start, end) with white space trimmed. A sentence ends at `.`, `!`,
 * `?` or `…` (abbreviations such as `Mr.` and initials excepted) or at a paragraph break; single line
 * breaks are soft wraps. Looks at most `reach` characters either way, so a run-on passage stays cheap.
 */
export function sentenceAt(text: string, offset: number, reach = 1500): { start: number; end: number } {
  let start = Math.max(0, offset - reach);
  for (let i = offset - 1; i >= Math.max(0, offset - reach); i--) {
    const ch = text[i]!;
    if (ch === "\n" && blankLineBefore(text, i)) {
      start = i + 1;
      break;
    }
    if (TERMINAL.has(ch)) {
      const ended = endsSentence(text, i);
      if (ended && ended.end <= offset) {
        start = ended.end;
        break;
      }
    }
  }
  let end = Math.min(text.length, offset + reach);
  for (let j = offset; j < Math.min(text.length, offset + reach); j++) {
    const ch = text[j]!;
    if (ch === "\n" && blankLineAfter(text, j)) {
      end = j;
      break;
    }
    if (TERMINAL.has(ch)) {
      const ended = endsSentence(text, j);
      if (ended) {
        end = ended.end;
        break;
      }
    }
  }
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

/** Characters that may sit between a sentence's end and its next word: spaces, quotes, brackets, emphasis, dashes. */
const LEAD_IN = new Set([" ", "\t", "\r", "“", "”", "‘", "’", '"', "'", "(", "[", "*", "_", "—", "–", "«", "»"]);

/**
 * Whether the word at `offset` begins a sentence (or a paragraph, or a line of dialogue), where a
 * capital letter says nothing about whether the word is a name.
 */
export function isSentenceStart(text: string, offset: number): boolean {
  let i = offset - 1;
  while (i >= 0) {
    const ch = text[i]!;
    if (ch === "\n") {
      if (blankLineBefore(text, i)) return true;
      i--;
      continue;
    }
    if (!LEAD_IN.has(ch)) break;
    i--;
  }
  if (i < 0) return true;
  const ch = text[i]!;
  if (ch === ":" ) return true;
  return TERMINAL.has(ch) && !isAbbreviationBefore(text, i);
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);

/**
 * Spans inside quotation marks, merged and sorted, as [start, end) with the marks included. Curly
 * double quotes pair up; a straight `"` opens before a word and closes otherwise; single quotes (British
 * dialogue) open before a word and close after one, so apostrophes inside words (`don’t`) are left
 * alone. Everything resets at a paragraph break; a double quote still open there is closed there, as
 * speech running over paragraphs is printed (no closing mark until its last paragraph).
 */
export function quotedSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let double = -1;
  let single = -1;
  // Only quotation marks and line breaks matter: jump from one to the next instead of visiting every character.
  const marks = /[\n“”«»"‘’']/g;
  for (let m = marks.exec(text); m !== null; m = marks.exec(text)) {
    const i = m.index;
    const ch = text[i]!;
    switch (ch) {
      case "\n":
        if (blankLineAfter(text, i)) {
          if (double >= 0) spans.push([double, i]);
          double = -1;
          single = -1;
        }
        break;
      case "“":
      case "«":
        if (double < 0) double = i;
        break;
      case "”":
      case "»":
        if (double >= 0) {
          spans.push([double, i + 1]);
          double = -1;
          single = -1;
        }
        break;
      case '"':
        if (double < 0) {
          if (i + 1 < text.length && !/\s/.test(text[i + 1]!)) double = i;
        } else {
          spans.push([double, i + 1]);
          double = -1;
          single = -1;
        }
        break;
      case "‘":
        if (single < 0 && !isWordChar(text[i - 1])) single = i;
        break;
      default:
        // ’ or ': closes a single quote after a word, or (straight only) opens one before a word.
        if (single >= 0 && !isWordChar(text[i + 1]) && i > 0 && !/\s/.test(text[i - 1]!)) {
          spans.push([single, i + 1]);
          single = -1;
        } else if (ch === "'" && single < 0 && !isWordChar(text[i - 1]) && isWordChar(text[i + 1])) {
          single = i;
        }
        break;
    }
  }
  if (double >= 0) spans.push([double, text.length]);
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  return merged;
}

/** Index of the span holding `offset` in sorted, disjoint spans, or -1. */
export function spanAt(spans: ReadonlyArray<readonly [number, number]>, offset: number): number {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [s, e] = spans[mid]!;
    if (offset < s) high = mid - 1;
    else if (offset >= e) low = mid + 1;
    else return mid;
  }
  return -1;
}

/** Escapes text for use inside a regular expression. */
export function escapeRegExp(text: string): string {
  // No `-`: outside a character class a `u`-flag expression rejects `\-`, and a bare `-` is literal there.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** "1 time", "3 times": counts in plain words. */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** A list of numbers as a novelist writes it: "3", "3 and 5", "3, 5 and 9". */
export function listNumbers(numbers: readonly number[]): string {
  if (numbers.length <= 1) return numbers.join("");
  return `${numbers.slice(0, -1).join(", ")} and ${numbers[numbers.length - 1]}`;
}
