// @vitest-environment happy-dom
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../manifest.json";
import { withTimelineSection } from "../../shared/queue/book-notes";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { ObsidianVault } from "../vault/obsidian-vault";
import { registerTimelineView, TIMELINE_VIEW_TYPE, TimelineView } from "./timeline-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

const CH1 = "B/Chapters/01 Letter.md";
const CH2 = "B/Chapters/02 Storm.md";
const CH3 = "B/Chapters/03 Inn.md";

function timelineNote(): string {
  let body = "# Timeline\n";
  body = withTimelineSection(body, 1, CH1, [
    { when: "1 November 1893, morning", what: "Jon brings the letter", who: ["Jon", "Mara"], order: 0 },
    { when: "1 November 1893, evening", what: "Mara is at the lighthouse", who: ["Mara"], order: 1 },
  ]);
  body = withTimelineSection(body, 2, CH2, [
    { when: "Late October", what: "The storm wrecks the boat", who: ["Jon"], order: 0 },
    { when: "1870, a memory", what: "The light is lit for the first time", who: [], order: 1 },
  ]);
  body = withTimelineSection(body, 3, CH3, [{ when: "1 November 1893, evening", what: "Mara sups at the inn", who: ["Mara"], order: 0 }]);
  return `---\nbookwright: timeline\n---\n${body}`;
}

class HostPlugin extends Plugin {}

async function openTimeline(notes: Record<string, string>, active: string): Promise<{ app: StubApp; view: TimelineView; plugin: HostPlugin; vault: ObsidianVault }> {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(notes)) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  registerTimelineView(plugin, { vault });
  app.workspace.setActiveFile(app.vault.getFileByPath(active));
  const leaf = app.workspace.getRightLeaf(false) as unknown as StubLeaf;
  await leaf.setViewState({ type: TIMELINE_VIEW_TYPE });
  const view = leaf.view as unknown as TimelineView;
  await view.whenIdle();
  return { app, view, plugin, vault };
}

const NOTES: Record<string, string> = {
  "B/Book.md": "---\nbookwright: book\ntitle: Skerry Light\n---\n",
  [CH1]: "---\nbookwright: chapter\nchapter: 1\ntitle: Letter\n---\nText.\n",
  [CH2]: "---\nbookwright: chapter\nchapter: 2\ntitle: Storm\n---\nText.\n",
  [CH3]: "---\nbookwright: chapter\nchapter: 3\ntitle: Inn\n---\nText.\n",
  "B/Timeline.md": timelineNote(),
};

const whats = (view: TimelineView) => view.contentEl.findAll(".bookwright-timeline-event .bookwright-timeline-what").map((e) => e.getText());

describe("the timeline view", () => {
  it("shows the events in story order first, and in chapter order on request", async () => {
    const { view, plugin } = await openTimeline(NOTES, CH2);
    expect(plugin.commands.map((c) => c.name)).toEqual(["Bookwright: Open timeline"]);
    expect(whats(view)).toEqual(["The light is lit for the first time", "The storm wrecks the boat", "Jon brings the letter", "Mara is at the lighthouse", "Mara sups at the inn"]);
    (view.contentEl.find(".bookwright-order-chapter")).click();
    expect(whats(view)).toEqual(["Jon brings the letter", "Mara is at the lighthouse", "The storm wrecks the boat", "The light is lit for the first time", "Mara sups at the inn"]);
    expect(view.contentEl.findAll(".bookwright-timeline-chapter").map((h) => h.getText())).toEqual(["Chapter 1: Letter", "Chapter 2: Storm", "Chapter 3: Inn"]);
    expect(view.contentEl.find(".bookwright-order-chapter")?.hasClass("bookwright-active")).toBe(true);
  });

  it("highlights contradictions with their reason, and marks flashbacks", async () => {
    const { view } = await openTimeline(NOTES, CH1);
    const flagged = view.contentEl.findAll(".bookwright-timeline-conflict");
    expect(flagged.map((e) => e.find(".bookwright-timeline-what")?.getText())).toEqual(["The storm wrecks the boat", "Mara sups at the inn"]);
    expect(flagged.map((e) => e.find(".bookwright-timeline-reason")?.getText())).toEqual([
      '"Late October" (chapter 2) is before "1 November 1893, evening" (chapter 1), but is not marked as a flashback.',
      'Mara is in two places at the same time ("1 November 1893, evening"): "inn" here and "lighthouse" in chapter 1.',
    ]);
    expect(view.contentEl.findAll(".bookwright-timeline-flashback .bookwright-timeline-what").map((e) => e.getText())).toEqual(["The light is lit for the first time"]);
    expect(view.contentEl.find(".bookwright-timeline-toolbar .bookwright-muted")?.getText()).toBe("5 events, 2 possible contradictions");
  });

  it("links each event to its chapter", async () => {
    const { app, view } = await openTimeline(NOTES, CH1);
    const links = view.contentEl.findAll(".bookwright-timeline-chapter-link");
    expect(links.map((a) => a.getText())).toEqual(["Chapter 2", "Chapter 2", "Chapter 1", "Chapter 1", "Chapter 3"]);
    links[4]!.click();
    expect(app.workspace.openedLinks).toEqual([{ linktext: CH3, sourcePath: "B/Timeline.md" }]);
  });

  it("says so when the book has no timeline yet, and shows it once the timeline note is there", async () => {
    const { view, vault } = await openTimeline({ ...NOTES, "B/Timeline.md": "No kind here.\n" }, CH1);
    expect(view.contentEl.find(".bookwright-empty")?.getText()).toBe("This book has no timeline yet.");
    await vault.write("B/Timeline.md", timelineNote());
    await view.reload();
    expect(whats(view)).toHaveLength(5);
  });
});
