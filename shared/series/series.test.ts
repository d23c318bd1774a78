import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../book/diagnostics";
import { importManuscript, type ImportedChapter } from "../import/import-manuscript";
import { MemoryVault } from "../testing/memory-vault";
import { TRILOGY_BOOKS, TRILOGY_FOLDER, trilogyFiles } from "../testing/series-fixture";
import { joinSeries, leaveSeries, promoteCharacter } from "./membership";
import { isSeriesFolder, linkTarget, loadSeries, scanSeries, seriesOfBook } from "./series";
import { characterAppearances, characterStateByBook, formatSeriesStats, seriesStats } from "./series-stats";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
let chapters: ImportedChapter[];

beforeAll(() => {
  chapters = importManuscript(readFileSync(corpusPath), { fileName: "pride-and-prejudice.txt" }).chapters;
});

const trilogy = () => new MemoryVault().seed(trilogyFiles(chapters));
const book = (title: string, extra = "") => `---\nbookwright: book\ntitle: ${title}\n${extra}---\n`;
const series = (title: string, extra = "") => `---\nbookwright: series\ntitle: ${title}\n${extra}---\n`;

describe("linkTarget", () => {
  it("reads wikilinks, aliases, headings and plain names", () => {
    expect(linkTarget("[[Tides|the saga]]")).toBe("Tides");
    expect(linkTarget("[[Saga/Tides#Books]]")).toBe("Saga/Tides");
    expect(linkTarget("  Tides.md ")).toBe("Tides");
    expect(linkTarget("![[Tides]]")).toBe("Tides");
  });
});

describe("the corpus trilogy", () => {
  it("reads three books in order, with the series bible and series-wide characters", async () => {
    const vault = trilogy();
    const s = await loadSeries(vault, TRILOGY_FOLDER);
    expect(s.meta.title).toBe("Netherfield");
    expect(s.books.map((b) => [b.position, b.order, b.book.meta.title])).toEqual(TRILOGY_BOOKS.map((t, i) => [i + 1, i + 1, t]));
    expect(s.biblePath).toBe(`${TRILOGY_FOLDER}/Series Bible.md`);
    expect(s.characters.map((c) => c.meta?.name)).toEqual(["Elizabeth Bennet", "Fitzwilliam Darcy"]);
    expect(s.diagnostics).toEqual([]);
    expect(s.books.reduce((n, b) => n + b.book.chapters.length, 0)).toBe(chapters.length);
    // Each book numbers its own chapters from 1.
    for (const b of s.books) expect(b.book.chapters[0]!.number).toBe(1);
    expect(await loadSeries(vault, `${TRILOGY_FOLDER}/Series.md`)).toEqual(s);
    expect(await isSeriesFolder(vault, TRILOGY_FOLDER)).toBe(true);
    expect(await isSeriesFolder(vault, `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[0]}`)).toBe(false);
  });

  it("finds a book's series and place", async () => {
    const vault = trilogy();
    const found = await seriesOfBook(vault, `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}`);
    expect(found?.member.position).toBe(2);
    expect(found?.series.meta.title).toBe("Netherfield");
    vault.seed({ "Solo/Book.md": book("Solo") });
    expect(await seriesOfBook(vault, "Solo")).toBeNull();
  });

  it("counts words, statuses and continuity per book and for the series", async () => {
    const s = await loadSeries(trilogy(), TRILOGY_FOLDER);
    const stats = seriesStats(s);
    expect(stats.books.map((b) => b.chapters)).toEqual(s.books.map((b) => b.book.chapters.length));
    expect(stats.words).toBe(stats.books.reduce((n, b) => n + b.words, 0));
    expect(stats.words).toBeGreaterThan(110_000);
    expect(stats.targetWords).toBe(135_000);
    expect(stats.books.map((b) => b.status)).toEqual(["complete", "complete", "in_progress"]);
    expect(stats.books.every((b) => b.continuity.pass === b.chapters && b.continuity.unchecked === 0)).toBe(true);
    const text = formatSeriesStats(stats);
    expect(text).toContain("3 books, 61 chapters");
    expect(text).toContain(" 1. First Impressions");
  });

  it("lists one character once, even when two books each have a note for him", async () => {
    const stats = seriesStats(await loadSeries(trilogy(), TRILOGY_FOLDER));
    const wickham = stats.characters.filter((c) => c.name === "George Wickham");
    expect(wickham).toHaveLength(1);
    // He is mentioned in book 1's chapters too, though only books 2 and 3 have a note for him.
    expect(wickham[0]!.books).toEqual([1, 2, 3]);
    const elizabeth = stats.characters.find((c) => c.name === "Elizabeth Bennet")!;
    expect(elizabeth.seriesWide).toBe(true);
    expect(elizabeth.books).toEqual([1, 2, 3]);
  });

  it("answers where a character appears across the series, by name or alias", async () => {
    const s = await loadSeries(trilogy(), TRILOGY_FOLDER);
    const byName = characterAppearances(s, "Elizabeth Bennet");
    expect(characterAppearances(s, "Lizzy")).toEqual(byName);
    expect(characterAppearances(s, "[[Elizabeth Bennet]]")).toEqual(byName);
    // Every chapter that mentions her, in series order, each with its book and title.
    const expected = s.books.flatMap((b) => b.book.chapters.filter((c) => /\b(Elizabeth|Lizzy|Eliza)\b/.test(chapters.find((x) => x.title === c.title)!.text)).map((c) => [b.position, c.number]));
    expect(byName.map((a) => [a.position, a.chapter])).toEqual(expected);
    expect(byName[0]).toMatchObject({ book: "First Impressions", source: "character-note" });
    // Wickham's appearances come from chapters' `characters` keys and from both books' notes.
    const wickham = characterAppearances(s, "Wickham");
    expect(new Set(wickham.map((a) => a.position))).toEqual(new Set([1, 2, 3]));
    expect(wickham.some((a) => a.source === "chapter")).toBe(true);
    // Book 3's note records chapter 1 although the chapter does not name him: both sources count.
    expect(wickham.find((a) => a.position === 3 && a.chapter === 1)).toMatchObject({ role: "mentioned", state: "charming" });
    expect(characterAppearances(s, "Nobody")).toEqual([]);
  });
});

describe("a character's state as of the end of each book", () => {
  it("carries status and whereabouts forward, book by book, from the series note and the books' own notes", async () => {
    const vault = trilogy();
    // Book 3's own note of Wickham records a change of its own; the series note's entries name their book.
    vault.seed({
      [`${TRILOGY_FOLDER}/${TRILOGY_BOOKS[2]}/Characters/George Wickham.md`]: "---\nbookwright: character\nname: George Wickham\naliases: [Wickham]\nchanges:\n  - {chapter: 4, kind: location, value: Newcastle}\n  - {chapter: 2, kind: status, value: married}\n---\n",
    });
    const s = await loadSeries(vault, TRILOGY_FOLDER);
    expect(characterStateByBook(s, "Elizabeth Bennet")).toEqual([
      { position: 1, book: "First Impressions", location: "Longbourn", changes: [{ chapter: 3, kind: "trait", value: "quick to judge" }, { chapter: 10, kind: "location", value: "Longbourn" }] },
      { position: 2, book: "The Letter", location: "Longbourn", changes: [] },
      { position: 3, book: "Pemberley", location: "Longbourn", changes: [] },
    ]);
    expect(characterStateByBook(s, "Darcy").map((b) => b.status)).toEqual(["proud", "proud", "proud"]);
    expect(characterStateByBook(s, "Wickham")).toEqual([
      { position: 3, book: "Pemberley", status: "married", location: "Newcastle", changes: [{ chapter: 2, kind: "status", value: "married" }, { chapter: 4, kind: "location", value: "Newcastle" }] },
    ]);
    expect(characterStateByBook(s, "Nobody")).toEqual([]);
  });
});

describe("bad input", () => {
  it("warns, naming the notes, and reads everything else", async () => {
    const vault = new MemoryVault().seed({
      "Tides/Series.md": series("Tides", "books:\n  - \"[[Tides/One/Book]]\"\n  - \"[[Missing Book]]\"\n"),
      "Tides/One/Book.md": book("One", "series: \"[[Tides]]\"\nseries_order: 1\n"),
      "Tides/Two/Book.md": book("Two", "series: \"[[Series]]\"\nseries_order: 1\n"),
      "Lost/Book.md": book("Lost", "series: \"[[Waves]]\"\nseries_order: 2\n"),
    });
    const scan = await scanSeries(vault);
    const s = scan.series[0]!;
    expect(s.books.map((b) => b.book.meta.title)).toEqual(["One", "Two"]);
    expect(scan.standalone.map((b) => b.meta.title)).toEqual(["Lost"]);
    expect(s.diagnostics.map(formatDiagnostic)).toEqual([
      'warning: Tides/Series.md (books): lists "[[Missing Book]]", but no book (a folder with a \'bookwright: book\' note) is called that; the series is read without it',
      "warning: Tides/Two/Book.md (series_order): series_order 1 is also Tides/One/Book.md's; expected each book of Tides to have its own place (ordered by title meanwhile)",
    ]);
    expect(scan.diagnostics.map(formatDiagnostic)).toEqual([
      "warning: Lost/Book.md (series): names the series \"[[Waves]]\", but no note with 'bookwright: series' is called that (series found: 'Series'); the book is read as a standalone book",
    ]);
  });

  it("says so when no series is there", async () => {
    const vault = new MemoryVault().seed({ "A/Book.md": book("A"), "S/Series.md": series("S") });
    await expect(loadSeries(vault, "A")).rejects.toThrow("A: no series here; expected a note with 'bookwright: series' in this folder (series in the vault: S/Series.md)");
  });

  it("places a listed book without series_order by its place in the list", async () => {
    const vault = new MemoryVault().seed({
      "S/Series.md": series("S", "books: [\"[[B]]\", \"[[A]]\"]\n"),
      "S/A/Book.md": book("A"),
      "S/B/Book.md": book("B"),
    });
    const s = await loadSeries(vault, "S");
    expect(s.books.map((b) => [b.book.meta.title, b.order])).toEqual([["B", 1], ["A", 2]]);
  });
});

describe("moving books and characters", () => {
  it("moves a book into a series and out again, byte for byte", async () => {
    const vault = new MemoryVault().seed({
      "S/Series.md": series("S", "books:\n  - \"[[S/A/Book]]\"\n"),
      "S/A/Book.md": book("A", "series: \"[[Series]]\"\nseries_order: 1\n"),
      "Solo/Book.md": book("Solo", "genre: sea\n"),
      "Solo/c1.md": "---\nbookwright: chapter\nchapter: 1\n---\nWaves.\n",
    });
    const before = { book: await vault.read("Solo/Book.md"), series: await vault.read("S/Series.md"), chapter: await vault.read("Solo/c1.md") };
    const place = await joinSeries(vault, "Solo/Book.md", await loadSeries(vault, "S"));
    expect(place).toBe(2);
    const s = await loadSeries(vault, "S");
    expect(s.books.map((b) => b.book.meta.title)).toEqual(["A", "Solo"]);
    expect(s.diagnostics).toEqual([]);
    await leaveSeries(vault, "Solo/Book.md", s);
    expect(await vault.read("Solo/Book.md")).toBe(before.book);
    expect(await vault.read("S/Series.md")).toBe(before.series);
    expect(await vault.read("Solo/c1.md")).toBe(before.chapter);
    expect((await loadSeries(vault, "S")).books.map((b) => b.book.meta.title)).toEqual(["A"]);
  });

  it("promotes a book's character to the series, tagging its entries with the book", async () => {
    const vault = trilogy();
    const s = await loadSeries(vault, TRILOGY_FOLDER);
    const path = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[0]}/Characters/Jane Bennet.md`;
    const result = await promoteCharacter(vault, s, path);
    expect(result).toEqual({ path: `${TRILOGY_FOLDER}/Characters/Jane Bennet.md`, merged: false });
    expect(await vault.exists(path)).toBe(false);
    const after = await loadSeries(vault, TRILOGY_FOLDER);
    expect(after.characters.map((c) => c.meta?.name)).toContain("Jane Bennet");
    expect(await vault.read(result.path)).toContain("The eldest sister.");
  });

  it("merges a second book's note into the series note: one note per character", async () => {
    const vault = trilogy();
    const two = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}/Characters/George Wickham.md`;
    const three = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[2]}/Characters/George Wickham.md`;
    const first = await promoteCharacter(vault, await loadSeries(vault, TRILOGY_FOLDER), two);
    const second = await promoteCharacter(vault, await loadSeries(vault, TRILOGY_FOLDER), three);
    expect(second).toEqual({ path: first.path, merged: true });
    const s = await loadSeries(vault, TRILOGY_FOLDER);
    const note = s.characters.find((c) => c.meta?.name === "George Wickham")!;
    const appearances = note.meta?.appearances as { book: string; chapter: number }[];
    expect(appearances.map((a) => a.book)).toEqual([TRILOGY_BOOKS[1], TRILOGY_BOOKS[2]]);
    expect(seriesStats(s).characters.filter((c) => c.name === "George Wickham")).toMatchObject([{ seriesWide: true, books: [1, 2, 3] }]);
    expect(await vault.exists(three)).toBe(false);
  });
});
