import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { importManuscript } from "../import/import-manuscript";
import { buildBookModel, modelWordCount, parseChapter, parseChapterSelection, parseChapterWithNotes, parseFull, plainChunks, resolveObsidianSyntax, smartenText, type Block } from "./book-model";

const para = (text: string): Block => ({ type: "paragraph", runs: [{ text }] });
const plain = (markdown: string) => parseChapter(markdown, { smartTypography: false });

describe("parseChapter", () => {
  it.each<[string, string, Block[]]>([
    ["star italics", "A *quiet* night.", [{ type: "paragraph", runs: [{ text: "A " }, { text: "quiet", italic: true }, { text: " night." }] }]],
    ["underscore italics", "A _quiet_ night.", [{ type: "paragraph", runs: [{ text: "A " }, { text: "quiet", italic: true }, { text: " night." }] }]],
    ["bold", "A **loud** night.", [{ type: "paragraph", runs: [{ text: "A " }, { text: "loud", bold: true }, { text: " night." }] }]],
    ["bold italics", "***Now.***", [{ type: "paragraph", runs: [{ text: "Now.", italic: true, bold: true }] }]],
    ["*** scene break", "One.\n\n***\n\nTwo.", [para("One."), { type: "sceneBreak" }, para("Two.")]],
    ["* * * scene break", "One.\n\n* * *\n\nTwo.", [para("One."), { type: "sceneBreak" }, para("Two.")]],
    ["--- scene break", "One.\n\n---\n\nTwo.", [para("One."), { type: "sceneBreak" }, para("Two.")]],
    ["--- right under a paragraph is a break, not a heading", "One.\n---\nTwo.", [para("One."), { type: "sceneBreak" }, para("Two.")]],
    ["lone # scene break", "One.\n\n#\n\nTwo.", [para("One."), { type: "sceneBreak" }, para("Two.")]],
    ["block quote", "> Dear sir,\n>\n> No.", [{ type: "blockquote", blocks: [para("Dear sir,"), para("No.")] }]],
    ["bullet list", "- eggs\n- *milk*", [{ type: "list", ordered: false, start: 1, items: [[para("eggs")], [{ type: "paragraph", runs: [{ text: "milk", italic: true }] }]] }]],
    ["numbered list", "3. three\n4. four", [{ type: "list", ordered: true, start: 3, items: [[para("three")], [para("four")]] }]],
    ["heading inside a chapter", "## Part two\n\nText.", [{ type: "heading", depth: 2, runs: [{ text: "Part two" }] }, para("Text.")]],
    ["inline comment removed", "She %%fix this%% left.", [para("She left.")]],
    ["multi-line comment removed", "One.\n\n%%\nnotes\n\nmore notes\n%%\n\nTwo.", [para("One."), para("Two.")]],
    ["aliased wiki link", "He saw [[Anne Elliot|Anne]] there.", [para("He saw Anne there.")]],
    ["wiki link", "He saw [[People/Anne]] there.", [para("He saw Anne there.")]],
    ["wiki link to a heading", "See [[Notes#Storm]].", [para("See Notes.")]],
    ["a picture embed follows its paragraph; a note embed is dropped", "Look: ![[map.png]] here.\n\n![[Other note]]", [para("Look: here."), { type: "image", src: "map.png", alt: "" }]],
    ["a footnote reference is a numbered run; its definition leaves the text", "A fact.[^src]\n\n[^src]: The source.", [{ type: "paragraph", runs: [{ text: "A fact." }, { text: "1", note: 1 }] }]],
    ["a reference to a missing note stays as typed", "A fact.[^nope]", [para("A fact.[^nope]")]],
    ["soft line break is a space", "one\ntwo", [para("one two")]],
    ["hard line break kept", "one\\\ntwo", [para("one\ntwo")]],
    ["markdown link keeps its text", "A [link](https://example.com).", [para("A link.")]],
    ["html comment dropped", "<!-- hidden -->\n\nShown.", [para("Shown.")]],
    ["indented prose is a paragraph, not code", "    Indented first line.", [para("Indented first line.")]],
    ["fenced code kept exactly", "```\nlet x = \"a\";\n```", [{ type: "code", text: 'let x = "a";' }]],
  ])("%s", (_name, markdown, expected) => {
    expect(plain(markdown)).toEqual(expected);
  });
});

describe("parseChapterWithNotes", () => {
  it("numbers notes by first reference, converts their blocks, and drops unreferenced definitions", () => {
    const md = 'Second[^b] then first[^a] and again[^b].\n\n[^a]: Note *a*.\n\n[^b]: Note "b".\n\n    - nested item\n\n[^unused]: Never cited.';
    const { blocks, notes } = parseChapterWithNotes(md);
    expect(blocks).toEqual([
      { type: "paragraph", runs: [{ text: "Second" }, { text: "1", note: 1 }, { text: " then first" }, { text: "2", note: 2 }, { text: " and again" }, { text: "1", note: 1 }, { text: "." }] },
    ]);
    expect(notes).toEqual([
      [para("Note “b”."), { type: "list", ordered: false, start: 1, items: [[para("nested item")]] }],
      [{ type: "paragraph", runs: [{ text: "Note " }, { text: "a", italic: true }, { text: "." }] }],
    ]);
  });

  it("reads Obsidian's inline footnotes", () => {
    const { blocks, notes } = parseChapterWithNotes("He left.^[See [[Mara|her]] letter.] Then.");
    expect(blocks).toEqual([{ type: "paragraph", runs: [{ text: "He left." }, { text: "1", note: 1 }, { text: " Then." }] }]);
    expect(notes).toEqual([[para("See her letter.")]]);
  });

  it("counts note words in the book's word count", async () => {
    const vault = new MemoryVault().seed({ ...BOOK, "Tides/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nOne two.[^1]\n\n[^1]: Three four five.\n" });
    const model = await buildBookModel(vault, "Tides", { chapters: [1] });
    expect(modelWordCount(model)).toBe(5);
  });
});

describe("smart typography", () => {
  it.each([
    ['"Hello," she said.', "“Hello,” she said."],
    ["I don't know.", "I don’t know."],
    ["the Bennets' house", "the Bennets’ house"],
    ['"She said \'no\' to me."', "“She said ‘no’ to me.”"],
    ['"\'Tis true," he said.', "“’Tis true,” he said."],
    ["in the '90s", "in the ’90s"],
    ["'Single quotes,' she said.", "‘Single quotes,’ she said."],
    ["pages 10--20", "pages 10–20"],
    ["wait--no", "wait—no"],
    ["wait---no", "wait—no"],
    ["And then...", "And then…"],
    ['"Wait--" he began.', "“Wait—” he began."],
    ['He said, "--and then"', "He said, “—and then”"],
  ])("%s → %s", (input, expected) => {
    expect(smartenText(input)).toBe(expected);
  });

  it("decides a quote's direction across styled runs", () => {
    expect(parseChapter('"*Go*," she said, "*now*."')).toEqual([
      { type: "paragraph", runs: [{ text: "“" }, { text: "Go", italic: true }, { text: ",” she said, “" }, { text: "now", italic: true }, { text: ".”" }] },
    ]);
  });

  it("is on by default and leaves code alone", () => {
    expect(parseChapter("It's...\n\n```\n'x'\n```")).toEqual([para("It’s…"), { type: "code", text: "'x'" }]);
    expect(plain("It's...")).toEqual([para("It's...")]);
  });
});

describe("parseChapterSelection", () => {
  it.each<[string, ReturnType<typeof parseChapterSelection>]>([
    ["all", { chapters: "all" }],
    [" ", { chapters: "all" }],
    ["1-3, 7", { chapters: [1, 2, 3, 7] }],
    ["5", { chapters: [5] }],
    ["3-1", { error: "3-1 runs backwards; write the lower number first." }],
    ["one", { error: '"one" is not a chapter number or range; use "all" or numbers such as 1-5, 8.' }],
  ])("%j", (text, expected) => {
    expect(parseChapterSelection(text)).toEqual(expected);
  });
});

const BOOK = {
  "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\nauthor: Ada Quill\nlanguage: en-GB\n---\n",
  "Tides/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\n# Storm\n\nThe storm came.\n",
  "Tides/Chapters/02 Calm.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nIt was calm.\n",
  "Tides/Chapters/03 Boat.md": "---\nbookwright: chapter\nchapter: 3\ntitle: Boat\n---\nA boat.\n",
};

describe("buildBookModel", () => {
  it("reads the book's metadata and every chapter in order, dropping a heading that repeats the title", async () => {
    const vault = new MemoryVault().seed(BOOK);
    const model = await buildBookModel(vault, "Tides");
    expect(model).toEqual({
      title: "Tides",
      author: "Ada Quill",
      language: "en-GB",
      chapters: [
        { number: 1, title: "Storm", blocks: [para("The storm came.")], notes: [] },
        { number: 2, title: "Calm", blocks: [para("It was calm.")], notes: [] },
        { number: 3, title: "Boat", blocks: [para("A boat.")], notes: [] },
      ],
    });
    expect(modelWordCount(model)).toBe(8);
  });

  it("exports the chosen chapters in reading order", async () => {
    const vault = new MemoryVault().seed(BOOK);
    const model = await buildBookModel(vault, "Tides", { chapters: [3, 1] });
    expect(model.chapters.map((c) => c.number)).toEqual([1, 3]);
  });

  it("names the chapter numbers the book does not have", async () => {
    const vault = new MemoryVault().seed(BOOK);
    await expect(buildBookModel(vault, "Tides", { chapters: [2, 9, 12] })).rejects.toThrow("Tides has no chapter 9, 12; it has chapters 1–3");
  });
});

describe("the plain-prose shortcut", () => {
  const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

  it("gives exactly what micromark gives on every chapter of the corpus novel", () => {
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.txt" });
    let shortcut = 0;
    for (const chapter of imported.chapters) {
      const source = resolveObsidianSyntax(chapter.text);
      const fast = plainChunks(source);
      if (fast === null) continue;
      shortcut++;
      expect(fast).toEqual(parseFull(source));
    }
    // The shortcut must actually be taken on a novel of plain prose, or it saves nothing.
    expect(shortcut).toBe(imported.chapters.length);
  });

  it("agrees with micromark on generated Markdown, or declines it", () => {
    const line = fc.array(
      fc.constantFrom("word", "Word", " ", "  ", "\t", "*", "_", "**", "-", "+", "#", ">", "1.", "2)", "=", "`", "~", "\\", "&amp;", "<b>", "[", "]", "!", "'", '"', "...", "--", "é", "ü"),
      { maxLength: 12 },
    ).map((parts) => parts.join(""));
    const doc = fc.array(fc.oneof(line, fc.constant(""), fc.constant("   ")), { maxLength: 14 }).map((lines) => lines.join("\n"));
    let taken = 0;
    fc.assert(
      fc.property(doc, (markdown) => {
        const source = resolveObsidianSyntax(markdown);
        const fast = plainChunks(source);
        if (fast === null) return;
        taken++;
        expect(fast).toEqual(parseFull(source));
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(300);
  });
});

describe("pictures", () => {
  const PNG_1x1 = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
  const chapter = (body: string) => ({ "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\n---\n", "Tides/Chapters/01 Storm.md": `---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\n${body}\n` });

  it("reads Obsidian and Markdown embeds, finds the file as Obsidian does, and keeps its type and size", async () => {
    const vault = new MemoryVault().seed(chapter("Before.\n\n![[Map.png|300]]\n\nText ![[Map.png|The island]] after.\n\n![Reef](<../Art/reef.png>)\n\n![[Notes about maps]]"));
    await vault.writeBinary("Attachments/Deep/Map.png", PNG_1x1);
    await vault.writeBinary("Tides/Art/reef.png", PNG_1x1);
    const model = await buildBookModel(vault, "Tides");
    const blocks = model.chapters[0]!.blocks.map((b) => (b.type === "image" ? { type: b.type, src: b.src, alt: b.alt, path: b.image?.path, size: [b.image?.width, b.image?.height], mediaType: b.image?.mediaType } : b));
    expect(blocks).toEqual([
      para("Before."),
      { type: "image", src: "Map.png", alt: "", path: "Attachments/Deep/Map.png", size: [1, 1], mediaType: "image/png" },
      para("Text after."),
      { type: "image", src: "Map.png", alt: "The island", path: "Attachments/Deep/Map.png", size: [1, 1], mediaType: "image/png" },
      { type: "image", src: "../Art/reef.png", alt: "Reef", path: "Tides/Art/reef.png", size: [1, 1], mediaType: "image/png" },
    ]);
    expect(model.warnings).toBeUndefined();
  });

  it("leaves out, and names, a picture that is missing, on the web, or of a kind exports cannot carry — the text stays", async () => {
    const vault = new MemoryVault().seed(chapter("One.\n\n![[Gone.png]]\n\n![Web](https://example.com/a.png)\n\n![[Sketch.webp]]\n\nTwo."));
    await vault.writeBinary("Tides/Sketch.webp", new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]));
    const model = await buildBookModel(vault, "Tides");
    expect(model.chapters[0]!.blocks).toEqual([para("One."), para("Two.")]);
    expect(model.warnings).toEqual([
      "Tides/Chapters/01 Storm.md: image Gone.png was not found in the vault, so it is left out",
      "Tides/Chapters/01 Storm.md: image https://example.com/a.png is on the web; exports do not fetch pictures, so it is left out (save it in the vault and embed that)",
      "Tides/Chapters/01 Storm.md: image Sketch.webp (Tides/Sketch.webp) is not a JPEG, PNG or GIF, which is what every export format can carry, so it is left out",
    ]);
  });
});
