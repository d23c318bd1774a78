import { statSync } from "node:fs";
import path from "node:path";

/**
 * Splits a book folder given on the command line into the vault root the NodeVault is opened on and the
 * vault-relative folder of the book. `--vault` names the root explicitly; otherwise the book folder's
 * parent is the vault, which is enough for everything inside one book.
 */
export function locateBook(bookFolder: string, vault?: string): { root: string; folder: string } {
  const absolute = path.resolve(bookFolder);
  let isFolder = false;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch {
    throw new Error(`${bookFolder}: no such folder`);
  }
  if (!isFolder) throw new Error(`${bookFolder}: not a folder; give the book's folder (the one holding Book.md)`);
  const root = vault === undefined ? path.dirname(absolute) : path.resolve(vault);
  const relative = path.relative(root, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new Error(`${bookFolder}: the book folder is not inside the vault ${root}`);
  }
  return { root, folder: relative.split(path.sep).join("/") };
}
