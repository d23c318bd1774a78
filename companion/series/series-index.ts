/**
 * The companion's series index: every series in the vault with its books in order, its totals, and its
 * characters with the chapters they appear in across the books — read from the vault (scanSeries,
 * seriesStats, characterAppearances) and kept in SQLite (series-index-store.ts), so the routes are
 * queries and the index is there the moment the companion starts.
 *
 * Freshness: the companion rebuilds at start, and the vault watcher reports each note that changed
 * (`noteChanged`). A change to a note under a series or book folder — or to a Bookwright note anywhere,
 * which may be a new book or series — schedules a rebuild once the vault has been quiet for `debounceMs`.
 * Rebuilds never overlap: asked for while one runs, one more runs after it, however many times it was
 * asked, so a sync client writing a hundred notes causes one or two rebuilds, not a hundred. A rebuild
 * that fails leaves the last good index in place and says so through `onWarning`.
 */
import { createHash } from "node:crypto";
import { clearTimeout, setTimeout } from "node:timers";
import type { Diagnostic } from "../../shared/book/diagnostics";
import type { SeriesIndexAppearance, SeriesWarning } from "../../shared/companion-api/series-api";
import { linkTarget, scanSeries, type SeriesInfo } from "../../shared/series/series";
import { characterAppearances, namesOfCharacter, seriesStats } from "../../shared/series/series-stats";
import { baseName, isInFolder, type VaultFiles } from "../../shared/vault/vault-files";
import type { SqliteDatabase } from "../db/database";
import { SeriesIndexStore, type CharacterRecord, type SeriesRecord } from "./series-index-store";

export interface SeriesIndexOptions {
  /** The companion's database, migrated (the `series index` migration). */
  db: SqliteDatabase;
  vault: VaultFiles;
  /** Quiet time after a reported change before the rebuild. @default 1000 */
  debounceMs?: number;
  /** A rebuild failed (the last good index stays); one line, naming no note's text. */
  onWarning?: (message: string) => void;
  /** @default Date.now */
  now?: () => number;
}

export type RebuildOutcome = { ok: true; series: number; builtAt: number } | { ok: false; error: string };

/** Opaque, stable ids: the first 16 hex digits of a SHA-256 over what names the thing. */
function idOf(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0"), "utf8").digest("hex").slice(0, 16);
}

export function seriesIdOf(seriesNotePath: string): string {
  return idOf("series", seriesNotePath);
}

/** A character's id: its note (series-wide, else the first book's) within its series. */
export function characterIdOf(seriesNotePath: string, characterNotePath: string): string {
  return idOf("character", seriesNotePath, characterNotePath);
}

/** A frontmatter block that declares a Bookwright note: `bookwright: <kind>` among its first lines. */
const BOOKWRIGHT_FRONTMATTER = /^---\r?\n(?:[^\n]*\n){0,200}?bookwright:/;

export class SeriesIndex {
  readonly store: SeriesIndexStore;
  private readonly vault: VaultFiles;
  private readonly debounceMs: number;
  private readonly onWarning: (message: string) => void;
  private readonly now: () => number;
  /** Series and book folders of the last good rebuild: a change below one of them changes the index. */
  private watched: string[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private current: Promise<RebuildOutcome> | null = null;
  private next: Promise<RebuildOutcome> | null = null;
  private waiters: ((outcome: RebuildOutcome) => void)[] = [];
  private closed = false;
  /** Rebuilds run since this object was made (finished, whether they succeeded or not). */
  rebuilds = 0;

  constructor(options: SeriesIndexOptions) {
    this.store = new SeriesIndexStore(options.db);
    this.vault = options.vault;
    this.debounceMs = options.debounceMs ?? 1000;
    this.onWarning = options.onWarning ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /**
   * The watcher saw `vaultPath` change (written, created, deleted or renamed). Schedules a rebuild when
   * the note can matter to a series; the note is read only when it lies outside every known folder.
   * Resolves to whether it scheduled one (the watcher need not wait; tests do).
   */
  async noteChanged(vaultPath: string): Promise<boolean> {
    if (this.closed || !vaultPath.toLowerCase().endsWith(".md")) return false;
    // Before the first good rebuild nothing is known: any note may be part of a series.
    if (this.watched === null || this.watched.some((folder) => isInFolder(vaultPath, folder))) {
      this.schedule();
      return true;
    }
    // Outside every series and book: only a new Bookwright note (a book, a series) can change the index.
    // A note that cannot be read (deleted since) was part of nothing the index holds.
    const text = await this.vault.read(vaultPath).catch(() => null);
    if (text === null || !BOOKWRIGHT_FRONTMATTER.test(text.slice(0, 16_384)) || this.closed) return false;
    this.schedule();
    return true;
  }

  /** A rebuild after `debounceMs` of quiet; each call restarts the wait. */
  schedule(): void {
    if (this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.rebuild();
    }, this.debounceMs);
  }

  /**
   * Rebuilds now, or — when a rebuild is running, whose scan may have read notes before the change that
   * asked for this one — once more after it; every caller meanwhile shares that one. Never rejects.
   */
  rebuild(): Promise<RebuildOutcome> {
    if (this.next) return this.next;
    if (this.current) {
      const after = this.current.then(() => {
        this.next = null;
        return this.start();
      });
      this.next = after;
      return after;
    }
    return this.start();
  }

  /** Resolves with the outcome of the next rebuild to finish (one running now, or one yet to start). */
  nextRebuild(): Promise<RebuildOutcome> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once nothing is scheduled or running. */
  async idle(): Promise<void> {
    while (this.timer !== null || this.current !== null || this.next !== null) {
      if (this.timer !== null && this.current === null && this.next === null) await this.nextRebuild();
      else await (this.next ?? this.current);
    }
  }

  /** Cancels a scheduled rebuild and waits for a running one (which then writes nothing). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.next;
    await this.current;
    // A rebuild that was only scheduled will not run: whoever waits for one hears so.
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve({ ok: false, error: "the series index is closed" });
  }

  private start(): Promise<RebuildOutcome> {
    const running: Promise<RebuildOutcome> = this.run().finally(() => {
      if (this.current === running) this.current = null;
    });
    this.current = running;
    return running;
  }

  private async run(): Promise<RebuildOutcome> {
    let outcome: RebuildOutcome;
    if (this.closed) {
      outcome = { ok: false, error: "the series index is closed" };
    } else {
      try {
        const scan = await scanSeries(this.vault, { folder: "" });
        const records = scan.series.map((s) => seriesRecord(s, scan.diagnostics));
        const builtAt = this.now();
        // Closed while the vault was read: the database may be closing too.
        if (this.closed) throw new Error("the series index was closed during the rebuild");
        this.store.replace(records, builtAt);
        this.watched = [...new Set([...scan.series.map((s) => s.folder), ...scan.series.flatMap((s) => s.books.map((b) => b.book.folder)), ...scan.standalone.map((b) => b.folder)])];
        outcome = { ok: true, series: records.length, builtAt };
      } catch (error) {
        outcome = { ok: false, error: describeError(error) };
        if (!this.closed) {
          const kept = this.store.builtAt();
          this.onWarning(
            `series index: the rebuild failed (${outcome.error}); ${kept === null ? "there is no earlier index to keep" : `the index built ${new Date(kept).toISOString()} is kept`}, and the next change in the vault tries again`,
          );
        }
      }
    }
    this.rebuilds++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(outcome);
    return outcome;
  }
}

/**
 * What went wrong, for a log line: the error's code or name and the first line of its message, cut
 * short. Not the stack, nor later lines, which may quote a note's text.
 */
function describeError(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const first = message.split(/\r?\n/, 1)[0]!.replace(/Bearer\s+\S+/gi, "Bearer [redacted]");
  return `${code}: ${first.length > 200 ? `${first.slice(0, 200)}…` : first}`;
}

// ---- From a scanned series to the rows of the index ----

/** The index keeps whole numbers of chapters only; a YAML `.nan` or `.inf` chapter names no chapter. */
const storable = (appearances: SeriesIndexAppearance[]): SeriesIndexAppearance[] => appearances.filter((a) => Number.isFinite(a.chapter));

function seriesRecord(series: SeriesInfo, scanDiagnostics: readonly Diagnostic[]): SeriesRecord {
  const stats = seriesStats(series);
  const characters: CharacterRecord[] = stats.characters.map((c) => ({
    id: characterIdOf(series.indexPath, c.path),
    name: c.name,
    aliases: c.aliases,
    path: c.path,
    seriesWide: c.seriesWide,
    names: [...namesOfCharacter(series, c.name)],
    appearances: storable(characterAppearances(series, c.name)),
  }));

  // People named in chapters' `characters` keys without a note of their own ("[[Charles Bingley]]"):
  // not listed with the series' characters (seriesStats does not), but found by name.
  const noted = new Set(characters.flatMap((c) => c.names));
  const unnoted = new Map<string, { name: string; names: Set<string> }>();
  for (const { book } of series.books) {
    for (const chapter of book.chapters) {
      for (const entry of chapter.meta?.characters ?? []) {
        const target = linkTarget(entry);
        const name = baseName(target).trim();
        const key = name.toLowerCase();
        if (key === "" || noted.has(key) || noted.has(target.toLowerCase())) continue;
        const known = unnoted.get(key) ?? { name, names: new Set([key]) };
        known.names.add(target.toLowerCase());
        unnoted.set(key, known);
      }
    }
  }
  for (const [key, { name, names }] of unnoted) {
    characters.push({ id: idOf("named character", series.indexPath, key), name, aliases: [], seriesWide: false, names: [...names], appearances: storable(characterAppearances(series, name)) });
  }

  // The series' own problems, its books', and those of notes in its folder the scan could not place in
  // it (a book there naming a series that does not exist).
  const warnings: SeriesWarning[] = [
    ...series.diagnostics,
    ...series.books.flatMap((b) => b.book.diagnostics),
    ...scanDiagnostics.filter((d) => series.folder !== "" && isInFolder(d.path, series.folder)),
  ].map((d) => ({ severity: d.severity, path: d.path, ...(d.line !== undefined ? { line: d.line } : {}), ...(d.field !== undefined ? { field: d.field } : {}), message: d.message }));

  return {
    id: seriesIdOf(series.indexPath),
    path: series.indexPath,
    folder: series.folder,
    title: series.meta.title,
    ...(series.meta.description ? { description: series.meta.description } : {}),
    ...(series.biblePath !== undefined ? { biblePath: series.biblePath } : {}),
    books: stats.books.map((b, i) => ({
      position: b.position,
      order: b.order,
      title: b.title,
      folder: b.folder,
      path: series.books[i]!.book.indexPath,
      status: b.status,
      chapters: b.chapters,
      words: b.words,
      targetWords: b.targetWords,
      byStatus: b.byStatus,
      continuity: b.continuity,
    })),
    characters,
    warnings,
  };
}
