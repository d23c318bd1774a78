/**
 * The series dashboard as pure DOM, like the book dashboard's renderer: given a read series, its stats
 * and the warnings found while reading it, it fills an element and knows nothing about views, events or
 * the vault, so the view can redraw it on every change and tests can check it without an App. Built with
 * Obsidian's element helpers, never innerHTML: titles, names and paths are the writer's text.
 *
 * Choosing a character (a click in the list, or the search box) redraws only the "where does this
 * character appear" panel, so the search box keeps its focus and the list its scroll position.
 */
import { formatDiagnostic, type Diagnostic } from "../../shared/book/diagnostics";
import { CHAPTER_STATUSES, type BookStatus } from "../../shared/book/schemas";
import type { SeriesInfo } from "../../shared/series/series";
import { characterAppearances, characterStateByBook, type ContinuityCounts, type SeriesBookStats, type SeriesCharacter, type SeriesStats } from "../../shared/series/series-stats";
import { baseName, isInFolder } from "../../shared/vault/vault-files";
import { bar, CONTINUITY_MARKS, STATUS_WORDS, statusClass } from "./dashboard-render";

export interface SeriesDashboardInput {
  series: SeriesInfo;
  stats: SeriesStats;
  /** The series scan's warnings about this series (each names a note). */
  warnings: Diagnostic[];
  /** The character whose appearances are shown (by name), if any. */
  selected?: string | null;
  /** What the search box held before a redraw. */
  query?: string;
}

export interface SeriesDashboardActions {
  openNote(path: string): void;
  /** Tells the view which character is chosen, so a redraw after a vault change keeps it. */
  selectCharacter?(name: string | null): void;
  /** Tells the view what the search box holds, for the same reason. */
  queryChanged?(query: string): void;
}

export const BOOK_STATUS_WORDS: Record<BookStatus, string> = {
  draft: "draft",
  in_progress: "in progress",
  complete: "complete",
  published: "published",
};

const CONTINUITY_WORDS: [key: keyof ContinuityCounts, mark: string, word: string][] = [
  ["pass", CONTINUITY_MARKS.pass, "pass"],
  ["warning", CONTINUITY_MARKS.warning, "warning"],
  ["fail", CONTINUITY_MARKS.fail, "fail"],
  ["unchecked", "?", "unchecked"],
];

// "en" as in the book dashboard and the CLI, so every surface prints the same numbers.
const numbers = new Intl.NumberFormat("en");

const plural = (n: number, word: string): string => `${numbers.format(n)} ${word}${n === 1 ? "" : "s"}`;

/** "40,123 / 45,000 words (89%)", or "40,123 words" when the book has no target. */
export function wordsAgainstTarget(words: number, target: number | null): string {
  if (target === null || target <= 0) return plural(words, "word");
  return `${numbers.format(words)} / ${numbers.format(target)} words (${Math.round((words / target) * 100)}%)`;
}

/** "Chapters by status: 20 written, 1 not started" — what a screen reader hears for the stacked bar. */
export function chaptersByStatusText(book: SeriesBookStats): string {
  const parts = CHAPTER_STATUSES.filter((s) => book.byStatus[s] > 0).map((s) => `${book.byStatus[s]} ${STATUS_WORDS[s]}`);
  return parts.length ? `Chapters by status: ${parts.join(", ")}` : "No chapters yet";
}

/** "Chapter 3", or "Chapter 1: The ball" when the title says more than the number. */
export function chapterName(chapter: number, title: string | undefined): string {
  const name = `Chapter ${chapter}`;
  return title && title.trim() !== "" && title.trim().toLowerCase() !== name.toLowerCase() ? `${name}: ${title.trim()}` : name;
}

/** Whether a character's name or one of its aliases contains `query` (case-insensitive). */
export function matchesCharacter(character: Pick<SeriesCharacter, "name" | "aliases">, query: string): boolean {
  const wanted = query.trim().toLowerCase();
  if (wanted === "") return true;
  return [character.name, ...character.aliases].some((n) => n.toLowerCase().includes(wanted));
}

/** Empties `el` and renders the dashboard of `input.series` into it. */
export function renderSeriesDashboard(el: HTMLElement, input: SeriesDashboardInput, actions: SeriesDashboardActions): void {
  const { series, stats } = input;
  el.empty();
  el.addClass("bookwright-series");

  const header = el.createDiv({ cls: "bookwright-series-header" });
  header.createEl("h2", { cls: "bookwright-series-title", text: stats.title });
  if (stats.description?.trim()) header.createEl("p", { cls: "bookwright-series-description bookwright-muted", text: stats.description.trim() });
  const notes = header.createDiv({ cls: "bookwright-series-notes" });
  link(notes, "Series note", series.indexPath, actions);
  if (series.biblePath) link(notes, "Series bible", series.biblePath, actions);

  renderTotals(el, stats);
  if (input.warnings.length > 0) renderWarnings(el, input.warnings, actions);
  renderBooks(el, series, stats, actions);
  renderCharacters(el, input, actions);
}

function renderTotals(el: HTMLElement, stats: SeriesStats): void {
  const totals = el.createEl("ul", { cls: "bookwright-series-totals", attr: { "aria-label": "Series totals" } });
  const total = (value: string, label: string, extra?: string) => {
    const item = totals.createEl("li", { cls: "bookwright-series-total" });
    item.createSpan({ cls: "bookwright-series-total-value", text: value });
    item.createSpan({ cls: "bookwright-series-total-label bookwright-muted", text: extra ? `${label} ${extra}` : label });
  };
  total(numbers.format(stats.books.length), stats.books.length === 1 ? "book" : "books");
  total(numbers.format(stats.chapters), stats.chapters === 1 ? "chapter" : "chapters");
  const target = stats.targetWords;
  total(numbers.format(stats.words), stats.words === 1 ? "word" : "words", target ? `of ${numbers.format(target)} (${Math.round((stats.words / target) * 100)}%)` : undefined);
  total(numbers.format(stats.characters.length), stats.characters.length === 1 ? "character" : "characters");
}

function renderWarnings(el: HTMLElement, warnings: Diagnostic[], actions: SeriesDashboardActions): void {
  const section = el.createDiv({ cls: "bookwright-series-warnings", attr: { role: "region", "aria-label": "Warnings" } });
  section.createEl("h3", { cls: "bookwright-series-heading", text: `${warnings.length === 1 ? "Warning" : "Warnings"} (${warnings.length})` });
  const list = section.createEl("ul", { cls: "bookwright-series-warning-list" });
  for (const warning of warnings) {
    const item = list.createEl("li", { cls: ["bookwright-series-warning", `bookwright-series-${warning.severity}`], attr: { "data-path": warning.path } });
    // The note's path is the link: the writer goes straight to the key that needs fixing.
    link(item, warning.path, warning.path, actions, `Open ${warning.path}`);
    const field = warning.field ? ` (${warning.field})` : "";
    item.createSpan({ cls: "bookwright-series-warning-message", text: `${field}: ${warning.message}`, attr: { title: formatDiagnostic(warning) } });
  }
}

function renderBooks(el: HTMLElement, series: SeriesInfo, stats: SeriesStats, actions: SeriesDashboardActions): void {
  const section = el.createDiv({ cls: "bookwright-series-section" });
  section.createEl("h3", { cls: "bookwright-series-heading", text: "Books" });
  if (stats.books.length === 0) {
    section.createDiv({
      cls: "bookwright-series-empty bookwright-muted",
      text: `No books in ${stats.title} yet. Open a book's note and run "Move book into series…" to add it.`,
    });
    return;
  }
  const list = section.createEl("ol", { cls: "bookwright-series-books", attr: { "aria-label": "Books in series order" } });
  for (const book of stats.books) {
    const indexPath = series.books.find((b) => b.position === book.position)?.book.indexPath;
    const item = list.createEl("li", { cls: "bookwright-series-book", attr: { "data-folder": book.folder } });

    const head = item.createDiv({ cls: "bookwright-series-book-head" });
    head.createSpan({ cls: "bookwright-series-position", text: String(book.position), attr: { "aria-label": `Book ${book.position}` } });
    if (indexPath) link(head, book.title, indexPath, actions, `Open ${book.title}`, "bookwright-series-book-title");
    else head.createSpan({ cls: "bookwright-series-book-title", text: book.title });
    head.createSpan({ cls: ["bookwright-series-badge", `bookwright-book-status-${book.status.replace(/_/g, "-")}`], text: BOOK_STATUS_WORDS[book.status] });

    const words = item.createDiv({ cls: "bookwright-series-book-words" });
    const wordsLine = wordsAgainstTarget(book.words, book.targetWords);
    words.createDiv({ cls: "bookwright-series-book-words-text", text: wordsLine });
    if (book.targetWords !== null && book.targetWords > 0) {
      bar(words, "bookwright-book-bar", book.words / book.targetWords).setAttrs({
        role: "progressbar",
        "aria-label": `Words of ${book.title} against its target`,
        "aria-valuemin": 0,
        "aria-valuemax": book.targetWords,
        "aria-valuenow": Math.min(book.words, book.targetWords),
        "aria-valuetext": wordsLine,
      });
    }

    const chapters = item.createDiv({ cls: "bookwright-series-book-chapters" });
    // The bar's colours say the statuses at a glance; the words say them exactly (the dashboard has a legend).
    const byStatus = CHAPTER_STATUSES.filter((s) => book.byStatus[s] > 0).map((s) => `${book.byStatus[s]} ${STATUS_WORDS[s]}`).join(", ");
    chapters.createDiv({ cls: "bookwright-series-book-chapters-text", text: byStatus ? `${plural(book.chapters, "chapter")} · ${byStatus}` : plural(book.chapters, "chapter") });
    statusStack(chapters, book);

    const continuity = item.createEl("ul", { cls: "bookwright-series-continuity", attr: { "aria-label": `Continuity of ${book.title}` } });
    for (const [key, mark, word] of CONTINUITY_WORDS) {
      const n = book.continuity[key];
      const pill = continuity.createEl("li", { cls: ["bookwright-series-continuity-count", `bookwright-continuity-${key}`] });
      if (n === 0) pill.addClass("bookwright-series-zero");
      pill.createSpan({ cls: "bookwright-series-continuity-mark", text: mark, attr: { "aria-hidden": "true" } });
      pill.createSpan({ text: `${numbers.format(n)} ${word}` });
    }
  }
}

/** The book's chapters by status as one bar of coloured segments; each width goes through a CSS variable. */
function statusStack(parent: HTMLElement, book: SeriesBookStats): void {
  // Hidden from screen readers: the line above it says the same in words.
  const stack = parent.createDiv({ cls: "bookwright-status-stack", attr: { "aria-hidden": "true", title: chaptersByStatusText(book) } });
  if (book.chapters === 0) return;
  for (const status of CHAPTER_STATUSES) {
    const n = book.byStatus[status];
    if (n === 0) continue;
    const segment = stack.createDiv({ cls: ["bookwright-status-segment", statusClass(status)], attr: { title: `${n} ${STATUS_WORDS[status]}` } });
    segment.setCssProps({ "--bookwright-fill": `${Math.round((n / book.chapters) * 1000) / 10}%` });
  }
}

function renderCharacters(el: HTMLElement, input: SeriesDashboardInput, actions: SeriesDashboardActions): void {
  const { series, stats } = input;
  const section = el.createDiv({ cls: "bookwright-series-section" });
  section.createEl("h3", { cls: "bookwright-series-heading", text: "Characters" });
  if (stats.characters.length === 0) {
    section.createDiv({ cls: "bookwright-series-empty bookwright-muted", text: "No character notes in the series or its books yet." });
    return;
  }
  const columns = section.createDiv({ cls: "bookwright-series-characters" });
  const listSide = columns.createDiv({ cls: "bookwright-series-character-list" });
  const search = listSide.createEl("input", {
    cls: "bookwright-series-search",
    type: "search",
    placeholder: "Find a character by name or alias",
    attr: { "aria-label": "Find a character by name or alias", spellcheck: "false" },
  });
  search.value = input.query ?? "";

  const table = listSide.createEl("table", { cls: "bookwright-series-character-table" });
  const headRow = table.createEl("thead").createEl("tr");
  for (const heading of ["Character", "Note", "Books", "Chapters"]) headRow.createEl("th", { text: heading, attr: { scope: "col" } });
  const body = table.createEl("tbody");
  const noMatch = listSide.createDiv({ cls: "bookwright-series-empty bookwright-muted", text: "No character has that name or alias." });

  const panel = columns.createDiv({ cls: "bookwright-series-appearances", attr: { role: "region", "aria-label": "Where does this character appear", "aria-live": "polite" } });

  const rows: { character: SeriesCharacter; row: HTMLElement; button: HTMLElement }[] = [];
  let selected = stats.characters.find((c) => c.name === input.selected) ?? null;

  const select = (character: SeriesCharacter | null) => {
    selected = character;
    for (const r of rows) {
      const on = r.character === character;
      r.row.toggleClass("bookwright-selected", on);
      r.button.setAttr("aria-pressed", on ? "true" : "false");
    }
    renderAppearances(panel, series, character, actions);
    actions.selectCharacter?.(character?.name ?? null);
  };

  for (const character of stats.characters) {
    const row = body.createEl("tr", { cls: "bookwright-series-character", attr: { "data-name": character.name } });
    const nameCell = row.createEl("td");
    const aliases = character.aliases.filter((a) => a !== character.name);
    const button = nameCell.createEl("button", {
      cls: "bookwright-series-character-name",
      text: character.name,
      attr: { type: "button", "aria-pressed": "false", "aria-label": `Where does ${character.name} appear${aliases.length ? ` (also ${aliases.join(", ")})` : ""}` },
    });
    button.onClickEvent(() => select(character));
    if (aliases.length) nameCell.createDiv({ cls: "bookwright-series-aliases bookwright-muted", text: aliases.join(", ") });

    const noteCell = row.createEl("td");
    const owner = character.seriesWide ? null : series.books.find((b) => isInFolder(character.path, b.book.folder));
    const noteText = owner ? `Book note (${owner.position})` : "Series note";
    link(noteCell, noteText, character.path, actions, `Open ${baseName(character.path)}${owner ? `, ${owner.book.meta.title}'s note` : ", the series' note"}`);

    const booksText = character.books.join(", ") || "—";
    const titles = character.books.map((p) => series.books.find((b) => b.position === p)?.book.meta.title).filter(Boolean).join(", ");
    row.createEl("td", { cls: "bookwright-series-number", text: booksText, attr: titles ? { title: titles, "aria-label": `Books ${booksText}: ${titles}` } : {} });
    row.createEl("td", { cls: "bookwright-series-number", text: numbers.format(character.appearances) });
    rows.push({ character, row, button });
  }

  const filter = () => {
    let shown = 0;
    for (const r of rows) {
      const on = matchesCharacter(r.character, search.value);
      r.row.toggle(on);
      if (on) shown++;
    }
    noMatch.toggle(shown === 0);
    return rows.filter((r) => matchesCharacter(r.character, search.value));
  };
  search.addEventListener("input", () => {
    const matches = filter();
    actions.queryChanged?.(search.value);
    // One name left, or one that matches exactly: that is the character the writer is after.
    const exact = matches.find((r) => [r.character.name, ...r.character.aliases].some((n) => n.toLowerCase() === search.value.trim().toLowerCase()));
    const only = matches.length === 1 ? matches[0] : undefined;
    const chosen = search.value.trim() === "" ? undefined : (exact ?? only);
    if (chosen && chosen.character !== selected) select(chosen.character);
  });
  search.addEventListener("keydown", (evt) => {
    if (evt.key !== "Enter") return;
    evt.preventDefault();
    const first = filter()[0];
    if (first) select(first.character);
  });
  filter();
  select(selected);
}

function renderAppearances(panel: HTMLElement, series: SeriesInfo, character: SeriesCharacter | null, actions: SeriesDashboardActions): void {
  panel.empty();
  if (character === null) {
    panel.createEl("h4", { cls: "bookwright-series-appearances-title", text: "Where does this character appear?" });
    panel.createDiv({ cls: "bookwright-muted", text: "Choose a character in the list, or find one by name or alias, to see every chapter they appear in, book by book." });
    return;
  }
  panel.createEl("h4", { cls: "bookwright-series-appearances-title", text: `Where does ${character.name} appear?` });
  const found = characterAppearances(series, character.name);
  const states = characterStateByBook(series, character.name);
  const books = [...new Set(found.map((a) => a.position))];
  panel.createDiv({
    cls: "bookwright-series-appearances-summary bookwright-muted",
    text: found.length === 0 ? "No appearance recorded yet: no chapter lists them, and their note has no appearances." : `${plural(found.length, "chapter")} in ${plural(books.length, "book")}`,
  });
  for (const position of books) {
    const inBook = found.filter((a) => a.position === position);
    const group = panel.createDiv({ cls: "bookwright-series-appearance-book" });
    group.createEl("h5", { cls: "bookwright-series-appearance-book-title", text: `${position}. ${inBook[0]!.book}` });
    const state = states.find((st) => st.position === position);
    const at = [state?.status, state?.location ? `at ${state.location}` : undefined].filter((x): x is string => x !== undefined);
    if (at.length) group.createDiv({ cls: "bookwright-series-appearance-state bookwright-muted", text: `At the end of this book: ${at.join(", ")}` });
    const list = group.createEl("ul", { cls: "bookwright-series-appearance-list" });
    for (const a of inBook) {
      const item = list.createEl("li", { cls: "bookwright-series-appearance" });
      const name = chapterName(a.chapter, a.chapterTitle);
      if (a.chapterPath) link(item, name, a.chapterPath, actions, `Open ${a.book}, ${name}`);
      else item.createSpan({ text: `${name} (no such chapter note)` });
      const about = [a.role, a.state].filter((s): s is string => typeof s === "string" && s.trim() !== "").join("; ");
      if (about) item.createSpan({ cls: "bookwright-muted", text: ` — ${about}` });
    }
  }
}

/** A button styled as a link: it opens a note, and is reachable by keyboard like the dashboard's cells. */
function link(parent: HTMLElement, text: string, path: string, actions: SeriesDashboardActions, label?: string, cls?: string): HTMLElement {
  const a = parent.createEl("button", { cls: ["bookwright-series-link", ...(cls ? [cls] : [])], text, attr: { type: "button", "data-path": path, ...(label ? { "aria-label": label } : {}) } });
  a.onClickEvent(() => actions.openNote(path));
  return a;
}
