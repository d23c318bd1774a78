/**
 * `npx tsx test/browser/export-screenshots.ts`: pictures of the exports as a reader sees them, for
 * docs/screenshots/ — a print PDF spread and a chapter opening (pdftoppm), the manuscript's first two
 * pages (LibreOffice renders the DOCX, as a Word user would see it), and an EPUB page (Chromium renders the
 * chapter's XHTML with its CSS). The corpus novel is the book. Needs poppler-utils, ImageMagick's
 * `convert`, chromium and, for the manuscript, libreoffice-writer-nogui; not part of the tests.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { NodeVault } from "../../companion/vault/node-vault";
import { loadDefaultFonts } from "../../companion/export/default-fonts";
import { exportBook } from "../../shared/export/export-book";
import { importManuscript, writeBookFolder } from "../../shared/import/import-manuscript";
import type { Browser } from "playwright-core";
import { launchBrowser } from "./harness";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const shots = path.join(repo, "docs", "screenshots");
const corpus = path.resolve(repo, "../shared/corpus/pride-and-prejudice.gutenberg-1342.txt");
const TITLE = "Pride and Prejudice";

/** PDF pages as PNG files (pdftoppm), in page order. */
async function pagesToPng(pdf: string, first: number, last: number, dpi = 70): Promise<string[]> {
  const prefix = path.join(path.dirname(pdf), `page-${first}`);
  await run("pdftoppm", ["-png", "-r", String(dpi), "-f", String(first), "-l", String(last), pdf, prefix]);
  const pngs: string[] = [];
  for (let p = first; p <= last; p++) {
    const found = [1, 2, 3, 4].map((w) => `${prefix}-${String(p).padStart(w, "0")}.png`).find((c) => existsSync(c));
    if (!found) throw new Error(`pdftoppm wrote no page ${p} of ${pdf}`);
    pngs.push(found);
  }
  return pngs;
}

/** Pages side by side on a grey ground, as a spread lies open, captured by Chromium. */
async function sideBySide(browser: Browser, pngs: string[], out: string): Promise<void> {
  const images = await Promise.all(pngs.map(async (p) => `<img src="data:image/png;base64,${(await readFile(p)).toString("base64")}">`));
  const page = await browser.newPage({ viewport: { width: 400, height: 300 } });
  await page.setContent(`<body style="margin:0;background:#9a9a9a"><div id="spread" style="display:inline-flex;gap:10px;padding:16px;background:#9a9a9a">${images.join("")}</div></body>`);
  await page.locator("#spread").screenshot({ path: out });
  await page.close();
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "bookwright-shots-"));
  try {
    const vault = new NodeVault(work);
    const imported = importManuscript(new Uint8Array(await readFile(corpus)), { fileName: path.basename(corpus), title: TITLE, author: "Jane Austen" });
    await writeBookFolder(vault, TITLE, imported);
    await mkdir(shots, { recursive: true });
    const abs = (vaultPath: string): string => path.join(work, ...vaultPath.split("/"));

    const browser = await launchBrowser();
    try {
    const pdf = abs((await exportBook(vault, TITLE, { format: "pdf", trim: "6x9", fonts: loadDefaultFonts })).path);
    await sideBySide(browser, await pagesToPng(pdf, 28, 29), path.join(shots, "export-pdf-spread.png"));
    await sideBySide(browser, await pagesToPng(pdf, 1, 3, 50), path.join(shots, "export-pdf-front-matter.png"));
    console.log("export-pdf-spread.png, export-pdf-front-matter.png");

    if (existsSync("/usr/bin/soffice")) {
      const docx = abs((await exportBook(vault, TITLE, { format: "manuscript", chapters: [1, 2], contact: ["Jane Austen", "Chawton Cottage", "Alton, Hampshire"] })).path);
      await run("soffice", ["--headless", "--convert-to", "pdf", "--outdir", work, docx], { timeout: 180_000 });
      const converted = path.join(work, `${path.basename(docx, ".docx")}.pdf`);
      await sideBySide(browser, await pagesToPng(converted, 1, 2, 60), path.join(shots, "export-manuscript-first-pages.png"));
      console.log("export-manuscript-first-pages.png");
    } else console.log("no LibreOffice (soffice): the manuscript picture is left as it was");

    const epub = abs((await exportBook(vault, TITLE, { format: "epub" })).path);
    const files = unzipSync(new Uint8Array(await readFile(epub)));
    const unpacked = path.join(work, "epub");
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(unpacked, name)), { recursive: true });
      await writeFile(path.join(unpacked, name), bytes);
    }
    const page = await browser.newPage({ viewport: { width: 600, height: 860 } });
    await page.goto(pathToFileURL(path.join(unpacked, "OEBPS", "chapter-001.xhtml")).href);
    await page.screenshot({ path: path.join(shots, "export-epub-page.png") });
    console.log("export-epub-page.png");
    } finally {
      await browser.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
