/**
 * Plugin benchmark: what a user waits for when Obsidian starts with Bookwright enabled.
 *
 * 1. The release main.js (esbuild.config.mjs's production options, built in memory, so the repository's
 *    main.js is not touched): its size in bytes and KB, and gzipped for reference.
 * 2. The plugin's `onload` on a 300-chapter vault in the Obsidian stand-in (test/obsidian-stub), which
 *    vitest aliases `obsidian` to. Here plugin/main.ts is bundled with esbuild (the release options, with
 *    `obsidian` resolved to the stand-in, a happy-dom DOM injected (bench/plugin-dom.ts), and ESM out,
 *    so Node can import it) into `.bench/plugin/`. Every run gets a fresh App holding the vault, built
 *    outside the timed part. Obsidian waits for onload before it finishes starting up, so onload must
 *    stay small: anything heavy belongs after layout-ready.
 * 3. The first index of that vault: `loadBook` over `ObsidianVault` on the same app, the same reading the
 *    plugin does for a book (the plugin has no index of its own that runs after layout-ready yet; when it
 *    has, time that instead). The first run on a fresh process is reported apart, then the median.
 *
 * Prints `plugin-onload-ms: X` last: the median of 25 runs after 5 warm-up runs. Target: X ≤ 15.
 */
import * as esbuild from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { PluginManifest } from "obsidian";
import type BookwrightPlugin from "../plugin/main";
import type { ObsidianVault } from "../plugin/vault/obsidian-vault";
import type { loadBook } from "../shared/book/scan";
import type { App, createStubApp } from "../test/obsidian-stub/obsidian";
import { buildPluginInMemory, pluginBuildOptions, repoRoot } from "../test/plugin-bundle/build-plugin";
import { median, seededRandom } from "./measure";
import manifest from "../manifest.json";

const workDir = path.join(repoRoot, ".bench", "plugin");
const standIn = path.join(repoRoot, "test", "obsidian-stub", "obsidian.ts");
const CHAPTERS = 300;
const WORDS_PER_CHAPTER = 3_000;
const WARMUP = 5;
const RUNS = 25;
const INDEX_RUNS = 7;

/** What the bench imports from the bundle: the plugin and the stand-in it was built against, one copy of each. */
interface UnderStandIn {
  BookwrightPlugin: typeof BookwrightPlugin;
  closeDom: () => Promise<void>;
  createStubApp: typeof createStubApp;
  ObsidianVault: typeof ObsidianVault;
  loadBook: typeof loadBook;
}

export async function runPluginBench(): Promise<void> {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });

  const { main } = await buildPluginInMemory();
  const bytes = Buffer.byteLength(main);
  const gzipped = gzipSync(main).length;
  console.log(`main.js (minified, as released): ${bytes.toLocaleString("en")} bytes, ${(bytes / 1024).toFixed(1)} KB; gzipped ${(gzipped / 1024).toFixed(1)} KB`);

  const bundle = await bundleUnderStandIn();
  const chapters = syntheticChapters();
  const words = chapters.reduce((sum, c) => sum + c.words, 0);

  // First index: the very first run in this process is what a user sees once per start (cold JIT).
  const indexTimes: number[] = [];
  let chaptersRead = 0;
  for (let i = 0; i < INDEX_RUNS; i++) {
    const app = await vaultApp(bundle, chapters);
    const start = performance.now();
    const book = await bundle.loadBook(new bundle.ObsidianVault(app), "Saga");
    indexTimes.push(performance.now() - start);
    chaptersRead = book.chapters.length;
  }
  if (chaptersRead !== CHAPTERS) throw new Error(`the index found ${chaptersRead} chapters, expected ${CHAPTERS}`);
  console.log(`first index (loadBook over ObsidianVault, ${CHAPTERS} chapters, ${words.toLocaleString("en")} words): first run ${indexTimes[0]!.toFixed(1)} ms, median of ${INDEX_RUNS} ${median(indexTimes).toFixed(1)} ms`);

  const onloadTimes: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const app = await vaultApp(bundle, chapters);
    const plugin = new bundle.BookwrightPlugin(app, { ...(manifest as PluginManifest), dir: `${app.vault.configDir}/plugins/bookwright` });
    const start = performance.now();
    // onload may become async (loading settings); Obsidian waits for it either way.
    const loading: unknown = plugin.onload();
    if (loading instanceof Promise) await loading;
    const ms = performance.now() - start;
    if (i >= WARMUP) onloadTimes.push(ms);
  }
  console.log(`onload: min ${Math.min(...onloadTimes).toFixed(2)} ms, max ${Math.max(...onloadTimes).toFixed(2)} ms over ${RUNS} runs after ${WARMUP} warm-up`);
  await bundle.closeDom();
  console.log(`plugin-onload-ms: ${median(onloadTimes).toFixed(2)}`);
}

/**
 * plugin/main.ts with `obsidian` resolved to the stand-in, plus what the bench needs from the same
 * module graph (the stand-in's App, ObsidianVault, loadBook), so `instanceof TFile` means one class.
 */
async function bundleUnderStandIn(): Promise<UnderStandIn> {
  const outfile = path.join(workDir, "under-stand-in.mjs");
  const release = await pluginBuildOptions(true);
  await esbuild.build({
    ...release,
    entryPoints: undefined,
    stdin: {
      contents: [
        'export { default as BookwrightPlugin } from "./plugin/main.ts";',
        'export { createStubApp } from "./test/obsidian-stub/obsidian.ts";',
        'export { ObsidianVault } from "./plugin/vault/obsidian-vault.ts";',
        'export { loadBook } from "./shared/book/scan.ts";',
        'export { closeDom } from "./bench/plugin-dom.ts";',
      ].join("\n"),
      resolveDir: repoRoot,
      sourcefile: "bench-plugin-entry.ts",
      loader: "ts",
    },
    format: "esm",
    outfile,
    // A real DOM (happy-dom with Obsidian's element helpers) for whatever onload builds: a status bar
    // item, a view. Injected, so only the bundle's free `document`, `createDiv`… see it.
    inject: [path.join(repoRoot, "bench", "plugin-dom.ts")],
    // happy-dom needs Node; it is imported from node_modules at run time rather than bundled for the browser.
    external: [...(release.external ?? []), "happy-dom"],
    plugins: [...(release.plugins ?? []), { name: "obsidian-stand-in", setup: (build) => build.onResolve({ filter: /^obsidian$/ }, () => ({ path: standIn })) }],
  });
  // eslint-disable-next-line no-unsanitized/method -- the bundle just written under .bench/, not input
  return (await import(pathToFileURL(outfile).href)) as UnderStandIn;
}

interface Chapter {
  name: string;
  text: string;
  words: number;
}

/** 300 chapters of deterministic prose, about 3,000 words each, numbered as Bookwright writes them. */
function syntheticChapters(): Chapter[] {
  const random = seededRandom(300);
  const vocabulary = "the sea light keeper storm glass tower boat harbour letter night wind rope lamp stair salt door cold tide rock gull Mara said was had into over".split(" ");
  return Array.from({ length: CHAPTERS }, (_, i) => {
    const n = i + 1;
    const paragraphs: string[] = [];
    let words = 0;
    while (words < WORDS_PER_CHAPTER) {
      const length = 40 + Math.floor(random() * 120);
      const sentence: string[] = [];
      for (let w = 0; w < length; w++) sentence.push(vocabulary[Math.floor(random() * vocabulary.length)]! + (w % 14 === 13 ? "." : ""));
      paragraphs.push(sentence.join(" "));
      words += length;
    }
    const front = `---\nbookwright: chapter\nchapter: ${n}\ntitle: Part ${n}\nstatus: written\nwords: ${words}\n---\n`;
    return { name: `${String(n).padStart(3, "0")} Part ${n}.md`, text: `${front}${paragraphs.join("\n\n")}\n`, words };
  });
}

/** A fresh stand-in App whose vault holds the book `Saga/` (Book.md and Chapters/). */
async function vaultApp(bundle: UnderStandIn, chapters: Chapter[]): Promise<App> {
  const app = bundle.createStubApp();
  await app.vault.createFolder("Saga");
  await app.vault.createFolder("Saga/Chapters");
  await app.vault.create("Saga/Book.md", "---\nbookwright: book\ntitle: Saga\nauthor: Bench\nlanguage: en\ntarget_words: 900000\n---\n");
  for (const chapter of chapters) await app.vault.create(`Saga/Chapters/${chapter.name}`, chapter.text);
  return app;
}
