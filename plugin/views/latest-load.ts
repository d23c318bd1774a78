import type { EventRef, TAbstractFile, Vault } from "obsidian";
/**
 * Latest-wins loading for the views that read a book (report, characters, timeline): each reload takes a
 * ticket, and its result is drawn only if no newer reload started meanwhile and the view is still open,
 * so a slow read of the book shown before never paints over the one shown now, nor into a closed view.
 * Bursts of vault events (a batch writing several notes) become one reload after a short quiet time.
 */
export class LatestLoad {
  private generation = 0;
  private loading: Promise<void> = Promise.resolve();
  private timer: number | null = null;
  private closed = false;

  constructor(private readonly quietMs: number) {}

  /** The view opened (again): loads may draw. */
  open(): void {
    this.closed = false;
  }

  /** The view closed: nothing running may draw any more, and a pending reload is dropped. */
  close(): void {
    this.closed = true;
    this.generation++;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Starts a load. `work` gets `current()`, true while this load is the latest and the view is open:
   * check it after every await, before drawing. Resolves when `work` has finished.
   */
  start(work: (current: () => boolean) => Promise<void>): Promise<void> {
    const ticket = ++this.generation;
    const current = () => ticket === this.generation && !this.closed;
    this.loading = this.closed ? Promise.resolve() : work(current);
    return this.loading;
  }

  /** Runs `reload` once the vault has been quiet for a moment. */
  schedule(reload: () => void): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = null;
      reload();
    }, this.quietMs);
  }

  /** Waits for every load started so far, including ones started while waiting. */
  async whenIdle(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.loading;
      await seen;
    } while (seen !== this.loading);
  }
}

type VaultChange = "modify" | "create" | "delete" | "rename";

/**
 * Calls `changed` on every vault change of the given kinds (all four by default), registered on `view` so
 * the handlers detach when it closes. The views filter by path themselves: which notes matter differs.
 */
export function onVaultChanges(
  view: { registerEvent(ref: EventRef): void },
  vault: Vault,
  changed: (file: TAbstractFile) => void,
  kinds: readonly VaultChange[] = ["modify", "create", "delete", "rename"],
): void {
  for (const kind of kinds) {
    // Each kind is its own overload of `on`; rename's extra argument (the old path) no view needs.
    if (kind === "rename") view.registerEvent(vault.on("rename", (file) => changed(file)));
    else if (kind === "create") view.registerEvent(vault.on("create", changed));
    else if (kind === "modify") view.registerEvent(vault.on("modify", changed));
    else view.registerEvent(vault.on("delete", changed));
  }
}
