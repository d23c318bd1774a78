import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseFrontmatter } from "../book/frontmatter";
import { bookSchema, chapterSchema } from "../book/schemas";
import { MemoryVault } from "../testing/memory-vault";
import { ImportError, importManuscript, titleFromFileName, unwrapParagraphs, writeBookFolder, type ImportedManuscript } from "./import-manuscript";
import { toSourceLines } from "./chapters";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const gutenbergBook = [
  "The Project Gutenberg eBook of A Short Tale",
  "",
  "Title: A Short Tale",
  "Author: Ann Writer",
  "Language: English",
  "",
  "*** START OF THE PROJECT GUTENBERG EBOOK A SHORT TALE ***",
  "",
  "Produced by volunteers.",
  "",
  "CHAPTER I.",
  "",
  "[Illustration]",
  "",
  "It was a _dark_ and stormy night; the rain fell in",
  "torrents, except at occasional intervals.",
  "",
  "    “Indented,” she said.",
  "",
  "CHAPTER III. The Storm.",
  "",
  "Thunder.",
  "",
  "*** END OF THE PROJECT GUTENBERG EBOOK A SHORT TALE ***",
  "",
  "THE FULL PROJECT GUTENBERG LICENSE",
].join("\r\n");

describe("importManuscript", () => {
  it("imports a Gutenberg text: metadata, chapters, unwrapped paragraphs, warnings with file and line", () => {
    const result = importManuscript(utf8(gutenbergBook), { fileName: "/home/ann/Downloads/tale.txt" });
    expect(result).toEqual({
      fileName: "tale.txt",
      title: "A Short Tale",
      author: "Ann Writer",
      language: "en",
      encoding: "utf-8",
      byteOrderMark: false,
      chapters: [
        {
          number: 1,
          title: "Chapter 1",
          text: "It was a _dark_ and stormy night; the rain fell in torrents, except at occasional intervals.\n\n“Indented,” she said.",
        },
        { number: 3, title: "The Storm", text: "Thunder." },
      ],
      warnings: [
        "tale.txt:9: 1 line before the first chapter heading (line 11) left out: preface, contents or title page",
        "tale.txt:20: chapter 3 follows chapter 1: chapter 2 is missing",
      ],
    } satisfies ImportedManuscript);
  });

  it("lets options override the metadata and canonicalises the language tag", () => {
    const result = importManuscript(utf8(gutenbergBook), { fileName: "tale.txt", title: " Mine ", author: "Me", language: "en-gb" });
    expect([result.title, result.author, result.language]).toEqual(["Mine", "Me", "en-GB"]);
  });

  it("names the book after the file when nothing else does", () => {
    const result = importManuscript(utf8("Chapter 1\n\nHello."), { fileName: "C:\\Users\\ann\\my-novel.draft.txt" });
    expect([result.fileName, result.title, result.author, result.language]).toEqual(["my-novel.draft.txt", "My Novel Draft", "", "en"]);
  });

  it("decodes Windows-1252 and says so", () => {
    const bytes = new Uint8Array([...utf8("Chapter 1\r\n\r\n"), 0x93, ...utf8("Caf"), 0xe9, 0x94]);
    const result = importManuscript(bytes, { fileName: "old.txt" });
    expect(result.encoding).toBe("windows-1252");
    expect(result.chapters[0]!.text).toBe("“Café”");
  });

  it("imports a text without headings as one chapter, with a warning", () => {
    const result = importManuscript(utf8("A story\nwith no chapters.\n\nThe end."), { fileName: "story.txt" });
    expect(result.chapters).toEqual([{ number: 1, title: "Chapter 1", text: "A story with no chapters.\n\nThe end." }]);
    expect(result.warnings).toEqual(["story.txt:1: no chapter headings found; the whole text became chapter 1"]);
  });

  it("keeps Markdown as written and reads the book title from its frontmatter", () => {
    const markdown = "---\ntitle: The Lighthouse\nauthor: Kim\n---\n# The Lighthouse\n\n## The Storm\n\n- a list\n- stays\n\nLine one  \nline two\n\n\n\n## The Calm\n\nSun.\n";
    const result = importManuscript(utf8(markdown), { fileName: "lighthouse.md" });
    expect(result.title).toBe("The Lighthouse");
    expect(result.author).toBe("Kim");
    expect(result.chapters).toEqual([
      { number: 1, title: "The Storm", text: "- a list\n- stays\n\nLine one\nline two" },
      { number: 2, title: "The Calm", text: "Sun." },
    ]);
  });

  it.each([
    ["an empty file", new Uint8Array(), {}, /empty\.txt: the file is empty/],
    ["a binary file", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), {}, /empty\.txt: the file looks binary/],
    ["blank text", utf8("\n\n  \n"), {}, /no text to import/],
    ["a bad language tag", utf8("Chapter 1\n\nx"), { language: "not a tag" }, /"not a tag" is not a BCP 47 language tag/],
  ])("refuses %s", (_name, bytes, options, message) => {
    expect(() => importManuscript(bytes, { fileName: "empty.txt", ...options })).toThrow(ImportError);
    expect(() => importManuscript(bytes, { fileName: "empty.txt", ...options })).toThrow(message);
  });
});

describe("importManuscript on arbitrary input", () => {
  it("either imports at least one chapter with file-named warnings, or throws an ImportError", () => {
    const text = fc.array(fc.oneof(fc.constantFrom("Chapter 1", "CHAPTER II.", "", "[Illustration:", "]", "# x"), fc.string()), { maxLength: 30 });
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      text.map((lines) => utf8(lines.join("\r\n"))),
    );
    fc.assert(fc.property(input, fc.constantFrom("a.txt", "a.md"), (bytes, fileName) => {
      try {
        const result = importManuscript(bytes, { fileName });
        expect(result.chapters.length).toBeGreaterThan(0);
        for (const warning of result.warnings) expect(warning).toMatch(new RegExp(`^${fileName.replace(".", "\\.")}:\\d+: `));
        for (const chapter of result.chapters) expect(chapter.title).not.toBe("");
      } catch (error) {
        expect(error).toBeInstanceOf(ImportError);
      }
    }), { numRuns: 500 });
  });
});

describe("unwrapParagraphs", () => {
  it("joins the lines of each paragraph and separates paragraphs by one blank line", () => {
    const lines = toSourceLines("\n\n  one\ntwo  \n\n\n\nthree\n   four _five_\n\n");
    expect(unwrapParagraphs(lines)).toBe("one two\n\nthree four _five_");
  });
});

function imported(chapters: ImportedManuscript["chapters"], extra: Partial<ImportedManuscript> = {}): ImportedManuscript {
  return {
    fileName: "book.txt",
    title: "No",
    author: "",
    language: "en",
    encoding: "utf-8",
    byteOrderMark: true,
    chapters,
    warnings: [],
    ...extra,
  };
}

describe("writeBookFolder", () => {
  it("writes Book.md and one note per chapter, with LF line endings", async () => {
    const vault = new MemoryVault();
    const book = imported([
      { number: 1, title: "Chapter 1", text: "It was _dark_.\n\nThe end." },
      { number: 2, title: "The Storm: Part 1?", text: "Rain." },
    ]);
    const written = await writeBookFolder(vault, "Books/Tale", book);
    expect(written).toEqual({
      bookPath: "Books/Tale/Book.md",
      chapterPaths: ["Books/Tale/Chapters/01 Chapter 1.md", "Books/Tale/Chapters/02 The Storm Part 1.md"],
    });
    expect(await vault.read("Books/Tale/Book.md")).toBe(
      '---\nbookwright: book\ntitle: "No"\nauthor: ""\nlanguage: en\nstatus: draft\nplanned_chapters: 2\n---\n\n' +
        "Imported by Bookwright from book.txt (UTF-8 with byte-order mark): 2 chapters.\n",
    );
    expect(await vault.read("Books/Tale/Chapters/01 Chapter 1.md")).toBe(
      "---\nbookwright: chapter\nchapter: 1\ntitle: Chapter 1\nstatus: written\nwords: 5\n---\n\nIt was _dark_.\n\nThe end.\n",
    );
    expect(await vault.read("Books/Tale/Chapters/02 The Storm Part 1.md")).toBe(
      '---\nbookwright: chapter\nchapter: 2\ntitle: "The Storm: Part 1?"\nstatus: written\nwords: 1\n---\n\nRain.\n',
    );
  });

  it("writes frontmatter the book schemas accept", async () => {
    const vault = new MemoryVault();
    const book = imported([{ number: 1, title: "yes", text: "Hi." }], { title: "1984", author: "George: Orwell" });
    const written = await writeBookFolder(vault, "B", book);
    const bookData = parseFrontmatter(written.bookPath, await vault.read(written.bookPath)).data;
    expect(bookSchema.parse(bookData)).toMatchObject({ title: "1984", author: "George: Orwell", planned_chapters: 1 });
    const chapterData = parseFrontmatter(written.chapterPaths[0]!, await vault.read(written.chapterPaths[0]!)).data;
    expect(chapterSchema.parse(chapterData)).toMatchObject({ chapter: 1, title: "yes", status: "written", words: 1 });
  });

  it("pads chapter numbers to 3 digits from 100 chapters on", async () => {
    const vault = new MemoryVault();
    const chapters = Array.from({ length: 100 }, (_, i) => ({ number: i + 1, title: `Chapter ${i + 1}`, text: "x" }));
    const written = await writeBookFolder(vault, "Long", imported(chapters));
    expect(written.chapterPaths[0]).toBe("Long/Chapters/001 Chapter 1.md");
    expect(written.chapterPaths[99]).toBe("Long/Chapters/100 Chapter 100.md");
  });

  it("gives repeated chapter numbers distinct notes instead of overwriting", async () => {
    const vault = new MemoryVault();
    const book = imported([
      { number: 5, title: "Chapter 5", text: "first" },
      { number: 5, title: "chapter 5", text: "second" },
    ]);
    const written = await writeBookFolder(vault, "Dup", book);
    expect(written.chapterPaths).toEqual(["Dup/Chapters/05 Chapter 5.md", "Dup/Chapters/05 chapter 5 (2).md"]);
    expect(await vault.read(written.chapterPaths[1]!)).toContain("second");
  });

  it("refuses a folder that already holds a book, naming the path, and writes nothing", async () => {
    const vault = new MemoryVault().seed({ "Tale/Book.md": "mine" });
    await expect(writeBookFolder(vault, "Tale", imported([{ number: 1, title: "A", text: "x" }]))).rejects.toThrow(
      "Tale/Book.md already exists",
    );
    expect((await vault.list()).map((f) => f.path)).toEqual(["Tale/Book.md"]);
    expect(await vault.read("Tale/Book.md")).toBe("mine");
  });

  it("refuses when a chapter note exists, before writing any note", async () => {
    const vault = new MemoryVault().seed({ "Tale/Chapters/02 B.md": "my draft" });
    const book = imported([{ number: 1, title: "A", text: "x" }, { number: 2, title: "B", text: "y" }]);
    await expect(writeBookFolder(vault, "Tale", book)).rejects.toThrow(ImportError);
    await expect(writeBookFolder(vault, "Tale", book)).rejects.toThrow("Tale/Chapters/02 B.md already exists");
    expect((await vault.list()).map((f) => f.path)).toEqual(["Tale/Chapters/02 B.md"]);
    expect(await vault.read("Tale/Chapters/02 B.md")).toBe("my draft");
  });

  it("refuses a folder path that is a file, and one that leaves the vault", async () => {
    const vault = new MemoryVault().seed({ "Tale.md": "note" });
    await expect(writeBookFolder(vault, "Tale.md", imported([{ number: 1, title: "A", text: "x" }]))).rejects.toThrow(
      "Tale.md is a file",
    );
    await expect(writeBookFolder(vault, "../out", imported([{ number: 1, title: "A", text: "x" }]))).rejects.toThrow(/leave the vault/);
  });
});

describe("titleFromFileName", () => {
  it("turns a file name into a title when the file names none", () => {
    expect(titleFromFileName("pride-and-prejudice.gutenberg-1342.txt")).toBe("Pride and Prejudice");
    expect(titleFromFileName("war_and_peace-pg2600.txt")).toBe("War and Peace");
    expect(titleFromFileName("the-lighthouse.md")).toBe("The Lighthouse");
    expect(titleFromFileName("a-tale-of-two-cities-0.txt")).toBe("A Tale of Two Cities");
    expect(titleFromFileName("My Novel (draft 3).txt")).toBe("My Novel (draft 3)");
    expect(titleFromFileName("1342.txt")).toBe("1342");
  });
});
