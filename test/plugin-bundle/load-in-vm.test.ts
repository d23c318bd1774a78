/**
 * The mobile guarantee: main.js, built as a release builds it, loads and starts where Obsidian mobile
 * runs it, with no Node. It is evaluated in a fresh `node:vm` context holding only the web-platform
 * globals a mobile WebView has (no `process`, `Buffer`, `global`, `__dirname`), through a `require` that
 * knows `obsidian` alone (plus `@codemirror/*` and `@lezer/*`, which Obsidian hands plugins on every
 * platform). `require("fs")`, `require("node:crypto")`, `require("electron")`… throw, naming the module.
 * ESLint's layer rules keep Node built-ins out of the source; this catches what they cannot see, such as
 * a dependency that pulls one in, or code that reaches for `process` or `Buffer` when the plugin loads.
 *
 * The `obsidian` module is a Proxy: the classes the plugin builds on are small working fakes (Plugin
 * records its commands, views and setting tabs), and any other export is a no-op class, so the test
 * follows the plugin as it grows without failing on API it has not been taught. `Platform` says mobile.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { clearInterval, clearTimeout, setInterval, setTimeout } from "node:timers";
import os from "node:os";
import path from "node:path";
import vm from "node:vm";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pluginBuildOptions, repoRoot } from "./build-plugin";

type AnyFunction = (...args: unknown[]) => unknown;
type Loose = Record<string | symbol, unknown>;

/** Not `.obsidian`: the config folder is the user's choice, and code that hardcodes it should fail here. */
const CONFIG_DIR = ".obsidian-mobile";

/** Modules Obsidian provides to plugins on mobile too; esbuild.config.mjs keeps them external for that reason. */
const PROVIDED_BY_OBSIDIAN = /^(obsidian|@codemirror\/[\w-]+|@lezer\/[\w-]+)$/;

/** Keys a lenient fake must not answer: `then` would make it look like a promise to `await`. */
function answers(key: string | symbol): key is string {
  return typeof key === "string" && key !== "then" && key !== "toJSON" && key !== "constructor";
}

/**
 * Stands in for any DOM element (or any object hanging off one): every property is another such
 * stand-in, and calling one returns one, so `el.createDiv().createEl("span").setText("…")` and
 * `el.classList.add("x")` all work. Assigned properties read back.
 */
function fakeElement(): unknown {
  const assigned = new Map<string | symbol, unknown>();
  const target = (() => undefined) as unknown as object;
  const el: unknown = new Proxy(target, {
    get: (_t, key) => (assigned.has(key) ? assigned.get(key) : answers(key) ? fakeElement() : undefined),
    set: (_t, key, value) => {
      assigned.set(key, value);
      return true;
    },
    apply: () => fakeElement(),
  });
  return el;
}

/** A prototype whose unknown methods do nothing and return `this`, so builder chains (`new Setting(el).setName(…)`) work. */
const lenientPrototype: object = new Proxy(
  {},
  {
    get: (_t, key, receiver: unknown) => (answers(key) ? function (this: unknown) { return this ?? receiver; } : undefined),
  },
);

/** What the fake Obsidian saw the plugin do. */
interface Recorded {
  commands: { id: string; name: string }[];
  views: string[];
  settingTabs: unknown[];
  layoutReady: (() => unknown)[];
  savedData: unknown[];
}

interface FakeFile {
  path: string;
  text: string;
}

/** The fake `obsidian` module, its classes bound to `recorded`. */
function obsidianModule(recorded: Recorded): { module: object; TFile: new (path: string, size: number) => object; TFolder: new (path: string) => { children: object[] } } {
  class Events {
    on(): object {
      return {};
    }
    off(): void {}
    offref(): void {}
    trigger(): void {}
    tryTrigger(): void {}
  }
  class Component {
    load(): void {
      (this as unknown as { onload(): unknown }).onload();
    }
    onload(): void {}
    unload(): void {
      (this as unknown as { onunload(): unknown }).onunload();
    }
    onunload(): void {}
    addChild<T>(child: T): T {
      return child;
    }
    removeChild<T>(child: T): T {
      return child;
    }
    register(): void {}
    registerEvent(): void {}
    registerDomEvent(): void {}
    registerInterval(id: number): number {
      return id;
    }
  }
  Object.setPrototypeOf(Component.prototype, lenientPrototype);
  Object.setPrototypeOf(Events.prototype, lenientPrototype);

  class Plugin extends Component {
    app: unknown;
    manifest: unknown;
    constructor(app: unknown, manifest: unknown) {
      super();
      this.app = app;
      this.manifest = manifest;
    }
    addCommand(command: { id: string; name: string }): unknown {
      recorded.commands.push(command);
      return command;
    }
    removeCommand(): void {}
    addRibbonIcon(): unknown {
      return fakeElement();
    }
    addStatusBarItem(): unknown {
      return fakeElement();
    }
    addSettingTab(tab: unknown): void {
      recorded.settingTabs.push(tab);
    }
    registerView(type: string): void {
      recorded.views.push(type);
    }
    registerExtensions(): void {}
    registerMarkdownPostProcessor(): void {}
    registerMarkdownCodeBlockProcessor(): void {}
    registerEditorExtension(): void {}
    registerEditorSuggest(): void {}
    registerObsidianProtocolHandler(): void {}
    registerHoverLinkSource(): void {}
    // Obsidian resolves null when the plugin has no data.json yet, as on a first start.
    loadData(): Promise<unknown> {
      return Promise.resolve(null);
    }
    saveData(data: unknown): Promise<void> {
      recorded.savedData.push(data);
      return Promise.resolve();
    }
  }
  class PluginSettingTab extends Component {
    containerEl = fakeElement();
    constructor(public app: unknown, public plugin: unknown) {
      super();
    }
  }
  class View extends Component {
    containerEl = fakeElement();
    contentEl = fakeElement();
    app: unknown;
    constructor(public leaf: { app?: unknown } | undefined) {
      super();
      this.app = leaf?.app;
    }
  }
  class Modal extends Component {
    containerEl = fakeElement();
    modalEl = fakeElement();
    titleEl = fakeElement();
    contentEl = fakeElement();
    constructor(public app: unknown) {
      super();
    }
  }
  class Setting {
    settingEl = fakeElement();
    nameEl = fakeElement();
    descEl = fakeElement();
    controlEl = fakeElement();
    constructor(public containerEl: unknown) {}
  }
  Object.setPrototypeOf(Setting.prototype, lenientPrototype);
  class Notice {
    noticeEl = fakeElement();
    constructor(public message: unknown) {}
    setMessage(): this {
      return this;
    }
    hide(): void {}
  }
  class TAbstractFile {
    name: string;
    parent: unknown = null;
    constructor(public path: string) {
      this.name = path.slice(path.lastIndexOf("/") + 1);
    }
  }
  class TFile extends TAbstractFile {
    basename: string;
    extension: string;
    stat: { ctime: number; mtime: number; size: number };
    constructor(path: string, size: number) {
      super(path);
      const dot = this.name.lastIndexOf(".");
      this.basename = dot > 0 ? this.name.slice(0, dot) : this.name;
      this.extension = dot > 0 ? this.name.slice(dot + 1) : "";
      this.stat = { ctime: 0, mtime: 0, size };
    }
  }
  class TFolder extends TAbstractFile {
    children: object[] = [];
    isRoot(): boolean {
      return this.path === "/";
    }
  }

  const known: Loose = {
    Events, Component, Plugin, PluginSettingTab, View, ItemView: View, FileView: View, MarkdownRenderChild: Component,
    Modal, Setting, Notice, TAbstractFile, TFile, TFolder,
    apiVersion: "1.11.4",
    requireApiVersion: () => true,
    Platform: {
      isDesktop: false, isMobile: true, isDesktopApp: false, isMobileApp: true, isIosApp: false, isAndroidApp: true,
      isPhone: true, isTablet: false, isMacOS: false, isWin: false, isLinux: false, isSafari: false,
    },
    normalizePath: (p: string) => p.replace(/[\\/]+/g, "/").replace(/^\/+|\/+$/g, "") || "/",
    debounce: (fn: AnyFunction) => Object.assign((...args: unknown[]) => void fn(...args), { cancel: () => undefined, run: () => undefined }),
    setIcon: () => undefined,
    requestUrl: () => Promise.reject(new Error("requestUrl: no network while the plugin loads in this test")),
  };
  const noOps = new Map<string, unknown>();
  /** Any export the fake does not know: a function usable as a class (`new`, `extends`) or called plainly. */
  const noOp = (name: string): unknown => {
    let value = noOps.get(name);
    if (value === undefined) {
      value = Object.defineProperty(function () { /* a no-op Obsidian export */ }, "name", { value: name });
      Object.setPrototypeOf((value as { prototype: object }).prototype, lenientPrototype);
      noOps.set(name, value);
    }
    return value;
  };
  const module = new Proxy(known, {
    get: (target, key) => {
      if (typeof key !== "string" || key === "then") return undefined;
      if (key === "__esModule") return true;
      return key in target ? target[key] : noOp(key);
    },
  });
  return { module, TFile, TFolder };
}

/** A small book (Book.md and two chapters) in a fake App with everything the plugin's onload may touch. */
function fakeApp(obsidian: ReturnType<typeof obsidianModule>, recorded: Recorded, context: vm.Context): object {
  const notes: FakeFile[] = [
    { path: "Novel/Book.md", text: "---\nbookwright: book\ntitle: Novel\nauthor: Test\nlanguage: en\n---\n" },
    { path: "Novel/Chapters/01 Start.md", text: "---\nbookwright: chapter\nchapter: 1\ntitle: Start\nstatus: written\n---\nIt began on a Tuesday.\n" },
    { path: "Novel/Chapters/02 End.md", text: "---\nbookwright: chapter\nchapter: 2\ntitle: End\nstatus: verified\n---\nIt ended, too.\n" },
  ];
  const encoder = new TextEncoder();
  const root = new obsidian.TFolder("/");
  const byPath = new Map<string, object>([["/", root]]);
  const texts = new Map<object, string>();
  const folder = (p: string): { children: object[] } => {
    const found = byPath.get(p);
    if (found) return found as { children: object[] };
    const made = new obsidian.TFolder(p);
    const slash = p.lastIndexOf("/");
    const parent = folder(slash === -1 ? "/" : p.slice(0, slash));
    Object.assign(made, { parent });
    parent.children.push(made);
    byPath.set(p, made);
    return made;
  };
  for (const note of notes) {
    const file = new obsidian.TFile(note.path, encoder.encode(note.text).length);
    const parent = folder(note.path.slice(0, note.path.lastIndexOf("/")));
    Object.assign(file, { parent });
    parent.children.push(file);
    byPath.set(note.path, file);
    texts.set(file, note.text);
  }
  // Bytes are handed over as the context's own ArrayBuffer, as Obsidian's would be in its one realm.
  const ContextUint8Array = vm.runInContext("Uint8Array", context) as Uint8ArrayConstructor;
  const textOf = (file: unknown): string => {
    const text = texts.get(file as object);
    if (text === undefined) throw new Error(`ENOENT: ${(file as { path?: string }).path}`);
    return text;
  };
  const files = (): object[] => [...texts.keys()];
  const lenient = <T extends object>(members: T): T =>
    new Proxy(members, { get: (t, key) => (key in t ? (t as Loose)[key] : answers(key) ? () => undefined : undefined) });
  const events = { on: () => ({}), off: () => undefined, offref: () => undefined, trigger: () => undefined };
  const secrets = new Map<string, string>();

  return lenient({
    vault: lenient({
      ...events,
      configDir: CONFIG_DIR,
      getName: () => "Mobile vault",
      getRoot: () => root,
      getFiles: files,
      getMarkdownFiles: files,
      getAllLoadedFiles: () => [...byPath.values()],
      getAbstractFileByPath: (p: string) => byPath.get(p) ?? null,
      getFileByPath: (p: string) => (texts.has(byPath.get(p) ?? {}) ? byPath.get(p) : null),
      getFolderByPath: (p: string) => (byPath.get(p) instanceof obsidian.TFolder ? byPath.get(p) : null),
      read: (file: unknown) => Promise.resolve(textOf(file)),
      cachedRead: (file: unknown) => Promise.resolve(textOf(file)),
      readBinary: (file: unknown) => Promise.resolve(new ContextUint8Array(encoder.encode(textOf(file))).buffer),
    }),
    metadataCache: lenient({ ...events, getFileCache: () => null, getCache: () => null }),
    fileManager: lenient({}),
    workspace: lenient({
      ...events,
      layoutReady: false,
      onLayoutReady: (callback: () => unknown) => {
        recorded.layoutReady.push(callback);
      },
      getActiveFile: () => null,
      getLeavesOfType: () => [],
      getActiveViewOfType: () => null,
      detachLeavesOfType: () => undefined,
      iterateAllLeaves: () => undefined,
    }),
    secretStorage: lenient({
      ...events,
      getSecret: (id: string) => secrets.get(id) ?? null,
      setSecret: (id: string, secret: string) => void secrets.set(id, secret),
      listSecrets: () => [...secrets.keys()],
    }),
    loadLocalStorage: () => null,
    saveLocalStorage: () => undefined,
    isDarkMode: () => false,
  });
}

/** The globals of a mobile WebView that plugin code may use; Node's own (process, Buffer, global, require) are left out. */
function mobileGlobals(timers: Set<ReturnType<typeof setTimeout>>, errors: unknown[][]): Loose {
  const document = fakeElement();
  return {
    console: { ...console, error: (...args: unknown[]) => void errors.push(args), warn: (...args: unknown[]) => void errors.push(args) },
    setTimeout: (fn: AnyFunction, ms?: number, ...args: unknown[]) => {
      const id = setTimeout(() => {
        timers.delete(id);
        fn(...args);
      }, ms);
      timers.add(id);
      return id;
    },
    clearTimeout: (id: ReturnType<typeof setTimeout>) => {
      timers.delete(id);
      clearTimeout(id);
    },
    setInterval: (fn: AnyFunction, ms?: number, ...args: unknown[]) => {
      const id = setInterval(fn, ms, ...args);
      timers.add(id);
      return id;
    },
    clearInterval: (id: ReturnType<typeof setInterval>) => {
      timers.delete(id);
      clearInterval(id);
    },
    queueMicrotask, structuredClone, atob, btoa,
    TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, AbortSignal, Event, EventTarget,
    // No fetch: the plugin's network goes through Obsidian's requestUrl (ESLint enforces it), which the fake rejects.
    Blob, performance, crypto,
    document, activeDocument: document,
    localStorage: { getItem: () => null, setItem: () => undefined, removeItem: () => undefined },
    navigator: { userAgent: "Mozilla/5.0 (Linux; Android 14) Obsidian mobile (test)", language: "en" },
  };
}

interface Loaded {
  exports: { default?: unknown };
  required: string[];
  recorded: Recorded;
  Plugin: AnyFunction;
  app: object;
  manifest: object;
  errors: unknown[][];
}

/** Evaluates `code` as Obsidian evaluates main.js: a function of (require, module, exports), in its own realm. */
function loadInVm(code: string, manifest: object): Loaded & { timers: Set<ReturnType<typeof setTimeout>> } {
  const recorded: Recorded = { commands: [], views: [], settingTabs: [], layoutReady: [], savedData: [] };
  const obsidian = obsidianModule(recorded);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const errors: unknown[][] = [];
  const context = vm.createContext(mobileGlobals(timers, errors));
  vm.runInContext("globalThis.window = globalThis; globalThis.self = globalThis; globalThis.activeWindow = globalThis;", context);
  const required: string[] = [];
  const requireStub = (name: string): unknown => {
    required.push(name);
    if (name === "obsidian") return obsidian.module;
    if (PROVIDED_BY_OBSIDIAN.test(name)) return new Proxy({}, { get: (_t, key) => (answers(key) ? fakeElement() : undefined) });
    throw new Error(`main.js required "${name}", which Obsidian on mobile does not have (only obsidian, @codemirror/* and @lezer/* are provided)`);
  };
  const module = { exports: {} as { default?: unknown } };
  const wrapper = vm.runInContext(`(function (require, module, exports) {${code}\n})`, context, { filename: "main.js" }) as AnyFunction;
  wrapper(requireStub, module, module.exports);
  return {
    exports: module.exports, required, recorded, timers, errors, manifest,
    Plugin: (obsidian.module as Loose).Plugin as AnyFunction,
    app: fakeApp(obsidian, recorded, context),
  };
}

/** Lets fire-and-forget work that onload or a callback started (a settings load, an index) run to its end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

describe("main.js on Obsidian mobile (a fresh vm realm, no Node)", () => {
  let dir: string;
  let code: string;
  const loaded: (Loaded & { timers: Set<ReturnType<typeof setTimeout>> })[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "bookwright-bundle-"));
    // The release build's options, writing into the temp folder: the repository's main.js is not touched.
    await esbuild.build({ ...(await pluginBuildOptions(true)), outfile: path.join(dir, "main.js") });
    code = await readFile(path.join(dir, "main.js"), "utf8");
  });

  afterAll(async () => {
    for (const l of loaded) for (const id of l.timers) clearTimeout(id);
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (): Promise<Loaded> => {
    const manifest = { ...(JSON.parse(await readFile(path.join(repoRoot, "manifest.json"), "utf8")) as object), dir: `${CONFIG_DIR}/plugins/bookwright` };
    const result = loadInVm(code, manifest);
    loaded.push(result);
    return result;
  };

  const construct = (l: Loaded): { onload(): unknown; onunload?(): unknown } => {
    const PluginClass = l.exports.default as new (app: object, manifest: object) => { onload(): unknown };
    return new PluginClass(l.app, l.manifest);
  };

  it("names no module but the ones Obsidian provides (the bundle text)", () => {
    // The copy of iconv-lite that fontkit carries inside itself names itself in two error messages, never
    // executed: "ACTION NEEDED: require('iconv-lite').extendNodeEncodings() is not supported…" and
    // "require('iconv-lite').undoExtendNodeEncodings(): Nothing to undo…".
    const withoutMessages = code.split("require('iconv-lite').extendNodeEncodings()").join("advice").split("require('iconv-lite').undoExtendNodeEncodings()").join("advice");
    const required = [...withoutMessages.matchAll(/\brequire\s*\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2]!);
    expect(required.filter((name) => !PROVIDED_BY_OBSIDIAN.test(name))).toEqual([]);
    expect(required).toContain("obsidian");
    // Any other form (a computed require, a dynamic import, a node: specifier anywhere) is suspect too.
    // One known mention is advice inside an error message of the SDK's file uploads, never executed:
    // "…set `globalThis.File` to `import('node:buffer').File`."
    const scanned = code.split("`import('node:buffer').File`").join("`advice`");
    expect(scanned.match(/\brequire\s*\(\s*[^"'`\s]/g) ?? []).toEqual([]);
    expect(scanned.match(/\bimport\s*\(\s*["'`][^"'`]+["'`]\s*\)/g) ?? []).toEqual([]);
    expect(scanned.match(/["'`]node:[a-z_/]+["'`]/g) ?? []).toEqual([]);
  });

  it("evaluates, requiring nothing but obsidian, and exports a Plugin subclass as default", async () => {
    const l = await load();
    expect(l.required.filter((name) => !PROVIDED_BY_OBSIDIAN.test(name))).toEqual([]);
    expect(typeof l.exports.default).toBe("function");
    const PluginClass = l.exports.default as AnyFunction;
    expect(Object.prototype.isPrototypeOf.call(l.Plugin.prototype, PluginClass.prototype)).toBe(true);
  });

  it("constructs with a mobile app and manifest, and onload neither throws nor requires a Node built-in", async () => {
    const l = await load();
    const before = l.required.length;
    const plugin = construct(l);
    await plugin.onload();
    await settle();
    expect(l.required.slice(before).filter((name) => !PROVIDED_BY_OBSIDIAN.test(name))).toEqual([]);
    expect(l.recorded.commands.length).toBeGreaterThan(0);
    expect(l.errors, "console.error/warn while loading").toEqual([]);
  });

  it("runs what onload deferred to onLayoutReady without throwing or requiring a Node built-in", async () => {
    const l = await load();
    const plugin = construct(l);
    await plugin.onload();
    const before = l.required.length;
    for (const callback of l.recorded.layoutReady) await callback();
    await settle();
    expect(l.required.slice(before).filter((name) => !PROVIDED_BY_OBSIDIAN.test(name))).toEqual([]);
    expect(l.errors, "console.error/warn after layout-ready").toEqual([]);
  });
});
