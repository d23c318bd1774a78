/**
 * Misspelt names: a capitalised word the codex does not know that is one edit away from a codex name
 * or alias ("Jhon" for "John", "Elisabeth" for "Elizabeth"), or two edits for names of seven letters or
 * more, where two slips are as likely as one in a short name. Drafts drift this way over long books,
 * and a reader takes a new spelling for a new person.
 *
 * What is not reported, and why:
 * - words that are codex names or aliases, or parts of them (they are somebody);
 * - a name plus `s` or `es` ("the Bennets", "the Lucases": the family, not a misspelling);
 * - titles, days and months ("June" is not a slip for "Jane");
 * - a sentence-initial word that the book also uses in lower case, or that is a common English word
 *   ("Join us", "Will you"): at the start of a sentence the capital says nothing;
 * - a word used often and widely, by default 5 times or more in 3 chapters or more: a slip is not
 *   repeated that consistently, so it is probably another character the codex does not list yet.
 */
import { COMMON_WORDS, TITLES } from "./common-words";
import { excerpt, isSentenceStart, LineIndex, listNumbers, tokenize } from "./text";
import type { ChapterText, CodexCharacter, Finding } from "./types";

export interface NameVariantOptions {
  /** Occurrences from which a word counts as someone else's name… (default 5) */
  otherCharacterOccurrences?: number;
  /** …when it is also spread over at least this many chapters (default 3). */
  otherCharacterChapters?: number;
}

/** Capitalised words that are nobody's misspelt name. */
const NOT_NAMES = new Set(
  `monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september
  october november december god christmas easter`.split(/\s+/),
);

/**
 * Damerau-Levenshtein distance (insertions, deletions, substitutions and transpositions of neighbours,
 * unrestricted: an edited stretch may be edited again), after Lowrance and Wagner. Names are short, so
 * the full table costs nothing.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const infinity = m + n;
  const width = n + 2;
  const d = new Array<number>((m + 2) * width).fill(0);
  const at = (i: number, j: number): number => i * width + j;
  d[at(0, 0)] = infinity;
  for (let i = 0; i <= m; i++) {
    d[at(i + 1, 0)] = infinity;
    d[at(i + 1, 1)] = i;
  }
  for (let j = 0; j <= n; j++) {
    d[at(0, j + 1)] = infinity;
    d[at(1, j + 1)] = j;
  }
  const lastRow = new Map<string, number>();
  for (let i = 1; i <= m; i++) {
    let lastMatchColumn = 0;
    for (let j = 1; j <= n; j++) {
      const i1 = lastRow.get(b[j - 1]!) ?? 0;
      const j1 = lastMatchColumn;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchColumn = j;
      d[at(i + 1, j + 1)] = Math.min(
        d[at(i, j)]! + cost,
        d[at(i + 1, j)]! + 1,
        d[at(i, j + 1)]! + 1,
        d[at(i1, j1)]! + (i - i1 - 1) + 1 + (j - j1 - 1),
      );
    }
    lastRow.set(a[i - 1]!, i);
  }
  return d[at(m + 1, n + 1)]!;
}

/** A word as names are compared: lower case, without a possessive `’s`. Runs on every word of the book. */
function nameKey(word: string): string {
  const lower = word.toLowerCase();
  const n = lower.length;
  return n > 2 && lower[n - 1] === "s" && (lower[n - 2] === "’" || lower[n - 2] === "'") ? lower.slice(0, n - 2) : lower;
}

/** Whether a word starts with a capital (ASCII answered without building strings). */
function startsCapitalised(word: string): boolean {
  const code = word.charCodeAt(0);
  if (code < 128) return code >= 65 && code <= 90;
  return /^\p{Lu}/u.test(word);
}

/** Whether a word starts with a lower-case letter. */
function startsLowerCase(word: string): boolean {
  const code = word.charCodeAt(0);
  if (code < 128) return code >= 97 && code <= 122;
  return /^\p{Ll}/u.test(word);
}

interface CodexName {
  /** The name word, as written in the codex. */
  word: string;
  key: string;
  /** The character's display name. */
  character: string;
}

interface Occurrence {
  chapter: number;
  start: number;
  end: number;
  /** The capitalised word just before, when the two may be one proper noun ("Hunsford Lane"). */
  follows: { start: number; key: string } | null;
}

export function findNameVariants(chapters: readonly ChapterText[], codex: readonly CodexCharacter[], options: NameVariantOptions = {}): Finding[] {
  const otherOccurrences = options.otherCharacterOccurrences ?? 5;
  const otherChapters = options.otherCharacterChapters ?? 3;

  // Every word of every name and alias is known; the ones worth comparing against are the real names.
  const known = new Set<string>();
  const names: CodexName[] = [];
  const seenNames = new Set<string>();
  for (const character of codex) {
    for (const form of [character.name, ...character.aliases]) {
      for (const token of tokenize(form)) {
        const key = nameKey(token.text);
        known.add(key);
        // Only capitalised words are names: "boy" in the alias "the Harrow boy" is not one to misspell.
        if (key.length < 3 || !startsCapitalised(token.text) || TITLES.has(key) || COMMON_WORDS.has(key) || seenNames.has(key)) continue;
        seenNames.add(key);
        names.push({ word: token.text.replace(/['’]s$/i, ""), key, character: character.name });
      }
    }
  }
  if (names.length === 0) return [];

  // Capitalised words the codex does not know, with where they are; and the book's lower-case words.
  const lowerCase = new Set<string>();
  const candidates = new Map<string, { spelling: string; occurrences: Occurrence[] }>();
  chapters.forEach((chapter, c) => {
    const body = chapter.body;
    let previous: { start: number; end: number; key: string; capitalised: boolean } | null = null;
    for (const token of tokenize(body)) {
      const capitalised = startsCapitalised(token.text);
      const key = nameKey(token.text);
      const before = previous;
      previous = { start: token.start, end: token.end, key, capitalised };
      if (!capitalised) {
        if (startsLowerCase(token.text)) lowerCase.add(key);
        continue;
      }
      const base = token.text.replace(/['’]s$/i, "");
      // All capitals is emphasis or an acronym, not a name as the prose spells it.
      if (base.length < 3 || base === base.toUpperCase()) continue;
      if (known.has(key) || TITLES.has(key) || NOT_NAMES.has(key)) continue;
      let entry = candidates.get(key);
      if (!entry) candidates.set(key, (entry = { spelling: base, occurrences: [] }));
      const joined = before !== null && before.capitalised && /^[ \t]+$/.test(body.slice(before.end, token.start)) && !known.has(before.key) && !TITLES.has(before.key);
      entry.occurrences.push({ chapter: c, start: token.start, end: token.start + base.length, follows: joined ? { start: before.start, key: before.key } : null });
    }
  });
  const isCommon = (key: string): boolean => COMMON_WORDS.has(key) || lowerCase.has(key);
  const startsSentence = (o: { chapter: number }, start: number): boolean => isSentenceStart(chapters[o.chapter]!.body, start);
  // At the start of a sentence the capital says nothing: "Join us" is not a slip for "Jon".
  const capitalOnlyForSentence = (key: string, o: Occurrence): boolean => isCommon(key) && startsSentence(o, o.start);
  // "Hunsford Lane", "Baker Street": the second word of a longer proper noun is not a slip for "Jane",
  // but "Then Jhon left" still is (the word before is only capitalised because it starts the sentence).
  const partOfProperNoun = (o: Occurrence): boolean => o.follows !== null && !(isCommon(o.follows.key) && startsSentence(o, o.follows.start));

  const findings: Finding[] = [];
  for (const [key, { spelling, occurrences }] of candidates) {
    const chapterSet = new Set(occurrences.map((o) => o.chapter));
    if (occurrences.length >= otherOccurrences && chapterSet.size >= otherChapters) continue;
    // The name comparison first: it rules out almost every word, and the sentence tests cost more.
    const match = closestName(key, names);
    if (!match) continue;
    const suspicious = occurrences.filter((o) => !capitalOnlyForSentence(key, o) && !partOfProperNoun(o));
    if (suspicious.length === 0) continue;

    const byChapter = new Map<number, Occurrence[]>();
    for (const o of suspicious) {
      const list = byChapter.get(o.chapter);
      if (list) list.push(o);
      else byChapter.set(o.chapter, [o]);
    }
    for (const [c, list] of byChapter) {
      const chapter = chapters[c]!;
      const lines = new LineIndex(chapter.body);
      const lineNumbers = [...new Set(list.map((o) => lines.lineAt(o.start)))];
      const first = list[0]!;
      const count = list.length === 1 ? "" : ` It appears ${list.length} times in this chapter (line${lineNumbers.length === 1 ? "" : "s"} ${listNumbers(lineNumbers)}).`;
      const whose = match.name.character === match.name.word ? "" : ` (${match.name.character})`;
      findings.push({
        severity: "warning",
        category: "character",
        quote: excerpt(chapter.body, first.start, first.end),
        where: { chapter: chapter.chapter, line: lineNumbers[0]! },
        why: `“${spelling}” is spelled almost like “${match.name.word}”${whose} from the codex, but no character is called “${spelling}”; readers take a new spelling for a new person.${count}`,
        suggestedFix: `If this is ${match.name.word}, correct the spelling to “${match.name.word}”; if it is someone else, add them to the codex.`,
        check: "name-variant",
      });
    }
  }
  return findings;
}

/** The codex name nearest to a word, if it is within one edit (two for names of seven letters or more). */
function closestName(key: string, names: readonly CodexName[]): { name: CodexName; distance: number } | null {
  let best: { name: CodexName; distance: number } | null = null;
  for (const name of names) {
    const allowed = name.key.length >= 7 ? 2 : 1;
    if (Math.abs(name.key.length - key.length) > allowed) continue;
    // The family in the plural ("the Bennets") or a plural noun is not a misspelling.
    if (key === `${name.key}s` || key === `${name.key}es`) return null;
    const distance = damerauLevenshtein(key, name.key);
    if (distance === 0 || distance > allowed) continue;
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best;
}
