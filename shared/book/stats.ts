import type { BookInfo } from "./scan";
import { CHAPTER_STATUSES, type ChapterStatus } from "./schemas";

export interface BookStats {
  title: string;
  chapters: number;
  words: number;
  targetWords: number | null;
  /** words / target, 0..n (can pass 1), null without a target. */
  progress: number | null;
  byStatus: Record<ChapterStatus, number>;
  perChapter: { number: number | null; title: string; words: number; status: ChapterStatus }[];
}

/** Words per chapter and book, progress against `target_words`, chapters by status. */
export function bookStats(book: BookInfo): BookStats {
  const byStatus = Object.fromEntries(CHAPTER_STATUSES.map((s) => [s, 0])) as Record<ChapterStatus, number>;
  let words = 0;
  for (const chapter of book.chapters) {
    words += chapter.words;
    byStatus[chapter.status]++;
  }
  const targetWords = book.meta.target_words ?? null;
  return {
    title: book.meta.title,
    chapters: book.chapters.length,
    words,
    targetWords,
    progress: targetWords ? words / targetWords : null,
    byStatus,
    perChapter: book.chapters.map((c) => ({ number: c.number, title: c.title, words: c.words, status: c.status })),
  };
}
