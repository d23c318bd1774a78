/** The settings tab, with an API key chosen from secret storage and a local server's base URL. */
import { Plugin } from "obsidian";
import { BookwrightSettingTab } from "../../../plugin/settings-tab";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../../../plugin/settings";
import { createStubApp } from "../../obsidian-stub/obsidian";

class ScenarioPlugin extends Plugin {}

export default function scenario(root: HTMLElement): void {
  const app = createStubApp();
  app.secretStorage.setSecret("anthropic-api-key", "sk-ant-example");
  let settings: BookwrightSettings = { ...DEFAULT_SETTINGS, apiKeySecret: "anthropic-api-key", models: { writer: "claude-opus-4-5" } };
  const plugin = new ScenarioPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  const tab = new BookwrightSettingTab(app, plugin, {
    settings: () => settings,
    save: (next) => {
      settings = next;
      return Promise.resolve();
    },
    testConnection: () => Promise.resolve({ ok: true, model: "claude-sonnet-4-6", latencyMs: 412 }),
  });
  // display(), as Obsidian before 1.13 calls it (see the comment on BookwrightSettingTab).
  tab.display();
  root.appendChild(tab.containerEl);
}
