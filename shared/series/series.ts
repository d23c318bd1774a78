/**
 * Series: books that share a world (docs/book-folder.md, "Series"). A series is a folder with a note
 * marked `bookwright: series` (title, description, `books` in order); beside its books it may hold a series
 * bible (`bookwright: story-bible`) and series-wide characters (`bookwright: character`), one note per
 * character for the whole series. A book joins with `series: "[[<series note>]]"` and `series_order`.
 *
 * Reading is forgiving, as scanning books is: a book naming a series that does not exist, two books with
 * the same `series_order`, a series listing a book that is missing — each is a warning naming the notes,
 * and everything else still loads. Membership lives only in frontmatter, so a book moves into or out of a
 * series by editing two keys (membership.ts), and nothing in the book is touched.
 */
import type { Diagnostic } from "../book/diagnostics";
import { scanBooks, type BookInfo, type NoteInfo, type ScanOptions } from "../book/scan";
import type { CharacterMeta, SeriesMeta } from "../book/schemas";
import { baseName, isInFolder, normalizeVaultPath, parentFolder, type VaultFiles } from "../vault/vault-files";

export interface SeriesBook {
  book: BookInfo;
  /** Its place in the series: `series_order`, else its position in the series note's `books`, else null. */
  order: number | null;
  /** 1-based position after ordering: "book 2" in messages and exports. */
  position: number;
}

export interface SeriesInfo {
  /** The series folder (where the series note lives). */
  folder: string;
  indexPath: string;
  meta: SeriesMeta;
  /** In series order. */
  books: SeriesBook[];
  /** The series bible, when the series folder has one outside its books. */
  biblePath?: string;
  /** Series-wide character notes: in the series folder, outside every book. */
  characters: NoteInfo<CharacterMeta>[];
  diagnostics: Diagnostic[];
}

export interface SeriesScan {
  series: SeriesInfo[];
  /** Books that belong to no series. */
  standalone: BookInfo[];
  /** Problems outside any series (from the book scan). */
  diagnostics: Diagnostic[];
}

/** `[[Tides|the saga]]`, `[[Tides#Books]]`, `"Tides"` → `Tides`: what a link or name points at. */
export function linkTarget(value: string): string {
  let target = value.trim();
  const link = /^!?\[\[([^\]]*)\]\]$/.exec(target);
  if (link) target = link[1]!;
  target = target.split("|")[0]!.split("#")[0]!.trim();
  return target.replace(/\.md$/i, "").replace(/\/+$/, "");
}

/** Whether a link target (see {@link linkTarget}) names this note: by path, path tail, name or title. */
function namesNote(target: string, path: string, title: string | undefined): boolean {
  if (target === "") return false;
  const stem = path.replace(/\.md$/i, "");
  const wanted = target.toLowerCase();
  return stem.toLowerCase() === wanted || stem.toLowerCase().endsWith(`/${wanted}`) || (title !== undefined && title.trim().toLowerCase() === wanted);
}

/** Whether a `books` entry (or an appearance's `book`) names this book: index note, folder, folder name or title. */
export function namesBook(target: string, book: BookInfo): boolean {
  const wanted = target.toLowerCase();
  const folder = book.folder.toLowerCase();
  return namesNote(target, book.indexPath, book.meta.title) || folder === wanted || folder.endsWith(`/${wanted}`) || baseName(book.folder).toLowerCase() === wanted;
}

/** Reads every series (and the standalone books) below `options.folder`. */
export async function scanSeries(vault: VaultFiles, options: Partial<ScanOptions> = {}): Promise<SeriesScan> {
  const scan = await scanBooks(vault, options);
  const diagnostics = [...scan.diagnostics];
  const seriesNotes = scan.outside.filter((n) => n.kind === "series" && n.meta !== null) as NoteInfo<SeriesMeta>[];
  const members = new Map<string, { book: BookInfo; listed: number | null }[]>(seriesNotes.map((s) => [s.path, []]));
  const claimed = new Set<BookInfo>();

  // A book's own `series` key first: it is what the writer set on the book.
  for (const book of scan.books) {
    const named = book.meta.series;
    if (named === undefined || named.trim() === "") continue;
    const target = linkTarget(named);
    const series = seriesNotes.find((s) => namesNote(target, s.path, s.meta!.title));
    if (!series) {
      const known = seriesNotes.map((s) => `'${baseName(s.path).replace(/\.md$/i, "")}'`).join(", ");
      diagnostics.push({
        severity: "warning",
        path: book.indexPath,
        field: "series",
        message: `names the series ${JSON.stringify(named)}, but no note with 'bookwright: series' is called that${known ? ` (series found: ${known})` : ""}; the book is read as a standalone book`,
      });
      continue;
    }
    members.get(series.path)!.push({ book, listed: null });
    claimed.add(book);
  }

  const all: SeriesInfo[] = [];
  for (const note of seriesNotes) {
    const meta = note.meta!;
    const seriesDiagnostics: Diagnostic[] = [];
    const list = members.get(note.path)!;
    // Then the series note's `books`: order for books without `series_order`, and books that did not say.
    (meta.books ?? []).forEach((entry, index) => {
      const target = linkTarget(entry);
      const book = scan.books.find((b) => namesBook(target, b));
      if (!book) {
        seriesDiagnostics.push({ severity: "warning", path: note.path, field: "books", message: `lists ${JSON.stringify(entry)}, but no book (a folder with a 'bookwright: book' note) is called that; the series is read without it` });
        return;
      }
      const member = list.find((m) => m.book === book);
      if (member) {
        member.listed ??= index + 1;
        return;
      }
      if (claimed.has(book)) {
        seriesDiagnostics.push({ severity: "warning", path: note.path, field: "books", message: `lists ${book.indexPath}, which names another series (${JSON.stringify(book.meta.series)}); it is read in that one` });
        return;
      }
      list.push({ book, listed: index + 1 });
      claimed.add(book);
    });

    const ordered = list
      .map((m) => ({ book: m.book, order: m.book.meta.series_order ?? m.listed }))
      .sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity) || a.book.meta.title.localeCompare(b.book.meta.title) || a.book.folder.localeCompare(b.book.folder));
    const byOrder = new Map<number, BookInfo>();
    for (const { book, order } of ordered) {
      if (order === null) {
        seriesDiagnostics.push({ severity: "warning", path: book.indexPath, field: "series_order", message: `is in the series ${meta.title} but has no place in it; expected 'series_order' (a number), or the book listed in ${note.path}'s 'books' (placed last)` });
        continue;
      }
      const first = byOrder.get(order);
      if (first) {
        seriesDiagnostics.push({ severity: "warning", path: book.indexPath, field: "series_order", message: `series_order ${order} is also ${first.indexPath}'s; expected each book of ${meta.title} to have its own place (ordered by title meanwhile)` });
      } else byOrder.set(order, book);
    }

    const folder = parentFolder(note.path);
    const inSeries = (path: string) => isInFolder(path, folder) && !scan.books.some((b) => isInFolder(path, b.folder));
    const bibles = scan.outside.filter((n) => n.kind === "story-bible" && inSeries(n.path));
    if (bibles.length > 1) {
      seriesDiagnostics.push({ severity: "warning", path: bibles[1]!.path, field: "bookwright", message: `a second series bible in ${folder || "the vault root"}; ${bibles[0]!.path} is used` });
    }
    const books = ordered.map((o, i) => ({ book: o.book, order: o.order, position: i + 1 }));
    all.push({
      folder,
      indexPath: note.path,
      meta,
      books,
      ...(bibles[0] ? { biblePath: bibles[0].path } : {}),
      characters: scan.outside.filter((n): n is NoteInfo<CharacterMeta> => n.kind === "character" && inSeries(n.path)),
      diagnostics: seriesDiagnostics,
    });
  }
  // Two series notes in one folder would share their bible and characters: say which one is which.
  for (const s of all) {
    const twin = all.find((o) => o !== s && o.folder === s.folder && o.indexPath < s.indexPath);
    if (twin) s.diagnostics.push({ severity: "warning", path: s.indexPath, field: "bookwright", message: `a second series note in ${s.folder || "the vault root"} (${twin.indexPath} is the other); both read the same series bible and characters. Expected one series note per folder` });
  }
  return { series: all.sort((a, b) => a.indexPath.localeCompare(b.indexPath)), standalone: scan.books.filter((b) => !claimed.has(b)), diagnostics };
}

/**
 * The one series whose folder (or series note) is `folderOrIndex`, read from the whole vault by default
 * (its books may live anywhere; `options.folder` narrows the scan). Throws, naming what was found, when
 * there is none.
 */
export async function loadSeries(vault: VaultFiles, folderOrIndex: string, options: Partial<ScanOptions> = {}): Promise<SeriesInfo> {
  const path = normalizeVaultPath(folderOrIndex);
  const { series } = await scanSeries(vault, { folder: "", ...options });
  const found = series.find((s) => s.indexPath === path || s.folder === path) ?? series.find((s) => namesNote(linkTarget(path), s.indexPath, s.meta.title));
  if (!found) {
    const names = series.map((s) => s.indexPath).join(", ");
    throw new Error(`${path || "the vault root"}: no series here; expected a note with 'bookwright: series' in this folder${names ? ` (series in the vault: ${names})` : ""}`);
  }
  return found;
}

/** The series a book belongs to (by its folder), with its place in it; null for a standalone book. */
export async function seriesOfBook(vault: VaultFiles, bookFolder: string): Promise<{ series: SeriesInfo; member: SeriesBook } | null> {
  const folder = normalizeVaultPath(bookFolder);
  const { series } = await scanSeries(vault);
  for (const s of series) {
    const member = s.books.find((b) => b.book.folder === folder);
    if (member) return { series: s, member };
  }
  return null;
}

/** Whether a folder (or note) is a series rather than a book: for commands that take either. */
export async function isSeriesFolder(vault: VaultFiles, folderOrIndex: string): Promise<boolean> {
  const path = normalizeVaultPath(folderOrIndex);
  const folder = path.toLowerCase().endsWith(".md") ? parentFolder(path) : path;
  const files = await vault.list(folder);
  for (const file of files) {
    if (parentFolder(file.path) !== folder || !file.path.toLowerCase().endsWith(".md")) continue;
    const text = await vault.read(file.path);
    if (/^---\r?\n(?:[^\n]*\n)*?bookwright:\s*["']?series["']?\s*\r?\n/.test(text)) return true;
  }
  return false;
}
