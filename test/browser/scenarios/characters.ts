/** The character graph after three chapters: Mara and Jon, sized by appearances, joined by their relationship. */
import { Plugin } from "obsidian";
import { CHARACTERS_VIEW_TYPE, registerCharactersView } from "../../../plugin/views/characters-view";
import { openView } from "./open-view";
import { loopVault } from "./vault";

class ScenarioPlugin extends Plugin {}

export default async function scenario(root: HTMLElement): Promise<void> {
  const { app, vault, data } = await loopVault();
  const plugin = new ScenarioPlugin(app, { id: "bookwright", name: "Bookwright", version: "0.1.0", minAppVersion: "1.11.4", author: "", description: "" });
  registerCharactersView(plugin, { vault });
  const chapter1 = Object.keys(data.notes).find((p) => p.includes("/Chapters/01"))!;
  await openView(app, plugin, CHARACTERS_VIEW_TYPE, chapter1, root);
}
