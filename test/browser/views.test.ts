import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, renderScenario } from "./harness";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
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
    const background = await page.evaluate(() => getComputedStyle(document.querySelector("button, .setting-item") ?? document.body).borderTopColor);
    expect(background).not.toBe("");
    await page.close();
  });
});
