/** The continuity report of chapter 3: the eye-colour slip, its earlier fact, and the proposed fix. */
import { Plugin } from "obsidian";
import { registerReportView, REPORT_VIEW_TYPE } from "../../../plugin/views/report-view";
import { openView } from "./open-view";
import { loopVault } from "./vault";

class ScenarioPlugin extends Plugin {}

export default async function scenario(root: HTMLElement): Promise<void> {
  const { app, vault, data } = await loopVault();
  const plugin = new ScenarioPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  registerReportView(plugin, { vault });
  const chapter3 = Object.keys(data.notes).find((p) => p.includes("/Chapters/03"))!;
  await openView(app, plugin, REPORT_VIEW_TYPE, chapter3, root);
}
