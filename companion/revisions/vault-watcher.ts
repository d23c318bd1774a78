/**
 * Watches a vault folder for notes that change by any route — Obsidian, another editor, a sync client —
 * so the companion keeps a revision even of edits the plugin never saw. Changes are debounced per note:
 * an editor saving every keystroke, or a sync client writing a file in pieces, becomes one revision once
 * the note has been quiet for a moment. The capture itself deduplicates, so a touch that changes nothing
 * stores nothing.
 */
import { readdirSync, statSync, watch, type Dirent, type FSWatcher } from "node:fs";
import path from "node:path";
import { clearTimeout, setTimeout } from "node:timers";

export interface VaultWatcherOptions {
  /** The vault's folder on disk. */
  root: string;
  /** Quiet time before a changed note is reported. @default 1500 */
  debounceMs?: number;
  /** Called with the note's vault path (forward slashes) once it has been quiet for `debounceMs`. */
  onNoteChanged: (vaultPath: string) => void | Promise<void>;
  /** A failed callback or watcher error; the watcher keeps going. @default ignore */
  onError?: (error: unknown) => void;
}

export interface VaultWatcher {
  close(): void;
}

/**
 * Notes are Markdown files outside hidden folders (Obsidian's configuration folder, whatever the writer
 * named it, always starts with a dot; so do `.trash` and `.bookwright`) and outside exports.
 */
export function isWatchedNote(vaultPath: string): boolean {
  if (!vaultPath.toLowerCase().endsWith(".md")) return false;
  const segments = vaultPath.split("/");
  return !segments.some((s) => s.startsWith(".")) && !segments.slice(0, -1).includes("Exports");
}

export function watchVault(options: VaultWatcherOptions): VaultWatcher {
  const debounce = options.debounceMs ?? 1500;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const report = (error: unknown): void => options.onError?.(error);
  const changed = (relative: string): void => {
    const vaultPath = relative.split(path.sep).join("/");
    if (!isWatchedNote(vaultPath)) return;
    clearTimeout(timers.get(vaultPath));
    timers.set(
      vaultPath,
      setTimeout(() => {
        timers.delete(vaultPath);
        Promise.resolve()
          .then(() => options.onNoteChanged(vaultPath))
          .catch(report);
      }, debounce),
    );
  };
  const tree = process.platform === "linux" ? watchFolders(options.root, changed, report) : watchRecursively(options.root, changed, report);
  return {
    close() {
      tree.close();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

const codeOf = (error: unknown): unknown => (typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined);

/** macOS and Windows: the system watches the whole tree (FSEvents, ReadDirectoryChangesW). */
function watchRecursively(root: string, changed: (relative: string) => void, report: (error: unknown) => void): { close(): void } {
  const watcher: FSWatcher = watch(root, { recursive: true }, (_event, name) => {
    if (name !== null) changed(name);
  });
  watcher.on("error", report);
  return { close: () => watcher.close() };
}

/**
 * Linux: one inotify watch per folder, added as folders appear. Node 20's own recursive mode on Linux
 * follows each file it has seen, and loses a note for good once a new file is renamed over it — which is
 * how sync clients, many editors and our own restores save. A folder's watch reports its entries by name,
 * whatever file is behind the name, so a replaced note keeps being reported. Hidden folders are not
 * watched (nothing in them is a note).
 */
function watchFolders(root: string, changed: (relative: string) => void, report: (error: unknown) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const isFolder = (full: string): boolean => {
    try {
      return statSync(full).isDirectory();
    } catch {
      return false;
    }
  };
  const forget = (folder: string): void => {
    for (const [watched, watcher] of watchers) {
      if (watched === folder || watched.startsWith(`${folder}${path.sep}`)) {
        watcher.close();
        watchers.delete(watched);
      }
    }
  };
  /** Watches `folder` and every folder below it; with `announce`, reports the notes found (a folder moved in brings notes nobody saw change). */
  const add = (folder: string, announce: boolean): void => {
    if (closed || watchers.has(folder)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, (event, name) => {
        if (name === null) return;
        const full = path.join(folder, name);
        const relative = path.relative(root, full);
        if (event === "rename" && !name.startsWith(".")) {
          if (isFolder(full)) add(full, true);
          else forget(full);
        }
        changed(relative);
      });
    } catch (error) {
      // A folder removed between being listed and being watched is simply gone.
      if (codeOf(error) !== "ENOENT") report(error);
      return;
    }
    watcher.on("error", (error) => {
      forget(folder);
      if (codeOf(error) !== "ENOENT") report(error);
    });
    watchers.set(folder, watcher);
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) !== "ENOENT") report(error);
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) add(full, announce);
      else if (announce) changed(path.relative(root, full));
    }
  };
  add(root, false);
  return {
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
