/**
 * Test support for the series index: a vault on disk (a temp folder, NodeVault) seeded with notes —
 * usually the corpus trilogy (shared/testing/series-fixture.ts) — and a SeriesIndex over a migrated
 * database, in memory or in a file (to reopen it, as a restart does).
 */
import { readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { importManuscript, type ImportedChapter } from "../../shared/import/import-manuscript";
import { trilogyFiles } from "../../shared/testing/series-fixture";
import { openDatabase, type SqliteDatabase } from "../db/database";
import { NodeVault } from "../vault/node-vault";
import { SeriesIndex, type SeriesIndexOptions } from "./series-index";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
let chapters: ImportedChapter[] | null = null;

/** The corpus novel's chapters, imported once per test file. */
export function corpusChapters(): ImportedChapter[] {
  chapters ??= importManuscript(readFileSync(corpusPath), { fileName: "pride-and-prejudice.txt" }).chapters;
  return chapters;
}

/** The trilogy "Netherfield" as files (vault path → text). */
export function trilogyNotes(): Record<string, string> {
  return trilogyFiles(corpusChapters());
}

export interface SeriesFixture {
  root: string;
  vaultPath: string;
  vault: NodeVault;
  db: SqliteDatabase;
  /** The database file, when not in memory. */
  dbFile: string | null;
  index: SeriesIndex;
  /** Writes a note straight to disk, as another editor or a sync client would. */
  writeNote(path: string, text: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeSeriesFixture(
  files: Record<string, string>,
  options: { inFile?: boolean } & Omit<Partial<SeriesIndexOptions>, "db" | "vault"> = {},
): Promise<SeriesFixture> {
  const root = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-series-"));
  const vaultPath = nodePath.join(root, "vault");
  await fs.mkdir(vaultPath);
  const vault = new NodeVault(vaultPath);
  for (const [path, text] of Object.entries(files)) await vault.write(path, text);
  const dbFile = options.inFile ? nodePath.join(root, "data", "companion.sqlite") : null;
  const db = openDatabase(dbFile ?? ":memory:", { integrityCheck: "off" });
  const { inFile: _inFile, ...indexOptions } = options;
  const index = new SeriesIndex({ debounceMs: 10, ...indexOptions, db, vault });
  return {
    root,
    vaultPath,
    vault,
    db,
    dbFile,
    index,
    writeNote: async (path, text) => {
      const file = nodePath.join(vaultPath, ...path.split("/"));
      await fs.mkdir(nodePath.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
    },
    cleanup: async () => {
      await index.close();
      if (db.open) db.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
