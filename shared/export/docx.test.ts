import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedText, firstDifference, pandocJson, pandocMarkdown, readBack } from "../../test/support/pandoc";
import { importManuscript, writeBookFolder } from "../import/import-manuscript";
import { EXPORT_FIXTURE_FOLDER, exportFixtureImages, seedExportFixture } from "../testing/export-fixture";
import { MemoryVault } from "../testing/memory-vault";
import { buildBookModel, modelWordCount, type BookModel, type ModelImage } from "./book-model";
import { manuscriptWordCount, toBookDocx, toManuscriptDocx } from "./docx";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

/** The stress-test book, its two pictures (in chapter 2) found in the vault. */
async function fixtureModel(): Promise<BookModel> {
  const vault = new MemoryVault();
  await seedExportFixture(vault);
  return buildBookModel(vault, EXPORT_FIXTURE_FOLDER);
}

const FIXTURE_PICTURES = exportFixtureImages();
const FIXTURE_PNG = FIXTURE_PICTURES["Attachments/Map of the island.png"]!;
const FIXTURE_JPEG = FIXTURE_PICTURES[`${EXPORT_FIXTURE_FOLDER}/Chapters/Art/reef chart.jpg`]!;
/** A 1 × 1 px GIF. */
const GIF = Uint8Array.from(atob("R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw=="), (c) => c.charCodeAt(0));

/**
 * Pictures everywhere they can stand: a wide one at the top level and again in a quote (stored once),
 * a tall one in a list item, one in each of two notes (the second note nothing but the picture), and
 * one the model did not find.
 */
function picturedModel(): BookModel {
  const wide: ModelImage = { path: "Art/wide.png", bytes: FIXTURE_PNG, mediaType: "image/png", width: 4000, height: 3000 };
  const tall: ModelImage = { path: "Art/tall.jpg", bytes: FIXTURE_JPEG, mediaType: "image/jpeg", width: 500, height: 5000 };
  const seal: ModelImage = { path: "Seal.gif", bytes: GIF, mediaType: "image/gif", width: 30, height: 20 };
  return {
    title: "Pictures",
    language: "en",
    chapters: [
      {
        number: 1,
        title: "Seen",
        blocks: [
          { type: "paragraph", runs: [{ text: "A seal." }, { text: "1", note: 1 }, { text: " Another." }, { text: "2", note: 2 }] },
          { type: "image", src: "Art/wide.png", alt: "A wide <view> & \"more\"", image: wide },
          { type: "blockquote", blocks: [{ type: "paragraph", runs: [{ text: "Quoted." }] }, { type: "image", src: "wide.png", alt: "", image: wide }] },
          { type: "list", ordered: false, start: 1, items: [[{ type: "paragraph", runs: [{ text: "An item." }] }, { type: "image", src: "Art/tall.jpg", alt: "Tall", image: tall }]] },
          { type: "image", src: "missing.png", alt: "Not found" },
          { type: "paragraph", runs: [{ text: "The end." }] },
        ],
        notes: [
          [{ type: "paragraph", runs: [{ text: "The seal:" }] }, { type: "image", src: "Seal.gif", alt: "", image: seal }],
          [{ type: "image", src: "Seal.gif", alt: "The seal again", image: seal }],
        ],
      },
    ],
  };
}

/** A small hand-made model: two chapters that each have a note 1, so the document's note ids must differ. */
function smallModel(): BookModel {
  return {
    title: "Tides & <Tales>",
    author: "Ada Quill",
    language: "en-GB",
    chapters: [
      {
        number: 1,
        title: "Storm",
        blocks: [
          { type: "paragraph", runs: [{ text: "She said it " }, { text: "twice", italic: true }, { text: ", and " }, { text: "loud", bold: true }, { text: "." }, { text: "1", note: 1 }] },
          { type: "paragraph", runs: [{ text: "Line one\nline two" }] },
          { type: "sceneBreak" },
          { type: "paragraph", runs: [{ text: "After the break." }] },
          { type: "blockquote", blocks: [{ type: "paragraph", runs: [{ text: "A quoted letter." }] }] },
          { type: "heading", depth: 2, runs: [{ text: "A subheading" }] },
          { type: "paragraph", runs: [{ text: "After it." }] },
          { type: "code", text: "code <b> & more\n  indented" },
        ],
        notes: [[{ type: "paragraph", runs: [{ text: "The wind was loud too." }] }]],
      },
      {
        number: 2,
        title: "",
        blocks: [{ type: "paragraph", runs: [{ text: "Calm.", bold: false }, { text: "1", note: 1 }] }],
        notes: [[{ type: "paragraph", runs: [{ text: "Second chapter's note." }] }]],
      },
    ],
  };
}

/** The package's XML parts (relationships included) as text; the pictures are `unzipSync`'s. */
function unzip(bytes: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder();
  return Object.fromEntries(
    Object.entries(unzipSync(bytes))
      .filter(([name]) => /\.(?:xml|rels)$/.test(name))
      .map(([name, data]) => [name, decoder.decode(data)]),
  );
}

/** The body's paragraphs, each as its XML, in order. */
function paragraphs(documentXml: string): string[] {
  return documentXml.match(/<w:p>.*?<\/w:p>|<w:p [^>]*>.*?<\/w:p>/g) ?? [];
}

const styleOf = (p: string): string | undefined => /<w:pStyle w:val="([^"]+)"\/>/.exec(p)?.[1];
const XML_ENTITIES: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" };
const textOf = (xml: string): string =>
  [...xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]!.replace(/&(?:amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e]!)).join("");

/** One style's XML from styles.xml. */
function style(stylesXml: string, id: string): string {
  const match = new RegExp(`<w:style [^>]*w:styleId="${id}">.*?</w:style>`).exec(stylesXml);
  if (!match) throw new Error(`styles.xml has no style ${id}`);
  return match[0];
}

/** The sections' properties, in order. */
function sections(documentXml: string): string[] {
  return documentXml.match(/<w:sectPr>.*?<\/w:sectPr>/g) ?? [];
}

// ---------------------------------------------------------------------------------------------------
// Well-formedness

const XML_NAME = "[A-Za-z_][\\w.-]*(?::[A-Za-z_][\\w.-]*)?";
const XML_TOKEN = new RegExp(`<\\?xml [^?]*\\?>|<!--[^]*?-->|<(/?)(${XML_NAME})((?:\\s+${XML_NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>|[^<]+`, "y");
const XML_ATTRIBUTE = new RegExp(`(${XML_NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "g");
// eslint-disable-next-line no-control-regex -- what XML 1.0 forbids
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const XML_BAD_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);)/;

/**
 * Why `xml` is not well-formed namespaced XML, or null: one root element; tags that nest and close;
 * attributes quoted, not repeated, and free of `<`; no entity but XML's own and character references;
 * no `<` in text (it could not be tokenized), no `]]>` and no character XML 1.0 forbids; every prefix
 * declared where it is used.
 */
function xmlProblem(xml: string): string | null {
  const open: { name: string; prefixes: Set<string> }[] = [];
  let roots = 0;
  XML_TOKEN.lastIndex = 0;
  while (XML_TOKEN.lastIndex < xml.length) {
    const at = XML_TOKEN.lastIndex;
    const m = XML_TOKEN.exec(xml);
    if (!m) return `cannot read the markup at ${at}: ${JSON.stringify(xml.slice(at, at + 60))}`;
    const [token, closing, name, attributes, empty] = m;
    if (token.startsWith("<?xml")) {
      if (at !== 0) return `an XML declaration at ${at}`;
      continue;
    }
    if (token.startsWith("<!--")) continue;
    if (name === undefined) {
      if (XML_FORBIDDEN.test(token)) return `a forbidden character in text at ${at}`;
      if (XML_BAD_ENTITY.test(token)) return `an unknown entity in text at ${at}`;
      if (token.includes("]]>")) return `"]]>" in text at ${at}`;
      if (open.length === 0 && token.trim() !== "") return `text outside the root element at ${at}`;
      continue;
    }
    if (closing) {
      if (attributes || empty) return `a malformed end tag at ${at}`;
      const top = open.pop();
      if (top?.name !== name) return `</${name}> at ${at} closes <${top?.name ?? "nothing"}>`;
      continue;
    }
    if (open.length === 0 && roots++ > 0) return `a second root element <${name}> at ${at}`;
    const prefixes = new Set(open.at(-1)?.prefixes ?? ["xml"]);
    const seen = new Set<string>();
    const attrs = [...(attributes ?? "").matchAll(XML_ATTRIBUTE)];
    for (const [, attr, double, single] of attrs) {
      const value = double ?? single ?? "";
      if (seen.has(attr!)) return `<${name}> at ${at} repeats ${attr}`;
      seen.add(attr!);
      if (XML_FORBIDDEN.test(value) || XML_BAD_ENTITY.test(value)) return `a bad attribute value ${attr}="${value}" at ${at}`;
      if (attr!.startsWith("xmlns:")) prefixes.add(attr!.slice("xmlns:".length));
    }
    for (const qualified of [name, ...attrs.map((a) => a[1]!)]) {
      const prefix = qualified.includes(":") ? qualified.slice(0, qualified.indexOf(":")) : null;
      if (prefix !== null && prefix !== "xmlns" && !prefixes.has(prefix)) return `undeclared prefix ${prefix}: on ${qualified} at ${at}`;
    }
    if (!empty) open.push({ name, prefixes });
  }
  if (open.length > 0) return `<${open.at(-1)!.name}> is never closed`;
  return roots === 1 ? null : "no root element";
}

// ---------------------------------------------------------------------------------------------------
// Reading back with pandoc

// ---------------------------------------------------------------------------------------------------

describe("manuscriptWordCount", () => {
  it("rounds to the nearest 100 below 20,000 words and the nearest 1,000 from there, never to nothing", () => {
    expect(manuscriptWordCount(19_949)).toBe("about 19,900 words");
    expect(manuscriptWordCount(20_400)).toBe("about 20,000 words");
    expect(manuscriptWordCount(122_123)).toBe("about 122,000 words");
    expect(manuscriptWordCount(37)).toBe("about 100 words");
    expect(manuscriptWordCount(0)).toBe("about 100 words");
    expect(manuscriptWordCount(1_250)).toBe("about 1,300 words");
    expect(manuscriptWordCount(19_960)).toBe("about 20,000 words");
    expect(manuscriptWordCount(1_234_567)).toBe("about 1,235,000 words");
  });
});

describe("toManuscriptDocx", () => {
  it("sets US Letter pages with 1 in margins, 12 pt Times New Roman, double spacing, ragged right and no hyphenation", async () => {
    const files = unzip(await toManuscriptDocx(await fixtureModel()));
    const doc = files["word/document.xml"]!;
    for (const sect of sections(doc)) {
      expect(sect).toContain('<w:pgSz w:w="12240" w:h="15840" w:orient="portrait"/>');
      expect(sect).toMatch(/<w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" /);
    }
    const styles = files["word/styles.xml"]!;
    expect(styles).toContain('<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/><w:sz w:val="24"/>');
    expect(styles).toContain('<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="480" w:lineRule="auto"/></w:pPr></w:pPrDefault>');
    const normal = style(styles, "Normal");
    expect(normal).toContain('<w:jc w:val="left"/>');
    expect(normal).toContain("<w:suppressAutoHyphens/>");
    expect(style(styles, "BodyText")).toContain('<w:ind w:firstLine="720"/>');
    // Every paragraph of a manuscript is indented, the first of a chapter too.
    expect(style(styles, "FirstParagraph")).toContain('<w:basedOn w:val="BodyText"/>');
    expect(style(styles, "FirstParagraph")).not.toContain("w:firstLine");
    expect(files["word/settings.xml"]).toContain('<w:autoHyphenation w:val="false"/>');
    expect(files["word/settings.xml"]).not.toContain("mirrorMargins");
    // The body is formatted by its styles, not paragraph by paragraph.
    expect(doc).not.toContain("<w:rFonts");
    expect(doc).not.toMatch(/<w:jc /);
  });

  it("writes Courier New when asked", async () => {
    const styles = unzip(await toManuscriptDocx(smallModel(), { font: "Courier New" }))["word/styles.xml"]!;
    expect(styles).toContain('<w:rFonts w:ascii="Courier New" w:hAnsi="Courier New" w:cs="Courier New"/><w:sz w:val="24"/>');
  });

  it("puts the contact block and word count on a title page without a header, title and byline halfway down", async () => {
    const model = await fixtureModel();
    const files = unzip(await toManuscriptDocx(model));
    const doc = files["word/document.xml"]!;
    const [titleSection, bodySection] = sections(doc);
    expect(sections(doc)).toHaveLength(2);
    expect(titleSection).not.toContain("headerReference");
    expect(bodySection).toContain('<w:headerReference w:type="default"');
    expect(bodySection).toContain('<w:type w:val="nextPage"/>');
    expect(bodySection).toContain('<w:pgNumType w:start="1"/>');
    const paras = paragraphs(doc);
    expect(styleOf(paras[0]!)).toBe("Contact");
    expect(paras[0]).toContain(`<w:t xml:space="preserve">Zofia Łukasiewicz</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">${manuscriptWordCount(modelWordCount(model))}</w:t>`);
    expect(manuscriptWordCount(modelWordCount(model))).toBe("about 10,200 words");
    // The word count sits on a right tab at the right margin.
    expect(style(files["word/styles.xml"]!, "Contact")).toContain('<w:tab w:val="right" w:pos="9360"/>');
    expect(style(files["word/styles.xml"]!, "Contact")).toContain('w:line="240"');
    expect(styleOf(paras[1]!)).toBe("Title");
    expect(textOf(paras[1]!)).toBe("Babel Tower");
    // Halfway down an 11 in page with 1 in margins: 4.5 in below the top margin, less the contact block.
    const before = Number(/<w:spacing w:before="(\d+)"\/>/.exec(paras[1]!)?.[1]);
    expect(before).toBeGreaterThan(4 * 1440 - 276);
    expect(before).toBeLessThan(4.5 * 1440);
    expect(style(files["word/styles.xml"]!, "Title")).toContain('<w:jc w:val="center"/>');
    expect(textOf(paras[2]!)).toBe("by Zofia Łukasiewicz");
    expect(style(files["word/styles.xml"]!, "Byline")).toContain('<w:jc w:val="center"/>');
  });

  it("heads every page after the title page with Surname / Keyword / page number, right-aligned", async () => {
    const files = unzip(await toManuscriptDocx(await fixtureModel()));
    const headers = Object.keys(files).filter((n) => /^word\/header\d+\.xml$/.test(n));
    expect(headers).toHaveLength(1);
    const header = files[headers[0]!]!;
    expect(textOf(header)).toBe("Łukasiewicz / Babel / ");
    expect(header).toMatch(/<w:fldChar w:fldCharType="begin"\/><\/w:r><w:r><w:instrText xml:space="preserve">PAGE<\/w:instrText>/);
    expect(style(files["word/styles.xml"]!, "Header")).toContain('<w:jc w:val="right"/>');
    const rels = files["word/_rels/document.xml.rels"]!;
    const id = /<w:headerReference w:type="default" r:id="(rId\d+)"\/>/.exec(files["word/document.xml"]!)![1];
    expect(rels).toMatch(new RegExp(`Id="${id}"[^>]*Target="${headers[0]!.replace("word/", "")}"|Target="${headers[0]!.replace("word/", "")}"[^>]*Id="${id}"`));
  });

  it("takes the contact block, surname and keyword it is given, and falls back without an author", async () => {
    const files = unzip(await toManuscriptDocx(smallModel(), { contact: ["Ada Quill", "1 Harbour Row, Port Isaac", "ada@example.com"], surname: "QUILL", keyword: "TIDES" }));
    const paras = paragraphs(files["word/document.xml"]!);
    expect(paras.slice(0, 3).map(textOf)).toEqual(["Ada Quillabout 100 words", "1 Harbour Row, Port Isaac", "ada@example.com"]);
    expect(paras.slice(0, 3).map(styleOf)).toEqual(["Contact", "Contact", "Contact"]);
    expect(textOf(files["word/header1.xml"]!)).toBe("QUILL / TIDES / ");
    const anonymous = unzip(await toManuscriptDocx({ ...smallModel(), author: undefined, title: "The Lighthouse Keeper" }));
    expect(textOf(anonymous["word/header1.xml"]!)).toBe("Anonymous / Lighthouse / ");
    expect(paragraphs(anonymous["word/document.xml"]!).map(textOf).slice(0, 3)).toEqual(["about 100 words", "The Lighthouse Keeper", "Storm"]);
  });

  it("starts each chapter on a new page with its title about a third of the way down", async () => {
    const model = await fixtureModel();
    const files = unzip(await toManuscriptDocx(model));
    const chapters = paragraphs(files["word/document.xml"]!).filter((p) => styleOf(p) === "Heading1");
    expect(chapters.map(textOf)).toEqual(model.chapters.map((c) => c.title));
    const heading1 = style(files["word/styles.xml"]!, "Heading1");
    expect(heading1).toContain("<w:pageBreakBefore/>");
    expect(heading1).toContain('<w:jc w:val="center"/>');
    expect(heading1).toContain('<w:outlineLvl w:val="0"/>');
    const before = Number(/<w:spacing w:before="(\d+)"/.exec(heading1)?.[1]);
    // A third of 11 in from the top edge is 2.67 in below the top margin; the double-spaced line adds about 1/6 in.
    expect(before / 1440).toBeGreaterThan(2);
    expect(before / 1440).toBeLessThan(2.7);
    // Nothing overrides the page break on a chapter title.
    for (const chapter of chapters) expect(chapter).not.toContain("pageBreakBefore");
  });

  it("keeps italics and bold, centres # for a scene break, indents quotes both sides and breaks lines", async () => {
    const files = unzip(await toManuscriptDocx(smallModel()));
    const paras = paragraphs(files["word/document.xml"]!);
    const first = paras.find((p) => textOf(p).startsWith("She said it"))!;
    expect(styleOf(first)).toBe("FirstParagraph");
    expect(first).toContain('<w:r><w:rPr><w:i/><w:iCs/></w:rPr><w:t xml:space="preserve">twice</w:t></w:r>');
    expect(first).toContain('<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">loud</w:t></w:r>');
    const lines = paras.find((p) => textOf(p).startsWith("Line one"))!;
    expect(styleOf(lines)).toBe("BodyText");
    expect(lines).toContain('<w:t xml:space="preserve">Line one</w:t></w:r><w:r><w:br/><w:t xml:space="preserve">line two</w:t>');
    const breakPara = paras.find((p) => styleOf(p) === "SceneBreak")!;
    expect(textOf(breakPara)).toBe("#");
    expect(style(files["word/styles.xml"]!, "SceneBreak")).toContain('<w:jc w:val="center"/>');
    expect(styleOf(paras[paras.indexOf(breakPara) + 1]!)).toBe("FirstParagraph");
    const quote = paras.find((p) => textOf(p) === "A quoted letter.")!;
    expect(styleOf(quote)).toBe("BlockQuote");
    expect(style(files["word/styles.xml"]!, "BlockQuote")).toContain('<w:ind w:left="720" w:right="720"/>');
    expect(styleOf(paras.find((p) => textOf(p) === "A subheading")!)).toBe("Heading3");
    const code = paras.find((p) => styleOf(p) === "SourceCode")!;
    expect(code).toContain('<w:t xml:space="preserve">code &lt;b&gt; &amp; more</w:t></w:r><w:r><w:br/><w:t xml:space="preserve">  indented</w:t>');
    expect(style(files["word/styles.xml"]!, "SourceCode")).toContain('w:ascii="Courier New"');
    // An untitled chapter is headed by its number.
    expect(paras.filter((p) => styleOf(p) === "Heading1").map(textOf)).toEqual(["Storm", "Chapter 2"]);
  });

  it("writes lists as marked paragraphs with hanging indents, nested ones further in", async () => {
    const paras = paragraphs(unzip(await toManuscriptDocx(await fixtureModel()))["word/document.xml"]!);
    const items = paras.filter((p) => styleOf(p) === "ListItem");
    const summary = items.map((p) => [textOf(p), /<w:ind w:left="(\d+)" w:hanging="(\d+)"\/>/.exec(p)?.slice(1).map(Number)]);
    expect(summary).toEqual([
      ["1.Oil for the lamp", [720, 360]],
      ["2.Wicks, in three sizes:", [720, 360]],
      ["◦short", [1440, 360]],
      ["◦long", [1440, 360]],
      ["▪the very long ones, for winter", [2160, 360]],
      ["3.Bread", [720, 360]],
      ["•a compass", [720, 360]],
      ["•a brass telescope", [720, 360]],
    ]);
    // The marker and the text are separated by a tab to the hanging indent's edge.
    expect(items[0]).toContain('<w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs>');
    expect(items[0]).toContain('<w:t xml:space="preserve">1.</w:t><w:tab/>');
  });

  it("makes the notes real Word footnotes, numbered across the document", async () => {
    const files = unzip(await toManuscriptDocx(smallModel()));
    const refs = [...files["word/document.xml"]!.matchAll(/<w:footnoteReference w:id="(\d+)"\/>/g)].map((m) => Number(m[1]));
    expect(refs).toHaveLength(2);
    expect(new Set(refs).size).toBe(2);
    const notes = files["word/footnotes.xml"]!;
    const noteText = (id: number): string => textOf(new RegExp(`<w:footnote w:id="${id}">.*?</w:footnote>`).exec(notes)?.[0] ?? "");
    expect(refs.map(noteText)).toEqual([" The wind was loud too.", " Second chapter's note."]);
    expect(notes).toContain('<w:pStyle w:val="FootnoteText"/></w:pPr><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/>');
    expect(style(files["word/styles.xml"]!, "FootnoteReference")).toContain('<w:vertAlign w:val="superscript"/>');
  });

  it("carries a note referred to from inside a note in the same footnote", async () => {
    const model: BookModel = {
      title: "T",
      language: "en",
      chapters: [
        {
          number: 1,
          title: "One",
          blocks: [{ type: "paragraph", runs: [{ text: "Text." }, { text: "1", note: 1 }] }],
          notes: [[{ type: "paragraph", runs: [{ text: "Outer" }, { text: "2", note: 2 }, { text: "." }] }], [{ type: "paragraph", runs: [{ text: "Inner." }] }]],
        },
      ],
    };
    const notes = unzip(await toManuscriptDocx(model))["word/footnotes.xml"]!;
    const footnotes = [...notes.matchAll(/<w:footnote w:id="(\d+)">(.*?)<\/w:footnote>/g)];
    expect(footnotes).toHaveLength(1);
    expect(paragraphs(footnotes[0]![2]!).map(textOf)).toEqual([" Outer*.", "* Inner."]);
    expect(footnotes[0]![2]).toContain('<w:vertAlign w:val="superscript"/></w:rPr><w:t xml:space="preserve">*</w:t>');
  });

  it("records title, author and language, and drops characters XML cannot hold", async () => {
    const model: BookModel = { title: "Sea\u0001 & Salt", author: "Ann\u0007 Lee", language: "pl", chapters: [{ number: 1, title: "A\u0002B", notes: [], blocks: [{ type: "paragraph", runs: [{ text: "x\u0000y\u001Fz\u000Bw" }] }] }] };
    const files = unzip(await toManuscriptDocx(model));
    const core = files["docProps/core.xml"]!;
    expect(core).toContain("<dc:title>Sea &amp; Salt</dc:title>");
    expect(core).toContain("<dc:creator>Ann Lee</dc:creator>");
    expect(core).toContain("<dc:language>pl</dc:language>");
    expect(core).toMatch(/<dcterms:modified xsi:type="dcterms:W3CDTF">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/dcterms:modified>/);
    expect(files["word/styles.xml"]).toContain('<w:lang w:val="pl"/>');
    const doc = files["word/document.xml"]!;
    expect(paragraphs(doc).map(textOf)).toContain("xyzw");
    expect(paragraphs(doc).map(textOf)).toContain("AB");
    // eslint-disable-next-line no-control-regex -- checking that none got through
    for (const xml of Object.values(files)) expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });
});

describe("toBookDocx", () => {
  it("sets a 6 × 9 in page with mirrored margins, the wider one inside", async () => {
    const files = unzip(await toBookDocx(await fixtureModel()));
    const all = sections(files["word/document.xml"]!);
    expect(all).toHaveLength(2);
    for (const sect of all) {
      expect(sect).toContain('<w:pgSz w:w="8640" w:h="12960" w:orient="portrait"/>');
      const [top, right, bottom, left] = /<w:pgMar w:top="(\d+)" w:right="(\d+)" w:bottom="(\d+)" w:left="(\d+)"/.exec(sect)!.slice(1).map(Number);
      expect(left).toBeGreaterThan(right!);
      expect(Math.min(top!, right!, bottom!, left!)).toBeGreaterThanOrEqual(720);
    }
    expect(files["word/settings.xml"]).toContain("<w:mirrorMargins/>");
    expect(files["word/settings.xml"]).toContain('<w:autoHyphenation w:val="true"/>');
    const other = sections(unzip(await toBookDocx(smallModel(), { trim: { widthIn: 5.5, heightIn: 8.5 } }))["word/document.xml"]!);
    expect(other[0]).toContain('<w:pgSz w:w="7920" w:h="12240" w:orient="portrait"/>');
  });

  it("uses the font and size asked for, Georgia 11.5 pt by default", async () => {
    const defaults = unzip(await toBookDocx(smallModel()))["word/styles.xml"]!;
    expect(defaults).toContain('<w:rFonts w:ascii="Georgia" w:hAnsi="Georgia" w:cs="Georgia"/><w:sz w:val="23"/><w:szCs w:val="23"/><w:lang w:val="en-GB"/>');
    const chosen = unzip(await toBookDocx(smallModel(), { font: "Palatino Linotype", fontSizePt: 12 }))["word/styles.xml"]!;
    expect(chosen).toContain('<w:rFonts w:ascii="Palatino Linotype" w:hAnsi="Palatino Linotype" w:cs="Palatino Linotype"/><w:sz w:val="24"/>');
    await expect(toBookDocx(smallModel(), { fontSizePt: 0 })).rejects.toThrow(/font size/);
    await expect(toBookDocx(smallModel(), { trim: { widthIn: 60, heightIn: 9 } })).rejects.toThrow(/trim size/);
  });

  it("formats the text through named styles a writer can change", async () => {
    const files = unzip(await toBookDocx(await fixtureModel()));
    const styles = files["word/styles.xml"]!;
    const names: Record<string, string> = Object.fromEntries([...styles.matchAll(/w:styleId="([^"]+)"><w:name w:val="([^"]+)"\/>/g)].map((m) => [m[1]!, m[2]!]));
    expect(names).toMatchObject({
      BodyText: "Body Text",
      FirstParagraph: "First Paragraph",
      Heading1: "heading 1",
      SceneBreak: "Scene Break",
      BlockQuote: "Block Quote",
      TOC1: "toc 1",
      FootnoteText: "footnote text",
    });
    const body = style(styles, "BodyText");
    expect(body).toContain('<w:jc w:val="both"/>');
    expect(body).toContain('<w:ind w:firstLine="345"/>');
    expect(style(styles, "FirstParagraph")).toContain('<w:ind w:firstLine="0"/>');
    expect(style(styles, "Heading1")).toContain("<w:pageBreakBefore/>");
    expect(style(styles, "Heading1")).toContain('<w:outlineLvl w:val="0"/>');
    const doc = files["word/document.xml"]!;
    const paras = paragraphs(doc);
    // Each body paragraph names its style and carries no formatting of its own.
    const bodyParas = paras.filter((p) => ["BodyText", "FirstParagraph", "SceneBreak", "BlockQuote"].includes(styleOf(p) ?? ""));
    expect(bodyParas.length).toBeGreaterThan(10);
    for (const p of bodyParas) expect(p).not.toMatch(/<w:(?:jc|ind|spacing|rFonts|sz) /);
    expect(doc).not.toContain("<w:rFonts");
  });

  it("indents every paragraph but the first of a chapter and the first after a heading or scene break", async () => {
    const paras = paragraphs(unzip(await toBookDocx(smallModel()))["word/document.xml"]!);
    const sequence = paras.filter((p) => styleOf(p) !== undefined && !["Title", "Byline", "TOCHeading", "TOC1"].includes(styleOf(p)!)).map((p) => [styleOf(p), textOf(p)]);
    expect(sequence).toEqual([
      ["Heading1", "Storm"],
      ["FirstParagraph", "She said it twice, and loud."],
      ["BodyText", "Line oneline two"],
      ["SceneBreak", "* * *"],
      ["FirstParagraph", "After the break."],
      ["BlockQuote", "A quoted letter."],
      ["Heading3", "A subheading"],
      ["FirstParagraph", "After it."],
      ["SourceCode", "code <b> & more  indented"],
      ["Heading1", "Chapter 2"],
      ["FirstParagraph", "Calm."],
    ]);
  });

  it("opens with a title page and a contents already filled in with the chapter titles, linked to them", async () => {
    const model = await fixtureModel();
    const files = unzip(await toBookDocx(model));
    const doc = files["word/document.xml"]!;
    const paras = paragraphs(doc);
    expect(paras.slice(0, 3).map((p) => [styleOf(p), textOf(p)])).toEqual([
      ["Title", "Babel Tower"],
      ["Byline", "Zofia Łukasiewicz"],
      ["TOCHeading", "Contents"],
    ]);
    const toc = /<w:sdt>.*?<\/w:sdt>/.exec(doc)?.[0] ?? "";
    expect(toc).toContain('<w:docPartGallery w:val="Table of Contents"/>');
    expect(toc).toContain('<w:fldChar w:fldCharType="begin" w:dirty="false"/><w:instrText xml:space="preserve">TOC \\h \\o &quot;1-1&quot;</w:instrText>');
    const entries = paragraphs(toc).filter((p) => styleOf(p) === "TOC1");
    expect(entries.map(textOf)).toEqual(model.chapters.map((c) => c.title));
    // Each entry links to a bookmark on its chapter's title.
    const chapters = paras.filter((p) => styleOf(p) === "Heading1");
    entries.forEach((entry, i) => {
      const anchor = /<w:hyperlink w:history="1" w:anchor="([^"]+)">/.exec(entry)?.[1];
      expect(anchor).toBeDefined();
      expect(chapters[i]).toContain(`<w:bookmarkStart w:name="${anchor}"`);
    });
    // Nothing asks Word to update fields when the document opens.
    expect(doc).not.toContain('w:dirty="true"');
    expect(files["word/settings.xml"]).not.toContain("updateFields");
    // Where Word's Update Table puts the page numbers: the right edge of the text.
    expect(style(files["word/styles.xml"]!, "TOC1")).toContain('<w:tab w:val="right" w:leader="dot" w:pos="6480"/>');
  });

  it("numbers the pages of the text in the footer, and leaves the title page and contents unnumbered", async () => {
    const files = unzip(await toBookDocx(await fixtureModel()));
    const [front, body] = sections(files["word/document.xml"]!);
    expect(front).not.toMatch(/footerReference|headerReference/);
    expect(body).toContain('<w:footerReference w:type="default"');
    expect(body).toContain('<w:type w:val="nextPage"/>');
    expect(body).toContain('<w:pgNumType w:start="1"/>');
    const footer = files["word/footer1.xml"]!;
    expect(footer).toContain('<w:instrText xml:space="preserve">PAGE</w:instrText>');
    expect(style(files["word/styles.xml"]!, "Footer")).toContain('<w:jc w:val="center"/>');
  });

  it("leaves out the title page and contents when asked", async () => {
    const files = unzip(await toBookDocx(await fixtureModel(), { titlePage: false, toc: false }));
    const doc = files["word/document.xml"]!;
    expect(sections(doc)).toHaveLength(1);
    expect(doc).not.toContain("<w:sdt>");
    expect(styleOf(paragraphs(doc)[0]!)).toBe("Heading1");
    const tocOnly = unzip(await toBookDocx(await fixtureModel(), { titlePage: false }))["word/document.xml"]!;
    expect(paragraphs(tocOnly).map(styleOf).slice(0, 2)).toEqual(["TOCHeading", undefined]);
    expect(paragraphs(tocOnly)[0]).not.toContain("pageBreakBefore");
  });

  it("writes a book with no chapters as a valid document", async () => {
    const files = unzip(await toBookDocx({ title: "Empty", language: "en", chapters: [] }));
    expect(files["word/document.xml"]).toContain("<w:body>");
    expect(files["word/document.xml"]).not.toContain("<w:sdt>");
  });

  it("makes the notes real Word footnotes in a smaller footnote style", async () => {
    const files = unzip(await toBookDocx(await fixtureModel()));
    const refs = [...files["word/document.xml"]!.matchAll(/<w:footnoteReference w:id="(\d+)"\/>/g)].map((m) => Number(m[1]));
    expect(refs).toHaveLength(2);
    expect(new Set(refs).size).toBe(2);
    const notes = files["word/footnotes.xml"]!;
    expect(notes).toContain("The ink was </w:t></w:r><w:r><w:rPr><w:i/><w:iCs/></w:rPr><w:t xml:space=\"preserve\">sepia</w:t>");
    expect(notes).toContain("Eight hours, for once.");
    expect(style(files["word/styles.xml"]!, "FootnoteText")).toContain('<w:sz w:val="19"/>');
  });
});

// ---------------------------------------------------------------------------------------------------
// Pictures

const RELS_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

interface DrawingFacts {
  docPr: number;
  descr: string;
  rel: string;
  cx: number;
  cy: number;
  /** The `a:ext` of the picture's shape, which should match the extent. */
  ext: [number, number];
  /** The paragraph the drawing stands in. */
  paragraph: string;
}

const XML_UNESCAPE = (value: string): string => value.replace(/&(?:amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e]!);

/** Each drawing in a part, in order, with what the tests check of it. */
function drawings(xml: string): DrawingFacts[] {
  return paragraphs(xml).flatMap((p) =>
    [...p.matchAll(/<w:drawing>.*?<\/w:drawing>/g)].map(([d]) => {
      const extent = /<wp:extent cx="(\d+)" cy="(\d+)"\/>/.exec(d)!;
      const ext = /<a:ext cx="(\d+)" cy="(\d+)"\/>/.exec(d)!;
      return {
        docPr: Number(/<wp:docPr id="(\d+)"/.exec(d)![1]),
        descr: XML_UNESCAPE(/<wp:docPr [^>]*descr="([^"]*)"/.exec(d)![1]!),
        rel: /<a:blip r:embed="([^"]+)"\/>/.exec(d)![1]!,
        cx: Number(extent[1]),
        cy: Number(extent[2]),
        ext: [Number(ext[1]), Number(ext[2])],
        paragraph: p,
      };
    }),
  );
}

/** A rels part's relationships of the image type: id → target (from word/). */
function imageRelationships(rels: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [r] of (rels ?? "").matchAll(/<Relationship [^>]*\/>/g)) {
    if (!r.includes(`Type="${RELS_IMAGE}"`)) continue;
    out.set(/Id="([^"]+)"/.exec(r)![1]!, `word/${/Target="([^"]+)"/.exec(r)![1]!}`);
  }
  return out;
}

/** The text area of the document's last section, in EMU. */
function textArea(documentXml: string): { width: number; height: number } {
  const sect = sections(documentXml).at(-1)!;
  const [w, h] = /<w:pgSz w:w="(\d+)" w:h="(\d+)"/.exec(sect)!.slice(1).map(Number);
  const [top, right, bottom, left] = /<w:pgMar w:top="(\d+)" w:right="(\d+)" w:bottom="(\d+)" w:left="(\d+)"/.exec(sect)!.slice(1).map(Number);
  return { width: (w! - left! - right!) * 635, height: (h! - top! - bottom!) * 635 };
}

const LAYOUTS = [
  { name: "manuscript", write: (model: BookModel) => toManuscriptDocx(model) },
  { name: "book", write: (model: BookModel) => toBookDocx(model) },
] as const;

describe("pictures", () => {
  it("finds the fixture's two pictures in chapter 2", async () => {
    const model = await fixtureModel();
    const images = model.chapters[1]!.blocks.filter((b) => b.type === "image");
    expect(images.map((b) => [b.alt, b.image?.path])).toEqual([
      ["", "Attachments/Map of the island.png"],
      ["The chart of the reef", `${EXPORT_FIXTURE_FOLDER}/Chapters/Art/reef chart.jpg`],
    ]);
  });

  for (const layout of LAYOUTS) {
    it(`stores each of the fixture's pictures once in the ${layout.name} and draws it at 96 dpi in a centred paragraph`, async () => {
      const bytes = await layout.write(await fixtureModel());
      const raw = unzipSync(bytes);
      const files = unzip(bytes);
      const media = Object.keys(raw).filter((n) => n.startsWith("word/media/"));
      expect(media).toEqual(["word/media/image1.png", "word/media/image2.jpeg"]);
      expect(raw["word/media/image1.png"]).toEqual(FIXTURE_PNG);
      expect(raw["word/media/image2.jpeg"]).toEqual(FIXTURE_JPEG);
      const types = files["[Content_Types].xml"]!;
      expect(types).toContain('<Default Extension="png" ContentType="image/png"/>');
      expect(types).toContain('<Default Extension="jpeg" ContentType="image/jpeg"/>');
      expect(types).not.toContain('Extension="gif"');

      const doc = files["word/document.xml"]!;
      const root = /<w:document [^>]*>/.exec(doc)![0];
      for (const prefix of ["w", "r", "wp", "a", "pic"]) expect(root).toContain(`xmlns:${prefix}="`);
      const rels = imageRelationships(files["word/_rels/document.xml.rels"]);
      expect([...rels.values()]).toEqual(media);
      const drawn = drawings(doc);
      expect(drawn.map((d) => d.descr)).toEqual(["Map of the island", "The chart of the reef"]);
      expect(drawn.map((d) => rels.get(d.rel))).toEqual(media);
      expect(drawn.map((d) => d.docPr)).toEqual([1, 2]);
      // Small pictures keep their natural size at 96 dpi: 9525 EMU a pixel.
      expect(drawn.map((d) => [d.cx, d.cy])).toEqual([
        [6 * 9525, 4 * 9525],
        [16 * 9525, 16 * 9525],
      ]);
      const area = textArea(doc);
      for (const d of drawn) {
        expect(d.ext).toEqual([d.cx, d.cy]);
        expect(d.cx).toBeLessThanOrEqual(area.width);
        expect(d.paragraph).toMatch(/^<w:p><w:pPr><w:pStyle w:val="Picture"\/><\/w:pPr><w:r><w:drawing><wp:inline [^>]*><wp:extent /);
        expect(d.paragraph).toContain('<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>');
        expect(d.paragraph).toContain("<pic:blipFill><a:blip r:embed=");
        expect(d.paragraph).toContain("<a:stretch><a:fillRect/></a:stretch>");
        expect(d.paragraph).toContain('<a:prstGeom prst="rect">');
      }
      // The chapter's pictures stand where the writer put them: after "Then she slept." and after the line that introduces the chart.
      const paras = paragraphs(doc);
      const at = drawn.map((d) => paras.indexOf(d.paragraph));
      expect(textOf(paras[at[0]! - 1]!)).toBe("Then she slept.");
      expect(textOf(paras[at[1]! - 1]!)).toBe("She pinned the map up, beside the old chart:");

      const picture = style(files["word/styles.xml"]!, "Picture");
      expect(picture).toContain('<w:name w:val="Picture"/>');
      expect(picture).toContain('<w:jc w:val="center"/>');
      expect(picture).toContain('<w:ind w:left="0" w:right="0" w:firstLine="0"/>');
      const [before, after, line] = /<w:spacing w:before="(\d+)" w:after="(\d+)" w:line="(\d+)" w:lineRule="auto"\/>/.exec(picture)!.slice(1).map(Number);
      expect(before).toBeGreaterThan(0);
      expect(after).toBe(before);
      // Single spaced: "auto" spacing multiplies the picture's own height.
      expect(line).toBe(240);
      expect(picture).not.toContain("keepNext");
    });

    it(`shrinks pictures to the text width and half its height in the ${layout.name}, keeping their shape, in quotes, lists and notes too`, async () => {
      const model = picturedModel();
      const bytes = await layout.write(model);
      const raw = unzipSync(bytes);
      const files = unzip(bytes);
      // Three distinct pictures, each stored once, numbered as first shown (the notes' seal is shown first, by the first note).
      expect(Object.keys(raw).filter((n) => n.startsWith("word/media/"))).toEqual(["word/media/image1.gif", "word/media/image2.png", "word/media/image3.jpeg"]);
      expect(raw["word/media/image1.gif"]).toEqual(GIF);
      expect(files["[Content_Types].xml"]).toContain('<Default Extension="gif" ContentType="image/gif"/>');

      const doc = files["word/document.xml"]!;
      const notes = files["word/footnotes.xml"]!;
      expect(/<w:footnotes [^>]*>/.exec(notes)![0]).toMatch(/xmlns:wp="[^"]+" xmlns:a="[^"]+" xmlns:pic="/);
      const docRels = imageRelationships(files["word/_rels/document.xml.rels"]);
      const noteRels = imageRelationships(files["word/_rels/footnotes.xml.rels"]);
      // Each part relates to the pictures it shows, and only those.
      expect([...docRels.values()]).toEqual(["word/media/image2.png", "word/media/image3.jpeg"]);
      expect([...noteRels.values()]).toEqual(["word/media/image1.gif"]);

      const body = drawings(doc);
      const inNotes = drawings(notes);
      // The picture the model did not find is left out.
      expect(body.map((d) => d.descr)).toEqual(['A wide <view> & "more"', "wide", "Tall"]);
      expect(inNotes.map((d) => d.descr)).toEqual(["Seal", "The seal again"]);
      expect(body.map((d) => docRels.get(d.rel))).toEqual(["word/media/image2.png", "word/media/image2.png", "word/media/image3.jpeg"]);
      expect(inNotes.map((d) => noteRels.get(d.rel))).toEqual(["word/media/image1.gif", "word/media/image1.gif"]);
      // docPr ids are unique across the document, notes included.
      const ids = [...body, ...inNotes].map((d) => d.docPr).sort((a, b) => a - b);
      expect(ids).toEqual([1, 2, 3, 4, 5]);

      const area = textArea(doc);
      const [wide, quoted, tall] = body;
      const shapes = [
        [wide!, 4000 / 3000],
        [quoted!, 4000 / 3000],
        [tall!, 500 / 5000],
        [inNotes[0]!, 30 / 20],
      ] as const;
      for (const [d, ratio] of shapes) {
        expect(d.ext).toEqual([d.cx, d.cy]);
        expect(d.cx).toBeLessThanOrEqual(area.width);
        expect(d.cy).toBeLessThanOrEqual(area.height / 2);
        expect(Math.abs(d.cx / d.cy - ratio)).toBeLessThan(1e-4);
      }
      // The wide picture fills the width or half the height, whichever it meets first; the tall one half the height.
      expect(Math.max(wide!.cx / area.width, wide!.cy / (area.height / 2))).toBeGreaterThan(0.9999);
      expect(tall!.cy).toBeGreaterThanOrEqual(Math.floor(area.height / 2) - 1);
      // In a quote it fits between the quote's indents, which its paragraph carries.
      const ind = /<w:ind w:left="(\d+)" w:right="(\d+)" w:firstLine="0"\/>/.exec(quoted!.paragraph)!.slice(1).map(Number);
      expect(ind[0]).toBeGreaterThan(0);
      expect(quoted!.cx).toBeLessThanOrEqual(area.width - (ind[0]! + ind[1]!) * 635);
      expect(quoted!.cx).toBeLessThan(wide!.cx);
      // A small picture keeps its size in a note, in the Picture style; a note that is only a picture still opens with its number.
      expect([inNotes[0]!.cx, inNotes[0]!.cy]).toEqual([30 * 9525, 20 * 9525]);
      expect(styleOf(inNotes[1]!.paragraph)).toBe("Picture");
      const second = /<w:footnote w:id="2">(.*?)<\/w:footnote>/.exec(notes)![1]!;
      expect(paragraphs(second)[0]).toContain("<w:footnoteRef/>");
    });
  }

  it("writes no media, image relationships or footnote relationships for a book without pictures", async () => {
    const raw = unzipSync(await toBookDocx(smallModel()));
    expect(Object.keys(raw).filter((n) => n.startsWith("word/media/") || n === "word/_rels/footnotes.xml.rels")).toEqual([]);
    const files = unzip(await toBookDocx(smallModel()));
    expect(files["[Content_Types].xml"]).not.toMatch(/Extension="(?:png|jpeg|gif)"/);
    expect(files["word/_rels/document.xml.rels"]).not.toContain(RELS_IMAGE);
  });
});

describe("the package", () => {
  it("has a well-formedness checker that catches what breaks a strict reader", () => {
    expect(xmlProblem('<?xml version="1.0"?><w:a xmlns:w="u" w:x="1"><w:b/>t &amp; &#233;<!-- c --></w:a>')).toBeNull();
    for (const bad of ["<a><b></a>", '<a x="1" x="2"/>', "<a>&nbsp;</a>", "<a>x < y</a>", "<w:a/>", "<a/><b/>", "<a>", "<a>]]></a>", '<a x="<"/>', "<a>\u0001</a>", "text<a/>"]) {
      expect(xmlProblem(bad), bad).not.toBeNull();
    }
  });

  it("writes every part as well-formed XML, each with its content type, the document's parts each with its relationship", async () => {
    const hostile: BookModel = {
      ...smallModel(),
      title: `Tides & <Tales> "quoted" 'single'`,
      author: `Ann "Q" O'Neil & <co>`,
      chapters: [...smallModel().chapters, { number: 3, title: "]]> & \u0003<", notes: [], blocks: [{ type: "paragraph", runs: [{ text: " lead\tand trail \r\nnext ]]> \uFFFF" }] }] }],
    };
    const documents = [
      await toManuscriptDocx(await fixtureModel()),
      await toBookDocx(await fixtureModel()),
      await toManuscriptDocx(hostile, { contact: ["A & B <c@d>", 'say "hi"'], surname: "O'Neil & Co", keyword: "<Tides>" }),
      await toBookDocx(hostile, { font: `Foo & "Bar" <Baz>` }),
      await toBookDocx({ title: "Empty", language: "en", chapters: [] }),
      await toManuscriptDocx(picturedModel()),
      await toBookDocx(picturedModel()),
    ];
    for (const bytes of documents) {
      const names = Object.keys(unzipSync(bytes));
      const files = unzip(bytes);
      expect(names[0]).toBe("[Content_Types].xml");
      expect(names.filter((n) => !(n in files)).every((n) => n.startsWith("word/media/"))).toBe(true);
      for (const [name, xml] of Object.entries(files)) expect(xmlProblem(xml), name).toBeNull();
      const types = files["[Content_Types].xml"]!;
      for (const name of Object.keys(files).filter((n) => n.endsWith(".xml") && n !== "[Content_Types].xml")) {
        expect(types, name).toContain(`<Override PartName="/${name}" ContentType="application/vnd.openxmlformats-`);
      }
      for (const name of names.filter((n) => n.startsWith("word/media/"))) expect(types, name).toContain(`<Default Extension="${name.slice(name.lastIndexOf(".") + 1)}" ContentType="image/`);
      // Every part in word/ is the target of a relationship from the document or, for pictures only in notes, from the footnotes.
      const targets = ["document", "footnotes"].flatMap((part) => [...(files[`word/_rels/${part}.xml.rels`] ?? "").matchAll(/Target="([^"]+)"/g)].map((m) => `word/${m[1]!}`));
      expect(targets.every((t) => names.includes(t))).toBe(true);
      const parts = names.filter((n) => n.startsWith("word/") && !n.startsWith("word/_rels/") && n !== "word/document.xml");
      expect(parts.filter((n) => !targets.includes(n))).toEqual([]);
      const packageTargets = [...files["_rels/.rels"]!.matchAll(/Target="([^"]+)"/g)].map((m) => m[1]!);
      expect(packageTargets.sort()).toEqual(["docProps/app.xml", "docProps/core.xml", "word/document.xml"]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe("read back by pandoc", () => {
  let temp: string;
  let pride: BookModel;
  beforeAll(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-docx-"));
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    const vault = new MemoryVault();
    await writeBookFolder(vault, "Pride and Prejudice", imported);
    pride = await buildBookModel(vault, "Pride and Prejudice");
  }, 60_000);
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("finds the fixture book's chapters, text and notes in the manuscript", async () => {
    const model = await fixtureModel();
    const read = readBack(await pandocJson(await toManuscriptDocx(model), temp, "fixture-manuscript.docx"));
    const expected = expectedText(model, "#");
    expect(read.chapters).toEqual(["Letters from everywhere", "What she kept", "The long night"]);
    expect(firstDifference(read.chapterTexts, expected.chapterTexts)).toBeNull();
    expect(read.notes).toEqual(["The ink was sepia, which the censor could not read. • first reason • second reason", "Eight hours, for once."]);
    expect(read.chapterTexts[0]).toContain("«Καλημέρα, φίλε μου· η θάλασσα είναι ήσυχη σήμερα.»");
    expect(read.chapterTexts[0]).toContain("«Здравствуй, дорогая. Мы всё ещё ждём весны.»");
    expect(read.chapterTexts[0]).toContain("Łódź, signed Michał Wójcik, and it mentioned żurek, źdźbło");
    expect(read.chapterTexts[0]).toContain("月が綺麗ですね。海の向こうに灯台が見える。");
    expect(read.chapterTexts[0]).toContain("a lighthouse 🗼 and a wave 🌊");
  }, 60_000);

  it("finds the fixture book's chapters, text and notes in the book layout", async () => {
    const model = await fixtureModel();
    const read = readBack(await pandocJson(await toBookDocx(model), temp, "fixture-book.docx"));
    const expected = expectedText(model, "* * *");
    expect(read.chapters).toEqual(expected.chapters);
    expect(firstDifference(read.chapterTexts, expected.chapterTexts)).toBeNull();
    expect(read.notes).toEqual(expected.notes);
  }, 60_000);

  it("finds the fixture's two pictures in chapter 2, with their alt text, in both layouts", async () => {
    const model = await fixtureModel();
    for (const layout of LAYOUTS) {
      const markdown = await pandocMarkdown(await layout.write(model), temp, `fixture-pictures-${layout.name}.docx`);
      const chapters = markdown.split(/^# /m).slice(1);
      const pictures = chapters.map((chapter) => [...chapter.matchAll(/!\[([^\]]*)\]\((media\/[^)]+)\)/g)].map((m) => [m[1], m[2]]));
      expect(chapters.map((c) => c.slice(0, c.indexOf("\n")))).toEqual(["Letters from everywhere", "What she kept", "The long night"]);
      expect(pictures, layout.name).toEqual([
        [],
        [
          ["Map of the island", "media/image1.png"],
          ["The chart of the reef", "media/image2.jpeg"],
        ],
        [],
      ]);
      expect(chapters[1]!.split("![")).toHaveLength(3);
    }
  }, 60_000);

  it("finds every chapter of Pride and Prejudice, word for word, in both layouts", async () => {
    const expected = expectedText(pride, "#");
    expect(expected.chapters).toHaveLength(61);
    const manuscript = readBack(await pandocJson(await toManuscriptDocx(pride), temp, "pride-manuscript.docx"));
    expect(manuscript.chapters).toEqual(expected.chapters);
    expect(firstDifference(manuscript.chapterTexts, expected.chapterTexts)).toBeNull();
    const book = readBack(await pandocJson(await toBookDocx(pride), temp, "pride-book.docx"));
    expect(book.chapters).toEqual(expected.chapters);
    // The corpus has no scene breaks, so both layouts read the same.
    expect(firstDifference(book.chapterTexts, expected.chapterTexts)).toBeNull();
    expect(modelWordCount(pride)).toBeGreaterThan(120_000);
  }, 180_000);
});
