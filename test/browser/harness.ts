/**
 * Renders plugin views in Debian's Chromium the way Obsidian would show them, for DOM assertions and
 * screenshots (docs/screenshots/). A scenario is a module whose default export fills `#root`; it is
 * bundled with esbuild, with `obsidian` aliased to the stand-in (test/obsidian-stub/), after Obsidian's
 * DOM helpers are installed on the page's window. The page carries a light Obsidian theme
 * (obsidian-theme.css) and the plugin's own styles.css, so what is captured is what a writer sees.
 *
 * playwright-core only drives the browser: it never downloads one (no network here or in CI); .ci/run
 * installs Debian's chromium.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";

const repo = fileURLToPath(new URL("../../", import.meta.url));
export const SCREENSHOTS = nodePath.join(repo, "docs", "screenshots");
const CHROMIUM = process.env.BOOKWRIGHT_CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), as .ci/run does, or set BOOKWRIGHT_CHROMIUM`);
  }
  // The flags keep Chromium from reaching for Google's hosts, which this machine's closed network refuses.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

export interface RenderOptions {
  width?: number;
  height?: number;
  /** A narrow root styled like Obsidian's sidebar, for side panels. */
  sidebar?: boolean;
  /** JSON the scenario reads as `window.__scenarioData` (notes, a batch's state, events). */
  data?: unknown;
}

/** Bundles `scenario` (a path below test/browser/scenarios/) for the browser. */
async function bundle(scenario: string): Promise<string> {
  const entry = nodePath.join(repo, "test", "browser", "scenarios", scenario);
  const result = await build({
    stdin: {
      contents: [
        `import { installObsidianDomHelpers } from ${JSON.stringify(nodePath.join(repo, "test/obsidian-dom/dom-helpers.ts"))};`,
        `import scenario from ${JSON.stringify(entry)};`,
        "installObsidianDomHelpers(window);",
        "Promise.resolve(scenario(document.getElementById('root'))).then(() => { window.__scenarioDone = true; }, (e) => { window.__scenarioError = String(e && e.stack || e); });",
      ].join("\n"),
      resolveDir: repo,
      loader: "ts",
      sourcefile: `scenario-${scenario}`,
    },
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "chrome120",
    alias: { obsidian: nodePath.join(repo, "test", "obsidian-stub", "obsidian.ts") },
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** Opens a page with the theme and styles.css, runs the scenario and waits for it to finish. */
export async function renderScenario(browser: Browser, scenario: string, options: RenderOptions = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 900, height: options.height ?? 700 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  const theme = await readFile(nodePath.join(repo, "test", "browser", "obsidian-theme.css"), "utf8");
  const styles = existsSync(nodePath.join(repo, "styles.css")) ? await readFile(nodePath.join(repo, "styles.css"), "utf8") : "";
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${theme}</style><style>${styles}</style></head><body><div id="root"${options.sidebar ? ' class="sidebar"' : ""}></div></body></html>`);
  if (options.data !== undefined) {
    await page.evaluate((data) => {
      (window as unknown as { __scenarioData: unknown }).__scenarioData = data;
    }, options.data);
  }
  await page.addScriptTag({ content: await bundle(scenario) });
  await page.waitForFunction(() => (window as unknown as { __scenarioDone?: boolean; __scenarioError?: string }).__scenarioDone === true || (window as unknown as { __scenarioError?: string }).__scenarioError !== undefined, undefined, { timeout: 30_000 });
  const failed = await page.evaluate(() => (window as unknown as { __scenarioError?: string }).__scenarioError);
  if (failed) throw new Error(`scenario ${scenario} failed in the browser: ${failed}`);
  if (errors.length) throw new Error(`scenario ${scenario}: errors on the page: ${errors.join("; ")}`);
  return page;
}

/** Saves a PNG of the page (or of `selector`) under docs/screenshots/. */
export async function screenshot(page: Page, name: string, selector?: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = nodePath.join(SCREENSHOTS, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  return path;
}
