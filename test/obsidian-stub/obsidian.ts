/**
 * A small in-memory stand-in for the runtime of the `obsidian` module, which ships types only. vitest
 * aliases `obsidian` to this file (vitest.config.ts), so plugin code under test gets these classes, and
 * each class `implements` the real type from `obsidian.d.ts`, so the stand-in cannot drift from the API
 * the plugin compiles against. Why not obsidian-test-mocks: docs/decisions/0001-obsidian-stand-in.md.
 *
 * Where Obsidian's behaviour matters to the vault port it is modelled strictly (create refuses an existing
 * path and a missing parent folder, rename refuses a taken target, TFile.stat follows every write, text is
 * UTF-8 bytes so text and binary reads see one file, process is atomic). Members nothing uses yet throw a
 * "not part of the stand-in" error instead of returning a guess.
 */
import type * as obsidian from "obsidian";
import { numberedName } from "../../shared/vault/vault-files";

function notStubbed(member: string): Error {
  return new Error(`${member} is not part of the Obsidian stand-in; add it to test/obsidian-stub when a test needs it`);
}

/** Obsidian's normalizePath: one forward slash between segments, none at the ends, "/" for the root, NFC. */
export const normalizePath: typeof obsidian.normalizePath = (path) => {
  const trimmed = path.replace(/[\\/]+/g, "/").replace(/^\/+|\/+$/g, "");
  return (trimmed === "" ? "/" : trimmed).replace(/\u00a0|\u202f/g, " ").normalize("NFC");
};

interface Handler {
  name: string;
  // never[]: a handler takes whatever its event passes (a TAbstractFile, a path…), so it is called
  // through Reflect.apply with the event's arguments rather than typed per event here.
  callback: (...data: never[]) => unknown;
  ctx: unknown;
}

export class Events implements obsidian.Events {
  private readonly handlers: Handler[] = [];

  on(name: string, callback: (...data: unknown[]) => unknown, ctx?: unknown): obsidian.EventRef {
    return this.register(name, callback, ctx);
  }

  off(name: string, callback: (...data: unknown[]) => unknown): void {
    this.remove((h) => h.name === name && h.callback === callback);
  }

  offref(ref: obsidian.EventRef): void {
    this.remove((h) => h === ref);
  }

  trigger(name: string, ...data: unknown[]): void {
    for (const handler of this.handlers.filter((h) => h.name === name)) Reflect.apply(handler.callback, handler.ctx, data);
  }

  tryTrigger(ref: obsidian.EventRef, args: unknown[]): void {
    const handler = this.handlers.find((h) => h === ref);
    if (!handler) return;
    try {
      Reflect.apply(handler.callback, handler.ctx, args);
    } catch (error) {
      // Obsidian logs a failing handler and carries on with the operation that fired it.
      console.error(error);
    }
  }

  protected register(name: string, callback: (...data: never[]) => unknown, ctx: unknown): obsidian.EventRef {
    const handler: Handler = { name, callback, ctx };
    this.handlers.push(handler);
    return handler;
  }

  private remove(match: (handler: Handler) => boolean): void {
    const index = this.handlers.findIndex(match);
    if (index !== -1) this.handlers.splice(index, 1);
  }
}

export abstract class TAbstractFile implements obsidian.TAbstractFile {
  vault: obsidian.Vault;
  path: string;
  name: string;
  parent: obsidian.TFolder | null = null;

  constructor(vault: obsidian.Vault, path: string) {
    this.vault = vault;
    this.path = path;
    this.name = path === "/" ? "" : path.slice(path.lastIndexOf("/") + 1);
  }

  /** Gives the file its new path after a rename (stand-in only). */
  relocate(path: string): void {
    this.path = path;
    this.name = path.slice(path.lastIndexOf("/") + 1);
  }
}

export class TFile extends TAbstractFile implements obsidian.TFile {
  stat: obsidian.FileStats;
  basename = "";
  extension = "";

  constructor(vault: obsidian.Vault, path: string, stat: obsidian.FileStats) {
    super(vault, path);
    this.stat = stat;
    this.relocate(path);
  }

  override relocate(path: string): void {
    super.relocate(path);
    const dot = this.name.lastIndexOf(".");
    this.basename = dot > 0 ? this.name.slice(0, dot) : this.name;
    this.extension = dot > 0 ? this.name.slice(dot + 1) : "";
  }
}

export class TFolder extends TAbstractFile implements obsidian.TFolder {
  children: obsidian.TAbstractFile[] = [];

  isRoot(): boolean {
    return this.path === "/";
  }
}

export interface StubVaultOptions {
  /** The clock for ctime and mtime, in epoch milliseconds. */
  now?: () => number;
}

export class Vault extends Events implements obsidian.Vault {
  // Not the default name: the config folder is user-set, and code that hardcodes it should fail here.
  configDir = ".obsidian-stub";
  /** Files Obsidian does not index, by path: where "move to Obsidian trash" puts deleted files. */
  readonly hidden = new Map<string, Uint8Array>();
  /** Files sent to the system trash, oldest first. */
  readonly systemTrash: { path: string; data: Uint8Array }[] = [];
  private readonly index = new Map<string, TAbstractFile>();
  private readonly contents = new Map<TFile, Uint8Array>();
  private readonly root: TFolder;
  private readonly now: () => number;
  private readonly encoder = new TextEncoder();
  // Obsidian on desktop decodes with Node's utf8: invalid bytes become U+FFFD and a BOM stays in the text.
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(options: StubVaultOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.root = new TFolder(this, "/");
    this.index.set("/", this.root);
  }

  // Obsidian's own overloads: a handler gets the file, and for a rename the old path as well.
  override on(name: "create" | "modify" | "delete", callback: (file: obsidian.TAbstractFile) => unknown, ctx?: unknown): obsidian.EventRef;
  override on(name: "rename", callback: (file: obsidian.TAbstractFile, oldPath: string) => unknown, ctx?: unknown): obsidian.EventRef;
  override on(name: string, callback: (...data: never[]) => unknown, ctx?: unknown): obsidian.EventRef {
    return this.register(name, callback, ctx);
  }

  get adapter(): obsidian.DataAdapter {
    throw notStubbed("Vault.adapter");
  }

  getName(): string {
    return "stub-vault";
  }

  getFileByPath(path: string): obsidian.TFile | null {
    const file = this.index.get(path);
    return file instanceof TFile ? file : null;
  }

  getFolderByPath(path: string): obsidian.TFolder | null {
    const folder = this.index.get(path);
    return folder instanceof TFolder ? folder : null;
  }

  getAbstractFileByPath(path: string): obsidian.TAbstractFile | null {
    return this.index.get(path) ?? null;
  }

  getRoot(): obsidian.TFolder {
    return this.root;
  }

  async create(path: string, data: string, options?: obsidian.DataWriteOptions): Promise<obsidian.TFile> {
    return this.createFile(path, this.encoder.encode(data), options);
  }

  async createBinary(path: string, data: ArrayBuffer, options?: obsidian.DataWriteOptions): Promise<obsidian.TFile> {
    return this.createFile(path, new Uint8Array(data.slice(0)), options);
  }

  async createFolder(path: string): Promise<obsidian.TFolder> {
    await Promise.resolve();
    if (this.index.has(path)) throw new Error("Folder already exists.");
    const folder = new TFolder(this, path);
    this.attach(folder);
    this.trigger("create", folder);
    return folder;
  }

  async read(file: obsidian.TFile): Promise<string> {
    await Promise.resolve();
    return this.decoder.decode(this.contentOf(file));
  }

  cachedRead(file: obsidian.TFile): Promise<string> {
    return this.read(file);
  }

  async readBinary(file: obsidian.TFile): Promise<ArrayBuffer> {
    await Promise.resolve();
    return this.contentOf(file).slice().buffer;
  }

  getResourcePath(file: obsidian.TFile): string {
    return `app://stub/${file.path}`;
  }

  async delete(file: obsidian.TAbstractFile): Promise<void> {
    await Promise.resolve();
    const found = this.indexed(file);
    this.forget(found);
    this.trigger("delete", found);
  }

  async trash(file: obsidian.TAbstractFile, system: boolean): Promise<void> {
    await this.discard(file, system);
  }

  /** Moves a file to the system trash or to `.trash/` (stand-in only: what trash and trashFile share). */
  async discard(file: obsidian.TAbstractFile, system: boolean): Promise<void> {
    await Promise.resolve();
    const found = this.indexed(file);
    if (!(found instanceof TFile)) throw notStubbed("Vault.trash of a folder");
    const data = this.contentOf(found);
    if (system) {
      this.systemTrash.push({ path: found.path, data });
    } else {
      let index = 0;
      while (this.hidden.has(`.trash/${numberedName(found.name, index)}`)) index++;
      this.hidden.set(`.trash/${numberedName(found.name, index)}`, data);
    }
    this.forget(found);
    this.trigger("delete", found);
  }

  async rename(file: obsidian.TAbstractFile, newPath: string): Promise<void> {
    await Promise.resolve();
    const found = this.indexed(file);
    if (this.index.has(newPath)) throw new Error("Destination file already exists!");
    this.parentOf(newPath);
    const oldPath = found.path;
    const moved = this.detach(found).filter((f) => f !== found);
    found.relocate(newPath);
    this.attach(found);
    for (const inner of moved) {
      inner.relocate(newPath + inner.path.slice(oldPath.length));
      this.index.set(inner.path, inner);
    }
    this.trigger("rename", found, oldPath);
  }

  async modify(file: obsidian.TFile, data: string, options?: obsidian.DataWriteOptions): Promise<void> {
    await Promise.resolve();
    this.store(this.fileOf(file), this.encoder.encode(data), options);
  }

  async modifyBinary(file: obsidian.TFile, data: ArrayBuffer, options?: obsidian.DataWriteOptions): Promise<void> {
    await Promise.resolve();
    this.store(this.fileOf(file), new Uint8Array(data.slice(0)), options);
  }

  async append(file: obsidian.TFile, data: string, options?: obsidian.DataWriteOptions): Promise<void> {
    await this.appendBinary(file, this.encoder.encode(data).slice().buffer, options);
  }

  async appendBinary(file: obsidian.TFile, data: ArrayBuffer, options?: obsidian.DataWriteOptions): Promise<void> {
    await Promise.resolve();
    const found = this.fileOf(file);
    const before = this.contentOf(found);
    const after = new Uint8Array(before.length + data.byteLength);
    after.set(before);
    after.set(new Uint8Array(data), before.length);
    this.store(found, after, options);
  }

  async process(file: obsidian.TFile, fn: (data: string) => string, options?: obsidian.DataWriteOptions): Promise<string> {
    await Promise.resolve();
    // No await between reading and writing: Obsidian documents process as atomic.
    const found = this.fileOf(file);
    const next = fn(this.decoder.decode(this.contentOf(found)));
    this.store(found, this.encoder.encode(next), options);
    return next;
  }

  copy<T extends obsidian.TAbstractFile>(): Promise<T> {
    return Promise.reject(notStubbed("Vault.copy"));
  }

  getAllLoadedFiles(): obsidian.TAbstractFile[] {
    return [...this.index.values()];
  }

  getAllFolders(includeRoot?: boolean): obsidian.TFolder[] {
    return [...this.index.values()].filter((f): f is TFolder => f instanceof TFolder && (includeRoot === true || f !== this.root));
  }

  getMarkdownFiles(): obsidian.TFile[] {
    return this.getFiles().filter((f) => f.extension === "md");
  }

  getFiles(): obsidian.TFile[] {
    return [...this.index.values()].filter((f): f is TFile => f instanceof TFile);
  }

  private async createFile(path: string, data: Uint8Array, options?: obsidian.DataWriteOptions): Promise<TFile> {
    await Promise.resolve();
    if (this.index.has(path)) throw new Error("File already exists.");
    const time = this.now();
    const file = new TFile(this, path, { ctime: options?.ctime ?? time, mtime: options?.mtime ?? time, size: data.length });
    this.attach(file);
    this.contents.set(file, data);
    this.trigger("create", file);
    return file;
  }

  private store(file: TFile, data: Uint8Array, options?: obsidian.DataWriteOptions): void {
    this.contents.set(file, data);
    file.stat = { ctime: options?.ctime ?? file.stat.ctime, mtime: options?.mtime ?? this.now(), size: data.length };
    this.trigger("modify", file);
  }

  /** The indexed object behind `file`; a stale or foreign one fails as a vanished file does on disk. */
  private indexed(file: obsidian.TAbstractFile): TAbstractFile {
    const found = this.index.get(file.path);
    if (found === undefined || found !== file) throw new Error(`ENOENT: no such file or directory, '${file.path}'`);
    return found;
  }

  private fileOf(file: obsidian.TFile): TFile {
    const found = this.indexed(file);
    if (!(found instanceof TFile)) throw new Error(`EISDIR: illegal operation on a directory, '${file.path}'`);
    return found;
  }

  private contentOf(file: obsidian.TFile): Uint8Array {
    const data = this.contents.get(this.fileOf(file));
    if (data === undefined) throw new Error(`ENOENT: no such file or directory, '${file.path}'`);
    return data;
  }

  /** The folder that will hold `path`; like the disk under Obsidian, it must exist already. */
  private parentOf(path: string): TFolder {
    const slash = path.lastIndexOf("/");
    const parent = this.index.get(slash === -1 ? "/" : path.slice(0, slash));
    if (!(parent instanceof TFolder)) throw new Error(`ENOENT: no such file or directory, '${path}'`);
    return parent;
  }

  private attach(file: TAbstractFile): void {
    const parent = this.parentOf(file.path);
    file.parent = parent;
    parent.children.push(file);
    this.index.set(file.path, file);
  }

  /** Takes `file` and everything below it out of the tree; returns what it took. */
  private detach(file: TAbstractFile): TAbstractFile[] {
    const siblings = file.parent?.children ?? [];
    siblings.splice(siblings.indexOf(file), 1);
    file.parent = null;
    const taken = [...this.index.values()].filter((f) => f === file || f.path.startsWith(`${file.path}/`));
    for (const gone of taken) this.index.delete(gone.path);
    return taken;
  }

  /** Removes `file` and everything below it, content included. */
  private forget(file: TAbstractFile): void {
    for (const gone of this.detach(file)) if (gone instanceof TFile) this.contents.delete(gone);
  }
}

export class FileManager implements obsidian.FileManager {
  private readonly vault: Vault;

  constructor(vault: Vault) {
    this.vault = vault;
  }

  getNewFileParent(): obsidian.TFolder {
    return this.vault.getRoot();
  }

  /** Obsidian also rewrites links to the file; the stand-in has no links to rewrite. */
  async renameFile(file: obsidian.TAbstractFile, newPath: string): Promise<void> {
    await this.vault.rename(file, newPath);
  }

  async promptForDeletion(file: obsidian.TAbstractFile): Promise<boolean> {
    await this.trashFile(file);
    return true;
  }

  /** As with Obsidian's "Deleted files: move to Obsidian trash" setting: into `.trash/`. */
  async trashFile(file: obsidian.TAbstractFile): Promise<void> {
    await this.vault.discard(file, false);
  }

  generateMarkdownLink(file: obsidian.TFile): string {
    return `[[${file.basename}]]`;
  }

  processFrontMatter(): Promise<void> {
    return Promise.reject(notStubbed("FileManager.processFrontMatter"));
  }

  async getAvailablePathForAttachment(filename: string): Promise<string> {
    await Promise.resolve();
    return filename;
  }
}

/** The parts of Obsidian's App a test needs, typed against the real App. */
export interface StubApp {
  vault: Vault;
  fileManager: FileManager;
}

export function createStubApp(options: StubVaultOptions = {}): StubApp {
  const vault = new Vault(options);
  return { vault, fileManager: new FileManager(vault) } satisfies Pick<obsidian.App, "vault" | "fileManager">;
}
