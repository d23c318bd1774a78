/** Opens one of the plugin's views in a stand-in leaf, following `activePath`, and puts it in `root`. */
import type { Plugin, TFile, WorkspaceLeaf as ObsidianLeaf } from "obsidian";
import type { WorkspaceLeaf } from "../../obsidian-stub/ui";
import type { StubApp } from "../../obsidian-stub/obsidian";

export async function openView(app: StubApp, plugin: Plugin, type: string, activePath: string, root: HTMLElement, settleMs = 400): Promise<WorkspaceLeaf> {
  app.workspace.setActiveFile(app.vault.getAbstractFileByPath(activePath) as TFile);
  const leaf = app.workspace.getRightLeaf(false) as unknown as WorkspaceLeaf;
  await leaf.setViewState({ type, active: true });
  root.appendChild(leaf.containerEl);
  // The views load the book asynchronously (and debounce); give them time to draw.
  await new Promise((resolve) => window.setTimeout(resolve, settleMs));
  void plugin;
  return leaf;
}
