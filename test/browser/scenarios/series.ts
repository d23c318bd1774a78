/** The series dashboard of the corpus trilogy (test/browser/series.test.ts builds it), opened on a chapter of book 2. */
import { Plugin } from "obsidian";
import { registerSeriesView, SERIES_VIEW_TYPE } from "../../../plugin/views/series-view";
import { ObsidianVault } from "../../../plugin/vault/obsidian-vault";
import { createStubApp } from "../../obsidian-stub/obsidian";
import { openView } from "./open-view";

class ScenarioPlugin extends Plugin {}

export interface SeriesScenarioData {
  notes: Record<string, string>;
  /** The note open when the dashboard opens. */
  active: string;
}

export default async function scenario(root: HTMLElement): Promise<void> {
  const data = (window as unknown as { __scenarioData: SeriesScenarioData }).__scenarioData;
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(data.notes)) await vault.write(path, text);
  const plugin = new ScenarioPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  registerSeriesView(plugin, { vault });
  await openView(app, plugin, SERIES_VIEW_TYPE, data.active, root);
}
