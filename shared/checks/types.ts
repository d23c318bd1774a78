/**
 * What the deterministic checks report. A finding is self-contained: the continuity report quotes it as
 * is, and a revise pass can act on it, so it carries the exact passage, where it is, and why it matters
 * in words a novelist reads without knowing how the check works.
 */

/** After ConStory-Bench's taxonomy, coarsened: characters, timeline, setting and world rules, objects, knowledge, style. */
export type FindingCategory = "character" | "timeline" | "setting" | "object" | "knowledge" | "style";

export interface Finding {
  severity: "info" | "warning" | "error";
  category: FindingCategory;
  /** The passage, quoted exactly from the chapter text (a short excerpt around the problem). */
  quote: string;
  /** Where: chapter number and 1-based line within the chapter body. */
  where: { chapter: number; line: number };
  /** Why it is a problem, in plain words for a novelist; quote the earlier fact and its chapter when there is one. */
  why: string;
  suggestedFix?: string;
  /** Which check produced it, e.g. "stock-phrase". */
  check: string;
}

export interface ChapterText {
  chapter: number;
  title: string;
  body: string;
}

export interface CodexCharacter {
  name: string;
  aliases: string[];
  status?: string;
  /** chapter where the status (e.g. dead) became true */
  statusSince?: number;
  /**
   * Where the status was established when that was in an earlier book of the series ("book 1, chapter
   * 12"): `statusSince` is then 0, the start of this book, and messages name the earlier place instead.
   */
  statusFrom?: string;
}
