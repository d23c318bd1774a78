/** Wiring only: each feature registers itself from its own module (see docs/architecture.md). */
import { Plugin } from "obsidian";
import { registerBookStatsCommand } from "./commands/book-stats";
import { ObsidianVault } from "./vault/obsidian-vault";

export default class BookwrightPlugin extends Plugin {
  override onload(): void {
    const vault = new ObsidianVault(this.app);
    registerBookStatsCommand(this, vault);
  }
}
