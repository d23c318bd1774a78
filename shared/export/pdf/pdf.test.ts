import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { unzlibSync } from "fflate";
import { PDFDocument, PDFHexString, PDFRawStream } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefaultFonts } from "../../../companion/export/default-fonts";
import { fontsOf, info, outlineOf, pageSizes, pageTexts, qpdfCheck, wordOrderProblem } from "../../../test/support/pdf-checks";
import { importManuscript, writeBookFolder } from "../../import/import-manuscript";
import { EXPORT_FIXTURE_FOLDER, exportFixtureFiles, exportFixtureImages, FIXTURE_JPEG, seedExportFixture } from "../../testing/export-fixture";
import { MemoryVault } from "../../testing/memory-vault";
import { buildBookModel, type Block, type BookModel, type ModelImage } from "../book-model";
import { FontSet, findUnencodable, type FontBytes } from "./fonts";
import { chapterHeading } from "./layout";
import { exportPrintPdf, toPrintPdf, UnencodableError } from "./pdf";
import { TRIM_NAMES, trimSize } from "./trim";

const run = promisify(execFile);
const corpusPath = fileURLToPath(new URL("../../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));
const TOOLS = ["qpdf", "pdfinfo", "pdffonts", "pdftotext", "pdfimages"];
const DATE = new Date("2024-05-01T12:00:00Z");
/** Characters EB Garamond lacks in the fixture: its Japanese sentence and two emoji. */
const NOT_IN_FONT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303F\p{Extended_Pictographic}\uFE0F]/gu;

let fonts: FontBytes;
let temp: string;
let counter = 0;

beforeAll(async () => {
  for (const tool of TOOLS) {
    try {
      await run("which", [tool]);
    } catch {
      throw new Error(`${tool} is not installed; the print PDF tests check their output with qpdf and poppler-utils (apt-get install qpdf poppler-utils).`);
    }
  }
  fonts = await loadDefaultFonts();
  temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-pdf-"));
});

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** The fixture book, pictures included. */
async function fixtureModel(withoutMissingGlyphs = false): Promise<BookModel> {
  const files = exportFixtureFiles();
  if (withoutMissingGlyphs) for (const name of Object.keys(files)) files[name] = files[name]!.replace(NOT_IN_FONT, "");
  return buildBookModel(new MemoryVault().seed({ ...files, ...exportFixtureImages() }), EXPORT_FIXTURE_FOLDER);
}

async function corpusModel(): Promise<BookModel> {
  const vault = new MemoryVault();
  await writeBookFolder(vault, "Pride and Prejudice", importManuscript(new Uint8Array(readFileSync(corpusPath)), { fileName: "pride-and-prejudice.gutenberg-1342.txt" }));
  return buildBookModel(vault, "Pride and Prejudice");
}

async function save(bytes: Uint8Array): Promise<string> {
  const file = path.join(temp, `book-${++counter}.pdf`);
  await writeFile(file, bytes);
  return file;
}

interface ImageRow {
  page: number;
  type: string;
  width: number;
  height: number;
  color: string;
  enc: string;
  object: number;
}

/** pdfimages' list: one row per image drawn (and one per soft mask), with the object it draws. */
async function imagesOf(file: string): Promise<ImageRow[]> {
  const { stdout } = await run("pdfimages", ["-list", file]);
  return stdout
    .split("\n")
    .slice(2)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [page, , type, width, height, color, , , enc, , object] = l.trim().split(/\s+/);
      return { page: Number(page), type: type!, width: Number(width), height: Number(height), color: color!, enc: enc!, object: Number(object) };
    });
}

/** The decoded content stream of a 1-based page. */
async function pageContent(bytes: Uint8Array, page: number): Promise<string> {
  const doc = await PDFDocument.load(bytes);
  const stream = doc.getPage(page - 1).node.Contents();
  if (!(stream instanceof PDFRawStream)) throw new Error(`page ${page} has no single content stream`);
  return new TextDecoder().decode(unzlibSync(stream.getContents()));
}

// ---------------------------------------------------------------------------------------------------

describe("characters the fonts cannot draw", () => {
  it("refuses the fixture book, naming every missing character and its chapter, and nothing EB Garamond has", async () => {
    const model = await fixtureModel();
    const error = await toPrintPdf(model, { fonts, unencodable: "error" }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnencodableError);
    const { characters, message } = error as UnencodableError;
    const source = exportFixtureFiles()[`${EXPORT_FIXTURE_FOLDER}/Chapters/01 Letters.md`]!;
    const wanted = [...new Set(source.match(NOT_IN_FONT)!.filter((c) => c !== "\uFE0F"))];
    expect(characters.map((c) => c.char).sort()).toEqual(wanted.sort());
    expect(characters.every((c) => c.chapter?.title === "Letters from everywhere" && c.chapter.number === 1)).toBe(true);
    expect(characters.find((c) => c.char === "月")).toMatchObject({ codePoint: "U+6708", count: 1 });
    expect(characters.find((c) => c.char === "🗼")?.codePoint).toBe("U+1F5FC");
    expect(message).toContain('chapter 1 "Letters from everywhere"');
    expect(message).toContain("月 (U+6708)");
    expect(message).toContain("🌊 (U+1F30A)");
  });

  it("finds the Greek, Cyrillic, Polish, Czech and Hungarian letters in all four faces", async () => {
    const set = new FontSet(fonts);
    const letters = "ΚαλημέραφίλεμουηθάλασσαείναιήσυχησήμεραΖдравствуйдорогаяМывсёещёждёмвесныŁódźMichałWójcikżurekźdźbłoŁukaszDvořákhosszúőrültő«»’“”·";
    const missing = Object.entries(set.faces).flatMap(([key, face]) => [...letters].filter((c) => !face.has(c.codePointAt(0)!)).map((c) => `${key}: ${c}`));
    expect(missing).toEqual([]);
    expect(findUnencodable(await fixtureModel(true), set)).toEqual([]);
  });

  it("refuses fonts it cannot embed before laying anything out", async () => {
    const otf = Uint8Array.from([0x4f, 0x54, 0x54, 0x4f, 0, 0, 0, 0]);
    await expect(toPrintPdf(await fixtureModel(true), { fonts: { ...fonts, bold: otf } })).rejects.toThrow("The bold font has PostScript (CFF) outlines; the print PDF embeds TrueType (.ttf) fonts.");
  });

  it("kerns and ligates as the font's own OpenType layout does", () => {
    const set = new FontSet(fonts);
    const chars = [..."AVWTYLPFaceosy.,;:’”“-ΑΤΥΓαολДТГаоь"];
    const differences: string[] = [];
    for (const face of [set.faces.regular, set.faces.italic, set.faces.boldItalic]) {
      for (const a of chars) {
        for (const b of chars) {
          const shaped = face.shape(a + b);
          const run = face.font.layout(a + b);
          const ours = shaped.advances[0]! - shaped.natural[0]!;
          const theirs = run.positions[0]!.xAdvance - run.glyphs[0]!.advanceWidth;
          if (ours !== theirs || shaped.glyphs.join() !== run.glyphs.map((g) => g.id).join()) differences.push(`${face.key} ${a}${b}: ${ours} vs ${theirs}`);
        }
      }
      for (const word of ["office", "baffle", "fjord", "afflict", "Αθήνα", "Дворжак", "Wójcik"]) {
        const shaped = face.shape(word);
        const run = face.font.layout(word);
        expect(shaped.glyphs, `${face.key} ${word}`).toEqual(run.glyphs.map((g) => g.id));
        expect(shaped.width, `${face.key} ${word}`).toBe(run.advanceWidth);
      }
    }
    expect(differences).toEqual([]);
    // EB Garamond kerns "AV" and sets "ffi" as one glyph.
    expect(set.faces.regular.shape("AV").width).toBeLessThan(set.faces.regular.shape("A").width + set.faces.regular.shape("V").width);
    expect(set.faces.regular.shape("office").glyphs).toHaveLength(4);
  });

  it("with `replace`, draws U+FFFD for them and still reports them", async () => {
    const result = await exportPrintPdf(await fixtureModel(), { fonts, unencodable: "replace", date: DATE });
    expect(result.unencodable.map((c) => c.char)).toContain("🌊");
    const file = await save(result.bytes);
    expect(await qpdfCheck(file)).toBe("clean");
    const text = (await pageTexts(file)).flat().join("\n");
    expect(text).toContain("a lighthouse \uFFFD and a wave \uFFFD");
  });
});

describe("the print PDF of the fixture book", () => {
  let model: BookModel;
  let result: Awaited<ReturnType<typeof exportPrintPdf>>;
  let file: string;

  beforeAll(async () => {
    model = await fixtureModel(true);
    result = await exportPrintPdf(model, { fonts, date: DATE });
    file = await save(result.bytes);
  });

  it("passes qpdf --check and embeds every font as a subset with a Unicode map", async () => {
    expect(await qpdfCheck(file)).toBe("clean");
    const rows = await fontsOf(file);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row).toMatchObject({ emb: "yes", uni: "yes" });
      expect(row.name).toMatch(/^[A-Z]{6}\+EBGaramond-/);
    }
  });

  it("carries the book's title, author, language and creator", async () => {
    const meta = await info(file);
    expect(meta).toMatchObject({ Title: "Babel Tower", Author: "Zofia Łukasiewicz", Creator: "Bookwright", Pages: String(result.layout.pages.length) });
    expect((await outlineOf(result.bytes)).lang).toBe("en");
  });

  it("reads back every word of every chapter in order, without running heads or folios", async () => {
    expect(wordOrderProblem(await pageTexts(file), result.layout, model)).toBeNull();
  });

  it("opens each chapter on an odd page that starts with its title and has no running head", async () => {
    const pages = await pageTexts(file);
    for (const [i, chapter] of model.chapters.entries()) {
      const number = result.layout.chapterPages[i]!;
      expect(number % 2).toBe(1);
      const text = pages[number - 1]!;
      // "Chapter 1" above a title that does not say it, then the title.
      const top = text.slice(0, 2).join(" ");
      expect(top).toContain(chapterHeading(chapter));
      expect(text).not.toContain(model.title);
      expect(text).not.toContain(model.author);
    }
  });

  it("has one bookmark per chapter, pointing at its opening page", async () => {
    const outline = await outlineOf(result.bytes);
    expect(outline.count).toBe(model.chapters.length);
    expect(outline.entries).toEqual(model.chapters.map((c, i) => ({ title: chapterHeading(c), page: result.layout.chapterPages[i] })));
  });

  it("gives the same bytes for the same book and date", async () => {
    const again = await toPrintPdf(model, { fonts, date: DATE });
    expect(Buffer.from(again).equals(Buffer.from(result.bytes))).toBe(true);
  });

  it.each(TRIM_NAMES)("makes every page exactly the %s trim", async (trim) => {
    const { bytes, layout } = await exportPrintPdf(model, { fonts, trim, date: DATE });
    const out = await save(bytes);
    const { width, height } = trimSize(trim);
    const sizes = await pageSizes(out);
    expect(sizes).toHaveLength(layout.pages.length);
    expect(new Set(sizes)).toEqual(new Set([`${width} x ${height} pts`]));
    expect(await qpdfCheck(out)).toBe("clean");
  });
});

describe("pictures in the print PDF", () => {
  const fixtureImages = exportFixtureImages();
  const PNG_PATH = "Attachments/Map of the island.png";
  const png: ModelImage = { path: PNG_PATH, bytes: fixtureImages[PNG_PATH]!, mediaType: "image/png", width: 6, height: 4 };
  // The smallest GIF: 1 × 1 px, transparent.
  const gif = (path: string): ModelImage => ({ path, bytes: Uint8Array.from(Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64")), mediaType: "image/gif", width: 1, height: 1 });
  const picture = (image: ModelImage, alt = ""): Block => ({ type: "image", src: image.path, alt, image });
  const say = (text: string): Block => ({ type: "paragraph", runs: [{ text }] });

  it("prints chapter 2's PNG and JPEG on chapter 2's page, the JPEG's bytes as they are, its description as /Alt", async () => {
    const vault = new MemoryVault();
    await seedExportFixture(vault);
    const model = await buildBookModel(vault, EXPORT_FIXTURE_FOLDER);
    expect(model.warnings).toBeUndefined();
    const result = await exportPrintPdf(model, { fonts, unencodable: "replace", date: DATE });
    expect(result.warnings).toEqual([]);
    const file = await save(result.bytes);
    expect(await qpdfCheck(file)).toBe("clean");

    const pages = result.layout.pages.filter((p) => p.figures.length > 0).map((p) => p.number);
    expect(pages).toHaveLength(1);
    const page = pages[0]!;
    const [, chapterTwo, chapterThree] = result.layout.chapterPages;
    expect(page).toBeGreaterThanOrEqual(chapterTwo!);
    expect(page).toBeLessThan(chapterThree!);
    const rows = await imagesOf(file);
    expect(rows.map(({ object: _, ...row }) => row)).toEqual([
      { page, type: "image", width: 6, height: 4, color: "rgb", enc: "image" },
      { page, type: "image", width: 16, height: 16, color: "rgb", enc: "jpeg" },
    ]);
    expect(rows[0]!.object).not.toBe(rows[1]!.object);

    // The JPEG is carried as it is (DCTDecode), so extracting it gives the file back.
    const prefix = path.join(temp, "extracted");
    await run("pdfimages", ["-j", "-f", String(page), "-l", String(page), file, prefix]);
    expect(Buffer.from(readFileSync(`${prefix}-001.jpg`)).equals(Buffer.from(FIXTURE_JPEG, "base64"))).toBe(true);

    // The description is not printed, but the picture is drawn in a marked-content span carrying it.
    const content = await pageContent(result.bytes, page);
    const alt = PDFHexString.fromText("The chart of the reef").toString();
    expect(content).toMatch(new RegExp(`/Figure <</Alt ${alt}>> BDC\\nq\\n7\\.68 0 0 7\\.68 [\\d.]+ [\\d.]+ cm\\n/Im2 Do\\nQ\\nEMC`));
    expect(content).toMatch(/\nq\n2\.88 0 0 1\.92 [\d.]+ [\d.]+ cm\n\/Im1 Do\nQ\n/);
    const text = (await pageTexts(file))[page - 1]!.join("\n");
    expect(text).toContain("She pinned the map up, beside the old chart:");
    expect(text).not.toContain("reef");
  });

  it("embeds a picture the book shows several times once", async () => {
    const model: BookModel = {
      title: "Maps",
      language: "en",
      chapters: [
        {
          number: 1,
          title: "Here",
          blocks: [say("The map."), picture(png), { type: "blockquote", blocks: [picture(png, "The map again")] }, { type: "list", ordered: false, start: 1, items: [[picture(png)], [say("and a note.")]] }, { type: "paragraph", runs: [{ text: "See" }, { text: "1", note: 1 }] }],
          notes: [[say("Once more:"), picture(png)]],
        },
        { number: 2, title: "There", notes: [], blocks: [picture(png), say("The end.")] },
      ],
    };
    const { bytes, layout, warnings } = await exportPrintPdf(model, { fonts, date: DATE });
    expect(warnings).toEqual([]);
    const file = await save(bytes);
    expect(await qpdfCheck(file)).toBe("clean");
    const rows = await imagesOf(file);
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.object)).size).toBe(1);
    expect(rows.map((r) => r.page)).toEqual(layout.pages.flatMap((p) => p.figures.map(() => p.number)));
  });

  it("leaves GIFs and unreadable files out, with a warning for each chapter and file", async () => {
    const broken: ModelImage = { path: "Art/broken.png", bytes: Uint8Array.from([...png.bytes.subarray(0, 33), 1, 2, 3]), mediaType: "image/png", width: 6, height: 4 };
    const model: BookModel = {
      title: "Moving pictures",
      language: "en",
      chapters: [
        { number: 1, title: "Letters", notes: [], blocks: [say("One."), picture(gif("Art/x.gif"))] },
        {
          number: 2,
          title: "What she kept",
          notes: [[say("A note."), picture(gif("Art/x.gif"))]],
          blocks: [say("Two."), picture(gif("Art/x.gif")), { type: "blockquote", blocks: [picture(gif("Art/x.gif"))] }, picture(png), picture(broken), { type: "paragraph", runs: [{ text: "Noted" }, { text: "1", note: 1 }] }],
        },
      ],
    };
    const result = await exportPrintPdf(model, { fonts, date: DATE });
    expect(result.warnings).toEqual([
      'chapter 1 "Letters": picture Art/x.gif is a GIF, which the PDF cannot carry; it is left out',
      'chapter 2 "What she kept": picture Art/x.gif is a GIF, which the PDF cannot carry; it is left out',
      'chapter 2 "What she kept": picture Art/broken.png could not be read as a PNG (the file may be damaged); it is left out',
    ]);
    expect(result.layout.pages.flatMap((p) => p.figures.map((f) => f.image.path))).toEqual([PNG_PATH]);
    const file = await save(result.bytes);
    expect(await qpdfCheck(file)).toBe("clean");
    expect((await imagesOf(file)).map(({ object: _, ...row }) => row)).toEqual([{ page: result.layout.chapterPages[1], type: "image", width: 6, height: 4, color: "rgb", enc: "image" }]);
    // toPrintPdf still gives the bytes alone.
    expect(Buffer.from(await toPrintPdf(model, { fonts, date: DATE })).equals(Buffer.from(result.bytes))).toBe(true);
  });
});

describe("the print PDF of Pride and Prejudice", () => {
  it("passes qpdf, has a sane page count and the novel's words in order", async () => {
    const model = await corpusModel();
    const { bytes, layout } = await exportPrintPdf(model, { fonts, date: DATE });
    const file = await save(bytes);
    expect(await qpdfCheck(file)).toBe("clean");
    const pages = await pageTexts(file);
    // 122,000 words at 6x9 in 11 pt: some 300 to 450 pages.
    expect(layout.pages.length).toBeGreaterThan(300);
    expect(layout.pages.length).toBeLessThan(450);
    expect((await info(file)).Pages).toBe(String(layout.pages.length));
    expect(layout.margins.inside).toBe(((layout.pages.length > 300 ? 0.625 : 0.5) + 0.25) * 72);
    expect(wordOrderProblem(pages, layout, model)).toBeNull();
    const outline = await outlineOf(bytes);
    expect(outline.entries).toHaveLength(61);
    expect(outline.entries.map((e) => e.page)).toEqual(layout.chapterPages);
    for (const [i, number] of layout.chapterPages.entries()) expect(pages[number - 1]![0], `chapter ${i + 1}`).toBe(chapterHeading(model.chapters[i]!));
  }, 120_000);
});
