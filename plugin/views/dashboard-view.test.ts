// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../../manifest.json";
import type { QueueState } from "../../shared/queue/jobs";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import type { ControllerEvent } from "../queue/queue-controller";
import { ObsidianVault } from "../vault/obsidian-vault";
import { DASHBOARD_VIEW_TYPE, DashboardView, registerDashboard, type DashboardController } from "./dashboard-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Notice.reset();
  // Only the view's debounce timers are faked; promise work (the stand-in's vault) runs as usual.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.useRealTimers();
});

const NOTES: Record<string, string> = {
  "Lighthouse/Book.md": "---\nbookwright: book\ntitle: The Lighthouse Keeper\ntarget_words: 1000\nplanned_chapters: 2\n---\n",
  // 9 words.
  "Lighthouse/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\nstatus: written\n---\nThe storm came in from the west before dawn.\n",
  // 11 words.
  "Lighthouse/Chapters/02 Supply boat.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Supply boat\n---\nNo boat came that week, and the lamp oil ran low.\n",
  "Harbour/Book.md": "---\nbookwright: book\ntitle: Harbour Lights\n---\n",
  "Harbour/Chapters/01 Arrival.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Arrival\n---\nShe came in on the night ferry.\n",
  "Inbox/Errands.md": "Buy lamp oil.\n",
};

class HostPlugin extends Plugin {}

/** A controller with a settable saved state, whose events the test fires. */
class FakeController implements DashboardController {
  saved: QueueState | null = null;
  running = false;
  readonly listeners = new Set<(event: ControllerEvent) => void>();

  subscribe(listener: (event: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): Promise<QueueState | null> {
    return Promise.resolve(this.saved);
  }

  isRunning(): boolean {
    return this.running;
  }

  emit(event: ControllerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function batch(): QueueState {
  const job = { dependsOn: [], attempts: 1, idempotencyKey: "k", priority: 0 };
  return {
    version: 1,
    batchId: "b1",
    bookFolder: "Lighthouse",
    deviceId: "this-device",
    mode: "sequential",
    createdAt: 0,
    jobs: [
      { ...job, id: "write-1", kind: "write", chapter: 1, state: "succeeded", costUsd: 0.5 },
      { ...job, id: "write-2", kind: "write", chapter: 2, state: "running", costUsd: 0.25 },
    ],
  };
}

async function setUp(active: string | null = "Lighthouse/Chapters/02 Supply boat.md") {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
  const controller = new FakeController();
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerDashboard(plugin, { vault, controller });
  app.workspace.setActiveFile(active === null ? null : app.vault.getFileByPath(active));
  return { app, vault, controller, plugin };
}

function command(plugin: HostPlugin): Command {
  const found = plugin.commands.find((c) => c.id === "bookwright:open-dashboard");
  if (!found?.callback) throw new Error("no Open dashboard command");
  return found;
}

/** Runs the debounce timers out, then lets the stand-in's promise-only work finish. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(1_000);
  await new Promise((resolve) => setImmediate(resolve));
}

async function openDashboard(app: StubApp, plugin: HostPlugin): Promise<DashboardView> {
  command(plugin).callback!();
  await settle();
  const leaves = app.workspace.getLeavesOfType(DASHBOARD_VIEW_TYPE) as unknown as StubLeaf[];
  expect(leaves).toHaveLength(1);
  return leaves[0]!.view as unknown as DashboardView;
}

const cellLabels = (view: DashboardView) => view.contentEl.findAll(".bookwright-chapter-cell").map((c) => c.getAttr("aria-label"));

describe("the dashboard view", () => {
  it("opens in the main area with the book of the active note, and no default hotkey", async () => {
    const { app, plugin } = await setUp();
    expect(command(plugin)).not.toHaveProperty("hotkeys");
    const view = await openDashboard(app, plugin);
    expect((app.workspace.getLeavesOfType(DASHBOARD_VIEW_TYPE)[0] as unknown as StubLeaf).side).toBe("main");
    expect(view.bookFolder).toBe("Lighthouse");
    expect(view.contentEl.find(".bookwright-dashboard-title")?.getText()).toBe("The Lighthouse Keeper");
    expect(cellLabels(view)).toEqual(["Chapter 1, Storm: written, 9 words", "Chapter 2, Supply boat: not started, 11 words"]);
  });

  it("shows the one dashboard again instead of opening a second", async () => {
    const { app, plugin } = await setUp();
    await openDashboard(app, plugin);
    command(plugin).callback!();
    await settle();
    expect(app.workspace.getLeavesOfType(DASHBOARD_VIEW_TYPE)).toHaveLength(1);
  });

  it("redraws once, after a burst of changes to the book's notes settles", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await openDashboard(app, plugin);
    const list = vi.spyOn(vault, "list");
    await vault.process("Lighthouse/Chapters/01 Storm.md", (text) => text.replace("before dawn.", "before dawn, and the glass fell all morning."));
    await vault.process("Lighthouse/Chapters/01 Storm.md", (text) => text.replace("status: written", "status: verified"));
    await vault.write("Lighthouse/Chapters/03 Lamp room.md", "---\nbookwright: chapter\nchapter: 3\ntitle: Lamp room\n---\nThe lamp turned.\n");
    // Debounced: nothing is read before the delay has passed.
    expect(list).not.toHaveBeenCalled();
    await settle();
    expect(list).toHaveBeenCalledTimes(1);
    expect(cellLabels(view)).toEqual([
      "Chapter 1, Storm: verified, 15 words",
      "Chapter 2, Supply boat: not started, 11 words",
      "Chapter 3, Lamp room: not started, 3 words",
    ]);
  });

  it("ignores changes outside the book", async () => {
    const { app, vault, plugin } = await setUp();
    await openDashboard(app, plugin);
    const list = vi.spyOn(vault, "list");
    await vault.write("Inbox/Errands.md", "Buy lamp oil and wicks.\n");
    await vault.write("Harbour/Chapters/01 Arrival.md", "---\nbookwright: chapter\nchapter: 1\n---\nLate.\n");
    await settle();
    expect(list).not.toHaveBeenCalled();
  });

  it("sees a chapter renamed out of the book", async () => {
    const { app, vault, plugin } = await setUp();
    const view = await openDashboard(app, plugin);
    await vault.rename("Lighthouse/Chapters/02 Supply boat.md", "Inbox/Supply boat.md");
    await settle();
    expect(cellLabels(view)).toEqual(["Chapter 1, Storm: written, 9 words"]);
  });

  it("shows the queue's cost and running chapters when the controller saves a state of this book", async () => {
    const { app, plugin, controller } = await setUp();
    const view = await openDashboard(app, plugin);
    expect(view.contentEl.find(".bookwright-dashboard-cost")?.getText()).toBe("Spent on AI for this book: $0.00");
    controller.saved = batch();
    controller.running = true;
    controller.emit({ type: "state", bookFolder: "Lighthouse", state: controller.saved, running: true });
    await settle();
    expect(view.contentEl.find(".bookwright-dashboard-cost")?.getText()).toBe("Spent on AI for this book: $0.75");
    expect(view.contentEl.findAll(".bookwright-chapter-cell.bookwright-running").map((c) => c.find(".bookwright-chapter-number")?.getText())).toEqual(["2"]);
  });

  it("does not mark jobs running when this device is not running the batch", async () => {
    const { app, plugin, controller } = await setUp();
    controller.saved = batch();
    const view = await openDashboard(app, plugin);
    expect(view.contentEl.findAll(".bookwright-chapter-cell.bookwright-running")).toEqual([]);
  });

  it("follows the writer into another book, and stays put for a note in no book", async () => {
    const { app, plugin } = await setUp();
    const view = await openDashboard(app, plugin);
    const open = (path: string) => {
      const file = app.vault.getFileByPath(path);
      app.workspace.setActiveFile(file);
      app.workspace.trigger("file-open", file);
    };
    open("Inbox/Errands.md");
    await settle();
    expect(view.bookFolder).toBe("Lighthouse");
    open("Harbour/Chapters/01 Arrival.md");
    await settle();
    expect(view.bookFolder).toBe("Harbour");
    expect(view.contentEl.find(".bookwright-dashboard-title")?.getText()).toBe("Harbour Lights");
  });

  it("opens a chapter when its cell is clicked", async () => {
    const { app, plugin } = await setUp();
    const view = await openDashboard(app, plugin);
    (view.contentEl.findAll(".bookwright-chapter-cell")[0] as HTMLElement).click();
    await settle();
    const opened = (app.workspace as unknown as { leaves: { all: StubLeaf[] } }).leaves.all.map((l) => l.openedFile?.path).filter(Boolean);
    expect(opened).toEqual(["Lighthouse/Chapters/01 Storm.md"]);
  });

  it("asks for a book note when none is open", async () => {
    const { app, plugin } = await setUp("Inbox/Errands.md");
    const view = await openDashboard(app, plugin);
    expect(view.bookFolder).toBeNull();
    expect(view.contentEl.getText()).toBe("Open a note of a book to see its dashboard.");
  });

  it("says so in the view when the book cannot be read", async () => {
    const { app, vault, plugin } = await setUp();
    vi.spyOn(vault, "list").mockRejectedValueOnce(new Error("the disk went away"));
    const view = await openDashboard(app, plugin);
    expect(view.contentEl.find(".bookwright-dashboard-error")?.getText()).toBe("Could not read the book in Lighthouse: the disk went away");
  });

  it("stops listening once closed", async () => {
    const { app, vault, plugin, controller } = await setUp();
    const view = await openDashboard(app, plugin);
    (app.workspace.getLeavesOfType(DASHBOARD_VIEW_TYPE)[0] as unknown as StubLeaf).detach();
    await settle();
    expect(controller.listeners.size).toBe(0);
    const list = vi.spyOn(vault, "list");
    await vault.write("Lighthouse/Chapters/01 Storm.md", "---\nbookwright: chapter\nchapter: 1\n---\nGone.\n");
    await settle();
    expect(list).not.toHaveBeenCalled();
    expect(view.contentEl.childElementCount).toBe(0);
  });
});
