/**
 * Watches a vault folder for notes that change by any route — Obsidian, another editor, a sync client —
 * so the companion keeps a revision even of edits the plugin never saw. Changes are debounced per note:
 * an editor saving every keystroke, or a sync client writing a file in pieces, becomes one revision once
 * the note has been quiet for a moment. The capture itself deduplicates, so a touch that changes nothing
 * stores nothing.
 */
import { watch, type FSWatcher } from "node:fs";
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
  // Node 20 watches subfolders recursively on Linux, macOS and Windows.
  const watcher: FSWatcher = watch(options.root, { recursive: true }, (_event, name) => {
    if (name === null) return;
    const vaultPath = name.split(path.sep).join("/");
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
  });
  watcher.on("error", report);
  return {
    close() {
      watcher.close();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
