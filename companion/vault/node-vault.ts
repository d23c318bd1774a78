/**
 * {@link VaultFiles} over a folder on disk, for the CLI and the companion, which may run while Obsidian
 * (or a sync client) has the same vault open. So writes are atomic (a temp file in the same folder, then
 * rename over the target: a reader sees the old file or the new one, never half of one) and nothing is
 * deleted outright: `trash` moves files to `<root>/.trash/`, where Obsidian's own "move to Obsidian
 * trash" puts them.
 *
 * Every path is checked to stay inside the root twice: lexically, and again after resolving symbolic
 * links, so a link inside the vault cannot lead a write (or a read) to a file elsewhere on the machine.
 * A link that is swapped in between the check and the use is not guarded against; the vault owner's
 * own links are what this is about.
 */
import { randomUUID } from "node:crypto";
import { constants as fsConstants, readFile as readFileCallback, stat as statCallback, type Stats } from "node:fs";
import * as fs from "node:fs/promises";
import * as nodePath from "node:path";
import {
  baseName,
  comparePaths,
  isHiddenBelow,
  joinVaultPath,
  normalizeVaultPath,
  numberedName,
  parentFolder,
  PathLocks,
  VaultError,
  type FileStat,
  type VaultFiles,
} from "../../shared/vault/vault-files";

const TRASH_FOLDER = ".trash";
/** How long a folder's resolved path is trusted for reads; scans finish well within it. */
const FOLDER_TRUST_MS = 2000;

/** A vault path with its place on disk. */
interface Located {
  /** Normalised vault-relative path ("" for the root). */
  path: string;
  absolute: string;
}

export class NodeVault implements VaultFiles {
  private readonly root: string;
  private readonly locks = new PathLocks();
  private readonly encoder = new TextEncoder();
  // Not fatal: invalid bytes become U+FFFD as in Obsidian. ignoreBOM keeps a BOM in the text, so a
  // rewrite of that text keeps it on disk.
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  /**
   * Resolved real paths of folders that reads went through, with when they were resolved. Resolving
   * every note's full path costs a syscall per path component; a 300-chapter scan spent more time on
   * that than on reading. Reads trust a folder's resolution for FOLDER_TRUST_MS, and open the note
   * itself with O_NOFOLLOW, so a link as the note is still caught. Writes always resolve afresh, and
   * every change made through this vault (and every list) forgets what was trusted.
   */
  private readonly trustedFolders = new Map<string, { real: string; at: number }>();
  /** The root with its own symbolic links resolved (macOS's /tmp is one); looked up on first use. */
  private realRoot: Promise<string> | undefined;

  /** @param root Absolute path of the vault folder; it must exist. */
  constructor(root: string) {
    if (!nodePath.isAbsolute(root)) throw new Error(`NodeVault needs an absolute root folder, got '${root}'`);
    this.root = nodePath.resolve(root);
  }

  async list(folder = ""): Promise<FileStat[]> {
    this.trustedFolders.clear();
    const start = await this.locate(folder);
    const realRoot = await this.resolveRoot();
    const listed: FileStat[] = [];
    await this.walk(start, realRoot, new Set(), listed);
    return listed.sort((a, b) => comparePaths(a.path, b.path));
  }

  async read(path: string): Promise<string> {
    // Decoded by Node in C++ (invalid bytes become U+FFFD, a BOM stays as U+FEFF, exactly as the
    // TextDecoder below): about twice as fast, which a 300-chapter scan feels.
    return (await this.readForReading(path)).toString("utf8");
  }

  readBinary(path: string): Promise<Uint8Array> {
    return this.readForReading(path).then((data) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Reads through a trusted folder with O_NOFOLLOW where it can, else through the full check. */
  /**
   * Reads for read() and readBinary(): through a trusted folder with O_NOFOLLOW (see trustedFolders),
   * else through the full check. Kept free of async frames on the fast path: an extra promise hop
   * per note is measurable across a 300-chapter scan.
   */
  private readForReading(path: string): Promise<Buffer> {
    try {
      return this.readTrusted(normalizeVaultPath(path)) ?? this.trustThenRead(path);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Reads a note whose folder is trusted; undefined when it is not (or O_NOFOLLOW is unavailable). */
  private readTrusted(relative: string): Promise<Buffer> | undefined {
    const noFollow = fsConstants.O_NOFOLLOW as number | undefined;
    if (relative === "" || noFollow === undefined) return undefined;
    const absolute = this.onDisk(relative);
    const known = this.trustedFolders.get(nodePath.dirname(absolute));
    if (known === undefined || Date.now() - known.at >= FOLDER_TRUST_MS) return undefined;
    return readWhole(absolute, fsConstants.O_RDONLY | noFollow).catch(async (error: unknown) => {
      // ELOOP: the note itself is a link; the full check decides whether it may be followed.
      if (errorCode(error) === "ELOOP") return this.readBuffer(await this.locate(relative));
      throw toVaultError(error, relative);
    });
  }

  private async trustThenRead(path: string): Promise<Buffer> {
    const relative = normalizeVaultPath(path);
    if (relative !== "" && (await this.trustFolder(nodePath.dirname(this.onDisk(relative))))) {
      const trusted = this.readTrusted(relative);
      if (trusted) return trusted;
    }
    return this.readBuffer(await this.locate(relative));
  }

  /** normalizeVaultPath refused `..` and absolute paths, so this stays below the root lexically. */
  private onDisk(relative: string): string {
    return `${this.root}${nodePath.sep}${relative.split("/").join(nodePath.sep)}`;
  }

  /** Resolves the folder and trusts it for reads when its real path lies inside the vault. */
  private async trustFolder(folder: string): Promise<boolean> {
    const real = await fs.realpath(folder).catch(() => null);
    if (real === null || !isInside(await this.resolveRoot(), real)) return false;
    this.trustedFolders.set(folder, { real, at: Date.now() });
    return true;
  }

  async write(path: string, text: string): Promise<void> {
    await this.writeBinary(path, this.encoder.encode(text));
  }

  async writeBinary(path: string, data: Uint8Array): Promise<void> {
    const target = normalizeVaultPath(path);
    // Copied now: the caller may reuse its array before the queued write runs.
    const copy = data.slice();
    await this.locks.run([target], async () => this.writeAt(await this.locate(target), copy));
  }

  async create(path: string, text: string): Promise<void> {
    const target = normalizeVaultPath(path);
    const data = this.encoder.encode(text);
    await this.locks.run([target], async () => this.writeAt(await this.locate(target), data, true));
  }

  async process(path: string, update: (current: string) => string): Promise<string> {
    const target = normalizeVaultPath(path);
    return this.locks.run([target], async () => {
      const at = await this.locate(target);
      const current = this.decoder.decode(await this.readAt(at));
      const next = update(current);
      if (next === current) return current;
      await this.writeAt(at, this.encoder.encode(next));
      return next;
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    const at = await this.locate(path);
    const stats = await this.statOrNull(at);
    return stats?.isFile() ? toFileStat(at.path, stats) : null;
  }

  async exists(path: string): Promise<boolean> {
    return (await this.statOrNull(await this.locate(path))) !== null;
  }

  async mkdir(path: string): Promise<void> {
    this.trustedFolders.clear();
    await this.makeFolder(await this.locate(path));
  }

  async rename(from: string, to: string): Promise<void> {
    this.trustedFolders.clear();
    const source = normalizeVaultPath(from);
    const target = normalizeVaultPath(to);
    await this.locks.run([source, target], async () => {
      const src = await this.locate(source);
      const dest = await this.locate(target);
      const stats = await this.fileStats(src);
      const taken = await this.lstatOrNull(dest);
      // The same inode under another spelling is a case-only rename on a case-insensitive disk.
      if (taken && !(taken.ino === stats.ino && taken.dev === stats.dev)) {
        throw new VaultError("exists", dest.path, "the rename target is taken");
      }
      await this.makeFolder(await this.locate(parentFolder(dest.path)));
      await this.attempt(dest.path, () => fs.rename(src.absolute, dest.absolute));
    });
  }

  async trash(path: string): Promise<void> {
    this.trustedFolders.clear();
    const source = normalizeVaultPath(path);
    // The trash folder is a lock too: two trashes of files with one name must not pick the same slot.
    await this.locks.run([source, TRASH_FOLDER], async () => {
      const src = await this.locate(source);
      await this.fileStats(src);
      await this.makeFolder(await this.locate(TRASH_FOLDER));
      for (let index = 0; ; index++) {
        const slot = await this.locate(joinVaultPath(TRASH_FOLDER, numberedName(baseName(src.path), index)));
        if (await this.lstatOrNull(slot)) continue;
        await this.attempt(src.path, () => fs.rename(src.absolute, slot.absolute));
        return;
      }
    });
  }

  /** Maps a vault path to disk, refusing anything that ends up outside the root. */
  private async locate(path: string): Promise<Located> {
    const relative = normalizeVaultPath(path);
    const absolute = relative === "" ? this.root : nodePath.join(this.root, ...relative.split("/"));
    if (!isInside(this.root, absolute)) throw new VaultError("invalid-path", relative, "leaves the vault");
    // The deepest part of the path that exists decides where the rest would land once links resolve.
    const realRoot = await this.resolveRoot();
    for (let probe = absolute; ; probe = nodePath.dirname(probe)) {
      const real = await fs.realpath(probe).catch((error: unknown) => {
        if (isMissing(error) && probe !== this.root) return null;
        throw toVaultError(error, relative);
      });
      if (real === null) continue;
      if (!isInside(realRoot, real)) throw new VaultError("invalid-path", relative, "a symbolic link leads outside the vault");
      return { path: relative, absolute };
    }
  }

  private resolveRoot(): Promise<string> {
    this.realRoot ??= fs.realpath(this.root).catch((error: unknown) => {
      this.realRoot = undefined;
      throw toVaultError(error, "");
    });
    return this.realRoot;
  }

  private async walk(folder: Located, realRoot: string, ancestors: ReadonlySet<string>, into: FileStat[]): Promise<void> {
    const real = await fs.realpath(folder.absolute).catch(() => null);
    // Missing folder: nothing to list. A folder seen higher up the same branch: a link loop, stop.
    if (real === null || ancestors.has(real)) return;
    const entries = await fs.readdir(folder.absolute, { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error) || errorCode(error) === "ENOTDIR") return [];
      throw toVaultError(error, folder.path);
    });
    const below = new Set(ancestors).add(real);
    // Just resolved, and inside the vault (the walk only enters such folders): reads may trust it.
    if (isInside(realRoot, real)) this.trustedFolders.set(folder.absolute, { real, at: Date.now() });
    await Promise.all(
      entries.map(async (entry) => {
        if (isHiddenBelow(entry.name)) return;
        const child = { path: folder.path === "" ? entry.name : `${folder.path}/${entry.name}`, absolute: nodePath.join(folder.absolute, entry.name) };
        if (entry.isSymbolicLink()) {
          const target = await fs.realpath(child.absolute).catch(() => null);
          // Dangling links are skipped, and links out of the vault are never followed.
          if (target === null || !isInside(realRoot, target)) return;
        } else if (!entry.isFile() && !entry.isDirectory()) {
          return;
        }
        const stats = await statQuietly(child.absolute);
        if (stats?.isDirectory()) await this.walk(child, realRoot, below, into);
        else if (stats?.isFile()) into.push(toFileStat(child.path, stats));
      }),
    );
  }

  private async readAt(at: Located): Promise<Uint8Array> {
    const data = await this.readBuffer(at);
    // A plain Uint8Array view, not Node's Buffer (callers in shared/ must not come to rely on Buffer),
    // over the same memory: readFile's buffer is ours alone, so no copy is needed.
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  private readBuffer(at: Located): Promise<Buffer> {
    return this.attempt(at.path, () => readWhole(at.absolute, fsConstants.O_RDONLY));
  }

  /** Writes a temp file beside the target, flushes it, then renames it over the target. */
  /**
   * With `exclusive`, the finished temp file is hard-linked into place instead of renamed: link fails
   * when the name is taken, even by another process, so a create never replaces anything.
   */
  private async writeAt(at: Located, data: Uint8Array, exclusive = false): Promise<void> {
    this.trustedFolders.clear();
    // The root's temp file would land outside the vault, in the root's parent folder.
    if (at.path === "") throw new VaultError("is-folder", at.path, "is the vault folder, not a file");
    await this.makeFolder(await this.locate(parentFolder(at.path)));
    // A dot-name, so a temp file left by a crash is skipped by list() like any hidden file.
    const temp = nodePath.join(nodePath.dirname(at.absolute), `.${randomUUID()}.bookwright-tmp`);
    const existing = await this.statOrNull(at);
    try {
      const handle = await fs.open(temp, "wx");
      try {
        await handle.writeFile(data);
        // Keep the permissions of the file being replaced.
        if (existing?.isFile()) await handle.chmod(existing.mode & 0o7777);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (exclusive) {
        await fs.link(temp, at.absolute);
        await fs.rm(temp, { force: true });
      } else {
        await fs.rename(temp, at.absolute);
      }
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      if (exclusive && errorCode(error) === "EEXIST") throw new VaultError("exists", at.path, "a file or folder is already there");
      if ((await this.statOrNull(at))?.isDirectory()) throw new VaultError("is-folder", at.path, "is a folder, not a file");
      throw toVaultError(error, at.path);
    }
  }

  private async makeFolder(at: Located): Promise<void> {
    if (at.path === "") return;
    await fs.mkdir(at.absolute, { recursive: true }).catch((error: unknown) => {
      const code = errorCode(error);
      if (code === "EEXIST" || code === "ENOTDIR") throw new VaultError("exists", at.path, "a file is where a folder should be");
      throw toVaultError(error, at.path);
    });
  }

  /** The stats of the file at `at`, or not-found / is-folder. */
  private async fileStats(at: Located): Promise<Stats> {
    const stats = await this.attempt(at.path, () => fs.stat(at.absolute));
    if (stats.isDirectory()) throw new VaultError("is-folder", at.path, "is a folder, not a file");
    return stats;
  }

  private statOrNull(at: Located): Promise<Stats | null> {
    return fs.stat(at.absolute).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw toVaultError(error, at.path);
    });
  }

  /** Like statOrNull, but a dangling link counts as something being there. */
  private lstatOrNull(at: Located): Promise<Stats | null> {
    return fs.lstat(at.absolute).catch((error: unknown) => {
      if (isMissing(error)) return null;
      throw toVaultError(error, at.path);
    });
  }

  private async attempt<T>(path: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw toVaultError(error, path);
    }
  }
}

/** fs.stat in its callback form (cheaper than the promise form per call), null when it fails. */
function statQuietly(path: string): Promise<Stats | null> {
  return new Promise((resolve) => statCallback(path, (error, stats) => resolve(error ? null : stats)));
}

/**
 * fs.readFile in its callback form: in Node 20 the promise form reads through a FileHandle with more
 * round trips and is about 40% slower over a 300-chapter scan (bench/scan.ts measures both against it).
 */
function readWhole(path: string, flag: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // Node takes numeric flags here (they go to open()); @types/node 20 only lists the string ones.
    readFileCallback(path, { flag: flag as unknown as string }, (error, data) => (error ? reject(error) : resolve(data)));
  });
}

function toFileStat(path: string, stats: Stats): FileStat {
  // Whole milliseconds, as Obsidian reports them; Node gives sub-millisecond fractions.
  return { path, size: stats.size, mtime: Math.floor(stats.mtimeMs) };
}

function isInside(root: string, candidate: string): boolean {
  const relative = nodePath.relative(root, candidate);
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${nodePath.sep}`) && !nodePath.isAbsolute(relative));
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** ENOTDIR too: `a.md/b.md` is as missing as `nope/b.md`. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

function toVaultError(error: unknown, path: string): VaultError {
  if (error instanceof VaultError) return error;
  const message = error instanceof Error ? error.message : String(error);
  switch (errorCode(error)) {
    case "ENOENT":
    case "ENOTDIR":
      return new VaultError("not-found", path, "no such file");
    case "EISDIR":
      return new VaultError("is-folder", path, "is a folder, not a file");
    case "EEXIST":
    case "ENOTEMPTY":
      return new VaultError("exists", path, message);
    default:
      return new VaultError("io", path, message);
  }
}
