/**
 * A small in-memory stand-in for the runtime of the `obsidian` module, which ships types only. vitest
 * aliases `obsidian` to this file (vitest.config.ts), so plugin code under test gets these classes, and
 * each class `implements` the real type from `obsidian.d.ts`, so the stand-in cannot drift from the API
 * the plugin compiles against. The exception is UI that needs a DOM, which Node has not: Modal is checked
 * against the real Modal except for its elements (StubElements) and the setters returning it. Why not
 * obsidian-test-mocks: docs/decisions/0001-obsidian-stand-in.md.
 *
 * Where Obsidian's behaviour matters to the vault port it is modelled strictly (create refuses an existing
 * path and a missing parent folder, rename refuses a taken target, TFile.stat follows every write, text is
 * UTF-8 bytes so text and binary reads see one file, process is atomic). Members nothing uses yet throw a
 * "not part of the stand-in" error instead of returning a guess.
 */
import type * as obsidian from "obsidian";
import { parse } from "yaml";
import { numberedName } from "../../shared/vault/vault-files";
import { Leaves, type View } from "./ui";

export {
  BaseComponent, ButtonComponent, DropdownComponent, ExtraButtonComponent, ItemView, PluginSettingTab, SecretComponent,
  Setting, SliderComponent, TextAreaComponent, TextComponent, ToggleComponent, View, WorkspaceLeaf, setIcon,
} from "./ui";

function notStubbed(member: string): Error {
  return new Error(`${member} is not part of the Obsidian stand-in; add it to test/obsidian-stub when a test needs it`);
}

/**
 * A method nothing uses yet, for the classes with dozens of them (App, Workspace, Plugin): one line each
 * keeps the stand-in readable. `(...args: unknown[]) => never` fits any method signature, overloads and
 * generics included, so `implements` still checks that every member of the real class is present.
 */
function unstubbed(member: string): (...args: unknown[]) => never {
  return () => {
    throw notStubbed(member);
  };
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

/** Which Events object issued each EventRef, so Component.registerEvent can detach it on unload. */
const eventSources = new WeakMap<obsidian.EventRef, Events>();

/** Detaches an EventRef from the Events object that issued it (for the stand-in's View). */
export function detachEventRef(ref: obsidian.EventRef): void {
  eventSources.get(ref)?.offref(ref);
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
    eventSources.set(handler, this);
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

  private hiddenAdapter: HiddenFilesAdapter | undefined;

  /**
   * Obsidian's vault does not index dot-folders (`.bookwright/`), so plugins keep such files through the
   * adapter. The stand-in's adapter holds exactly those hidden files, apart from the indexed notes.
   */
  get adapter(): obsidian.DataAdapter {
    this.hiddenAdapter ??= new HiddenFilesAdapter();
    return this.hiddenAdapter as unknown as obsidian.DataAdapter;
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
    return this.textOf(file);
  }

  /** The file's current text, synchronously (stand-in only: what the metadata cache indexes). */
  textOf(file: obsidian.TFile): string {
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

/**
 * The frontmatter Obsidian reads from a note: a YAML mapping between a first line `---` and the next
 * `---` line. Undefined without such a block, or when its YAML does not parse to a mapping. Parsed with
 * `yaml`, not with shared/book/frontmatter.ts, so plugin code is not tested against its own parser.
 */
function frontmatterIn(text: string): obsidian.FrontMatterCache | undefined {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== "---") return undefined;
  const end = lines.indexOf("---", 1);
  if (end === -1) return undefined;
  let data: unknown;
  try {
    data = parse(lines.slice(1, end).join("\n"));
  } catch {
    return undefined;
  }
  return data !== null && typeof data === "object" && !Array.isArray(data) ? data : undefined;
}

/**
 * Obsidian's metadata cache, reduced to frontmatter. Obsidian indexes a note some time after it changes
 * and then fires "changed"; the stand-in parses the note's current bytes on every call instead, so it is
 * never stale and fires nothing. A test of code that must cope with a lagging cache cannot use it.
 */
export class MetadataCache extends Events implements obsidian.MetadataCache {
  private readonly vault: Vault;

  constructor(vault: Vault) {
    super();
    this.vault = vault;
  }

  // Obsidian types each event's handler; a handler of any event fits `never[]`, which is all the real
  // class's overloads need from the stand-in, as nothing subscribes to these events yet.
  override on(name: string, callback: (...data: never[]) => unknown, ctx?: unknown): obsidian.EventRef {
    return this.register(name, callback, ctx);
  }

  getFileCache(file: obsidian.TFile): obsidian.CachedMetadata | null {
    // Only Markdown notes have metadata, and a file no longer in the vault has none.
    if (file.extension !== "md" || this.vault.getFileByPath(file.path) !== file) return null;
    const frontmatter = frontmatterIn(this.vault.textOf(file));
    return frontmatter === undefined ? {} : { frontmatter };
  }

  get resolvedLinks(): never {
    throw notStubbed("MetadataCache.resolvedLinks");
  }

  get unresolvedLinks(): never {
    throw notStubbed("MetadataCache.unresolvedLinks");
  }

  getCache = unstubbed("MetadataCache.getCache");
  getFirstLinkpathDest = unstubbed("MetadataCache.getFirstLinkpathDest");
  fileToLinktext = unstubbed("MetadataCache.fileToLinktext");
}

/** The workspace reduced to its active file, which tests set; it has no panes, leaves or views. */
export class Workspace extends Events implements obsidian.Workspace {
  private activeFile: obsidian.TFile | null = null;
  /** Leaves and registered view types; set by App (the leaves need the app). */
  leaves!: Leaves;
  private ready = false;
  private readyCallbacks: (() => unknown)[] = [];
  /** Links opened through openLinkText, oldest first (stand-in only). */
  readonly openedLinks: { linktext: string; sourcePath: string }[] = [];

  /** Runs now once the layout is ready, else when `finishLayout` is called (stand-in only), as Obsidian does at start. */
  onLayoutReady(callback: () => unknown): void {
    if (this.ready) void callback();
    else this.readyCallbacks.push(callback);
  }

  /** Stand-in only: the moment Obsidian finishes restoring the layout after start. */
  finishLayout(): void {
    this.ready = true;
    for (const cb of this.readyCallbacks.splice(0)) void cb();
  }

  get layoutReady(): boolean {
    return this.ready;
  }

  // The stand-in's leaves are typed as Obsidian's so App stays assignable to obsidian.App; a test that
  // wants the stand-in's extras (the view, the side) casts back to ./ui's WorkspaceLeaf.
  getLeavesOfType(type: string): obsidian.WorkspaceLeaf[] {
    return this.leaves.ofType(type) as unknown as obsidian.WorkspaceLeaf[];
  }

  getRightLeaf(_split: boolean): obsidian.WorkspaceLeaf {
    return this.leaves.make("right") as unknown as obsidian.WorkspaceLeaf;
  }

  getLeftLeaf(_split: boolean): obsidian.WorkspaceLeaf {
    return this.leaves.make("left") as unknown as obsidian.WorkspaceLeaf;
  }

  getLeaf(_newLeaf?: unknown): obsidian.WorkspaceLeaf {
    return this.leaves.make("main") as unknown as obsidian.WorkspaceLeaf;
  }

  revealLeaf(_leaf: obsidian.WorkspaceLeaf): Promise<void> {
    return Promise.resolve();
  }

  detachLeavesOfType(type: string): void {
    for (const leaf of this.leaves.ofType(type)) leaf.detach();
  }

  getActiveViewOfType<T>(type: abstract new (...args: never[]) => T): T | null {
    const view = this.leaves.all.map((l) => l.view).find((v): v is View => v instanceof type);
    return (view as T | undefined) ?? null;
  }

  openLinkText(linktext: string, sourcePath: string): Promise<void> {
    this.openedLinks.push({ linktext, sourcePath });
    return Promise.resolve();
  }

  getActiveFile(): obsidian.TFile | null {
    return this.activeFile;
  }

  /** Makes `file` the note in the focused pane, as the user would by opening it (stand-in only). */
  setActiveFile(file: obsidian.TFile | null): void {
    this.activeFile = file;
  }

  // Obsidian types each event's handler; a handler of any event fits `never[]`, which is all the real
  // class's overloads need from the stand-in, as nothing subscribes to these events yet.
  override on(name: string, callback: (...data: never[]) => unknown, ctx?: unknown): obsidian.EventRef {
    return this.register(name, callback, ctx);
  }

  get leftSplit(): never { throw notStubbed("Workspace.leftSplit"); }
  get rightSplit(): never { throw notStubbed("Workspace.rightSplit"); }
  get leftRibbon(): never { throw notStubbed("Workspace.leftRibbon"); }
  get rightRibbon(): never { throw notStubbed("Workspace.rightRibbon"); }
  get rootSplit(): never { throw notStubbed("Workspace.rootSplit"); }
  get activeLeaf(): never { throw notStubbed("Workspace.activeLeaf"); }
  get containerEl(): never { throw notStubbed("Workspace.containerEl"); }
  get requestSaveLayout(): never { throw notStubbed("Workspace.requestSaveLayout"); }
  get activeEditor(): never { throw notStubbed("Workspace.activeEditor"); }

  changeLayout = unstubbed("Workspace.changeLayout");
  getLayout = unstubbed("Workspace.getLayout");
  createLeafInParent = unstubbed("Workspace.createLeafInParent");
  createLeafBySplit = unstubbed("Workspace.createLeafBySplit");
  splitActiveLeaf = unstubbed("Workspace.splitActiveLeaf");
  duplicateLeaf = unstubbed("Workspace.duplicateLeaf");
  getUnpinnedLeaf = unstubbed("Workspace.getUnpinnedLeaf");
  moveLeafToPopout = unstubbed("Workspace.moveLeafToPopout");
  openPopoutLeaf = unstubbed("Workspace.openPopoutLeaf");
  setActiveLeaf = unstubbed("Workspace.setActiveLeaf");
  getLeafById = unstubbed("Workspace.getLeafById");
  getGroupLeaves = unstubbed("Workspace.getGroupLeaves");
  getMostRecentLeaf = unstubbed("Workspace.getMostRecentLeaf");
  ensureSideLeaf = unstubbed("Workspace.ensureSideLeaf");
  iterateRootLeaves = unstubbed("Workspace.iterateRootLeaves");
  iterateAllLeaves = unstubbed("Workspace.iterateAllLeaves");
  getLastOpenFiles = unstubbed("Workspace.getLastOpenFiles");
  updateOptions = unstubbed("Workspace.updateOptions");
  handleLinkContextMenu = unstubbed("Workspace.handleLinkContextMenu");
}

/** The part of Obsidian's DataAdapter plugins use for hidden files, in memory; folders are implied. */
export class HiddenFilesAdapter {
  readonly files = new Map<string, string>();

  getName(): string {
    return "stub-adapter";
  }
  exists(path: string): Promise<boolean> {
    const prefix = `${path}/`;
    return Promise.resolve(this.files.has(path) || [...this.files.keys()].some((p) => p.startsWith(prefix)));
  }
  read(path: string): Promise<string> {
    const text = this.files.get(path);
    return text === undefined ? Promise.reject(new Error(`ENOENT: no such file, open '${path}'`)) : Promise.resolve(text);
  }
  write(path: string, data: string): Promise<void> {
    this.files.set(path, data);
    return Promise.resolve();
  }
  mkdir(_path: string): Promise<void> {
    return Promise.resolve();
  }
  remove(path: string): Promise<void> {
    if (!this.files.delete(path)) return Promise.reject(new Error(`ENOENT: no such file, unlink '${path}'`));
    return Promise.resolve();
  }
  /** Refuses an existing target, as Obsidian's desktop adapter does on some systems; callers remove it first. */
  rename(from: string, to: string): Promise<void> {
    const text = this.files.get(from);
    if (text === undefined) return Promise.reject(new Error(`ENOENT: no such file, rename '${from}'`));
    if (this.files.has(to)) return Promise.reject(new Error(`EEXIST: file already exists, rename '${from}' -> '${to}'`));
    this.files.delete(from);
    this.files.set(to, text);
    return Promise.resolve();
  }
  list(folder: string): Promise<{ files: string[]; folders: string[] }> {
    const prefix = folder === "" || folder === "/" ? "" : `${folder}/`;
    return Promise.resolve({ files: [...this.files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/")), folders: [] });
  }
}

/** Obsidian's SecretStorage: ids are lowercase letters, digits and dashes; values never reach data.json. */
export class SecretStorage extends Events implements obsidian.SecretStorage {
  private readonly secrets = new Map<string, string>();

  setSecret(id: string, secret: string): void {
    if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`Invalid secret id "${id}": lowercase letters, digits and dashes only`);
    this.secrets.set(id, secret);
  }

  getSecret(id: string): string | null {
    return this.secrets.get(id) ?? null;
  }

  listSecrets(): string[] {
    return [...this.secrets.keys()].sort();
  }
}

/** Obsidian's App with a working vault, file manager, metadata cache and workspace. */
export class App implements obsidian.App {
  readonly vault: Vault;
  readonly fileManager: FileManager;
  readonly metadataCache: MetadataCache;
  readonly workspace = new Workspace();

  readonly secretStorage = new SecretStorage();
  /** Obsidian keeps these per vault and per device, outside the synced plugin data. */
  private readonly localStorage = new Map<string, unknown>();

  constructor(options: StubVaultOptions = {}) {
    this.vault = new Vault(options);
    this.fileManager = new FileManager(this.vault);
    this.metadataCache = new MetadataCache(this.vault);
    this.workspace.leaves = new Leaves(this);
  }

  loadLocalStorage(key: string): unknown {
    return this.localStorage.has(key) ? this.localStorage.get(key) : null;
  }

  saveLocalStorage(key: string, data: unknown): void {
    if (data === null || data === undefined) this.localStorage.delete(key);
    else this.localStorage.set(key, data);
  }

  get keymap(): never { throw notStubbed("App.keymap"); }
  get scope(): never { throw notStubbed("App.scope"); }
  get lastEvent(): never { throw notStubbed("App.lastEvent"); }
  get renderContext(): never { throw notStubbed("App.renderContext"); }

  isDarkMode(): boolean {
    return false;
  }
}

/** The stand-in App; the name predates the class and is kept for the tests that use it. */
export type StubApp = App;

export function createStubApp(options: StubVaultOptions = {}): StubApp {
  return new App(options);
}

/**
 * Lifecycle and cleanup as plugins see them: load runs onload once, unload runs onunload and then undoes
 * everything registered. load does not wait for a promise onload returns (a plugin's onload may be
 * async); a test of an async onload awaits `plugin.onload()` itself.
 */
export class Component implements obsidian.Component {
  private loaded = false;
  /** What unload undoes: registered callbacks, detached events, removed commands. */
  private readonly cleanups: (() => unknown)[] = [];

  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.onload();
  }

  onload(): void {
    // Nothing by default: subclasses override it, as with Obsidian's Component.
  }

  unload(): void {
    if (!this.loaded) return;
    this.loaded = false;
    this.onunload();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  onunload(): void {
    // Nothing by default: subclasses override it, as with Obsidian's Component.
  }

  register(cb: () => unknown): void {
    this.cleanups.push(cb);
  }

  registerEvent(eventRef: obsidian.EventRef): void {
    const source = eventSources.get(eventRef);
    // Obsidian would fail later, on unload; failing here names the mistake.
    if (source === undefined) throw new Error("registerEvent: the EventRef did not come from an Events object of the stand-in");
    this.register(() => source.offref(eventRef));
  }

  registerDomEvent(el: EventTarget, type: string, callback: (evt: Event) => unknown): void {
    el.addEventListener(type, callback);
    this.register(() => el.removeEventListener(type, callback));
  }

  registerInterval(id: number): number {
    this.register(() => clearInterval(id));
    return id;
  }

  addChild = unstubbed("Component.addChild");
  removeChild = unstubbed("Component.removeChild");
}

/** Abstract as Obsidian's is: a test declares its own subclass, or builds the plugin under test. */
export abstract class Plugin extends Component implements obsidian.Plugin {
  app: obsidian.App;
  manifest: obsidian.PluginManifest;
  settings?: unknown;
  /** The commands this plugin has added and not yet removed, as addCommand returned them (stand-in only). */
  readonly commands: obsidian.Command[] = [];

  constructor(app: obsidian.App, manifest: obsidian.PluginManifest) {
    super();
    this.app = app;
    this.manifest = manifest;
  }

  /**
   * Records the command. As obsidian.d.ts documents, Obsidian prefixes its id and name with the plugin's
   * ("bookwright:show-book-stats", "Bookwright: Show book stats"), and drops it when the plugin unloads.
   */
  addCommand(command: obsidian.Command): obsidian.Command {
    command.id = `${this.manifest.id}:${command.id}`;
    command.name = `${this.manifest.name}: ${command.name}`;
    this.commands.push(command);
    this.register(() => this.commands.splice(this.commands.indexOf(command), 1));
    return command;
  }

  /** Status bar items this plugin added (stand-in only). */
  readonly statusBarItems: HTMLElement[] = [];
  /** Setting tabs this plugin added (stand-in only). */
  readonly settingTabs: obsidian.PluginSettingTab[] = [];
  /** What saveData last stored, as JSON (stand-in only; set it before onload to simulate saved data). */
  storedData: string | null = null;

  addStatusBarItem(): HTMLElement {
    const el = document.createElement("div");
    el.className = "status-bar-item";
    this.statusBarItems.push(el);
    this.register(() => el.remove());
    return el;
  }

  addSettingTab(tab: obsidian.PluginSettingTab): void {
    this.settingTabs.push(tab);
  }

  registerView(type: string, viewCreator: obsidian.ViewCreator): void {
    const leaves = (this.app.workspace as unknown as Workspace).leaves;
    leaves.creators.set(type, viewCreator as unknown as (leaf: import("./ui").WorkspaceLeaf) => View);
    this.register(() => leaves.creators.delete(type));
  }

  loadData(): Promise<unknown> {
    return Promise.resolve(this.storedData === null ? null : JSON.parse(this.storedData));
  }

  saveData(data: unknown): Promise<void> {
    this.storedData = JSON.stringify(data);
    return Promise.resolve();
  }

  addRibbonIcon = unstubbed("Plugin.addRibbonIcon");
  removeCommand = unstubbed("Plugin.removeCommand");
  registerHoverLinkSource = unstubbed("Plugin.registerHoverLinkSource");
  registerExtensions = unstubbed("Plugin.registerExtensions");
  registerMarkdownPostProcessor = unstubbed("Plugin.registerMarkdownPostProcessor");
  registerMarkdownCodeBlockProcessor = unstubbed("Plugin.registerMarkdownCodeBlockProcessor");
  registerBasesView = unstubbed("Plugin.registerBasesView");
  registerEditorExtension = unstubbed("Plugin.registerEditorExtension");
  registerObsidianProtocolHandler = unstubbed("Plugin.registerObsidianProtocolHandler");
  registerEditorSuggest = unstubbed("Plugin.registerEditorSuggest");
  registerCliHandler = unstubbed("Plugin.registerCliHandler");
  onUserEnable = unstubbed("Plugin.onUserEnable");
}

/** The commands a plugin typed as Obsidian's own (BookwrightPlugin, say) has added through the stand-in. */
export function commandsOf(plugin: obsidian.Plugin): obsidian.Command[] {
  if (!(plugin instanceof Plugin)) throw new Error("commandsOf: the plugin was not built on the stand-in's Plugin");
  return plugin.commands;
}

export class Notice implements obsidian.Notice {
  /** Every message shown since the last reset, oldest first (stand-in only). Reset it before each test. */
  static readonly messages: string[] = [];

  static reset(): void {
    Notice.messages.length = 0;
  }

  // Obsidian's second parameter, the duration, changes nothing a test can see, so it is not taken.
  constructor(message: string | DocumentFragment) {
    if (typeof message !== "string") throw notStubbed("Notice with a DocumentFragment");
    Notice.messages.push(message);
  }

  get noticeEl(): never { throw notStubbed("Notice.noticeEl"); }
  get containerEl(): never { throw notStubbed("Notice.containerEl"); }
  get messageEl(): never { throw notStubbed("Notice.messageEl"); }

  setMessage = unstubbed("Notice.setMessage");
  hide = unstubbed("Notice.hide");
}

/**
 * Just enough of an element to read back what a modal shows: a tag, classes, text and children, built
 * with Obsidian's `createEl`, `setText` and `empty`. Not an HTMLElement: there is no DOM here (no jsdom),
 * and none of that type's hundreds of members could be real without one.
 */
export class StubElement {
  readonly tag: string;
  readonly classes: string[] = [];
  readonly children: StubElement[] = [];
  private ownText = "";

  constructor(tag: string) {
    this.tag = tag;
  }

  /** Like textContent: this element's own text, then its children's, in document order. */
  get text(): string {
    return this.ownText + this.children.map((child) => child.text).join("");
  }

  createEl<K extends keyof HTMLElementTagNameMap>(tag: K, o?: DomElementInfo | string, callback?: (el: StubElement) => void): StubElement {
    if (typeof o === "string") throw notStubbed("createEl with a class string");
    const { cls, text, ...others } = o ?? {};
    const unsupported = Object.keys(others);
    if (unsupported.length > 0) throw notStubbed(`createEl option ${unsupported.join(", ")}`);
    const el = new StubElement(tag);
    if (cls !== undefined) el.classes.push(...(typeof cls === "string" ? cls.split(/\s+/).filter((c) => c !== "") : cls));
    if (text !== undefined) el.setText(text);
    this.children.push(el);
    callback?.(el);
    return el;
  }

  /** Obsidian's setText: the text replaces everything the element held. */
  setText(text: string | DocumentFragment): void {
    if (typeof text !== "string") throw notStubbed("setText with a DocumentFragment");
    this.empty();
    this.ownText = text;
  }

  empty(): void {
    this.children.length = 0;
    this.ownText = "";
  }

  hasClass(cls: string): boolean {
    return this.classes.includes(cls);
  }

  /** Every element below this one with the tag, in document order (stand-in only; Obsidian's findAll takes CSS). */
  findAllByTag(tag: string): StubElement[] {
    return this.children.flatMap((child) => [...(child.tag === tag ? [child] : []), ...child.findAllByTag(tag)]);
  }
}

/** The real Modal's elements are HTMLElements, which the stand-in does not have (see StubElement). */
type ModalElements = "containerEl" | "modalEl" | "titleEl" | "contentEl";
/** These return `this`, which in the real type is a Modal with HTMLElements, so they cannot be checked either. */
type ReturnsModal = "setTitle" | "setContent" | "setCloseCallback";

/**
 * Obsidian's Modal without a DOM. It cannot `implements` the real Modal, because its title and content
 * are StubElements, not HTMLElements; it implements the rest, so tsc still catches drift there. open and
 * close call onOpen and onClose synchronously, as Obsidian does.
 */
export class Modal implements Omit<obsidian.Modal, ModalElements | ReturnsModal> {
  /** The modals open now, oldest first (stand-in only). Reset it before each test. */
  static readonly showing: Modal[] = [];

  static reset(): void {
    Modal.showing.length = 0;
  }

  app: obsidian.App;
  /**
   * StubElements without a DOM; with one (happy-dom, Chromium) real elements inside a `.modal` that open
   * puts in the document, so DOM tests can type into a modal's inputs and press its buttons. Tests in a
   * DOM read them as `modal.contentEl as unknown as HTMLElement`.
   */
  readonly titleEl: StubElement;
  readonly contentEl: StubElement;
  private readonly domContainer: HTMLElement | null;

  constructor(app: obsidian.App) {
    this.app = app;
    if (typeof document === "undefined") {
      this.titleEl = new StubElement("div");
      this.contentEl = new StubElement("div");
      this.domContainer = null;
    } else {
      const container = document.createElement("div");
      container.className = "modal-container";
      const modal = document.createElement("div");
      modal.className = "modal";
      const title = document.createElement("div");
      title.className = "modal-title";
      const content = document.createElement("div");
      content.className = "modal-content";
      modal.append(title, content);
      container.appendChild(modal);
      this.domContainer = container;
      this.titleEl = title as unknown as StubElement;
      this.contentEl = content as unknown as StubElement;
    }
  }

  get containerEl(): HTMLElement {
    if (!this.domContainer) throw notStubbed("Modal.containerEl without a DOM");
    return this.domContainer;
  }
  get modalEl(): HTMLElement {
    if (!this.domContainer) throw notStubbed("Modal.modalEl without a DOM");
    return this.domContainer.firstElementChild as HTMLElement;
  }
  get scope(): never { throw notStubbed("Modal.scope"); }
  get shouldRestoreSelection(): never { throw notStubbed("Modal.shouldRestoreSelection"); }

  open(): void {
    Modal.showing.push(this);
    if (this.domContainer) document.body.appendChild(this.domContainer);
    void this.onOpen();
  }

  close(): void {
    const index = Modal.showing.indexOf(this);
    if (index === -1) return;
    Modal.showing.splice(index, 1);
    this.onClose();
    this.domContainer?.remove();
  }

  onOpen(): Promise<void> | void {
    // Nothing by default: subclasses fill contentEl here.
  }

  onClose(): void {
    // Nothing by default: subclasses usually empty contentEl here.
  }

  setTitle(title: string): this {
    if (this.domContainer) (this.titleEl as unknown as HTMLElement).textContent = title;
    else this.titleEl.setText(title);
    return this;
  }

  setContent = unstubbed("Modal.setContent");
  setCloseCallback = unstubbed("Modal.setCloseCallback");
}

/**
 * Obsidian's SuggestModal over the stand-in's Modal, with a DOM only (happy-dom, Chromium): a text input
 * above the modal's content and one `.suggestion-item` per suggestion, drawn on open and on every input.
 * Clicking an item (or calling selectSuggestion) closes the modal, then calls onChooseSuggestion, in
 * Obsidian's order. `suggestionsShown` resolves once the list for the current input is drawn.
 */
export abstract class SuggestModal<T> extends Modal {
  limit = 100;
  emptyStateText = "No results found.";
  readonly inputEl: HTMLInputElement;
  readonly resultContainerEl: HTMLElement;
  /** The suggestions drawn last (stand-in only). */
  shown: T[] = [];
  private drawing: Promise<void> = Promise.resolve();

  constructor(app: obsidian.App) {
    super(app);
    if (typeof document === "undefined") throw notStubbed("SuggestModal without a DOM");
    this.inputEl = document.createElement("input");
    this.inputEl.className = "prompt-input";
    this.inputEl.type = "text";
    this.resultContainerEl = document.createElement("div");
    this.resultContainerEl.className = "prompt-results";
    this.modalEl.prepend(this.inputEl, this.resultContainerEl);
    this.inputEl.addEventListener("input", () => void this.update());
  }

  abstract getSuggestions(query: string): T[] | Promise<T[]>;
  abstract renderSuggestion(value: T, el: HTMLElement): void;
  abstract onChooseSuggestion(item: T, evt: MouseEvent | KeyboardEvent): void;

  override open(): void {
    super.open();
    void this.update();
  }

  setPlaceholder(placeholder: string): void {
    this.inputEl.placeholder = placeholder;
  }

  setInstructions(_instructions: obsidian.Instruction[]): void {
    // Obsidian shows them under the list; nothing reads them in the stand-in.
  }

  onNoSuggestion(): void {
    this.resultContainerEl.replaceChildren();
    const empty = document.createElement("div");
    empty.className = "suggestion-empty";
    empty.textContent = this.emptyStateText;
    this.resultContainerEl.appendChild(empty);
  }

  selectSuggestion(value: T, evt: MouseEvent | KeyboardEvent): void {
    this.close();
    this.onChooseSuggestion(value, evt);
  }

  selectActiveSuggestion(evt: MouseEvent | KeyboardEvent): void {
    const first = this.shown[0];
    if (first !== undefined) this.selectSuggestion(first, evt);
  }

  /** Resolves when the suggestions for the input as it is now are drawn (stand-in only). */
  async suggestionsShown(): Promise<T[]> {
    await this.drawing;
    return this.shown;
  }

  private update(): Promise<void> {
    this.drawing = (async () => {
      const found = (await this.getSuggestions(this.inputEl.value)).slice(0, this.limit);
      this.shown = found;
      if (found.length === 0) {
        this.onNoSuggestion();
        return;
      }
      this.resultContainerEl.replaceChildren();
      for (const value of found) {
        const item = document.createElement("div");
        item.className = "suggestion-item";
        this.renderSuggestion(value, item);
        item.addEventListener("click", (evt) => this.selectSuggestion(value, evt));
        this.resultContainerEl.appendChild(item);
      }
    })();
    return this.drawing;
  }
}

/** Desktop, as the tests run; a test of mobile behaviour sets `Platform.isMobile` itself and restores it. */
export const Platform = {
  isDesktop: true,
  isMobile: false,
  isDesktopApp: true,
  isMobileApp: false,
  isIosApp: false,
  isAndroidApp: false,
  isPhone: false,
  isTablet: false,
  isMacOS: false,
  isWin: false,
  isLinux: true,
  isSafari: false,
  resourcePathPrefix: "app://local/",
};

/**
 * Obsidian's requestUrl over the runtime's fetch: no CORS in the app, and here none is enforced either
 * (Node's fetch). With `throw: false` an error status is returned rather than thrown, as in Obsidian.
 */
export async function requestUrl(request: string | obsidian.RequestUrlParam): Promise<obsidian.RequestUrlResponse> {
  const params = typeof request === "string" ? { url: request } : request;
  // The stand-in of requestUrl itself: fetch is what it is built on here (lint's requestUrl advice is for plugins).
  const response = await fetch(params.url, {
    method: params.method ?? "GET",
    ...(params.headers ? { headers: params.headers } : {}),
    ...(params.body !== undefined ? { body: params.body as string } : {}),
  });
  const buffer = await response.arrayBuffer();
  const text = new TextDecoder().decode(buffer);
  if (params.throw !== false && response.status >= 400) throw new Error(`Request failed, status ${response.status}`);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  return {
    status: response.status,
    headers,
    arrayBuffer: buffer,
    text,
    get json(): unknown {
      return JSON.parse(text) as unknown;
    },
  };
}
