import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { loadDefaultFonts } from "../../companion/export/default-fonts";
import { MemoryVault } from "../testing/memory-vault";
import { exportBook, renderExport, type ExportProgress } from "./export-book";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);
const BOOK_MD = "---\nbookwright: book\ntitle: Tides\nauthor: Ada Quill\ndescription: A keeper and a storm.\ncover: \"[[Cover.jpg]]\"\ncontact:\n  - Ada Quill\n  - 1 Harbour Row\n  - ada@example.com\n---\n";

function vault(bookMd = BOOK_MD): MemoryVault {
  return new MemoryVault().seed({
    "Tides/Book.md": bookMd,
    "Tides/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.[^1]\n\n[^1]: From the west.\n",
    "Tides/Chapters/02 Calm.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nIt was calm.\n",
  });
}

async function withCover(bookMd = BOOK_MD): Promise<MemoryVault> {
  const v = vault(bookMd);
  await v.writeBinary("Tides/Cover.jpg", JPEG);
  return v;
}

describe("exportBook", () => {
  it("writes every format into Exports/ under the title, the format and its extension", async () => {
    const v = await withCover();
    const written: string[] = [];
    for (const format of ["txt", "md", "epub", "docx", "manuscript", "pdf"] as const) {
      const result = await exportBook(v, "Tides", { format, fonts: loadDefaultFonts, now: () => new Date("2026-01-01T00:00:00Z") });
      expect(result.chapters).toBe(2);
      expect(result.words).toBe(9);
      written.push(result.path);
    }
    expect(written).toEqual([
      "Tides/Exports/Tides (txt).txt",
      "Tides/Exports/Tides (md).md",
      "Tides/Exports/Tides (epub).epub",
      "Tides/Exports/Tides (docx).docx",
      "Tides/Exports/Tides (manuscript).docx",
      "Tides/Exports/Tides (pdf).pdf",
    ]);
    const pdf = await v.readBinary("Tides/Exports/Tides (pdf).pdf");
    expect(strFromU8(pdf.subarray(0, 5))).toBe("%PDF-");
  });

  it("takes the EPUB's cover and description from Book.md, and the chosen cover over it", async () => {
    const v = await withCover();
    await v.writeBinary("Tides/Art/Other.jpg", JPEG.slice().fill(7, 6, 10));
    const first = unzipSync(await v.readBinary((await exportBook(v, "Tides", { format: "epub" })).path));
    expect(first["OEBPS/cover.jpg"]).toEqual(JPEG);
    expect(strFromU8(first["OEBPS/content.opf"]!)).toContain("<dc:description>A keeper and a storm.</dc:description>");
    const chosen = unzipSync(await v.readBinary((await exportBook(v, "Tides", { format: "epub", cover: "Tides/Art/Other.jpg", description: "Other words." })).path));
    expect(chosen["OEBPS/cover.jpg"]![6]).toBe(7);
    expect(strFromU8(chosen["OEBPS/content.opf"]!)).toContain("<dc:description>Other words.</dc:description>");
    const none = unzipSync(await v.readBinary((await exportBook(v, "Tides", { format: "epub", cover: null })).path));
    expect(none["OEBPS/cover.jpg"]).toBeUndefined();
  });

  it("names Book.md and the paths it looked at when the cover is missing or not a JPEG, and writes nothing", async () => {
    const missing = vault();
    await expect(exportBook(missing, "Tides", { format: "epub" })).rejects.toThrow(
      "Tides/Book.md: cover [[Cover.jpg]] was not found; looked for Tides/Cover.jpg and Cover.jpg",
    );
    const png = vault();
    await png.writeBinary("Tides/Cover.jpg", new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    await expect(exportBook(png, "Tides", { format: "epub" })).rejects.toThrow("Tides/Book.md: cover Tides/Cover.jpg is not a JPEG image; EPUB covers must be JPEG");
    expect((await missing.list("Tides/Exports")).length + (await png.list("Tides/Exports")).length).toBe(0);
  });

  it("puts Book.md's contact lines on the manuscript's title page, or the given ones", async () => {
    const v = vault();
    const xml = async (contact?: string[]) =>
      strFromU8(unzipSync(await v.readBinary((await exportBook(v, "Tides", { format: "manuscript", ...(contact ? { contact } : {}) })).path))["word/document.xml"]!);
    const fromBook = await xml();
    for (const line of ["Ada Quill", "1 Harbour Row", "ada@example.com"]) expect(fromBook).toContain(`>${line}<`);
    const given = await xml(["A. Q.", "Agent: B. Reed"]);
    expect(given).toContain(">Agent: B. Reed<");
    expect(given).not.toContain(">1 Harbour Row<");
  });

  it("refuses a PDF without fonts and a book without chapters, leaving Exports/ empty", async () => {
    const v = vault();
    await expect(exportBook(v, "Tides", { format: "pdf" })).rejects.toThrow("PDF export needs print fonts, and none were given");
    const empty = new MemoryVault().seed({ "Empty/Book.md": "---\nbookwright: book\ntitle: Empty\n---\n" });
    await expect(exportBook(empty, "Empty", { format: "txt" })).rejects.toThrow("Empty has no chapters to export");
    expect(await v.exists("Tides/Exports")).toBe(false);
  });
});

describe("progress and rendering", () => {
  it("tells each stage as it starts and each chapter as it is parsed", async () => {
    const v = vault();
    const heard: ExportProgress[] = [];
    await exportBook(v, "Tides", { format: "txt", onProgress: (p) => heard.push(p) });
    expect(heard).toEqual([
      { stage: "reading", done: 0, total: 0 },
      { stage: "chapters", done: 1, total: 2 },
      { stage: "chapters", done: 2, total: 2 },
      { stage: "packing", done: 2, total: 2 },
      { stage: "writing", done: 2, total: 2 },
    ]);
  });

  it("renders without writing: what exportBook would write, with the title it is named after", async () => {
    const v = vault();
    const rendered = await renderExport(v, "Tides", { format: "md", chapters: [2] });
    expect(rendered).toEqual({ title: "Tides", content: { text: "# Tides\n\nby Ada Quill\n\n## Calm\n\nIt was calm.\n" }, extension: "md", chapters: 1, words: 3, warnings: [] });
    expect(await v.exists("Tides/Exports")).toBe(false);
    const written = await exportBook(v, "Tides", { format: "md", chapters: [2] });
    expect(await v.read(written.path)).toBe((rendered.content as { text: string }).text);
  });
});
