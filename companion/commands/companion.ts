/**
 * `bookwright companion --vault <folder> [--port 27125]`: the local service. It keeps the revision
 * history of the vault's notes in SQLite (in the OS data directory, one database per vault, never inside
 * the vault, where sync services would corrupt a live database), serves the HTTP API on 127.0.0.1 with
 * the token from the OS config directory, and watches the vault so edits made anywhere are kept. Export
 * jobs run in a worker thread, their files kept beside the database (`exports/<vault id>/`).
 * The series index (companion/series/series-index.ts) lives in the same database, rebuilt at start and as notes change.
 * `bookwright companion backup <file> --vault <folder>` copies the database through SQLite's backup API.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { DEFAULT_COMPANION_PORT } from "../../shared/companion-api/api";
import { announceCaptures, RevisionEvents } from "../server/events";
import { startServer, type RunningServer } from "../server/server";
import { companionTokenFile, loadOrCreateToken } from "../server/token";
import { backupDatabase, databaseFileFor, exportsFolderFor, openDatabase, type SqliteDatabase } from "../db/database";
import { SqliteRevisionStore } from "../revisions/sqlite-revision-store";
import { watchVault, type VaultWatcher } from "../revisions/vault-watcher";
import type { RevisionStore } from "../revisions/types";
import { SeriesIndex } from "../series/series-index";
import { NodeVault } from "../vault/node-vault";

const VERSION = "0.1.0";

export interface CompanionOptions {
  vault: string;
  port?: number;
  /** Overrides where the token file lives (tests). @default the OS config directory */
  tokenFile?: string;
  /** Overrides the database file (tests). @default one per vault in the OS data directory */
  databaseFile?: string;
  /** Quiet time before a changed note is captured (and, when set, before the series index is rebuilt). @default 1500 ms (the index: 1000 ms) */
  debounceMs?: number;
  /** Problems the watcher meets (a note that cannot be read); the service keeps running. */
  onWarning?: (message: string) => void;
  /** Overrides where finished exports are kept (tests). @default `exports/<vault id>/` in the OS data directory */
  exportsFolder?: string;
  /** Finished export jobs and their files are removed this long after they finished. @default 7 days */
  exportRetentionMs?: number;
}

export interface RunningCompanion {
  server: RunningServer;
  store: RevisionStore;
  token: string;
  tokenFile: string;
  databaseFile: string;
  exportsFolder: string;
  /** The series index: rebuilt at start (the previous run's is served meanwhile) and on changes the watcher sees. */
  series: SeriesIndex;
  close(): Promise<void>;
}

/** Opens the database, starts the API and the watcher; `close()` stops all three in that reverse order. */
export async function startCompanion(options: CompanionOptions): Promise<RunningCompanion> {
  const root = path.resolve(options.vault);
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`--vault ${options.vault}: no such folder`);
  const databaseFile = options.databaseFile ?? databaseFileFor(root);
  const exportsFolder = options.exportsFolder ?? exportsFolderFor(root);
  const tokenFile = options.tokenFile ?? companionTokenFile();
  const { token } = await loadOrCreateToken(tokenFile);
  const db: SqliteDatabase = openDatabase(databaseFile);
  let server: RunningServer | null = null;
  let watcher: VaultWatcher | null = null;
  try {
    const events = new RevisionEvents();
    const store = announceCaptures(new SqliteRevisionStore(db), events);
    const vault = new NodeVault(root);
    const series = new SeriesIndex({ db, vault, ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}), ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
    server = await startServer({
      store,
      vault,
      vaultPath: root,
      token,
      port: options.port ?? DEFAULT_COMPANION_PORT,
      version: VERSION,
      events,
      exports: {
        db,
        folder: exportsFolder,
        ...(options.exportRetentionMs !== undefined ? { retentionMs: options.exportRetentionMs } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      },
      series,
    });
    watcher = watchVault({
      root,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      onNoteChanged: async (note) => {
        // Before the check below: a deleted or renamed note changes a series as much as an edited one.
        void series.noteChanged(note);
        // A note deleted or renamed before it went quiet has nothing to keep.
        if (!(await vault.exists(note))) return;
        store.capture({ note, text: await vault.read(note), source: "watcher" });
      },
      onError: (error) => options.onWarning?.(`watcher: ${error instanceof Error ? error.message : String(error)}`),
    });
    const running = server;
    const watching = watcher;
    // Not awaited: the index kept from the last run answers until this finishes.
    void series.rebuild();
    return {
      server: running,
      store,
      token,
      tokenFile,
      databaseFile,
      exportsFolder,
      series,
      async close() {
        watching.close();
        await series.close();
        await running.close();
        db.close();
      },
    };
  } catch (error) {
    watcher?.close();
    await server?.close();
    db.close();
    throw error;
  }
}

export function registerCompanionCommand(program: Command): void {
  const companion = program
    .command("companion")
    .description("Run the local companion service: revision history of every note, on 127.0.0.1 only")
    // Not a required option here: `companion backup` has its own --vault, and commander checks the parent's too.
    .option("--vault <folder>", "the Obsidian vault to serve (required)")
    .option("--port <port>", `the port on 127.0.0.1 (default ${DEFAULT_COMPANION_PORT})`)
    .action(async (options: { vault?: string; port?: string }) => {
      try {
        if (options.vault === undefined) throw new Error("--vault <folder> is required: the vault to serve");
        const port = options.port === undefined ? DEFAULT_COMPANION_PORT : Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${options.port}: expected a port number from 0 to 65535`);
        const vault = options.vault;
        const running = await startCompanion({ vault, port, onWarning: (m) => console.error(`bookwright companion: ${m}`) });
        console.log(`Bookwright companion on ${running.server.url} for ${path.resolve(vault)}`);
        console.log(`token: ${running.tokenFile} (choose it in the plugin's settings as the companion token)`);
        console.log(`revisions: ${running.databaseFile}`);
        console.log(`exports: ${running.exportsFolder}`);
        await new Promise<void>((resolve) => {
          const stop = (): void => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        await running.close();
      } catch (error) {
        console.error(`bookwright companion: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });

  companion
    .command("backup")
    .description("Copy the vault's revision database to a file, safely while the companion runs")
    .argument("<file>", "where to write the copy")
    .option("--vault <folder>", "the vault whose revisions to back up (required)")
    .action(async (file: string, options: { vault?: string }) => {
      try {
        // `--vault` after `backup` may be read as the parent command's option; either place counts.
        const vault = options.vault ?? companion.opts<{ vault?: string }>().vault;
        if (vault === undefined) throw new Error("--vault <folder> is required: the vault whose revisions to back up");
        const databaseFile = databaseFileFor(path.resolve(vault));
        const db = openDatabase(databaseFile);
        try {
          await backupDatabase(db, path.resolve(file));
        } finally {
          db.close();
        }
        console.log(path.resolve(file));
      } catch (error) {
        console.error(`bookwright companion backup: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}
