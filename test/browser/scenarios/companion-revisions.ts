/**
 * "Show revisions of this chapter" with the companion answering: the chapter's history as the real
 * companion kept it (test/browser/companion-revisions.ts), played back by a client that answers what the
 * companion answered, because this page's origin is not one the companion admits.
 */
import { CompanionError } from "../../../plugin/local-service/client";
import { RevisionsModal, type CompanionRevisions } from "../../../plugin/commands/revisions";
import { ObsidianVault } from "../../../plugin/vault/obsidian-vault";
import { createStubApp } from "../../obsidian-stub/obsidian";
import type { CompanionRevisionsData } from "../companion-revisions";

export default async function scenario(): Promise<void> {
  const data = (window as unknown as { __scenarioData: CompanionRevisionsData }).__scenarioData;
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  await vault.write(data.note, data.noteText);
  const client: CompanionRevisions = {
    health: () => Promise.resolve(data.health),
    listRevisions: () => Promise.resolve(data.list),
    diff: (id) => {
      const diff = data.diffs[id];
      return diff ? Promise.resolve(diff) : Promise.reject(new CompanionError("revision not found", 404));
    },
    // The picture never restores; a click here says so rather than pretending.
    restore: () => Promise.reject(new CompanionError("restoring is not part of this picture", 400)),
  };
  const modal = new RevisionsModal(app, { vault, companion: () => client }, data.bookFolder, data.note);
  modal.open();
  await modal.rendered;
}
