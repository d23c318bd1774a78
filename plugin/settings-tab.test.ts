// @vitest-environment happy-dom
/**
 * The settings tab in the stand-in's DOM: what it shows, what each change saves (and what it refuses to
 * save), that secrets reach the settings only as ids, and how "Test connection" reports.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConnectionReport } from "../shared/llm/connection-test";
import { installObsidianDomHelpers } from "../test/obsidian-dom/dom-helpers";
import { App, Plugin } from "../test/obsidian-stub/obsidian";
import { SecretComponent } from "../test/obsidian-stub/ui";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "./settings";
import { BookwrightSettingTab, parseCostCap, parsePhrases } from "./settings-tab";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

class TestPlugin extends Plugin {}

let app: App;
let current: BookwrightSettings;
let saved: BookwrightSettings[];
let report: ConnectionReport;
let pickerSpy: { mock: { contexts: unknown[] } };

/** The tab's secret pickers, to create secrets in them as the writer does in Obsidian's dialog. */
function pickers(): SecretComponent[] {
  return [...new Set(pickerSpy.mock.contexts)] as SecretComponent[];
}

function open(settings: BookwrightSettings = structuredClone(DEFAULT_SETTINGS)): BookwrightSettingTab {
  current = settings;
  const plugin = new TestPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  const tab = new BookwrightSettingTab(app, plugin, {
    settings: () => current,
    save: (next) => {
      current = next;
      saved.push(next);
      return Promise.resolve();
    },
    testConnection: () => Promise.resolve(report),
  });
  // As Obsidian does when the tab is opened. Typed apart because 1.13 deprecates display() for declarative
  // tabs, while this one renders itself (minAppVersion 1.11.4).
  const shown: { display(): void } = tab;
  shown.display();
  return tab;
}

beforeEach(() => {
  app = new App();
  saved = [];
  report = { ok: true, model: "claude-sonnet-4-6", latencyMs: 412 };
  // Calls through; its `this` values are the pickers the tab made.
  pickerSpy = vi.spyOn(SecretComponent.prototype, "setValue");
});

afterEach(() => {
  vi.restoreAllMocks();
});

function settingNamed(tab: BookwrightSettingTab, name: string): HTMLElement {
  const item = tab.containerEl.findAll(".setting-item").find((el) => el.find(".setting-item-name")?.getText() === name);
  if (!item) throw new Error(`no setting named "${name}"`);
  return item;
}

function input(tab: BookwrightSettingTab, name: string): HTMLInputElement {
  return settingNamed(tab, name).find("input, textarea") as HTMLInputElement;
}

function select(tab: BookwrightSettingTab, name: string): HTMLSelectElement {
  return settingNamed(tab, name).find("select") as HTMLSelectElement;
}

function type(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event("input"));
}

function choose(el: HTMLSelectElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event("change"));
}

function errorOf(tab: BookwrightSettingTab, name: string): string {
  return settingNamed(tab, name).find(".bookwright-setting-error")?.getText() ?? "";
}

function last(): BookwrightSettings {
  const settings = saved.at(-1);
  if (!settings) throw new Error("nothing was saved");
  return settings;
}

describe("BookwrightSettingTab", () => {
  it("renders every section under a heading, in order", () => {
    const tab = open();
    const headings = tab.containerEl.findAll(".setting-item-heading .setting-item-name").map((el) => el.getText());
    expect(headings).toEqual(["Model access", "Models", "Generation", "Companion", "Exports", "Style checks"]);
    for (const name of ["API key", "Server", "Server address", "Connection", "Architect", "Writer", "Continuity", "Timeline", "Characters", "Jobs at once", "Default mode", "Default cost cap", "Companion address", "Companion token", "Default format", "Trim size", "Font size", "Overused phrases"]) {
      expect(() => settingNamed(tab, name)).not.toThrow();
    }
    expect(saved).toEqual([]);
  });

  it("shows the saved values, and the default models as placeholders", () => {
    const tab = open({ ...structuredClone(DEFAULT_SETTINGS), baseUrl: "http://localhost:11434", models: { writer: "qwen3:32b" }, costCapUsd: null, overusedPhrases: ["nodded slowly", "smiled softly"] });
    expect(select(tab, "Server").value).toBe("ollama");
    expect(input(tab, "Server address").value).toBe("http://localhost:11434");
    expect(input(tab, "Writer").value).toBe("qwen3:32b");
    expect(input(tab, "Timeline").value).toBe("");
    expect(input(tab, "Timeline").placeholder).toBe("claude-haiku-4-5");
    expect(input(tab, "Default cost cap").value).toBe("");
    expect(input(tab, "Overused phrases").value).toBe("nodded slowly\nsmiled softly");
    expect(settingNamed(tab, "Overused phrases").find(".setting-item-description")?.getText()).toMatch(/built-in/);
  });

  it("stores a chosen secret's id, never the key", async () => {
    app.secretStorage.setSecret("anthropic-work", "sk-ant-chosen-0123456789");
    const tab = open();
    choose(select(tab, "API key"), "anthropic-work");
    await tab.settled();
    expect(last().apiKeySecret).toBe("anthropic-work");
    expect(JSON.stringify(saved)).not.toContain("sk-ant-chosen");
  });

  it("stores a newly created secret's id for the key and the companion token, never their values", async () => {
    const tab = open();
    expect(pickers()).toHaveLength(2);
    const [keyPicker, tokenPicker] = pickers();
    keyPicker?.createSecret("anthropic-key", "sk-ant-created-secret-value");
    tokenPicker?.createSecret("companion-token", "companion-token-value-42");
    await tab.settled();
    expect(last()).toMatchObject({ apiKeySecret: "anthropic-key", companionTokenSecret: "companion-token" });
    const json = JSON.stringify(saved);
    expect(json).not.toContain("sk-ant-created-secret-value");
    expect(json).not.toContain("companion-token-value-42");
    expect(app.secretStorage.getSecret("anthropic-key")).toBe("sk-ant-created-secret-value");
  });

  it("saves a base URL without its /v1 and says so; refuses one that is not a web address", async () => {
    const tab = open();
    type(input(tab, "Server address"), " http://localhost:11434/v1/ ");
    await tab.settled();
    expect(last().baseUrl).toBe("http://localhost:11434");
    expect(select(tab, "Server").value).toBe("ollama");
    expect(settingNamed(tab, "Server address").find(".bookwright-setting-warning")?.getText()).toMatch(/Removed "\/v1"/);

    const count = saved.length;
    type(input(tab, "Server address"), "localhost:1234");
    await tab.settled();
    expect(saved).toHaveLength(count);
    expect(errorOf(tab, "Server address")).toMatch(/not a web address/);

    type(input(tab, "Server address"), "");
    await tab.settled();
    expect(last().baseUrl).toBe("");
    expect(errorOf(tab, "Server address")).toBe("");
    expect(select(tab, "Server").value).toBe("anthropic");
  });

  it("fills the address from a preset, and empties it for the Anthropic API", async () => {
    const tab = open();
    choose(select(tab, "Server"), "lm-studio");
    await tab.settled();
    expect(last().baseUrl).toBe("http://localhost:1234");
    expect(input(tab, "Server address").value).toBe("http://localhost:1234");
    expect(settingNamed(tab, "Server").getText()).toMatch(/Developer tab/);
    choose(select(tab, "Server"), "anthropic");
    await tab.settled();
    expect(last().baseUrl).toBe("");
  });

  it("saves a model override, and removes it when the field is emptied", async () => {
    const tab = open();
    type(input(tab, "Architect"), "  claude-opus-4-1 ");
    await tab.settled();
    expect(last().models).toEqual({ architect: "claude-opus-4-1" });
    type(input(tab, "Architect"), " ");
    await tab.settled();
    expect(last().models).toEqual({});
  });

  it("saves concurrency, mode and export defaults", async () => {
    const tab = open();
    const slider = input(tab, "Jobs at once");
    expect(slider.min).toBe("1");
    expect(slider.max).toBe("8");
    type(slider, "6");
    choose(select(tab, "Default mode"), "plan-ahead");
    choose(select(tab, "Default format"), "pdf");
    choose(select(tab, "Trim size"), "6x9");
    choose(select(tab, "Font size"), "12.5");
    await tab.settled();
    expect(last()).toMatchObject({ concurrency: 6, mode: "plan-ahead", exportDefaults: { format: "pdf", trim: "6x9", fontSizePt: 12.5 } });
  });

  it("saves a cost cap in dollars, none when empty, and explains a value it cannot use", async () => {
    const tab = open();
    const cap = input(tab, "Default cost cap");
    type(cap, "12.50");
    await tab.settled();
    expect(last().costCapUsd).toBe(12.5);

    const count = saved.length;
    type(cap, "abc");
    await tab.settled();
    expect(saved).toHaveLength(count);
    expect(errorOf(tab, "Default cost cap")).toMatch(/"abc" is not an amount in dollars/);

    type(cap, "");
    await tab.settled();
    expect(last().costCapUsd).toBeNull();
    expect(errorOf(tab, "Default cost cap")).toBe("");
  });

  it("refuses a companion address that is not http(s)", async () => {
    const tab = open();
    type(input(tab, "Companion address"), "ftp://127.0.0.1:27125");
    await tab.settled();
    expect(saved).toEqual([]);
    expect(errorOf(tab, "Companion address")).toMatch(/http:\/\//);
    type(input(tab, "Companion address"), "http://127.0.0.1:9000 ");
    await tab.settled();
    expect(last().companionUrl).toBe("http://127.0.0.1:9000");
  });

  it("saves overused phrases trimmed, one a line, without empty lines, and shows them again", async () => {
    const tab = open();
    type(input(tab, "Overused phrases"), "  nodded slowly \n\n smiled softly\r\n   \nnodded slowly");
    await tab.settled();
    expect(last().overusedPhrases).toEqual(["nodded slowly", "smiled softly"]);
    const reopened = open(current);
    expect(input(reopened, "Overused phrases").value).toBe("nodded slowly\nsmiled softly");
  });

  it("keeps quick changes together: each save carries the ones before", async () => {
    const tab = open();
    type(input(tab, "Writer"), "local-writer");
    type(input(tab, "Default cost cap"), "3");
    choose(select(tab, "Default mode"), "plan-ahead");
    await tab.settled();
    expect(saved).toHaveLength(3);
    expect(last()).toMatchObject({ models: { writer: "local-writer" }, costCapUsd: 3, mode: "plan-ahead" });
  });

  it("shows a failed test's problem and fix", async () => {
    report = {
      ok: false,
      kind: "cors",
      problem: "Ollama answers, but does not allow requests from Obsidian (app://obsidian.md), so Obsidian may not read its reply (CORS).",
      fix: "Let Ollama accept Obsidian: set the environment variable OLLAMA_ORIGINS=app://obsidian.md*, then quit and restart Ollama.",
    };
    const tab = open();
    const button = settingNamed(tab, "Connection").find("button") as HTMLButtonElement;
    expect(button.getText()).toBe("Test connection");
    button.click();
    await vi.waitFor(() => expect(tab.containerEl.find(".bookwright-connection-result[data-result='error']")).not.toBeNull());
    const result = tab.containerEl.find(".bookwright-connection-result");
    expect(result?.find(".bookwright-connection-problem")?.getText()).toBe(report.problem);
    expect(result?.find(".bookwright-connection-fix")?.getText()).toContain("OLLAMA_ORIGINS=app://obsidian.md*");
    expect(button.disabled).toBe(false);
  });

  it("shows a passed test's model and time", async () => {
    const tab = open();
    (settingNamed(tab, "Connection").find("button") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(tab.containerEl.find(".bookwright-connection-result[data-result='ok']")).not.toBeNull());
    expect(tab.containerEl.find(".bookwright-connection-result")?.getText()).toBe("Connected: claude-sonnet-4-6 answered in 412 ms.");
  });
});

describe("parseCostCap and parsePhrases", () => {
  it("reads dollars and explains the rest", () => {
    expect(parseCostCap(" $7.5 ")).toEqual({ ok: true, value: 7.5 });
    expect(parseCostCap("")).toEqual({ ok: true, value: null });
    expect(parseCostCap("0")).toMatchObject({ ok: false, error: expect.stringMatching(/above 0/) as unknown });
    expect(parseCostCap("-3")).toMatchObject({ ok: false });
    expect(parseCostCap("5 euros")).toMatchObject({ ok: false });
  });

  it("splits lines, trims, drops empties and repeats", () => {
    expect(parsePhrases("a\n\n b \r\na\n")).toEqual(["a", "b"]);
    expect(parsePhrases("   ")).toEqual([]);
  });
});
