import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, renderScenario, screenshot } from "./harness";

/** Views load the book asynchronously: wait (up to 20 s, for a loaded machine) until `text` is shown. */
async function shows(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (document.querySelector("#root")?.textContent ?? "").includes(t), text, { timeout: 20_000 });
}
import { companionRevisionsData } from "./companion-revisions";
import { runLoop, type LoopData } from "./loop";

let browser: Browser;
let loop: LoopData;

beforeAll(async () => {
  [browser, loop] = await Promise.all([launchBrowser(), runLoop()]);
});
afterAll(async () => {
  await browser?.close();
});

describe("the browser harness", () => {
  it("renders a scenario with Obsidian's DOM helpers, the theme and the stand-in's UI", async () => {
    const page = await renderScenario(browser, "smoke.ts");
    expect(await page.locator(".setting-item-name").allTextContents()).toEqual(["Concurrency", "Plan ahead"]);
    expect(await page.locator(".checkbox-container.is-enabled").count()).toBe(1);
    expect(await page.locator(".modal-content p").textContent()).toBe("Inside the modal");
    await page.close();
  });
});

describe("the writer's loop, as the writer sees it (screenshots in docs/screenshots/)", () => {
  it("the batch ran to the end: three chapters written, checked, characters and timeline kept", () => {
    expect(loop.final.jobs.every((j) => j.state === "succeeded")).toBe(true);
    const paths = Object.keys(loop.notes);
    expect(paths.filter((p) => p.includes("/Reports/"))).toHaveLength(3);
    expect(paths.filter((p) => p.includes("/Briefs/"))).toHaveLength(3);
    expect(paths.some((p) => p.endsWith("/Timeline.md"))).toBe(true);
    const exported = paths.find((p) => p.includes("/Exports/") && p.endsWith(".txt"));
    expect(exported).toBeDefined();
    expect(loop.notes[exported!]).toContain("The logbook stopped in March.");
    // Smart typography: the straight apostrophe of the draft is a curly one in the export.
    expect(loop.notes[exported!]).toContain("her father’s last entry");
  });

  it("queue panel mid-batch: chapter 1 done, chapter 2 drafting with its words, bar and cost", async () => {
    const page = await renderScenario(browser, "queue-panel.ts", { data: loop, sidebar: true, width: 380, height: 640 });
    const text = (await page.locator("#root").textContent()) ?? "";
    expect(text).toMatch(/Chapter 1/);
    expect(text).toMatch(/Chapter 2/);
    expect(text).toMatch(/drafting/i);
    expect(text).toMatch(/\$\d+\.\d\d/);
    expect(await page.locator(".bookwright-queue-chapter").count()).toBe(3);
    await screenshot(page, "queue-panel-mid-batch", "#root");
    await page.close();
  });

  it("dashboard: the chapter grid by status, words against the target, the cost", async () => {
    const page = await renderScenario(browser, "dashboard.ts", { data: loop, width: 900, height: 600 });
    expect(await page.locator("button.bookwright-chapter-cell").count()).toBe(3);
    expect(await page.locator(".bookwright-dashboard-title").textContent()).toBe("The Lighthouse Keeper");
    expect((await page.locator("#root").textContent()) ?? "").toMatch(/30,000/);
    await screenshot(page, "dashboard", "#root");
    await page.close();
  });

  it("settings: the key by its secret's name, never the key; models, generation, exports", async () => {
    const page = await renderScenario(browser, "settings.ts", { width: 900, height: 1400 });
    const text = (await page.locator("#root").textContent()) ?? "";
    expect(text).not.toContain("sk-ant-example");
    expect(text).toMatch(/Test connection/i);
    expect(await page.locator(".setting-item-heading").count()).toBeGreaterThanOrEqual(5);
    await screenshot(page, "settings", "#root");
    await page.close();
  });

  it("continuity report: the finding with its quote, the earlier fact, and a fix to accept", async () => {
    const page = await renderScenario(browser, "report.ts", { data: loop, sidebar: true, width: 420, height: 700 });
    await shows(page, "Jon said her eyes were blue");
    const text = (await page.locator("#root").textContent()) ?? "";
    expect(text).toContain("Jon said her eyes were blue");
    expect(text).toMatch(/chapter 2/i);
    expect(text).toMatch(/grey/);
    await screenshot(page, "continuity-report", "#root");
    await page.close();
  });

  it("characters: a node per character, the relationship as an edge, appearances listed", async () => {
    const page = await renderScenario(browser, "characters.ts", { data: loop, width: 720, height: 640 });
    await shows(page, "Jon Harrow");
    expect(await page.locator("svg circle").count()).toBeGreaterThanOrEqual(2);
    const text = (await page.locator("#root").textContent()) ?? "";
    expect(text).toContain("Mara Quill");
    expect(text).toContain("Jon Harrow");
    // Selecting a character lists the chapters they appear in, with their part and state.
    await page.locator("svg circle").last().click();
    await shows(page, "Chapter 1");
    expect((await page.locator("#root").textContent()) ?? "").toMatch(/Chapter 1/);
    await screenshot(page, "characters", "#root");
    await page.close();
  });

  it("timeline: the events of the three chapters in story order, each linked to its chapter", async () => {
    const page = await renderScenario(browser, "timeline.ts", { data: loop, width: 720, height: 520 });
    await shows(page, "Mara reads the last log entry");
    const text = (await page.locator("#root").textContent()) ?? "";
    expect(text).toContain("Jon brings the letter");
    expect(text.indexOf("The storm reaches Skerry Rock")).toBeLessThan(text.indexOf("Mara reads the last log entry"));
    await screenshot(page, "timeline", "#root");
    await page.close();
  });
});

describe("the companion's revisions, as the writer sees them (docs/screenshots/companion-revisions.png)", () => {
  it("lists the chapter's revisions with time, source and word delta, and compares one side by side", async () => {
    const data = await companionRevisionsData();
    const sources = data.list.revisions.map((r) => r.source);
    expect(sources).toEqual(["restore", "watcher", "watcher", "plugin", "watcher", "watcher"]);
    const page = await renderScenario(browser, "companion-revisions.ts", { data, width: 1200, height: 1650 });
    // The modal sits on the page's body, outside #root; the scenario resolves once it is drawn.
    expect(await page.locator(".modal-content > p").first().textContent()).toBe("Revisions kept by the companion, newest first.");
    const rows = page.locator(".bookwright-companion-revision");
    expect(await rows.count()).toBe(6);
    const text = (await page.locator(".modal").textContent()) ?? "";
    expect(text).toContain("Kept by Bookwright");
    expect(text).toContain("before an AI write");
    expect(text).toContain("Saved edit");
    expect(text).toMatch(/Restore · \d+ words, .* · from the revision of /);
    // The text kept before the AI write, compared with the chapter now (the AI's line edit, restored):
    // restoring it would take the AI's words out and put the writer's back.
    const beforeAiWrite = rows.nth(3);
    expect(await beforeAiWrite.textContent()).toContain("Kept by Bookwright");
    // Its accessible name is the tooltip, so it is found by its text.
    await beforeAiWrite.locator("button", { hasText: "Compare" }).click();
    await page.locator(".bookwright-revision-diff").waitFor();
    expect((await beforeAiWrite.locator(".bookwright-diff-removed").allTextContents()).join(" ")).toContain("firmly");
    expect((await beforeAiWrite.locator(".bookwright-diff-added").allTextContents()).join(" ")).toContain("well");
    // Long unchanged stretches are folded, so the changes are close together.
    expect(await beforeAiWrite.locator(".bookwright-revision-diff-now .bookwright-diff-fold").count()).toBeGreaterThan(0);
    expect(await page.locator(".modal button", { hasText: "Restore" }).count()).toBe(6);
    await screenshot(page, "companion-revisions", ".modal");
    await page.close();
  });
});
