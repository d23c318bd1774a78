import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { strFromU8, unzipSync } from "fflate";
import { ebGaramondFolder } from "../export/default-fonts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadBook } from "../../shared/book/scan";
import { WordCounter } from "../../shared/book/words";
import { buildBookModel } from "../../shared/export/book-model";
import { toPlainText } from "../../shared/export/text-formats";
import { writeExport } from "../../shared/export/write-export";
import { importManuscript, writeBookFolder } from "../../shared/import/import-manuscript";
import { MemoryVault } from "../../shared/testing/memory-vault";
import { registerExportCommand } from "./export";
import { runCommand } from "../../test/run-command";

const run = promisify(execFile);
const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

const runExport = (...args: string[]) => runCommand(registerExportCommand, ["export", ...args]);

describe("bookwright export", () => {
  let temp: string;
  let book: string;
  beforeEach(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-export-"));
    book = path.join(temp, "Tides");
    await mkdir(path.join(book, "Chapters"), { recursive: true });
    await writeFile(path.join(book, "Book.md"), "---\nbookwright: book\ntitle: Tides\nauthor: Ada Quill\n---\n");
    await writeFile(path.join(book, "Chapters", "01 Storm.md"), "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\n\"Don't,\" she said -- *twice*.\n");
    await writeFile(path.join(book, "Chapters", "02 Calm.md"), "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nIt was calm.\n\n***\n\nThen not.\n");
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("writes a TXT into Exports/ and prints its path and word count", async () => {
    const { out, err, exitCode } = await runExport(book, "--format", "txt");
    expect([err, exitCode]).toEqual(["", undefined]);
    const file = path.join(book, "Exports", "Tides (txt).txt");
    expect(out).toBe(`${file}\n2 chapters, 9 words`);
    expect(await readFile(file, "utf8")).toBe(
      `Tides\n\nby Ada Quill\n\n\nStorm\n\n“Don’t,” she said — twice.\n\n\nCalm\n\nIt was calm.\n\n${" ".repeat(33)}* * *\n\nThen not.\n`,
    );
  });

  it("exports chosen chapters as Markdown with straight quotes when asked", async () => {
    const { out, exitCode } = await runExport(book, "--format", "md", "--chapters", "1", "--no-smart-typography");
    expect(exitCode).toBeUndefined();
    const file = path.join(book, "Exports", "Tides (md).md");
    expect(out.split("\n")[0]).toBe(file);
    expect(await readFile(file, "utf8")).toBe("# Tides\n\nby Ada Quill\n\n## Storm\n\n\"Don't,\" she said -- _twice_.\n");
  });

  it("writes an EPUB with a description and reuses Book.md's identifier on the next export", async () => {
    const first = await runExport(book, "--format", "epub", "--description", "Salt & spray.");
    expect([first.err, first.exitCode]).toEqual(["", undefined]);
    const file = path.join(book, "Exports", "Tides (epub).epub");
    expect(first.out).toBe(`${file}\n2 chapters, 9 words`);
    const files = unzipSync(new Uint8Array(await readFile(file)));
    expect(Object.keys(files)[0]).toBe("mimetype");
    const opf = new TextDecoder().decode(files["OEBPS/content.opf"]);
    expect(opf).toContain("<dc:description>Salt &amp; spray.</dc:description>");
    const bookMd = await readFile(path.join(book, "Book.md"), "utf8");
    const identifier = /^identifier: (urn:uuid:[0-9a-f-]{36})$/m.exec(bookMd)?.[1];
    expect(bookMd).toBe(`---\nbookwright: book\ntitle: Tides\nauthor: Ada Quill\nidentifier: ${identifier}\n---\n`);
    expect(opf).toContain(`<dc:identifier id="book-id">${identifier}</dc:identifier>`);
    expect((await runExport(book, "--format", "epub", "--overwrite")).exitCode).toBeUndefined();
    expect(await readFile(path.join(book, "Book.md"), "utf8")).toBe(bookMd);
    const again = new TextDecoder().decode(unzipSync(new Uint8Array(await readFile(file)))["OEBPS/content.opf"]);
    expect(again).toContain(`<dc:identifier id="book-id">${identifier}</dc:identifier>`);
  });

  it("writes a print PDF at the chosen trim, a book DOCX without front matter, and a Courier manuscript with its contact block", async () => {
    const pdf = await runExport(book, "--format", "pdf", "--trim", "5x8", "--font-size", "12");
    expect([pdf.err, pdf.exitCode]).toEqual(["", undefined]);
    const pdfFile = path.join(book, "Exports", "Tides (pdf).pdf");
    expect(pdf.out).toBe(`${pdfFile}\n2 chapters, 9 words`);
    const info = await run("pdfinfo", [pdfFile]);
    expect(info.stdout).toMatch(/^Page size:\s+360 x 576 pts/m);
    expect((await run("pdftotext", [pdfFile, "-"])).stdout).toContain("It was calm.");

    const docx = await runExport(book, "--format", "docx", "--no-toc", "--no-title-page", "--font-size", "12");
    expect(docx.exitCode).toBeUndefined();
    const documentXml = strFromU8(unzipSync(new Uint8Array(await readFile(path.join(book, "Exports", "Tides (docx).docx"))))["word/document.xml"]!);
    expect(documentXml).not.toContain("Contents");
    expect(documentXml).toContain("Storm");

    const manuscript = await runExport(book, "--format", "manuscript", "--courier", "--contact", "Ada Quill", "--contact", "ada@example.com");
    expect(manuscript.exitCode).toBeUndefined();
    const files = unzipSync(new Uint8Array(await readFile(path.join(book, "Exports", "Tides (manuscript).docx"))));
    expect(strFromU8(files["word/document.xml"]!)).toContain(">ada@example.com<");
    expect(strFromU8(files["word/styles.xml"]!)).toContain("Courier New");
  });

  it("sets a PDF in the writer's own fonts from --font-dir, and names what a font folder lacks", async () => {
    const fonts = path.join(temp, "Fonts");
    await mkdir(fonts);
    const source = ebGaramondFolder();
    for (const [from, to] of [["400Regular/EBGaramond_400Regular.ttf", "Mine-Regular.ttf"], ["400Regular_Italic/EBGaramond_400Regular_Italic.ttf", "Mine-Italic.ttf"]]) {
      await writeFile(path.join(fonts, to!), await readFile(path.join(source, from!)));
    }
    const partial = await runExport(book, "--format", "pdf", "--font-dir", fonts);
    expect(partial.exitCode).toBe(1);
    expect(partial.err).toBe(`bookwright export: --font-dir ${fonts}: expected a regular, italic, bold and bold italic font file; missing bold, bold italic (found Mine-Italic.ttf, Mine-Regular.ttf)`);
    expect(await readdir(path.join(book, "Exports")).catch(() => [])).toEqual([]);
    for (const [from, to] of [["700Bold/EBGaramond_700Bold.ttf", "Mine-Bold.ttf"], ["700Bold_Italic/EBGaramond_700Bold_Italic.ttf", "Mine-BoldItalic.ttf"]]) {
      await writeFile(path.join(fonts, to!), await readFile(path.join(source, from!)));
    }
    const whole = await runExport(book, "--format", "pdf", "--font-dir", fonts);
    expect([whole.err, whole.exitCode]).toEqual(["", undefined]);
    expect((await run("pdffonts", [path.join(book, "Exports", "Tides (pdf).pdf")])).stdout).toMatch(/EBGaramond/);
  });

  it("refuses a PDF whose text the fonts cannot draw, naming each character and its chapter, unless told to mark them", async () => {
    await writeFile(path.join(book, "Chapters", "02 Calm.md"), "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nIt was calm 🌊 in 海.\n");
    const refused = await runExport(book, "--format", "pdf");
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toBe(
      'bookwright export: The fonts cannot draw 2 characters in this book; change the text, use fonts that have them, or export with missing characters marked. chapter 2 "Calm": 🌊 (U+1F30A), 海 (U+6D77).',
    );
    expect(await readdir(path.join(book, "Exports")).catch(() => [])).toEqual([]);
    const marked = await runExport(book, "--format", "pdf", "--mark-missing-characters");
    expect(marked.exitCode).toBeUndefined();
    expect(marked.err).toBe('bookwright export: warning: Marked 2 characters the fonts cannot draw, each replaced by a visible placeholder: chapter 2 "Calm": 🌊 (U+1F30A), 海 (U+6D77).');
    expect((await run("pdftotext", [path.join(book, "Exports", "Tides (pdf).pdf"), "-"])).stdout).toMatch(/It was calm [\uFFFD?] in [\uFFFD?]\./);
  });

  it.each([
    [["--format", "rtf"], /--format rtf: expected docx, manuscript, pdf, epub, txt or md/],
    [["--format", "pdf", "--trim", "7x10"], /--trim 7x10: expected one of 5x8, 5.25x8, 5.5x8.5, 6x9/],
    [["--format", "pdf", "--font-size", "40"], /--font-size 40: expected a number of points from 8 to 16/],
    [["--format", "pdf", "--font-dir", "/nonexistent-fonts"], /--font-dir \/nonexistent-fonts: no such folder/],
    [["--format", "txt", "--chapters", "2-9"], /Tides has no chapter 3, 4, 5, 6, 7, 8, 9; it has chapters 1–2/],
    [["--format", "txt", "--chapters", "x"], /--chapters: "x" is not a chapter number or range/],
  ])("refuses %j, saying why", async (args, message) => {
    const { err, exitCode } = await runExport(book, ...args);
    expect(err).toMatch(message);
    expect(exitCode).toBe(1);
  });
});

describe("exporting Pride and Prejudice", () => {
  it("writes 61 chapter headings and keeps the imported word count within 1%", async () => {
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    const vault = new MemoryVault();
    await writeBookFolder(vault, "Pride and Prejudice", imported);
    const importedWords = (await loadBook(vault, "Pride and Prejudice")).chapters.reduce((sum, c) => sum + c.words, 0);
    const model = await buildBookModel(vault, "Pride and Prejudice");
    const text = toPlainText(model);
    const written = await writeExport(vault, "Pride and Prejudice", { format: "txt", name: model.title, text });
    const exported = await vault.read(written);
    expect(exported).toBe(text);
    const headings = exported.split("\n").filter((line) => /^Chapter \d+$/.test(line));
    expect(headings).toEqual(Array.from({ length: 61 }, (_, i) => `Chapter ${i + 1}`));
    const counter = new WordCounter("en");
    const words = exported.split("\n").reduce((sum, line) => sum + counter.countText(line), 0);
    expect(importedWords).toBeGreaterThan(120_000);
    expect(Math.abs(words - importedWords) / importedWords).toBeLessThan(0.01);
  });
});

describe("bookwright export <series-folder>", () => {
  let temp: string;
  let series: string;
  const note = (kind: string, keys: string, body = ""): string => `---\nbookwright: ${kind}\n${keys}---\n${body}`;
  beforeEach(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-export-series-"));
    series = path.join(temp, "Saga");
    const files: Record<string, string> = {
      "Series.md": note("series", 'title: The Saga\ndescription: Two books of the sea.\nbooks: ["[[One]]", "[[Two]]"]\n'),
      "One/Book.md": note("book", 'title: One\nauthor: Ada Quill\nseries: "[[Series]]"\nseries_order: 1\n'),
      "One/Chapters/01 Storm.md": note("chapter", "chapter: 1\ntitle: Storm\n", "The storm came.\n"),
      "One/Chapters/02 Calm.md": note("chapter", "chapter: 2\ntitle: Calm\n", "It was calm.\n"),
      "Two/Book.md": note("book", 'title: Two\nauthor: Ada Quill\nseries: "[[Series]]"\nseries_order: 2\n'),
      "Two/Chapters/01 Ebb.md": note("chapter", "chapter: 1\ntitle: Ebb\n", "The tide went out.\n"),
    };
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(series, name)), { recursive: true });
      await writeFile(path.join(series, name), text);
    }
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("writes one EPUB of every book into the series' Exports/, each book a part of the contents", async () => {
    const { out, err, exitCode } = await runExport(series, "--format", "epub");
    expect([err, exitCode]).toEqual(["", undefined]);
    const file = path.join(series, "Exports", "The Saga (epub).epub");
    expect(out).toBe(`${file}\n3 chapters, 10 words`);
    const files = unzipSync(new Uint8Array(await readFile(file)));
    const nav = strFromU8(files["OEBPS/nav.xhtml"]!);
    expect(nav).toMatch(/<li><a href="part-1\.xhtml">One<\/a>\s*<ol>\s*<li><a href="chapter-001\.xhtml">Storm<\/a><\/li>\s*<li><a href="chapter-002\.xhtml">Calm<\/a><\/li>\s*<\/ol>\s*<\/li>/);
    expect(nav).toMatch(/<li><a href="part-2\.xhtml">Two<\/a>\s*<ol>\s*<li><a href="chapter-003\.xhtml">Ebb<\/a><\/li>\s*<\/ol>\s*<\/li>/);
    expect(strFromU8(files["OEBPS/content.opf"]!)).toContain("<dc:description>Two books of the sea.</dc:description>");
    // The omnibus's identifier is the series note's; the books' own notes are left as they were.
    expect(await readFile(path.join(series, "Series.md"), "utf8")).toMatch(/^identifier: urn:uuid:/m);
    expect(await readFile(path.join(series, "One", "Book.md"), "utf8")).not.toContain("identifier");
  });

  it("takes the same options as a book's export: a plain-text omnibus with straight quotes", async () => {
    const { out, exitCode } = await runExport(series, "--format", "txt", "--no-smart-typography");
    expect(exitCode).toBeUndefined();
    const file = path.join(series, "Exports", "The Saga (txt).txt");
    expect(out.split("\n")[0]).toBe(file);
    expect(await readFile(file, "utf8")).toBe("The Saga\n\nby Ada Quill\n\n\nOne\n===\n\n\nStorm\n\nThe storm came.\n\n\nCalm\n\nIt was calm.\n\n\nTwo\n===\n\n\nEbb\n\nThe tide went out.\n");
  });

  it("refuses --chapters for a series, naming the option, and writes nothing", async () => {
    const { err, exitCode } = await runExport(series, "--format", "txt", "--chapters", "1-2");
    expect(err).toBe(`bookwright export: --chapters 1-2: ${series} is a series, which exports whole; to export some chapters, give the book's own folder`);
    expect(exitCode).toBe(1);
    expect(await readdir(series)).not.toContain("Exports");
  });
});
