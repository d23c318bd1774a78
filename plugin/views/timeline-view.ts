/**
 * The timeline of the book the writer has open: the events of `Timeline.md` in story order or in chapter
 * order, each linking to its chapter, with what contradicts itself highlighted and the reason given. The
 * view only reads; the Timeline agent writes the note (book-notes.ts) and the writer may edit it.
 */
import { ItemView, type Plugin, type TAbstractFile, type TFile, type WorkspaceLeaf } from "obsidian";
import { loadBook } from "../../shared/book/scan";
import { isInFolder, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "../commands/book-stats";
import { revealView } from "./report-view";
import { buildTimeline, type Contradiction, type Timeline, type TimelineEvent } from "./timeline-model";
import { LatestLoad, onVaultChanges } from "./latest-load";

export const TIMELINE_VIEW_TYPE = "bookwright-timeline";

export interface TimelineViewDeps {
  vault: VaultFiles;
}

export type TimelineOrder = "story" | "chapter";

const REFRESH_DELAY_MS = 500;

interface Loaded {
  folder: string;
  title: string;
  timelinePath: string | null;
  timeline: Timeline;
  chapters: Map<number, { path: string; title: string }>;
}

export class TimelineView extends ItemView {
  private loaded: Loaded | null = null;
  private note = "Open a note of a book to see its timeline.";
  private order: TimelineOrder = "story";
  private readonly loads = new LatestLoad(REFRESH_DELAY_MS);

  constructor(
    leaf: WorkspaceLeaf,
    private readonly deps: TimelineViewDeps,
  ) {
    super(leaf);
  }

  getViewType(): string {
    return TIMELINE_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Timeline";
  }

  override getIcon(): string {
    return "calendar-clock";
  }

  protected override async onOpen(): Promise<void> {
    this.loads.open();
    this.contentEl.addClass("bookwright-timeline-view");
    this.registerEvent(this.app.workspace.on("file-open", (file) => this.follow(file)));
    // The timeline note changing, or appearing (the first timeline job creates it), redraws.
    const changed = (file: TAbstractFile) => {
      const loaded = this.loaded;
      if (loaded && (file.path === loaded.timelinePath || (loaded.timelinePath === null && isInFolder(file.path, loaded.folder)))) this.scheduleReload();
    };
    onVaultChanges(this, this.app.vault, changed);
    this.draw();
    this.follow(this.app.workspace.getActiveFile());
    await this.loads.whenIdle();
  }

  protected override onClose(): Promise<void> {
    this.loads.close();
    return Promise.resolve();
  }

  /** Shows the timeline of the book `file` belongs to; a note of no book (or none) keeps the one shown. */
  follow(file: TFile | null): void {
    const folder = file ? bookFolderOf(this.app, file) : null;
    if (folder === null || folder === this.loaded?.folder) return;
    void this.reload(folder);
  }

  /** Shows the events in story order or in chapter order. */
  setOrder(order: TimelineOrder): void {
    this.order = order;
    this.draw();
  }

  /** Reads the timeline again (of the book shown, or of `folder`) and redraws. Resolves when drawn. */
  reload(folder = this.loaded?.folder): Promise<void> {
    return this.loads.start(async (current) => {
      if (folder === undefined) return;
      try {
        const book = await loadBook(this.deps.vault, folder);
        const timelinePath = book.notes.find((n) => n.kind === "timeline")?.path ?? null;
        const text = timelinePath ? await this.deps.vault.read(timelinePath) : "";
        if (!current()) return;
        this.loaded = {
          folder,
          title: book.meta.title,
          timelinePath,
          timeline: buildTimeline(text),
          chapters: new Map(book.chapters.filter((c) => c.number !== null).map((c) => [c.number!, { path: c.path, title: c.title }])),
        };
      } catch (error) {
        if (!current()) return;
        this.loaded = null;
        this.note = `Could not read the book: ${error instanceof Error ? error.message : String(error)}`;
      }
      this.draw();
    });
  }

  /** Waits for every load started so far. */
  whenIdle(): Promise<void> {
    return this.loads.whenIdle();
  }

  private scheduleReload(): void {
    this.loads.schedule(() => void this.reload());
  }

  private draw(): void {
    const el = this.contentEl;
    el.empty();
    const loaded = this.loaded;
    if (!loaded) {
      el.createDiv({ cls: "bookwright-empty", text: this.note });
      return;
    }
    el.createEl("h4", { text: `Timeline of ${loaded.title}` });
    if (loaded.timelinePath === null || loaded.timeline.events.length === 0) {
      el.createDiv({ cls: "bookwright-empty", text: loaded.timelinePath === null ? "This book has no timeline yet." : "The timeline has no events yet." });
      return;
    }
    const { events, contradictions } = loaded.timeline;
    const toolbar = el.createDiv({ cls: "bookwright-timeline-toolbar" });
    for (const [order, label] of [["story", "Story order"], ["chapter", "Chapter order"]] as const) {
      const button = toolbar.createEl("button", { text: label, cls: `bookwright-order-${order}` });
      button.toggleClass("bookwright-active", this.order === order);
      button.setAttr("aria-pressed", String(this.order === order));
      button.addEventListener("click", () => this.setOrder(order));
    }
    const flagged = new Map<number, Contradiction[]>();
    for (const c of contradictions) flagged.set(c.event, [...(flagged.get(c.event) ?? []), c]);
    toolbar.createSpan({
      cls: "bookwright-muted",
      text: `${events.length} event${events.length === 1 ? "" : "s"}${contradictions.length ? `, ${contradictions.length} possible contradiction${contradictions.length === 1 ? "" : "s"}` : ""}`,
    });

    const list = el.createEl("ol", { cls: "bookwright-timeline" });
    if (this.order === "story") {
      for (const event of loaded.timeline.storyOrder) this.drawEvent(list, loaded, event, flagged.get(event.id) ?? [], true);
      return;
    }
    let chapter: number | null = null;
    for (const event of events) {
      if (event.chapter !== chapter) {
        chapter = event.chapter;
        const heading = list.createEl("li", { cls: "bookwright-timeline-chapter" });
        if (chapter === 0) heading.setText("Before chapter 1");
        else this.chapterLink(heading, loaded, event, `Chapter ${chapter}${loaded.chapters.get(chapter) ? `: ${loaded.chapters.get(chapter)!.title}` : ""}`);
      }
      this.drawEvent(list, loaded, event, flagged.get(event.id) ?? [], false);
    }
  }

  private drawEvent(list: HTMLElement, loaded: Loaded, event: TimelineEvent, flags: Contradiction[], withChapter: boolean): void {
    const item = list.createEl("li", { cls: "bookwright-timeline-event" });
    item.setAttr("data-id", event.id);
    item.toggleClass("bookwright-timeline-conflict", flags.length > 0);
    item.toggleClass("bookwright-timeline-flashback", event.flashback);
    const line = item.createDiv({ cls: "bookwright-timeline-line" });
    if (event.when) line.createSpan({ cls: "bookwright-timeline-when", text: event.when });
    line.createSpan({ cls: "bookwright-timeline-what", text: event.what });
    if (event.who.length) line.createSpan({ cls: "bookwright-muted bookwright-timeline-who", text: event.who.join(", ") });
    if (event.flashback) line.createSpan({ cls: "bookwright-badge", text: "Flashback" });
    if (withChapter && event.chapter > 0) this.chapterLink(line, loaded, event, `Chapter ${event.chapter}`);
    for (const flag of flags) item.createDiv({ cls: "bookwright-timeline-reason", text: flag.reason });
  }

  private chapterLink(parent: HTMLElement, loaded: Loaded, event: TimelineEvent, text: string): void {
    const a = parent.createEl("a", { cls: "internal-link bookwright-timeline-chapter-link", text, href: "#" });
    // The chapter's note by number when the book has it; else the section's own link, as Obsidian resolves it.
    const target = loaded.chapters.get(event.chapter)?.path ?? event.chapterStem;
    if (!target) return;
    a.addEventListener("click", (evt) => {
      evt.preventDefault();
      void this.app.workspace.openLinkText(target, loaded.timelinePath ?? "", false);
    });
  }
}

/** The timeline view and "Open timeline". */
export function registerTimelineView(plugin: Plugin, deps: TimelineViewDeps): void {
  plugin.registerView(TIMELINE_VIEW_TYPE, (leaf) => new TimelineView(leaf, deps));
  plugin.addCommand({
    id: "open-timeline",
    name: "Open timeline",
    callback: () => {
      const active = plugin.app.workspace.getActiveFile();
      void revealView(plugin.app, TIMELINE_VIEW_TYPE).then((leaf) => {
        if (leaf?.view instanceof TimelineView) leaf.view.follow(active);
      });
    },
  });
}
