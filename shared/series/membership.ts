/**
 * Moving books into and out of a series, and promoting a book's character to the series. Membership is
 * two frontmatter keys on the book and one list on the series note, so moving changes only those bytes:
 * chapters, characters and reports stay where they are, and moving back restores exactly what was there.
 */
import { parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { joinVaultPath, baseName, isInFolder, VaultError, type VaultFiles } from "../vault/vault-files";
import { safeFileName } from "../book/safe-name";
import { bodyOf } from "../queue/safe-write";
import { linkTarget, namesBook, type SeriesInfo } from "./series";

/** The wikilink a note is known by in frontmatter: its name without `.md` (Obsidian resolves it). */
export const noteLink = (path: string): string => `[[${baseName(path).replace(/\.md$/i, "")}]]`;

/** The link to a book in a series note's `books`: the book's index note by path, since every index may be called `Book`. */
export const bookLink = (indexPath: string): string => `[[${indexPath.replace(/\.md$/i, "")}]]`;

const readList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? [value] : []);

/**
 * Puts the book whose index note is `bookIndexPath` into `series` at `order` (default: after the last
 * book): the book gets `series` and `series_order`, the series note lists the book. Books already at
 * `order` or later keep their keys; the writer renumbers if they want (a clash is reported, not fixed).
 */
export async function joinSeries(vault: VaultFiles, bookIndexPath: string, series: SeriesInfo, order?: number): Promise<number> {
  const place = order ?? Math.max(0, ...series.books.map((b) => b.order ?? b.position)) + 1;
  await vault.process(bookIndexPath, (text) => setFrontmatterKeys(text, { series: noteLink(series.indexPath), series_order: place }));
  await vault.process(series.indexPath, (text) => {
    const meta = parseFrontmatter(series.indexPath, text).data ?? {};
    const books = readList(meta.books);
    const folder = bookIndexPath.includes("/") ? bookIndexPath.slice(0, bookIndexPath.lastIndexOf("/")) : "";
    const listed = books.some((entry) => {
      const target = linkTarget(entry).toLowerCase();
      return target === bookIndexPath.replace(/\.md$/i, "").toLowerCase() || target === folder.toLowerCase();
    });
    return listed ? text : setFrontmatterKeys(text, { books: [...books, bookLink(bookIndexPath)] });
  });
  return place;
}

/** Takes a book out of its series: removes `series` and `series_order` and the series note's entry. */
export async function leaveSeries(vault: VaultFiles, bookIndexPath: string, series: SeriesInfo): Promise<void> {
  const member = series.books.find((b) => b.book.indexPath === bookIndexPath);
  await vault.process(bookIndexPath, (text) => setFrontmatterKeys(text, { series: undefined, series_order: undefined }));
  await vault.process(series.indexPath, (text) => {
    const meta = parseFrontmatter(series.indexPath, text).data ?? {};
    const books = readList(meta.books);
    const kept = member ? books.filter((entry) => !namesBook(linkTarget(entry), member.book)) : books;
    return kept.length === books.length ? text : setFrontmatterKeys(text, { books: kept.length ? kept : undefined });
  });
}

export interface PromoteResult {
  /** The series-wide note the character now lives in. */
  path: string;
  /** True when an existing series note took the book note's entries (the book note went to the trash). */
  merged: boolean;
}

/**
 * Makes a book's character note series-wide: it moves to `<series>/Characters/`, and its `changes` and
 * `appearances` entries are tagged with the book they came from. When the series already has a note for
 * the character (same name or alias), the book note's entries, aliases and sheet are added to it and the
 * book note goes to the trash (recoverable), so there is one note per character, not a copy per book.
 */
export async function promoteCharacter(vault: VaultFiles, series: SeriesInfo, characterPath: string): Promise<PromoteResult> {
  const member = series.books.find((b) => isInFolder(characterPath, b.book.folder));
  if (!member) throw new Error(`${characterPath}: not a character of a book in ${series.meta.title}; expected a note inside one of its book folders`);
  const book = member.book;
  const note = book.characters.find((c) => c.path === characterPath);
  if (!note) throw new Error(`${characterPath}: not a character note of ${book.meta.title}; expected 'bookwright: character'`);
  const text = await vault.read(characterPath);
  const meta = parseFrontmatter(characterPath, text).data;
  if (meta === null) throw new Error(`${characterPath}: its frontmatter cannot be read, so it is left where it is`);
  // Entries say which book they came from once they live in the series note (chapters restart per book).
  const tag = (value: unknown): unknown => (Array.isArray(value) ? (value as unknown[]).map((e) => (typeof e === "object" && e !== null && !("book" in e) ? { book: book.meta.title, ...e } : e)) : value);
  const name = (typeof meta.name === "string" && meta.name.trim()) || baseName(characterPath).replace(/\.md$/i, "");
  const aliases = readList(meta.aliases);
  const keys = [name, ...aliases].map((n) => n.toLowerCase());

  const existing = series.characters.find((c) => {
    const theirs = [c.meta?.name ?? baseName(c.path).replace(/\.md$/i, ""), ...(c.meta?.aliases ?? [])].map((n) => n.toLowerCase());
    return theirs.some((n) => keys.includes(n));
  });
  if (existing) {
    await vault.process(existing.path, (current) => {
      const theirs = parseFrontmatter(existing.path, current).data ?? {};
      const merge = (key: string) => {
        const old = Array.isArray(theirs[key]) ? (theirs[key] as unknown[]) : [];
        const seen = new Set(old.map((e) => JSON.stringify(e)));
        const added = (tag(meta[key]) as unknown[] | undefined ?? []).filter((e) => !seen.has(JSON.stringify(e)));
        return added.length ? [...old, ...added] : undefined;
      };
      const updates: Record<string, unknown> = {};
      for (const key of ["changes", "appearances"]) {
        const merged = merge(key);
        if (merged) updates[key] = merged;
      }
      const theirAliases = readList(theirs.aliases);
      const newAliases = [name, ...aliases].filter((a) => a !== theirs.name && !theirAliases.includes(a));
      if (newAliases.length) updates.aliases = [...theirAliases, ...newAliases];
      let next = Object.keys(updates).length ? setFrontmatterKeys(current, updates) : current;
      const sheet = bodyOf(text).trim();
      if (sheet && !bodyOf(next).includes(sheet)) next = `${next.replace(/\s*$/, "")}\n\n## From ${book.meta.title}\n\n${sheet}\n`;
      return next;
    });
    await vault.trash(characterPath);
    return { path: existing.path, merged: true };
  }

  const folder = joinVaultPath(series.folder, "Characters");
  await vault.mkdir(folder);
  const stem = safeFileName(name);
  let target = joinVaultPath(folder, `${stem}.md`);
  for (let i = 2; await vault.exists(target); i++) target = joinVaultPath(folder, `${stem} ${i}.md`);
  try {
    await vault.rename(characterPath, target);
  } catch (error) {
    if (error instanceof VaultError && error.code === "exists") throw new Error(`${target}: already exists; the character was left in ${book.meta.title}`);
    throw error;
  }
  await vault.process(target, (current) => {
    const updates: Record<string, unknown> = {};
    for (const key of ["changes", "appearances"]) if (Array.isArray(meta[key])) updates[key] = tag(meta[key]);
    return Object.keys(updates).length ? setFrontmatterKeys(current, updates) : current;
  });
  return { path: target, merged: false };
}
