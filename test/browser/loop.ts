/**
 * The writer's loop in the Obsidian stand-in, against the fake Anthropic server: a new book from the
 * "New book" command's own function, then three chapters generated as one batch through the plugin's
 * QueueController (the same path as "Generate chapters…"), then exported as plain text. It returns what the screenshots show: every
 * note of the vault at the end, and the batch as it stood mid-draft of chapter 2 with the events so far.
 */
import { exportBook } from "../../shared/export/export-book";
import { createBook } from "../../plugin/commands/new-book";
import { QueueController, type ControllerEvent } from "../../plugin/queue/queue-controller";
import { DEFAULT_SETTINGS } from "../../plugin/settings";
import { ObsidianVault } from "../../plugin/vault/obsidian-vault";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import type { QueueState } from "../../shared/queue/jobs";
import type { QueueEvent } from "../../shared/queue/runner";
import { startFakeAnthropic, type RecordedRequest, type ScriptedReply } from "../fake-anthropic/server";
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

/** Everything the model was sent, as one string. */
function promptOf(request: RecordedRequest): string {
  const system = Array.isArray(request.body.system) ? request.body.system.map((b) => b.text).join("\n") : (request.body.system ?? "");
  const messages = request.body.messages.map((m) => (typeof m.content === "string" ? m.content : m.content.map((b) => ("text" in b ? b.text : "")).join("\n"))).join("\n");
  return `${system}\n${messages}`;
}

const TITLES = ["The lamp room", "The supply boat", "The logbook"];
const PROSE = [
  "The storm came in from the west before dawn, and Mara Quill climbed the hundred and twelve steps with the oil can knocking at her knee. Jon Harrow had left the Wren tied at the landing, though no sane skipper would sail in this.",
  "Jon Harrow brought the letter on the first of November, wrapped in oilcloth against the spray. Mara turned it over twice and did not open it. Her eyes, grey as the water, stayed on the horizon while he talked about the price of coal.",
  "The logbook stopped in March. Mara read her father's last entry by the lamp: wind north-east, visibility poor, one vessel sighted. Jon said her eyes were blue in that light, but he was always saying things to make her look at him.",
];

/**
 * A small scripted "model" so the screenshots show a story rather than filler: briefs and drafts about
 * Mara and Jon, a planted slip in chapter 3 (her grey eyes called blue) that continuity reports with a
 * replacement fix, characters and their relationship, and dated timeline events.
 */
function story(request: RecordedRequest): ScriptedReply {
  const prompt = promptOf(request);
  const chapter = Number(/(\d+)\D*$/.exec(prompt.trimEnd().split("\n").pop() ?? "")?.[1] ?? 1);
  const i = Math.max(0, Math.min(2, chapter - 1));
  if (/Write the brief for chapter/.test(prompt)) {
    return {
      toolInput: {
        title: TITLES[i], goal: `Chapter ${chapter} moves Mara closer to her father's silence.`, pov: "Mara Quill", setting: "Skerry Light, November",
        charactersPresent: ["Mara Quill", "Jon Harrow"],
        beats: [{ summary: "The weather turns.", characters: ["Mara Quill"], factsChanged: [] }, { summary: "Jon arrives with news.", characters: ["Mara Quill", "Jon Harrow"], factsChanged: [] }],
        endingHook: "A light where no light should be.", targetWords: 3000,
      },
    };
  }
  if (/Check chapter \d+ against/.test(prompt)) {
    const findings = chapter === 3
      ? [{ severity: "warning", category: "character", quote: "Jon said her eyes were blue", where: "the last paragraph", why: "Mara's eyes are grey (chapter 2).", earlierFact: { quote: "Her eyes, grey as the water", chapter: 2 }, suggestedFix: 'Change "her eyes were blue" to "her eyes were grey"' }]
      : [];
    return { toolInput: { overall: findings.length ? "warning" : "pass", findings, summary: `Chapter ${chapter}: ${PROSE[i]!.split(".")[0]}.` } };
  }
  if (/Update the codex from chapter/.test(prompt)) {
    return {
      toolInput: {
        newCharacters: chapter === 1 ? [{ name: "Jon Harrow", aliases: ["Jon"], role: "skipper of the Wren", description: "Brings the supplies; talks too much." }] : [],
        appearances: [{ name: "Mara Quill", role: "keeper", emotionalState: ["wary", "guarded", "shaken"][i] }, { name: "Jon Harrow", role: "visitor", emotionalState: "eager" }],
        changes: chapter === 2 ? [{ name: "Mara Quill", kind: "knowledge", value: "has the letter, unopened" }] : [],
        relationships: [{ from: "Jon Harrow", to: "Mara Quill", kind: "old friend" }],
      },
    };
  }
  if (/List the events of chapter/.test(prompt)) {
    const when = ["31 October 1893, before dawn", "1 November 1893, morning", "2 November 1893, night"][i];
    return { toolInput: { events: [{ when, what: ["The storm reaches Skerry Rock", "Jon brings the letter", "Mara reads the last log entry"][i], who: ["Mara Quill"], order: 0 }] } };
  }
  return { text: `${PROSE[i]}\n\n${"The sea moved under the glass, and the light went round. ".repeat(40)}` };
}

export async function runLoop(): Promise<LoopData> {
  const server = await startFakeAnthropic({ latency: { firstTokenMs: 20, tokensPerSecond: 6_000 }, script: story });
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
      if (!midBatch && lastState && ev.type === "job:progress" && ev.jobId === "write-2" && (ev.progress.words ?? 0) > 200) {
        midBatch = { state: structuredClone(lastState), events: structuredClone(events), now: at };
      }
    });
    await controller.start(bookFolder, { chapters: [1, 2, 3], mode: "sequential", concurrency: 3, costCapUsd: 5 });
    const final = await controller.state(bookFolder);
    if (!final || !midBatch) throw new Error("the loop did not run to the end, or never reached chapter 2's draft");
    // The last step of the loop: the function the "Export book" command runs, as plain text.
    await exportBook(vault, bookFolder, { format: "txt", chapters: "all", smartTypography: true });
    const notes: Record<string, string> = {};
    for (const file of await vault.list(bookFolder)) notes[file.path] = await vault.read(file.path);
    return { bookFolder, notes, midBatch, final };
  } finally {
    await server.close();
  }
}
