/**
 * Token benchmark: a 30-chapter, 90,000-word book generated end to end (brief, write, continuity,
 * characters, timeline per chapter) against the fake Anthropic server, and the same book under the
 * original blueprint's naive scheme (every call carries the story bible and the full text of every
 * earlier chapter, no caching), in the same harness. Prints input, cache writes, cache reads, output,
 * billed input equivalent and dollars at Sonnet prices for both, the largest prompt of chapters 5 and
 * 30, then `token-cost-ratio: X` (ours / naive, billed input; target ≤ 0.25) and `prompt-growth: Y`
 * (largest prompt of chapter 30 / chapter 5; target ≤ 1.3).
 */
import { countPromptTokens, startFakeAnthropic, type RecordedRequest, type ScriptedReply } from "../test/fake-anthropic/server";
import { CHARACTERS_ROLE } from "../shared/agents/prompts/characters";
import { CONTINUITY_ROLE } from "../shared/agents/prompts/continuity";
import { TIMELINE_ROLE } from "../shared/agents/prompts/timeline";
import { WRITER_ROLE } from "../shared/agents/prompts/writer";
import { ARCHITECT_ROLE } from "../shared/agents/prompts/architect";
import { runChapter, type StoryState } from "../shared/agents/pipeline";
import { AnthropicLlm } from "../shared/llm/anthropic-llm";
import { addUsage, type LlmUsage } from "../shared/llm/llm";
import { billedInputEquivalent, costOf, DEFAULT_PRICES } from "../shared/llm/prices";
import { seededRandom } from "./measure";

const CHAPTERS = 30;
const WORDS_PER_CHAPTER = 3_000;
const MODEL = "claude-sonnet-4-6";
const NO_USAGE: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
const CAST = ["Mara Quill", "Jon Harrow", "Ada Pike", "Tom Reed", "Nell Arden", "Silas Fane", "Ruth Cole", "Owen Marsh"];

function prose(chapter: number, words: number): string {
  const random = seededRandom(chapter);
  const vocabulary = "the sea light keeper storm glass tower boat harbour letter night wind rope lamp stair salt door cold tide rock gull".split(" ");
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const word = i % 40 === 0 ? CAST[Math.floor(random() * CAST.length)]! : vocabulary[Math.floor(random() * vocabulary.length)]!;
    out.push(i % 15 === 14 ? `${word}.` : word);
  }
  return out.join(" ");
}

const lastLine = (request: RecordedRequest): string => {
  const last = request.body.messages.at(-1);
  const text = typeof last?.content === "string" ? last.content : (last?.content.map((b) => ("text" in b ? b.text : "")).join("\n") ?? "");
  return text.trimEnd().split("\n").pop() ?? "";
};

/** Replies of realistic size: 3,000-word chapters, 150-word summaries, a few codex facts and events. */
function benchScript(request: RecordedRequest): ScriptedReply {
  const task = lastLine(request);
  const chapter = Number(/(\d+)\D*$/.exec(task)?.[1] ?? 1);
  const summary = `Chapter ${chapter}: ${prose(chapter + 1000, 150)}`;
  if (task.startsWith("Write the brief")) {
    return { toolInput: { goal: `Move the story in chapter ${chapter}.`, pov: "Mara Quill", setting: "Skerry Light", charactersPresent: CAST.slice(chapter % 5, (chapter % 5) + 3), beats: [1, 2, 3, 4].map((b) => ({ summary: prose(chapter * 10 + b, 40), characters: CAST.slice(0, 2), factsChanged: [] })), endingHook: "A light on the water.", targetWords: WORDS_PER_CHAPTER } };
  }
  if (task.startsWith("Check chapter")) return { toolInput: { overall: "pass", findings: [], summary } };
  if (task.startsWith("Update the codex")) {
    return { toolInput: { newCharacters: [], appearances: CAST.slice(0, 3).map((name) => ({ name, role: "present", emotionalState: "tense" })), changes: [{ name: CAST[chapter % CAST.length]!, kind: "location", value: `place ${chapter}` }], relationships: [] } };
  }
  if (task.startsWith("List the events")) return { toolInput: { events: [0, 1, 2].map((order) => ({ when: `Day ${chapter}`, what: `event ${order} of chapter ${chapter}`, who: CAST.slice(0, 2), order })) } };
  if (task.startsWith("Summarise")) return { text: prose(chapter + 2000, 250) };
  if (task.startsWith("Naive")) return { text: task.includes("write") ? prose(chapter, WORDS_PER_CHAPTER) : `Summary of chapter ${chapter}.` };
  return { text: prose(chapter, WORDS_PER_CHAPTER) };
}

interface Tally {
  usage: LlmUsage;
  largestPrompt: Map<number, number>;
}

function note(tally: Tally, chapter: number, requests: RecordedRequest[]): void {
  for (const request of requests) {
    const tokens = countPromptTokens(request.body as unknown as Record<string, unknown>);
    tally.largestPrompt.set(chapter, Math.max(tally.largestPrompt.get(chapter) ?? 0, tokens));
  }
}

export async function runTokensBench(): Promise<void> {
  const server = await startFakeAnthropic({ script: benchScript, contextWindowTokens: 1_000_000 });
  try {
    const llm = new AnthropicLlm({ apiKey: "bench", baseURL: server.url, maxRetries: 0 });
    const storyBible = `Close third person, past tense, Mara's point of view. ${prose(9001, 1000)}`;
    const outline = Array.from({ length: CHAPTERS }, (_, i) => `${i + 1}. ${prose(5000 + i, 50)}`).join("\n");
    const state: StoryState = {
      book: { title: "The Lighthouse Keeper", language: "en", storyBible, outline },
      codex: CAST.map((name) => ({ name, aliases: [name.split(" ")[0]!], role: "character", sheet: prose(7000 + name.length, 120), facts: [] })),
      summaries: [],
      timeline: [],
      chapters: new Map(),
      batchStart: 1,
    };
    const ours: Tally = { usage: NO_USAGE, largestPrompt: new Map() };
    for (let chapter = 1; chapter <= CHAPTERS; chapter++) {
      const before = server.requests.length;
      const act = chapter <= 10 ? "Act one" : chapter <= 20 ? "Act two" : "Act three";
      const outcome = await runChapter({ llm, maxTokens: { writer: 8_000 } }, state, chapter, act);
      ours.usage = addUsage(ours.usage, outcome.usage);
      note(ours, chapter, server.requests.slice(before));
    }
    const words = [...state.chapters.values()].reduce((sum, text) => sum + text.split(/\s+/).length, 0);

    // The naive scheme: five calls a chapter, each with the story bible and every earlier chapter in full.
    server.clearCache();
    const naive: Tally = { usage: NO_USAGE, largestPrompt: new Map() };
    const roles = [["architect", ARCHITECT_ROLE], ["write", WRITER_ROLE], ["continuity", CONTINUITY_ROLE], ["characters", CHARACTERS_ROLE], ["timeline", TIMELINE_ROLE]] as const;
    for (let chapter = 1; chapter <= CHAPTERS; chapter++) {
      const before = server.requests.length;
      const earlier = Array.from({ length: chapter - 1 }, (_, i) => `## Chapter ${i + 1}\n${state.chapters.get(i + 1) ?? ""}`).join("\n\n");
      for (const [name, role] of roles) {
        const current = name === "architect" || name === "write" ? "" : `## Chapter ${chapter}\n${state.chapters.get(chapter) ?? ""}`;
        const response = await llm.complete({
          model: MODEL,
          maxTokens: name === "write" ? 8_000 : 1_000,
          system: [{ text: `${role}\n\n## Story bible\n${storyBible}` }],
          messages: [{ role: "user", content: [{ text: `${earlier}\n\n${current}\n\nNaive ${name} chapter ${chapter}` }] }],
        });
        naive.usage = addUsage(naive.usage, response.usage);
      }
      note(naive, chapter, server.requests.slice(before));
    }

    const report = (label: string, tally: Tally): number => {
      const billed = billedInputEquivalent(tally.usage);
      const cost = costOf(tally.usage, MODEL, DEFAULT_PRICES);
      const dollars = cost.usd === null ? `cost unknown (${cost.reason})` : `$${cost.usd.toFixed(2)}`;
      const u = tally.usage;
      console.log(`${label}: input ${u.inputTokens.toLocaleString("en")}, cache writes ${u.cacheCreationInputTokens.toLocaleString("en")}, cache reads ${u.cacheReadInputTokens.toLocaleString("en")}, output ${u.outputTokens.toLocaleString("en")}, billed input equivalent ${Math.round(billed).toLocaleString("en")}, ${dollars} at Sonnet prices; largest prompt chapter 5: ${tally.largestPrompt.get(5)?.toLocaleString("en")}, chapter 30: ${tally.largestPrompt.get(30)?.toLocaleString("en")} tokens`);
      return billed;
    };
    console.log(`book: ${CHAPTERS} chapters, ${words.toLocaleString("en")} words`);
    const oursBilled = report("ours ", ours);
    const naiveBilled = report("naive", naive);
    console.log(`token-cost-ratio: ${(oursBilled / naiveBilled).toFixed(3)}`);
    console.log(`prompt-growth: ${((ours.largestPrompt.get(30) ?? NaN) / (ours.largestPrompt.get(5) ?? NaN)).toFixed(3)}`);
  } finally {
    await server.close();
  }
}
