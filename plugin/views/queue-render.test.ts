// @vitest-environment happy-dom
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { buildBatch } from "../../shared/queue/graph";
import { addUsage, fail, markApplied, recordOutput, start, succeed, type QueueState } from "../../shared/queue/jobs";
import { ProgressModel } from "../../shared/queue/progress";
import { PAUSE_COST_CAP, type QueueEvent } from "../../shared/queue/runner";
import { renderQueuePanel, type QueuePanelActions, type QueuePanelInput } from "./queue-render";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

const T0 = Date.parse("2026-11-25T10:00:00Z");
const USAGE = { inputTokens: 1000, outputTokens: 500, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/** Runs a job to success through the same transitions the runner uses, and charges it. */
function done(state: QueueState, id: string, at: number, costUsd: number): QueueState {
  let s = start(state, id, at);
  s = addUsage(s, id, USAGE, costUsd);
  s = recordOutput(s, id, { recordedAt: at + 1000, text: "output" });
  s = markApplied(s, id, at + 2000);
  return succeed(s, id, at + 2000);
}

/**
 * Two chapters planned ahead, mid-batch: both briefs done, chapter 1 being drafted (1,260 of 3,000 words),
 * chapter 2's draft failed (the model service overloaded), everything else waiting.
 */
function midBatch(): { state: QueueState; model: ProgressModel; now: number } {
  let state = buildBatch({ batchId: "b1", bookFolder: "Books/The Salt Road", deviceId: "this-device", chapters: [1, 2], mode: "plan-ahead", now: T0, costCapUsd: 5 });
  state = done(state, "brief-1", T0, 0.12);
  state = done(state, "brief-2", T0 + 3000, 0.11);
  state = start(state, "write-1", T0 + 6000);
  state = start(state, "write-2", T0 + 6000);
  state = addUsage(state, "write-2", USAGE, 0.05);
  state = fail(state, "write-2", { kind: "overloaded", message: "Overloaded" }, false, T0 + 9000);

  const model = new ProgressModel({ concurrency: 2 });
  model.setState(state);
  const ref = { jobId: "write-1", kind: "write" as const, chapter: 1 };
  const events: [QueueEvent, number][] = [
    [{ type: "job:started", ...ref }, T0 + 6000],
    [{ type: "job:progress", ...ref, progress: { stage: "drafting", tokens: 0, words: 0 } }, T0 + 6000],
    [{ type: "job:progress", ...ref, progress: { stage: "drafting", tokens: 800, words: 600 } }, T0 + 16_000],
    [{ type: "job:progress", ...ref, progress: { stage: "drafting", tokens: 1700, words: 1260 } }, T0 + 27_000],
  ];
  for (const [event, at] of events) model.apply(event, at);
  return { state, model, now: T0 + 27_000 };
}

interface Recorder extends QueuePanelActions {
  calls: string[];
}

function recorder(): Recorder {
  const calls: string[] = [];
  return {
    calls,
    cancel: (id) => calls.push(`cancel ${id}`),
    retry: (id) => calls.push(`retry ${id}`),
    pauseAll: () => calls.push("pause all"),
    resumeAll: () => calls.push("resume all"),
    takeOver: () => calls.push("take over"),
    openChapter: (n) => calls.push(`open ${n}`),
  };
}

function render(input: Partial<QueuePanelInput> = {}, actions: QueuePanelActions = recorder()): HTMLElement {
  const { state, model, now } = midBatch();
  const el = createDiv();
  renderQueuePanel(el, { model, state, running: true, ownedHere: true, now, chapterTitles: new Map([[1, "The gate"]]), ...input }, actions);
  return el;
}

function group(el: HTMLElement, chapter: number): HTMLElement {
  // Obsidian types `find` as never null; here a missing element should fail with its name.
  const found = el.find(`.bookwright-queue-chapter[data-chapter="${chapter}"]`) as HTMLElement | null;
  if (!found) throw new Error(`no group for chapter ${chapter}`);
  return found;
}

function row(el: HTMLElement, jobId: string): HTMLElement {
  const found = el.find(`.bookwright-queue-job[data-job="${jobId}"]`) as HTMLElement | null;
  if (!found) throw new Error(`no row for ${jobId}`);
  return found;
}

function buttonIn(el: Element, text: string): HTMLButtonElement {
  const found = el.findAll("button").find((b) => b.getText() === text);
  if (!(found instanceof HTMLButtonElement)) throw new Error(`no “${text}” button in ${el.getText()}`);
  return found;
}

beforeEach(() => {
  document.body.empty();
});

describe("renderQueuePanel", () => {
  it("groups the jobs by chapter, each with its stage: brief ▸ write ▸ checks", () => {
    const el = render();
    expect(el.findAll(".bookwright-queue-chapter").map((g) => g.getAttr("data-chapter"))).toEqual(["1", "2"]);
    expect(group(el, 1).find(".bookwright-queue-chapter-link")?.getText()).toBe("Chapter 1 · The gate");
    expect(group(el, 2).find(".bookwright-queue-chapter-link")?.getText()).toBe("Chapter 2");

    const stage = (n: number) => group(el, n).find(".bookwright-queue-stage");
    expect(stage(1).getText()).toBe("Brief ▸ Write ▸ Checks");
    const steps = (n: number) => stage(n).findAll(".bookwright-queue-step").map((s) => s.getAttr("aria-label"));
    expect(steps(1)).toEqual(["Brief: done", "Write: running", "Checks: waiting"]);
    expect(steps(2)).toEqual(["Brief: done", "Write: failed", "Checks: waiting"]);

    // Chapter 2 holds its seam with chapter 1 among its checks; rows in pipeline order.
    expect(group(el, 2).findAll(".bookwright-queue-job-name").map((n) => n.getText())).toEqual([
      "Brief",
      "Write",
      "Continuity check",
      "Characters",
      "Timeline",
      "Seam with chapter 1",
    ]);
  });

  it("shows a running draft's bar from the streamed words, with words, ETA and what it is doing", () => {
    const el = render();
    const write = row(el, "write-1");
    expect(write.find(".bookwright-queue-job-state")?.getText()).toBe("Drafting");
    const bar = write.find(".bookwright-queue-bar");
    expect(bar.style.getPropertyValue("--bookwright-progress")).toBe("42%");
    expect(bar.getAttr("aria-valuenow")).toBe("42");
    // 1,260 words in 21 s: the remaining 1,740 take 29 s at that rate.
    expect(write.find(".bookwright-queue-job-detail")?.getText()).toBe("1,260 of 3,000 words · 1,700 tokens · ETA 29s");
    // Finished jobs say so, with what they cost; waiting ones wait.
    expect(row(el, "brief-1").find(".bookwright-queue-job-state")?.getText()).toBe("Done");
    expect(row(el, "brief-1").find(".bookwright-queue-job-cost")?.getText()).toBe("$0.12");
    expect(row(el, "continuity-1").find(".bookwright-queue-job-state")?.getText()).toBe("Waiting");
  });

  it("says what the batch has cost against its cap, and how far it is", () => {
    const el = render();
    expect(el.find(".bookwright-queue-title")?.getText()).toBe("The Salt Road");
    expect(el.find(".bookwright-queue-cost")?.getText()).toBe("Spent $0.28 of $5.00 cap");
    expect((el.find(".bookwright-queue-cost-bar")).style.getPropertyValue("--bookwright-progress")).toBe("6%");
    const summary = el.find(".bookwright-queue-summary").getText();
    // No check has finished yet, so how long the waiting checks take is not known.
    expect(summary).toBe("2 of 11 jobs done · 0 of 2 chapters written · 1 failed · ETA —");

    const uncapped: QueueState = { ...midBatch().state };
    delete uncapped.costCapUsd;
    const model = new ProgressModel();
    model.setState(uncapped);
    const el2 = createDiv();
    renderQueuePanel(el2, { model, state: uncapped, running: true, ownedHere: true, now: T0 }, recorder());
    expect(el2.find(".bookwright-queue-cost")?.getText()).toBe("Spent $0.28 · no cost cap");
    expect(el2.find(".bookwright-queue-cost-bar")).toBeNull();
  });

  it("explains a failure in plain words with what to do, and holds back what depends on it", () => {
    const el = render();
    const failures = el.find(".bookwright-queue-failures");
    expect(failures.find(".bookwright-queue-section-title")?.getText()).toBe("1 job failed");
    expect(failures.find(".bookwright-queue-failure-job")?.getText()).toBe("Write, chapter 2");
    expect(failures.find(".bookwright-queue-failure-reason")?.getText()).toBe("The model service is overloaded — run again in a few minutes");
    expect(row(el, "continuity-2").find(".bookwright-queue-job-state")?.getText()).toBe("Blocked: the write of chapter 2 failed");
  });

  it("says a refused key is fixed in the settings, not in an environment variable", () => {
    const { state, model, now } = midBatch();
    model.apply({ type: "job:failed", jobId: "write-2", kind: "write", chapter: 2, error: { kind: "auth", message: "invalid x-api-key" } }, now);
    const el = createDiv();
    renderQueuePanel(el, { model, state, running: true, ownedHere: true, now }, recorder());
    expect(el.find(".bookwright-queue-failure-reason")?.getText()).toBe("The API key was refused — choose a valid key in Bookwright's settings, then retry.");
  });

  it("calls the actions from its buttons and chapter links", () => {
    const actions = recorder();
    const el = render({}, actions);
    buttonIn(row(el, "write-1"), "Cancel").click();
    buttonIn(el.find(".bookwright-queue-failures"), "Retry").click();
    buttonIn(el.find(".bookwright-queue-failures"), "Cancel").click();
    buttonIn(el.find(".bookwright-queue-controls"), "Pause all").click();
    buttonIn(el.find(".bookwright-queue-controls"), "Cancel all").click();
    (group(el, 1).find(".bookwright-queue-chapter-link")).click();
    expect(actions.calls).toEqual(["cancel write-1", "retry write-2", "cancel write-2", "pause all", "cancel all", "open 1"]);
    // Done jobs have nothing to press.
    expect(row(el, "brief-1").findAll("button")).toEqual([]);
  });

  it("shows a pause in plain words, with Resume all instead of Pause all", () => {
    const { state, model, now } = midBatch();
    model.apply({ type: "queue:paused", reason: PAUSE_COST_CAP }, now);
    const actions = recorder();
    const el = createDiv();
    renderQueuePanel(el, { model, state, running: false, ownedHere: true, now }, actions);
    expect(el.find(".bookwright-queue-paused")?.getText()).toBe("Paused: cost cap of $5.00 reached — raise the cap, then run again");
    expect(el.find(".bookwright-queue-summary")?.getText()).toMatch(/ · Paused$/);
    expect(el.findAll(".bookwright-queue-controls button").map((b) => b.getText())).toEqual(["Resume all", "Cancel all"]);
    buttonIn(el.find(".bookwright-queue-controls"), "Resume all").click();
    expect(actions.calls).toEqual(["resume all"]);
  });

  it("offers to take over a batch owned by another device, and no button that would run it here", () => {
    const actions = recorder();
    const el = render({ ownedHere: false, running: false, state: { ...midBatch().state, deviceId: "obsidian-laptop" } }, actions);
    const notice = el.find(".bookwright-queue-other-device");
    expect(notice.getText()).toContain("started on another device (obsidian-laptop) and runs only there");
    expect(el.find(".bookwright-queue-summary")?.getText()).toMatch(/ · Running on another device$/);
    expect(el.findAll("button").map((b) => b.getText())).toEqual(["Take over"]);
    buttonIn(notice, "Take over").click();
    expect(actions.calls).toEqual(["take over"]);
  });

  it("says so when the book has no batch", () => {
    const el = createDiv();
    renderQueuePanel(el, { model: new ProgressModel(), state: null, running: false, ownedHere: true, now: T0 }, recorder());
    expect(el.find(".bookwright-queue-empty")?.getText()).toMatch(/^No batch for this book yet/);
    expect(el.findAll(".bookwright-queue-chapter")).toEqual([]);
  });

  it("shows a finished batch as done, with nothing left to pause or cancel", () => {
    let state = buildBatch({ batchId: "b2", bookFolder: "Book", deviceId: "d", chapters: [3], mode: "sequential", now: T0 });
    for (const [i, job] of state.jobs.entries()) state = done(state, job.id, T0 + i * 3000, 0.01);
    const model = new ProgressModel();
    model.setState(state);
    const el = createDiv();
    renderQueuePanel(el, { model, state, running: false, ownedHere: true, now: T0 + 60_000 }, recorder());
    expect(el.find(".bookwright-queue-summary")?.getText()).toBe("5 of 5 jobs done · 1 of 1 chapters written · Done");
    expect(el.find(".bookwright-queue-controls")).toBeNull();
    expect(el.find(".bookwright-queue-stage")?.findAll('[data-state="done"]')).toHaveLength(3);
  });
});
