/**
 * The queue panel (right sidebar): the batch of the book the writer is in, live. It follows the active
 * note to its book, keeps one ProgressModel per book fed by the controller (so switching books shows what
 * happened meanwhile), and redraws from queue-render.ts at most four times a second: a streaming chapter
 * reports progress on every few tokens, and redrawing the panel that often would cost the editor frames.
 */
import { ItemView, Notice, TFile, type App, type Plugin, type WorkspaceLeaf } from "obsidian";
import type { QueueState } from "../../shared/queue/jobs";
import { DEFAULT_TARGET_WORDS, ProgressModel } from "../../shared/queue/progress";
import { bookFolderOf } from "../commands/book-stats";
import { chapterNotesOf } from "../commands/generate";
import type { ControllerEvent, QueueController } from "../queue/queue-controller";
import type { BookwrightSettings } from "../settings";
import { renderQueuePanel } from "./queue-render";

export const QUEUE_VIEW_TYPE = "bookwright-queue";

/** At most this often (ms) the panel is redrawn: four times a second reads as live without the cost. */
export const RENDER_INTERVAL_MS = 250;

interface BookProgress {
  model: ProgressModel;
  state: QueueState | null;
  running: boolean;
  /** Set when the saved state could not be read (a broken queue file), shown instead of the batch. */
  error?: string;
}

export interface QueueViewOptions {
  /** For the ETA (jobs at once) when the panel opens; Bookwright's default of 3 without it. */
  settings?: () => BookwrightSettings;
}

export class QueueView extends ItemView {
  private book: string | null = null;
  private readonly books = new Map<string, BookProgress>();
  private unsubscribe: (() => void) | null = null;
  private timer: number | null = null;
  private lastRender = 0;
  private titles = new Map<number, string>();

  constructor(
    leaf: WorkspaceLeaf,
    private readonly controller: QueueController,
    private readonly options: QueueViewOptions = {},
  ) {
    super(leaf);
  }

  getViewType(): string {
    return QUEUE_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Bookwright queue";
  }

  override getIcon(): string {
    return "list-checks";
  }

  /** The book shown now (its folder), or null when the active note is in no book. */
  get bookFolder(): string | null {
    return this.book;
  }

  protected override async onOpen(): Promise<void> {
    this.contentEl.addClass("bookwright-queue-view");
    this.unsubscribe = this.controller.subscribe((event) => this.onControllerEvent(event));
    this.registerEvent(this.app.workspace.on("active-leaf-change", () => void this.followActiveNote()));
    this.registerEvent(this.app.workspace.on("file-open", () => void this.followActiveNote()));
    this.renderNow();
    await this.followActiveNote();
  }

  protected override async onClose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.timer = null;
    this.contentEl.empty();
    await Promise.resolve();
  }

  /** Shows the book of the active note; with no active note (the panel itself focused) it stays put. */
  private async followActiveNote(): Promise<void> {
    const file = this.app.workspace.getActiveFile();
    if (!file) return;
    const folder = bookFolderOf(this.app, file);
    if (folder === this.book) {
      // Same book: a chapter may have been renamed or retitled meanwhile.
      if (folder !== null) {
        this.titles = titlesOf(this.app, folder);
        this.requestRender();
      }
      return;
    }
    this.book = folder;
    if (folder === null) {
      this.renderNow();
      return;
    }
    this.titles = titlesOf(this.app, folder);
    if (!this.books.has(folder)) {
      const entry = this.entry(folder);
      try {
        const state = await this.controller.state(folder);
        // A state event that arrived during the read is newer than what was read.
        if (entry.state === null && state) {
          entry.state = state;
          entry.model.setState(state);
          entry.running = this.controller.isRunning(folder);
        }
      } catch (error) {
        entry.error = `Could not read this book's queue: ${messageOf(error)}`;
      }
    }
    if (this.book === folder) this.renderNow();
  }

  private entry(folder: string): BookProgress {
    let entry = this.books.get(folder);
    if (!entry) {
      entry = { model: this.newModel(folder), state: null, running: false };
      this.books.set(folder, entry);
    }
    return entry;
  }

  private newModel(folder: string): ProgressModel {
    const target = targetWordsOf(this.app, folder);
    return new ProgressModel({
      concurrency: this.options.settings?.().concurrency ?? 3,
      targetWordsByChapter: () => target,
    });
  }

  private onControllerEvent(event: ControllerEvent): void {
    if (event.type === "notice") return; // The commands show notices; the panel shows the batch.
    const entry = this.entry(event.bookFolder);
    if (event.type === "event") {
      entry.model.apply(event.event, Date.now());
      if (event.event.type === "chapter:updated" && event.bookFolder === this.book) this.titles = titlesOf(this.app, event.bookFolder);
    } else {
      const { state } = event;
      // A new batch starts from nothing: the old one's durations and pause say nothing about it.
      if (state && entry.state && state.batchId !== entry.state.batchId) entry.model = this.newModel(event.bookFolder);
      // The runner announces a pause but not its end; a run starting again is that end.
      if (event.running && !entry.running) entry.model.resume();
      if (state) entry.model.setState(state);
      entry.state = state;
      entry.running = event.running;
      delete entry.error;
    }
    if (event.bookFolder === this.book) this.requestRender();
  }

  /** Redraws soon: at once if the last drawing is old enough, else when RENDER_INTERVAL_MS has passed. */
  private requestRender(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastRender + RENDER_INTERVAL_MS - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.renderNow();
    }, wait);
  }

  private renderNow(): void {
    this.lastRender = Date.now();
    const el = this.contentEl;
    const folder = this.book;
    if (folder === null) {
      el.empty();
      el.createEl("p", { cls: "bookwright-queue-empty", text: "Open a note of a book to see its queue." });
      return;
    }
    const entry = this.entry(folder);
    if (entry.error) {
      el.empty();
      el.createEl("p", { cls: "bookwright-queue-empty bookwright-queue-error", text: entry.error });
      return;
    }
    renderQueuePanel(
      el,
      {
        model: entry.model,
        state: entry.state,
        running: entry.running,
        ownedHere: entry.state ? entry.state.deviceId === this.controller.deviceId : true,
        now: Date.now(),
        chapterTitles: this.titles,
      },
      {
        cancel: (jobId) => this.act("cancel", () => this.controller.cancel(folder, jobId)),
        retry: (jobId) => this.act("retry", () => this.controller.retry(folder, jobId)),
        pauseAll: () => this.act("pause", () => this.controller.pause(folder)),
        resumeAll: () => {
          entry.model.resume();
          this.act("resume", () => this.controller.unpause(folder));
        },
        takeOver: () => this.act("take over", () => this.controller.takeOver(folder)),
        openChapter: (chapter) => this.openChapter(folder, chapter),
      },
    );
  }

  /** Runs a panel action; a failure becomes a notice in words, and the panel redraws either way. */
  private act(what: string, action: () => Promise<void> | void): void {
    Promise.resolve()
      .then(action)
      .catch((error: unknown) => new Notice(`Could not ${what}: ${messageOf(error)}`))
      .finally(() => this.requestRender());
  }

  private openChapter(folder: string, chapter: number): void {
    const note = chapterNotesOf(this.app, folder).get(chapter);
    if (!note) {
      new Notice(`Chapter ${chapter} has no note yet; its brief creates one.`);
      return;
    }
    void this.app.workspace.getLeaf(false).openFile(note.file);
  }
}

/** Registers the panel and "Open queue", which shows it in the right sidebar. */
export function registerQueueView(plugin: Plugin, controller: QueueController, options: QueueViewOptions = {}): void {
  plugin.registerView(QUEUE_VIEW_TYPE, (leaf) => new QueueView(leaf, controller, options));
  plugin.addCommand({
    id: "open-queue",
    name: "Open queue",
    callback: () => {
      revealQueue(plugin.app).catch((error: unknown) => new Notice(`Could not open the queue: ${messageOf(error)}`));
    },
  });
}

/** The queue panel, opened in the right sidebar if it is not open yet, and brought to the front. */
export async function revealQueue(app: App): Promise<void> {
  let leaf = app.workspace.getLeavesOfType(QUEUE_VIEW_TYPE)[0] ?? null;
  if (!leaf) {
    leaf = app.workspace.getRightLeaf(false);
    if (!leaf) throw new Error("there is no right sidebar to open it in");
    await leaf.setViewState({ type: QUEUE_VIEW_TYPE, active: true });
  }
  await app.workspace.revealLeaf(leaf);
}

function titlesOf(app: App, folder: string): Map<number, string> {
  return new Map([...chapterNotesOf(app, folder)].map(([n, note]) => [n, note.title]));
}

/**
 * Words a chapter is expected to reach, for the progress bar: the book's `target_words` over its
 * `planned_chapters` when both are set, else {@link DEFAULT_TARGET_WORDS}.
 */
function targetWordsOf(app: App, folder: string): number {
  const root = folder === "" ? app.vault.getRoot() : app.vault.getFolderByPath(folder);
  for (const child of root?.children ?? []) {
    if (!(child instanceof TFile) || child.extension !== "md") continue;
    const frontmatter = app.metadataCache.getFileCache(child)?.frontmatter;
    if (frontmatter?.bookwright !== "book") continue;
    const target: unknown = frontmatter.target_words;
    const planned: unknown = frontmatter.planned_chapters;
    if (typeof target === "number" && typeof planned === "number" && target > 0 && planned > 0) return Math.round(target / planned);
  }
  return DEFAULT_TARGET_WORDS;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
