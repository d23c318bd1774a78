/**
 * The series index in the companion's SQLite database (migration 3, `series index`): what the vault's
 * series notes, books and character notes said at the last rebuild, so every route is a query and the
 * index answers the moment the companion starts, before the rebuild at start has read the vault.
 *
 * Nothing here is the only copy of anything: the whole index is replaced in one transaction by each
 * rebuild (series-index.ts), so a reader sees the old index or the new one, never half of each.
 */
import type {
  CharacterRef,
  SeriesIndexAppearance,
  SeriesIndexBook,
  SeriesIndexCharacter,
  SeriesDetailResponse,
  SeriesSummary,
  SeriesWarning,
} from "../../shared/companion-api/series-api";
import type { SqliteDatabase } from "../db/database";

/** One series as a rebuild found it, ready to store. */
export interface SeriesRecord {
  id: string;
  path: string;
  folder: string;
  title: string;
  description?: string;
  biblePath?: string;
  books: SeriesIndexBook[];
  characters: CharacterRecord[];
  warnings: SeriesWarning[];
}

export interface CharacterRecord {
  id: string;
  name: string;
  aliases: string[];
  /** The character's note; undefined for someone named only in chapters' `characters` keys. */
  path?: string;
  seriesWide: boolean;
  /** Lower-cased names a lookup by name finds this character by. */
  names: string[];
  appearances: SeriesIndexAppearance[];
}

interface SeriesRow {
  id: string;
  path: string;
  folder: string;
  title: string;
  description: string | null;
  bible_path: string | null;
}

interface BookRow {
  position: number;
  series_order: number | null;
  title: string;
  folder: string;
  path: string;
  status: string;
  chapters: number;
  words: number;
  target_words: number | null;
  by_status: string;
  continuity_pass: number;
  continuity_warning: number;
  continuity_fail: number;
  continuity_unchecked: number;
}

interface CharacterRow {
  id: string;
  series_id: string;
  name: string;
  aliases: string;
  path: string | null;
  series_wide: number;
}

interface AppearanceRow {
  position: number;
  book: string;
  book_folder: string;
  chapter: number;
  chapter_title: string | null;
  chapter_path: string | null;
  role: string | null;
  state: string | null;
  source: "chapter" | "character-note";
}

interface WarningRow {
  severity: "error" | "warning";
  path: string;
  line: number | null;
  field: string | null;
  message: string;
}

/** JSON written by this file; a damaged value reads as empty rather than failing the request. */
function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const optional = <K extends string>(key: K, value: string | null): Partial<Record<K, string>> => (value === null ? {} : ({ [key]: value } as Record<K, string>));

export class SeriesIndexStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** Replaces the whole index with `series`, built at `builtAt` (ms since the epoch), in one transaction. */
  replace(series: readonly SeriesRecord[], builtAt: number): void {
    const db = this.db;
    const insertSeries = db.prepare("INSERT INTO series (id, path, folder, title, description, bible_path) VALUES (?, ?, ?, ?, ?, ?)");
    const insertBook = db.prepare(
      `INSERT INTO series_books (series_id, position, series_order, title, folder, path, status, chapters, words, target_words, by_status,
         continuity_pass, continuity_warning, continuity_fail, continuity_unchecked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertCharacter = db.prepare("INSERT INTO characters (id, series_id, ordinal, name, aliases, path, series_wide) VALUES (?, ?, ?, ?, ?, ?, ?)");
    const insertName = db.prepare("INSERT OR IGNORE INTO character_names (series_id, name, character_id) VALUES (?, ?, ?)");
    const insertAppearance = db.prepare(
      `INSERT INTO appearances (character_id, position, chapter, book, book_folder, chapter_title, chapter_path, role, state, source)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertWarning = db.prepare("INSERT INTO series_warnings (series_id, seq, severity, path, line, field, message) VALUES (?, ?, ?, ?, ?, ?, ?)");
    db.transaction(() => {
      // Children first: the foreign keys would cascade, but saying it keeps the order obvious.
      for (const table of ["appearances", "character_names", "characters", "series_warnings", "series_books", "series"]) db.exec(`DELETE FROM ${table}`);
      for (const s of series) {
        insertSeries.run(s.id, s.path, s.folder, s.title, s.description ?? null, s.biblePath ?? null);
        for (const b of s.books) {
          const c = b.continuity;
          insertBook.run(s.id, b.position, b.order, b.title, b.folder, b.path, b.status, b.chapters, b.words, b.targetWords, JSON.stringify(b.byStatus), c.pass, c.warning, c.fail, c.unchecked);
        }
        s.characters.forEach((c, ordinal) => {
          insertCharacter.run(c.id, s.id, ordinal, c.name, JSON.stringify(c.aliases), c.path ?? null, c.seriesWide ? 1 : 0);
          for (const name of c.names) insertName.run(s.id, name, c.id);
          for (const a of c.appearances) {
            insertAppearance.run(c.id, a.position, a.chapter, a.book, a.bookFolder, a.chapterTitle ?? null, a.chapterPath ?? null, a.role ?? null, a.state ?? null, a.source);
          }
        });
        s.warnings.forEach((w, seq) => insertWarning.run(s.id, seq, w.severity, w.path, w.line ?? null, w.field ?? null, w.message));
      }
      db.prepare("INSERT INTO series_index_state (id, built_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET built_at = excluded.built_at").run(builtAt);
    }).immediate();
  }

  /** When the index was last rebuilt (ms since the epoch), or null when it never was. */
  builtAt(): number | null {
    const row = this.db.prepare("SELECT built_at FROM series_index_state WHERE id = 1").get() as { built_at: number } | undefined;
    return row?.built_at ?? null;
  }

  list(): SeriesSummary[] {
    const rows = this.db
      .prepare(
        `SELECT s.id, s.title, s.description, s.folder, COUNT(b.position) AS books, COALESCE(SUM(b.words), 0) AS words
           FROM series s LEFT JOIN series_books b ON b.series_id = s.id
          GROUP BY s.id ORDER BY s.path`,
      )
      .all() as { id: string; title: string; description: string | null; folder: string; books: number; words: number }[];
    return rows.map((r) => ({ id: r.id, title: r.title, ...optional("description", r.description), folder: r.folder, books: r.books, words: r.words }));
  }

  has(seriesId: string): boolean {
    return this.db.prepare("SELECT 1 FROM series WHERE id = ?").get(seriesId) !== undefined;
  }

  /** The series with its books, totals, characters with a note and warnings; null for an unknown id. */
  get(id: string): Omit<SeriesDetailResponse, "indexedAt"> | null {
    const s = this.db.prepare("SELECT id, path, folder, title, description, bible_path FROM series WHERE id = ?").get(id) as SeriesRow | undefined;
    if (!s) return null;
    const books = (this.db.prepare("SELECT * FROM series_books WHERE series_id = ? ORDER BY position").all(id) as BookRow[]).map(
      (b): SeriesIndexBook => ({
        position: b.position,
        order: b.series_order,
        title: b.title,
        folder: b.folder,
        path: b.path,
        status: b.status,
        chapters: b.chapters,
        words: b.words,
        targetWords: b.target_words,
        byStatus: parseJson<Record<string, number>>(b.by_status, {}),
        continuity: { pass: b.continuity_pass, warning: b.continuity_warning, fail: b.continuity_fail, unchecked: b.continuity_unchecked },
      }),
    );
    const totals = this.db
      .prepare(
        `SELECT COUNT(*) AS books, COALESCE(SUM(chapters), 0) AS chapters, COALESCE(SUM(words), 0) AS words,
                CASE WHEN COUNT(*) > 0 AND COUNT(target_words) = COUNT(*) THEN SUM(target_words) END AS target_words
           FROM series_books WHERE series_id = ?`,
      )
      .get(id) as { books: number; chapters: number; words: number; target_words: number | null };
    // Per character and book: which books and how many chapters, in one pass over the series' appearances.
    const perBook = this.db
      .prepare(
        `SELECT a.character_id, a.position, COUNT(*) AS chapters FROM appearances a JOIN characters c ON c.id = a.character_id
          WHERE c.series_id = ? GROUP BY a.character_id, a.position ORDER BY a.position`,
      )
      .all(id) as { character_id: string; position: number; chapters: number }[];
    // Characters with a note only: as seriesStats lists them. Those named only in chapters are found by name.
    const characters = (this.db.prepare("SELECT id, name, aliases, path, series_wide FROM characters WHERE series_id = ? AND path IS NOT NULL ORDER BY ordinal").all(id) as CharacterRow[]).map(
      (c): SeriesIndexCharacter => {
        const mine = perBook.filter((p) => p.character_id === c.id);
        return {
          id: c.id,
          name: c.name,
          aliases: parseJson<string[]>(c.aliases, []),
          path: c.path ?? "",
          seriesWide: c.series_wide === 1,
          books: mine.map((p) => p.position),
          appearances: mine.reduce((n, p) => n + p.chapters, 0),
        };
      },
    );
    const warnings = (this.db.prepare("SELECT severity, path, line, field, message FROM series_warnings WHERE series_id = ? ORDER BY seq").all(id) as WarningRow[]).map(
      (w): SeriesWarning => ({ severity: w.severity, path: w.path, ...(w.line !== null ? { line: w.line } : {}), ...optional("field", w.field), message: w.message }),
    );
    return {
      id: s.id,
      title: s.title,
      ...optional("description", s.description),
      folder: s.folder,
      path: s.path,
      ...optional("biblePath", s.bible_path),
      books,
      stats: { books: totals.books, chapters: totals.chapters, words: totals.words, targetWords: totals.target_words },
      characters,
      warnings,
    };
  }

  /** A character by id, with its series; null for an unknown id. */
  character(id: string): CharacterRef | null {
    const row = this.db
      .prepare("SELECT c.id, c.series_id, c.name, c.aliases, c.path, c.series_wide, s.title AS series_title FROM characters c JOIN series s ON s.id = c.series_id WHERE c.id = ?")
      .get(id) as (CharacterRow & { series_title: string }) | undefined;
    return row ? characterRef(row) : null;
  }

  /**
   * The character of the series `seriesId` that goes by `name` (lower-cased); one with a note before one
   * named only in chapters, then the most present. Null when no one does.
   */
  findByName(seriesId: string, name: string): CharacterRef | null {
    const row = this.db
      .prepare(
        `SELECT c.id, c.series_id, c.name, c.aliases, c.path, c.series_wide, s.title AS series_title
           FROM character_names n JOIN characters c ON c.id = n.character_id JOIN series s ON s.id = c.series_id
          WHERE n.series_id = ? AND n.name = ?
          ORDER BY c.path IS NULL, c.ordinal LIMIT 1`,
      )
      .get(seriesId, name) as (CharacterRow & { series_title: string }) | undefined;
    return row ? characterRef(row) : null;
  }

  /** Every chapter the character appears in, in series order. */
  appearances(characterId: string): SeriesIndexAppearance[] {
    const rows = this.db
      .prepare("SELECT position, book, book_folder, chapter, chapter_title, chapter_path, role, state, source FROM appearances WHERE character_id = ? ORDER BY position, chapter")
      .all(characterId) as AppearanceRow[];
    return rows.map((a) => ({
      position: a.position,
      book: a.book,
      bookFolder: a.book_folder,
      chapter: a.chapter,
      ...optional("chapterTitle", a.chapter_title),
      ...optional("chapterPath", a.chapter_path),
      ...optional("role", a.role),
      ...optional("state", a.state),
      source: a.source,
    }));
  }
}

function characterRef(row: CharacterRow & { series_title: string }): CharacterRef {
  return {
    id: row.id,
    name: row.name,
    aliases: parseJson<string[]>(row.aliases, []),
    ...optional("path", row.path),
    seriesWide: row.series_wide === 1,
    series: { id: row.series_id, title: row.series_title },
  };
}
