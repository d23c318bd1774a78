/**
 * Repeated wording across the book: runs of at least `min` words (case and punctuation ignored) that
 * occur in two or more chapters, or three or more times anywhere. Each later occurrence is reported
 * once as a whole passage, quoting the first one and its chapter, so a copied sentence is one finding
 * rather than one per overlapping five-word window.
 *
 * Cost is linear in the book's length: every window of `min` words is hashed once (word ids, not
 * strings) into a map, and only windows that repeat are looked at again. A 122,000-word novel takes
 * about a tenth of a second, most of it finding the words.
 *
 * Dialogue (text inside quotation marks) is left out by default, and no run crosses a quotation mark
 * or a paragraph break. Why: a character's refrain, a catchphrase, a letter read out again, a line
 * another character quotes back are echoes the writer made on purpose, and they are part of a
 * character's voice; the repetition that marks a tired or machine-written draft is the narration's
 * (the same gesture, the same description of the light, chapter after chapter). A writer who wants
 * dialogue checked too sets `includeDialogue`.
 */
import { COMMON_WORDS } from "./common-words";
import { LineIndex, listNumbers, paragraphBreaks, quotedSpans, tokenize, wordKey } from "./text";
import type { ChapterText, Finding } from "./types";

export interface NgramOptions {
  /** Shortest repeated run reported, in words (default 5). */
  min?: number;
  /**
   * Longest run a finding quotes, in words (default 8). A longer repeated passage is still one finding:
   * it quotes the first `max` words and says how long the passage is. A passage of `max` words or more
   * is a warning (a sentence copied, not a turn of phrase).
   */
  max?: number;
  /** Check text inside quotation marks too (default false; see the file comment). */
  includeDialogue?: boolean;
  /** Words too common to make a repetition worth reporting on their own (default: COMMON_WORDS, English). */
  commonWords?: ReadonlySet<string>;
}

/**
 * Words not in the common list that a run needs. One is enough: "and she looked up at him" repeated
 * from chapter to chapter is the tic this check is for, and it has a single uncommon word.
 */
const MIN_CONTENT_WORDS = 1;

export function findRepeatedNgrams(chapters: readonly ChapterText[], options: NgramOptions = {}): Finding[] {
  const min = Math.max(2, Math.floor(options.min ?? 5));
  const max = Math.max(min, Math.floor(options.max ?? 8));
  const common = options.commonWords ?? COMMON_WORDS;
  // "Earlier" means earlier in the book, whatever order the caller passed the chapters in.
  const ordered = chapters.map((chapter, index) => ({ chapter, index })).sort((a, b) => a.chapter.chapter - b.chapter.chapter || a.index - b.index).map((c) => c.chapter);

  // The whole book as one array of word ids, with a break flag where a run may not continue.
  const idOf = new Map<string, number>();
  const content: boolean[] = [];
  const ids: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const chapterOf: number[] = [];
  const breakBefore: boolean[] = [];
  ordered.forEach((chapter, c) => {
    const body = chapter.body;
    const quotes = quotedSpans(body);
    const paragraphs = paragraphBreaks(body);
    let q = 0;
    let p = 0;
    let broken = true;
    let previousParagraph = -1;
    let previousQuote = -1;
    for (const token of tokenize(body)) {
      while (p < paragraphs.length && paragraphs[p]! < token.start) p++;
      while (q < quotes.length && quotes[q]![1] <= token.start) q++;
      const quote = q < quotes.length && quotes[q]![0] <= token.start ? q : -1;
      if (quote >= 0 && !options.includeDialogue) {
        broken = true;
        continue;
      }
      if (p !== previousParagraph || quote !== previousQuote) broken = true;
      previousParagraph = p;
      previousQuote = quote;
      const key = wordKey(token.text);
      let id = idOf.get(key);
      if (id === undefined) {
        id = idOf.size;
        idOf.set(key, id);
        content.push(!common.has(key));
      }
      ids.push(id);
      starts.push(token.start);
      ends.push(token.end);
      chapterOf.push(c);
      breakBefore.push(broken);
      broken = false;
    }
  });
  const n = ids.length;

  // runLeft[i]: words from i to the next break, so the window at i exists when runLeft[i] >= min.
  const runLeft = new Int32Array(n);
  for (let i = n - 1; i >= 0; i--) runLeft[i] = i + 1 < n && !breakBefore[i + 1] ? runLeft[i + 1]! + 1 : 1;
  const contentBefore = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) contentBefore[i + 1] = contentBefore[i]! + (content[ids[i]!] ? 1 : 0);

  // Hash every window of `min` words: two 32-bit multiplicative hashes folded into 53 bits, a number
  // key (a Map of numbers is several times faster than one of joined strings). Equal hashes are checked
  // word by word below, so a collision can only cost time, never a false finding.
  const firstAt = new Map<number, number>();
  const repeats = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (runLeft[i]! < min || contentBefore[i + min]! - contentBefore[i]! < MIN_CONTENT_WORDS) continue;
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9;
    for (let k = i; k < i + min; k++) {
      const id = ids[k]!;
      h1 = Math.imul(h1 ^ id, 0x01000193);
      h2 = Math.imul(h2 ^ (id + 0x7f4a7c15), 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    const key = (h1 >>> 0) * 0x200000 + (h2 >>> 11);
    const first = firstAt.get(key);
    if (first === undefined) {
      firstAt.set(key, i);
      continue;
    }
    const list = repeats.get(key);
    if (list) list.push(i);
    else repeats.set(key, [first, i]);
  }

  const sameWords = (a: number, b: number): boolean => {
    for (let k = 0; k < min; k++) if (ids[a + k] !== ids[b + k]) return false;
    return true;
  };
  // Qualifying groups of identical windows, in book order; groupAt[i] names the group window i is in.
  const groups: number[][] = [];
  const groupAt = new Int32Array(n).fill(-1);
  for (const candidates of repeats.values()) {
    for (const exact of splitExact(candidates, sameWords)) {
      const occurrences: number[] = [];
      for (const i of exact) {
        // "ha ha ha ha ha ha" overlaps itself: one occurrence, not three.
        const last = occurrences[occurrences.length - 1];
        if (last !== undefined && chapterOf[last] === chapterOf[i] && i < last + min) continue;
        occurrences.push(i);
      }
      const chapterCount = new Set(occurrences.map((i) => chapterOf[i])).size;
      if (chapterCount < 2 && occurrences.length < 3) continue;
      for (const i of occurrences) groupAt[i] = groups.length;
      groups.push(occurrences);
    }
  }

  const lineIndexes = new Map<number, LineIndex>();
  const lineOf = (i: number): number => {
    const c = chapterOf[i]!;
    let index = lineIndexes.get(c);
    if (!index) lineIndexes.set(c, (index = new LineIndex(ordered[c]!.body)));
    return index.lineAt(starts[i]!);
  };
  const chapterNumber = (i: number): number => ordered[chapterOf[i]!]!.chapter;

  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const g = groupAt[i]!;
    if (g < 0) continue;
    const occurrences = groups[g]!;
    const ref = occurrences[0]!;
    if (ref === i) continue;
    // Extend while the next window repeats the next window of the same earlier passage.
    let j = i;
    while (j + 1 < n && groupAt[j + 1]! >= 0 && ref + (j + 1 - i) < i && groupAt[j + 1] === groupAt[ref + (j + 1 - i)]) j++;
    const words = j - i + min;
    const shown = Math.min(words, max);
    const body = ordered[chapterOf[i]!]!.body;
    const earlierBody = ordered[chapterOf[ref]!]!.body;
    const quote = body.slice(starts[i], ends[i + shown - 1]);
    const earlier = earlierBody.slice(starts[ref], ends[ref + shown - 1]);
    const here = chapterNumber(i);
    const there = chapterNumber(ref);
    const place = there === here ? `earlier in this chapter (line ${lineOf(ref)})` : `in chapter ${there} (line ${lineOf(ref)})`;
    const chaptersWith = [...new Set(occurrences.map(chapterNumber))];
    let why =
      words > shown
        ? `This ${words}-word passage repeats one ${place}, which begins “${flat(earlier)}”.`
        : `The same words appear ${place}: “${flat(earlier)}”.`;
    if (occurrences.length >= 3) why += ` This wording occurs ${occurrences.length} times in the book (chapter${chaptersWith.length === 1 ? "" : "s"} ${listNumbers(chaptersWith)}).`;
    why += " Wording that recurs across a book reads as a tic, or as a draft that has forgotten what it already said.";
    findings.push({
      severity: words >= max || occurrences.length >= 3 ? "warning" : "info",
      category: "style",
      quote,
      where: { chapter: here, line: lineOf(i) },
      why,
      suggestedFix: "Reword one of them, unless the echo is deliberate (a refrain or a callback).",
      check: "repeated-ngram",
    });
    i = j;
  }
  return findings;
}

/** Groups that share a hash, split into groups of identical windows (almost always the group itself). */
function splitExact(candidates: number[], same: (a: number, b: number) => boolean): number[][] {
  if (candidates.every((i) => same(candidates[0]!, i))) return [candidates];
  const out: number[][] = [];
  for (const i of candidates) {
    const group = out.find((g) => same(g[0]!, i));
    if (group) group.push(i);
    else out.push([i]);
  }
  return out;
}

const flat = (text: string): string => text.replace(/\s+/g, " ");
