// @vitest-environment happy-dom
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import manifest from "../manifest.json";
import { serializeQueueState } from "../shared/queue/jobs";
import { buildBatch } from "../shared/queue/graph";
import { installObsidianDomHelpers } from "../test/obsidian-dom/dom-helpers";
import { commandsOf, createStubApp, Notice, type HiddenFilesAdapter, type StubApp } from "../test/obsidian-stub/obsidian";
import BookwrightPlugin from "./main";
import { DEFAULT_SETTINGS } from "./settings";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Notice.reset();
});

async function loaded(app: StubApp = createStubApp(), stored?: unknown): Promise<BookwrightPlugin> {
  const plugin = new BookwrightPlugin(app, manifest);
  if (stored !== undefined) (plugin as unknown as { storedData: string }).storedData = JSON.stringify(stored);
  // As Obsidian does: load() runs onload without awaiting it; the settings load takes a few ticks.
  plugin.load();
  await new Promise((resolve) => window.setTimeout(resolve, 0));
  return plugin;
}

describe("BookwrightPlugin", () => {
  it("registers every command with a sentence-case name and no default hotkey", async () => {
    const commands = commandsOf(await loaded());
    const ids = commands.map((c) => c.id.replace(/^bookwright:/, ""));
    expect(ids).toEqual(
      expect.arrayContaining([
        "show-book-stats", "new-book", "new-chapter", "import-manuscript", "generate-brief", "write-chapter", "check-continuity",
        "extract-characters", "update-timeline", "generate-chapters", "check-whole-book", "show-chapter-revisions", "open-queue",
        "open-dashboard", "open-continuity-report", "open-characters", "open-timeline", "export-book", "export-series",
        "open-series-dashboard", "move-book-into-series", "move-book-out-of-series", "promote-character-to-series", "new-series",
      ]),
    );
    for (const command of commands) {
      expect(command).not.toHaveProperty("hotkeys");
      const name = command.name.replace(/^Bookwright: /, "");
      // Sentence case: a capital first letter, no Title Case Words after it (acronyms aside).
      expect(name, command.id).toMatch(/^[A-Z][a-z]/);
      expect(name.split(" ").slice(1).filter((w) => /^[A-Z][a-z]/.test(w)), command.id).toEqual([]);
    }
  });

  it("adds its views, a settings tab and a status bar item; reads nothing from the vault before layout-ready", async () => {
    const app = createStubApp();
    let reads = 0;
    const read = app.vault.read.bind(app.vault);
    app.vault.read = (file) => {
      reads++;
      return read(file);
    };
    const plugin = await loaded(app);
    expect((plugin as unknown as { settingTabs: unknown[] }).settingTabs).toHaveLength(1);
    expect((plugin as unknown as { statusBarItems: unknown[] }).statusBarItems).toHaveLength(1);
    const leaves = (app.workspace as unknown as { leaves: { creators: Map<string, unknown> } }).leaves;
    expect([...leaves.creators.keys()].sort()).toEqual(["bookwright-characters", "bookwright-dashboard", "bookwright-queue", "bookwright-report", "bookwright-series", "bookwright-timeline"]);
    expect(reads).toBe(0);
  });

  it("moves an API key found in plain text in data.json to secret storage, and never writes it back", async () => {
    const app = createStubApp();
    const plugin = await loaded(app, { ...DEFAULT_SETTINGS, apiKey: "sk-ant-plain" });
    expect(app.secretStorage.getSecret(plugin.settings.apiKeySecret)).toBe("sk-ant-plain");
    const saved = (plugin as unknown as { storedData: string }).storedData;
    expect(saved).not.toContain("sk-ant-plain");
    expect(Notice.messages.some((m) => /secret storage/.test(m))).toBe(true);
  });

  it("after layout-ready, shows another device's unfinished batch without running it", async () => {
    const app = createStubApp();
    await app.vault.createFolder("Book");
    await app.vault.create("Book/Book.md", "---\nbookwright: book\ntitle: B\n---\n");
    const other = buildBatch({ batchId: "b1", bookFolder: "Book", deviceId: "someone-elses-laptop", chapters: [1], mode: "sequential", now: 0 });
    const adapter = app.vault.adapter as unknown as HiddenFilesAdapter;
    await adapter.write("Book/.bookwright/queue.json", serializeQueueState(other));
    await loaded(app);
    app.workspace.finishLayout();
    await new Promise((resolve) => window.setTimeout(resolve, 50));
    // Untouched: no job started here, the owner unchanged.
    expect(adapter.files.get("Book/.bookwright/queue.json")).toBe(serializeQueueState(other));
  });

  it("drops its commands when unloaded", async () => {
    const plugin = await loaded();
    plugin.unload();
    expect(commandsOf(plugin)).toEqual([]);
  });
});
