// @vitest-environment happy-dom
import { unzipSync } from "fflate";
import { PDFDict, PDFDocument, PDFName } from "pdf-lib";
import type { Command } from "obsidian";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ExportJob } from "../../shared/companion-api/api";
import manifest from "../../manifest.json";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Modal, Notice, Plugin } from "../../test/obsidian-stub/obsidian";
import { CompanionError } from "../local-service/client";
import { ObsidianVault } from "../vault/obsidian-vault";
import { registerExportCommand, type CompanionExports } from "./export";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Modal.reset();
  Notice.reset();
});

class HostPlugin extends Plugin {}

/** A valid 1×1 JPEG is not needed by the EPUB packer; the SOI marker and some bytes are what it checks. */
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

const NOTES: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\n---\n",
  "Lighthouse/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.\n",
  "Lighthouse/Chapters/02 Supply boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Supply boat\n---\nNo boat came.\n",
  "Inbox/Errands.md": "Buy lamp oil.\n",
};

async function setUp(companion?: () => CompanionExports | null) {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerExportCommand(plugin, { vault, ...(companion ? { companion, pollMs: 1 } : {}) });
  const command = plugin.commands.find((c) => c.id === "bookwright:export-book") as Command;
  return { app, vault, command };
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits for the export to finish and the modal to close (packers load on first use; a PDF takes a moment). */
async function untilClosed(): Promise<void> {
  for (let i = 0; i < 500 && Modal.showing.length > 0; i++) await new Promise((r) => window.setTimeout(r, 10));
}

function shownModal(): HTMLElement {
  expect(Modal.showing).toHaveLength(1);
  return Modal.showing[0]!.contentEl as unknown as HTMLElement;
}

function press(modal: HTMLElement, label: string): void {
  const button = modal.findAll("button").find((b) => b.getText() === label);
  if (!button) throw new Error(`no button ${label}`);
  button.click();
}

function fill(modal: HTMLElement, value: string): void {
  const input = modal.find("input[name='chapters']") as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

/** Picks a format in the modal's first dropdown, as a click would. */
function choose(modal: HTMLElement, format: string): void {
  const select = modal.find("select") as HTMLSelectElement;
  select.value = format;
  select.dispatchEvent(new Event("change"));
}

/** The control of the setting named `name`. */
function settingControl(modal: HTMLElement, name: string, selector: string): HTMLElement {
  const item = modal.findAll(".setting-item").find((e) => e.find(".setting-item-name")?.getText() === name);
  const control = item?.find(selector);
  if (!control) throw new Error(`no ${selector} in the ${name} setting`);
  return control;
}

/** The names of the settings the modal shows now (hidden ones left out). */
const shownSettings = (modal: HTMLElement) => modal.findAll(".setting-item").filter((e) => e.isShown()).map((e) => e.find(".setting-item-name")?.getText() ?? "");

const errors = (modal: HTMLElement) => modal.findAll(".bookwright-field-error").filter((e) => e.isShown()).map((e) => e.getText());

describe("the Export book command", () => {
  it("exports the open note's book as plain text into Exports/", async () => {
    const { app, vault, command } = await setUp();
    expect(command).not.toHaveProperty("hotkeys");
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Chapters/02 Supply boat.md"));
    expect(command.checkCallback!(false)).toBe(true);
    const modal = shownModal();
    expect(modal.find("select")?.findAll("option").map((o) => o.getText())).toEqual([
      "Word book (.docx)",
      "Word manuscript for agents and editors (.docx)",
      "Print PDF (.pdf)",
      "E-book (.epub)",
      "Plain text (.txt)",
      "Markdown (.md)",
    ]);
    choose(modal, "txt");
    press(modal, "Export");
    await untilClosed();
    const path = "Lighthouse/Exports/The Lighthouse Keeper (txt).txt";
    expect(Notice.messages).toEqual([`Exported to ${path}.`]);
    expect(Modal.showing).toEqual([]);
    expect(await vault.read(path)).toBe("The Lighthouse Keeper\n\n\nStorm\n\nThe storm came.\n\n\nSupply boat\n\nNo boat came.\n");
  });

  it("checks the chapters as they are typed and exports nothing until they are valid", async () => {
    const { app, vault, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    fill(modal, "2-1");
    expect(errors(modal)).toEqual(["2-1 runs backwards; write the lower number first."]);
    press(modal, "Export");
    await settled();
    expect(await vault.exists("Lighthouse/Exports")).toBe(false);
    fill(modal, "2");
    expect(errors(modal)).toEqual([]);
    const select = modal.find("select") as HTMLSelectElement;
    select.value = "md";
    select.dispatchEvent(new Event("change"));
    press(modal, "Export");
    await untilClosed();
    expect(await vault.read("Lighthouse/Exports/The Lighthouse Keeper (md).md")).toBe("# The Lighthouse Keeper\n\n## Supply boat\n\nNo boat came.\n");
  });

  it("exports an EPUB and keeps the identifier it writes to Book.md for the next export", async () => {
    const { app, vault, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    const exportEpub = async () => {
      command.checkCallback!(false);
      const modal = shownModal();
      const select = modal.find("select") as HTMLSelectElement;
      select.value = "epub";
      select.dispatchEvent(new Event("change"));
      press(modal, "Export");
      await untilClosed();
    };
    await exportEpub();
    const path = "Lighthouse/Exports/The Lighthouse Keeper (epub).epub";
    expect(Notice.messages).toEqual([`Exported to ${path}.`]);
    const files = unzipSync(await vault.readBinary(path));
    expect(Object.keys(files)[0]).toBe("mimetype");
    const opf = new TextDecoder().decode(files["OEBPS/content.opf"]);
    const identifier = /^identifier: (urn:uuid:[0-9a-f-]{36})$/m.exec(await vault.read("Lighthouse/Book.md"))?.[1];
    expect(identifier).toBeDefined();
    expect(opf).toContain(`<dc:identifier id="book-id">${identifier}</dc:identifier>`);
    await exportEpub();
    expect(await vault.read("Lighthouse/Book.md")).toBe(`${NOTES["Lighthouse/Book.md"]!.replace("\n---\n", `\nidentifier: ${identifier}\n---\n`)}`);
    const second = new TextDecoder().decode(unzipSync(await vault.readBinary("Lighthouse/Exports/The Lighthouse Keeper (epub) 1.epub"))["OEBPS/content.opf"]);
    expect(second).toContain(`<dc:identifier id="book-id">${identifier}</dc:identifier>`);
  });

  it("shows each format's own options, starting from the settings' defaults", async () => {
    const { app, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    await settled();
    expect((modal.find("select") as HTMLSelectElement).value).toBe("epub");
    expect(shownSettings(modal)).toEqual(["Format", "Chapters", "Cover", "Description", "Smart typography", ""]);
    choose(modal, "pdf");
    expect(shownSettings(modal)).toEqual(["Format", "Chapters", "Trim size", "Font size", "Title page", "Table of contents", "Mark missing characters", "Smart typography", ""]);
    choose(modal, "manuscript");
    expect(shownSettings(modal)).toEqual(["Format", "Chapters", "Manuscript contact", "Smart typography", ""]);
    choose(modal, "md");
    expect(shownSettings(modal)).toEqual(["Format", "Chapters", "Smart typography", ""]);
  });

  it("exports a print PDF in the built-in EB Garamond, at the trim and size chosen", async () => {
    const { app, vault, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "pdf");
    const trim = settingControl(modal, "Trim size", "select") as HTMLSelectElement;
    trim.value = "5x8";
    trim.dispatchEvent(new Event("change"));
    press(modal, "Export");
    await untilClosed();
    const path = "Lighthouse/Exports/The Lighthouse Keeper (pdf).pdf";
    expect(Notice.messages).toEqual([`Exported to ${path}.`]);
    const pdf = await PDFDocument.load(await vault.readBinary(path));
    expect(pdf.getPages().map((p) => [p.getWidth(), p.getHeight()])[0]).toEqual([360, 576]);
    const fontNames = pdf.context
      .enumerateIndirectObjects()
      .flatMap(([, object]) => (object instanceof PDFDict && object.get(PDFName.of("Type")) === PDFName.of("FontDescriptor") ? [String(object.get(PDFName.of("FontName")))] : []));
    expect(fontNames.length).toBeGreaterThan(0);
    for (const name of fontNames) expect(name).toMatch(/^\/[A-Z]{6}\+EBGaramond/);
  });

  it("offers the book folder's JPEGs as covers, preselecting Book.md's cover and description", async () => {
    const { app, vault, command } = await setUp();
    await vault.write("Lighthouse/Book.md", "---\nbookwright: book\ntitle: The Lighthouse Keeper\ncover: \"[[Cover.jpg]]\"\ndescription: A keeper and a storm.\n---\n");
    await vault.writeBinary("Lighthouse/Cover.jpg", JPEG);
    await vault.writeBinary("Lighthouse/Art/Sketch.jpeg", JPEG);
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    for (let i = 0; i < 3; i++) await settled();
    const cover = settingControl(modal, "Cover", "select") as HTMLSelectElement;
    expect(cover.findAll("option").map((o) => o.getText())).toEqual(["No cover", "Art/Sketch.jpeg", "Cover.jpg"]);
    expect(cover.value).toBe("Lighthouse/Cover.jpg");
    expect((modal.find("textarea[name='description']") as HTMLTextAreaElement).value).toBe("A keeper and a storm.");
    cover.value = "Lighthouse/Art/Sketch.jpeg";
    cover.dispatchEvent(new Event("change"));
    press(modal, "Export");
    await untilClosed();
    const files = unzipSync(await vault.readBinary("Lighthouse/Exports/The Lighthouse Keeper (epub).epub"));
    expect(files["OEBPS/cover.jpg"]).toEqual(JPEG);
    expect(new TextDecoder().decode(files["OEBPS/content.opf"])).toContain("<dc:description>A keeper and a storm.</dc:description>");
  });

  it("shows why an export failed, keeps the modal open and leaves no file", async () => {
    const { app, vault, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "docx");
    fill(modal, "9");
    press(modal, "Export");
    for (let i = 0; i < 5; i++) await settled();
    expect(Modal.showing).toHaveLength(1);
    expect(errors(modal)).toEqual(["Could not export: The Lighthouse Keeper has no chapter 9; it has chapters 1–2"]);
    expect(modal.findAll("button").map((b) => b.getText())).toContain("Export");
    expect(await vault.exists("Lighthouse/Exports")).toBe(false);
  });

  it("is not offered outside a book", async () => {
    const { app, command } = await setUp();
    app.workspace.setActiveFile(app.vault.getFileByPath("Inbox/Errands.md"));
    expect(command.checkCallback!(true)).toBe(false);
  });
});

describe("the Export series command", () => {
  it("exports the open note's series as one file, a part per book, with no chapter selection", async () => {
    const { app, vault } = await setUp();
    await vault.write("Sea/Series.md", "---\nbookwright: series\ntitle: Sea\nbooks: [\"[[Sea/One/Book]]\", \"[[Sea/Two/Book]]\"]\n---\n");
    await vault.write("Sea/One/Book.md", "---\nbookwright: book\ntitle: Ebb\n---\n");
    await vault.write("Sea/One/c1.md", "---\nbookwright: chapter\nchapter: 1\ntitle: Low water\n---\nThe tide went out.\n");
    await vault.write("Sea/Two/Book.md", "---\nbookwright: book\ntitle: Flood\n---\n");
    await vault.write("Sea/Two/c1.md", "---\nbookwright: chapter\nchapter: 1\ntitle: High water\n---\nThe tide came in.\n");
    const host = new HostPlugin(app, manifest);
    host.load();
    registerExportCommand(host, { vault });
    const series = host.commands.find((c) => c.id === "bookwright:export-series") as Command;
    expect(series).not.toHaveProperty("hotkeys");
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Chapters/01 Storm.md"));
    expect(series.checkCallback!(true)).toBe(false);
    app.workspace.setActiveFile(app.vault.getFileByPath("Sea/Two/c1.md"));
    expect(series.checkCallback!(false)).toBe(true);
    const modal = shownModal();
    expect((Modal.showing[0]!.titleEl as unknown as HTMLElement).textContent).toBe("Export series");
    expect(shownSettings(modal)).not.toContain("Chapters");
    choose(modal, "md");
    press(modal, "Export");
    await untilClosed();
    const path = "Sea/Exports/Sea (md).md";
    expect(Notice.messages).toEqual([`Exported to ${path}.`]);
    const text = await vault.read(path);
    expect(text.indexOf("Ebb")).toBeLessThan(text.indexOf("Flood"));
    expect(text).toContain("The tide came in.");
  });
});

describe("the Export book command with the companion", () => {
  const PATH = "Lighthouse/Exports/The Lighthouse Keeper (pdf).pdf";
  const FROM_COMPANION = new TextEncoder().encode("%PDF-1.7 made by the companion");

  const job = (state: ExportJob["state"], progress: ExportJob["progress"], extra: Partial<ExportJob> = {}): ExportJob => ({
    id: "exp_1",
    state,
    book: "Lighthouse",
    format: "pdf",
    createdAt: "2026-03-01T10:00:00.000Z",
    progress,
    ...extra,
  });

  /** A companion whose job runs through its stages, one per poll; `statuses` gets the modal's status line at each poll. */
  function fakeCompanion(statuses: () => string, overrides: Partial<CompanionExports> = {}) {
    const seen: string[] = [];
    const polls = [
      job("running", { stage: "chapters", done: 1, total: 2 }),
      job("running", { stage: "packing", done: 2, total: 2 }),
      job("succeeded", { stage: "done", done: 2, total: 2 }, {
        result: { fileName: "The Lighthouse Keeper (pdf).pdf", title: "The Lighthouse Keeper", bytes: FROM_COMPANION.length, chapters: 2, words: 6, warnings: ["Marked 1 character the fonts cannot draw."] },
      }),
    ];
    const client = {
      health: vi.fn(() => Promise.resolve({ ok: true as const, version: "0.1.0", vaultPath: "/vault" })),
      startExport: vi.fn(() => Promise.resolve(job("queued", { stage: "queued", done: 0, total: 0 }))),
      getExport: vi.fn(() => {
        seen.push(statuses());
        return Promise.resolve(polls.shift()!);
      }),
      downloadExport: vi.fn(() => Promise.resolve(FROM_COMPANION.slice().buffer)),
      ...overrides,
    } satisfies CompanionExports;
    return { client, seen };
  }

  const statusOf = () => (Modal.showing[0]?.contentEl as unknown as HTMLElement | undefined)?.find(".bookwright-export-status")?.getText() ?? "";

  it("sends a print PDF to the companion, shows how far it got, and writes the file it made into Exports/", async () => {
    const { client, seen } = fakeCompanion(statusOf);
    const { app, vault, command } = await setUp(() => client);
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "pdf");
    press(modal, "Export");
    await untilClosed();
    expect(client.health).toHaveBeenCalled();
    expect(client.startExport).toHaveBeenCalledWith("Lighthouse", "pdf", {
      chapters: "all",
      smartTypography: true,
      trim: "5.5x8.5",
      fontSizePt: 11,
      titlePage: true,
      toc: true,
      cover: null,
      markMissingCharacters: false,
    });
    expect(seen).toEqual([
      "The companion is finishing other exports first…",
      "The companion is exporting: chapter 1 of 2…",
      "The companion is putting the file together (2 chapters)…",
    ]);
    expect(client.downloadExport).toHaveBeenCalledWith("exp_1");
    expect(await vault.readBinary(PATH)).toEqual(FROM_COMPANION);
    expect(Notice.messages).toEqual([`Exported to ${PATH}.`, "Marked 1 character the fonts cannot draw."]);
  });

  it("numbers the file when an export of that name is already there, as an export here would", async () => {
    const { client } = fakeCompanion(statusOf);
    const { app, vault, command } = await setUp(() => client);
    await vault.writeBinary(PATH, new Uint8Array([1, 2, 3]));
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "pdf");
    press(modal, "Export");
    await untilClosed();
    expect(await vault.readBinary("Lighthouse/Exports/The Lighthouse Keeper (pdf) 1.pdf")).toEqual(FROM_COMPANION);
    expect(await vault.readBinary(PATH)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it.each([
    ["does not answer", { health: () => Promise.reject(new CompanionError("the companion is not running at http://127.0.0.1:27125; start it", null)) }, "the companion is not running at http://127.0.0.1:27125; start it"],
    ["fails the job", { getExport: () => Promise.resolve(job("failed", { stage: "packing", done: 2, total: 2 }, { error: "the export stopped unexpectedly (exit code 1)" })) }, "the export stopped unexpectedly (exit code 1)"],
    ["cannot hand the file over", { downloadExport: () => Promise.reject(new CompanionError("the export's file is gone", 404)) }, "the export's file is gone"],
  ])("exports here instead, and says why, when the companion %s", async (_name, overrides, why) => {
    const { client } = fakeCompanion(statusOf, overrides);
    const { app, vault, command } = await setUp(() => client);
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "pdf");
    press(modal, "Export");
    await untilClosed();
    expect(Notice.messages).toEqual([`The companion could not export the book (${why}); exporting it in Obsidian instead.`, `Exported to ${PATH}.`]);
    // Made here: a whole PDF, not the companion's bytes.
    const pdf = await PDFDocument.load(await vault.readBinary(PATH));
    expect(pdf.getPageCount()).toBeGreaterThan(1);
  });

  it("exports here, saying why, when the companion's token secret is gone", async () => {
    const { app, vault, command } = await setUp(() => {
      throw new CompanionError('the secret "gone" chosen for the companion token is empty or gone; choose it again in settings', null);
    });
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    command.checkCallback!(false);
    const modal = shownModal();
    choose(modal, "pdf");
    press(modal, "Export");
    await untilClosed();
    expect(Notice.messages[0]).toBe(
      'The companion could not export the book (the secret "gone" chosen for the companion token is empty or gone; choose it again in settings); exporting it in Obsidian instead.',
    );
    expect(await vault.exists(PATH)).toBe(true);
  });

  it("keeps quick exports here: text, a short book's EPUB, a few chapters of a long one; sends a whole novel's EPUB", async () => {
    const { client } = fakeCompanion(statusOf, {
      getExport: () => Promise.resolve(job("succeeded", { stage: "done", done: 3, total: 3 }, { format: "epub", result: { fileName: "x", title: "The Lighthouse Keeper", bytes: 2, chapters: 3, words: 50_004, warnings: [] } })),
      downloadExport: () => Promise.resolve(new Uint8Array([0x50, 0x4b]).buffer),
    });
    const { app, vault, command } = await setUp(() => client);
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Book.md"));
    const exportAs = async (format: string, chapters = "all") => {
      command.checkCallback!(false);
      const modal = shownModal();
      choose(modal, format);
      fill(modal, chapters);
      press(modal, "Export");
      await untilClosed();
    };
    await exportAs("txt");
    await exportAs("epub");
    expect(client.startExport).not.toHaveBeenCalled();
    expect(client.health).not.toHaveBeenCalled();

    await vault.write("Lighthouse/Chapters/03 Long.md", `---\nbookwright: chapter\nchapter: 3\ntitle: Long\n---\n${"word ".repeat(50_000)}\n`);
    await exportAs("epub", "1-2");
    await exportAs("md");
    expect(client.startExport).not.toHaveBeenCalled();
    await exportAs("epub");
    expect(client.startExport).toHaveBeenCalledTimes(1);
    expect(client.startExport).toHaveBeenCalledWith("Lighthouse", "epub", expect.objectContaining({ chapters: "all", cover: null }));
    expect(await vault.readBinary("Lighthouse/Exports/The Lighthouse Keeper (epub) 2.epub")).toEqual(new Uint8Array([0x50, 0x4b]));
  });
});
