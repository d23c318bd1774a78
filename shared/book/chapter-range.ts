/**
 * Chapter ranges as writers type them ("1-7", "3", "1, 4, 6-9", en or em dashes), read once for every
 * door: the CLI words its errors as option errors, the plugin as sentences in a modal, both from the same
 * reading and the same reasons.
 */

export type ChapterRangeProblem =
  | { reason: "empty" }
  /** A part that is neither a number nor a range. */
  | { reason: "not-a-range"; part: string }
  /** A part with a chapter below 1. */
  | { reason: "below-one"; part: string }
  /** A part whose end comes before its start. */
  | { reason: "backwards"; part: string; from: number; to: number }
  /** More chapters than `max`, in one part or in all. */
  | { reason: "too-many"; part: string; max: number };

/** The chapters, sorted and without repeats, or the first problem found. */
export function readChapterRange(text: string, max = Infinity): { chapters: number[] } | { problem: ChapterRangeProblem } {
  const trimmed = text.trim();
  const parts = trimmed.split(",").map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return { problem: { reason: "empty" } };
  const chapters = new Set<number>();
  for (const part of parts) {
    const match = /^(\d+)(?:\s*[-–—]\s*(\d+))?$/.exec(part);
    if (!match) return { problem: { reason: "not-a-range", part } };
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 1 || to < 1) return { problem: { reason: "below-one", part } };
    if (to < from) return { problem: { reason: "backwards", part, from, to } };
    if (to - from + 1 > max) return { problem: { reason: "too-many", part, max } };
    for (let n = from; n <= to; n++) chapters.add(n);
    if (chapters.size > max) return { problem: { reason: "too-many", part: trimmed, max } };
  }
  return { chapters: [...chapters].sort((a, b) => a - b) };
}
