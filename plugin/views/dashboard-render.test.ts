// @vitest-environment happy-dom
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp } from "../../test/obsidian-stub/obsidian";
import { ObsidianVault } from "../vault/obsidian-vault";
import { chapterLabel, formatCost, renderDashboard, statusClass } from "./dashboard-render";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

const chapter = (n: number, title: string, status: string, body: string, continuity?: string) =>
  `---\nbookwright: chapter\nchapter: ${n}\ntitle: ${title}\nstatus: ${status}\n${continuity ? `continuity: ${continuity}\n` : ""}---\n${body}\n`;

/** Five chapters, one per status and continuity result; 1,000 words planned over 5 chapters = 200 each. */
const LIGHTHOUSE: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\nauthor: Ada Quill\ntarget_words: 1000\nplanned_chapters: 5\n---\n",
  // 9 words.
  "Lighthouse/Chapters/01 Storm.md": chapter(1, "Storm", "written", "The storm came in from the west before dawn.", "pass"),
  // 11 words.
  "Lighthouse/Chapters/02 Supply boat.md": chapter(2, "Supply boat", "brief_complete", "No boat came that week, and the lamp oil ran low."),
  // 6 words.
  "Lighthouse/Chapters/03 The logbook.md": chapter(3, "The logbook", "written", "Her father's logbook stopped in March.", "warning"),
  // 4 words.
  "Lighthouse/Chapters/04 Lamp room.md": chapter(4, "Lamp room", "verified", "The lamp turned slowly.", "fail"),
  "Lighthouse/Chapters/05 Landing.md": chapter(5, "Landing", "not_started", ""),
};

async function bookFrom(notes: Record<string, string>, folder = "Lighthouse"): Promise<BookInfo> {
  const vault = new ObsidianVault(createStubApp());
  for (const [path, text] of Object.entries(notes)) await vault.write(path, text);
  return loadBook(vault, folder);
}

function render(book: BookInfo, costUsd = 0, runningChapters: number[] = []) {
  const el = createDiv();
  const openChapter = vi.fn<(path: string) => void>();
  renderDashboard(el, { book, costUsd, runningChapters }, { openChapter });
  return { el, openChapter, cells: el.findAll("button.bookwright-chapter-cell") as HTMLButtonElement[] };
}

describe("renderDashboard", () => {
  it("shows the title, the author and the words against the target, as text and as a progress bar", async () => {
    const book = await bookFrom(LIGHTHOUSE);
    expect(book.diagnostics).toEqual([]);
    const { el } = render(book);
    expect(el.find(".bookwright-dashboard-title")?.getText()).toBe("The Lighthouse Keeper");
    expect(el.find(".bookwright-dashboard-author")?.getText()).toBe("by Ada Quill");
    expect(el.find(".bookwright-dashboard-words")?.getText()).toBe("30 / 1,000 words (3%)");
    const bar = el.find(".bookwright-book-bar");
    expect(bar?.getAttr("role")).toBe("progressbar");
    expect([bar?.getAttr("aria-valuenow"), bar?.getAttr("aria-valuemax")]).toEqual(["30", "1000"]);
    expect(bar?.find(".bookwright-bar-fill").style.getPropertyValue("--bookwright-fill")).toBe("3%");
  });

  it("draws one button per chapter, coloured by status, with number, title, words and the continuity mark", async () => {
    const { cells } = render(await bookFrom(LIGHTHOUSE));
    expect(cells).toHaveLength(5);
    expect(cells.map((c) => [...c.classList].find((cls) => cls.startsWith("bookwright-status-")))).toEqual([
      "bookwright-status-written",
      "bookwright-status-brief-complete",
      "bookwright-status-written",
      "bookwright-status-verified",
      "bookwright-status-not-started",
    ]);
    const third = cells[2]!;
    expect(third.getAttr("type")).toBe("button");
    expect(third.find(".bookwright-chapter-number")?.getText()).toBe("3");
    expect(third.find(".bookwright-chapter-title")?.getText()).toBe("The logbook");
    expect(third.find(".bookwright-chapter-words")?.getText()).toBe("6 words");
    expect(cells.map((c) => c.find(".bookwright-continuity")?.className ?? null)).toEqual([
      "bookwright-continuity bookwright-continuity-pass",
      null,
      "bookwright-continuity bookwright-continuity-warning",
      "bookwright-continuity bookwright-continuity-fail",
      null,
    ]);
  });

  it("labels each cell for screen readers with what the cell shows", async () => {
    const { cells } = render(await bookFrom(LIGHTHOUSE));
    expect(cells.map((c) => c.getAttr("aria-label"))).toEqual([
      "Chapter 1, Storm: written, 9 words, continuity pass",
      "Chapter 2, Supply boat: brief complete, 11 words",
      "Chapter 3, The logbook: written, 6 words, continuity warning",
      "Chapter 4, Lamp room: verified, 4 words, continuity fail",
      "Chapter 5, Landing: not started, 0 words",
    ]);
    // The visible parts are hidden from screen readers, so the label is read once, not twice.
    expect(cells[0]!.findAll("[aria-hidden='true']").length).toBeGreaterThanOrEqual(3);
  });

  it("fills each chapter's bar against its share of the target (target / planned chapters)", async () => {
    const { cells } = render(await bookFrom(LIGHTHOUSE));
    const fills = cells.map((c) => c.find(".bookwright-chapter-bar .bookwright-bar-fill").style.getPropertyValue("--bookwright-fill"));
    // 200 words a chapter: 9, 11, 6, 4 and 0 words.
    expect(fills).toEqual(["4.5%", "5.5%", "3%", "2%", "0%"]);
  });

  it("counts chapters by status and shows what the queue has spent", async () => {
    const { el } = render(await bookFrom(LIGHTHOUSE), 1.25);
    expect(el.findAll(".bookwright-status-count").map((li) => [li.getText(), statusOf(li)])).toEqual([
      ["Not started: 1", "bookwright-status-not-started"],
      ["Brief complete: 1", "bookwright-status-brief-complete"],
      ["Written: 2", "bookwright-status-written"],
      ["Verified: 1", "bookwright-status-verified"],
    ]);
    expect(el.find(".bookwright-dashboard-cost")?.getText()).toBe("Spent on AI for this book: $1.25");
  });

  it("opens the chapter whose cell is clicked", async () => {
    const { cells, openChapter } = render(await bookFrom(LIGHTHOUSE));
    cells[2]!.click();
    expect(openChapter).toHaveBeenCalledExactlyOnceWith("Lighthouse/Chapters/03 The logbook.md");
  });

  it("marks the chapters a job is running on", async () => {
    const { cells } = render(await bookFrom(LIGHTHOUSE), 0, [2]);
    expect(cells.map((c) => c.hasClass("bookwright-running"))).toEqual([false, true, false, false, false]);
    expect(cells[1]!.getAttr("aria-label")).toBe("Chapter 2, Supply boat: brief complete, 11 words, a job is running");
  });

  it("replaces what it drew before when drawn again", async () => {
    const book = await bookFrom(LIGHTHOUSE);
    const { el } = render(book);
    renderDashboard(el, { book, costUsd: 2 }, { openChapter: () => undefined });
    expect(el.findAll(".bookwright-chapter-cell")).toHaveLength(5);
    expect(el.findAll(".bookwright-dashboard-title")).toHaveLength(1);
  });

  it("shows plain word counts and no bars for a book without a target", async () => {
    const { el, cells } = render(
      await bookFrom({
        "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\n---\n",
        "Tides/One.md": chapter(1, "One", "written", "Three words here."),
      }, "Tides"),
    );
    expect(el.find(".bookwright-dashboard-words")?.getText()).toBe("3 words (no target: set target_words in Tides/Book.md)");
    expect(el.find(".bookwright-book-bar")).toBeNull();
    expect(cells[0]!.find(".bookwright-chapter-bar")).toBeNull();
    expect(el.find(".bookwright-dashboard-author")).toBeNull();
  });

  it("says how to add a chapter to a book that has none", async () => {
    const { el, cells } = render(await bookFrom({ "Empty/Book.md": "---\nbookwright: book\ntitle: Empty\n---\n" }, "Empty"));
    expect(cells).toEqual([]);
    expect(el.find(".bookwright-dashboard-empty")?.getText()).toContain("New chapter");
  });
});

describe("dashboard helpers", () => {
  it("names statuses as CSS classes", () => {
    expect(statusClass("brief_complete")).toBe("bookwright-status-brief-complete");
  });

  it("labels an unnumbered chapter as such", () => {
    expect(chapterLabel({ path: "a.md", number: null, title: "Prologue", status: "written", words: 1, meta: null, depth: 0 })).toBe(
      "Unnumbered chapter, Prologue: written, 1 word",
    );
  });

  it("never shows a small cost as nothing", () => {
    expect([formatCost(0), formatCost(0.004), formatCost(12.345)]).toEqual(["$0.00", "less than $0.01", "$12.35"]);
  });
});

function statusOf(el: HTMLElement): string | undefined {
  return [...el.classList].find((cls) => cls.startsWith("bookwright-status-") && cls !== "bookwright-status-count");
}
