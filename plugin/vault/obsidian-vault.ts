/**
 * {@link VaultFiles} inside Obsidian. Everything goes through Obsidian's Vault and FileManager rather
 * than its adapter, so Obsidian's index, open editors, sync and link updates all see our writes:
 * `renameFile` rewrites links to a moved chapter, and `trashFile` follows the user's "Deleted files"
 * setting (system trash, `.trash/`, or, if the user chose so, permanent deletion).
 */
import { normalizePath, TFile, TFolder, type App, type TAbstractFile } from "obsidian";
import {
  comparePaths,
  normalizeVaultPath,
  parentFolder,
  PathLocks,
  VaultError,
  type FileStat,
  type VaultFiles,
} from "../../shared/vault/vault-files";

/** What this port uses of the App; the plugin passes its `this.app`. */
export type ObsidianVaultHost = Pick<App, "vault" | "fileManager">;

export class ObsidianVault implements VaultFiles {
  private readonly app: ObsidianVaultHost;
  // Obsidian's own process is atomic, but write-then-process and our skip-unchanged check are not; this
  // queue makes every change to one path through this port wait for the previous one.
  private readonly locks = new PathLocks();

  constructor(app: ObsidianVaultHost) {
    this.app = app;
  }

  async list(folder = ""): Promise<FileStat[]> {
    const base = toVaultPath(folder);
    const prefix = base === "" ? "" : `${base}/`;
    await Promise.resolve();
    return this.app.vault
      .getFiles()
      .filter((file) => file.path.startsWith(prefix))
      .map(toFileStat)
      .sort((a, b) => comparePaths(a.path, b.path));
  }

  async read(path: string): Promise<string> {
    const target = toVaultPath(path);
    const file = this.fileAt(target);
    // Not cachedRead: callers read in order to write back, and a stale cache would undo a newer edit.
    return this.call(target, () => this.app.vault.read(file));
  }

  async readBinary(path: string): Promise<Uint8Array> {
    const target = toVaultPath(path);
    const file = this.fileAt(target);
    return new Uint8Array(await this.call(target, () => this.app.vault.readBinary(file)));
  }

  async write(path: string, text: string): Promise<void> {
    const target = toVaultPath(path);
    await this.locks.run([target], () =>
      this.put(
        target,
        (file) => this.app.vault.modify(file, text),
        (at) => this.app.vault.create(at, text),
      ),
    );
  }

  async create(path: string, text: string): Promise<void> {
    const target = toVaultPath(path);
    await this.locks.run([target], async () => {
      // Obsidian's own create refuses a taken path too; checking first gives the port's error.
      if (this.lookup(target)) throw new VaultError("exists", target, "a file or folder is already there");
      await this.makeFolder(parentFolder(target));
      await this.call(target, () => this.app.vault.create(obsidianPath(target), text));
    });
  }

  async writeBinary(path: string, data: Uint8Array): Promise<void> {
    const target = toVaultPath(path);
    // A copy of exactly the viewed bytes, taken now: `data` may be a view into a larger buffer, and the
    // caller may reuse it before the queued write runs.
    const buffer = data.slice().buffer;
    await this.locks.run([target], () =>
      this.put(
        target,
        (file) => this.app.vault.modifyBinary(file, buffer),
        (at) => this.app.vault.createBinary(at, buffer),
      ),
    );
  }

  async process(path: string, update: (current: string) => string): Promise<string> {
    const target = toVaultPath(path);
    return this.locks.run([target], async () => {
      const file = this.fileAt(target);
      const current = await this.call(target, () => this.app.vault.read(file));
      const next = update(current);
      // Obsidian's process always writes; reading first lets an unchanged note keep its mtime and
      // spares sync clients and open editors a pointless change.
      if (next === current) return current;
      let failure: { error: unknown } | undefined;
      const written = await this.call(target, () =>
        this.app.vault.process(file, (latest) => {
          // Someone outside this port (the user, another plugin) edited the note since our read.
          if (latest === current) return next;
          try {
            return update(latest);
          } catch (error) {
            failure = { error };
            return latest;
          }
        }),
      );
      if (failure) throw failure.error;
      return written;
    });
  }

  async stat(path: string): Promise<FileStat | null> {
    const file = this.lookup(toVaultPath(path));
    await Promise.resolve();
    return file instanceof TFile ? toFileStat(file) : null;
  }

  async exists(path: string): Promise<boolean> {
    const target = toVaultPath(path);
    await Promise.resolve();
    return target === "" || this.lookup(target) !== null;
  }

  async mkdir(path: string): Promise<void> {
    await this.makeFolder(toVaultPath(path));
  }

  async rename(from: string, to: string): Promise<void> {
    const source = toVaultPath(from);
    const target = toVaultPath(to);
    await this.locks.run([source, target], async () => {
      const file = this.fileAt(source);
      const taken = this.lookup(target);
      if (taken === file) return;
      if (taken !== null) throw new VaultError("exists", target, "the rename target is taken");
      await this.makeFolder(parentFolder(target));
      await this.call(target, () => this.app.fileManager.renameFile(file, obsidianPath(target)));
    });
  }

  async trash(path: string): Promise<void> {
    const target = toVaultPath(path);
    await this.locks.run([target], async () => {
      const file = this.fileAt(target);
      await this.call(target, () => this.app.fileManager.trashFile(file));
    });
  }

  /** Modifies the file at `path`, or creates it (and its folders) when there is none. */
  private async put(path: string, modify: (file: TFile) => Promise<void>, create: (path: string) => Promise<TFile>): Promise<void> {
    const existing = this.lookup(path);
    if (existing instanceof TFolder) throw new VaultError("is-folder", path, "is a folder, not a file");
    if (existing instanceof TFile) return this.call(path, () => modify(existing));
    // Obsidian refuses to create a file in a folder that does not exist yet.
    await this.makeFolder(parentFolder(path));
    await this.call(path, () => create(obsidianPath(path)));
  }

  /** Creates `path` and its missing parents one level at a time, as createFolder wants its parent to exist. */
  private async makeFolder(path: string): Promise<void> {
    if (path === "") return;
    const parts = path.split("/");
    for (let depth = 1; depth <= parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      const existing = this.lookup(folder);
      if (existing instanceof TFolder) continue;
      if (existing !== null) throw new VaultError("exists", folder, "a file is where a folder should be");
      await this.app.vault.createFolder(obsidianPath(folder)).catch((error: unknown) => {
        // Lost a race with another creator of the same folder: that is what we wanted anyway.
        if (!(this.lookup(folder) instanceof TFolder)) throw toVaultError(error, folder);
      });
    }
  }

  private lookup(path: string): TAbstractFile | null {
    return this.app.vault.getAbstractFileByPath(obsidianPath(path));
  }

  private fileAt(path: string): TFile {
    const found = this.lookup(path);
    if (found instanceof TFile) return found;
    if (found instanceof TFolder) throw new VaultError("is-folder", path, "is a folder, not a file");
    throw new VaultError("not-found", path, "no such file");
  }

  /** Runs an Obsidian call, turning whatever it throws into a VaultError. */
  private async call<T>(path: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw toVaultError(error, path);
    }
  }
}

/** Our rules first (they refuse `..` and absolute paths, which normalizePath lets through), then Obsidian's. */
function toVaultPath(path: string): string {
  const safe = normalizeVaultPath(path);
  return safe === "" ? "" : normalizePath(safe);
}

/** Obsidian calls its root "/" where the port says "". */
function obsidianPath(path: string): string {
  return path === "" ? "/" : path;
}

function toFileStat(file: TFile): FileStat {
  return { path: file.path, size: file.stat.size, mtime: file.stat.mtime };
}

function toVaultError(error: unknown, path: string): VaultError {
  if (error instanceof VaultError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Obsidian's own wording for a path that is taken, on create, createFolder and rename.
  if (/already exists/i.test(message)) return new VaultError("exists", path, message);
  return new VaultError("io", path, message);
}
