import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest, type ScriptedReply } from "../../test/fake-anthropic/server";
import { AnthropicLlm } from "../llm/anthropic-llm";
import { runChapter, type StoryState } from "./pipeline";

/** Everything the model was sent, as one string: system blocks and message texts. */
function promptOf(request: RecordedRequest): string {
  const system = Array.isArray(request.body.system) ? request.body.system.map((b) => b.text).join("\n") : (request.body.system ?? "");
  const messages = request.body.messages
    .map((m) => (typeof m.content === "string" ? m.content : m.content.map((b) => ("text" in b ? b.text : "")).join("\n")))
    .join("\n");
  return `${system}\n${messages}`;
}

/**
 * Which agent a request is from. Models with structured outputs get `output_config` instead of a forced
 * tool, so the agent is read from the task line the context builder ends every prompt with.
 */
function toolOf(request: RecordedRequest): string | undefined {
  const prompt = promptOf(request);
  if (/Write the brief for chapter/.test(prompt)) return "chapter_brief";
  if (/Check chapter \d+ against/.test(prompt)) return "continuity_report";
  if (/Update the codex from chapter/.test(prompt)) return "codex_update";
  if (/List the events of chapter/.test(prompt)) return "timeline_events";
  return undefined;
}

/** The chapter the task line (the prompt's last line) is about. */
const chapterOf = (prompt: string): number => Number(/(\d+)\D*$/.exec(prompt.trimEnd().split("\n").pop() ?? "")?.[1] ?? 0);

/**
 * A scripted model that answers from what it was sent, so the test sees data flow: the brief names the
 * characters in the codex, the prose names the brief's characters, Jon dies in chapter 2 and (planted)
 * walks into chapter 3, and the continuity "model" reports that only if the prompt told it Jon is dead.
 */
function storyScript(request: RecordedRequest): ScriptedReply {
  const prompt = promptOf(request);
  const chapter = chapterOf(prompt);
  switch (toolOf(request)) {
    case "chapter_brief": {
      const names = ["Mara Quill", "Jon Harrow"].filter((n) => prompt.includes(n));
      return {
        toolInput: {
          goal: `Chapter ${chapter} moves the story.`,
          pov: "Mara Quill",
          setting: "Skerry Light",
          charactersPresent: names,
          beats: [{ summary: `Beat with ${names.join(" and ")}`, characters: names, factsChanged: chapter === 2 ? ["Jon Harrow drowns"] : [] }],
          endingHook: "A light on the water.",
          targetWords: 300,
        },
      };
    }
    case "continuity_report": {
      const jonDead = /Jon Harrow[^\n]*\n(?:[^\n]*\n)*?Status: dead|Jon Harrow: status dead/.test(prompt);
      const walksIn = prompt.includes("Jon Harrow walked in");
      const findings = jonDead && walksIn
        ? [{
            severity: "error", category: "character", quote: "Jon Harrow walked in", where: "the opening",
            why: "Jon Harrow drowned in chapter 2.", earlierFact: { quote: "Jon Harrow drowns", chapter: 2 }, suggestedFix: "Make it a memory, or cut him.",
          }]
        : [];
      return { toolInput: { overall: findings.length ? "fail" : "pass", findings, summary: `Summary of chapter ${chapter}: the light, the sea.` } };
    }
    case "codex_update":
      return {
        toolInput: {
          newCharacters: chapter === 1 ? [{ name: "Ada Pike", aliases: ["Ada"], role: "harbour master", description: "Keeps the harbour log." }] : [],
          appearances: [{ name: "Mara Quill", role: "keeper", emotionalState: "steady" }],
          changes: chapter === 2 ? [{ name: "Jon Harrow", kind: "status", value: "dead" }] : [{ name: "Mara Quill", kind: "location", value: `Skerry Light, night ${chapter}` }],
          relationships: [],
        },
      };
    case "timeline_events":
      return { toolInput: { events: [{ when: `Day ${chapter}`, what: `Events of chapter ${chapter}`, who: ["Mara Quill"], order: 0 }] } };
    default: {
      const brief = /## Brief for chapter \d+\n(\{[\s\S]*?\n\})/.exec(prompt)?.[1] ?? "{}";
      const names = (JSON.parse(brief) as { charactersPresent?: string[] }).charactersPresent ?? [];
      const planted = chapter === 3 ? " Jon Harrow walked in, dripping." : "";
      return { text: `Chapter ${chapter}. ${names.join(" and ")} kept the light burning through the night.${planted} ${"The sea moved under the glass. ".repeat(20)}` };
    }
  }
}

describe("three chapters end to end against the fake server", () => {
  let server: FakeAnthropic;
  beforeEach(async () => {
    server = await startFakeAnthropic({ minCacheableTokens: 50, script: storyScript });
  });
  afterEach(async () => {
    await server.close();
  });

  it("runs all five agents per chapter, and the data flows from one to the next", async () => {
    const llm = new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
    const state: StoryState = {
      book: { title: "The Lighthouse Keeper", language: "en-GB", storyBible: `Close third, past tense. ${"The sea takes back what the light gives. ".repeat(30)}`, outline: "1. Storm. 2. Jon drowns. 3. The logbook." },
      codex: [
        { name: "Mara Quill", aliases: ["Mara"], role: "protagonist", sheet: "Clock-maker.", facts: [] },
        { name: "Jon Harrow", aliases: ["Jon"], role: "skipper", sheet: "Skipper of the Wren.", facts: [] },
      ],
      summaries: [],
      timeline: [],
      chapters: new Map(),
      batchStart: 1,
    };
    const outcomes = [];
    for (const chapter of [1, 2, 3]) outcomes.push(await runChapter({ llm }, state, chapter, chapter < 3 ? "Act one" : "Act two"));

    // Five agents a chapter (brief, prose, continuity, characters, timeline), and one act summary when
    // chapter 3 opens act two.
    expect(server.requests).toHaveLength(16);
    expect(Object.keys(state.actSummaries ?? {})).toEqual(["Act one"]);
    const actCall = server.requests.find((r) => promptOf(r).includes("Summarise Act one."));
    expect(promptOf(actCall!)).toContain("Chapter 2: Summary of chapter 2");
    expect(outcomes[0]!.brief.charactersPresent).toEqual(["Mara Quill", "Jon Harrow"]);
    expect(outcomes[0]!.text).toContain("Mara Quill and Jon Harrow kept the light");
    // Chapter 2's codex update is tied to chapter 2, and chapter 3's checker is told.
    expect(state.codex.find((c) => c.name === "Jon Harrow")?.facts).toEqual([{ kind: "status", value: "dead", chapter: 2 }]);
    expect(state.codex.map((c) => c.name)).toContain("Ada Pike");
    expect(outcomes[1]!.report.overall).toBe("pass");
    expect(outcomes[2]!.report.overall).toBe("fail");
    expect(outcomes[2]!.report.findings[0]).toMatchObject({ category: "character", quote: "Jon Harrow walked in", earlierFact: { chapter: 2 } });
    // The model-free checks see it too, from the codex fact alone.
    const dead = outcomes[2]!.checks.filter((f) => f.check === "dead-character");
    expect(dead.some((f) => f.quote.includes("Jon Harrow walked in"))).toBe(true);
    expect(outcomes[1]!.checks.filter((f) => f.check === "dead-character")).toEqual([]);
    // Summaries reach later prompts; the full text of chapter 1 does not reach chapter 3.
    const chapter3Prose = server.requests.find((r) => promptOf(r).includes("Write chapter 3 now"))!;
    expect(promptOf(chapter3Prose)).toContain("Summary of chapter 1");
    expect(promptOf(chapter3Prose)).not.toContain(outcomes[0]!.text.slice(0, 60));
    expect(state.timeline).toEqual(["Day 1: Events of chapter 1 (Mara Quill) [chapter 1]", "Day 2: Events of chapter 2 (Mara Quill) [chapter 2]", "Day 3: Events of chapter 3 (Mara Quill) [chapter 3]"]);
    // The stable prefix is cached once and read after: later calls of an agent read the cache.
    const totals = outcomes.reduce((sum, o) => sum + o.usage.cacheReadInputTokens, 0);
    expect(totals).toBeGreaterThan(0);
  });
});
