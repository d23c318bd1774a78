/**
 * The companion database's schema, as the migrations that build it. `PRAGMA user_version` holds how many
 * have run; each runs in its own transaction together with the version bump (openDatabase). Append only:
 * a released migration is never edited, a change to the schema is a new migration at the end.
 */
import type Database from "better-sqlite3";

export interface Migration {
  /** 1 for the first, then 2, 3… */
  version: number;
  name: string;
  /** Runs inside a transaction; must not change `foreign_keys` or `journal_mode` (no effect there). */
  up(db: Database.Database): void;
}

export const COMPANION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "revisions",
    up(db) {
      db.exec(`
        -- Note texts, content-addressed: one row per distinct text, shared by every revision (of any note)
        -- holding that text. Stored either whole (format 0, base NULL: a keyframe) or as an edit script
        -- against another blob (format 1), both compressed with raw deflate. The base reference is deferred
        -- so pruning can re-encode and delete within one transaction; the commit fails if a chain is left broken.
        CREATE TABLE revision_blobs (
          id INTEGER PRIMARY KEY,
          hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
          size INTEGER NOT NULL CHECK (size >= 0),
          format INTEGER NOT NULL CHECK (format IN (0, 1)),
          base INTEGER REFERENCES revision_blobs(id) DEFERRABLE INITIALLY DEFERRED,
          depth INTEGER NOT NULL CHECK (depth >= 0),
          data BLOB NOT NULL,
          CHECK ((format = 0) = (base IS NULL))
        );
        CREATE INDEX revision_blobs_by_base ON revision_blobs(base) WHERE base IS NOT NULL;

        CREATE TABLE revisions (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          note TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('plugin', 'watcher', 'restore', 'cli')),
          blob INTEGER NOT NULL REFERENCES revision_blobs(id),
          words INTEGER NOT NULL,
          word_delta INTEGER NOT NULL,
          label TEXT
        );
        CREATE INDEX revisions_by_note ON revisions(note, created_at, seq);
        CREATE INDEX revisions_by_blob ON revisions(blob);

        CREATE TABLE revision_idempotency_keys (
          key TEXT PRIMARY KEY,
          revision INTEGER NOT NULL REFERENCES revisions(seq) ON DELETE CASCADE,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX revision_idempotency_keys_by_revision ON revision_idempotency_keys(revision);
      `);
    },
  },
  {
    version: 2,
    name: "export jobs",
    up(db) {
      db.exec(`
        -- Export jobs (companion/export/export-jobs.ts): the request, where the job is, and its outcome. The
        -- file itself lives beside the database, in exports/<vault id>/<file>; only its name is kept here.
        -- Times are milliseconds since the epoch. seq orders the queue and the history.
        CREATE TABLE export_jobs (
          seq INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          book TEXT NOT NULL,
          format TEXT NOT NULL,
          options TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
          created_at INTEGER NOT NULL,
          started_at INTEGER,
          finished_at INTEGER,
          stage TEXT NOT NULL,
          progress_done INTEGER NOT NULL DEFAULT 0,
          progress_total INTEGER NOT NULL DEFAULT 0,
          file TEXT,
          file_name TEXT,
          title TEXT,
          bytes INTEGER,
          chapters INTEGER,
          words INTEGER,
          warnings TEXT,
          error TEXT,
          CHECK ((state = 'succeeded') = (file IS NOT NULL))
        );
        CREATE INDEX export_jobs_by_state ON export_jobs(state, seq);
        CREATE INDEX export_jobs_by_finished ON export_jobs(finished_at) WHERE finished_at IS NOT NULL;
      `);
    },
  },
  {
    version: 3,
    name: "series index",
    up(db) {
      db.exec(`
        -- The series index (companion/series/series-index.ts): what the vault's series, books and character
        -- notes said at the last rebuild, replaced whole by each rebuild in one transaction. Derived data: the
        -- notes are the truth, and a rebuild from the vault restores any of it. Ids are the first 16 hex
        -- digits of a SHA-256 over the note path (series, characters), so they last while the notes stay put.
        CREATE TABLE series (
          id TEXT PRIMARY KEY,
          path TEXT NOT NULL UNIQUE,
          folder TEXT NOT NULL,
          title TEXT NOT NULL,
          description TEXT,
          bible_path TEXT
        );

        -- A series' books in order; position is 1, 2, 3… after ordering. by_status is JSON (status -> chapters).
        CREATE TABLE series_books (
          series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          position INTEGER NOT NULL CHECK (position >= 1),
          series_order INTEGER,
          title TEXT NOT NULL,
          folder TEXT NOT NULL,
          path TEXT NOT NULL,
          status TEXT NOT NULL,
          chapters INTEGER NOT NULL,
          words INTEGER NOT NULL,
          target_words INTEGER,
          by_status TEXT NOT NULL,
          continuity_pass INTEGER NOT NULL,
          continuity_warning INTEGER NOT NULL,
          continuity_fail INTEGER NOT NULL,
          continuity_unchecked INTEGER NOT NULL,
          PRIMARY KEY (series_id, position)
        );

        -- One row per person: path is their note (series-wide, else the first book's), NULL for someone named
        -- only in chapters' characters keys. ordinal is the series' order (most present first). aliases is JSON.
        CREATE TABLE characters (
          id TEXT PRIMARY KEY,
          series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          ordinal INTEGER NOT NULL,
          name TEXT NOT NULL,
          aliases TEXT NOT NULL,
          path TEXT,
          series_wide INTEGER NOT NULL CHECK (series_wide IN (0, 1))
        );
        CREATE INDEX characters_by_series ON characters(series_id, ordinal);

        -- Every lower-cased name or alias a lookup by name finds a character by.
        CREATE TABLE character_names (
          series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          character_id TEXT NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
          PRIMARY KEY (series_id, name, character_id)
        );
        CREATE INDEX character_names_by_character ON character_names(character_id);

        -- The chapters a character appears in: position is the book's place in the series.
        CREATE TABLE appearances (
          character_id TEXT NOT NULL REFERENCES characters(id) ON DELETE CASCADE,
          position INTEGER NOT NULL,
          chapter NUMERIC NOT NULL,
          book TEXT NOT NULL,
          book_folder TEXT NOT NULL,
          chapter_title TEXT,
          chapter_path TEXT,
          role TEXT,
          state TEXT,
          source TEXT NOT NULL CHECK (source IN ('chapter', 'character-note')),
          PRIMARY KEY (character_id, position, chapter)
        );

        -- A series' problems (its own, its books', notes in its folder), in the order they were found.
        CREATE TABLE series_warnings (
          series_id TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
          path TEXT NOT NULL,
          line INTEGER,
          field TEXT,
          message TEXT NOT NULL,
          PRIMARY KEY (series_id, seq)
        );

        -- When the index was last rebuilt (ms since the epoch); no row before the first rebuild.
        CREATE TABLE series_index_state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          built_at INTEGER NOT NULL
        );
      `);
    },
  },
];
