/**
 * "Show revisions of this chapter": the texts Bookwright kept of the open chapter (before each AI write,
 * and each AI draft), newest first, to open or restore. A restore is itself a write that replaces the
 * writer's text, so it follows the queue's rules for one: the text it replaces is saved as a revision
 * first, and the swap happens only if the chapter still holds exactly that text.
 */
import { Modal, Notice, Setting, type App, type Plugin, type TFile } from "obsidian";
import { findFrontmatter } from "../../shared/book/frontmatter";
import { WordCounter } from "../../shared/book/words";
import { NoteRevisions, type RevisionInfo, type Revisions } from "../../shared/queue/revisions";
import { bodyOf } from "../../shared/queue/safe-write";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { bookFolderOf } from "./book-stats";

export interface RevisionCommandDeps {
  vault: VaultFiles;
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

function timeText(at: number): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }).format(at);
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
    const el = this.contentEl;
    let list: RevisionInfo[];
    let currentWords: number;
    try {
      [list, currentWords] = await Promise.all([this.revisions.list(this.notePath), this.deps.vault.read(this.notePath).then(proseWords)]);
    } catch (error) {
      if (generation !== this.generation) return;
      el.empty();
      el.createEl("p", { cls: "bookwright-revisions-error", text: `Could not list the revisions: ${messageOf(error)}` });
      return;
    }
    if (generation !== this.generation) return;
    el.empty();
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
            .onClick(() => new ConfirmRestoreModal(this.app, when, () => this.restore(revision, when)).open()),
        );
    }
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

/** Asks before a restore: it replaces the chapter's text (recoverably, but the writer should mean it). */
class ConfirmRestoreModal extends Modal {
  constructor(
    app: App,
    private readonly when: string,
    private readonly onConfirm: () => Promise<void>,
  ) {
    super(app);
  }

  override onOpen(): void {
    this.setTitle("Restore this revision?");
    this.contentEl.createEl("p", {
      text: `The chapter's text is replaced by the revision from ${this.when}. Its properties stay as they are, and its current text is kept as a revision first, so you can go back.`,
    });
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
