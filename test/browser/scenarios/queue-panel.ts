/** The queue panel mid-batch: chapter 1 written and checked, chapter 2 being drafted, chapter 3 waiting. */
import { renderQueuePanel } from "../../../plugin/views/queue-render";
import { ProgressModel } from "../../../shared/queue/progress";
import type { LoopData } from "../loop";

export default function scenario(root: HTMLElement): void {
  const data = (window as unknown as { __scenarioData: LoopData }).__scenarioData;
  const { state, events, now } = data.midBatch;
  const model = new ProgressModel({ concurrency: 3 });
  model.setState(state);
  for (const { event, at } of events) model.apply(event, at);
  const noop = () => undefined;
  renderQueuePanel(
    root,
    { model, state, running: true, ownedHere: true, now, chapterTitles: new Map([[1, "Chapter 1"], [2, "Chapter 2"], [3, "Chapter 3"]]) },
    { cancel: noop, retry: noop, pauseAll: noop, resumeAll: noop, takeOver: noop, openChapter: noop },
  );
}
