/**
 * The continuity report as a side view: the findings of the report of the chapter the writer has open
 * (or of the report note itself), a card each, with the passage one click away, dismissals remembered in
 * the report note, and fixes shown as a word diff and written only when the writer accepts them.
 *
 * What it writes, and how: `dismissed` on the report note (Bookwright's own key, through
 * setFrontmatterKeys so no other byte changes), and an accepted fix in the chapter's body, through
 * VaultFiles.process and only while the quoted passage is still there exactly. Nothing else. In
 * particular "Open passage" never adds a block id to the chapter: that would change the writer's text
 * (and the body hash a queued draft is compared against) just by looking, so it opens the paragraph's
 * own block id when it has one and the line otherwise.
 */
import { ItemView, Notice, TFile, type App, type OpenViewState, type Plugin, type TAbstractFile, type WorkspaceLeaf } from "obsidian";
import { parseFrontmatter } from "../../shared/book/frontmatter";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import {
  applyFix, locateQuote, proposeFix, readDismissed, readReport, withDismissed, wordDiff,
  type ParsedReport, type ProposedFix, type ReportFinding,
} from "../../shared/queue/report-model";
import { bodyOf } from "../../shared/queue/safe-write";
import { baseName, type VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "../commands/book-stats";
import { LatestLoad, onVaultChanges } from "./latest-load";

export const REPORT_VIEW_TYPE = "bookwright-report";

export interface ReportViewDeps {
  vault: VaultFiles;
}

/** A burst of saves (a re-check rewrites the report and the chapter's keys) redraws once. */
const REFRESH_DELAY_MS = 300;

const OTHER_NOTE = "Open a chapter or a continuity report to see its findings.";

const SEVERITY_LABEL: Record<ReportFinding["severity"], string> = { error: "Error", warning: "Warning", info: "Info" };

/** What the view shows: one report and the chapter its quotes come from. */
interface Shown {
  reportPath: string;
  chapter: number | null;
  chapterPath: string | null;
  report: ParsedReport;
  dismissed: Set<string>;
  /** The chapter's body as last read, and how many lines its frontmatter takes (to open a line). */
  body: string | null;
  headLines: number;
  /** Every chapter's note by number, for the earlier facts' links. */
  chapterPaths: Map<number, string>;
  /** Notes Bookwright must not rewrite (bytes that are not UTF-8, frontmatter it cannot parse). */
  protectedPaths: Set<string>;
}

type Display = { kind: "report"; shown: Shown } | { kind: "message"; text: string };

export class ReportView extends ItemView {
  private showing: Display = { kind: "message", text: "Open a chapter to see its continuity report." };
  private showDismissed = false;
  /** Findings whose proposed fix is open, by key; a note about the last attempt to apply it, if any. */
  private readonly proposals = new Map<string, string | null>();
  /** A path the view itself is about to open, whose file-open must not make the view follow it. */
  private ignoreOpen: string | null = null;
  private readonly loads = new LatestLoad(REFRESH_DELAY_MS);
  /** The note the view follows (a chapter or a report). */
  private followed: string | null = null;

  constructor(
    leaf: WorkspaceLeaf,
    private readonly deps: ReportViewDeps,
  ) {
    super(leaf);
  }

  getViewType(): string {
    return REPORT_VIEW_TYPE;
  }

  getDisplayText(): string {
    return "Continuity report";
  }

  override getIcon(): string {
    return "list-checks";
  }

  protected override async onOpen(): Promise<void> {
    this.loads.open();
    this.contentEl.addClass("bookwright-report-view");
    this.registerEvent(this.app.workspace.on("file-open", (file) => this.follow(file)));
    const changed = (file: TAbstractFile) => {
      if (this.showing.kind === "report" && (file.path === this.showing.shown.reportPath || file.path === this.showing.shown.chapterPath)) this.scheduleReload();
    };
    onVaultChanges(this, this.app.vault, changed, ["modify", "delete", "rename"]);
    // A chapter without a report gets one when its check finishes: show it as soon as Obsidian has indexed it.
    this.registerEvent(
      this.app.metadataCache.on("changed", (_file, _data, cache) => {
        if (this.showing.kind === "message" && this.followed !== null && cache.frontmatter?.bookwright === "continuity-report") this.scheduleReload();
      }),
    );
    this.draw();
    this.follow(this.app.workspace.getActiveFile());
    await this.loads.whenIdle();
  }

  protected override onClose(): Promise<void> {
    // A load still running must not draw into a closed view.
    this.loads.close();
    return Promise.resolve();
  }

  /**
   * Shows the report of `file` (a chapter or a report note). Another kind of note, or none (the view
   * itself has focus), keeps what is shown, so clicking around the book does not lose the report.
   */
  follow(file: TFile | null): void {
    const ignored = this.ignoreOpen;
    this.ignoreOpen = null;
    if (!file || file.extension !== "md" || file.path === ignored || file.path === this.followed) return;
    if (this.showing.kind === "report" && (file.path === this.showing.shown.reportPath || file.path === this.showing.shown.chapterPath)) return;
    const kind: unknown = this.app.metadataCache.getFileCache(file)?.frontmatter?.bookwright;
    const folder = bookFolderOf(this.app, file);
    // Longform scenes carry no kind; any note of a book may be one, which loading the book tells.
    if (folder === null || (kind !== undefined && kind !== "chapter" && kind !== "continuity-report")) {
      if (this.showing.kind === "message") this.setMessage(folder === null ? "This note is not part of a book." : OTHER_NOTE);
      return;
    }
    this.followed = file.path;
    this.proposals.clear();
    void this.reload(folder);
  }

  /** Reads the report and its chapter again and redraws. Resolves when drawn. */
  reload(folder?: string): Promise<void> {
    const source = this.followed;
    return this.loads.start(async (current) => {
      if (source === null) return;
      const display = await this.readShown(source, folder).catch((error: unknown): Display => ({ kind: "message", text: `Could not read the report: ${message(error)}` }));
      if (!current()) return;
      // A note of the book that is neither a chapter nor a report keeps the report shown, if there is one.
      if (display === null && this.showing.kind === "report") return;
      this.showing = display ?? { kind: "message", text: OTHER_NOTE };
      this.draw();
    });
  }

  /** Waits for every load started so far (tests, and callers that must see the result). */
  whenIdle(): Promise<void> {
    return this.loads.whenIdle();
  }

  private scheduleReload(): void {
    this.loads.schedule(() => void this.reload());
  }

  /** The report to show for `source`; null when `source` is a note of the book that is neither a chapter nor a report. */
  private async readShown(source: string, knownFolder: string | undefined): Promise<Display | null> {
    const { vault } = this.deps;
    const file = this.app.vault.getFileByPath(source);
    const folder = knownFolder ?? (file ? bookFolderOf(this.app, file) : null);
    if (folder === null) return { kind: "message", text: "This note is not part of a book." };
    const book = await loadBook(vault, folder);
    const reportNote = book.notes.find((n) => n.path === source && n.kind === "continuity-report");
    let chapter: number | null;
    let reportPath: string;
    if (reportNote) {
      reportPath = reportNote.path;
      const n = (reportNote.meta as { chapter?: unknown } | null)?.chapter;
      chapter = typeof n === "number" ? n : null;
    } else {
      const info = book.chapters.find((c) => c.path === source);
      if (!info) return null;
      if (info.number === null) return { kind: "message", text: "This chapter has no number, so it has no continuity report." };
      chapter = info.number;
      const found = reportOf(book, info.number);
      if (!found) return { kind: "message", text: `Chapter ${info.number} has no continuity report yet.` };
      reportPath = found;
    }
    const reportText = await vault.read(reportPath);
    const report = readReport(reportText);
    chapter ??= report.chapter ?? null;
    const chapterPath =
      book.chapters.find((c) => chapter !== null && c.number === chapter)?.path ??
      book.chapters.find((c) => report.chapterStem !== undefined && baseName(c.path).replace(/\.md$/i, "") === report.chapterStem)?.path ??
      null;
    let body: string | null = null;
    let headLines = 0;
    if (chapterPath) {
      const text = await vault.read(chapterPath);
      body = bodyOf(text);
      headLines = text.slice(0, text.length - body.length).split("\n").length - 1;
    }
    const dismissed = new Set(readDismissed(parseFrontmatter(reportPath, reportText).data));
    const chapterPaths = new Map(book.chapters.filter((c) => c.number !== null).map((c) => [c.number!, c.path]));
    const protectedPaths = new Set(book.protectedPaths);
    return { kind: "report", shown: { reportPath, chapter, chapterPath, report, dismissed, body, headLines, chapterPaths, protectedPaths } };
  }

  private setMessage(text: string): void {
    this.showing = { kind: "message", text };
    this.draw();
  }

  // --- Drawing ----------------------------------------------------------------------------------------

  private draw(): void {
    const el = this.contentEl;
    el.empty();
    if (this.showing.kind === "message") {
      el.createDiv({ cls: "bookwright-empty", text: this.showing.text });
      return;
    }
    const shown = this.showing.shown;
    const { report, dismissed } = shown;
    const header = el.createDiv({ cls: "bookwright-report-header" });
    header.createEl("h4", { text: report.title || (shown.chapter !== null ? `Continuity of chapter ${shown.chapter}` : "Continuity report") });
    const hidden = report.findings.filter((f) => dismissed.has(f.key)).length;
    const counts = [count(report.findings.length, "finding"), ...(hidden ? [`${hidden} dismissed`] : [])].join(", ");
    header.createDiv({ cls: "bookwright-muted", text: report.overall ? `${capitalise(report.overall)}: ${counts}` : capitalise(counts) });
    const tools = header.createDiv({ cls: "bookwright-report-tools" });
    if (hidden > 0) {
      const label = tools.createEl("label", { cls: "bookwright-toggle" });
      const box = label.createEl("input", { type: "checkbox", cls: "bookwright-show-dismissed" });
      box.checked = this.showDismissed;
      label.appendText(" Show dismissed");
      box.addEventListener("change", () => {
        this.showDismissed = box.checked;
        this.draw();
      });
    }
    const openReport = tools.createEl("button", { text: "Open report note" });
    openReport.addEventListener("click", () => void this.openLink(shown.reportPath, shown.reportPath));

    const visible = report.findings.filter((f) => this.showDismissed || !dismissed.has(f.key));
    if (visible.length === 0) {
      el.createDiv({ cls: "bookwright-empty", text: report.findings.length ? "All findings are dismissed." : "No findings." });
    }
    const list = el.createDiv({ cls: "bookwright-findings" });
    for (const finding of visible) this.drawCard(list, shown, finding);
    if (report.summary) {
      const summary = el.createEl("details", { cls: "bookwright-report-summary" });
      summary.createEl("summary", { text: "Chapter summary" });
      summary.createEl("p", { text: report.summary });
    }
  }

  private drawCard(list: HTMLElement, shown: Shown, finding: ReportFinding): void {
    const isDismissed = shown.dismissed.has(finding.key);
    const card = list.createDiv({ cls: ["bookwright-finding", `bookwright-finding-${finding.severity}`] });
    card.toggleClass("bookwright-dismissed", isDismissed);
    card.setAttr("data-key", finding.key);
    const location = shown.body !== null && finding.quote ? locateQuote(shown.body, finding.quote) : null;

    const head = card.createDiv({ cls: "bookwright-finding-head" });
    head.createSpan({ cls: ["bookwright-badge", `bookwright-badge-${finding.severity}`], text: SEVERITY_LABEL[finding.severity] });
    head.createSpan({ cls: "bookwright-finding-category", text: capitalise(finding.category) + (finding.check ? ` (${finding.check.replace(/-/g, " ")})` : "") });
    const where = [finding.where, location ? `line ${location.line}` : finding.quote && shown.body !== null ? "not in the chapter any more" : ""].filter(Boolean).join(", ");
    if (where) head.createSpan({ cls: "bookwright-muted bookwright-finding-where", text: where });

    if (finding.quote) card.createEl("blockquote", { cls: "bookwright-finding-quote", text: finding.quote });
    if (finding.why) card.createEl("p", { cls: "bookwright-finding-why", text: finding.why });
    if (finding.earlierFact?.book !== undefined) {
      // An earlier book's chapter: this book's chapter of the same number is another chapter, so no link.
      const { chapter, quote, book, bookTitle } = finding.earlierFact;
      card.createEl("p", { cls: "bookwright-finding-earlier", text: `Contradicts book ${book}, chapter ${chapter}${bookTitle ? ` (${bookTitle})` : ""}: \u201c${quote}\u201d` });
    } else if (finding.earlierFact) {
      const { chapter, quote } = finding.earlierFact;
      const earlier = card.createEl("p", { cls: "bookwright-finding-earlier" });
      earlier.appendText("Earlier, in ");
      const path = shown.chapterPaths.get(chapter);
      if (path) {
        const link = earlier.createEl("a", { cls: "internal-link", text: `chapter ${chapter}`, href: "#" });
        link.addEventListener("click", (evt) => {
          evt.preventDefault();
          void this.openLink(path, shown.reportPath);
        });
      } else earlier.appendText(`chapter ${chapter}`);
      earlier.appendText(`: \u201c${quote}\u201d`);
    }
    if (finding.suggestedFix) {
      const fix = card.createEl("p", { cls: "bookwright-finding-fix" });
      fix.createEl("strong", { text: "Suggested fix: " });
      fix.appendText(finding.suggestedFix);
    }

    const actions = card.createDiv({ cls: "bookwright-finding-actions" });
    if (shown.chapterPath) {
      const chapterPath = shown.chapterPath;
      const openButton = actions.createEl("button", { text: "Open passage" });
      openButton.addEventListener("click", () => void this.openPassage(shown, chapterPath, location));
    }
    const proposal = shown.body !== null && !isDismissed ? proposeFix(shown.body, finding) : null;
    if (proposal) {
      const proposeButton = actions.createEl("button", { text: "Propose fix", cls: "bookwright-propose" });
      proposeButton.addEventListener("click", () => {
        this.proposals.set(finding.key, null);
        this.draw();
      });
    }
    const dismissButton = actions.createEl("button", { text: isDismissed ? "Restore" : "Dismiss", cls: "bookwright-dismiss" });
    dismissButton.addEventListener("click", () => void this.setDismissed(shown, finding.key, !isDismissed, dismissButton));

    if (proposal && this.proposals.has(finding.key)) this.drawProposal(card, shown, finding, proposal);
  }

  private drawProposal(card: HTMLElement, shown: Shown, finding: ReportFinding, fix: ProposedFix): void {
    const box = card.createDiv({ cls: "bookwright-proposal" });
    const diff = box.createDiv({ cls: "bookwright-diff" });
    for (const token of wordDiff(fix.before, fix.after)) {
      if (token.kind === "same") diff.appendText(token.text);
      else diff.createEl(token.kind === "added" ? "ins" : "del", { cls: `bookwright-diff-${token.kind}`, text: token.text });
    }
    const note = this.proposals.get(finding.key);
    if (note) box.createDiv({ cls: "bookwright-proposal-note", text: note });
    const buttons = box.createDiv({ cls: "bookwright-finding-actions" });
    const accept = buttons.createEl("button", { text: "Accept", cls: "mod-cta bookwright-accept" });
    const reject = buttons.createEl("button", { text: "Reject", cls: "bookwright-reject" });
    accept.addEventListener("click", () => {
      accept.disabled = true;
      void this.accept(shown, finding, fix);
    });
    reject.addEventListener("click", () => {
      this.proposals.delete(finding.key);
      this.draw();
    });
  }

  // --- Actions ----------------------------------------------------------------------------------------

  /** Opens the chapter at the passage: its paragraph's own block id, else its line, else the chapter's top. */
  private async openPassage(shown: Shown, chapterPath: string, location: ReturnType<typeof locateQuote>): Promise<void> {
    if (location?.blockId) return this.openLink(`${chapterPath}#^${location.blockId}`, shown.reportPath, chapterPath);
    // Markdown views take the line to scroll to (0-based, in the whole note) as ephemeral state.
    const state: OpenViewState | undefined = location ? { eState: { line: shown.headLines + location.line - 1 } } : undefined;
    if (!location && shown.body !== null) new Notice("The quoted passage is no longer in the chapter, so the chapter opens at the top.");
    return this.openLink(chapterPath, shown.reportPath, chapterPath, state);
  }

  private async openLink(linktext: string, sourcePath: string, path = linktext, state?: OpenViewState): Promise<void> {
    // Opening a note from the report must not swap the report for that note's.
    this.ignoreOpen = path;
    await this.app.workspace.openLinkText(linktext, sourcePath, false, state);
  }

  private async setDismissed(shown: Shown, key: string, dismissed: boolean, button: HTMLButtonElement): Promise<void> {
    if (shown.protectedPaths.has(shown.reportPath)) {
      new Notice(`${shown.reportPath} cannot be read safely (see the book's problems), so Bookwright does not write to it.`);
      return;
    }
    button.disabled = true;
    try {
      await this.deps.vault.process(shown.reportPath, (text) => withDismissed(text, key, dismissed));
      if (dismissed) shown.dismissed.add(key);
      else shown.dismissed.delete(key);
      this.proposals.delete(key);
    } catch (error) {
      new Notice(`Could not update ${shown.reportPath}: ${message(error)}`);
    }
    this.draw();
  }

  /** Writes the fix into the chapter, only while the quoted passage is there exactly; says so otherwise. */
  private async accept(shown: Shown, finding: ReportFinding, fix: ProposedFix): Promise<void> {
    const path = shown.chapterPath;
    if (!path) return;
    if (shown.protectedPaths.has(path)) {
      // Rewriting a note with bytes that are not UTF-8 would replace them for good.
      this.proposals.set(finding.key, `${path} cannot be read safely (see the book's problems), so the fix was not applied.`);
      this.draw();
      return;
    }
    let applied = false;
    try {
      await this.deps.vault.process(path, (text) => {
        const body = bodyOf(text);
        const next = applyFix(body, fix);
        applied = next !== null;
        return next === null ? text : text.slice(0, text.length - body.length) + next;
      });
    } catch (error) {
      this.proposals.set(finding.key, `Could not change ${path}: ${message(error)}`);
      this.draw();
      return;
    }
    const chapter = shown.chapter !== null ? `Chapter ${shown.chapter}` : "The chapter";
    if (!applied) {
      this.proposals.set(finding.key, `${chapter} no longer contains the quoted passage exactly, so nothing was changed.`);
      this.draw();
      return;
    }
    new Notice(`${chapter}: fix applied.`);
    this.proposals.delete(finding.key);
    await this.reload();
  }
}

/** The continuity report of chapter `n` (not a seam report). */
function reportOf(book: BookInfo, n: number): string | undefined {
  return book.notes.find((note) => {
    const meta = note.meta as { chapter?: unknown; seam_of?: unknown } | null;
    return note.kind === "continuity-report" && meta?.chapter === n && meta.seam_of === undefined;
  })?.path;
}

/**
 * Opens the view of `type` in the right sidebar, or reveals it where it already is. Returns its leaf
 * (null when the workspace has no room for one). The other Bookwright views open the same way.
 */
export async function revealView(app: App, type: string): Promise<WorkspaceLeaf | null> {
  let leaf = app.workspace.getLeavesOfType(type)[0] ?? null;
  if (!leaf) {
    leaf = app.workspace.getRightLeaf(false);
    if (!leaf) return null;
    await leaf.setViewState({ type, active: true });
  }
  await app.workspace.revealLeaf(leaf);
  return leaf;
}

/** The report view and "Open continuity report", which shows it for the note open now. */
export function registerReportView(plugin: Plugin, deps: ReportViewDeps): void {
  plugin.registerView(REPORT_VIEW_TYPE, (leaf) => new ReportView(leaf, deps));
  plugin.addCommand({
    id: "open-continuity-report",
    name: "Open continuity report",
    callback: () => {
      const active = plugin.app.workspace.getActiveFile();
      void revealView(plugin.app, REPORT_VIEW_TYPE).then((leaf) => {
        if (leaf?.view instanceof ReportView) leaf.view.follow(active);
      });
    },
  });
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
