// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadSeries, scanSeries } from "../../shared/series/series";
import { seriesStats } from "../../shared/series/series-stats";
import { MemoryVault } from "../../shared/testing/memory-vault";
import { TRILOGY_BOOKS, TRILOGY_FOLDER } from "../../shared/testing/series-fixture";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { SMALL_TRILOGY_WORDS, smallTrilogy } from "../../test/support/small-trilogy";
import { chapterName, matchesCharacter, renderSeriesDashboard, wordsAgainstTarget } from "./series-render";
import { seriesForPath } from "./series-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

async function render(files = smallTrilogy(), selected: string | null = null) {
  const vault = new MemoryVault().seed(files);
  const scan = await scanSeries(vault);
  const { series, warnings } = seriesForPath(scan, `${TRILOGY_FOLDER}/Series.md`);
  if (!series) throw new Error("no series in the fixture");
  const el = createDiv();
  document.body.appendChild(el);
  const openNote = vi.fn<(path: string) => void>();
  const selectCharacter = vi.fn<(name: string | null) => void>();
  renderSeriesDashboard(el, { series, stats: seriesStats(series), warnings, selected }, { openNote, selectCharacter });
  return { el, openNote, selectCharacter, series };
}

const texts = (el: HTMLElement, selector: string) => el.findAll(selector).map((e) => e.getText());
const search = (el: HTMLElement) => el.find(".bookwright-series-search") as HTMLInputElement;
const type = (input: HTMLInputElement, value: string) => {
  input.value = value;
  input.dispatchEvent(new Event("input"));
};

describe("renderSeriesDashboard", () => {
  it("shows the title, the description, the totals and the three books in order with their words", async () => {
    const { el } = await render();
    expect(el.find(".bookwright-series-title")?.getText()).toBe("Netherfield");
    expect(el.find(".bookwright-series-description")?.getText()).toBe("Three books of the Bennet sisters' marriages.");
    expect(texts(el, ".bookwright-series-total")).toEqual(["3books", "9chapters", "77words of 135,000 (0%)", "4characters"]);
    expect(texts(el, ".bookwright-series-book-title")).toEqual([...TRILOGY_BOOKS]);
    expect(texts(el, ".bookwright-series-position")).toEqual(["1", "2", "3"]);
    expect(texts(el, ".bookwright-series-book-words-text")).toEqual(SMALL_TRILOGY_WORDS.map((w) => `${w} / 45,000 words (0%)`));
    expect(texts(el, ".bookwright-series-badge")).toEqual(["complete", "complete", "in progress"]);
    const bar = el.find(".bookwright-series-book .bookwright-book-bar");
    expect([bar?.getAttr("role"), bar?.getAttr("aria-valuenow"), bar?.getAttr("aria-valuemax")]).toEqual(["progressbar", "29", "45000"]);
  });

  it("draws chapters by status as one bar, and the continuity counts, per book", async () => {
    const files = smallTrilogy();
    const chapter = Object.keys(files).find((p) => p.startsWith(`${TRILOGY_FOLDER}/Pemberley/Chapters/02`))!;
    files[chapter] = files[chapter]!.replace("status: written", "status: not_started").replace("continuity: pass\n", "");
    const third = Object.keys(files).find((p) => p.startsWith(`${TRILOGY_FOLDER}/Pemberley/Chapters/03`))!;
    files[third] = files[third]!.replace("continuity: pass", "continuity: warning");
    const { el } = await render(files);
    const stacks = el.findAll(".bookwright-status-stack");
    expect(texts(el, ".bookwright-series-book-chapters-text")).toEqual(["3 chapters · 3 written", "3 chapters · 3 written", "3 chapters · 1 not started, 2 written"]);
    expect(stacks.map((s) => s.getAttr("title"))).toEqual(["Chapters by status: 3 written", "Chapters by status: 3 written", "Chapters by status: 1 not started, 2 written"]);
    const segments = stacks[2]!.findAll(".bookwright-status-segment");
    expect(segments.map((s) => [s.className, s.style.getPropertyValue("--bookwright-fill")])).toEqual([
      ["bookwright-status-segment bookwright-status-not-started", "33.3%"],
      ["bookwright-status-segment bookwright-status-written", "66.7%"],
    ]);
    const continuity = el.findAll(".bookwright-series-continuity").map((list) => texts(list, "li"));
    expect(continuity[0]).toEqual(["✓3 pass", "!0 warning", "✗0 fail", "?0 unchecked"]);
    expect(continuity[2]).toEqual(["✓1 pass", "!1 warning", "✗0 fail", "?0 unchecked"]);
  });

  it("lists the characters with their note, books and number of chapters", async () => {
    const { el } = await render();
    const rows = el.findAll("tr.bookwright-series-character").map((r) => r.findAll("td").map((td) => td.getText()));
    expect(rows).toContainEqual(["Elizabeth BennetElizabeth, Lizzy, Eliza", "Series note", "1, 2, 3", "5"]);
    expect(rows).toContainEqual(["Jane BennetJane", "Book note (1)", "1", "1"]);
    // Wickham has a note in books 2 and 3 and is named in a chapter of book 1: one row, all three books;
    // his chapters are the three that name him and chapter 1 of books 2 and 3, which his notes record.
    expect(rows.filter((r) => r[0]!.startsWith("George Wickham"))).toEqual([["George WickhamWickham", "Book note (2)", "1, 2, 3", "5"]]);
    expect(rows).toHaveLength(4);
  });

  it("lists where a chosen character appears, book by book, and opens the chapter clicked", async () => {
    const { el, openNote, selectCharacter } = await render();
    expect(el.find(".bookwright-series-appearances-title")?.getText()).toBe("Where does this character appear?");
    const row = el.findAll("tr.bookwright-series-character").find((r) => r.getAttr("data-name") === "Elizabeth Bennet")!;
    (row.find("button.bookwright-series-character-name") as HTMLButtonElement).click();
    expect(selectCharacter).toHaveBeenLastCalledWith("Elizabeth Bennet");
    expect(row.hasClass("bookwright-selected")).toBe(true);
    expect(row.find("button")?.getAttr("aria-pressed")).toBe("true");
    expect(el.find(".bookwright-series-appearances-title")?.getText()).toBe("Where does Elizabeth Bennet appear?");
    expect(el.find(".bookwright-series-appearances-summary")?.getText()).toBe("5 chapters in 3 books");
    expect(texts(el, ".bookwright-series-appearance-book-title")).toEqual(["1. First Impressions", "2. The Letter", "3. Pemberley"]);
    // Her state as each book leaves her, carried forward from the series note's changes.
    expect(texts(el, ".bookwright-series-appearance-state")).toEqual(Array(3).fill("At the end of this book: at Longbourn"));
    const links = el.findAll(".bookwright-series-appearance .bookwright-series-link") as HTMLButtonElement[];
    expect(links.map((l) => l.getText())).toEqual(["Chapter 1: The ball", "Chapter 3: A story", "Chapter 1: The proposal", "Chapter 1: Pemberley", "Chapter 3: Autumn"]);
    links[2]!.click();
    expect(openNote).toHaveBeenCalledWith(`${TRILOGY_FOLDER}/The Letter/Chapters/01 The proposal.md`);
  });

  it("finds a character by alias in the search box, and says so when nobody matches", async () => {
    const { el } = await render();
    type(search(el), "lizzy");
    const shown = el.findAll("tr.bookwright-series-character").filter((r) => r.isShown());
    expect(shown.map((r) => r.getAttr("data-name"))).toEqual(["Elizabeth Bennet"]);
    expect(el.find(".bookwright-series-appearances-title")?.getText()).toBe("Where does Elizabeth Bennet appear?");
    type(search(el), "Mr. Nobody");
    expect(el.findAll("tr.bookwright-series-character").filter((r) => r.isShown())).toEqual([]);
    expect((el.findAll(".bookwright-series-character-list > .bookwright-series-empty")[0] as HTMLElement).isShown()).toBe(true);
    // Enter picks the first match when several names fit.
    type(search(el), "bennet");
    search(el).dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(el.find(".bookwright-series-appearances-title")?.getText()).toMatch(/^Where does (Elizabeth|Jane|Lydia) Bennet appear\?$/);
  });

  it("keeps the chosen character across a redraw", async () => {
    const { el } = await render(smallTrilogy(), "George Wickham");
    expect(el.find(".bookwright-series-appearances-title")?.getText()).toBe("Where does George Wickham appear?");
    expect(el.find(".bookwright-series-appearances-summary")?.getText()).toBe("5 chapters in 3 books");
  });

  it("shows the scan's warnings, each naming its note, which a click opens", async () => {
    const book = (title: string, extra: string) => `---\nbookwright: book\ntitle: ${title}\n${extra}---\n`;
    const files = {
      "Tides/Series.md": "---\nbookwright: series\ntitle: Tides\nbooks:\n  - \"[[Tides/One/Book]]\"\n  - \"[[Missing Book]]\"\n---\n",
      "Tides/One/Book.md": book("One", "series: \"[[Tides]]\"\nseries_order: 1\n"),
      "Tides/Two/Book.md": book("Two", "series: \"[[Series]]\"\nseries_order: 1\n"),
      "Tides/Lost/Book.md": book("Lost", "series: \"[[Waves]]\"\n"),
    };
    const vault = new MemoryVault().seed(files);
    const { series, warnings } = seriesForPath(await scanSeries(vault), "Tides/One/Book.md");
    const el = createDiv();
    const openNote = vi.fn<(path: string) => void>();
    renderSeriesDashboard(el, { series: series!, stats: seriesStats(series!), warnings }, { openNote });
    expect(el.find(".bookwright-series-warnings h3")?.getText()).toBe("Warnings (3)");
    const items = el.findAll(".bookwright-series-warning");
    expect(items.map((i) => i.find(".bookwright-series-link")?.getText())).toEqual(["Tides/Series.md", "Tides/Two/Book.md", "Tides/Lost/Book.md"]);
    expect(items[0]!.getText()).toContain('lists "[[Missing Book]]", but no book');
    expect(items[1]!.getText()).toContain("series_order 1 is also Tides/One/Book.md's");
    expect(items[2]!.getText()).toContain('names the series "[[Waves]]"');
    (items[2]!.find(".bookwright-series-link") as HTMLButtonElement).click();
    expect(openNote).toHaveBeenCalledWith("Tides/Lost/Book.md");
  });
});

describe("the helpers", () => {
  it("words against a target, chapter names, name and alias matching", () => {
    expect(wordsAgainstTarget(40_123, 45_000)).toBe("40,123 / 45,000 words (89%)");
    expect(wordsAgainstTarget(1, null)).toBe("1 word");
    expect(chapterName(3, "Chapter 3")).toBe("Chapter 3");
    expect(chapterName(1, "Chapter 22")).toBe("Chapter 1: Chapter 22");
    expect(chapterName(2, undefined)).toBe("Chapter 2");
    expect(matchesCharacter({ name: "Fitzwilliam Darcy", aliases: ["Mr. Darcy"] }, "mr. d")).toBe(true);
    expect(matchesCharacter({ name: "Fitzwilliam Darcy", aliases: [] }, "lizzy")).toBe(false);
  });

  it("finds a series from a note of one of its books, from its own folder, and not from a standalone book", async () => {
    const vault = new MemoryVault().seed({ ...smallTrilogy(), "Solo/Book.md": "---\nbookwright: book\ntitle: Solo\nseries: \"[[Nowhere]]\"\n---\n" });
    const scan = await scanSeries(vault);
    expect(seriesForPath(scan, `${TRILOGY_FOLDER}/Pemberley/Chapters/01 Pemberley.md`).series?.meta.title).toBe("Netherfield");
    expect(seriesForPath(scan, `${TRILOGY_FOLDER}/Characters/Elizabeth Bennet.md`).series?.meta.title).toBe("Netherfield");
    expect(seriesForPath(scan, TRILOGY_FOLDER).series?.indexPath).toBe(`${TRILOGY_FOLDER}/Series.md`);
    const solo = seriesForPath(scan, "Solo/Book.md");
    expect(solo.series).toBeNull();
    expect(solo.book?.meta.title).toBe("Solo");
    expect(solo.warnings.map((w) => w.path)).toEqual(["Solo/Book.md"]);
    expect(seriesForPath(scan, "Inbox/Errands.md")).toEqual({ series: null, book: null, warnings: [] });
    expect(await loadSeries(vault, TRILOGY_FOLDER)).toEqual(seriesForPath(scan, TRILOGY_FOLDER).series);
  });
});
