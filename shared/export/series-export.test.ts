import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefaultFonts } from "../../companion/export/default-fonts";
import { epubcheck, problems, waitForEpubcheck } from "../../test/support/epubcheck";
import { expectedText, firstDifference, pandocJson, readBack } from "../../test/support/pandoc";
import { fontsOf, info, outlineOf, pageSizes, pageTexts, qpdfCheck, wordOrderProblem } from "../../test/support/pdf-checks";
import { importManuscript, type ImportedChapter } from "../import/import-manuscript";
import { loadSeries } from "../series/series";
import { MemoryVault } from "../testing/memory-vault";
import { TRILOGY_BOOKS, TRILOGY_FOLDER, trilogyFiles } from "../testing/series-fixture";
import { buildBookModel, modelWordCount, type BookModel } from "./book-model";
import { toBookDocx, toManuscriptDocx } from "./docx";
import { exportBook, type ExportProgress } from "./export-book";
import type { FontBytes } from "./pdf/fonts";
import { chapterHeading } from "./pdf/layout";
import { exportPrintPdf, type PrintPdf } from "./pdf/pdf";
import { trimSize } from "./pdf/trim";
import { buildSeriesModel } from "./series-model";
import { toPlainText } from "./text-formats";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
const DATE = new Date("2024-05-01T12:00:00Z");
const now = (): Date => DATE;

let chapters: ImportedChapter[];
let fonts: FontBytes;
let temp: string;
let counter = 0;

beforeAll(async () => {
  chapters = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" }).chapters;
  fonts = await loadDefaultFonts();
  temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-series-export-"));
});

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

const trilogy = (): MemoryVault => new MemoryVault().seed(trilogyFiles(chapters));

async function save(bytes: Uint8Array, extension: string): Promise<string> {
  const file = path.join(temp, `series-${++counter}.${extension}`);
  await writeFile(file, bytes);
  return file;
}

/** The trilogy as the omnibus model, and each book's own model (what a single-book export of it reads). */
async function trilogyModels(vault: MemoryVault): Promise<{ omnibus: BookModel; books: BookModel[] }> {
  const series = await loadSeries(vault, TRILOGY_FOLDER);
  const books = await Promise.all(series.books.map((b) => buildBookModel(vault, b.book.folder, { book: b.book })));
  return { omnibus: await buildSeriesModel(vault, series), books };
}

/** A valid RGB PNG of one colour, so two books' `Map.png` differ in their bytes. */
function png(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.from([0, ...Array.from({ length: width }, () => rgb).flat()]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return new Uint8Array(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]));
}

const RED = png(8, 6, [200, 30, 30]);
const BLUE = png(6, 8, [30, 30, 200]);
const note = (kind: string, keys: string, body = ""): string => `---\nbookwright: ${kind}\n${keys}---\n${body}`;

/**
 * A small series with what goes wrong in real ones: a listed book that does not exist, two books with
 * the same `series_order`, a book without chapters, and a picture the vault lacks; and what must stay
 * apart in one file: both books have a chapter 1 with a note 1 and a picture called `Map.png`.
 */
function tides(authorOfTwo = "Ada Quill"): MemoryVault {
  const vault = new MemoryVault().seed({
    "Tides/Series.md": note("series", 'title: Tides\ndescription: Two books of the sea.\nbooks:\n  - "[[Tides/One/Book]]"\n  - "[[Tides/Two/Book]]"\n  - "[[Missing]]"\n'),
    "Tides/One/Book.md": note("book", 'title: One\nauthor: Ada Quill\nseries: "[[Series]]"\nseries_order: 1\n'),
    "Tides/One/Chapters/01 Storm.md": note("chapter", "chapter: 1\ntitle: Storm\n", "The storm came.[^1]\n\n![[Map.png]]\n\n[^1]: From the west.\n"),
    "Tides/One/Chapters/02 Calm.md": note("chapter", "chapter: 2\ntitle: Calm\n", "It was calm.\n\n## The harbour\n\nBoats.\n"),
    "Tides/Two/Book.md": note("book", `title: Two\nauthor: ${authorOfTwo}\nseries: "[[Series]]"\nseries_order: 1\n`),
    "Tides/Two/Chapters/01 Ebb.md": note("chapter", "chapter: 1\ntitle: Ebb\n", "The tide went out.[^1]\n\n![[Map.png]]\n\n![[Gone.png]]\n\n[^1]: Far out.\n"),
    "Tides/Three/Book.md": note("book", 'title: Three\nseries: "[[Series]]"\nseries_order: 3\n'),
  });
  return vault;
}

async function tidesWithPictures(authorOfTwo?: string): Promise<MemoryVault> {
  const vault = tides(authorOfTwo);
  await vault.writeBinary("Tides/One/Chapters/Map.png", RED);
  await vault.writeBinary("Tides/Two/Chapters/Map.png", BLUE);
  return vault;
}

const TIDES_WARNINGS = [
  `Tides/Series.md (books): lists "[[Missing]]", but no book (a folder with a 'bookwright: book' note) is called that; the series is read without it`,
  "Tides/Two/Book.md (series_order): series_order 1 is also Tides/One/Book.md's; expected each book of Tides to have its own place (ordered by title meanwhile)",
  "Two: Tides/Two/Chapters/01 Ebb.md: image Gone.png was not found in the vault, so it is left out",
  "Three (Tides/Three/Book.md) has no chapters, so the series export leaves it out",
];

const unzipText = (bytes: Uint8Array): Record<string, string> => Object.fromEntries(Object.entries(unzipSync(bytes)).map(([name, data]) => [name, /\.(png|jpe?g)$/.test(name) ? `<${data.length} bytes>` : strFromU8(data)]));

// ---------------------------------------------------------------------------------------------------

describe("the series model", () => {
  it("joins the books in series order, each a part whose chapters are numbered as the book has them", async () => {
    const { omnibus, books } = await trilogyModels(trilogy());
    expect(omnibus.title).toBe("Netherfield");
    expect(omnibus.author).toBe("Jane Austen");
    expect(omnibus.language).toBe("en");
    expect(omnibus.warnings).toBeUndefined();
    expect(omnibus.parts).toEqual([
      { title: TRILOGY_BOOKS[0], label: "Book 1", start: 0 },
      { title: TRILOGY_BOOKS[1], label: "Book 2", start: books[0]!.chapters.length },
      { title: TRILOGY_BOOKS[2], label: "Book 3", start: books[0]!.chapters.length + books[1]!.chapters.length },
    ]);
    expect(omnibus.chapters).toEqual(books.flatMap((b) => b.chapters));
    expect(omnibus.chapters).toHaveLength(chapters.length);
    for (const part of omnibus.parts!) expect(omnibus.chapters[part.start]!.number).toBe(1);
    expect(modelWordCount(omnibus)).toBe(books.reduce((n, b) => n + modelWordCount(b), 0));
  });

  it("names each part's author when the books' authors differ, and gives the omnibus none", async () => {
    const vault = await tidesWithPictures("Bo Reed");
    const model = await buildSeriesModel(vault, await loadSeries(vault, "Tides"));
    expect(model.author).toBeUndefined();
    expect(model.parts).toEqual([
      { title: "One", label: "Book 1", author: "Ada Quill", start: 0 },
      { title: "Two", label: "Book 2", author: "Bo Reed", start: 2 },
    ]);
  });
});

describe("exportBook on a series folder", () => {
  it("writes the omnibus as text and Markdown into the series' Exports/, the books' titles heading their chapters", async () => {
    const vault = trilogy();
    const { omnibus } = await trilogyModels(vault);
    const txt = await exportBook(vault, TRILOGY_FOLDER, { format: "txt" });
    expect(txt).toMatchObject({ path: "Netherfield/Exports/Netherfield (txt).txt", chapters: chapters.length, words: modelWordCount(omnibus), warnings: [] });
    const text = await vault.read(txt.path);
    expect(text).toBe(toPlainText(omnibus));
    expect(text.startsWith("Netherfield\n\nby Jane Austen\n\n\nFirst Impressions\n=================\n\n\nChapter 1\n\n")).toBe(true);
    const parts = [...text.matchAll(/^(.+)\n(=+)$/gm)].map((m) => [m[1], m[2]!.length]);
    expect(parts).toEqual(TRILOGY_BOOKS.map((t) => [t, t.length]));
    // Each book's first chapter follows its heading.
    for (const [i, part] of omnibus.parts!.entries()) expect(text).toContain(`${TRILOGY_BOOKS[i]}\n${"=".repeat(TRILOGY_BOOKS[i]!.length)}\n\n\n${omnibus.chapters[part.start]!.title}\n\n`);

    const md = await exportBook(vault, TRILOGY_FOLDER, { format: "md" });
    expect(md.path).toBe("Netherfield/Exports/Netherfield (md).md");
    const markdown = await vault.read(md.path);
    expect(markdown.split("\n").filter((l) => /^##? /.test(l))).toEqual(["# Netherfield", ...TRILOGY_BOOKS.map((t) => `## ${t}`)]);
    expect(markdown.split("\n").filter((l) => l.startsWith("### "))).toEqual(omnibus.chapters.map((c) => `### ${c.title}`));
    expect(markdown).toContain("## The Letter\n\n### Chapter 22\n\n");
  });

  it("takes the series note as well as its folder, and exports a book of the series alone as before", async () => {
    const vault = trilogy();
    expect((await exportBook(vault, `${TRILOGY_FOLDER}/Series.md`, { format: "txt" })).path).toBe("Netherfield/Exports/Netherfield (txt).txt");
    const folder = `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}`;
    const alone = await exportBook(vault, folder, { format: "txt", chapters: [1, 2] });
    expect(alone.path).toBe(`${folder}/Exports/The Letter (txt).txt`);
    expect(await vault.read(alone.path)).toBe(toPlainText(await buildBookModel(vault, folder, { chapters: [1, 2] })));
    expect(await vault.read(alone.path)).not.toContain("===");
  });

  it("refuses a chapter selection for a series, naming the option, and writes nothing", async () => {
    const vault = trilogy();
    await expect(exportBook(vault, TRILOGY_FOLDER, { format: "txt", chapters: [1, 2] })).rejects.toThrow(
      "Netherfield is a series: choosing chapters (the chapters option, --chapters) works for one book only, since each book numbers its chapters from 1. Export the whole series, or export the chapters from the book's own folder",
    );
    expect(await vault.exists(`${TRILOGY_FOLDER}/Exports`)).toBe(false);
  });

  it("exports the books a series has, with warnings naming the notes and the books", async () => {
    const vault = await tidesWithPictures();
    const progress: ExportProgress[] = [];
    const result = await exportBook(vault, "Tides", { format: "txt", onProgress: (p) => progress.push(p) });
    expect(result.path).toBe("Tides/Exports/Tides (txt).txt");
    expect(result.chapters).toBe(3);
    expect(result.warnings).toEqual(TIDES_WARNINGS);
    expect(await vault.read(result.path)).toBe(
      "Tides\n\nby Ada Quill\n\n\nOne\n===\n\n\nStorm\n\nThe storm came.[1]\n\n[Picture]\n\nNotes\n\n[1] From the west.\n\n\nCalm\n\nIt was calm.\n\nThe harbour\n\nBoats.\n\n\nTwo\n===\n\n\nEbb\n\nThe tide went out.[1]\n\n[Picture]\n\nNotes\n\n[1] Far out.\n",
    );
    // Chapters are counted across the books, to the series' total.
    expect(progress.filter((p) => p.stage === "chapters").map((p) => [p.done, p.total])).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(progress.map((p) => p.stage).filter((s, i, all) => s !== all[i - 1])).toEqual(["reading", "chapters", "packing", "writing"]);
  });

  it("names each book's author under its heading when the authors differ", async () => {
    const vault = await tidesWithPictures("Bo Reed");
    const text = await vault.read((await exportBook(vault, "Tides", { format: "txt" })).path);
    expect(text.startsWith("Tides\n\n\nOne\n===\n\nby Ada Quill\n\n\nStorm\n")).toBe(true);
    expect(text).toContain("\n\n\nTwo\n===\n\nby Bo Reed\n\n\nEbb\n");
    const markdown = await vault.read((await exportBook(vault, "Tides", { format: "md" })).path);
    expect(markdown).toContain("## Two\n\nby Bo Reed\n\n### Ebb\n\n");
    const manuscript = unzipText(await vault.readBinary((await exportBook(vault, "Tides", { format: "manuscript" })).path))["word/document.xml"]!;
    expect(manuscript).toContain('<w:pStyle w:val="Byline"/></w:pPr><w:r><w:t xml:space="preserve">by Bo Reed</w:t></w:r>');
  });

  it("keeps ids and file names apart across the books: pictures of one name, notes and bookmarks (EPUB, DOCX, PDF)", async () => {
    const vault = await tidesWithPictures();
    const epub = unzipText(await vault.readBinary((await exportBook(vault, "Tides", { format: "epub", now })).path));
    expect(Object.keys(epub).filter((n) => n.startsWith("OEBPS/images/")).sort()).toEqual(["OEBPS/images/image-001.png", "OEBPS/images/image-002.png"]);
    expect(epub["OEBPS/chapter-001.xhtml"]).toContain('<img src="images/image-001.png" alt="Map"/>');
    expect(epub["OEBPS/chapter-003.xhtml"]).toContain('<img src="images/image-002.png" alt="Map"/>');
    const opf = epub["OEBPS/content.opf"]!;
    const ids = [...opf.matchAll(/<item id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...opf.matchAll(/<itemref idref="([^"]+)"\/>/g)].map((m) => m[1])).toEqual(["titlepage", "part-1", "chapter-001", "chapter-002", "part-2", "chapter-003"]);
    expect(opf).toContain("<dc:title>Tides</dc:title>");
    expect(opf).toContain("<dc:description>Two books of the sea.</dc:description>");
    // The omnibus keeps its identifier in the series note, as a book keeps its own in Book.md.
    const identifier = /^identifier: (urn:uuid:[0-9a-f-]{36})$/m.exec(await vault.read("Tides/Series.md"))?.[1];
    expect(opf).toContain(`<dc:identifier id="book-id">${identifier}</dc:identifier>`);
    expect(await vault.read("Tides/One/Book.md")).not.toContain("identifier");

    for (const format of ["docx", "manuscript"] as const) {
      const docx = unzipText(await vault.readBinary((await exportBook(vault, "Tides", { format })).path));
      const xml = docx["word/document.xml"]!;
      const bookmarkIds = [...xml.matchAll(/<w:bookmarkStart w:name="([^"]+)" w:id="(\d+)"\/>/g)].map((m) => [m[1], m[2]]);
      expect(bookmarkIds, format).toEqual([["_TocPart1", "4"], ["_TocChapter1", "1"], ["_TocChapter2", "2"], ["_TocPart2", "5"], ["_TocChapter3", "3"]]);
      expect([...xml.matchAll(/<w:footnoteReference w:id="(\d+)"\/>/g)].map((m) => m[1])).toEqual(["1", "2"]);
      expect([...docx["word/footnotes.xml"]!.matchAll(/<w:footnote w:id="(\d+)">/g)].map((m) => m[1])).toEqual(["1", "2"]);
      expect(Object.keys(docx).filter((n) => n.startsWith("word/media/")).sort()).toEqual(["word/media/image1.png", "word/media/image2.png"]);
      expect([...xml.matchAll(/<wp:docPr id="(\d+)"/g)].map((m) => m[1])).toEqual(["1", "2"]);
      // The books are Heading 1, their chapters Heading 2, and a chapter's `##` Heading 4 (Heading 3 in a single book).
      expect([...xml.matchAll(/<w:pStyle w:val="(PartLabel|Heading\d)"\/>/g)].map((m) => m[1])).toEqual(["PartLabel", "Heading1", "Heading2", "Heading2", "Heading4", "PartLabel", "Heading1", "Heading2"]);
    }

    const pdf = await exportBook(vault, "Tides", { format: "pdf", fonts: () => Promise.resolve(fonts) });
    expect(pdf.warnings).toEqual(TIDES_WARNINGS);
    const bytes = await vault.readBinary(pdf.path);
    expect(await qpdfCheck(await save(bytes, "pdf"))).toBe("clean");
    const outline = await outlineOf(bytes);
    expect(outline.entries.map((e) => [e.title, e.children?.map((c) => c.title)])).toEqual([["One", ["Storm", "Calm"]], ["Two", ["Ebb"]]]);
    expect(outline.count).toBe(5);
  });

  it("names the book with a chapter's picture the PDF leaves out, and with a character the fonts cannot draw", async () => {
    const vault = await tidesWithPictures();
    await vault.writeBinary("Tides/Two/Chapters/Map.png", Uint8Array.from(Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64")));
    await vault.write("Tides/Two/Chapters/01 Ebb.md", note("chapter", "chapter: 1\ntitle: Ebb\n", "The tide went out 🌊.\n\n![[Map.png]]\n"));
    const options = { format: "pdf" as const, fonts: () => Promise.resolve(fonts) };
    await expect(exportBook(vault, "Tides", options)).rejects.toThrow('Two, chapter 1 "Ebb": 🌊 (U+1F30A)');
    const marked = await exportBook(vault, "Tides", { ...options, missingCharacters: "mark" });
    expect(marked.warnings.slice(-2)).toEqual([
      'Two, chapter 1 "Ebb": picture Tides/Two/Chapters/Map.png is a GIF, which the PDF cannot carry; it is left out',
      'Marked 1 character the fonts cannot draw, each replaced by a visible placeholder: Two, chapter 1 "Ebb": 🌊 (U+1F30A).',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("the omnibus EPUB of the trilogy", () => {
  let files: Record<string, string>;
  let file: string;
  let omnibus: BookModel;
  beforeAll(async () => {
    await waitForEpubcheck();
    const vault = trilogy();
    omnibus = (await trilogyModels(vault)).omnibus;
    const result = await exportBook(vault, TRILOGY_FOLDER, { format: "epub", now });
    expect(result.path).toBe("Netherfield/Exports/Netherfield (epub).epub");
    const bytes = await vault.readBinary(result.path);
    files = unzipText(bytes);
    file = await save(bytes, "epub");
  }, 200_000);

  it("passes epubcheck with no errors and no warnings", async () => {
    expect(problems(await epubcheck(file))).toEqual({ counts: [0, 0, 0], messages: [] });
  }, 120_000);

  it("nests the contents: each book, its chapters under it", () => {
    const nav = files["OEBPS/nav.xhtml"]!;
    const toc = nav.slice(nav.indexOf('epub:type="toc"'), nav.indexOf('epub:type="landmarks"'));
    const books = [...toc.matchAll(/<li><a href="(part-\d\.xhtml)">([^<]+)<\/a>\s*<ol>([\s\S]*?)<\/ol>\s*<\/li>/g)];
    expect(books.map((m) => [m[1], m[2]])).toEqual(TRILOGY_BOOKS.map((t, i) => [`part-${i + 1}.xhtml`, t]));
    const width = 3;
    omnibus.parts!.forEach((part, i) => {
      const end = omnibus.parts![i + 1]?.start ?? omnibus.chapters.length;
      const entries = [...books[i]![3]!.matchAll(/<li><a href="([^"]+)">([^<]+)<\/a><\/li>/g)].map((m) => [m[1], m[2]]);
      expect(entries).toEqual(omnibus.chapters.slice(part.start, end).map((c, j) => [`chapter-${String(part.start + j + 1).padStart(width, "0")}.xhtml`, c.title]));
    });
    expect(nav).toContain('<a epub:type="bodymatter" href="part-1.xhtml">');
    expect(nav).toContain('<a epub:type="titlepage" href="title.xhtml">');
  });

  it("gives each book a title page before its chapters, in the spine as in the contents", () => {
    expect(files["OEBPS/part-2.xhtml"]).toContain('<section epub:type="part" class="part">\n      <p class="part-label">Book 2</p>\n      <h1 class="part-title">The Letter</h1>\n    </section>');
    expect(files["OEBPS/title.xhtml"]).toContain('<h1 class="title">Netherfield</h1>\n      <p class="author">Jane Austen</p>');
    const spine = [...files["OEBPS/content.opf"]!.matchAll(/<itemref idref="([^"]+)"\/>/g)].map((m) => m[1]);
    const [, second, third] = omnibus.parts!;
    expect(spine.slice(0, 3)).toEqual(["titlepage", "part-1", "chapter-001"]);
    expect(spine[second!.start + 2]).toBe("part-2");
    expect(spine[third!.start + 3]).toBe("part-3");
    expect(spine).toHaveLength(1 + 3 + chapters.length);
    expect(files["OEBPS/content.opf"]).toContain("<dc:description>Three books of the Bennet sisters&#39; marriages.</dc:description>");
  });
});

// ---------------------------------------------------------------------------------------------------

describe("the omnibus print PDF of the trilogy", () => {
  let omnibus: BookModel;
  let result: PrintPdf;
  let file: string;
  let pages: string[][];
  beforeAll(async () => {
    // Laid out once (a whole novel takes a few seconds) and shared by every check below.
    omnibus = (await trilogyModels(trilogy())).omnibus;
    result = await exportPrintPdf(omnibus, { fonts, date: DATE });
    file = await save(result.bytes, "pdf");
    pages = await pageTexts(file);
  }, 300_000);

  it("passes qpdf --check, embeds every font as a subset with a Unicode map, and makes every page the trim", async () => {
    expect(await qpdfCheck(file)).toBe("clean");
    const rows = await fontsOf(file);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row).toMatchObject({ emb: "yes", uni: "yes" });
      expect(row.name).toMatch(/^[A-Z]{6}\+EBGaramond-/);
    }
    const { width, height } = trimSize("6x9");
    const sizes = await pageSizes(file);
    expect(sizes).toHaveLength(result.layout.pages.length);
    expect(new Set(sizes)).toEqual(new Set([`${width} x ${height} pts`]));
    expect(await info(file)).toMatchObject({ Title: "Netherfield", Author: "Jane Austen", Pages: String(result.layout.pages.length) });
  });

  it("reads back every word of every chapter in order, each text page headed by its book's title or the author", () => {
    expect(wordOrderProblem(pages, result.layout, omnibus)).toBeNull();
    for (const page of result.layout.pages.filter((p) => p.kind === "text")) {
      const head = page.lines.find((l) => l.role === "runningHead")!.words.map((w) => w.text).join(" ");
      expect(head, `page ${page.number}`).toBe(page.number % 2 === 1 ? TRILOGY_BOOKS[page.part!] : "Jane Austen");
    }
    // Every book has rectos headed with its title.
    const rectoHeads = new Set(result.layout.pages.filter((p) => p.kind === "text" && p.number % 2 === 1).map((p) => pages[p.number - 1]![0]));
    expect(rectoHeads).toEqual(new Set(TRILOGY_BOOKS));
  });

  it("opens each book on a recto with its own title page, its back blank, and each chapter on an odd page", () => {
    const { partPages, chapterPages } = result.layout;
    expect(partPages).toHaveLength(3);
    omnibus.parts!.forEach((part, i) => {
      const page = partPages![i]!;
      expect(page % 2).toBe(1);
      expect(pages[page - 1]).toEqual([`Book ${i + 1}`, TRILOGY_BOOKS[i]]);
      expect(result.layout.pages[page]!.kind).toBe("blank");
      expect(chapterPages[part.start]).toBe(page + 2);
    });
    for (const [i, number] of chapterPages.entries()) {
      expect(number % 2, `chapter ${i + 1}`).toBe(1);
      expect(pages[number - 1]![0], `chapter ${i + 1}`).toBe(chapterHeading(omnibus.chapters[i]!));
    }
  });

  it("lists the books and their chapters in the contents with the pages they open on", async () => {
    const laidOut = await pageTexts(file, { layout: true });
    const contents = result.layout.pages.filter((p) => p.kind === "contents").flatMap((p) => laidOut[p.number - 1]!);
    expect(contents[0]).toBe("Contents");
    const entries = contents.slice(1).map((line) => {
      const m = /^(.+?)(?:\s*\.)+\s*(\d+)$/.exec(line);
      if (!m) throw new Error(`not a contents entry: ${line}`);
      return [m[1], Number(m[2])];
    });
    const expected = omnibus.parts!.flatMap((part, i) => {
      const end = omnibus.parts![i + 1]?.start ?? omnibus.chapters.length;
      return [[part.title, result.layout.partPages![i]], ...omnibus.chapters.slice(part.start, end).map((c, j) => [chapterHeading(c), result.layout.chapterPages[part.start + j]])];
    });
    expect(entries).toEqual(expected);
  });

  it("nests the outline: each book, opening its title page, its chapters under it", async () => {
    const outline = await outlineOf(result.bytes);
    expect(outline.count).toBe(3 + chapters.length);
    expect(outline.entries).toEqual(
      omnibus.parts!.map((part, i) => {
        const end = omnibus.parts![i + 1]?.start ?? omnibus.chapters.length;
        return {
          title: part.title,
          page: result.layout.partPages![i],
          children: omnibus.chapters.slice(part.start, end).map((c, j) => ({ title: chapterHeading(c), page: result.layout.chapterPages[part.start + j] })),
        };
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe("the omnibus DOCX of the trilogy, read back by pandoc", () => {
  let omnibus: BookModel;
  beforeAll(async () => {
    omnibus = (await trilogyModels(trilogy())).omnibus;
  }, 60_000);

  it.each([
    ["book", (m: BookModel) => toBookDocx(m), "* * *"],
    ["manuscript", (m: BookModel) => toManuscriptDocx(m), "#"],
  ] as const)("finds each book as a part and every chapter's words under it (%s)", async (name, write, sceneBreak) => {
    const bytes = await write(omnibus);
    const read = readBack(await pandocJson(bytes, temp, `trilogy-${name}.docx`), 2);
    expect(read.parts).toEqual([...TRILOGY_BOOKS]);
    expect(read.labels).toEqual(["Book 1", "Book 2", "Book 3"]);
    const expected = expectedText(omnibus, sceneBreak);
    expect(read.chapters).toEqual(expected.chapters);
    expect(firstDifference(read.chapterTexts, expected.chapterTexts)).toBeNull();

    // Word's navigation pane goes by the outline levels: the books at the top, their chapters under them.
    const files = unzipText(bytes);
    const styles = files["word/styles.xml"]!;
    expect(styles).toMatch(/w:styleId="Heading1"><w:name w:val="heading 1"\/>.*?<w:outlineLvl w:val="0"\/>/);
    expect(styles).toMatch(/w:styleId="Heading2"><w:name w:val="heading 2"\/>.*?<w:pageBreakBefore\/>.*?<w:outlineLvl w:val="1"\/>/);
    expect(styles).toMatch(/w:styleId="PartLabel">.*?<w:pageBreakBefore\/>/);
    if (name === "book") {
      // The contents list each book, linked, and its chapters a level below.
      const xml = files["word/document.xml"]!;
      expect(xml).toContain("TOC \\h \\o &quot;1-2&quot;");
      const toc = [...xml.matchAll(/<w:pStyle w:val="(TOC\d)"\/><\/w:pPr><w:hyperlink w:history="1" w:anchor="([^"]+)">/g)].map((m) => [m[1], m[2]]);
      expect(toc.filter(([style]) => style === "TOC1").map(([, anchor]) => anchor)).toEqual(["_TocPart1", "_TocPart2", "_TocPart3"]);
      expect(toc.filter(([style]) => style === "TOC2")).toHaveLength(chapters.length);
      expect(toc[omnibus.parts![1]!.start + 1]).toEqual(["TOC1", "_TocPart2"]);
    }
  }, 180_000);
});
