/** Opens one of the plugin's views in a stand-in leaf, following `activePath`, and puts it in `root`. */
import { TFile, type Plugin } from "obsidian";
import type { WorkspaceLeaf } from "../../obsidian-stub/ui";
import type { StubApp } from "../../obsidian-stub/obsidian";

export async function openView(app: StubApp, plugin: Plugin, type: string, activePath: string, root: HTMLElement, settleMs = 400): Promise<WorkspaceLeaf> {
  const file = app.vault.getAbstractFileByPath(activePath);
  if (!(file instanceof TFile)) throw new Error(`no note at ${activePath}`);
  app.workspace.setActiveFile(file);
  const leaf = app.workspace.getRightLeaf(false) as unknown as WorkspaceLeaf;
  await leaf.setViewState({ type, active: true });
  root.appendChild(leaf.containerEl);
  // The views load the book asynchronously (and debounce); give them time to draw.
  await new Promise((resolve) => window.setTimeout(resolve, settleMs));
  void plugin;
  return leaf;
}
