/** A stand-in vault holding the loop's notes, for scenarios that render from the book as it is on disk. */
import { createStubApp, type StubApp } from "../../obsidian-stub/obsidian";
import { ObsidianVault } from "../../../plugin/vault/obsidian-vault";
import type { LoopData } from "../loop";

export async function loopVault(): Promise<{ app: StubApp; vault: ObsidianVault; data: LoopData }> {
  const data = (window as unknown as { __scenarioData: LoopData }).__scenarioData;
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(data.notes)) await vault.write(path, text);
  return { app, vault, data };
}
