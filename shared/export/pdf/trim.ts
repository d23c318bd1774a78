/**
 * Trim sizes and margins for a print-on-demand paperback. The numbers are Amazon KDP's (the strictest of
 * the common printers on the gutter): the inside margin a book needs grows with its page count, because a
 * thicker book's pages curve further into the spine.
 */

export type TrimName = "5x8" | "5.25x8" | "5.5x8.5" | "6x9";

export const POINTS_PER_INCH = 72;

export interface TrimSize {
  name: TrimName;
  /** Page width and height in points; the PDF's pages are exactly this (no bleed: a novel's pages are type only). */
  width: number;
  height: number;
}

const INCHES: Record<TrimName, [number, number]> = {
  "5x8": [5, 8],
  "5.25x8": [5.25, 8],
  "5.5x8.5": [5.5, 8.5],
  "6x9": [6, 9],
};

export const TRIM_NAMES = Object.keys(INCHES) as TrimName[];

export function trimSize(name: TrimName): TrimSize {
  const inches = INCHES[name];
  if (!inches) throw new Error(`Unknown trim size "${String(name)}"; use one of ${TRIM_NAMES.join(", ")}.`);
  return { name, width: inches[0] * POINTS_PER_INCH, height: inches[1] * POINTS_PER_INCH };
}

/** KDP's minimum inside margin (inches) by page count; past the last bracket KDP prints no paperback. */
const GUTTER_BRACKETS: { maxPages: number; inches: number }[] = [
  { maxPages: 150, inches: 0.375 },
  { maxPages: 300, inches: 0.5 },
  { maxPages: 500, inches: 0.625 },
  { maxPages: 700, inches: 0.75 },
  { maxPages: Infinity, inches: 0.875 },
];

/** KDP's minimum inside margin in inches for a book of `pages` pages (under 24 pages counts as the first bracket). */
export function kdpMinimumGutterInches(pages: number): number {
  return GUTTER_BRACKETS.find((b) => pages <= b.maxPages)!.inches;
}

/** Extra gutter over KDP's minimum, so no line runs into the curve of the page at the spine. */
export const GUTTER_COMFORT_INCHES = 0.25;
/** KDP asks for at least 0.25 in on the outside, top and bottom; these leave room for a thumb. */
export const OUTSIDE_INCHES = 0.5;
export const TOP_INCHES = 0.6;
export const BOTTOM_INCHES = 0.6;

export interface Margins {
  /** Gutter side: the left of a recto (odd) page, the right of a verso. */
  inside: number;
  outside: number;
  top: number;
  bottom: number;
}

/** Margins in points for a book of `pages` pages. */
export function marginsForPageCount(pages: number): Margins {
  return {
    inside: (kdpMinimumGutterInches(pages) + GUTTER_COMFORT_INCHES) * POINTS_PER_INCH,
    outside: OUTSIDE_INCHES * POINTS_PER_INCH,
    top: TOP_INCHES * POINTS_PER_INCH,
    bottom: BOTTOM_INCHES * POINTS_PER_INCH,
  };
}

/**
 * The highest page count that still gets the same gutter as `pages`: the book can be padded with blank
 * pages up to it without needing a wider gutter. Infinity in the last bracket.
 */
export function lastPageOfBracket(pages: number): number {
  return GUTTER_BRACKETS.find((b) => pages <= b.maxPages)!.maxPages;
}
