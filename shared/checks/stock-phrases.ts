/**
 * Stock phrasing: the worn-out and machine-flavoured phrases of DEFAULT_PHRASES plus the writer's own
 * list, each occurrence reported where it is, and a summary when one phrase keeps coming back in a
 * chapter (repetition grows chapter over chapter in AI drafts, and it is what readers notice first).
 */
import { DEFAULT_PHRASES } from "./default-phrases";
import { escapeRegExp, excerpt, LineIndex, listNumbers } from "./text";
import type { ChapterText, Finding } from "./types";

export interface StockPhraseOptions {
  /** The writer's own phrases to avoid, same syntax as DEFAULT_PHRASES. */
  phrases?: readonly string[];
  /** Whether DEFAULT_PHRASES are checked too (default true). */
  useDefaultPhrases?: boolean;
  /** Entries to drop from the lists: a default phrase the writer uses on purpose. */
  ignorePhrases?: readonly string[];
  /** Uses of one phrase in one chapter that earn a summary finding (default 3). */
  repeatThreshold?: number;
}

export interface CompiledPhrase {
  /** The list entry as written. */
  phrase: string;
  source: "default" | "writer";
  pattern: RegExp;
  /**
   * The entry's longest plain word, lower case ("palpable"), or "" when it has none. A chapter whose
   * lower-cased text lacks it cannot match, and `includes` is far cheaper than the regular expression:
   * most phrases are absent from most chapters.
   */
  probe: string;
}

const WORD_CHAR = "[\\p{L}\\p{M}\\p{N}]";
/** `*` on its own: one whole word, inner apostrophes included. */
const ANY_WORD = `[\\p{L}\\p{N}]${WORD_CHAR}*(?:['’]${WORD_CHAR}+)*`;
/**
 * Between two words of a phrase: white space holding at most one line break, so a phrase matches
 * across a hard wrap but never across a paragraph break.
 */
const GAP = "(?:[^\\S\\n]*\\n[^\\S\\n]*|[^\\S\\n]+)";

/** An entry as the lists compare them: case folded, spaces collapsed, apostrophes straight. */
function entryKey(phrase: string): string {
  return phrase.trim().toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, " ");
}

/**
 * A phrase as a case-insensitive regular expression (see DEFAULT_PHRASES for the syntax), or null for an
 * entry with no letters or digits: a lone `*` would match every word of the book.
 */
export function compilePhrase(phrase: string): RegExp | null {
  const words = phrase.trim().split(/\s+/).filter((w) => w !== "");
  if (!words.some((w) => /[\p{L}\p{N}]/u.test(w))) return null;
  const parts = words.map((word) =>
    word === "*"
      ? ANY_WORD
      : [...word].map((ch) => (ch === "*" ? `${WORD_CHAR}*` : /['’‘]/.test(ch) ? "['’‘]" : escapeRegExp(ch))).join(""),
  );
  // Whole words only ("delve" must not fire inside "delves" unless written "delv*"), but a phrase that
  // ends with punctuation has no word edge to hold on to. The edge before is checked in matchPhrases:
  // a lookbehind does not compile on Obsidian for iOS before 16.4, and a captured
  // group before the phrase makes the engine try every position of the book, ten times slower.
  const tail = /[\p{L}\p{N}*]$/u.test(words[words.length - 1]!) ? `(?!${WORD_CHAR})` : "";
  return new RegExp(parts.join(GAP) + tail, "giu");
}

/** The lists to check, merged: the writer's entries win over an identical default, ignored entries go. */
export function compilePhrases(options: StockPhraseOptions = {}): CompiledPhrase[] {
  const ignored = new Set((options.ignorePhrases ?? []).map(entryKey));
  const byKey = new Map<string, CompiledPhrase>();
  const add = (phrase: string, source: CompiledPhrase["source"]): void => {
    const key = entryKey(phrase);
    if (key === "" || ignored.has(key)) return;
    const pattern = compilePhrase(phrase);
    if (pattern) byKey.set(key, { phrase: phrase.trim().replace(/\s+/g, " "), source, pattern, probe: probeOf(key) });
  };
  if (options.useDefaultPhrases ?? true) for (const phrase of DEFAULT_PHRASES) add(phrase, "default");
  for (const phrase of options.phrases ?? []) add(phrase, "writer");
  return [...byKey.values()];
}

function probeOf(key: string): string {
  const plain = key.split(" ").filter((word) => /^[\p{L}\p{M}\p{N}]+$/u.test(word));
  return plain.reduce((longest, word) => (word.length > longest.length ? word : longest), "");
}

interface Match {
  start: number;
  end: number;
  phrase: CompiledPhrase;
}

/** Every occurrence of every phrase in one text, a match inside a longer one at the same place dropped. */
function matchPhrases(body: string, phrases: readonly CompiledPhrase[]): Match[] {
  const matches: Match[] = [];
  const lower = body.toLowerCase();
  for (const phrase of phrases) {
    if (phrase.probe !== "" && !lower.includes(phrase.probe)) continue;
    const pattern = phrase.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(body); m !== null; m = pattern.exec(body)) {
      if (isWordChar(body, m.index - 1) && isWordChar(body, m.index)) {
        // Inside a word ("the weight of" in "lathe weight of"): try again from the next character.
        pattern.lastIndex = m.index + 1;
        continue;
      }
      matches.push({ start: m.index, end: m.index + m[0].length, phrase });
      if (m[0].length === 0) pattern.lastIndex++;
    }
  }
  // "let out a breath she didn't know she was holding" also holds "a breath … was holding": one finding, not two.
  matches.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Match[] = [];
  let reach = -1;
  for (const m of matches) {
    if (m.end <= reach) continue;
    kept.push(m);
    reach = Math.max(reach, m.end);
  }
  return kept;
}

const WORD_CHAR_TEST = /[\p{L}\p{M}\p{N}]/u;
const isWordChar = (text: string, i: number): boolean => i >= 0 && i < text.length && WORD_CHAR_TEST.test(text[i]!);

const oneLine = (text: string): string => text.replace(/\s+/g, " ");

export function findStockPhrases(chapters: readonly ChapterText[], options: StockPhraseOptions = {}): Finding[] {
  const phrases = compilePhrases(options);
  const threshold = options.repeatThreshold ?? 3;
  const findings: Finding[] = [];
  if (phrases.length === 0) return findings;
  for (const chapter of chapters) {
    const body = chapter.body;
    const lines = new LineIndex(body);
    const byPhrase = new Map<CompiledPhrase, Match[]>();
    for (const match of matchPhrases(body, phrases)) {
      const matched = oneLine(body.slice(match.start, match.end));
      const listed = entryKey(matched) === entryKey(match.phrase.phrase) ? "" : ` (listed as “${match.phrase.phrase}”)`;
      const list = match.phrase.source === "writer" ? "your list of phrases to avoid" : "the default list of stock phrases";
      findings.push({
        severity: "warning",
        category: "style",
        quote: excerpt(body, match.start, match.end),
        where: { chapter: chapter.chapter, line: lines.lineAt(match.start) },
        why: `“${matched}” is on ${list}${listed}: readers recognise it as filler, and it says nothing only this book could say.`,
        suggestedFix: "Rewrite it in the book's own voice: say what this character actually sees, feels or does here.",
        check: "stock-phrase",
      });
      const seen = byPhrase.get(match.phrase);
      if (seen) seen.push(match);
      else byPhrase.set(match.phrase, [match]);
    }
    for (const [phrase, matches] of byPhrase) {
      if (matches.length < threshold) continue;
      const first = matches[0]!;
      const lineNumbers = [...new Set(matches.map((m) => lines.lineAt(m.start)))];
      findings.push({
        severity: "warning",
        category: "style",
        quote: excerpt(body, first.start, first.end),
        where: { chapter: chapter.chapter, line: lineNumbers[0]! },
        why: `“${phrase.phrase}” appears ${matches.length} times in this chapter (line${lineNumbers.length === 1 ? "" : "s"} ${listNumbers(lineNumbers)}); a phrase that keeps coming back is the repetition readers notice first.`,
        suggestedFix: "Keep one at most, and rewrite the others in the book's own voice.",
        check: "stock-phrase-repeat",
      });
    }
  }
  return findings;
}
