/**
 * The import against a real book: Pride and Prejudice as one public Gutenberg copy has it (BOM, CRLF,
 * a preface and illustration list before chapter I, chapter I's heading inside an illustration
 * caption, irregular headings, the licence at the end). Read from ../shared/corpus at test time.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseFrontmatter } from "../book/frontmatter";
import { loadBook } from "../book/scan";
import { WordCounter } from "../book/words";
import { MemoryVault } from "../testing/memory-vault";
import { importManuscript, writeBookFolder, type ImportedManuscript, type WrittenBook } from "./import-manuscript";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

/**
 * The novel's word count computed without any import code: the text from chapter I's heading to the
 * end marker, minus chapter headings and `[Illustration …]` captions, counted by Intl.Segmenter.
 */
function referenceWordCount(raw: string): number {
  const lines = raw.replace(/^\ufeff/, "").split(/\r\n|\r|\n/);
  const start = lines.findIndex((line) => line.trim() === "Chapter I.]");
  const end = lines.findIndex((line) => line.startsWith("*** END OF THE PROJECT GUTENBERG EBOOK"));
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const novel = lines
    .slice(start + 1, end)
    .filter((line) => !/^\s*chapter\s+[ivxlc]+\.?\s*$/i.test(line))
    .join("\n");
  let text = "";
  let depth = 0;
  for (let i = 0; i < novel.length; i++) {
    if (depth > 0 || novel.startsWith("[Illustration", i)) {
      if (novel[i] === "[") depth++;
      else if (novel[i] === "]") depth--;
      continue;
    }
    text += novel[i];
  }
  // Line by line: words never span a line break (UAX #29), and V8's segmenter slows to a crawl on one
  // 700 kB string.
  const segmenter = new Intl.Segmenter("en", { granularity: "word" });
  let words = 0;
  for (const line of text.split("\n")) {
    for (const segment of segmenter.segment(line)) if (segment.isWordLike) words++;
  }
  return words;
}

describe("importing Pride and Prejudice", () => {
  let raw: string;
  let imported: ImportedManuscript;
  let vault: MemoryVault;
  let written: WrittenBook;

  beforeAll(async () => {
    const bytes = readFileSync(corpusPath);
    raw = bytes.toString("utf8");
    imported = importManuscript(new Uint8Array(bytes), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    vault = new MemoryVault();
    written = await writeBookFolder(vault, "Pride and Prejudice", imported);
  });

  it("reads the file as UTF-8 with a byte-order mark", () => {
    expect([imported.encoding, imported.byteOrderMark]).toEqual(["utf-8", true]);
  });

  it("finds 61 chapters numbered 1 to 61 in order, none empty, with no numbering warnings", () => {
    expect(imported.chapters.map((c) => c.number)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    for (const chapter of imported.chapters) expect(chapter.text.trim().length).toBeGreaterThan(1000);
    expect(imported.warnings.filter((w) => /chapter \d+ (follows|appears|comes|has)/.test(w))).toEqual([]);
    for (const warning of imported.warnings) expect(warning).toMatch(/^pride-and-prejudice\.gutenberg-1342\.txt:\d+: /);
  });

  it("starts each chapter at its first sentence, chapter I included", () => {
    expect(imported.chapters[0]!.text).toMatch(/^It is a truth universally acknowledged, that a single man in possession of a good fortune must be in want of a wife\.\n\n/);
    expect(imported.chapters[1]!.text).toMatch(/^Mr\. Bennet was among the earliest of those who waited on Mr\. Bingley\./);
    expect(imported.chapters[45]!.text).toMatch(/^Elizabeth had been a good deal disappointed/);
    expect(imported.chapters[60]!.text).toMatch(/^Happy for all her maternal feelings was the day/);
  });

  it("keeps the preface, the list of illustrations, captions and the licence out of every chapter", async () => {
    for (const path of written.chapterPaths) {
      const note = await vault.read(path);
      for (const unwanted of ["Gutenberg", "PROJECT GUTENBERG", "License", "[Illustration", "Illustration:", "Copyright 1894", "Walt Whitman", "SAINTSBURY", "Heading to Chapter"]) {
        expect(note, `${path} contains ${unwanted}`).not.toContain(unwanted);
      }
    }
  });

  it("writes paragraphs on one line each, LF only, italics kept", async () => {
    const first = await vault.read(written.chapterPaths[0]!);
    expect(first).not.toContain("\r");
    expect(first).toContain("\n\n“_You_ want to tell me, and I have no objection to hearing it.”\n\n");
    const body = first.slice(parseFrontmatter(written.chapterPaths[0]!, first).bodyStart).trim();
    const multiLine = body.split("\n\n").filter((paragraph) => paragraph.includes("\n"));
    expect(multiLine).toEqual([]);
  });

  it("keeps the novel's words: the chapters' total is within 1% of an independent count", async () => {
    const counter = new WordCounter("en");
    let total = 0;
    for (const path of written.chapterPaths) {
      const note = await vault.read(path);
      const parsed = parseFrontmatter(path, note);
      const words = counter.countMarkdown(note.slice(parsed.bodyStart));
      expect(parsed.data?.words).toBe(words);
      total += words;
    }
    const reference = referenceWordCount(raw);
    expect(reference).toBeGreaterThan(120_000);
    expect(Math.abs(total - reference) / reference).toBeLessThan(0.01);
  });

  it("writes a book folder Bookwright can load", async () => {
    expect(written.bookPath).toBe("Pride and Prejudice/Book.md");
    expect(written.chapterPaths[0]).toBe("Pride and Prejudice/Chapters/01 Chapter 1.md");
    expect(written.chapterPaths[60]).toBe("Pride and Prejudice/Chapters/61 Chapter 61.md");
    const book = await loadBook(vault, "Pride and Prejudice");
    expect(book.meta).toMatchObject({ bookwright: "book", language: "en", status: "draft", planned_chapters: 61 });
    expect(book.chapters.map((c) => c.number)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    expect(book.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});
