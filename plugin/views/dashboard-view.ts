/**
 * The book dashboard view: the book of the note the writer has open, re-read and re-drawn (debounced)
 * whenever a note of that book changes or its queue saves a new state. It only reads; everything it
 * shows comes from the vault (loadBook) and the queue controller, so it is never out of step for long.
 */
import { ItemView, Notice, type Plugin, type TAbstractFile, type ViewStateResult, type WorkspaceLeaf } from "obsidian";
import { loadBook } from "../../shared/book/scan";
import { totalCostUsd } from "../../shared/queue/jobs";
import { isInFolder, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "../commands/book-stats";
import type { QueueController } from "../queue/queue-controller";
import { renderDashboard } from "./dashboard-render";

export const DASHBOARD_VIEW_TYPE = "bookwright-dashboard";

/** What the dashboard needs of the queue controller (tests pass a small fake). */
export type DashboardController = Pick<QueueController, "subscribe" | "state" | "isRunning">;

export interface DashboardDeps {
  vault: VaultFiles;
  controller: DashboardController;
}

/** Long enough that a burst of saves (an AI write touches the chapter, its revisions and the queue file) redraws once. */
const REFRESH_DELAY_MS = 300;

export class DashboardView extends ItemView {
  /** The book shown; null until a note of a book has been open. */
  private folder: string | null = null;
  private timer: number | null = null;
  /** Bumped on every load, so a slow load that finishes after a newer one does not draw stale data. */
  private generation = 0;
  private closed = false;

  constructor(
    leaf: WorkspaceLeaf,
    private readonly deps: DashboardDeps,
  ) {
    super(leaf);
  }

  getViewType(): string {
    return DASHBOARD_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Book dashboard";
  }

  override getIcon(): string {
    return "layout-dashboard";
  }

  /** The folder of the book shown (null when none is). */
  get bookFolder(): string | null {
    return this.folder;
  }

  /** Shows the book in `folder` (or, with null, the book of the note open now) and draws it at once. */
  async showBook(folder: string | null): Promise<void> {
    this.folder = folder ?? this.activeBookFolder() ?? this.folder;
    await this.refresh();
  }

  // Obsidian restores the view with the state getState saved, so after a restart it shows the same book
  // even before the metadata cache is ready to say which book the open note is in.
  override getState(): Record<string, unknown> {
    return { ...super.getState(), folder: this.folder };
  }

  override async setState(state: unknown, result: ViewStateResult): Promise<void> {
    const folder = (state as { folder?: unknown } | null)?.folder;
    if (typeof folder === "string") this.folder = folder;
    await super.setState(state, result);
    if (!this.closed) this.scheduleRefresh();
  }

  protected override async onOpen(): Promise<void> {
    this.closed = false;
    this.contentEl.addClass("bookwright-dashboard-view");
    const { vault } = this.app;
    const onChange = (file: TAbstractFile, oldPath?: string) => {
      if (this.folder === null) return;
      if (isInFolder(file.path, this.folder) || (oldPath !== undefined && isInFolder(oldPath, this.folder))) this.scheduleRefresh();
    };
    this.registerEvent(vault.on("modify", (file) => onChange(file)));
    this.registerEvent(vault.on("create", (file) => onChange(file)));
    this.registerEvent(vault.on("delete", (file) => onChange(file)));
    this.registerEvent(vault.on("rename", (file, oldPath) => onChange(file, oldPath)));
    // Follow the writer into another book; a note outside any book leaves the dashboard where it is.
    this.registerEvent(
      this.app.workspace.on("file-open", (file) => {
        const folder = file ? bookFolderOf(this.app, file) : null;
        if (folder !== null && folder !== this.folder) {
          this.folder = folder;
          this.scheduleRefresh();
        }
      }),
    );
    this.register(
      this.deps.controller.subscribe((event) => {
        // Saved states carry the cost and the running jobs; queue events alone change neither.
        if (event.type === "state" && event.bookFolder === this.folder) this.scheduleRefresh();
      }),
    );
    this.register(() => this.cancelRefresh());
    this.folder ??= this.activeBookFolder();
    await this.refresh();
  }

  protected override async onClose(): Promise<void> {
    this.closed = true;
    this.cancelRefresh();
    this.contentEl.empty();
    await Promise.resolve();
  }

  private activeBookFolder(): string | null {
    const file = this.app.workspace.getActiveFile();
    return file ? bookFolderOf(this.app, file) : null;
  }

  private scheduleRefresh(): void {
    // Handlers can outlive the view briefly (an event already queued when it closed); they do nothing then.
    if (this.closed) return;
    this.cancelRefresh();
    this.timer = window.setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  private cancelRefresh(): void {
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reads the book and the queue state and draws them; a failure is shown in the view, not thrown. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    const folder = this.folder;
    const el = this.contentEl;
    if (folder === null) {
      el.empty();
      el.createDiv({ cls: "bookwright-dashboard-empty bookwright-muted", text: "Open a note of a book to see its dashboard." });
      return;
    }
    try {
      const [book, state] = await Promise.all([loadBook(this.deps.vault, folder), this.deps.controller.state(folder)]);
      if (generation !== this.generation || this.closed) return;
      const runningChapters = state && this.deps.controller.isRunning(folder)
        ? [...new Set(state.jobs.filter((j) => j.state === "running").map((j) => j.chapter))]
        : [];
      renderDashboard(el, { book, costUsd: state ? totalCostUsd(state) : 0, runningChapters }, { openChapter: (path) => void this.openNote(path) });
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      el.empty();
      el.createDiv({ cls: "bookwright-dashboard-error", text: `Could not read the book in ${folder || "the vault root"}: ${messageOf(error)}` });
    }
  }

  private async openNote(path: string): Promise<void> {
    const file = this.app.vault.getFileByPath(path);
    if (!file) {
      new Notice(`${path} is gone; the dashboard will catch up in a moment.`);
      return;
    }
    // getLeaf(false) reuses a navigable leaf; the dashboard is not one, so it stays open beside the chapter.
    await this.app.workspace.getLeaf(false).openFile(file);
  }
}

/** Registers the dashboard view and the "Open dashboard" command (no default hotkey). */
export function registerDashboard(plugin: Plugin, deps: DashboardDeps): void {
  plugin.registerView(DASHBOARD_VIEW_TYPE, (leaf) => new DashboardView(leaf, deps));
  plugin.addCommand({
    id: "open-dashboard",
    name: "Open dashboard",
    callback: () => {
      openDashboard(plugin).catch((error: unknown) => new Notice(`Could not open the dashboard: ${messageOf(error)}`));
    },
  });
}

/** Opens the dashboard in the main area (or shows the existing one) on the book of the open note. */
export async function openDashboard(plugin: Plugin): Promise<void> {
  const { workspace } = plugin.app;
  const active = workspace.getActiveFile();
  const folder = active ? bookFolderOf(plugin.app, active) : null;
  const existing = workspace.getLeavesOfType(DASHBOARD_VIEW_TYPE)[0];
  if (existing) {
    if (existing.view instanceof DashboardView && folder !== null) await existing.view.showBook(folder);
    await workspace.revealLeaf(existing);
    return;
  }
  const leaf = workspace.getLeaf("tab");
  await leaf.setViewState({ type: DASHBOARD_VIEW_TYPE, active: true, state: { folder } });
  await workspace.revealLeaf(leaf);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
