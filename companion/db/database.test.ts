import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from "node:fs";
import os from "node:os";
import * as nodePath from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  backupDatabase,
  companionDataDir,
  databaseFileFor,
  DatabaseCorruptError,
  DatabaseOpenError,
  DatabaseVersionError,
  exportsFolderFor,
  openDatabase,
  schemaVersion,
  type Migration,
  type SqliteDatabase,
} from "./database";
import { COMPANION_MIGRATIONS } from "./migrations";

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(nodePath.join(os.tmpdir(), "bookwright-db-"));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

function pragmas(db: SqliteDatabase): { journalMode: unknown; synchronous: unknown; foreignKeys: unknown; busyTimeout: unknown } {
  return {
    journalMode: db.pragma("journal_mode", { simple: true }),
    synchronous: db.pragma("synchronous", { simple: true }),
    foreignKeys: db.pragma("foreign_keys", { simple: true }),
    busyTimeout: db.pragma("busy_timeout", { simple: true }),
  };
}

function tables(db: SqliteDatabase): string[] {
  return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
}

/** Migrations that record each run in `ran`, so a test can tell which ran on which open. */
function countingMigrations(ran: string[]): Migration[] {
  return [
    { version: 1, name: "notes", up: (db) => (ran.push("notes"), db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")) },
    { version: 2, name: "tags", up: (db) => (ran.push("tags"), db.exec("CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes(id), tag TEXT NOT NULL)")) },
  ];
}

describe("openDatabase", () => {
  it("creates a fresh database (and its folder) with the companion schema, WAL, synchronous=FULL and foreign keys", () => {
    const file = nodePath.join(folder, "data", "vaults", "fresh.sqlite");
    const db = openDatabase(file);
    try {
      expect(existsSync(file)).toBe(true);
      expect(schemaVersion(db)).toBe(COMPANION_MIGRATIONS.length);
      expect(tables(db)).toEqual(expect.arrayContaining(["revisions", "revision_blobs", "revision_idempotency_keys"]));
      expect(pragmas(db)).toEqual({ journalMode: "wal", synchronous: 2, foreignKeys: 1, busyTimeout: 5000 });
    } finally {
      db.close();
    }
  });

  it("keeps the data across a reopen, without running migrations again, and sets the pragmas again", () => {
    const file = nodePath.join(folder, "keep.sqlite");
    const ran: string[] = [];
    const first = openDatabase(file, { migrations: countingMigrations(ran), busyTimeoutMs: 1234 });
    first.prepare("INSERT INTO notes (text) VALUES (?)").run("kept");
    first.close();
    expect(ran).toEqual(["notes", "tags"]);

    // A plain connection shows why every open sets synchronous: WAL persists in the file, FULL does not.
    const plain = new Database(file);
    expect(plain.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(plain.pragma("synchronous", { simple: true })).not.toBe(2);
    plain.close();

    const second = openDatabase(file, { migrations: countingMigrations(ran) });
    try {
      expect(ran).toEqual(["notes", "tags"]);
      expect(second.prepare("SELECT text FROM notes").pluck().all()).toEqual(["kept"]);
      expect(pragmas(second)).toEqual({ journalMode: "wal", synchronous: 2, foreignKeys: 1, busyTimeout: 5000 });
      // foreign_keys=ON is enforced, not only reported.
      expect(() => second.prepare("INSERT INTO tags (note, tag) VALUES (999, 'x')").run()).toThrow(/FOREIGN KEY/);
    } finally {
      second.close();
    }
  });

  it("runs only the migrations a database has not had yet, each in its own transaction", () => {
    const file = nodePath.join(folder, "upgrade.sqlite");
    const ran: string[] = [];
    const [notes, tags] = countingMigrations(ran);
    openDatabase(file, { migrations: [notes!] }).close();
    const db = openDatabase(file, { migrations: [notes!, tags!] });
    try {
      expect(ran).toEqual(["notes", "tags"]);
      expect(schemaVersion(db)).toBe(2);
      expect(tables(db)).toEqual(["notes", "tags"]);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back whole, leaving the version where it was", () => {
    const file = nodePath.join(folder, "failing.sqlite");
    const ran: string[] = [];
    const [notes] = countingMigrations(ran);
    const broken: Migration = {
      version: 2,
      name: "broken",
      up(db) {
        db.exec("CREATE TABLE half_done (x)");
        throw new Error("migration bug");
      },
    };
    expect(() => openDatabase(file, { migrations: [notes!, broken] })).toThrow(/migration bug/);
    const db = openDatabase(file, { migrations: [notes!] });
    try {
      expect(schemaVersion(db)).toBe(1);
      expect(tables(db)).toEqual(["notes"]);
    } finally {
      db.close();
    }
  });

  it("refuses a database from a newer version, naming the file and both versions, and does not touch it", () => {
    const file = nodePath.join(folder, "newer.sqlite");
    const ran: string[] = [];
    const [notes, tags] = countingMigrations(ran);
    openDatabase(file, { migrations: [notes!, tags!] }).close();
    const before = readFileSync(file);
    let error: unknown;
    try {
      openDatabase(file, { migrations: [notes!] }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseVersionError);
    const versionError = error as DatabaseVersionError;
    expect(versionError.file).toBe(file);
    expect(versionError.foundVersion).toBe(2);
    expect(versionError.knownVersion).toBe(1);
    expect(versionError.message).toContain(file);
    expect(versionError.message).toMatch(/version 2 .*\(up to 1\)/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("rejects migrations that are not numbered 1, 2, 3…", () => {
    const ran: string[] = [];
    const [, tags] = countingMigrations(ran);
    expect(() => openDatabase(nodePath.join(folder, "bad.sqlite"), { migrations: [tags!] })).toThrow(/expected 1/);
    expect(ran).toEqual([]);
  });

  describe("on a damaged file", () => {
    /** A database with enough rows for several pages of table and index, checkpointed into the main file. */
    function populated(): string {
      const file = nodePath.join(folder, "good.sqlite");
      const db = openDatabase(file);
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_by_v ON t(v)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      db.transaction(() => {
        for (let i = 0; i < 3000; i++) insert.run(`row ${i} ${"·".repeat(i % 40)}`);
      })();
      db.close();
      expect(existsSync(`${file}-wal`)).toBe(false);
      return file;
    }

    /** A copy of `file` with page `page` (0-based) overwritten by garbage. */
    function damagedCopy(file: string, page: number, name: string): string {
      const copy = nodePath.join(folder, name);
      copyFileSync(file, copy);
      const pageSize = 4096;
      expect(statSync(copy).size).toBeGreaterThan((page + 1) * pageSize);
      const garbage = Buffer.alloc(pageSize);
      for (let i = 0; i < pageSize; i++) garbage[i] = (i * 7919 + 13) & 0xff;
      const fd = openSync(copy, "r+");
      try {
        writeSync(fd, garbage, 0, pageSize, page * pageSize);
      } finally {
        closeSync(fd);
      }
      return copy;
    }

    it("the undamaged file opens", () => {
      openDatabase(populated()).close();
    });

    it("fails the integrity check with an error naming the file and the first problem", () => {
      const copy = damagedCopy(populated(), 10, "damaged.sqlite");
      let error: unknown;
      try {
        openDatabase(copy).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DatabaseCorruptError);
      const corrupt = error as DatabaseCorruptError;
      expect(corrupt.file).toBe(copy);
      expect(corrupt.message).toContain(copy);
      expect(corrupt.problem.length).toBeGreaterThan(0);
      expect(corrupt.problem).not.toBe("ok");
    });

    it("reports a file whose header is garbage as damaged, not as a bare SQLite error", () => {
      const copy = damagedCopy(populated(), 0, "header.sqlite");
      expect(() => openDatabase(copy)).toThrow(DatabaseCorruptError);
      expect(() => openDatabase(copy)).toThrow(copy);
    });

    it("damage in a page the quick check also reads is caught by it too", () => {
      const copy = damagedCopy(populated(), 10, "quick.sqlite");
      expect(() => openDatabase(copy, { integrityCheck: "quick" })).toThrow(DatabaseCorruptError);
    });
  });

  it("wraps a file it cannot open at all in a DatabaseOpenError naming it", () => {
    const file = nodePath.join(folder, "a-folder.sqlite");
    mkdirSync(file);
    expect(() => openDatabase(file)).toThrow(DatabaseOpenError);
    expect(() => openDatabase(file)).toThrow(file);
  });
});

describe("backupDatabase", () => {
  it("copies a database in use to a file that opens with the same data, leaving no temporary file", async () => {
    const file = nodePath.join(folder, "live.sqlite");
    const db = openDatabase(file);
    try {
      db.exec("CREATE TABLE t (v TEXT NOT NULL)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      for (let i = 0; i < 500; i++) insert.run(`before backup ${i}`);
      // Part of the data is still only in the WAL: the backup must carry it.
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
      const target = nodePath.join(folder, "backups", "live-backup.sqlite");
      await backupDatabase(db, target);
      insert.run("after backup");

      expect(readdirSync(nodePath.dirname(target))).toEqual(["live-backup.sqlite"]);
      const restored = openDatabase(target);
      try {
        expect(restored.prepare("SELECT count(*) FROM t").pluck().get()).toBe(500);
        expect(restored.prepare("SELECT count(*) FROM t WHERE v = 'after backup'").pluck().get()).toBe(0);
        expect(schemaVersion(restored)).toBe(COMPANION_MIGRATIONS.length);
        expect(pragmas(restored).journalMode).toBe("wal");
      } finally {
        restored.close();
      }

      // A second backup replaces the first.
      await backupDatabase(db, target);
      const again = openDatabase(target);
      try {
        expect(again.prepare("SELECT count(*) FROM t").pluck().get()).toBe(501);
      } finally {
        again.close();
      }
    } finally {
      db.close();
    }
  });
});

describe("where the database lives", () => {
  it("uses XDG_DATA_HOME on Linux, or ~/.local/share when it is unset or relative", () => {
    expect(companionDataDir({ HOME: "/home/ann", XDG_DATA_HOME: "/data/ann" }, "linux")).toBe("/data/ann/bookwright");
    expect(companionDataDir({ HOME: "/home/ann" }, "linux")).toBe("/home/ann/.local/share/bookwright");
    expect(companionDataDir({ HOME: "/home/ann", XDG_DATA_HOME: "relative/path" }, "linux")).toBe("/home/ann/.local/share/bookwright");
    expect(companionDataDir({ HOME: "/home/ann", XDG_DATA_HOME: "" }, "freebsd")).toBe("/home/ann/.local/share/bookwright");
  });

  it("uses Application Support on macOS and %APPDATA% on Windows", () => {
    expect(companionDataDir({ HOME: "/Users/ann", XDG_DATA_HOME: "/ignored" }, "darwin")).toBe("/Users/ann/Library/Application Support/Bookwright");
    expect(companionDataDir({ APPDATA: "C:\\Users\\ann\\AppData\\Roaming" }, "win32")).toBe("C:\\Users\\ann\\AppData\\Roaming\\Bookwright");
    expect(companionDataDir({ USERPROFILE: "C:\\Users\\ann" }, "win32")).toBe("C:\\Users\\ann\\AppData\\Roaming\\Bookwright");
  });

  it("lets BOOKWRIGHT_DATA_DIR override the OS default", () => {
    expect(companionDataDir({ HOME: "/home/ann", BOOKWRIGHT_DATA_DIR: "/srv/bw" }, "linux")).toBe("/srv/bw");
  });

  it("gives one database per vault, found through links, outside the vault", () => {
    const vault = nodePath.join(folder, "My Vault");
    const other = nodePath.join(folder, "Other Vault");
    mkdirSync(vault);
    mkdirSync(other);
    const link = nodePath.join(folder, "link-to-vault");
    symlinkSync(vault, link, "dir");
    const env = { HOME: "/home/ann", XDG_DATA_HOME: "/data/ann" };
    const file = databaseFileFor(vault, { env, platform: "linux" });
    expect(file).toMatch(/^\/data\/ann\/bookwright\/vaults\/[0-9a-f]{16}\.sqlite$/);
    expect(databaseFileFor(link, { env, platform: "linux" })).toBe(file);
    expect(databaseFileFor(`${vault}/./`, { env, platform: "linux" })).toBe(file);
    expect(databaseFileFor(other, { env, platform: "linux" })).not.toBe(file);
    expect(file).not.toContain("Vault");
  });

  it("refuses a vault that does not exist", () => {
    expect(() => databaseFileFor(nodePath.join(folder, "missing"))).toThrow(/cannot locate the vault/);
  });

  it("keeps a vault's exports beside its database, in a folder named by the same id", () => {
    const vault = nodePath.join(folder, "My Vault");
    mkdirSync(vault);
    const env = { HOME: "/home/ann", XDG_DATA_HOME: "/data/ann" };
    const id = nodePath.posix.basename(databaseFileFor(vault, { env, platform: "linux" }), ".sqlite");
    expect(exportsFolderFor(vault, { env, platform: "linux" })).toBe(`/data/ann/bookwright/exports/${id}`);
    expect(exportsFolderFor(vault, { env: { APPDATA: "C:\\Users\\ann\\AppData\\Roaming" }, platform: "win32" })).toBe(`C:\\Users\\ann\\AppData\\Roaming\\Bookwright\\exports\\${id}`);
  });
});

describe("the export jobs migration", () => {
  it("adds export_jobs to a database made by the first version, keeping its revisions", () => {
    const file = nodePath.join(folder, "v1.sqlite");
    const v1 = openDatabase(file, { migrations: COMPANION_MIGRATIONS.slice(0, 1) });
    v1.prepare("INSERT INTO revision_blobs (id, hash, size, format, base, depth, data) VALUES (1, zeroblob(32), 0, 0, NULL, 0, x'')").run();
    v1.prepare("INSERT INTO revisions (id, note, created_at, source, blob, words, word_delta) VALUES ('r1', 'a.md', 0, 'cli', 1, 0, 0)").run();
    v1.close();
    const db = openDatabase(file);
    try {
      expect(COMPANION_MIGRATIONS[1]!.name).toBe("export jobs");
      expect(schemaVersion(db)).toBe(COMPANION_MIGRATIONS.length);
      expect(tables(db)).toEqual(expect.arrayContaining(["revisions", "export_jobs"]));
      expect((db.prepare("SELECT count(*) AS n FROM revisions").get() as { n: number }).n).toBe(1);
      // A succeeded job must name its file, and only a succeeded one may.
      expect(() => db.prepare("INSERT INTO export_jobs (id, book, format, options, state, created_at, stage) VALUES ('e', 'B', 'txt', '{}', 'succeeded', 0, 'done')").run()).toThrow(/CHECK/);
      expect(() => db.prepare("INSERT INTO export_jobs (id, book, format, options, state, created_at, stage) VALUES ('e', 'B', 'txt', '{}', 'paused', 0, 'queued')").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
