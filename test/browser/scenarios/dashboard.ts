/** The book dashboard after the batch: three chapters written and checked, words against target, cost. */
import { renderDashboard } from "../../../plugin/views/dashboard-render";
import { loadBook } from "../../../shared/book/scan";
import { totalCostUsd } from "../../../shared/queue/jobs";
import { loopVault } from "./vault";

export default async function scenario(root: HTMLElement): Promise<void> {
  const { vault, data } = await loopVault();
  const book = await loadBook(vault, data.bookFolder);
  renderDashboard(root, { book, costUsd: totalCostUsd(data.final) }, { openChapter: () => undefined });
}
