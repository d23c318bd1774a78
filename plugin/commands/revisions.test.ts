// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../../manifest.json";
import type { DiffResponse, RestoreResponse, RevisionSummary } from "../../shared/companion-api/api";
import { NoteRevisions, type Revision, type RevisionInfo, type Revisions } from "../../shared/queue/revisions";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Modal, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import { ObsidianVault } from "../vault/obsidian-vault";
import { CompanionError } from "../local-service/client";
import {
  companionRestoreLabel,
  deltaText,
  foldUnchanged,
  oldestText,
  reasonText,
  registerRevisionCommands,
  restoreRevision,
  RevisionsModal,
  RESTORE_JOB,
  revisionTime,
  sourceText,
  wordsText,
  type CompanionRevisions,
} from "./revisions";

beforeAll(() => {
  installObsidianDomHelpers(window);
});

beforeEach(() => {
  Modal.reset();
  Notice.reset();
});

class HostPlugin extends Plugin {}

const STORM = "Lighthouse/Chapters/01 Storm.md";
const HEAD = "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\nstatus: written\n---\n";
/** 5 words: the writer's current text. */
const CURRENT = `${HEAD}The storm came at dawn.\n`;
/** 3 words: the text before the AI's draft, kept as the whole note as it was. */
const BEFORE_AI = "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\nstatus: brief_complete\n---\nA storm, maybe.\n";
/** 9 words: the AI draft, kept as the body. */
const AI_DRAFT = "The storm came in from the west before dawn.\n";

const T0 = Date.parse("2026-03-01T09:00:00Z");

async function setUp(companion?: () => CompanionRevisions | null) {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  await vault.write("Lighthouse/Book.md", "---\nbookwright: book\ntitle: The Lighthouse Keeper\n---\n");
  await vault.write(STORM, CURRENT);
  await vault.write("Inbox/Errands.md", "Buy lamp oil.\n");
  const revisions = new NoteRevisions(vault, "Lighthouse");
  await revisions.save({ notePath: STORM, text: BEFORE_AI, reason: "before-ai-write", jobId: "write-1", at: T0 });
  await revisions.save({ notePath: STORM, text: AI_DRAFT, reason: "ai-output", jobId: "write-1", at: T0 + 60_000 });
  const plugin = new HostPlugin(app, manifest);
  plugin.load();
  registerRevisionCommands(plugin, { vault, now: () => T0 + 3_600_000, ...(companion ? { companion } : {}) });
  return { app, vault, plugin, revisions };
}

function command(plugin: HostPlugin): Command {
  const found = plugin.commands.find((c) => c.id === "bookwright:show-chapter-revisions");
  if (!found?.checkCallback) throw new Error("no Show revisions command");
  return found;
}

function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function openModal(app: StubApp, plugin: HostPlugin): Promise<RevisionsModal> {
  app.workspace.setActiveFile(app.vault.getFileByPath(STORM));
  expect(command(plugin).checkCallback!(false)).toBe(true);
  expect(Modal.showing).toHaveLength(1);
  const modal = Modal.showing[0] as unknown as RevisionsModal;
  await modal.rendered;
  return modal;
}

/** The stand-in's modals and the plugin's (typed against Obsidian's Modal) alike. */
type AnyModal = { contentEl: unknown };
const content = (modal: AnyModal) => modal.contentEl as HTMLElement;
const rows = (modal: AnyModal) => content(modal).findAll(".bookwright-revision");
const descriptions = (modal: AnyModal) => rows(modal).map((r) => r.find(".setting-item-description")?.getText());

function press(el: HTMLElement, label: string): void {
  const button = el.findAll("button").find((b) => b.getText() === label);
  if (!button) throw new Error(`no button ${label}`);
  button.click();
}

describe("the Show revisions of this chapter command", () => {
  it("is offered for a chapter of a book only, with no default hotkey", async () => {
    const { app, plugin } = await setUp();
    expect(command(plugin)).not.toHaveProperty("hotkeys");
    const offered = (path: string | null) => {
      app.workspace.setActiveFile(path === null ? null : app.vault.getFileByPath(path));
      return command(plugin).checkCallback!(true);
    };
    expect(offered(STORM)).toBe(true);
    expect(offered("Lighthouse/Book.md")).toBe(false);
    expect(offered("Inbox/Errands.md")).toBe(false);
    expect(offered(null)).toBe(false);
    // A revision note is not a chapter.
    expect(offered(`Lighthouse/Revisions/01 Storm/${new Date(T0).toISOString().replace(/:/g, "-")} before-ai-write.md`)).toBe(false);
  });

  it("lists the chapter's revisions newest first, with the reason and the words against now", async () => {
    const { app, plugin } = await setUp();
    const modal = await openModal(app, plugin);
    expect(modal.titleEl.getText()).toBe("Revisions of 01 Storm");
    expect(content(modal).find("p")?.getText()).toBe("Newest first. The chapter has 5 words now.");
    expect(descriptions(modal)).toEqual(["AI draft · 9 words, 4 more than now", "Before an AI write · 3 words, 2 fewer than now"]);
    const names = rows(modal).map((r) => r.find(".setting-item-name")?.getText() ?? "");
    expect(names.every((n) => n.length > 0)).toBe(true);
  });

  it("opens a revision note", async () => {
    const { app, plugin } = await setUp();
    const modal = await openModal(app, plugin);
    press(rows(modal)[1]!, "Open");
    await settled();
    expect(Modal.showing).toEqual([]);
    const opened = app.workspace.leaves.all.flatMap((l) => (l.openedFile ? [l.openedFile.path] : []));
    expect(opened).toEqual([`Lighthouse/Revisions/01 Storm/${new Date(T0).toISOString().replace(/:/g, "-")} before-ai-write.md`]);
  });

  it("restores after confirming, keeping the chapter's properties and its text before the restore", async () => {
    const { app, vault, plugin, revisions } = await setUp();
    const modal = await openModal(app, plugin);
    press(rows(modal)[1]!, "Restore");
    expect(Modal.showing).toHaveLength(2);
    const confirm = Modal.showing[1]!;
    expect((confirm.titleEl as unknown as HTMLElement).getText()).toBe("Restore this revision?");
    press(content(confirm), "Restore");
    await settled();
    await modal.rendered;
    // The body of the revision (which kept the whole note) under today's frontmatter.
    expect(await vault.read(STORM)).toBe(`${HEAD}A storm, maybe.\n`);
    const kept = await revisions.list(STORM);
    expect(kept.map((r) => [r.reason, r.jobId])).toEqual([
      ["before-ai-write", "write-1"],
      ["ai-output", "write-1"],
      ["before-ai-write", RESTORE_JOB],
    ]);
    expect(kept[2]!.text).toBe(CURRENT);
    expect(Notice.messages).toHaveLength(1);
    expect(Notice.messages[0]).toMatch(/^Restored the revision from .+\. The text it replaced is kept as a revision\.$/);
    // The list is drawn again, with the text the restore replaced on top.
    expect(descriptions(modal)).toEqual([
      "Before a restore · 5 words, 2 more than now",
      "AI draft · 9 words, 6 more than now",
      "Before an AI write · 3 words, as many as now",
    ]);
  });

  it("changes nothing when the restore is cancelled", async () => {
    const { app, vault, plugin, revisions } = await setUp();
    const modal = await openModal(app, plugin);
    press(rows(modal)[0]!, "Restore");
    press(content(Modal.showing[1]!), "Cancel");
    await settled();
    expect(Modal.showing).toEqual([modal]);
    expect(await vault.read(STORM)).toBe(CURRENT);
    expect(await revisions.list(STORM)).toHaveLength(2);
  });

  it("says so when the chapter has no revisions", async () => {
    const { app, vault, plugin } = await setUp();
    await vault.write("Lighthouse/Chapters/02 Boat.md", "---\nbookwright: chapter\nchapter: 2\n---\nNo boat.\n");
    app.workspace.setActiveFile(app.vault.getFileByPath("Lighthouse/Chapters/02 Boat.md"));
    command(plugin).checkCallback!(false);
    const modal = Modal.showing[0] as unknown as RevisionsModal;
    await modal.rendered;
    expect(content(modal).getText()).toContain("No revisions of this chapter yet.");
  });
});

describe("restoreRevision", () => {
  it("keeps the writer's Windows line endings and BOM", async () => {
    const { vault, revisions } = await setUp();
    await vault.write(STORM, "\uFEFF---\r\nbookwright: chapter\r\n---\r\nNew text.\r\n");
    const [before] = await revisions.list(STORM);
    expect(await restoreRevision(vault, revisions, STORM, before!, T0)).toBe("restored");
    expect(await vault.read(STORM)).toBe("\uFEFF---\r\nbookwright: chapter\r\n---\r\nA storm, maybe.\r\n");
  });

  it("writes nothing, and keeps no revision, when the chapter already holds that text", async () => {
    const { vault, revisions } = await setUp();
    const draft = (await revisions.list(STORM))[1]!;
    await vault.write(STORM, `${HEAD}${AI_DRAFT}`);
    expect(await restoreRevision(vault, revisions, STORM, draft, T0)).toBe("unchanged");
    expect(await revisions.list(STORM)).toHaveLength(2);
  });

  it("replaces nothing when the chapter changes between saving the revision and the swap", async () => {
    const { vault, revisions } = await setUp();
    const draft = (await revisions.list(STORM))[1]!;
    const typing: Revisions = {
      list: (path) => revisions.list(path),
      async save(rev: Revision) {
        const saved = await revisions.save(rev);
        // The writer types while the revision is being written.
        await vault.write(STORM, `${CURRENT}And then the rain.\n`);
        return saved;
      },
    };
    await expect(restoreRevision(vault, typing, STORM, draft, T0)).rejects.toThrow("the chapter changed while it was being restored");
    expect(await vault.read(STORM)).toBe(`${CURRENT}And then the rain.\n`);
  });
});

describe("revision descriptions", () => {
  it.each<[Pick<RevisionInfo, "reason" | "jobId">, string]>([
    [{ reason: "before-ai-write", jobId: "write-3" }, "Before an AI write"],
    [{ reason: "before-ai-write", jobId: RESTORE_JOB }, "Before a restore"],
    [{ reason: "ai-output" }, "AI draft"],
    [{ reason: "alternative-take" }, "AI take kept beside your edit"],
  ])("%o is %s", (revision, text) => {
    expect(reasonText(revision)).toBe(text);
  });

  it("compares words with the chapter now", () => {
    expect([wordsText(2850, 2730), wordsText(1, 1200), wordsText(10, 10)]).toEqual([
      "2,850 words, 120 more than now",
      "1 word, 1,199 fewer than now",
      "10 words, as many as now",
    ]);
  });
});

const SUMMARIES: RevisionSummary[] = [
  { id: "rev-2", note: STORM, createdAt: new Date(T0 + 60_000).toISOString(), source: "watcher", words: 14, wordDelta: 3, bytes: 90 },
  { id: "rev-1", note: STORM, createdAt: new Date(T0).toISOString(), source: "plugin", words: 11, wordDelta: 0, bytes: 80, label: "before AI write" },
];

const DIFF: DiffResponse = {
  revision: SUMMARIES[1]!,
  against: "current",
  ops: [
    { op: "equal", text: "The storm came " },
    { op: "delete", text: "at dawn" },
    { op: "insert", text: "in from the west" },
    { op: "equal", text: ".\n" },
  ],
  words: { against: 5, revision: 7, inserted: 4, deleted: 2 },
};

function fakeCompanion(overrides: Partial<CompanionRevisions> = {}) {
  const restored: RestoreResponse = {
    before: { revision: { ...SUMMARIES[0]!, id: "rev-3" }, created: true },
    restored: { revision: { ...SUMMARIES[1]!, id: "rev-4", source: "restore" }, created: true },
  };
  return {
    health: vi.fn(() => Promise.resolve({ ok: true as const, version: "0.1.0", vaultPath: "/vault" })),
    listRevisions: vi.fn(() => Promise.resolve({ note: STORM, revisions: SUMMARIES })),
    diff: vi.fn(() => Promise.resolve(DIFF)),
    restore: vi.fn(() => Promise.resolve(restored)),
    ...overrides,
  } satisfies CompanionRevisions;
}

describe("Show revisions with the companion", () => {
  it("lists the companion's revisions with their time, source and word delta", async () => {
    const companion = fakeCompanion();
    const { app, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    expect(companion.listRevisions).toHaveBeenCalledWith(STORM, { limit: 200 });
    expect(content(modal).find("p")?.getText()).toBe("Revisions kept by the companion, newest first.");
    expect(descriptions(modal)).toEqual([
      "Saved edit · 14 words, 3 more than the revision before",
      // The oldest of a whole list has no revision before it.
      "Kept by Bookwright · 11 words, the oldest revision kept · before AI write",
    ]);
    expect(rows(modal).every((r) => (r.find(".setting-item-name")?.getText() ?? "").length > 0)).toBe(true);
  });

  it("compares a revision with the chapter now, side by side", async () => {
    const companion = fakeCompanion();
    const { app, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    press(rows(modal)[1]!, "Compare");
    await vi.waitFor(() => expect(content(modal).find(".bookwright-revision-diff")).not.toBeNull());
    expect(companion.diff).toHaveBeenCalledWith("rev-1");
    const now = content(modal).find(".bookwright-revision-diff-now");
    const then = content(modal).find(".bookwright-revision-diff-revision");
    expect(now.find(".bookwright-diff")?.getText()).toBe("The storm came at dawn.\n");
    expect(now.findAll("del.bookwright-diff-removed").map((d) => d.getText())).toEqual(["at dawn"]);
    expect(now.findAll("ins")).toEqual([]);
    expect(then.find(".bookwright-diff")?.getText()).toBe("The storm came in from the west.\n");
    expect(then.findAll("ins.bookwright-diff-added").map((d) => d.getText())).toEqual(["in from the west"]);
    expect(content(modal).getText()).toContain("Restoring it would remove 2 words and add 4.");
    // Compare again hides it.
    press(rows(modal)[1]!, "Compare");
    expect(content(modal).find(".bookwright-revision-diff")).toBeNull();
  });

  it("folds long unchanged stretches of a diff to the words around each change", () => {
    const words = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `w${from + i}`).join(" ");
    const long = `${words(100)}\n`;
    // Between two changes: 20 words each side of the fold, and joined back the text is whole.
    const middle = foldUnchanged(long, true, true);
    expect(middle).toEqual({ head: `${words(20)} `, hidden: 60, tail: `${words(20, 81)}\n` });
    // Before the first change only its end is needed; after the last, only its start.
    expect(foldUnchanged(long, false, true)).toEqual({ head: "", hidden: 80, tail: `${words(20, 81)}\n` });
    expect(foldUnchanged(long, true, false)).toEqual({ head: `${words(20)} `, hidden: 80, tail: "" });
    // A stretch a fold would barely shorten is shown whole.
    expect(foldUnchanged(`${words(49)} `, true, true)).toEqual({ head: `${words(49)} `, hidden: 0, tail: "" });
    expect(foldUnchanged(` ${words(30)}`, false, true)).toEqual({ head: "", hidden: 10, tail: words(20, 11) });
  });

  it("shows a diff's long unchanged stretches folded, the same on both sides", async () => {
    const filler = Array.from({ length: 200 }, () => "and the rain kept on.").join(" ");
    const companion = fakeCompanion({
      diff: vi.fn(() => Promise.resolve({ ...DIFF, ops: [{ op: "equal" as const, text: `Dawn. ${filler} ` }, { op: "delete" as const, text: "storm" }, { op: "insert" as const, text: "squall" }, { op: "equal" as const, text: ` ${filler}` }] })),
    });
    const { app, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    press(rows(modal)[1]!, "Compare");
    await vi.waitFor(() => expect(content(modal).find(".bookwright-revision-diff")).not.toBeNull());
    for (const side of [".bookwright-revision-diff-now", ".bookwright-revision-diff-revision"]) {
      expect(content(modal).find(side).findAll(".bookwright-diff-fold").map((f) => f.getText())).toEqual(["981 unchanged words", "980 unchanged words"]);
    }
    expect(content(modal).find(".bookwright-revision-diff-now del")?.getText()).toBe("storm");
  });

  it("restores through the companion after confirming", async () => {
    const companion = fakeCompanion();
    const { app, vault, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    press(rows(modal)[1]!, "Restore");
    const confirm = Modal.showing[1]!;
    expect(content(confirm).getText()).toContain("The companion keeps its current text as a revision first");
    press(content(confirm), "Restore");
    await settled();
    await modal.rendered;
    // A label the list can show the writer, instead of the companion's "restored from revision <id>".
    expect(companion.restore).toHaveBeenCalledWith("rev-1", companionRestoreLabel(revisionTime(SUMMARIES[1]!.createdAt)));
    expect(companionRestoreLabel("Nov 25, 2026, 10:00:00 AM")).toBe("from the revision of Nov 25, 2026, 10:00:00 AM");
    expect(Notice.messages).toHaveLength(1);
    expect(Notice.messages[0]).toMatch(/^Restored the revision from .+\. The text it replaced is kept as a revision\.$/);
    // The companion wrote the note, not the plugin.
    expect(await vault.read(STORM)).toBe(CURRENT);
    expect(companion.listRevisions).toHaveBeenCalledTimes(2);
  });

  it("shows the vault's revisions (AI drafts, revisions saved while it was away) on request", async () => {
    const companion = fakeCompanion();
    const { app, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    press(content(modal), "Show the vault's revisions");
    await vi.waitFor(() => expect(content(modal).findAll("p").map((p) => p.getText())).toEqual(["Newest first. The chapter has 5 words now."]));
    expect(descriptions(modal)).toEqual(["AI draft · 9 words, 4 more than now", "Before an AI write · 3 words, 2 fewer than now"]);
  });

  it("says why in one line and lists the vault's revisions when the companion does not answer", async () => {
    const companion = fakeCompanion({
      health: () => Promise.reject(new CompanionError("the companion is not running at http://127.0.0.1:27125; start it", null)),
    });
    const { app, plugin } = await setUp(() => companion);
    const modal = await openModal(app, plugin);
    const lines = content(modal).findAll("p").map((p) => p.getText());
    expect(lines).toEqual([
      "The companion did not answer (the companion is not running at http://127.0.0.1:27125; start it); showing the revisions kept in the vault.",
      "Newest first. The chapter has 5 words now.",
    ]);
    expect(descriptions(modal)).toEqual(["AI draft · 9 words, 4 more than now", "Before an AI write · 3 words, 2 fewer than now"]);
  });

  it("falls back too when the chosen token secret is gone", async () => {
    const { app, plugin } = await setUp(() => {
      throw new CompanionError('the secret "gone" chosen for the companion token is empty or gone; choose it again in settings', null);
    });
    const modal = await openModal(app, plugin);
    expect(content(modal).find(".bookwright-revisions-fallback")?.getText()).toContain('the secret "gone" chosen for the companion token is empty or gone');
    expect(rows(modal)).toHaveLength(2);
  });

  it("lists only the vault's revisions, without a word about it, when no companion is set up", async () => {
    const { app, plugin } = await setUp(() => null);
    const modal = await openModal(app, plugin);
    expect(content(modal).find(".bookwright-revisions-fallback")).toBeNull();
    expect(rows(modal)).toHaveLength(2);
  });

  it("describes sources and word deltas", () => {
    expect((["plugin", "watcher", "restore", "cli"] as const).map(sourceText)).toEqual(["Kept by Bookwright", "Saved edit", "Restore", "Kept from the command line"]);
    expect([deltaText(2730, 120), deltaText(1, -1200), deltaText(10, 0)]).toEqual([
      "2,730 words, 120 more than the revision before",
      "1 word, 1,200 fewer than the revision before",
      "10 words, as many as the revision before",
    ]);
    expect([oldestText(1), oldestText(4200)]).toEqual(["1 word, the oldest revision kept", "4,200 words, the oldest revision kept"]);
  });

  it("keeps the delta of the last of a full page, which may have older revisions behind it", async () => {
    const page = Array.from({ length: 200 }, (_, i): RevisionSummary => ({ ...SUMMARIES[0]!, id: `rev-${200 - i}`, wordDelta: 0 }));
    const { app, plugin } = await setUp(() => fakeCompanion({ listRevisions: vi.fn(() => Promise.resolve({ note: STORM, revisions: page })) }));
    const modal = await openModal(app, plugin);
    expect(descriptions(modal).at(-1)).toBe("Saved edit · 14 words, as many as the revision before");
  });
});
