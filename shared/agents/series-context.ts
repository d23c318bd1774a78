/**
 * What book N of a series is told about the series (docs/book-folder.md, "What the agents see of a
 * series"): the series bible whole, and the earlier books rolled up within one fixed budget that does not
 * grow with the number of books. Each earlier book becomes a book-level summary made from its chapter
 * summaries the way a book's own earlier chapters are (rollUpSummaries: the latest chapters whole, older
 * ones cut to a sentence, the oldest left out); the book just before this one gets the largest share and
 * each older one half as much, so the oldest are compressed hardest, and books whose share would be too
 * small to say anything are left out with a note. The codex side (earlier books' facts as known from the
 * start) is factsOf's, in the queue.
 */
import { DEFAULT_BUDGET, estimateTokens, rollUpSummaries, type ChapterMemory } from "./context";

export interface EarlierBook {
  /** 1-based place in the series. */
  position: number;
  title: string;
  /** Its chapters' summaries (chapter numbers are that book's). */
  summaries: ChapterMemory[];
}

export interface SeriesMaterial {
  title: string;
  description?: string;
  /** This book's place in the series. */
  position: number;
  /** The series bible note's body; "" when the series has none. */
  bible: string;
  /** The books before this one, in series order. */
  earlier: EarlierBook[];
}

/**
 * Tokens for all earlier books together (≈ 4 characters a token), however many there are: a fifth of
 * what this book's own earlier chapters get, because the book before matters less than the chapter
 * before, and because a series book's prompts must stay within 1.3 × those of the series' first book
 * (whose prompt has none of this). The series bible is not counted: it is the writer's own, as the story
 * bible is, and does not grow with the books; what the earlier books did to the characters reaches the
 * codex, not this text.
 */
export const DEFAULT_SERIES_TOKENS = DEFAULT_BUDGET.summaryTokens / 5;

/** Below this many tokens a book's share says too little to be worth its heading: such books are left out. */
const MIN_BOOK_TOKENS = 40;

/** The series as the prompts show it; see the module comment. */
export function renderSeriesContext(series: SeriesMaterial, budgetTokens = DEFAULT_SERIES_TOKENS): string {
  const about = series.description?.trim() ? `: ${series.description.trim()}` : ".";
  const intro = [`This book is book ${series.position} of the series ${series.title}${about}`];
  if (series.earlier.length > 0) {
    intro.push("What earlier books established holds unless this book's story bible says otherwise. Their facts are labelled with their book, as \"(book 1, chapter 12)\"; a chapter number alone is this book's.");
  }
  const parts = [`## The series: ${series.title}\n${intro.join(" ")}`];
  if (series.bible.trim()) parts.push(`## Series bible\n${series.bible.trim()}`);
  if (series.earlier.length > 0) parts.push(`## Earlier books, oldest first\n${rollUpBooks(series.earlier, budgetTokens)}`);
  return parts.join("\n\n");
}

/**
 * The earlier books, each as "Book 1: <title>" and its rolled-up chapters, within `budgetTokens` in all.
 * Shares double from the oldest shown book to the newest (1 : 2 : 4 …), and what a book leaves unused
 * goes to the older ones.
 */
export function rollUpBooks(books: EarlierBook[], budgetTokens: number): string {
  const ordered = [...books].sort((a, b) => a.position - b.position);
  if (ordered.length === 0) return "";
  // As many of the latest books as keep the smallest share (budget / (2^m − 1)) worth having.
  let shown = 1;
  while (shown < ordered.length && budgetTokens / (2 ** (shown + 1) - 1) >= MIN_BOOK_TOKENS) shown++;
  const dropped = ordered.slice(0, ordered.length - shown);
  const leftOut = dropped.length === 0
    ? ""
    : dropped.length === 1
      ? `(Book ${dropped[0]!.position}, ${dropped[0]!.title}, is left out for length; the series bible holds what it established.)`
      : `(Books ${dropped[0]!.position}–${dropped.at(-1)!.position} are left out for length; the series bible holds what they established.)`;
  let remaining = budgetTokens - estimateTokens(`${leftOut}\n\n`);
  const blocks: string[] = [];
  // Newest first, so the book just before this one is sure of its share and leftovers flow to older ones.
  for (let i = shown - 1; i >= 0; i--) {
    const book = ordered[ordered.length - shown + i]!;
    const weights = 2 ** (i + 1) - 1;
    const share = Math.floor((remaining * 2 ** i) / weights);
    const block = bookBlock(book, share);
    blocks.unshift(block);
    remaining -= estimateTokens(`${block}\n\n`);
  }
  return [leftOut, ...blocks].filter(Boolean).join("\n\n");
}

/** One earlier book within `tokens`: its label, then its chapters rolled up, each naming the book. */
function bookBlock(book: EarlierBook, tokens: number): string {
  const heading = `Book ${book.position}: ${book.title}`;
  const room = tokens - estimateTokens(`${heading}\n`);
  const style = {
    chapter: (n: number) => `Book ${book.position}, chapter ${n}`,
    leftOut: (last: number) => `(Book ${book.position}, chapters 1–${last}, are left out for length.)`,
    sentence: leadSentence,
  };
  const summaries = book.summaries.filter((s) => s.summary.trim() !== "");
  if (summaries.length === 0) return `${heading}\n(No chapter summaries yet.)`;
  // rollUpSummaries always keeps the latest chapter whole, which a small share may not hold: then every
  // chapter is cut to its first sentence and rolled up again, and at the last only the ending is left.
  let text = rollUpSummaries(summaries, {}, room, style);
  if (estimateTokens(text) > room) text = rollUpSummaries(summaries.map((m) => ({ ...m, summary: leadSentence(m.summary) })), {}, room, style);
  if (estimateTokens(text) > room) {
    const last = [...summaries].sort((a, b) => a.chapter - b.chapter).at(-1)!;
    text = `${style.chapter(last.chapter)}: ${leadSentence(last.summary)}`;
    if (estimateTokens(text) > room) text = `${text.slice(0, Math.max(0, room * 4 - 1))}…`;
  }
  return `${heading}\n${text}`;
}

/** Titles and initials whose full stop ends no sentence: "said Mr. Darcy" must not be cut to "said Mr.". */
const ABBREVIATION = /(?:\b(?:Mr|Mrs|Ms|Mme|Mlle|Dr|St|Sr|Jr|Col|Capt|Lt|Gen|Sgt|Prof|Rev|Hon|Mt|No|vs|e\.g|i\.e)|(?:^|\s)[A-Z])\.$/;

/** The summary's first sentence, not stopping at an abbreviation's full stop. */
export function leadSentence(text: string): string {
  const trimmed = text.trim();
  const end = /[.!?…](?=\s|$)/g;
  for (let match = end.exec(trimmed); match !== null; match = end.exec(trimmed)) {
    const sentence = trimmed.slice(0, match.index + 1);
    if (!ABBREVIATION.test(sentence)) return sentence;
  }
  return trimmed;
}
