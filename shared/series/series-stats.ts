/**
 * What the series dashboard, `bookwright series` and the companion's series index show: each book in
 * order with its words, status and continuity state, the series' totals, and where each character
 * appears across the books.
 */
import { bookStats } from "../book/stats";
import type { BookInfo, ChapterInfo } from "../book/scan";
import type { BookStatus, ChapterStatus, CharacterMeta } from "../book/schemas";
import { baseName } from "../vault/vault-files";
import { linkTarget, namesBook, type SeriesInfo } from "./series";

export interface ContinuityCounts {
  pass: number;
  warning: number;
  fail: number;
  /** Written chapters no continuity check has looked at yet. */
  unchecked: number;
}

export interface SeriesBookStats {
  position: number;
  order: number | null;
  title: string;
  folder: string;
  status: BookStatus;
  chapters: number;
  words: number;
  targetWords: number | null;
  byStatus: Record<ChapterStatus, number>;
  continuity: ContinuityCounts;
}

export interface SeriesCharacter {
  name: string;
  aliases: string[];
  /** The series-wide note, when there is one; else the first book's note. */
  path: string;
  /** Whether the note is the series' own (not a book's). */
  seriesWide: boolean;
  /** Positions of the books the character appears in. */
  books: number[];
  appearances: number;
}

export interface SeriesStats {
  title: string;
  description?: string;
  books: SeriesBookStats[];
  chapters: number;
  words: number;
  targetWords: number | null;
  characters: SeriesCharacter[];
}

export interface CharacterAppearance {
  /** 1-based place of the book in the series. */
  position: number;
  book: string;
  bookFolder: string;
  chapter: number;
  chapterTitle?: string;
  chapterPath?: string;
  role?: string;
  state?: string;
  /** Where the appearance is recorded: the chapter's `characters` key or a character note's `appearances`. */
  source: "chapter" | "character-note";
}

/** Continuity per chapter from its `continuity` key; written chapters without one are unchecked. */
export function continuityCounts(chapters: ChapterInfo[]): ContinuityCounts {
  const counts: ContinuityCounts = { pass: 0, warning: 0, fail: 0, unchecked: 0 };
  for (const chapter of chapters) {
    const result = chapter.meta?.continuity;
    if (result) counts[result]++;
    else if (chapter.status === "written" || chapter.status === "verified") counts.unchecked++;
  }
  return counts;
}

export function seriesStats(series: SeriesInfo): SeriesStats {
  const books = series.books.map(({ book, order, position }): SeriesBookStats => {
    const stats = bookStats(book);
    return {
      position,
      order,
      title: book.meta.title,
      folder: book.folder,
      status: book.meta.status,
      chapters: stats.chapters,
      words: stats.words,
      targetWords: stats.targetWords,
      byStatus: stats.byStatus,
      continuity: continuityCounts(book.chapters),
    };
  });
  const targets = books.map((b) => b.targetWords);
  const characters = seriesCharacters(series).map((c) => {
    const found = characterAppearances(series, c.name);
    return { ...c, books: [...new Set(found.map((a) => a.position))], appearances: found.length };
  });
  return {
    title: series.meta.title,
    ...(series.meta.description ? { description: series.meta.description } : {}),
    books,
    chapters: books.reduce((n, b) => n + b.chapters, 0),
    words: books.reduce((n, b) => n + b.words, 0),
    targetWords: targets.every((t) => t !== null) && targets.length > 0 ? targets.reduce((n, t) => n + t, 0) : null,
    characters: characters.sort((a, b) => b.appearances - a.appearances || a.name.localeCompare(b.name)),
  };
}

interface CharacterNote {
  name: string;
  aliases: string[];
  path: string;
  meta: CharacterMeta | null;
  /** The book the note belongs to; undefined for a series-wide note. */
  book?: BookInfo;
}

const nameOf = (path: string, meta: CharacterMeta | null): string => meta?.name?.trim() || baseName(path).replace(/\.md$/i, "");

function characterNotes(series: SeriesInfo): CharacterNote[] {
  const notes: CharacterNote[] = series.characters.map((c) => ({ name: nameOf(c.path, c.meta), aliases: c.meta?.aliases ?? [], path: c.path, meta: c.meta }));
  for (const { book } of series.books) {
    for (const c of book.characters) notes.push({ name: nameOf(c.path, c.meta), aliases: c.meta?.aliases ?? [], path: c.path, meta: c.meta, book });
  }
  return notes;
}

const names = (c: { name: string; aliases: string[] }): string[] => [c.name, ...c.aliases].map((n) => n.trim().toLowerCase()).filter(Boolean);

/**
 * The series' characters, one entry per person: a series-wide note and book notes of the same name (or
 * alias) are the same character — a book note not yet promoted to the series still counts.
 */
export function seriesCharacters(series: SeriesInfo): Omit<SeriesCharacter, "books" | "appearances">[] {
  const out: (Omit<SeriesCharacter, "books" | "appearances"> & { keys: Set<string> })[] = [];
  for (const note of characterNotes(series)) {
    const keys = names(note);
    const same = out.find((c) => keys.some((k) => c.keys.has(k)));
    if (same) {
      for (const k of keys) same.keys.add(k);
      continue;
    }
    out.push({ name: note.name, aliases: note.aliases, path: note.path, seriesWide: note.book === undefined, keys: new Set(keys) });
  }
  return out.map(({ keys: _keys, ...c }) => c);
}

/**
 * Every name (lower-cased) the character called `name` goes by across the series: grown through the
 * character notes that share one, so "Mara" also finds notes that call her "Captain Vell".
 */
export function namesOfCharacter(series: SeriesInfo, name: string, notes: CharacterNote[] = characterNotes(series)): Set<string> {
  const wanted = new Set([linkTarget(name).toLowerCase()]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const note of notes) {
      const keys = names(note);
      if (keys.some((k) => wanted.has(k)) && keys.some((k) => !wanted.has(k))) {
        for (const k of keys) wanted.add(k);
        grown = true;
      }
    }
  }
  return wanted;
}

/**
 * Every chapter across the series where the character named `name` (or one of its aliases, or any
 * name of a note that shares one) appears, in series order: from the chapters' `characters` keys and
 * from the character notes' `appearances` (series-wide notes say which book with `book`).
 */
export function characterAppearances(series: SeriesInfo, name: string): CharacterAppearance[] {
  const notes = characterNotes(series);
  const wanted = namesOfCharacter(series, name, notes);
  const mine = notes.filter((n) => names(n).some((k) => wanted.has(k)));
  const found = new Map<string, CharacterAppearance>();
  for (const { book, position } of series.books) {
    const chapterOf = (n: number) => book.chapters.find((c) => c.number === n);
    const add = (chapter: number, source: CharacterAppearance["source"], extra: { role?: string; state?: string } = {}) => {
      const key = `${position}:${chapter}`;
      const existing = found.get(key);
      if (existing) {
        existing.role ??= extra.role;
        existing.state ??= extra.state;
        return;
      }
      const info = chapterOf(chapter);
      found.set(key, {
        position,
        book: book.meta.title,
        bookFolder: book.folder,
        chapter,
        ...(info ? { chapterTitle: info.title, chapterPath: info.path } : {}),
        ...(extra.role ? { role: extra.role } : {}),
        ...(extra.state ? { state: extra.state } : {}),
        source,
      });
    };
    for (const chapter of book.chapters) {
      if (chapter.number === null) continue;
      if ((chapter.meta?.characters ?? []).some((c) => wanted.has(linkTarget(c).toLowerCase()) || wanted.has(baseName(linkTarget(c)).toLowerCase()))) add(chapter.number, "chapter");
    }
    for (const note of mine) {
      if (note.book !== undefined && note.book !== book) continue;
      for (const entry of appearancesOf(note.meta)) {
        if (note.book === undefined && (entry.book === undefined || !namesBook(linkTarget(entry.book), book))) continue;
        add(entry.chapter, "character-note", { ...(entry.role ? { role: entry.role } : {}), ...(entry.state ? { state: entry.state } : {}) });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.position - b.position || a.chapter - b.chapter);
}

export interface CharacterBookState {
  position: number;
  book: string;
  /** As of the end of this book: the latest status and whereabouts recorded in it or an earlier book. */
  status?: string;
  location?: string;
  /** What this book changed, in chapter order (`changes` entries of kind trait, arc, status, location, knowledge). */
  changes: { chapter: number; kind: string; value: string }[];
}

/**
 * The character's state as of the end of each book that recorded anything about them: status and
 * whereabouts carried forward from book to book, and what each book changed. Read from the series-wide
 * note's `changes` (tagged with their book) and each book's own note of the character.
 */
export function characterStateByBook(series: SeriesInfo, name: string): CharacterBookState[] {
  const wanted = names({ name: linkTarget(name), aliases: [] });
  const mine = characterNotes(series).filter((n) => names(n).some((k) => wanted.includes(k)));
  const out: CharacterBookState[] = [];
  let status: string | undefined;
  let location: string | undefined;
  for (const { book, position } of series.books) {
    const changes: CharacterBookState["changes"] = [];
    for (const note of mine) {
      if (note.book !== undefined && note.book !== book) continue;
      for (const change of changesOf(note.meta)) {
        if (note.book === undefined && (change.book === undefined || !namesBook(linkTarget(change.book), book))) continue;
        changes.push({ chapter: change.chapter, kind: change.kind, value: change.value });
      }
    }
    changes.sort((a, b) => a.chapter - b.chapter);
    for (const change of changes) {
      if (change.kind === "status") status = change.value;
      if (change.kind === "location") location = change.value;
    }
    if (changes.length === 0 && status === undefined && location === undefined) continue;
    out.push({ position, book: book.meta.title, ...(status ? { status } : {}), ...(location ? { location } : {}), changes });
  }
  return out;
}

function changesOf(meta: CharacterMeta | null): { chapter: number; kind: string; value: string; book?: string }[] {
  const value = (meta as Record<string, unknown> | null)?.changes;
  if (!Array.isArray(value)) return [];
  const out: { chapter: number; kind: string; value: string; book?: string }[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { chapter, kind, value: v, book } = item as Record<string, unknown>;
    if (typeof chapter !== "number" || typeof kind !== "string" || typeof v !== "string") continue;
    out.push({ chapter, kind, value: v, ...(typeof book === "string" ? { book } : {}) });
  }
  return out;
}

/** A character note's `appearances`, read leniently (entries without a chapter number are skipped). */
function appearancesOf(meta: CharacterMeta | null): { chapter: number; book?: string; role?: string; state?: string }[] {
  const value = (meta as Record<string, unknown> | null)?.appearances;
  if (!Array.isArray(value)) return [];
  const out: { chapter: number; book?: string; role?: string; state?: string }[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { chapter, book, role, state } = item as Record<string, unknown>;
    if (typeof chapter !== "number") continue;
    out.push({ chapter, ...(typeof book === "string" ? { book } : {}), ...(typeof role === "string" ? { role } : {}), ...(typeof state === "string" ? { state } : {}) });
  }
  return out;
}

const number = new Intl.NumberFormat("en");

/** Plain-text series stats for a terminal. */
export function formatSeriesStats(stats: SeriesStats): string {
  const lines = [stats.title];
  if (stats.description) lines.push(`  ${stats.description}`);
  const target = stats.targetWords === null ? "" : ` of ${number.format(stats.targetWords)}`;
  lines.push(`  ${stats.books.length} book${stats.books.length === 1 ? "" : "s"}, ${stats.chapters} chapters, ${number.format(stats.words)} words${target}`);
  const width = Math.max(5, ...stats.books.map((b) => b.title.length));
  for (const b of stats.books) {
    const c = b.continuity;
    const continuity = [c.pass && `${c.pass} pass`, c.warning && `${c.warning} warning`, c.fail && `${c.fail} fail`, c.unchecked && `${c.unchecked} unchecked`].filter(Boolean).join(", ") || "no chapters written";
    lines.push(`  ${String(b.position).padStart(2)}. ${b.title.padEnd(width)}  ${String(b.chapters).padStart(3)} ch  ${number.format(b.words).padStart(8)} words  ${b.status.replace(/_/g, " ")}  continuity: ${continuity}`);
  }
  if (stats.characters.length) {
    lines.push(`  characters across the series: ${stats.characters.length}`);
    for (const c of stats.characters.slice(0, 12)) {
      lines.push(`    ${c.name}${c.seriesWide ? " (series)" : ""}: ${c.appearances} chapter${c.appearances === 1 ? "" : "s"} in book${c.books.length === 1 ? "" : "s"} ${c.books.join(", ") || "—"}`);
    }
  }
  return lines.join("\n");
}
