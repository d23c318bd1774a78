import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { epubcheck, problems, waitForEpubcheck } from "../../test/support/epubcheck";
import { importManuscript, writeBookFolder } from "../import/import-manuscript";
import { EXPORT_FIXTURE_FOLDER, seedExportFixture } from "../testing/export-fixture";
import { MemoryVault } from "../testing/memory-vault";
import { buildBookModel, type BookModel } from "./book-model";
import { ensureBookIdentifier, toEpub } from "./epub";
import { writeExport } from "./write-export";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
const MODIFIED = new Date("2024-05-01T12:34:56.789Z");
const ID = "urn:uuid:0b9c1f4e-3d2a-4c5b-9e8f-1a2b3c4d5e6f";
/** An 8-bit JPEG small enough to inline (CPython's imghdr test image), so the cover path is validated too. */
const JPEG = Uint8Array.from(atob("/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z"), (c) => c.charCodeAt(0));

const BOOK_MD = "---\nbookwright: book\ntitle: Tides & <Tales>\nauthor: Ada \"Q\" Quill\nlanguage: en-GB\n# kept as written\nstatus: draft\n---\nNotes about the book.\n";

function smallVault(): MemoryVault {
  return new MemoryVault().seed({
    "Tides/Book.md": BOOK_MD,
    "Tides/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\n\"Don't,\" she said -- *twice*, and **loud**.[^w]\n\nShe went on.\n\n***\n\nAfter the break.\n\n[^w]: The *wind* was loud too.\n\n    - first gust\n",
    "Tides/Chapters/02 Quotes.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Fish & <Chips>\n---\nHe wrote \"A & B < C\" on the slate.\n\n> A quoted letter.\n>\n> Its second paragraph.\n\n## A subheading\n\nAfter it.\n",
    "Tides/Chapters/03 Lists.md": "---\nbookwright: chapter\nchapter: 3\ntitle: Lists\n---\nShe packed:\n\n- rope\n- a *lamp*\n\n3. third\n4. fourth\n\nThen:\n\n```\ncode <b> & more\n```\n",
  });
}

async function smallModel(): Promise<BookModel> {
  return buildBookModel(smallVault(), "Tides");
}

function unzip(bytes: Uint8Array): Record<string, string> {
  const files = unzipSync(bytes);
  const decoder = new TextDecoder();
  return Object.fromEntries(Object.entries(files).map(([name, data]) => [name, name.endsWith(".jpg") ? `<${data.length} bytes>` : decoder.decode(data)]));
}

/** The zip's entries in file order, from the local headers, with each one's compression method. */
function localEntries(bytes: Uint8Array): { name: string; method: number; extra: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { name: string; method: number; extra: number }[] = [];
  let at = 0;
  while (view.getUint32(at, true) === 0x04034b50) {
    const method = view.getUint16(at + 8, true);
    const size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extra = view.getUint16(at + 28, true);
    out.push({ name: new TextDecoder().decode(bytes.subarray(at + 30, at + 30 + nameLength)), method, extra });
    at += 30 + nameLength + extra + size;
  }
  return out;
}

/**
 * A strict XML well-formedness check, enough for what toEpub writes: balanced, properly nested tags,
 * quoted attributes, and no entity but the five XML predefines and numeric references.
 */
function wellFormedProblem(xml: string): string | null {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "").replace(/^<!DOCTYPE html>\s*/, "");
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g;
  let roots = 0;
  for (const m of body.matchAll(token)) {
    if (m[0] === "<") return `stray < at ${m.index}`;
    if (m[0] === "&") return `bad entity at ${m.index}: ${body.slice(m.index, m.index + 10)}`;
    const [, close, name, , self] = m;
    if (close) {
      if (stack.pop() !== name) return `mismatched </${name}> at ${m.index}`;
    } else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (stack.length > 0) return `unclosed <${stack.join("> <")}>`;
  return roots === 1 ? null : `${roots} root elements`;
}

describe("toEpub", () => {
  it("starts with an uncompressed mimetype and holds the package's files", async () => {
    const bytes = toEpub(await smallModel(), { identifier: ID, modified: MODIFIED });
    const entries = localEntries(bytes);
    expect(entries[0]).toEqual({ name: "mimetype", method: 0, extra: 0 });
    const files = unzip(bytes);
    expect(files["mimetype"]).toBe("application/epub+zip");
    expect(Object.keys(files).sort()).toEqual([
      "META-INF/container.xml",
      "OEBPS/chapter-001.xhtml",
      "OEBPS/chapter-002.xhtml",
      "OEBPS/chapter-003.xhtml",
      "OEBPS/content.opf",
      "OEBPS/nav.xhtml",
      "OEBPS/style.css",
      "OEBPS/title.xhtml",
      "mimetype",
    ]);
    expect(files["META-INF/container.xml"]).toContain('full-path="OEBPS/content.opf"');
    // Equal input, equal bytes: the zip dates come from `modified`, not the clock.
    expect(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED })).toEqual(bytes);
  });

  it("writes the package metadata, manifest and spine", async () => {
    const files = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED, description: "Salt & spray." }));
    const opf = files["OEBPS/content.opf"]!;
    expect(wellFormedProblem(opf)).toBeNull();
    expect(opf).toContain('unique-identifier="book-id"');
    expect(opf).toContain(`<dc:identifier id="book-id">${ID}</dc:identifier>`);
    expect(opf).toContain("<dc:title>Tides &amp; &lt;Tales&gt;</dc:title>");
    expect(opf).toContain("<dc:language>en-GB</dc:language>");
    expect(opf).toContain('<dc:creator id="creator">Ada &quot;Q&quot; Quill</dc:creator>');
    expect(opf).toContain("<dc:description>Salt &amp; spray.</dc:description>");
    expect(opf).toContain('<meta property="dcterms:modified">2024-05-01T12:34:56Z</meta>');
    expect(opf).not.toContain("cover");
    expect([...opf.matchAll(/<itemref idref="([^"]+)"\/>/g)].map((m) => m[1])).toEqual(["titlepage", "chapter-001", "chapter-002", "chapter-003"]);
    expect(opf).toContain('properties="nav"');
  });

  it("adds a cover image, its page and both cover markers when given one", async () => {
    const files = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED, cover: { jpeg: JPEG, alt: "A \"storm\" & sea" } }));
    const opf = files["OEBPS/content.opf"]!;
    expect(opf).toContain('<item id="cover-image" href="cover.jpg" media-type="image/jpeg" properties="cover-image"/>');
    expect(opf).toContain('<meta name="cover" content="cover-image"/>');
    expect(opf.indexOf('idref="cover"')).toBeLessThan(opf.indexOf('idref="titlepage"'));
    expect(files["OEBPS/cover.jpg"]).toBe(`<${JPEG.length} bytes>`);
    expect(files["OEBPS/cover.xhtml"]).toContain('<img src="cover.jpg" alt="A &quot;storm&quot; &amp; sea"/>');
    expect(files["OEBPS/nav.xhtml"]).toContain('<a epub:type="cover" href="cover.xhtml">');
  });

  it("lists one contents entry per chapter and the landmarks", async () => {
    const nav = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED }))["OEBPS/nav.xhtml"]!;
    expect(wellFormedProblem(nav)).toBeNull();
    const toc = nav.slice(nav.indexOf('epub:type="toc"'), nav.indexOf('epub:type="landmarks"'));
    expect([...toc.matchAll(/<li><a href="([^"]+)">(.*?)<\/a><\/li>/g)].map((m) => [m[1], m[2]])).toEqual([
      ["chapter-001.xhtml", "Storm"],
      ["chapter-002.xhtml", "Fish &amp; &lt;Chips&gt;"],
      ["chapter-003.xhtml", "Lists"],
    ]);
    expect(nav).toContain('<a epub:type="bodymatter" href="chapter-001.xhtml">');
    expect(nav).toContain('<a epub:type="titlepage" href="title.xhtml">');
  });

  it("writes each chapter as well-formed XHTML with clean markup", async () => {
    const files = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED }));
    for (const name of ["OEBPS/title.xhtml", "OEBPS/chapter-001.xhtml", "OEBPS/chapter-002.xhtml", "OEBPS/chapter-003.xhtml"]) {
      expect([name, wellFormedProblem(files[name]!)]).toEqual([name, null]);
      expect(files[name]).not.toMatch(/&nbsp;|<font|<b>|<i>/);
      expect(files[name]).toContain('xmlns:epub="http://www.idpf.org/2007/ops"');
      expect(files[name]).toContain('xml:lang="en-GB"');
    }
    const one = files["OEBPS/chapter-001.xhtml"]!;
    expect(one).toContain('<section epub:type="chapter">');
    expect(one).toContain("<h1>Storm</h1>");
    expect(one).toContain('<p>“Don’t,” she said — <em>twice</em>, and <strong>loud</strong>.<sup><a epub:type="noteref" href="#note-1" id="noteref-1">1</a></sup></p>');
    expect(one).toMatch(/<p>She went on\.<\/p>\s*<hr class="scene-break"\/>\s*<p>After the break\.<\/p>/);
    const two = files["OEBPS/chapter-002.xhtml"]!;
    expect(two).toContain("<title>Fish &amp; &lt;Chips&gt;</title>");
    expect(two).toContain("<p>He wrote “A &amp; B &lt; C” on the slate.</p>");
    expect(two).toContain("<blockquote><p>A quoted letter.</p><p>Its second paragraph.</p></blockquote>");
    expect(two).toContain("<h3>A subheading</h3>");
    const three = files["OEBPS/chapter-003.xhtml"]!;
    expect(three).toContain("<ul><li><p>rope</p></li><li><p>a <em>lamp</em></p></li></ul>");
    expect(three).toContain('<ol start="3"><li><p>third</p></li><li><p>fourth</p></li></ol>');
    expect(three).toContain("<pre><code>code &lt;b&gt; &amp; more</code></pre>");
  });

  it("styles indents and the scene-break ornament in CSS", async () => {
    const css = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED }))["OEBPS/style.css"]!;
    expect(css).toContain("p + p { text-indent: 1.5em; }");
    expect(css).toMatch(/hr\.scene-break::after \{ content: "[^"]+"; \}/);
  });

  it("links each footnote reference to an aside at the chapter's end and back", async () => {
    const chapter = unzip(toEpub(await smallModel(), { identifier: ID, modified: MODIFIED }))["OEBPS/chapter-001.xhtml"]!;
    expect(chapter).toContain('<sup><a epub:type="noteref" href="#note-1" id="noteref-1">1</a></sup>');
    expect(chapter).toMatch(/<section epub:type="footnotes" class="footnotes"><aside epub:type="footnote" id="note-1" class="footnote"><p><a href="#noteref-1" class="note-back">1\.<\/a> The <em>wind<\/em> was loud too\.<\/p><ul><li><p>first gust<\/p><\/li><\/ul><\/aside><\/section>/);
  });

  it("drops characters XML cannot hold", () => {
    const model: BookModel = { title: "T", language: "en", chapters: [{ number: 1, title: "A\u0001B", notes: [], blocks: [{ type: "paragraph", runs: [{ text: "x\u0007y" }] }] }] };
    const chapter = unzip(toEpub(model, { identifier: ID, modified: MODIFIED }))["OEBPS/chapter-001.xhtml"]!;
    expect(chapter).toContain("<h1>AB</h1>");
    expect(chapter).toContain("<p>xy</p>");
  });
});

describe("ensureBookIdentifier", () => {
  it("writes a urn:uuid once, changing no other byte of Book.md, and reuses it on the next export", async () => {
    const vault = smallVault();
    const first = await ensureBookIdentifier(vault, "Tides");
    expect(first).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const after = await vault.read("Tides/Book.md");
    expect(after).toBe(BOOK_MD.replace("status: draft\n", `status: draft\nidentifier: ${first}\n`));
    expect(await ensureBookIdentifier(vault, "Tides")).toBe(first);
    expect(await vault.read("Tides/Book.md")).toBe(after);
    const opf = unzip(toEpub(await buildBookModel(vault, "Tides"), { identifier: await ensureBookIdentifier(vault, "Tides"), modified: MODIFIED }))["OEBPS/content.opf"]!;
    expect(opf).toContain(`<dc:identifier id="book-id">${first}</dc:identifier>`);
  });

  it("keeps an identifier the writer set", async () => {
    const vault = new MemoryVault().seed({ "B/Book.md": "---\r\nbookwright: book\r\ntitle: B\r\nidentifier: isbn:9780000000000\r\n---\r\n" });
    expect(await ensureBookIdentifier(vault, "B")).toBe("isbn:9780000000000");
  });
});

describe("epubcheck", () => {
  let temp: string;
  beforeAll(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-epub-"));
    await waitForEpubcheck();
  }, 200_000);
  afterAll(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it("finds nothing wrong with a small three-chapter book with a cover", async () => {
    const vault = smallVault();
    const model = await buildBookModel(vault, "Tides");
    const bytes = toEpub(model, { identifier: await ensureBookIdentifier(vault, "Tides"), description: "Salt & <spray>.", modified: MODIFIED, cover: { jpeg: JPEG, alt: "Cover" } });
    const file = path.join(temp, "tides.epub");
    await writeFile(file, bytes);
    expect(problems(await epubcheck(file))).toEqual({ counts: [0, 0, 0], messages: [] });
  }, 120_000);

  it("finds nothing wrong with the stress-test book: scripts, emoji, notes, nested lists, pictures, a 10,000-word paragraph", async () => {
    const vault = new MemoryVault();
    await seedExportFixture(vault);
    const model = await buildBookModel(vault, EXPORT_FIXTURE_FOLDER);
    expect(model.warnings).toBeUndefined();
    const bytes = toEpub(model, { identifier: ID, modified: MODIFIED });
    const files = unzip(bytes);
    const opf = files["OEBPS/content.opf"]!;
    expect(opf).toContain('<item id="image-001" href="images/image-001.png" media-type="image/png"/>');
    expect(opf).toContain('<item id="image-002" href="images/image-002.jpg" media-type="image/jpeg"/>');
    const two = files["OEBPS/chapter-002.xhtml"]!;
    expect(two).toContain('<figure class="picture"><img src="images/image-001.png" alt="Map of the island"/></figure>');
    expect(two).toContain('<figure class="picture"><img src="images/image-002.jpg" alt="The chart of the reef"/></figure>');
    const file = path.join(temp, "babel.epub");
    await writeFile(file, bytes);
    expect(problems(await epubcheck(file))).toEqual({ counts: [0, 0, 0], messages: [] });
  }, 120_000);

  it("finds nothing wrong with the Pride and Prejudice export", async () => {
    const imported = importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" });
    const vault = new MemoryVault();
    await writeBookFolder(vault, "Pride and Prejudice", imported);
    const model = await buildBookModel(vault, "Pride and Prejudice");
    const bytes = toEpub(model, { identifier: await ensureBookIdentifier(vault, "Pride and Prejudice"), modified: MODIFIED });
    const written = await writeExport(vault, "Pride and Prejudice", { format: "epub", name: model.title, bytes });
    expect(written).toMatch(/^Pride and Prejudice\/Exports\/.* \(epub\)\.epub$/);
    const file = path.join(temp, "pride.epub");
    await writeFile(file, await vault.readBinary(written));
    const files = unzip(bytes);
    expect(Object.keys(files).filter((n) => /chapter-\d+\.xhtml$/.test(n))).toHaveLength(61);
    expect(problems(await epubcheck(file))).toEqual({ counts: [0, 0, 0], messages: [] });
  }, 120_000);
});
