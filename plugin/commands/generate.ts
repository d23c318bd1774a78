/**
 * The commands that put the agents to work on a book: one job for the open chapter ("Write chapter"…),
 * a range of chapters ("Generate chapters…", with the cost estimate before anything is spent) and a
 * continuity check of every chapter with text. All of them go through the QueueController, so every run
 * is a saved batch the queue panel shows, can cancel and resumes after a restart.
 *
 * Obsidian's command palette is the only way in (no default hotkeys); a command about "the chapter" is
 * offered only while a chapter of a book is the active note. Failures reach the writer as notices in plain
 * words; the queue panel keeps the details.
 */
import { readChapterRange } from "../../shared/book/chapter-range";
import { Modal, Notice, Setting, TFile, TFolder, type App, type Plugin, type TAbstractFile } from "obsidian";
import { loadBook } from "../../shared/book/scan";
import type { BatchMode, JobKind } from "../../shared/queue/jobs";
import { describePause, formatUsd } from "../../shared/queue/progress";
import { PAUSE_BY_WRITER, PAUSE_STOPPED } from "../../shared/queue/runner";
import type { VaultFiles } from "../../shared/vault/vault-files";
import type { BatchRequest, QueueController } from "../queue/queue-controller";
import { estimateJobs, startJobs } from "../queue/single-jobs";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";
import { failureReason } from "../views/queue-render";
import { bookFolderOf } from "./book-stats";

export interface GenerateDeps {
  controller: QueueController;
  vault: VaultFiles;
  /** The writer's defaults for mode, jobs at once and cost cap; Bookwright's defaults when absent. */
  settings?: () => BookwrightSettings;
}

/** The most chapters one "Generate chapters…" takes, so a typo ("1-1000") cannot queue a fortune. */
export const MAX_CHAPTERS_PER_BATCH = 200;

interface ChapterCommand {
  id: string;
  name: string;
  kind: JobKind;
  /** What the notice says as it starts: "Chapter 3: ${doing}…". */
  doing: string;
  /** What the notice says once the job is done: "Chapter 3: ${done}". */
  done: string;
  /** What the notice says if it could not start: "Could not ${verb} chapter 3: …". */
  verb: string;
}

const CHAPTER_COMMANDS: readonly ChapterCommand[] = [
  { id: "generate-brief", name: "Generate brief", kind: "brief", doing: "writing the brief", done: "brief ready", verb: "generate the brief of" },
  { id: "write-chapter", name: "Write chapter", kind: "write", doing: "writing the chapter", done: "written", verb: "write" },
  { id: "check-continuity", name: "Check continuity", kind: "continuity", doing: "checking continuity", done: "continuity checked", verb: "check the continuity of" },
  { id: "extract-characters", name: "Extract characters", kind: "characters", doing: "reading the characters", done: "characters updated", verb: "extract the characters of" },
  { id: "update-timeline", name: "Update timeline", kind: "timeline", doing: "placing its events on the timeline", done: "timeline updated", verb: "update the timeline from" },
];

export function registerGenerateCommands(plugin: Plugin, deps: GenerateDeps): void {
  const app = plugin.app;
  const settings = deps.settings ?? (() => DEFAULT_SETTINGS);

  for (const command of CHAPTER_COMMANDS) {
    plugin.addCommand({
      id: command.id,
      name: command.name,
      checkCallback: (checking) => {
        const target = activeChapter(app);
        if (!target) return false;
        if (!checking) runChapterJob(deps.controller, target.bookFolder, target.chapter, command, settings());
        return true;
      },
    });
  }

  plugin.addCommand({
    id: "generate-chapters",
    name: "Generate chapters…",
    checkCallback: (checking) => {
      const file = app.workspace.getActiveFile();
      const bookFolder = file ? bookFolderOf(app, file) : null;
      if (!file || bookFolder === null) return false;
      if (!checking) {
        const chapter = chapterOf(app, file);
        new GenerateModal(app, { controller: deps.controller, bookFolder, settings: settings(), initialRange: chapter === null ? "" : String(chapter) }).open();
      }
      return true;
    },
  });

  plugin.addCommand({
    id: "check-whole-book",
    name: "Check the whole book",
    checkCallback: (checking) => {
      const file = app.workspace.getActiveFile();
      const bookFolder = file ? bookFolderOf(app, file) : null;
      if (bookFolder === null) return false;
      if (!checking) void openBookCheck(app, deps, bookFolder, settings());
      return true;
    },
  });

  // The chapter the writer has open goes first in its book's queue (DESIGN.md §4).
  let focused: { bookFolder: string; chapter: number | null } | null = null;
  plugin.registerEvent(
    app.workspace.on("file-open", (file) => {
      if (!file) return;
      const bookFolder = bookFolderOf(app, file);
      if (bookFolder === null) return;
      const chapter = chapterOf(app, file);
      if (focused?.bookFolder === bookFolder && focused.chapter === chapter) return;
      focused = { bookFolder, chapter };
      // Best effort: an unreadable queue file is reported by the queue panel, not on every note opened.
      deps.controller.focusChapter(bookFolder, chapter).catch(() => undefined);
    }),
  );

  // Failures and the executor's notices ("your text was kept, the draft is beside it") reach the writer
  // wherever they are in the vault, not only with the queue panel open.
  const unsubscribe = deps.controller.subscribe((event) => {
    if (event.type === "notice") new Notice(event.notice.message);
    else if (event.type === "event" && event.event.type === "job:failed") {
      const { event: failed } = event;
      const reason = failureReason({ error: failed.error, failedAt: Date.now() }, Date.now());
      new Notice(`${bookTitle(event.bookFolder)}: ${jobInWords(failed.kind, failed.chapter)} failed. ${/[.!?]$/.test(reason) ? reason : `${reason}.`}`);
    } else if (event.type === "event" && event.event.type === "queue:paused") {
      // The writer's own pause and a stop (Obsidian closing) need no telling; a cap or spend limit does.
      const { reason } = event.event;
      if (reason !== PAUSE_BY_WRITER && reason !== PAUSE_STOPPED) new Notice(`${bookTitle(event.bookFolder)}: paused. ${capitalise(describePause(reason))}.`);
    }
  });
  plugin.register(unsubscribe);
}

// --- The open chapter ---------------------------------------------------------------------------------

/** The chapter number of a chapter note (`bookwright: chapter` with a `chapter` key), else null. */
export function chapterOf(app: App, file: TAbstractFile): number | null {
  if (!(file instanceof TFile) || file.extension !== "md") return null;
  const frontmatter = app.metadataCache.getFileCache(file)?.frontmatter;
  // An alternative take saved beside a chapter carries its keys and `take_of`; it is not the chapter.
  if (frontmatter?.bookwright !== "chapter" || frontmatter.take_of !== undefined) return null;
  const n: unknown = frontmatter.chapter;
  const number = typeof n === "number" ? n : typeof n === "string" && /^\d+$/.test(n.trim()) ? Number(n) : NaN;
  return Number.isInteger(number) && number > 0 ? number : null;
}

/** The active note as a chapter of a book, or null when it is not one. */
export function activeChapter(app: App): { bookFolder: string; chapter: number; file: TFile } | null {
  const file = app.workspace.getActiveFile();
  if (!file) return null;
  const chapter = chapterOf(app, file);
  if (chapter === null) return null;
  const bookFolder = bookFolderOf(app, file);
  return bookFolder === null ? null : { bookFolder, chapter, file };
}

/** The chapter notes of a book by number, with their titles, from the metadata cache (no file is read). */
export function chapterNotesOf(app: App, bookFolder: string): Map<number, { file: TFile; title: string }> {
  const out = new Map<number, { file: TFile; title: string }>();
  const root = bookFolder === "" ? app.vault.getRoot() : app.vault.getFolderByPath(bookFolder);
  const visit = (folder: TFolder): void => {
    for (const child of folder.children) {
      if (child instanceof TFolder) visit(child);
      else if (child instanceof TFile) {
        const n = chapterOf(app, child);
        if (n === null || out.has(n)) continue;
        const title: unknown = app.metadataCache.getFileCache(child)?.frontmatter?.title;
        out.set(n, { file: child, title: typeof title === "string" && title.trim() ? title.trim() : child.basename });
      }
    }
  };
  if (root) visit(root);
  return out;
}

function runChapterJob(controller: QueueController, bookFolder: string, chapter: number, command: ChapterCommand, settings: BookwrightSettings): void {
  new Notice(`Chapter ${chapter}: ${command.doing}… The queue panel shows the progress.`);
  startJobs(controller, bookFolder, { chapters: [chapter], kinds: [command.kind], concurrency: 1, costCapUsd: settings.costCapUsd })
    .then(async () => {
      const job = (await controller.state(bookFolder))?.jobs.find((j) => j.kind === command.kind && j.chapter === chapter);
      // A failure was announced as it happened (see the subscription above); only success is new here.
      if (job?.state === "succeeded") new Notice(`Chapter ${chapter}: ${command.done}.`);
    })
    .catch((error: unknown) => new Notice(`Could not ${command.verb} chapter ${chapter}: ${messageOf(error)}`));
}

// --- Generate chapters… --------------------------------------------------------------------------------

export type ChapterRange = { chapters: number[] } | { error: string };

/**
 * The chapters a writer typed: "1-7", "3", "1-3, 5, 8-9" (en and em dashes too). The error names the
 * part that is wrong and shows how to write it.
 */
export function parseChapterRange(text: string, max = MAX_CHAPTERS_PER_BATCH): ChapterRange {
  const trimmed = text.trim();
  const read = readChapterRange(trimmed, max);
  if ("chapters" in read) return read;
  const p = read.problem;
  switch (p.reason) {
    case "empty":
      return { error: "Enter the chapters to generate, like 1-7 or 2, 4." };
    case "not-a-range":
      return { error: `“${p.part || trimmed}” is not a chapter or a range of chapters; write it like 1-7 or 2, 4.` };
    case "below-one":
      return { error: `“${p.part}”: chapters are numbered from 1.` };
    case "backwards":
      return { error: `“${p.part}” runs backwards; write it low to high, like ${p.to}-${p.from}.` };
    case "too-many":
      return { error: `“${p.part}” is more than ${p.max} chapters; generate at most ${p.max} at once.` };
  }
}

/** A cost cap as typed: "" is no cap, else a positive number of dollars ("5", "$2.50"). */
export function parseCostCap(text: string): { cap: number | null } | { error: string } {
  const trimmed = text.trim().replace(/^\$\s*/, "");
  if (trimmed === "") return { cap: null };
  const value = Number(trimmed);
  if (!Number.isFinite(value) || value <= 0) return { error: `“${text.trim()}” is not an amount of dollars; enter one like 5 or 2.50, or leave it empty for no cap.` };
  return { cap: value };
}

export interface GenerateModalOptions {
  controller: QueueController;
  bookFolder: string;
  settings: BookwrightSettings;
  initialRange: string;
}

/** "Generate chapters…": which chapters, how, and at what cost, with the estimate before anything runs. */
export class GenerateModal extends Modal {
  private range: string;
  private mode: BatchMode;
  private concurrency: number;
  private capText: string;
  private errorEl: HTMLElement | null = null;
  private estimateEl: HTMLElement | null = null;
  private startButton: HTMLButtonElement | null = null;

  constructor(
    app: App,
    private readonly options: GenerateModalOptions,
  ) {
    super(app);
    this.range = options.initialRange;
    this.mode = options.settings.mode;
    this.concurrency = options.settings.concurrency;
    this.capText = options.settings.costCapUsd === null ? "" : String(options.settings.costCapUsd);
  }

  override onOpen(): void {
    const { contentEl } = this;
    this.setTitle("Generate chapters");
    contentEl.addClass("bookwright-generate");
    contentEl.createEl("p", { cls: "bookwright-muted", text: `Book: ${bookTitle(this.options.bookFolder)}` });

    new Setting(contentEl)
      .setName("Chapters")
      .setDesc("A range like 1-7, or a list like 1-3, 5.")
      .addText((text) =>
        text
          .setPlaceholder("1-7")
          .setValue(this.range)
          .onChange((value) => {
            this.range = value;
            this.update();
          }),
      )
      .setClass("bookwright-generate-range");
    this.errorEl = contentEl.createDiv({ cls: "bookwright-generate-error", attr: { role: "alert" } });

    new Setting(contentEl)
      .setName("Mode")
      .setDesc("In order: each chapter's brief knows what really happened before. Plan ahead: all briefs first, then the chapters side by side (faster; the seams are checked after).")
      .addDropdown((dropdown) =>
        dropdown
          .addOptions({ sequential: "In order", "plan-ahead": "Plan ahead" })
          .setValue(this.mode)
          .onChange((value) => {
            this.mode = value === "plan-ahead" ? "plan-ahead" : "sequential";
            this.update();
          }),
      );

    new Setting(contentEl)
      .setName("Jobs at once")
      .setDesc("More is faster and reaches the rate limit sooner.")
      .addSlider((slider) =>
        slider
          .setLimits(1, 16, 1)
          .setValue(this.concurrency)
          .onChange((value) => {
            this.concurrency = value;
          }),
      );

    new Setting(contentEl)
      .setName("Cost cap in dollars")
      .setDesc("The batch pauses before it would spend more. Leave empty for no cap.")
      .addText((text) =>
        text
          .setPlaceholder("No cap")
          .setValue(this.capText)
          .onChange((value) => {
            this.capText = value;
            this.update();
          }),
      )
      .setClass("bookwright-generate-cap");

    this.estimateEl = contentEl.createDiv({ cls: "bookwright-generate-estimate" });

    new Setting(contentEl)
      .addButton((b) => b.setButtonText("Cancel").onClick(() => this.close()))
      .addButton((b) => {
        b.setButtonText("Start")
          .setCta()
          .onClick(() => this.start());
        this.startButton = b.buttonEl;
      });
    this.update();
  }

  override onClose(): void {
    this.contentEl.empty();
  }

  /** The request as typed, or the first thing wrong with it. */
  private request(): BatchRequest | { error: string } {
    const range = parseChapterRange(this.range);
    if ("error" in range) return range;
    const cap = parseCostCap(this.capText);
    if ("error" in cap) return cap;
    return { chapters: range.chapters, mode: this.mode, concurrency: this.concurrency, costCapUsd: cap.cap };
  }

  /** Re-checks the inputs and the estimate on every change, so the writer sees the cost before starting. */
  private update(): void {
    const request = this.request();
    const error = "error" in request ? request.error : "";
    // An empty range before anything was typed is not an error yet: the estimate line asks for it.
    const showError = error !== "" && this.range.trim() !== "";
    // Shown only with text in it (styles.css hides it empty).
    this.errorEl?.setText(showError ? error : "");
    if (this.startButton) this.startButton.disabled = error !== "";
    if (!this.estimateEl) return;
    if ("error" in request) {
      this.estimateEl.setText(this.range.trim() === "" ? "Enter the chapters to see what they would cost." : "");
      return;
    }
    let usd: number;
    try {
      usd = this.options.controller.estimate(this.options.bookFolder, { chapters: request.chapters, mode: request.mode });
    } catch (e) {
      this.estimateEl.setText(`No cost estimate: ${messageOf(e)}`);
      return;
    }
    const chapters = request.chapters.length === 1 ? "1 chapter" : `${request.chapters.length} chapters`;
    let text = `Estimated cost: about ${formatUsd(usd)} for ${chapters}.`;
    if (request.costCapUsd !== null && usd > request.costCapUsd) {
      text += ` That is above the ${formatUsd(request.costCapUsd)} cap: the batch will pause when it reaches the cap.`;
    }
    this.estimateEl.setText(text);
  }

  private start(): void {
    const request = this.request();
    if ("error" in request) {
      this.errorEl?.setText(request.error);
      return;
    }
    this.close();
    const { controller, bookFolder } = this.options;
    new Notice(`Generating ${chapterList(request.chapters)} of ${bookTitle(bookFolder)}. The queue panel shows the progress.`);
    controller.start(bookFolder, request).catch((error: unknown) => new Notice(`Could not generate ${chapterList(request.chapters)}: ${messageOf(error)}`));
  }
}

// --- Check the whole book ------------------------------------------------------------------------------

async function openBookCheck(app: App, deps: GenerateDeps, bookFolder: string, settings: BookwrightSettings): Promise<void> {
  let book;
  try {
    book = await loadBook(deps.vault, bookFolder);
  } catch (error) {
    new Notice(`Could not read the book: ${messageOf(error)}`);
    return;
  }
  const withText = book.chapters.filter((c) => c.number !== null && c.words > 0);
  if (withText.length === 0) {
    new Notice(`${book.meta.title} has no chapter with text to check yet.`);
    return;
  }
  const chapters = withText.map((c) => c.number!).sort((a, b) => a - b);
  // A check reads the chapters before it through their summaries, and the check writes the summary: a
  // chapter after one without a summary waits for that check (the rest run side by side).
  const hasSummary = new Set(withText.filter((c) => typeof c.meta?.summary === "string" && c.meta.summary.trim() !== "").map((c) => c.number!));
  const after = new Map<string, string[]>();
  for (let i = 1; i < chapters.length; i++) {
    const previous = chapters[i - 1]!;
    if (!hasSummary.has(previous)) after.set(`continuity-${chapters[i]!}`, [`continuity-${previous}`]);
  }
  let estimate: string;
  try {
    estimate = `about ${formatUsd(estimateJobs(deps.controller, bookFolder, { chapters, kinds: ["continuity"] }))}`;
  } catch (error) {
    estimate = `unknown (${messageOf(error)})`;
  }
  new ConfirmModal(app, {
    title: "Check the whole book",
    text: `Check the continuity of ${chapterList(chapters)} of ${book.meta.title}: each gets a report and a summary. Estimated cost: ${estimate}.`,
    confirm: chapters.length === 1 ? "Check 1 chapter" : `Check ${chapters.length} chapters`,
    onConfirm: () => {
      new Notice(`Checking ${chapterList(chapters)}. The queue panel shows the progress.`);
      startJobs(deps.controller, bookFolder, { chapters, kinds: ["continuity"], concurrency: settings.concurrency, costCapUsd: settings.costCapUsd, after }).catch(
        (error: unknown) => new Notice(`Could not check the book: ${messageOf(error)}`),
      );
    },
  }).open();
}

interface ConfirmOptions {
  title: string;
  text: string;
  confirm: string;
  onConfirm: () => void;
}

/** A question with the cost in it, and the two answers. */
export class ConfirmModal extends Modal {
  constructor(
    app: App,
    private readonly options: ConfirmOptions,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle(this.options.title);
    this.contentEl.addClass("bookwright-confirm");
    this.contentEl.createEl("p", { text: this.options.text });
    new Setting(this.contentEl)
      .addButton((b) => b.setButtonText("Cancel").onClick(() => this.close()))
      .addButton((b) =>
        b
          .setButtonText(this.options.confirm)
          .setCta()
          .onClick(() => {
            this.close();
            this.options.onConfirm();
          }),
      );
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

// --- Words ---------------------------------------------------------------------------------------------

function bookTitle(bookFolder: string): string {
  return bookFolder.split("/").filter((p) => p !== "").pop() ?? "the vault";
}

/** "chapter 3", "chapters 1–7", "chapters 1–3, 5". */
export function chapterList(chapters: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < chapters.length; ) {
    let j = i;
    while (j + 1 < chapters.length && chapters[j + 1] === chapters[j]! + 1) j++;
    runs.push(i === j ? String(chapters[i]) : `${chapters[i]}–${chapters[j]}`);
    i = j + 1;
  }
  return `${chapters.length === 1 ? "chapter" : "chapters"} ${runs.join(", ")}`;
}

function jobInWords(kind: JobKind, chapter: number): string {
  switch (kind) {
    case "brief":
      return `the brief of chapter ${chapter}`;
    case "write":
      return `writing chapter ${chapter}`;
    case "continuity":
      return `the continuity check of chapter ${chapter}`;
    case "characters":
      return `the character update from chapter ${chapter}`;
    case "timeline":
      return `the timeline update from chapter ${chapter}`;
    case "seam":
      return `the seam check into chapter ${chapter}`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
