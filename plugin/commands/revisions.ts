/**
 * "Show revisions of this chapter": the texts Bookwright kept of the open chapter (before each AI write,
 * and each AI draft), newest first, to open or restore. A restore is itself a write that replaces the
 * writer's text, so it follows the queue's rules for one: the text it replaces is saved as a revision
 * first, and the swap happens only if the chapter still holds exactly that text.
 *
 * When the companion is set up (a token secret chosen) and answers, the list is the companion's instead:
 * every revision it kept (before AI writes, the writer's own edits its watcher saw, restores), each with
 * a side-by-side word diff against the chapter now, and a restore the companion does itself. When it does
 * not answer, the modal says so in one line and lists the revisions kept in the vault.
 */
import { Modal, Notice, Setting, type App, type Plugin, type TFile } from "obsidian";
import { findFrontmatter } from "../../shared/book/frontmatter";
import { WordCounter } from "../../shared/book/words";
// The lint pattern meant for companion/ (the server) also catches shared/companion/ and plugin/companion/.
import type { DiffResponse, RevisionSummary } from "../../shared/companion-api/api";
import { NoteRevisions, type RevisionInfo, type Revisions } from "../../shared/queue/revisions";
import { bodyOf } from "../../shared/queue/safe-write";
import type { VaultFiles } from "../../shared/vault/vault-files";
import type { CompanionClient } from "../local-service/client";
import { bookFolderOf } from "./book-stats";

/** What the modal asks of the companion. */
export type CompanionRevisions = Pick<CompanionClient, "health" | "listRevisions" | "diff" | "restore">;

export interface RevisionCommandDeps {
  vault: VaultFiles;
  /**
   * The companion client for the current settings (`companionFromSettings`), null when none is set up;
   * may throw when the chosen token secret is gone. Without it only the vault's revisions are listed.
   */
  companion?: () => CompanionRevisions | null;
  /** The clock for the revision a restore saves; Date.now unless a test sets it. */
  now?: () => number;
}

/**
 * The `job` of the revision a restore saves. Revisions know three reasons only (list() drops any
 * other), so a restore saves its "before" text as `before-ai-write` and says what it was here.
 */
export const RESTORE_JOB = "restore";

const numbers = new Intl.NumberFormat("en");
const counter = new WordCounter();

/** Words in the prose of a note's (or a revision's) text, frontmatter left out. */
function proseWords(text: string): number {
  return counter.countMarkdown(bodyOf(text));
}

/** Why the revision was kept, in words. */
export function reasonText(revision: Pick<RevisionInfo, "reason" | "jobId">): string {
  switch (revision.reason) {
    case "before-ai-write":
      return revision.jobId === RESTORE_JOB ? "Before a restore" : "Before an AI write";
    case "ai-output":
      return "AI draft";
    case "alternative-take":
      return "AI take kept beside your edit";
  }
}

/** "2,730 words, 120 fewer than now". */
export function wordsText(words: number, currentWords: number): string {
  const delta = words - currentWords;
  const comparison = delta === 0 ? "as many as now" : `${numbers.format(Math.abs(delta))} ${delta > 0 ? "more" : "fewer"} than now`;
  return `${numbers.format(words)} word${words === 1 ? "" : "s"}, ${comparison}`;
}

/** Where a companion revision came from, in words. */
export function sourceText(source: RevisionSummary["source"]): string {
  switch (source) {
    case "plugin":
      return "Kept by Bookwright";
    case "watcher":
      return "Saved edit";
    case "restore":
      return "Restore";
    case "cli":
      return "Kept from the command line";
  }
}

/** "2,730 words, 120 more than the revision before". */
export function deltaText(words: number, wordDelta: number): string {
  const change = wordDelta === 0 ? "as many as the revision before" : `${numbers.format(Math.abs(wordDelta))} ${wordDelta > 0 ? "more" : "fewer"} than the revision before`;
  return `${numbers.format(words)} word${words === 1 ? "" : "s"}, ${change}`;
}

/** "864 words, the oldest revision kept": the last of a note's whole list, which has nothing before it. */
export function oldestText(words: number): string {
  return `${numbers.format(words)} word${words === 1 ? "" : "s"}, the oldest revision kept`;
}

/** The most companion revisions the modal lists. */
const COMPANION_LIST_LIMIT = 200;

function timeText(at: number): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(at);
}

/** A companion revision's time as the modal shows it. */
export function revisionTime(createdAt: string): string {
  return timeText(Date.parse(createdAt));
}

/**
 * The label a restore from the modal gives the companion's new revision. Without one the companion writes
 * "restored from revision <32 hex digits> (<ISO time>)", which the list would show the writer verbatim.
 */
export function companionRestoreLabel(when: string): string {
  return `from the revision of ${when}`;
}

function lineEndingOf(text: string): "\n" | "\r\n" {
  return findFrontmatter(text)?.eol ?? (text.includes("\r\n") ? "\r\n" : "\n");
}

/** `text` with its body replaced by `body`, its frontmatter bytes, BOM and line endings kept. */
function withBody(text: string, body: string): string {
  const block = findFrontmatter(text);
  const keep = block ? text.slice(0, block.bodyStart) : text.charCodeAt(0) === 0xfeff ? "\uFEFF" : "";
  const unix = body.replace(/\r\n/g, "\n");
  return keep + (lineEndingOf(text) === "\n" ? unix : unix.replace(/\n/g, "\r\n"));
}

export type RestoreOutcome = "restored" | "unchanged";

/**
 * Makes the revision's prose the chapter's body again; the chapter's frontmatter stays as it is now. The
 * current text is saved as a revision first; if the chapter changes between that save and the swap
 * (the writer typing, sync), nothing is replaced and this throws.
 */
export async function restoreRevision(vault: VaultFiles, revisions: Revisions, notePath: string, revision: RevisionInfo, now: number): Promise<RestoreOutcome> {
  const before = await vault.read(notePath);
  const restored = withBody(before, bodyOf(revision.text));
  if (restored === before) return "unchanged";
  await revisions.save({ notePath, text: before, reason: "before-ai-write", jobId: RESTORE_JOB, at: now });
  let moved = false;
  await vault.process(notePath, (current) => {
    // Synchronous compare-and-swap: only the text just saved as a revision may be replaced.
    if (current !== before) {
      moved = true;
      return current;
    }
    return restored;
  });
  if (moved) throw new Error("the chapter changed while it was being restored, so nothing was replaced; try again");
  return "restored";
}

/** The chapter (or Longform scene) open now and its book, or null when it is neither. */
function chapterOf(app: App, file: TFile | null): { file: TFile; folder: string } | null {
  if (!file || file.extension !== "md") return null;
  const folder = bookFolderOf(app, file);
  if (folder === null) return null;
  const kind: unknown = app.metadataCache.getFileCache(file)?.frontmatter?.bookwright;
  // Longform scenes need no Bookwright key; every other kind of book note is not a chapter.
  return kind === "chapter" || kind === undefined ? { file, folder } : null;
}

/** "Show revisions of this chapter" (no default hotkey). */
export function registerRevisionCommands(plugin: Plugin, deps: RevisionCommandDeps): void {
  plugin.addCommand({
    id: "show-chapter-revisions",
    name: "Show revisions of this chapter",
    checkCallback: (checking) => {
      const chapter = chapterOf(plugin.app, plugin.app.workspace.getActiveFile());
      if (!chapter) return false;
      if (!checking) new RevisionsModal(plugin.app, deps, chapter.folder, chapter.file.path).open();
      return true;
    },
  });
}

export class RevisionsModal extends Modal {
  private readonly revisions: NoteRevisions;
  /** Bumped on every render, so a slow listing does not draw over a newer one. */
  private generation = 0;
  /** The last render, for tests to wait on. */
  rendered: Promise<void> = Promise.resolve();

  constructor(
    app: App,
    private readonly deps: RevisionCommandDeps,
    bookFolder: string,
    private readonly notePath: string,
  ) {
    super(app);
    this.revisions = new NoteRevisions(deps.vault, bookFolder);
  }

  override onOpen(): void {
    const stem = this.notePath.slice(this.notePath.lastIndexOf("/") + 1).replace(/\.md$/i, "");
    this.setTitle(`Revisions of ${stem}`);
    // Wider than Obsidian's default dialog: the companion's diff puts two texts side by side.
    this.modalEl.addClass("bookwright-revisions-modal");
    this.contentEl.addClass("bookwright-revisions");
    void this.render();
  }

  override onClose(): void {
    this.generation++;
    this.contentEl.empty();
  }

  /** Lists the revisions; resolves once they are drawn. */
  render(): Promise<void> {
    this.rendered = this.draw();
    return this.rendered;
  }

  private async draw(): Promise<void> {
    const generation = ++this.generation;
    let unreachable: string | null = null;
    let client: CompanionRevisions | null = null;
    try {
      client = this.deps.companion?.() ?? null;
    } catch (error) {
      unreachable = messageOf(error);
    }
    if (client) {
      try {
        await client.health();
        const { revisions } = await client.listRevisions(this.notePath, { limit: COMPANION_LIST_LIMIT });
        if (generation !== this.generation) return;
        this.drawCompanion(client, revisions);
        return;
      } catch (error) {
        unreachable = messageOf(error);
      }
    }
    await this.drawVault(generation, unreachable);
  }

  /** The revisions kept in the vault, after a line saying why the companion's are not shown (if it failed). */
  private async drawVault(generation: number, unreachable: string | null): Promise<void> {
    const el = this.contentEl;
    let list: RevisionInfo[];
    let currentWords: number;
    const fallbackLine = () => {
      if (unreachable !== null) {
        el.createEl("p", { cls: "bookwright-revisions-fallback", text: `The companion did not answer (${unreachable}); showing the revisions kept in the vault.` });
      }
    };
    try {
      [list, currentWords] = await Promise.all([this.revisions.list(this.notePath), this.deps.vault.read(this.notePath).then(proseWords)]);
    } catch (error) {
      if (generation !== this.generation) return;
      el.empty();
      fallbackLine();
      el.createEl("p", { cls: "bookwright-revisions-error", text: `Could not list the revisions: ${messageOf(error)}` });
      return;
    }
    if (generation !== this.generation) return;
    el.empty();
    fallbackLine();
    if (list.length === 0) {
      el.createEl("p", { cls: "bookwright-muted", text: "No revisions of this chapter yet. Bookwright keeps one before each AI write and one of each AI draft." });
      return;
    }
    el.createEl("p", { cls: "bookwright-muted", text: `Newest first. The chapter has ${numbers.format(currentWords)} word${currentWords === 1 ? "" : "s"} now.` });
    const items = el.createDiv({ cls: "bookwright-revision-list" });
    for (const revision of [...list].reverse()) {
      const when = timeText(revision.at);
      new Setting(items)
        .setClass("bookwright-revision")
        .setName(when)
        .setDesc(`${reasonText(revision)} · ${wordsText(proseWords(revision.text), currentWords)}`)
        .addButton((b) =>
          b
            .setButtonText("Open")
            .setTooltip("Open the revision note")
            .setDisabled(revision.path === undefined)
            .onClick(async () => {
              const file = revision.path ? this.app.vault.getFileByPath(revision.path) : null;
              if (!file) return;
              this.close();
              await this.app.workspace.getLeaf(false).openFile(file);
            }),
        )
        .addButton((b) =>
          b
            .setButtonText("Restore")
            .onClick(() => new ConfirmRestoreModal(this.app, VAULT_RESTORE_TEXT(when), () => this.restore(revision, when)).open()),
        );
    }
  }

  /**
   * The vault keeps what the companion never sees: each AI draft as it came, and the revisions saved while
   * the companion was away. One button shows them, so the companion's list hides nothing.
   */
  private vaultRevisionsButton(el: HTMLElement): void {
    new Setting(el).setDesc("AI drafts, and revisions saved while the companion was not running, are kept in the vault.").addButton((b) =>
      b.setButtonText("Show the vault's revisions").onClick(() => void this.drawVault(++this.generation, null)),
    );
  }

  /** The companion's revisions, newest first, each with Compare (a word diff against now) and Restore. */
  private drawCompanion(client: CompanionRevisions, list: RevisionSummary[]): void {
    const el = this.contentEl;
    el.empty();
    if (list.length === 0) {
      el.createEl("p", { cls: "bookwright-muted", text: "The companion has no revisions of this chapter yet. It keeps one whenever the chapter is saved." });
      this.vaultRevisionsButton(el);
      return;
    }
    el.createEl("p", { cls: "bookwright-muted", text: "Revisions kept by the companion, newest first." });
    this.vaultRevisionsButton(el);
    const items = el.createDiv({ cls: "bookwright-revision-list" });
    // The companion gives the first revision of a note a delta of 0; with the whole list here, that one has
    // no revision before it to be "as many as".
    const oldest = list.length < COMPANION_LIST_LIMIT ? list[list.length - 1] : undefined;
    for (const revision of list) {
      const when = revisionTime(revision.createdAt);
      const row = items.createDiv({ cls: "bookwright-companion-revision" });
      let diffEl: HTMLElement | null = null;
      const label = revision.label !== undefined && revision.label !== "" ? ` · ${revision.label}` : "";
      new Setting(row)
        .setClass("bookwright-revision")
        .setName(when)
        .setDesc(`${sourceText(revision.source)} · ${revision === oldest && revision.wordDelta === 0 ? oldestText(revision.words) : deltaText(revision.words, revision.wordDelta)}${label}`)
        .addButton((b) =>
          b
            .setButtonText("Compare")
            .setTooltip("Show what restoring this revision would change")
            .onClick(async () => {
              if (diffEl) {
                diffEl.remove();
                diffEl = null;
                return;
              }
              const box = row.createDiv({ cls: "bookwright-revision-diff-box" });
              diffEl = box;
              box.createEl("p", { cls: "bookwright-muted", text: "Comparing…" });
              try {
                const diff = await client.diff(revision.id);
                box.empty();
                drawDiff(box, diff);
              } catch (error) {
                box.empty();
                box.createEl("p", { cls: "bookwright-revisions-error", text: `Could not compare: ${messageOf(error)}` });
              }
            }),
        )
        .addButton((b) =>
          b
            .setButtonText("Restore")
            .onClick(() => new ConfirmRestoreModal(this.app, COMPANION_RESTORE_TEXT(when), () => this.restoreFromCompanion(client, revision, when)).open()),
        );
    }
  }

  private async restoreFromCompanion(client: CompanionRevisions, revision: RevisionSummary, when: string): Promise<void> {
    try {
      const { before } = await client.restore(revision.id, companionRestoreLabel(when));
      new Notice(
        before === null
          ? `Restored the revision from ${when}.`
          : `Restored the revision from ${when}. The text it replaced is kept as a revision.`,
      );
    } catch (error) {
      new Notice(`Could not restore the revision: ${messageOf(error)}`);
    }
    await this.render();
  }

  private async restore(revision: RevisionInfo, when: string): Promise<void> {
    try {
      const now = (this.deps.now ?? Date.now)();
      const outcome = await restoreRevision(this.deps.vault, this.revisions, this.notePath, revision, now);
      new Notice(
        outcome === "unchanged"
          ? "The chapter already holds the text of that revision; nothing was changed."
          : `Restored the revision from ${when}. The text it replaced is kept as a revision.`,
      );
    } catch (error) {
      new Notice(`Could not restore the revision: ${messageOf(error)}`);
    }
    await this.render();
  }
}

const VAULT_RESTORE_TEXT = (when: string) =>
  `The chapter's text is replaced by the revision from ${when}. Its properties stay as they are, and its current text is kept as a revision first, so you can go back.`;
const COMPANION_RESTORE_TEXT = (when: string) =>
  `The chapter, properties included, is replaced by the revision from ${when}. The companion keeps its current text as a revision first, so you can go back.`;

/** Unchanged words kept beside each change (a couple of lines); a longer unchanged stretch is folded. */
const DIFF_CONTEXT_WORDS = 20;
/** Folding fewer words than this saves no room and hides what the writer may want to read. */
const MIN_FOLDED_WORDS = 10;

/**
 * An unchanged stretch as shown: whole, or its first words (when a change comes before it) and its last
 * words (when one comes after) around a fold of `hidden` words. A chapter is thousands of words and a
 * revision often differs in a handful; unfolded, the changes would be pages apart.
 */
export function foldUnchanged(text: string, changeBefore: boolean, changeAfter: boolean): { head: string; hidden: number; tail: string } {
  // Each piece is a word with the whitespace after it (the first also with any before it), so joining
  // the pieces gives the text back exactly. No lookbehind: iOS before 16.4 has none.
  const pieces = text.match(/\s*\S+\s*/g) ?? [text];
  const headCount = changeBefore ? DIFF_CONTEXT_WORDS : 0;
  const tailCount = changeAfter ? DIFF_CONTEXT_WORDS : 0;
  if (pieces.length < headCount + tailCount + MIN_FOLDED_WORDS) return { head: text, hidden: 0, tail: "" };
  return {
    head: pieces.slice(0, headCount).join(""),
    hidden: pieces.length - headCount - tailCount,
    tail: pieces.slice(pieces.length - tailCount).join(""),
  };
}

/**
 * A word diff side by side: the chapter now on the left with what a restore would remove struck through,
 * the revision on the right with what it would add marked; long unchanged stretches folded on both sides.
 */
export function drawDiff(el: HTMLElement, diff: DiffResponse): void {
  const { inserted, deleted } = diff.words;
  el.createEl("p", {
    cls: "bookwright-muted",
    text:
      inserted === 0 && deleted === 0
        ? "The revision's words are the chapter's words now."
        : `Restoring it would remove ${numbers.format(deleted)} word${deleted === 1 ? "" : "s"} and add ${numbers.format(inserted)}.`,
  });
  const sides = el.createDiv({ cls: "bookwright-revision-diff" });
  const now = sides.createDiv({ cls: "bookwright-revision-diff-side bookwright-revision-diff-now" });
  now.createDiv({ cls: "bookwright-revision-diff-heading", text: "Now" });
  const nowText = now.createDiv({ cls: "bookwright-diff" });
  const then = sides.createDiv({ cls: "bookwright-revision-diff-side bookwright-revision-diff-revision" });
  then.createDiv({ cls: "bookwright-revision-diff-heading", text: "This revision" });
  const thenText = then.createDiv({ cls: "bookwright-diff" });
  diff.ops.forEach((op, index) => {
    if (op.op === "equal") {
      const { head, hidden, tail } = foldUnchanged(op.text, index > 0, index < diff.ops.length - 1);
      for (const side of [nowText, thenText]) {
        if (head) side.createSpan({ text: head });
        if (hidden > 0) side.createDiv({ cls: "bookwright-diff-fold", text: `${numbers.format(hidden)} unchanged word${hidden === 1 ? "" : "s"}` });
        if (tail) side.createSpan({ text: tail });
      }
    } else if (op.op === "delete") {
      nowText.createEl("del", { cls: "bookwright-diff-removed", text: op.text });
    } else {
      thenText.createEl("ins", { cls: "bookwright-diff-added", text: op.text });
    }
  });
}

/** Asks before a restore: it replaces the chapter's text (recoverably, but the writer should mean it). */
class ConfirmRestoreModal extends Modal {
  constructor(
    app: App,
    private readonly text: string,
    private readonly onConfirm: () => Promise<void>,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle("Restore this revision?");
    this.contentEl.createEl("p", { text: this.text });
    new Setting(this.contentEl)
      .addButton((b) => b.setButtonText("Cancel").onClick(() => this.close()))
      .addButton((b) =>
        b
          .setButtonText("Restore")
          .setCta()
          .onClick(async () => {
            this.close();
            await this.onConfirm();
          }),
      );
  }

  override onClose(): void {
    this.contentEl.empty();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
