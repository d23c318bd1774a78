/** The timeline kept by the Timeline agent, in story order. */
import { Plugin } from "obsidian";
import { registerTimelineView, TIMELINE_VIEW_TYPE } from "../../../plugin/views/timeline-view";
import { openView } from "./open-view";
import { loopVault } from "./vault";

class ScenarioPlugin extends Plugin {}

export default async function scenario(root: HTMLElement): Promise<void> {
  const { app, vault, data } = await loopVault();
  const plugin = new ScenarioPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  registerTimelineView(plugin, { vault });
  const chapter1 = Object.keys(data.notes).find((p) => p.includes("/Chapters/01"))!;
  await openView(app, plugin, TIMELINE_VIEW_TYPE, chapter1, root);
}
