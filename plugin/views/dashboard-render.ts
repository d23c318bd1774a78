/**
 * The book dashboard as pure DOM: given a loaded book and what the queue has spent, it fills an element
 * and knows nothing about views, events or the vault, so the view can re-render it on every change and
 * tests can check it without an App. Built with Obsidian's element helpers (`createDiv`, `setText`…),
 * never innerHTML: titles and paths are the writer's text.
 */
import type { BookInfo, ChapterInfo } from "../../shared/book/scan";
import { bookStats } from "../../shared/book/stats";
import { CHAPTER_STATUSES, type ChapterStatus } from "../../shared/book/schemas";

export interface DashboardInput {
  book: BookInfo;
  /** What the book's queue has spent on the model so far, in US dollars. */
  costUsd: number;
  /** Chapters a job of this device's queue is working on now. */
  runningChapters?: number[];
}

export interface DashboardActions {
  openChapter(path: string): void;
}

export const STATUS_WORDS: Record<ChapterStatus, string> = {
  not_started: "not started",
  brief_complete: "brief complete",
  written: "written",
  verified: "verified",
};

export const CONTINUITY_MARKS = { pass: "✓", warning: "!", fail: "✗" } as const;

// "en" as in formatStats, so the dashboard and the CLI print the same numbers.
const numbers = new Intl.NumberFormat("en");

/** A status as a class name: `bookwright-status-brief-complete`. */
export function statusClass(status: ChapterStatus): string {
  return `bookwright-status-${status.replace(/_/g, "-")}`;
}

/** "Chapter 3, The logbook: written, 2,730 words, continuity warning": what a screen reader says for a cell. */
export function chapterLabel(chapter: ChapterInfo, running = false): string {
  const name = chapter.number === null ? `Unnumbered chapter, ${chapter.title}` : `Chapter ${chapter.number}, ${chapter.title}`;
  const parts = [`${name}: ${STATUS_WORDS[chapter.status]}`, wordsText(chapter.words)];
  if (chapter.meta?.continuity) parts.push(`continuity ${chapter.meta.continuity}`);
  if (running) parts.push("a job is running");
  return parts.join(", ");
}

function wordsText(words: number): string {
  return `${numbers.format(words)} word${words === 1 ? "" : "s"}`;
}

/** Dollars as the writer reads a bill: cents, but never "$0.00" for something that did cost a little. */
export function formatCost(usd: number): string {
  if (usd > 0 && usd < 0.01) return "less than $0.01";
  return new Intl.NumberFormat("en", { style: "currency", currency: "USD" }).format(usd);
}

/** A bar filled to `fraction` (clamped to 0..1); the width goes through a CSS variable, not an inline width. */
export function bar(parent: HTMLElement, cls: string, fraction: number): HTMLElement {
  const track = parent.createDiv({ cls: ["bookwright-bar", cls] });
  const fill = track.createDiv({ cls: "bookwright-bar-fill" });
  fill.setCssProps({ "--bookwright-fill": `${Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10}%` });
  return track;
}

/** Empties `el` and renders the dashboard of `input.book` into it. */
export function renderDashboard(el: HTMLElement, input: DashboardInput, actions: DashboardActions): void {
  const { book } = input;
  const stats = bookStats(book);
  const running = new Set(input.runningChapters ?? []);
  el.empty();
  el.addClass("bookwright-dashboard");

  const header = el.createDiv({ cls: "bookwright-dashboard-header" });
  header.createEl("h2", { cls: "bookwright-dashboard-title", text: book.meta.title });
  if (book.meta.author?.trim()) header.createDiv({ cls: "bookwright-dashboard-author bookwright-muted", text: `by ${book.meta.author.trim()}` });

  // Words against the target: the bar is a progressbar for screen readers, the numbers are plain text.
  const progress = el.createDiv({ cls: "bookwright-dashboard-progress" });
  const target = stats.targetWords;
  const wordsLine = target === null
    ? `${wordsText(stats.words)} (no target: set target_words in ${book.indexPath})`
    : `${numbers.format(stats.words)} / ${numbers.format(target)} words (${Math.round((stats.progress ?? 0) * 100)}%)`;
  progress.createDiv({ cls: "bookwright-dashboard-words", text: wordsLine });
  if (target !== null && target > 0) {
    const track = bar(progress, "bookwright-book-bar", stats.words / target);
    track.setAttrs({
      role: "progressbar",
      "aria-label": "Words written against the target",
      "aria-valuemin": 0,
      "aria-valuemax": target,
      "aria-valuenow": Math.min(stats.words, target),
      "aria-valuetext": wordsLine,
    });
  }

  // Chapters by status, in the order a chapter moves through them.
  const counts = el.createEl("ul", { cls: "bookwright-status-counts" });
  for (const status of CHAPTER_STATUSES) {
    const item = counts.createEl("li", { cls: ["bookwright-status-count", statusClass(status)] });
    item.createSpan({ cls: "bookwright-status-swatch", attr: { "aria-hidden": "true" } });
    item.createSpan({ text: `${capitalise(STATUS_WORDS[status])}: ${stats.byStatus[status]}` });
  }

  el.createDiv({ cls: "bookwright-dashboard-cost", text: `Spent on AI for this book: ${formatCost(input.costUsd)}` });

  if (book.chapters.length === 0) {
    el.createDiv({ cls: "bookwright-dashboard-empty bookwright-muted", text: "No chapters yet. Run \"New chapter\" with a note of this book open to add one." });
  } else {
    // A chapter's share of the book: the bar fills at target / planned chapters (or / chapters so far).
    const perChapter = target ? target / (book.meta.planned_chapters || book.chapters.length) : null;
    const grid = el.createDiv({ cls: "bookwright-chapter-grid", attr: { role: "group", "aria-label": "Chapters" } });
    for (const chapter of book.chapters) {
      const isRunning = chapter.number !== null && running.has(chapter.number);
      const cell = grid.createEl("button", {
        cls: ["bookwright-chapter-cell", statusClass(chapter.status)],
        attr: { type: "button", "aria-label": chapterLabel(chapter, isRunning), "data-path": chapter.path },
      });
      if (isRunning) cell.addClass("bookwright-running");
      const top = cell.createDiv({ cls: "bookwright-chapter-top", attr: { "aria-hidden": "true" } });
      top.createSpan({ cls: "bookwright-chapter-number", text: chapter.number === null ? "?" : String(chapter.number) });
      const continuity = chapter.meta?.continuity;
      if (continuity) top.createSpan({ cls: ["bookwright-continuity", `bookwright-continuity-${continuity}`], text: CONTINUITY_MARKS[continuity] });
      cell.createDiv({ cls: "bookwright-chapter-title", text: chapter.title, attr: { "aria-hidden": "true" } });
      cell.createDiv({ cls: "bookwright-chapter-words bookwright-muted", text: wordsText(chapter.words), attr: { "aria-hidden": "true" } });
      if (perChapter) bar(cell, "bookwright-chapter-bar", chapter.words / perChapter).setAttr("aria-hidden", "true");
      cell.onClickEvent(() => actions.openChapter(chapter.path));
    }
  }

  const problems = book.diagnostics.length;
  if (problems > 0) {
    el.createDiv({
      cls: "bookwright-dashboard-problems bookwright-muted",
      text: `${problems} problem${problems === 1 ? "" : "s"} found while reading the book; "Show book stats" lists them.`,
    });
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
