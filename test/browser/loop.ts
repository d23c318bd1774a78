/**
 * The writer's loop in the Obsidian stand-in, against the fake Anthropic server: a new book from the
 * "New book" command's own function, then three chapters generated as one batch through the plugin's
 * QueueController (the same path as "Generate chapters…"). It returns what the screenshots show: every
 * note of the vault at the end, and the batch as it stood mid-draft of chapter 2 with the events so far.
 */
import { createBook } from "../../plugin/commands/new-book";
import { QueueController, type ControllerEvent } from "../../plugin/queue/queue-controller";
import { DEFAULT_SETTINGS } from "../../plugin/settings";
import { ObsidianVault } from "../../plugin/vault/obsidian-vault";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import type { QueueState } from "../../shared/queue/jobs";
import type { QueueEvent } from "../../shared/queue/runner";
import { startFakeAnthropic } from "../fake-anthropic/server";
import { createStubApp } from "../obsidian-stub/obsidian";

export interface LoopData {
  bookFolder: string;
  /** Every note at the end, by path. */
  notes: Record<string, string>;
  /** The batch while chapter 2 was being drafted, and the events up to then with their times. */
  midBatch: { state: QueueState; events: { event: QueueEvent; at: number }[]; now: number };
  final: QueueState;
}

const STORY_BIBLE = `# Premise
Mara Quill keeps the light on Skerry Rock after her father's death, and learns why he stopped writing in the log.

# Tone and style
Close third person, past tense. Spare, cold, exact; the sea is never romantic.
`;

export async function runLoop(): Promise<LoopData> {
  const server = await startFakeAnthropic({ latency: { firstTokenMs: 20, tokensPerSecond: 6_000 } });
  try {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    const created = await createBook(vault, { title: "The Lighthouse Keeper", author: "Ada Quill", genre: "literary fiction", language: "en-GB", targetWords: 30_000, plannedChapters: 3 });
    const bookFolder = created.folder;
    const bible = created.notes.find((p) => p.endsWith("Story Bible.md"))!;
    await vault.write(bible, `---\nbookwright: story-bible\npov: close third\ntense: past\n---\n${STORY_BIBLE}`);
    await vault.write(`${bookFolder}/Characters/Mara Quill.md`, "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nTwenty-six, a clock-maker before she came home.\n");

    const settings = { ...DEFAULT_SETTINGS };
    let t = Date.parse("2026-11-25T14:00:00Z");
    const now = () => (t += 250);
    const controller = new QueueController({
      app,
      vault,
      settings: () => settings,
      llm: new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 }),
      now,
    });
    const events: { event: QueueEvent; at: number }[] = [];
    let midBatch: LoopData["midBatch"] | undefined;
    let lastState: QueueState | null = null;
    controller.subscribe((e: ControllerEvent) => {
      if (e.type === "state" && e.state) lastState = e.state;
      if (e.type !== "event") return;
      const at = t;
      events.push({ event: e.event, at });
      const ev = e.event;
      if (!midBatch && lastState && ev.type === "job:progress" && ev.jobId === "write-2" && (ev.progress.words ?? 0) > 600) {
        midBatch = { state: structuredClone(lastState), events: structuredClone(events), now: at };
      }
    });
    await controller.start(bookFolder, { chapters: [1, 2, 3], mode: "sequential", concurrency: 3, costCapUsd: 5 });
    const final = await controller.state(bookFolder);
    if (!final || !midBatch) throw new Error("the loop did not run to the end, or never reached chapter 2's draft");
    const notes: Record<string, string> = {};
    for (const file of await vault.list(bookFolder)) notes[file.path] = await vault.read(file.path);
    return { bookFolder, notes, midBatch, final };
  } finally {
    await server.close();
  }
}
