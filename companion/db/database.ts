/**
 * The companion's SQLite database: one file per vault, kept in the OS data directory, never inside the
 * vault (sync services copy a live SQLite file and its WAL at different moments and corrupt it).
 *
 * Every open sets the durability pragmas again, because they are per connection: WAL (persistent in the
 * file, but asserted), `synchronous=FULL` (a commit is on disk when it returns; SQLite's default for a new
 * connection is not FULL), `foreign_keys=ON` (off by default in SQLite) and a busy timeout, so a second
 * process waits for a lock instead of failing. Then it checks the file (`PRAGMA integrity_check`) and
 * brings the schema up to date by `PRAGMA user_version`, one transaction per migration. A file written by
 * a newer Bookwright is refused before anything is written to it.
 */
import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import os from "node:os";
import * as nodePath from "node:path";
import { COMPANION_MIGRATIONS, type Migration } from "./migrations";

export type { Migration } from "./migrations";
export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  /** The schema, oldest first; versions 1, 2, 3… @default COMPANION_MIGRATIONS */
  migrations?: readonly Migration[];
  /** How long a statement waits for another connection's lock. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * `full` runs `PRAGMA integrity_check` (reads every page), `quick` runs `PRAGMA quick_check` (skips the
   * index-against-table checks), `off` skips it. @default "full"
   */
  integrityCheck?: "full" | "quick" | "off";
}

/** The file cannot be opened as a database of ours. `file` names it. */
export class DatabaseOpenError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DatabaseOpenError";
  }
}

/** The file was written by a newer version of Bookwright: its schema version is one this code does not know. */
export class DatabaseVersionError extends DatabaseOpenError {
  constructor(
    file: string,
    readonly foundVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      file,
      `${file}: database schema version ${foundVersion} is newer than this version of Bookwright knows (up to ${knownVersion}). ` +
        "Update Bookwright to open it; the file was not migrated.",
    );
    this.name = "DatabaseVersionError";
  }
}

/** The file is damaged: SQLite's integrity check failed, or SQLite could not read it as a database at all. */
export class DatabaseCorruptError extends DatabaseOpenError {
  constructor(
    file: string,
    /** The first problem SQLite reported. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(file, `${file} is damaged (${problem}). Restore it from a backup.`, options);
    this.name = "DatabaseCorruptError";
  }
}

const CORRUPTION_CODES = new Set(["SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CORRUPT_INDEX", "SQLITE_CORRUPT_SEQUENCE", "SQLITE_CORRUPT_VTAB"]);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The newest schema version `migrations` describe, after checking they are numbered 1, 2, 3… */
function latestVersion(migrations: readonly Migration[]): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration '${migration.name}' has version ${migration.version}; expected ${index + 1} (versions must run 1, 2, 3… in order)`);
    }
  });
  return migrations.length;
}

/**
 * Opens (creating it and its folder when missing) the database at `file`, checks it and migrates it.
 * Throws {@link DatabaseVersionError} for a file from a newer Bookwright and {@link DatabaseCorruptError} for
 * a damaged one; either way the file is closed and not modified.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? COMPANION_MIGRATIONS;
  const known = latestVersion(migrations);
  const inMemory = file === ":memory:" || file === "";
  if (!inMemory) fs.mkdirSync(nodePath.dirname(file), { recursive: true, mode: 0o700 });

  let db: SqliteDatabase;
  try {
    db = new Database(file);
  } catch (error) {
    throw new DatabaseOpenError(file, `${file}: cannot open the database: ${(error as Error).message}`, { cause: error });
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    // Reading the version reads page 1: a file that is not a database fails here, before anything is written.
    const found = db.pragma("user_version", { simple: true }) as number;
    if (found > known) throw new DatabaseVersionError(file, found, known);
    const check = options.integrityCheck ?? "full";
    if (check !== "off") checkIntegrity(db, file, check);

    const mode = db.pragma("journal_mode = WAL", { simple: true }) as string;
    if (!inMemory && mode.toLowerCase() !== "wal") throw new DatabaseOpenError(file, `${file}: cannot switch the database to WAL mode (it stays in '${mode}' mode)`);
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db, file, migrations, known);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof DatabaseOpenError) throw error;
    const code = sqliteCode(error);
    if (code !== undefined && CORRUPTION_CODES.has(code)) throw new DatabaseCorruptError(file, `${code}: ${(error as Error).message}`, { cause: error });
    throw new DatabaseOpenError(file, `${file}: cannot open the database: ${(error as Error).message}`, { cause: error });
  }
}

function checkIntegrity(db: SqliteDatabase, file: string, kind: "full" | "quick"): void {
  // At most 10 problems: the first one is what the error names, and a badly damaged file lists thousands.
  const rows = db.pragma(kind === "full" ? "integrity_check(10)" : "quick_check(10)") as Record<string, unknown>[];
  // A problem reads "*** in database main ***\nTree 11 page 11: …"; the header says nothing useful.
  const messages = rows.map((row) =>
    String(Object.values(row)[0])
      .replace(/^\*\*\* in database \w+ \*\*\*\s*/, "")
      .replace(/\s*\n\s*/g, "; "),
  );
  if (messages.length === 1 && messages[0] === "ok") return;
  const more = messages.length > 1 ? ` (and ${messages.length - 1} more problem${messages.length > 2 ? "s" : ""})` : "";
  throw new DatabaseCorruptError(file, `integrity check: ${messages[0] ?? "no result"}${more}`);
}

function migrate(db: SqliteDatabase, file: string, migrations: readonly Migration[], known: number): void {
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so two processes opening a fresh file do not both migrate it:
    // the second sees the version the first committed, inside its own transaction, and skips.
    db.transaction(() => {
      const current = db.pragma("user_version", { simple: true }) as number;
      if (current > known) throw new DatabaseVersionError(file, current, known);
      if (current >= migration.version) return;
      if (current !== migration.version - 1) {
        throw new DatabaseOpenError(file, `${file}: database schema version ${current} cannot take migration ${migration.version} ('${migration.name}')`);
      }
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/** The schema version of an open database. */
export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Copies the database, consistently while it is in use, to `toFile`: SQLite's online backup into a
 * temporary file beside it, flushed to disk, then renamed over `toFile`, so `toFile` is always either
 * the previous complete backup or the new one.
 */
export async function backupDatabase(db: SqliteDatabase, toFile: string): Promise<void> {
  const folder = nodePath.dirname(toFile);
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const partial = `${toFile}.partial-${randomBytes(6).toString("hex")}`;
  try {
    await db.backup(partial);
    fsyncFile(partial);
    fs.renameSync(partial, toFile);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
  fsyncFolder(folder);
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncFolder(folder: string): void {
  // Makes the rename durable. Windows cannot open a folder for fsync, and does not need it.
  if (process.platform === "win32") return;
  const fd = fs.openSync(folder, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

type Env = Record<string, string | undefined>;
type Platform = typeof process.platform;

/**
 * The folder the companion keeps its data in: `BOOKWRIGHT_DATA_DIR` when set; otherwise the OS's place
 * for application data — Linux and other Unixes `$XDG_DATA_HOME/bookwright` (`~/.local/share/bookwright`
 * when unset or not absolute, as the XDG spec says), macOS `~/Library/Application Support/Bookwright`,
 * Windows `%APPDATA%\Bookwright`.
 */
export function companionDataDir(env: Env = process.env, platform: Platform = process.platform): string {
  const override = env.BOOKWRIGHT_DATA_DIR;
  if (override) return override;
  if (platform === "win32") {
    const appData = env.APPDATA || nodePath.win32.join(env.USERPROFILE || os.homedir(), "AppData", "Roaming");
    return nodePath.win32.join(appData, "Bookwright");
  }
  const home = env.HOME || os.homedir();
  if (platform === "darwin") return nodePath.posix.join(home, "Library", "Application Support", "Bookwright");
  const xdg = env.XDG_DATA_HOME;
  const dataHome = xdg && nodePath.posix.isAbsolute(xdg) ? xdg : nodePath.posix.join(home, ".local", "share");
  return nodePath.posix.join(dataHome, "bookwright");
}

export interface DatabaseLocationOptions {
  env?: Env;
  platform?: Platform;
}

/**
 * The database file of the vault at `vaultPath` (which must exist): `<data dir>/vaults/<id>.sqlite`, the id
 * being the first 16 hex digits of the SHA-256 of the vault's real path, so a symlinked or relative path
 * to the same vault finds the same file, and the file name reveals nothing about the vault.
 */
export function databaseFileFor(vaultPath: string, options: DatabaseLocationOptions = {}): string {
  let real: string;
  try {
    real = fs.realpathSync.native(vaultPath);
  } catch (error) {
    throw new Error(`cannot locate the vault '${vaultPath}': ${(error as Error).message}`, { cause: error });
  }
  const platform = options.platform ?? process.platform;
  const id = createHash("sha256").update(real, "utf8").digest("hex").slice(0, 16);
  const paths = platform === "win32" ? nodePath.win32 : nodePath.posix;
  return paths.join(companionDataDir(options.env, platform), "vaults", `${id}.sqlite`);
}

/**
 * The folder the vault's finished exports are kept in: `<data dir>/exports/<id>/`, beside the `vaults/`
 * folder of the database and named by the same id. Never inside the vault: an export job's file is the
 * companion's until the plugin writes it into the book's Exports folder.
 */
export function exportsFolderFor(vaultPath: string, options: DatabaseLocationOptions = {}): string {
  const database = databaseFileFor(vaultPath, options);
  const paths = (options.platform ?? process.platform) === "win32" ? nodePath.win32 : nodePath.posix;
  return paths.join(paths.dirname(paths.dirname(database)), "exports", paths.basename(database, ".sqlite"));
}
