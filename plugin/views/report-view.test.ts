// @vitest-environment happy-dom
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import manifest from "../../manifest.json";
import type { ContinuityReport } from "../../shared/agents/schemas";
import { renderReportBody } from "../../shared/queue/book-notes";
import { findingKey } from "../../shared/queue/report-model";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { ObsidianVault } from "../vault/obsidian-vault";
import { registerReportView, REPORT_VIEW_TYPE, ReportView } from "./report-view";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Notice.reset();
});

const CHAPTER = "Book/Chapters/03 Boat.md";
const REPORT = "Book/Reports/03 Boat.md";
const EARLIER = "Book/Chapters/01 Storm.md";

const report: ContinuityReport = {
  overall: "fail",
  findings: [
    {
      severity: "error",
      category: "character",
      quote: "Mara's green eyes narrowed.",
      where: "the supply boat scene",
      why: "Her eyes are grey in chapter 1.",
      earlierFact: { chapter: 1, quote: "Mara looked at him with her grey eyes." },
      suggestedFix: 'Change "green" to "grey".',
    },
    {
      severity: "warning",
      category: "knowledge",
      quote: '"I never opened it," she said.',
      where: "the lamp room",
      why: "She read it aloud in chapter 2.",
      suggestedFix: "Have her admit it.",
    },
  ],
  summary: "Jon brings the letter.",
};

// CRLF, a writer's key with a comment, and a block id on the second paragraph: all must survive.
const CHAPTER_TEXT = "---\r\nbookwright: chapter\r\nchapter: 3\r\ntitle: Boat # the supply boat\r\n---\r\nThe boat came late.\r\n\r\nMara\u2019s green eyes narrowed.\r\n\r\n\u201cI never opened it,\u201d she said. ^lamp\r\n";
const REPORT_TEXT = `---\nbookwright: continuity-report\nchapter: 3\noverall: fail\ntags: [checked]  # mine\n---\n${renderReportBody(3, CHAPTER, report, [])}`;

const NOTES: Record<string, string> = {
  "Book/Book.md": "---\nbookwright: book\ntitle: Skerry Light\n---\n",
  [EARLIER]: "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nMara looked at him with her grey eyes.\n",
  [CHAPTER]: CHAPTER_TEXT,
  [REPORT]: REPORT_TEXT,
};

class HostPlugin extends Plugin {}

async function setup(active: string): Promise<{ app: StubApp; vault: ObsidianVault; plugin: HostPlugin }> {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
  const plugin = new HostPlugin(app, manifest);
  registerReportView(plugin, { vault });
  app.workspace.setActiveFile(app.vault.getFileByPath(active));
  return { app, vault, plugin };
}

async function openView(app: StubApp): Promise<ReportView> {
  const leaf = app.workspace.getRightLeaf(false) as unknown as StubLeaf;
  await leaf.setViewState({ type: REPORT_VIEW_TYPE, active: true });
  const view = leaf.view as unknown as ReportView;
  await view.whenIdle();
  return view;
}

/** Lets click handlers' vault work finish (the stand-in does promise work only), then any reload. */
async function settle(view: ReportView): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => window.setTimeout(resolve, 0));
  await view.whenIdle();
}

function cards(view: ReportView): HTMLElement[] {
  return view.contentEl.findAll(".bookwright-finding");
}

function button(card: HTMLElement, text: string): HTMLButtonElement {
  const found = (card.findAll("button") as HTMLButtonElement[]).find((b) => b.getText() === text);
  if (!found) throw new Error(`no "${text}" button in the card`);
  return found;
}

describe("the continuity report view", () => {
  it("shows a card per finding for the chapter that is open, with the quote, why, earlier fact and fix", async () => {
    const { app } = await setup(CHAPTER);
    const view = await openView(app);
    const [first, second] = cards(view);
    expect(cards(view)).toHaveLength(2);
    expect(first!.hasClass("bookwright-finding-error")).toBe(true);
    expect(first!.find(".bookwright-badge")?.getText()).toBe("Error");
    expect(first!.find(".bookwright-finding-category")?.getText()).toBe("Character");
    expect(first!.find(".bookwright-finding-where")?.getText()).toBe("the supply boat scene, line 3");
    expect(first!.find(".bookwright-finding-quote")?.getText()).toBe("Mara's green eyes narrowed.");
    expect(first!.find(".bookwright-finding-why")?.getText()).toBe("Her eyes are grey in chapter 1.");
    expect(first!.find(".bookwright-finding-earlier")?.getText()).toBe("Earlier, in chapter 1: \u201cMara looked at him with her grey eyes.\u201d");
    expect(first!.find(".bookwright-finding-fix")?.getText()).toBe('Suggested fix: Change "green" to "grey".');
    // Only a fix with new wording can be proposed; the other finding offers the passage only.
    expect(first!.find(".bookwright-propose")).not.toBeNull();
    expect(second!.find(".bookwright-propose")).toBeNull();
  });

  it("opens the same report from the report note, and through the command", async () => {
    const { app, plugin } = await setup(REPORT);
    plugin.commands.find((c) => c.id.endsWith("open-continuity-report"))!.callback!();
    await new Promise((resolve) => window.setTimeout(resolve, 0));
    const view = (app.workspace.getLeavesOfType(REPORT_VIEW_TYPE)[0] as unknown as StubLeaf).view as unknown as ReportView;
    await settle(view);
    expect(cards(view)).toHaveLength(2);
    expect(plugin.commands.map((c) => c.name)).toEqual(["Bookwright: Open continuity report"]);
  });

  it("says so when the chapter has no report yet, and keeps the report when a note of another kind opens", async () => {
    const { app } = await setup(EARLIER);
    const view = await openView(app);
    expect(view.contentEl.find(".bookwright-empty")?.getText()).toBe("Chapter 1 has no continuity report yet.");
    app.workspace.trigger("file-open", app.vault.getFileByPath(CHAPTER));
    await settle(view);
    expect(cards(view)).toHaveLength(2);
    app.workspace.trigger("file-open", app.vault.getFileByPath("Book/Book.md"));
    await settle(view);
    expect(cards(view)).toHaveLength(2);
  });

  it("opens the passage: at the paragraph's own block id, else at its line, and the earlier chapter", async () => {
    const { app } = await setup(CHAPTER);
    const view = await openView(app);
    const [first, second] = cards(view);
    button(first!, "Open passage").click();
    button(second!, "Open passage").click();
    (first!.find(".bookwright-finding-earlier a")).click();
    await settle(view);
    expect(app.workspace.openedLinks).toEqual([
      { linktext: CHAPTER, sourcePath: REPORT },
      { linktext: `${CHAPTER}#^lamp`, sourcePath: REPORT },
      { linktext: EARLIER, sourcePath: REPORT },
    ]);
    // Looking writes nothing.
    expect(await app.vault.read(app.vault.getFileByPath(CHAPTER)!)).toBe(CHAPTER_TEXT);
    // Opening chapter 1 from the report does not swap the report for chapter 1's (it has none).
    app.workspace.trigger("file-open", app.vault.getFileByPath(EARLIER));
    await settle(view);
    expect(cards(view)).toHaveLength(2);
  });

  it("dismisses into the report's `dismissed` key only, hides the card, shows it on request, and remembers it", async () => {
    const { app, vault } = await setup(CHAPTER);
    const view = await openView(app);
    button(cards(view)[1]!, "Dismiss").click();
    await settle(view);
    const key = findingKey(report.findings[1]!);
    const after = await vault.read(REPORT);
    expect(after).toBe(REPORT_TEXT.replace("tags: [checked]  # mine\n", `tags: [checked]  # mine\ndismissed:\n  - ${key}\n`));
    expect(cards(view)).toHaveLength(1);

    const toggle = view.contentEl.find(".bookwright-show-dismissed") as HTMLInputElement;
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change"));
    expect(cards(view)).toHaveLength(2);
    expect(cards(view)[1]!.hasClass("bookwright-dismissed")).toBe(true);

    // Closed and opened again: still dismissed. Restoring takes the key away again.
    (view.leaf as unknown as StubLeaf).detach();
    const again = await openView(app);
    expect(cards(again).map((c) => c.getAttr("data-key"))).toEqual([findingKey(report.findings[0]!)]);
    const box = again.contentEl.find(".bookwright-show-dismissed") as HTMLInputElement;
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    button(cards(again)[1]!, "Restore").click();
    await settle(again);
    expect(await vault.read(REPORT)).toBe(REPORT_TEXT);
  });

  it("proposes a fix as a word diff, and accepting changes exactly the replaced words", async () => {
    const { app, vault } = await setup(CHAPTER);
    const view = await openView(app);
    button(cards(view)[0]!, "Propose fix").click();
    const diff = cards(view)[0]!.find(".bookwright-diff");
    expect(diff.getText()).toBe("greengrey");
    expect(diff.find("del")?.getText()).toBe("green");
    expect(diff.find("ins")?.getText()).toBe("grey");

    button(cards(view)[0]!, "Reject").click();
    expect(cards(view)[0]!.find(".bookwright-diff")).toBeNull();

    button(cards(view)[0]!, "Propose fix").click();
    button(cards(view)[0]!, "Accept").click();
    await settle(view);
    expect(await vault.read(CHAPTER)).toBe(CHAPTER_TEXT.replace("green eyes", "grey eyes"));
    expect(await vault.read(REPORT)).toBe(REPORT_TEXT);
    expect(Notice.messages).toEqual(["Chapter 3: fix applied."]);
    // The passage changed, so there is nothing left to propose for it.
    expect(cards(view)[0]!.find(".bookwright-propose")).toBeNull();
  });

  it("refuses to apply a fix once the chapter no longer holds the passage exactly, and says so", async () => {
    const { app, vault } = await setup(CHAPTER);
    const view = await openView(app);
    button(cards(view)[0]!, "Propose fix").click();
    // The writer edits the sentence while the proposal is open.
    const edited = CHAPTER_TEXT.replace("eyes narrowed", "eyes closed");
    await vault.write(CHAPTER, edited);
    button(cards(view)[0]!, "Accept").click();
    await settle(view);
    expect(await vault.read(CHAPTER)).toBe(edited);
    expect(cards(view)[0]!.find(".bookwright-proposal-note")?.getText()).toBe("Chapter 3 no longer contains the quoted passage exactly, so nothing was changed.");
  });
});
