import path from "node:path";

/**
 * Splits a book folder given on the command line into the vault root the NodeVault is opened on and the
 * vault-relative folder of the book. `--vault` names the root explicitly; otherwise the book folder's
 * parent is the vault, which is enough for everything inside one book.
 */
export function locateBook(bookFolder: string, vault?: string): { root: string; folder: string } {
  const absolute = path.resolve(bookFolder);
  const root = vault === undefined ? path.dirname(absolute) : path.resolve(vault);
  const relative = path.relative(root, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new Error(`${bookFolder}: the book folder is not inside the vault ${root}`);
  }
  return { root, folder: relative.split(path.sep).join("/") };
}
