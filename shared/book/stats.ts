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

const number = new Intl.NumberFormat("en");

/** Plain-text stats as a writer reads them in a terminal or a notice. */
export function formatStats(stats: BookStats, author?: string): string {
  const lines = [`${stats.title}${author ? ` by ${author}` : ""}`];
  const target = stats.targetWords === null ? "" : ` of ${number.format(stats.targetWords)} (${Math.round((stats.progress ?? 0) * 100)}%)`;
  const chapters = `${stats.chapters} chapter${stats.chapters === 1 ? "" : "s"}`;
  lines.push(`  ${chapters}, ${number.format(stats.words)} word${stats.words === 1 ? "" : "s"}${target}`);
  const statuses = Object.entries(stats.byStatus).filter(([, n]) => n > 0).map(([s, n]) => `${s.replace(/_/g, " ")} ${n}`);
  lines.push(`  chapters by status: ${statuses.join(", ") || "none"}`);
  const width = Math.max(5, ...stats.perChapter.map((c) => c.title.length));
  for (const c of stats.perChapter) {
    const n = c.number === null ? "  ?" : String(c.number).padStart(3);
    lines.push(`  ${n}  ${c.title.padEnd(width)}  ${number.format(c.words).padStart(7)}  ${c.status.replace(/_/g, " ")}`);
  }
  return lines.join("\n");
}
