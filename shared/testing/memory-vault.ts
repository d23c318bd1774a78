/**
 * An in-memory {@link VaultFiles} for tests of shared/ code. It behaves like a disk as the contract
 * describes it (bytes, not strings, are stored; folders exist apart from files; trash goes to `.trash/`),
 * and it yields between reading and writing inside `process`, so code that forgets to await or that
 * relies on lucky timing fails here as it would on a real disk.
 */
import {
  comparePaths,
  isHiddenBelow,
  normalizeVaultPath,
  numberedName,
  parentFolder,
  PathLocks,
  baseName,
  VaultError,
  type FileStat,
  type VaultFiles,
} from "../vault/vault-files";

export interface MemoryVaultOptions {
  /** The clock for mtimes, in epoch milliseconds; inject one to make mtimes predictable. */
  now?: () => number;
}

interface StoredFile {
  data: Uint8Array;
  mtime: number;
}

const TRASH_FOLDER = ".trash";

export class MemoryVault implements VaultFiles {
  private readonly files = new Map<string, StoredFile>();
  /** Every folder but the root ("" is always a folder). Folders outlive their files, as on a disk. */
  private readonly folders = new Set<string>();
  private readonly locks = new PathLocks();
  private readonly now: () => number;
  private readonly encoder = new TextEncoder();
  // ignoreBOM keeps a leading U+FEFF in the text, so writing the text back keeps the BOM on "disk".
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(options: MemoryVaultOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Puts files in place at once, without going through the queue; for arranging a test. */
  seed(files: Record<string, string | Uint8Array>): this {
    for (const [path, content] of Object.entries(files)) {
      const target = normalizeVaultPath(path);
      this.store(target, typeof content === "string" ? this.encoder.encode(content) : content);
    }
    return this;
  }

  async list(folder = ""): Promise<FileStat[]> {
    const base = normalizeVaultPath(folder);
    await tick();
    const prefix = base === "" ? "" : `${base}/`;
    const listed: FileStat[] = [];
    for (const [path, file] of this.files) {
      if (!path.startsWith(prefix) || isHiddenBelow(path.slice(prefix.length))) continue;
      listed.push(this.statOf(path, file));
    }
    return listed.sort((a, b) => comparePaths(a.path, b.path));
  }

  async read(path: string): Promise<string> {
    return this.decoder.decode(await this.readBinary(path));
  }

  async readBinary(path: string): Promise<Uint8Array> {
    const target = normalizeVaultPath(path);
    await tick();
    return this.fileAt(target).data.slice();
  }

  async write(path: string, text: string): Promise<void> {
    return this.writeBinary(path, this.encoder.encode(text));
  }

  async writeBinary(path: string, data: Uint8Array): Promise<void> {
    const target = normalizeVaultPath(path);
    // Copied now: the caller may reuse its array before the queued write runs.
    const copy = data.slice();
    return this.locks.run([target], async () => {
      await tick();
      this.store(target, copy);
    });
  }

  async create(path: string, text: string): Promise<void> {
    const target = normalizeVaultPath(path);
    const data = this.encoder.encode(text);
    return this.locks.run([target], async () => {
      await tick();
      if (this.files.has(target) || this.isFolder(target)) throw new VaultError("exists", target, "a file or folder is already there");
      this.store(target, data);
    });
  }

  async process(path: string, update: (current: string) => string): Promise<string> {
    const target = normalizeVaultPath(path);
    return this.locks.run([target], async () => {
      await tick();
      const current = this.decoder.decode(this.fileAt(target).data);
      const next = update(current);
      if (next === current) return current;
      await tick();
      this.store(target, this.encoder.encode(next));
      return next;
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    const target = normalizeVaultPath(path);
    await tick();
    const file = this.files.get(target);
    return file ? this.statOf(target, file) : null;
  }

  async exists(path: string): Promise<boolean> {
    const target = normalizeVaultPath(path);
    await tick();
    return this.files.has(target) || this.isFolder(target);
  }

  async mkdir(path: string): Promise<void> {
    const target = normalizeVaultPath(path);
    await tick();
    this.makeFolders(target);
  }

  async rename(from: string, to: string): Promise<void> {
    const source = normalizeVaultPath(from);
    const target = normalizeVaultPath(to);
    return this.locks.run([source, target], async () => {
      await tick();
      const file = this.fileAt(source);
      if (source === target) return;
      if (this.files.has(target) || this.isFolder(target)) throw new VaultError("exists", target, "the rename target is taken");
      this.makeFolders(parentFolder(target));
      this.files.delete(source);
      this.files.set(target, file);
    });
  }

  async trash(path: string): Promise<void> {
    const source = normalizeVaultPath(path);
    // The trash folder is a lock too: two trashes of files with one name must not pick the same slot.
    return this.locks.run([source, TRASH_FOLDER], async () => {
      await tick();
      const file = this.fileAt(source);
      let index = 0;
      let slot = `${TRASH_FOLDER}/${baseName(source)}`;
      while (this.files.has(slot)) slot = `${TRASH_FOLDER}/${numberedName(baseName(source), ++index)}`;
      this.makeFolders(TRASH_FOLDER);
      this.files.delete(source);
      this.files.set(slot, file);
    });
  }

  private fileAt(path: string): StoredFile {
    const file = this.files.get(path);
    if (file) return file;
    if (this.isFolder(path)) throw new VaultError("is-folder", path, "is a folder, not a file");
    throw new VaultError("not-found", path, "no such file");
  }

  private store(path: string, data: Uint8Array): void {
    if (this.isFolder(path)) throw new VaultError("is-folder", path, "is a folder, not a file");
    this.makeFolders(parentFolder(path));
    this.files.set(path, { data, mtime: this.now() });
  }

  private makeFolders(path: string): void {
    if (path === "") return;
    const parts = path.split("/");
    for (let depth = 1; depth <= parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      if (this.files.has(folder)) throw new VaultError("exists", folder, "a file is where a folder should be");
      this.folders.add(folder);
    }
  }

  private isFolder(path: string): boolean {
    return path === "" || this.folders.has(path);
  }

  private statOf(path: string, file: StoredFile): FileStat {
    return { path, size: file.data.length, mtime: file.mtime };
  }
}

/** One event-loop turn, standing in for the I/O wait a real vault has at the same point. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
