// @vitest-environment happy-dom
import type { Command } from "obsidian";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import manifest from "../../manifest.json";
import { loadBook } from "../../shared/book/scan";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import { bodyOf } from "../../shared/queue/safe-write";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { installObsidianDomHelpers } from "../../test/obsidian-dom/dom-helpers";
import { createStubApp, Modal, Notice, Plugin, type StubApp } from "../../test/obsidian-stub/obsidian";
import type { WorkspaceLeaf as StubLeaf } from "../../test/obsidian-stub/ui";
import { QueueController, type ControllerEvent } from "../queue/queue-controller";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";
import { ObsidianVault } from "../vault/obsidian-vault";
import { QUEUE_VIEW_TYPE, QueueView, registerQueueView } from "../views/queue-view";
import { chapterList, parseChapterRange, registerGenerateCommands } from "./generate";

beforeAll(() => {
  installObsidianDomHelpers(window);
  // happy-dom's fetch enforces the same-origin policy for its page (localhost:3000), and the fake server
  // answers no CORS preflight; Obsidian's own origin rules are not what these tests are about.
  (window as unknown as { happyDOM: { settings: { fetch: { disableSameOriginPolicy: boolean } } } }).happyDOM.settings.fetch.disableSameOriginPolicy = true;
});

const BOOK = "The Salt Road";
const CHAPTER_1 = `${BOOK}/Chapters/01 The gate.md`;

/** A book with a story bible, an outline and one empty chapter note: what a writer starts generating from. */
const NOTES: Record<string, string> = {
  [`${BOOK}/Book.md`]: "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 10\n---\nA novel.\n",
  [`${BOOK}/Story Bible.md`]: "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
  [`${BOOK}/Outline.md`]: "---\nbookwright: outline\n---\n" + Array.from({ length: 10 }, (_, i) => `${i + 1}. Mara reaches waypoint ${i + 1}.`).join("\n") + "\n",
  [`${BOOK}/Characters/Mara.md`]: "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
  [CHAPTER_1]: "---\nbookwright: chapter\nchapter: 1\ntitle: The gate\nstatus: not_started\n---\n",
  "Inbox/Errands.md": "Buy lamp oil.\n",
};

class HostPlugin extends Plugin {}

interface Harness {
  app: StubApp;
  vault: ObsidianVault;
  controller: QueueController;
  plugin: HostPlugin;
  events: ControllerEvent[];
  command(id: string): (checking: boolean) => boolean | void;
  open(path: string): void;
  /** Resolves when the book's runner has stopped (a `state` event with `running: false`). */
  idle(): Promise<void>;
}

let server: FakeAnthropic;
beforeEach(async () => {
  Modal.reset();
  Notice.reset();
  document.body.empty();
  // Slow enough that a chapter streams for a while (the typing test needs that), fast enough for a suite.
  server = await startFakeAnthropic({ minCacheableTokens: 50, latency: { firstTokenMs: 0, tokensPerSecond: 20_000 } });
});
afterEach(async () => {
  await server.close();
});

async function harness(settings: Partial<BookwrightSettings> = {}): Promise<Harness> {
  const app = createStubApp();
  const vault = new ObsidianVault(app);
  for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
  const all: BookwrightSettings = { ...DEFAULT_SETTINGS, costCapUsd: null, ...settings };
  const controller = new QueueController({
    app,
    vault,
    settings: () => all,
    llm: new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 }),
  });
  const plugin = new HostPlugin(app, manifest);
  registerGenerateCommands(plugin, { controller, vault, settings: () => all });
  registerQueueView(plugin, controller, { settings: () => all });
  const events: ControllerEvent[] = [];
  controller.subscribe((e) => events.push(e));
  return {
    app,
    vault,
    controller,
    plugin,
    events,
    command(id) {
      const command: Command | undefined = plugin.commands.find((c) => c.id === `${manifest.id}:${id}`);
      if (!command) throw new Error(`no command ${id}; have ${plugin.commands.map((c) => c.id).join(", ")}`);
      if (command.checkCallback) return command.checkCallback;
      const callback = command.callback;
      if (!callback) throw new Error(`command ${id} has no callback`);
      return (checking) => {
        if (!checking) callback();
        return true;
      };
    },
    open(path) {
      const file = app.vault.getFileByPath(path);
      if (!file) throw new Error(`no note ${path}`);
      app.workspace.setActiveFile(file);
      app.workspace.trigger("file-open", file);
    },
    idle() {
      return new Promise((resolve) => {
        const stop = controller.subscribe((e) => {
          if (e.type === "state" && e.bookFolder === BOOK && !e.running) {
            stop();
            resolve();
          }
        });
      });
    },
  };
}

/** The one modal open now, as the DOM element it is under happy-dom. */
function shownModal(): HTMLElement {
  expect(Modal.showing).toHaveLength(1);
  return Modal.showing[0]!.contentEl as unknown as HTMLElement;
}

function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event("input"));
}

function buttonIn(el: HTMLElement, text: string): HTMLButtonElement {
  const found = el.findAll("button").find((b) => b.getText() === text);
  if (!(found instanceof HTMLButtonElement)) throw new Error(`no “${text}” button`);
  return found;
}

function rangeInput(modal: HTMLElement): HTMLInputElement {
  return modal.find(".bookwright-generate-range input") as HTMLInputElement;
}

function settled(): Promise<void> {
  return new Promise((resolve) => window.setTimeout(resolve, 0));
}

describe("Generate chapters…", () => {
  it("shows the estimate as the range changes, then writes the chapters into the vault notes", async () => {
    const h = await harness();
    h.open(`${BOOK}/Book.md`);
    h.command("generate-chapters")(false);
    const modal = shownModal();
    const estimate = modal.find(".bookwright-generate-estimate");
    expect(estimate.getText()).toBe("Enter the chapters to see what they would cost.");
    type(rangeInput(modal), "1");
    const one = estimate.getText();
    expect(one).toMatch(/^Estimated cost: about \$\d+\.\d\d for 1 chapter\.$/);
    type(rangeInput(modal), "1-2");
    expect(estimate.getText()).toMatch(/^Estimated cost: about \$\d+\.\d\d for 2 chapters\.$/);
    expect(estimate.getText()).not.toBe(one);
    const usd = Number(/\$(\d+\.\d\d)/.exec(estimate.getText())![1]);
    expect(usd).toBeCloseTo(h.controller.estimate(BOOK, { chapters: [1, 2], mode: "sequential" }), 2);

    const done = h.idle();
    buttonIn(modal, "Start").click();
    expect(Modal.showing).toEqual([]);
    await done;

    const state = await h.controller.state(BOOK);
    expect(state?.jobs.map((j) => `${j.id} ${j.state}`).filter((s) => !s.endsWith("succeeded"))).toEqual([]);
    const book = await loadBook(h.vault, BOOK);
    const chapters = book.chapters.filter((c) => c.number === 1 || c.number === 2);
    expect(chapters.map((c) => c.number)).toEqual([1, 2]);
    for (const c of chapters) {
      expect(c.status).toBe("written");
      expect(c.words).toBeGreaterThan(100);
      // Written into the vault note itself, through Obsidian's vault.
      const file = h.app.vault.getFileByPath(c.path)!;
      expect(bodyOf(await h.app.vault.read(file)).trim().length).toBeGreaterThan(500);
    }
    // Chapter 1's note was the writer's own; it was filled, not replaced by a second one.
    expect(chapters[0]!.path).toBe(CHAPTER_1);
    expect(Notice.messages).toContain(`Generating chapters 1–2 of ${BOOK}. The queue panel shows the progress.`);
  });

  it("refuses a bad range with an inline message naming it, and starts nothing", async () => {
    const h = await harness();
    h.open(CHAPTER_1);
    h.command("generate-chapters")(false);
    const modal = shownModal();
    // Opened from a chapter, the range starts at that chapter.
    expect(rangeInput(modal).value).toBe("1");
    const error = modal.find(".bookwright-generate-error");
    expect(error.getText()).toBe("");

    type(rangeInput(modal), "7-1");
    expect(error.getText()).toBe("“7-1” runs backwards; write it low to high, like 1-7.");
    expect(buttonIn(modal, "Start").disabled).toBe(true);
    expect(modal.find(".bookwright-generate-estimate").getText()).toBe("");

    type(rangeInput(modal), "1-3, chapter four");
    expect(error.getText()).toBe("“chapter four” is not a chapter or a range of chapters; write it like 1-7 or 2, 4.");
    buttonIn(modal, "Start").click();
    expect(Modal.showing).toHaveLength(1);

    const cap = modal.find(".bookwright-generate-cap input") as HTMLInputElement;
    type(rangeInput(modal), "2-3");
    type(cap, "lots");
    expect(error.getText()).toMatch(/^“lots” is not an amount of dollars/);
    type(cap, "2.50");
    expect(error.getText()).toBe("");
    expect(buttonIn(modal, "Start").disabled).toBe(false);

    buttonIn(modal, "Cancel").click();
    await settled();
    expect(await h.controller.state(BOOK)).toBeNull();
    expect(h.events.filter((e) => e.type === "event")).toEqual([]);
  });
});

describe("the chapter commands", () => {
  it("are offered only while a chapter of a book is the active note", async () => {
    const h = await harness();
    const chapterCommands = ["generate-brief", "write-chapter", "check-continuity", "extract-characters", "update-timeline"];
    h.open(`${BOOK}/Story Bible.md`);
    for (const id of chapterCommands) expect(h.command(id)(true), id).toBe(false);
    // Book-wide commands still are, in any note of the book…
    expect(h.command("generate-chapters")(true)).toBe(true);
    expect(h.command("check-whole-book")(true)).toBe(true);
    // …and nothing is, in a note outside any book.
    h.open("Inbox/Errands.md");
    for (const id of [...chapterCommands, "generate-chapters", "check-whole-book"]) expect(h.command(id)(true), id).toBe(false);
    h.open(CHAPTER_1);
    for (const id of chapterCommands) expect(h.command(id)(true), id).toBe(true);
  });

  it("puts the open chapter first in its book's queue", async () => {
    const h = await harness();
    const focus = vi.spyOn(h.controller, "focusChapter");
    h.open(CHAPTER_1);
    h.open(CHAPTER_1);
    h.open(`${BOOK}/Story Bible.md`);
    h.open("Inbox/Errands.md");
    expect(focus.mock.calls).toEqual([
      [BOOK, 1],
      [BOOK, null],
    ]);
  });

  it("tells the writer when a batch pauses at the cost cap", async () => {
    const h = await harness();
    h.open(CHAPTER_1);
    const done = h.idle();
    // A cap below any job's estimate: the batch pauses before it spends anything.
    h.command("generate-chapters")(false);
    const modal = shownModal();
    type(modal.find(".bookwright-generate-cap input") as HTMLInputElement, "0.001");
    buttonIn(modal, "Start").click();
    await done;
    expect(Notice.messages).toContain(`${BOOK}: paused. Cost cap reached — raise the cap, then run again.`);
    expect(server.requests).toEqual([]);
  });

  it("keeps a writer's typing byte for byte when they edit the chapter while it is being written", async () => {
    const h = await harness();
    h.open(CHAPTER_1);
    let done = h.idle();
    h.command("generate-brief")(false);
    await done;
    await settled(); // The "done" notice follows the batch's last state.
    const briefBatch = await h.controller.state(BOOK);
    // A one-job batch: only the brief, nothing it would otherwise wait for or lead to.
    expect(briefBatch?.jobs.map((j) => `${j.id} ${j.state} [${j.dependsOn.join(",")}]`)).toEqual(["brief-1 succeeded []"]);
    expect(Notice.messages).toContain("Chapter 1: brief ready.");

    const file = h.app.vault.getFileByPath(CHAPTER_1)!;
    const before = await h.app.vault.read(file);
    const edited = `${before}\nShe crossed out the last line.\r\n  Then wrote it again — “exactly”.\n`;
    let typed = false;
    h.controller.subscribe((e) => {
      if (e.type === "event" && e.event.type === "job:progress" && (e.event.progress.words ?? 0) > 20 && !typed) {
        typed = true;
        // The writer types into the open note: Obsidian's editor saves through the vault.
        void h.app.vault.modify(file, edited);
      }
    });
    done = h.idle();
    h.command("write-chapter")(false);
    await done;

    expect(typed).toBe(true);
    expect(await h.app.vault.read(file)).toBe(edited);
    const takes = h.app.vault.getFiles().filter((f) => f.path.startsWith(`${BOOK}/Chapters/`) && f.name.includes("(AI take"));
    expect(takes.map((f) => f.path)).toEqual([`${BOOK}/Chapters/01 The gate (AI take).md`]);
    const take = await h.app.vault.read(takes[0]!);
    expect(take).toContain("take_of:");
    expect(bodyOf(take).trim().length).toBeGreaterThan(500);
    const write = (await h.controller.state(BOOK))?.jobs.find((j) => j.id === "write-1");
    expect(write?.state).toBe("succeeded");
    // The writer is told where the draft went.
    expect(Notice.messages.some((m) => m.includes("your text was kept") && m.includes("(AI take).md"))).toBe(true);
  });

  it("tells the writer in words when a chapter command cannot start", async () => {
    const h = await harness();
    h.open(CHAPTER_1);
    // No brief yet: the write job fails, and the notice says what to do.
    const done = h.idle();
    h.command("write-chapter")(false);
    await done;
    expect(Notice.messages).toContain("Chapter 1: writing the chapter… The queue panel shows the progress.");
    expect(Notice.messages.find((m) => m.startsWith(`${BOOK}: writing chapter 1 failed.`))).toMatch(/has no brief .* generate the brief first/);
    // The failed batch is unfinished: another command is refused until it is retried or cancelled.
    h.command("check-continuity")(false);
    await settled();
    expect(Notice.messages.at(-1)).toMatch(/^Could not check the continuity of chapter 1: .* has an unfinished batch; resume it, or discard it, in the queue panel first$/);
  });
});

describe("Check the whole book", () => {
  it("asks with the estimate, then checks every chapter that has text", async () => {
    const h = await harness();
    // Two chapters with text; the empty chapter 1 is left out.
    await h.vault.write(`${BOOK}/Chapters/02 Salt.md`, `---\nbookwright: chapter\nchapter: 2\ntitle: Salt\n---\n${"Mara counted her steps along the white road. ".repeat(40)}\n`);
    await h.vault.write(`${BOOK}/Chapters/03 Wells.md`, `---\nbookwright: chapter\nchapter: 3\ntitle: Wells\n---\n${"The wells were dry and Mara kept walking. ".repeat(40)}\n`);
    h.open(`${BOOK}/Book.md`);
    h.command("check-whole-book")(false);
    await settled();
    const modal = shownModal();
    expect(modal.getText()).toMatch(/^Check the continuity of chapters 2–3 of The Salt Road: each gets a report and a summary\. Estimated cost: about \$\d+\.\d\d\./);
    const done = h.idle();
    buttonIn(modal, "Check 2 chapters").click();
    await done;
    const state = await h.controller.state(BOOK);
    // Chapter 2 has no summary yet, so chapter 3's check waits for the one that writes it.
    expect(state?.jobs.map((j) => `${j.id} ${j.state} [${j.dependsOn.join(",")}]`)).toEqual(["continuity-2 succeeded []", "continuity-3 succeeded [continuity-2]"]);
    const book = await loadBook(h.vault, BOOK);
    for (const n of [2, 3]) expect(book.chapters.find((c) => c.number === n)?.meta?.continuity).toMatch(/pass|warning|fail/);
    expect(book.notes.filter((n) => n.kind === "continuity-report")).toHaveLength(2);
  });
});

describe("the queue panel", () => {
  it("opens in the right sidebar and follows the active note's book", async () => {
    const h = await harness();
    h.open(CHAPTER_1);
    h.command("open-queue")(false);
    await settled();
    const leaves = h.app.workspace.getLeavesOfType(QUEUE_VIEW_TYPE) as unknown as StubLeaf[];
    expect(leaves).toHaveLength(1);
    expect(leaves[0]!.side).toBe("right");
    const view = leaves[0]!.view as unknown as QueueView;
    expect(view.bookFolder).toBe(BOOK);
    expect(view.contentEl.getText()).toMatch(/^No batch for this book yet/);

    const done = h.idle();
    h.command("generate-brief")(false);
    await done;
    // Redraws are throttled; wait one interval.
    await new Promise((resolve) => window.setTimeout(resolve, 300));
    expect(view.contentEl.find(".bookwright-queue-chapter-link")?.getText()).toBe("Chapter 1 · The gate");
    expect(view.contentEl.find(".bookwright-queue-summary")?.getText()).toBe("1 of 1 jobs done · Done");

    h.open("Inbox/Errands.md");
    await settled();
    expect(view.bookFolder).toBeNull();
    expect(view.contentEl.getText()).toBe("Open a note of a book to see its queue.");
    // Opening it again reveals the same panel instead of a second one.
    h.command("open-queue")(false);
    await settled();
    expect(h.app.workspace.getLeavesOfType(QUEUE_VIEW_TYPE)).toHaveLength(1);
  });
});

describe("parseChapterRange", () => {
  it("reads ranges, lists and dashes, sorted and without repeats", () => {
    expect(parseChapterRange("1-7")).toEqual({ chapters: [1, 2, 3, 4, 5, 6, 7] });
    expect(parseChapterRange(" 5, 1–3 , 2 ")).toEqual({ chapters: [1, 2, 3, 5] });
    expect(parseChapterRange("4")).toEqual({ chapters: [4] });
    expect(parseChapterRange("0-2")).toEqual({ error: "“0-2”: chapters are numbered from 1." });
    expect(parseChapterRange("1-1000")).toEqual({ error: "“1-1000” is more than 200 chapters; generate at most 200 at once." });
    // A doubled comma is a slip, not a different request: read as "1, 2", as the CLI does (shared/book/chapter-range.ts).
    expect(parseChapterRange("1,,2")).toEqual({ chapters: [1, 2] });
    expect(chapterList([1, 2, 3, 5])).toBe("chapters 1–3, 5");
    expect(chapterList([4])).toBe("chapter 4");
  });
});
