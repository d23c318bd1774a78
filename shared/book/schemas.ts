/**
 * The book-folder format: one zod schema per note kind, the single source of truth for what each key
 * means (docs/book-folder.md is written from these). Schemas are loose: keys we do not know are kept,
 * because they belong to the writer or to another plugin (Longform, StoryLine, Dataview, Bases).
 * Keys shared with Longform/StoryLine keep their names: status, pov, characters, location, chapter.
 */
import * as z from "zod";

export const NOTE_KINDS = ["book", "series", "story-bible", "outline", "character", "chapter", "brief", "continuity-report", "timeline", "revision"] as const;
export type NoteKind = (typeof NOTE_KINDS)[number];

export const BOOK_STATUSES = ["draft", "in_progress", "complete", "published"] as const;
export const CHAPTER_STATUSES = ["not_started", "brief_complete", "written", "verified"] as const;
export const CONTINUITY_RESULTS = ["pass", "warning", "fail"] as const;
export type ChapterStatus = (typeof CHAPTER_STATUSES)[number];
export type BookStatus = (typeof BOOK_STATUSES)[number];

const text = z.string().trim().min(1, "expected non-empty text");
const count = z.number().int("expected a whole number").nonnegative("expected 0 or more");
/** A list written as YAML list, or as one comma-free string (Obsidian's property editor writes both). */
const textList = z.preprocess((v) => (typeof v === "string" ? [v] : v), z.array(z.string()));
/** A BCP 47 language tag, e.g. `en`, `en-GB`, `pt-BR`, `zh-Hans`. */
const language = z.string().refine((tag) => {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}, "expected a BCP 47 language tag such as en, en-GB or fr");

/** Per-book model overrides, e.g. `models: { writer: claude-opus-4-5 }`; the model layer reads them. */
const modelOverrides = z.record(z.string(), z.string());

export const bookSchema = z.looseObject({
  bookwright: z.literal("book"),
  title: text,
  author: z.string().optional(),
  language: language.default("en"),
  genre: z.string().optional(),
  target_words: count.optional(),
  planned_chapters: count.optional(),
  status: z.enum(BOOK_STATUSES).default("draft"),
  series: z.string().optional(),
  series_order: count.optional(),
  models: modelOverrides.optional(),
});

export const seriesSchema = z.looseObject({
  bookwright: z.literal("series"),
  title: text,
  description: z.string().optional(),
  books: textList.optional(),
});

export const storyBibleSchema = z.looseObject({
  bookwright: z.literal("story-bible"),
  pov: z.string().optional(),
  tense: z.string().optional(),
});

export const outlineSchema = z.looseObject({ bookwright: z.literal("outline") });

const relationship = z.looseObject({ with: text, kind: text });

export const characterSchema = z.looseObject({
  bookwright: z.literal("character"),
  name: text.optional(),
  aliases: textList.default([]),
  role: z.string().optional(),
  traits: textList.default([]),
  arc: z.string().optional(),
  status: z.string().optional(),
  relationships: z.array(relationship).default([]),
});

export const chapterSchema = z.looseObject({
  bookwright: z.literal("chapter"),
  chapter: count.optional(),
  title: z.string().optional(),
  /** Kept as written: Longform/StoryLine notes use other words ("Draft", "Final"); see chapterStatus(). */
  status: z.string().optional(),
  words: count.optional(),
  continuity: z.enum(CONTINUITY_RESULTS).optional(),
  summary: z.string().optional(),
  pov: z.string().optional(),
  characters: textList.optional(),
  location: z.string().optional(),
  /** Set on an alternative take Bookwright saved beside a chapter the writer was editing: not a chapter. */
  take_of: z.string().optional(),
});

export const briefSchema = z.looseObject({ bookwright: z.literal("brief"), chapter: count.optional() });
export const reportSchema = z.looseObject({ bookwright: z.literal("continuity-report"), chapter: count.optional() });
export const timelineSchema = z.looseObject({ bookwright: z.literal("timeline") });

/** A snapshot Bookwright keeps before an AI write replaces text (and of every AI output). */
export const revisionSchema = z.looseObject({
  bookwright: z.literal("revision"),
  note: z.string().optional(),
  reason: z.string().optional(),
  job: z.string().optional(),
  at: z.union([z.string(), z.number()]).optional(),
});

export const schemaByKind = {
  book: bookSchema,
  series: seriesSchema,
  "story-bible": storyBibleSchema,
  outline: outlineSchema,
  character: characterSchema,
  chapter: chapterSchema,
  brief: briefSchema,
  "continuity-report": reportSchema,
  timeline: timelineSchema,
  revision: revisionSchema,
} satisfies Record<NoteKind, z.ZodType>;

export type BookMeta = z.infer<typeof bookSchema>;
export type SeriesMeta = z.infer<typeof seriesSchema>;
export type CharacterMeta = z.infer<typeof characterSchema>;
export type ChapterMeta = z.infer<typeof chapterSchema>;

/**
 * Maps a chapter's `status` to Bookwright's stages. Our own values pass through; common words from
 * Longform, StoryLine and writers' own habits map to the nearest stage; anything else is null (the
 * caller reports it and counts the chapter as not started).
 */
export function chapterStatus(status: string | undefined): ChapterStatus | null {
  if (status === undefined) return "not_started";
  const key = status.trim().toLowerCase().replace(/[\s-]+/g, "_");
  if ((CHAPTER_STATUSES as readonly string[]).includes(key)) return key as ChapterStatus;
  const synonyms: Record<string, ChapterStatus> = {
    idea: "not_started", todo: "not_started", planned: "not_started", outlined: "brief_complete",
    briefed: "brief_complete", draft: "written", drafted: "written", written: "written", revised: "verified",
    final: "verified", done: "verified", complete: "verified",
  };
  return synonyms[key] ?? null;
}
