/**
 * Finds the chapters of a manuscript. Real files are irregular (`CHAPTER II.`, `CHAPTER XIII`,
 * `Chapter XLVI.`, `Chapter Twelve`, `# Chapter 3: The Storm`, `## 4 — Title`), and prose mentions
 * chapters too, so a heading is a line that is one whole "chapter <number>[<sep> title]" phrase *and*
 * stands alone as a paragraph. Numbers are taken from the headings, never silently renumbered: gaps and
 * repeats become warnings for the writer to look at.
 */

/** One line of the source with its 1-based line number in the file, for warnings. */
export interface SourceLine {
  text: string;
  line: number;
}

export interface LineWarning {
  line: number;
  message: string;
}

export interface ParsedHeading {
  /** The chapter number, or null for an unnumbered Markdown heading. */
  number: number | null;
  /** The heading's title ("" when it has none). */
  title: string;
}

export interface DetectedChapter {
  number: number;
  /** "" when the heading has no title. */
  title: string;
  /** Line number of the heading. */
  headingLine: number;
  /** The lines under the heading, up to the next chapter. */
  lines: SourceLine[];
}

export interface ChapterSplit {
  chapters: DetectedChapter[];
  /** Lines before the first chapter (preface, contents, title page); part of no chapter. */
  frontMatter: SourceLine[];
  warnings: LineWarning[];
}

/** Splits text into numbered lines (LF line endings expected). */
export function toSourceLines(text: string): SourceLine[] {
  return text.split("\n").map((line, index) => ({ text: line, line: index + 1 }));
}

/** A title longer than this is a sentence that happens to start with "Chapter 3:", not a heading. */
const MAX_TITLE_LENGTH = 100;
/** Characters that separate a chapter number from its title: `CHAPTER 1. Loomings`, `4 — Title`. */
const SEPARATORS = new Set([".", ":", "-", "–", "—", "―"]);

const UNITS = [
  "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
  "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
];
const TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/**
 * Parses a plain-text chapter heading: `chapter`, a number (arabic, roman or English words up to
 * ninety-nine), then nothing or a separator and a title. `allowBareTitle` also accepts a title after
 * just a space (`Chapter 12 The Storm`): fine inside a Markdown heading, too loose for a prose line
 * ("Chapter one was the hardest").
 */
export function parseChapterHeading(line: string, allowBareTitle = false): ParsedHeading | null {
  const text = line.trim();
  if (text.slice(0, 7).toLowerCase() !== "chapter") return null;
  const afterWord = text.slice(7);
  if (!/^\s/.test(afterWord)) return null;
  const rest = afterWord.trimStart();
  const number = readNumber(rest, true);
  if (!number) return null;
  const title = readTitle(rest.slice(number.length), allowBareTitle);
  return title === null ? null : { number: number.value, title };
}

/**
 * Parses the text of a Markdown heading (without the `#`s): a chapter heading, a bare number with an
 * optional separated title (`4 — Title`, `IV.`), or else an unnumbered heading whose whole text is
 * the title.
 */
export function parseMarkdownHeadingText(text: string): ParsedHeading {
  const chapter = parseChapterHeading(text, true);
  if (chapter) return chapter;
  const trimmed = text.trim();
  const number = readNumber(trimmed, false);
  if (number) {
    const title = readTitle(trimmed.slice(number.length), false);
    if (title !== null) return { number: number.value, title };
  }
  return { number: null, title: trimmed };
}

/** `## Title ##` → level 2, text "Title"; null when the line is not an ATX heading. */
export function parseMarkdownHeading(line: string): { level: number; text: string } | null {
  const match = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/.exec(line);
  if (!match) return null;
  // A closing run of #s is decoration, unless it is glued to the text (`# C#`).
  const text = (match[2] ?? "").replace(/(?:^|[ \t]+)#+$/, "");
  return { level: match[1]!.length, text: text.trim() };
}

/** Reads a number at the start of `text`: digits, a roman numeral, or (when allowed) English words. */
function readNumber(text: string, allowWords: boolean): { value: number; length: number } | null {
  let digits = 0;
  while (digits < text.length && text.charCodeAt(digits) >= 0x30 && text.charCodeAt(digits) <= 0x39) digits++;
  if (digits > 0) {
    if (digits > 4 || !endsWord(text, digits)) return null;
    return { value: Number(text.slice(0, digits)), length: digits };
  }
  if (allowWords) {
    const words = readNumberWords(text);
    if (words) return words;
  }
  let letters = 0;
  while (letters < text.length && "ivxlcdmIVXLCDM".includes(text.charAt(letters))) letters++;
  if (letters === 0 || !endsWord(text, letters)) return null;
  const value = romanValue(text.slice(0, letters));
  return value === null ? null : { value, length: letters };
}

/** "Twelve", "twenty-one", "Thirty Two", "ninety": the longest number phrase at the start. */
function readNumberWords(text: string): { value: number; length: number } | null {
  const lower = text.toLowerCase();
  const tens = TENS.findIndex((word) => lower.startsWith(word) && endsWordOrJoins(lower, word.length));
  if (tens !== -1) {
    const value = (tens + 2) * 10;
    const length = TENS[tens]!.length;
    const joiner = lower.charAt(length);
    if (joiner === "-" || joiner === " ") {
      const unit = longestUnit(lower.slice(length + 1), 9);
      if (unit) return { value: value + unit.value, length: length + 1 + unit.length };
    }
    return endsWord(lower, length) ? { value, length } : null;
  }
  return longestUnit(lower, UNITS.length);
}

function longestUnit(lower: string, max: number): { value: number; length: number } | null {
  let best: { value: number; length: number } | null = null;
  for (let i = 0; i < max; i++) {
    const word = UNITS[i]!;
    if (lower.startsWith(word) && endsWord(lower, word.length) && (!best || word.length > best.length)) {
      best = { value: i + 1, length: word.length };
    }
  }
  return best;
}

/** True when the character at `end` does not continue a word (a letter or digit). */
function endsWord(text: string, end: number): boolean {
  return end >= text.length || !/[\p{L}\p{N}]/u.test(text.charAt(end));
}

function endsWordOrJoins(text: string, end: number): boolean {
  return endsWord(text, end) || text.charAt(end) === "-";
}

const ROMAN: Record<string, number> = { i: 1, v: 5, x: 10, l: 50, c: 100, d: 500, m: 1000 };

/**
 * Value of a roman numeral in canonical form (`XLVI`, `xiii`), or null for letters that only look
 * like one (`dim`, `IIII`): re-encoding the value must give the same letters back.
 */
export function romanValue(numeral: string): number | null {
  const lower = numeral.toLowerCase();
  let value = 0;
  for (let i = 0; i < lower.length; i++) {
    const current = ROMAN[lower.charAt(i)];
    if (current === undefined) return null;
    const next = ROMAN[lower.charAt(i + 1)] ?? 0;
    value += current < next ? -current : current;
  }
  return value > 0 && value < 4000 && toRoman(value) === lower ? value : null;
}

function toRoman(value: number): string {
  const steps: [number, string][] = [
    [1000, "m"], [900, "cm"], [500, "d"], [400, "cd"], [100, "c"], [90, "xc"],
    [50, "l"], [40, "xl"], [10, "x"], [9, "ix"], [5, "v"], [4, "iv"], [1, "i"],
  ];
  let rest = value;
  let out = "";
  for (const [amount, letters] of steps) {
    while (rest >= amount) {
      out += letters;
      rest -= amount;
    }
  }
  return out;
}

/**
 * What follows the number: "" (no title), a separator and a title, or (with `allowBare`) just a
 * title after whitespace. Null when the rest makes the line a sentence rather than a heading.
 */
function readTitle(rest: string, allowBare: boolean): string | null {
  let i = 0;
  let separated = false;
  while (i < rest.length && (/\s/.test(rest.charAt(i)) || SEPARATORS.has(rest.charAt(i)))) {
    if (SEPARATORS.has(rest.charAt(i))) separated = true;
    i++;
  }
  let title = rest.slice(i).trim();
  if (title === "") return "";
  if (!separated && (!allowBare || i === 0)) return null;
  // `CHAPTER 1. Loomings.` → "Loomings", but an ellipsis is part of the title.
  if (title.endsWith(".") && !title.endsWith("..")) title = title.slice(0, -1).trimEnd();
  return title.length <= MAX_TITLE_LENGTH ? title : null;
}

/** A heading candidate before the table-of-contents and numbering passes. */
interface Candidate {
  index: number;
  /** Lines the heading takes: 2 when its title sits on the line below. */
  span: number;
  heading: ParsedHeading;
  /** Markdown heading level, 0 for a plain-text heading. */
  level: number;
}

const isBlank = (line: SourceLine | undefined): boolean => line === undefined || line.text.trim() === "";

/**
 * Splits lines into chapters. `markdown` also lets unnumbered `#` headings mark chapters, when no
 * numbered heading exists: the shallowest level that occurs more than once is the chapter level
 * (so a single `# Book title` above `## ...` chapters is not a chapter).
 */
export function splitChapters(lines: SourceLine[], options: { markdown: boolean }): ChapterSplit {
  const warnings: LineWarning[] = [];
  const found = findCandidates(lines, options.markdown);
  let chosen = found.filter((c) => c.heading.number !== null);
  if (chosen.length === 0 && options.markdown) chosen = unnumberedChapterLevel(found);
  chosen = dropTableOfContents(lines, chosen, warnings);

  const chapters: DetectedChapter[] = [];
  const firstLineOf = new Map<number, number>();
  let previous = 0;
  chosen.forEach((candidate, k) => {
    const headingLine = lines[candidate.index]!.line;
    const end = k + 1 < chosen.length ? chosen[k + 1]!.index : lines.length;
    const body = lines.slice(candidate.index + candidate.span, end);
    const number = candidate.heading.number ?? previous + 1;
    if (candidate.heading.number !== null) checkNumber(number, previous, headingLine, firstLineOf, warnings);
    if (!firstLineOf.has(number)) firstLineOf.set(number, headingLine);
    if (body.every((line) => isBlank(line))) {
      warnings.push({ line: headingLine, message: `chapter ${number} has no text under its heading` });
    }
    chapters.push({ number, title: candidate.heading.title, headingLine, lines: body });
    previous = number;
  });
  const frontMatter = lines.slice(0, chosen.length > 0 ? chosen[0]!.index : lines.length);
  return { chapters, frontMatter, warnings };
}

/** Every line that could be a chapter heading, skipping fenced code in Markdown. */
function findCandidates(lines: SourceLine[], markdown: boolean): Candidate[] {
  const candidates: Candidate[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (markdown) {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(text)?.[1];
      if (marker && (fence === null || (marker[0] === fence[0] && marker.length >= fence.length))) {
        fence = fence === null ? marker : null;
        continue;
      }
      if (fence !== null) continue;
    }
    const markdownHeading = parseMarkdownHeading(text);
    if (markdownHeading) {
      const heading = parseMarkdownHeadingText(markdownHeading.text);
      // In a .txt file a `#` line is a numbered chapter heading or just text.
      if (markdown || heading.number !== null) {
        candidates.push({ index: i, span: 1, heading, level: markdownHeading.level });
      }
      continue;
    }
    const heading = parseChapterHeading(text);
    if (!heading || !isBlank(i === 0 ? undefined : lines[i - 1])) continue;
    const next = lines[i + 1];
    if (isBlank(next)) {
      candidates.push({ index: i, span: 1, heading, level: 0 });
    } else if (heading.title === "" && isTitleLine(next!.text) && isBlank(lines[i + 2])) {
      // `CHAPTER I.` with its title on the next line, as many Gutenberg books set it.
      candidates.push({ index: i, span: 2, heading: { number: heading.number, title: next!.text.trim() }, level: 0 });
    }
    // Otherwise the line runs on into a paragraph: it is prose that starts with "Chapter ...".
  }
  return candidates;
}

function isTitleLine(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length <= MAX_TITLE_LENGTH && parseChapterHeading(trimmed) === null && parseMarkdownHeading(text) === null;
}

function unnumberedChapterLevel(candidates: Candidate[]): Candidate[] {
  const counts = new Map<number, number>();
  for (const c of candidates) counts.set(c.level, (counts.get(c.level) ?? 0) + 1);
  const levels = [...counts].filter(([, count]) => count > 1).map(([level]) => level);
  if (levels.length === 0) return [];
  const level = Math.min(...levels);
  return candidates.filter((c) => c.level === level);
}

/**
 * A table of contents at the start lists chapter headings with nothing under them; the real
 * chapters have text. Leading headings without text are dropped, and if the contents list ran into
 * front matter (so its last entry seemed to have text), the entries before the list's first number
 * comes round again are dropped too.
 */
function dropTableOfContents(lines: SourceLine[], candidates: Candidate[], warnings: LineWarning[]): Candidate[] {
  const hasText = (k: number): boolean => {
    const end = k + 1 < candidates.length ? candidates[k + 1]!.index : lines.length;
    for (let i = candidates[k]!.index + candidates[k]!.span; i < end; i++) if (!isBlank(lines[i])) return true;
    return false;
  };
  let first = 0;
  while (first < candidates.length && !hasText(first)) first++;
  if (first === 0 || first === candidates.length) return candidates;
  const listed = candidates[0]!.heading.number;
  if (listed !== null) {
    const again = candidates.findIndex((c, k) => k > first && c.heading.number === listed);
    if (again === first + 1) first = again;
  }
  warnings.push({
    line: lines[candidates[0]!.index]!.line,
    message: `${first} chapter headings up to line ${lines[candidates[first - 1]!.index]!.line} look like a table of contents and were left out`,
  });
  return candidates.slice(first);
}

function checkNumber(
  number: number,
  previous: number,
  line: number,
  firstLineOf: Map<number, number>,
  warnings: LineWarning[],
): void {
  const firstAt = firstLineOf.get(number);
  if (firstAt !== undefined) {
    warnings.push({ line, message: `chapter ${number} appears again (first at line ${firstAt})` });
  } else if (number > previous + 1) {
    const missing = number - 1 === previous + 1 ? `chapter ${previous + 1} is` : `chapters ${previous + 1}–${number - 1} are`;
    const where = previous === 0 ? `the first chapter is ${number}` : `chapter ${number} follows chapter ${previous}`;
    warnings.push({ line, message: `${where}: ${missing} missing` });
  } else if (number <= previous) {
    warnings.push({ line, message: `chapter ${number} comes after chapter ${previous} (out of order)` });
  }
}
