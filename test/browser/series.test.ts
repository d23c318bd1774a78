/**
 * The series dashboard in Chromium, on the corpus novel split into a trilogy (shared/testing/
 * series-fixture.ts): docs/screenshots/series-dashboard.png, with a character chosen through the search box.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importManuscript } from "../../shared/import/import-manuscript";
import { TRILOGY_BOOKS, TRILOGY_FOLDER, trilogyFiles } from "../../shared/testing/series-fixture";
import { launchBrowser, renderScenario, screenshot } from "./harness";
import type { SeriesScenarioData } from "./scenarios/series";

const corpus = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The view loads the series asynchronously: wait (up to 20 s, for a loaded machine) until `text` is shown. */
async function shows(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (document.querySelector("#root")?.textContent ?? "").includes(t), text, { timeout: 20_000 });
}

describe("the series dashboard, as the writer sees it (docs/screenshots/series-dashboard.png)", () => {
  it("the trilogy's books in order with words, status, chapters and continuity; where Wickham appears", async () => {
    const { chapters } = importManuscript(readFileSync(corpus), { fileName: "pride-and-prejudice.txt" });
    const notes = trilogyFiles(chapters);
    const active = Object.keys(notes).find((p) => p.startsWith(`${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}/Chapters/01`))!;
    const data: SeriesScenarioData = { notes, active };
    const page = await renderScenario(browser, "series.ts", { data, width: 1100, height: 900 });
    await shows(page, "Where does this character appear?");
    expect(await page.locator(".bookwright-series-book-title").allTextContents()).toEqual([...TRILOGY_BOOKS]);
    const words = await page.locator(".bookwright-series-book-words-text").allTextContents();
    expect(words).toHaveLength(3);
    for (const line of words) expect(line).toMatch(/^\d{2},\d{3} \/ 45,000 words \(\d+%\)$/);
    // Chosen through the search box, by an alias.
    await page.locator(".bookwright-series-search").fill("wickham");
    await shows(page, "Where does George Wickham appear?");
    expect(await page.locator("tr.bookwright-series-character:visible").count()).toBe(1);
    await page.locator(".bookwright-series-search").fill("");
    await page.locator("tr.bookwright-series-character", { hasText: "George Wickham" }).locator("button.bookwright-series-character-name").click();
    const appearances = page.locator(".bookwright-series-appearance");
    expect(await appearances.count()).toBe(35);
    expect(await page.locator(".bookwright-series-appearance-book-title").allTextContents()).toEqual(TRILOGY_BOOKS.map((b, i) => `${i + 1}. ${b}`));
    // Nothing spills out of its box: every card and panel is as wide as its content needs at most.
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".bookwright-series-book, .bookwright-series-appearances, .bookwright-series-character-table, .bookwright-series-totals")]
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.className),
    );
    expect(overflowing).toEqual([]);
    await page.locator(".bookwright-series-search").blur();
    await screenshot(page, "series-dashboard", "#root");
    await page.close();
  });
});
