/**
 * Write-safety rule 1 (DESIGN.md §4): never write into a note while the writer is typing in it. Tracks
 * the last edit per note from the editor's own change events, and lets a job wait until the note has
 * been still for a few seconds before its draft lands. The compare-and-swap that follows still guards
 * every byte: this only keeps text from appearing under the writer's cursor mid-sentence.
 */
import type { MarkdownFileInfo, Plugin } from "obsidian";

export interface EditorIdleOptions {
  /** How long a note must be untouched. @default 3000 */
  quietMs?: number;
  /** Longest wait, so a writer who never pauses still gets the draft (as a take, if they changed it). @default 60000 */
  maxWaitMs?: number;
  now?: () => number;
}

export class EditorIdle {
  private readonly lastEdit = new Map<string, number>();
  private readonly quietMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;

  constructor(plugin: Plugin, options: EditorIdleOptions = {}) {
    this.quietMs = options.quietMs ?? 3000;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.now = options.now ?? Date.now;
    plugin.registerEvent(
      plugin.app.workspace.on("editor-change", (_editor, info: MarkdownFileInfo) => {
        if (info.file) this.lastEdit.set(info.file.path, this.now());
      }),
    );
  }

  /** Records an edit (for tests, and for editors that do not raise editor-change). */
  touched(path: string): void {
    this.lastEdit.set(path, this.now());
  }

  /** Resolves once `path` has not been edited for the quiet time (or after the longest wait). */
  whenIdle(path: string): Promise<void> {
    const started = this.now();
    return new Promise((resolve) => {
      const check = () => {
        const last = this.lastEdit.get(path);
        const quietFor = last === undefined ? Infinity : this.now() - last;
        if (quietFor >= this.quietMs || this.now() - started >= this.maxWaitMs) {
          resolve();
          return;
        }
        window.setTimeout(check, Math.min(this.quietMs - quietFor, 500));
      };
      check();
    });
  }
}
