/**
 * The companion's series index over HTTP (`/api/v1`, token required): the series in the vault, each
 * with its books in order, its totals and its characters, and where a character appears across the
 * books. Re-exported by `api.ts`; kept apart so the revision and export schemas stay readable. Runs on
 * Obsidian mobile too: no Node built-ins here.
 *
 * Ids are opaque: the companion derives them from the series note's (or character note's) path, so one
 * stays the same while its note stays where it is. They are never paths, and a path is never accepted.
 */
import * as z from "zod";

/** Letters the companion's ids are made of; anything else cannot be one of its ids. */
const ID_PATTERN = /^[0-9a-f]{16}$/;

/** A series id, as `GET /series` gives it. */
export const SeriesId = z
  .string({ error: "series id must be a string" })
  .regex(ID_PATTERN, "series id must be 16 lower-case hexadecimal digits, as GET /series gives it");

/** A character id, as `GET /series/:id` and `GET /series/:id/characters?name=` give it. */
export const CharacterId = z
  .string({ error: "character id must be a string" })
  .regex(ID_PATTERN, "character id must be 16 lower-case hexadecimal digits, as GET /series/:id gives it");

export const SeriesParams = z.object({ id: SeriesId });
export const CharacterParams = z.object({ id: CharacterId });

/** The longest character name looked up: far beyond any real name, short enough to never be a burden. */
const MAX_NAME_LENGTH = 200;

export const CharacterLookupQuery = z.object({
  /** A character's name or one of its aliases, case-insensitive; a wikilink (`[[Mara]]`) works too. */
  name: z
    .string({ error: (issue) => (issue.input === undefined ? "name is required" : "name must be a string") })
    .trim()
    .min(1, "name must not be empty")
    .max(MAX_NAME_LENGTH, `name must be at most ${MAX_NAME_LENGTH} characters`),
});
export type CharacterLookupQuery = z.input<typeof CharacterLookupQuery>;

/** A problem found while reading the series, naming the note (as `bookwright series` prints them). */
export const SeriesWarning = z.object({
  severity: z.enum(["error", "warning"]),
  /** The vault-relative path of the note concerned. */
  path: z.string(),
  line: z.number().optional(),
  /** The frontmatter key concerned, when there is one. */
  field: z.string().optional(),
  message: z.string(),
});
export type SeriesWarning = z.output<typeof SeriesWarning>;

// ---- GET /series ----

export const SeriesSummary = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  /** The series folder (where the series note lives), vault-relative; "" for the vault root. */
  folder: z.string(),
  /** How many books the series has. */
  books: z.number(),
  /** Words in all its books' chapters. */
  words: z.number(),
});
export type SeriesSummary = z.output<typeof SeriesSummary>;

export const ListSeriesResponse = z.object({
  /** By series note path. */
  series: z.array(SeriesSummary),
  /**
   * When the index was last rebuilt from the vault (ISO 8601), or null before the first rebuild. After a
   * restart this is the previous run's time until the rebuild at start finishes.
   */
  indexedAt: z.string().nullable(),
});
export type ListSeriesResponse = z.output<typeof ListSeriesResponse>;

// ---- GET /series/:id ----

export const SeriesContinuity = z.object({
  pass: z.number(),
  warning: z.number(),
  fail: z.number(),
  /** Written chapters no continuity check has looked at yet. */
  unchecked: z.number(),
});

export const SeriesIndexBook = z.object({
  /** 1-based place in the series, after ordering. */
  position: z.number(),
  /** The book's `series_order`, else its place in the series note's `books`; null when it has neither. */
  order: z.number().nullable(),
  title: z.string(),
  folder: z.string(),
  /** The book's index note (`Book.md` or a Longform index). */
  path: z.string(),
  /** The book's `status` (a string, so an index written by another version still reads). */
  status: z.string(),
  chapters: z.number(),
  words: z.number(),
  targetWords: z.number().nullable(),
  /** Chapters per chapter status. */
  byStatus: z.record(z.string(), z.number()),
  continuity: SeriesContinuity,
});
export type SeriesIndexBook = z.output<typeof SeriesIndexBook>;

export const SeriesIndexCharacter = z.object({
  id: z.string(),
  name: z.string(),
  aliases: z.array(z.string()),
  /** The series-wide note, else the first book's note. */
  path: z.string(),
  /** Whether the note is the series' own (not a book's). */
  seriesWide: z.boolean(),
  /** Positions of the books the character appears in. */
  books: z.array(z.number()),
  /** Chapters across the series the character appears in. */
  appearances: z.number(),
});
export type SeriesIndexCharacter = z.output<typeof SeriesIndexCharacter>;

export const SeriesDetailResponse = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  folder: z.string(),
  /** The series note. */
  path: z.string(),
  /** The series bible, when the series folder has one outside its books. */
  biblePath: z.string().optional(),
  /** In series order. */
  books: z.array(SeriesIndexBook),
  stats: z.object({
    books: z.number(),
    chapters: z.number(),
    words: z.number(),
    /** The sum of the books' targets; null when a book has none. */
    targetWords: z.number().nullable(),
  }),
  /** Characters with a note, one entry per person; the most present first. */
  characters: z.array(SeriesIndexCharacter),
  /** The series' problems and its books', and problems of notes in its folder (a book naming a series that does not exist). */
  warnings: z.array(SeriesWarning),
  indexedAt: z.string().nullable(),
});
export type SeriesDetailResponse = z.output<typeof SeriesDetailResponse>;

// ---- GET /characters/:id/appearances, GET /series/:id/characters?name= ----

export const SeriesIndexAppearance = z.object({
  /** 1-based place of the book in the series. */
  position: z.number(),
  /** The book's title. */
  book: z.string(),
  bookFolder: z.string(),
  chapter: z.number(),
  chapterTitle: z.string().optional(),
  /** The chapter's note, when the book has a chapter with that number. */
  chapterPath: z.string().optional(),
  role: z.string().optional(),
  state: z.string().optional(),
  /** Where the appearance is recorded: the chapter's `characters` key or a character note's `appearances`. */
  source: z.enum(["chapter", "character-note"]),
});
export type SeriesIndexAppearance = z.output<typeof SeriesIndexAppearance>;

export const CharacterRef = z.object({
  id: z.string(),
  name: z.string(),
  aliases: z.array(z.string()),
  /** The character's note; absent for someone named only in chapters' `characters` keys. */
  path: z.string().optional(),
  seriesWide: z.boolean(),
  series: z.object({ id: z.string(), title: z.string() }),
});
export type CharacterRef = z.output<typeof CharacterRef>;

export const CharacterAppearancesResponse = z.object({
  character: CharacterRef,
  /** In series order: by book, then chapter. */
  appearances: z.array(SeriesIndexAppearance),
});
export type CharacterAppearancesResponse = z.output<typeof CharacterAppearancesResponse>;

/** `character` is null (and `appearances` empty) when no one in the series goes by that name. */
export const CharacterLookupResponse = z.object({
  name: z.string(),
  character: CharacterRef.nullable(),
  appearances: z.array(SeriesIndexAppearance),
});
export type CharacterLookupResponse = z.output<typeof CharacterLookupResponse>;
