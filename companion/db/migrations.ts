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
];
