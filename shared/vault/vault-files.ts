/**
 * The one way `shared/` touches files. Paths are vault-relative, use `/`, and never leave the vault:
 * every implementation runs them through {@link normalizeVaultPath} first.
 *
 * Implementations: `shared/testing/memory-vault.ts` (tests), `companion/vault/node-vault.ts` (CLI and
 * companion), `plugin/vault/obsidian-vault.ts` (inside Obsidian). All pass `shared/testing/vault-contract.ts`.
 */
export interface FileStat {
  /** Normalised vault-relative path, e.g. `My Book/Chapters/01 Storm.md`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time, milliseconds since the epoch. */
  mtime: number;
}

export interface VaultFiles {
  /** Every file below `folder` (recursively; the whole vault when omitted), sorted by path. */
  list(folder?: string): Promise<FileStat[]>;
  /** The file's text, decoded as UTF-8 (invalid bytes become U+FFFD, as Obsidian does). */
  read(path: string): Promise<string>;
  readBinary(path: string): Promise<Uint8Array>;
  /** Creates or replaces the file, creating missing parent folders. */
  write(path: string, text: string): Promise<void>;
  writeBinary(path: string, data: Uint8Array): Promise<void>;
  /**
   * Creates a new file, creating missing parent folders, and fails with `exists` when anything is at
   * `path` already. The check and the creation are one step, so of two callers racing for one name
   * exactly one wins: how Bookwright picks a free name without ever replacing a note.
   */
  create(path: string, text: string): Promise<void>;
  /**
   * Atomic read-modify-write: `update` receives the current text and returns the new text. No other
   * write to the same path through this port can interleave. Returning the same text writes nothing.
   * Resolves to the text now in the file.
   */
  process(path: string, update: (current: string) => string): Promise<string>;
  /** The file's stat, or null when there is no file at `path`. */
  stat(path: string): Promise<FileStat | null>;
  /** True when a file or folder exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Creates the folder and its missing parents; an existing folder is fine. */
  mkdir(path: string): Promise<void>;
  /** Moves a file; fails with `exists` when `to` is taken, creating missing parent folders of `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Moves a file to the vault's trash (recoverable), never deleting it outright. */
  trash(path: string): Promise<void>;
}

export type VaultErrorCode = "not-found" | "exists" | "invalid-path" | "is-folder" | "io";

/** Every port failure is a VaultError, so callers can tell a missing note from a broken disk. */
export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "VaultError";
  }
}

/**
 * Normalises a vault-relative path the way Obsidian's `normalizePath` does (forward slashes, no
 * duplicate or trailing slashes, no leading `./` or `/`) and refuses any path that would leave the
 * vault (`..` segments, absolute paths, NUL).
 *
 * @example normalizeVaultPath("Book\\Chapters//01.md") // "Book/Chapters/01.md"
 */
export function normalizeVaultPath(path: string): string {
  if (path.includes("\0")) throw new VaultError("invalid-path", JSON.stringify(path), "a path may not contain NUL");
  const unified = path.replace(/\\/g, "/").replace(/\u00a0|\u202f/g, " ");
  if (/^[a-zA-Z]:\//.test(unified)) {
    throw new VaultError("invalid-path", path, "expected a vault-relative path, got an absolute one");
  }
  const parts: string[] = [];
  for (const segment of unified.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") throw new VaultError("invalid-path", path, "a path may not leave the vault ('..')");
    parts.push(segment);
  }
  return parts.join("/");
}

/** The folder part of a normalised path ("" for the vault root). */
export function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Joins vault-relative segments and normalises the result. */
export function joinVaultPath(...segments: string[]): string {
  return normalizeVaultPath(segments.filter((s) => s !== "").join("/"));
}

/** True when `path` is `folder` itself or lies below it ("" is the vault root and holds everything). */
export function isInFolder(path: string, folder: string): boolean {
  return folder === "" || path === folder || path.startsWith(`${folder}/`);
}

/**
 * The one sort order of {@link VaultFiles.list}: UTF-16 code units, as `Array.prototype.sort` does.
 * Not `localeCompare`, so every implementation (and every machine's locale) lists files in the same order.
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs tasks one after another per path, in call order, so a read-modify-write on one file never
 * interleaves with another write to it. A task may hold several paths (rename holds both ends).
 * Each implementation owns one instance: serialisation is per port, never module-wide.
 */
export class PathLocks {
  /** The settled end of the last task queued for each path; entries go once their task is done. */
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(paths: readonly string[], task: () => Promise<T>): Promise<T> {
    // Case-folded and NFC so that `A.md` and `a.md` (one file on macOS and Windows) share a queue;
    // serialising two distinct files on a case-sensitive disk costs only a little waiting.
    const keys = [...new Set(paths.map((p) => p.normalize("NFC").toLowerCase()))];
    const before = Promise.all(keys.map((k) => this.tails.get(k) ?? Promise.resolve()));
    const result = before.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.tails.set(key, settled);
    void settled.then(() => {
      for (const key of keys) if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * The `index`-th free name for `name` when it is taken: `a.md`, `a 1.md`, `a 2.md`… (Obsidian's own
 * de-duplication style), used to keep every trashed copy of files that shared a name.
 */
export function numberedName(name: string, index: number): string {
  if (index === 0) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} ${index}${name.slice(dot)}` : `${name} ${index}`;
}

/** True when a path below a listed folder passes through a dot-entry (`.obsidian`, `.trash`, `.git`), which listings skip as Obsidian does. */
export function isHiddenBelow(relativePath: string): boolean {
  return relativePath.split("/").some((segment) => segment.startsWith("."));
}
