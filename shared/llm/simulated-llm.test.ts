/**
 * The offline simulator: every agent's structured reply validates against its schema on the first try,
 * with content taken from the prompt; chapter prose is about the brief's length, marked as placeholder,
 * continued across `max_tokens` like a model's; the same request always gets the same reply; the
 * repeated-wording check finds next to nothing to say about three simulated chapters.
 */
import * as z from "zod";
import { describe, expect, it } from "vitest";
import type { CodexCharacter } from "../agents/codex";
import type { BookMaterial } from "../agents/context";
import { runArchitect, runCharacters, runContinuity, runTimeline, runWriter, type AgentDeps, type AgentModels } from "../agents/run";
import { briefSchema, charactersSchema, continuityReportSchema, findingSchema, timelineSchema, type Brief } from "../agents/schemas";
import { findRepeatedNgrams } from "../checks/repeated-ngrams";
import { completeProse } from "./continue-prose";
import { LlmError, type Llm, type LlmRequest } from "./llm";
import { costOf, DEFAULT_PRICES } from "./prices";
import { SIMULATED_CHAPTER_NOTICE, SimulatedLlm, simulatedTargetWords, SIMULATOR_MODEL } from "./simulated-llm";
import { toolFor } from "./structured";

const book: BookMaterial = {
  title: "The Lighthouse Keeper",
  genre: "literary fiction",
  language: "en-GB",
  storyBible: "## Premise\nWhen her father drowns, Mara Quill keeps the Skerry Light alone through one winter.\n\n## Style guide\nShort sentences.",
  outline: "## Act one\n1. Storm — the night the light goes out.\n2. The supply boat — Jon brings news and a letter.\n3. The logbook — Mara reads her father's last entries.",
};

function character(name: string, aliases: string[], role: string): CodexCharacter {
  return { name, aliases, role, sheet: "", facts: [] };
}
// The codex lists notes by file name, so the supporting character comes first: the simulator must still lead with the protagonist.
const codex = [character("Jon Harrow", ["Jon"], "supporting"), character("Mara Quill", ["Mara"], "protagonist")];
const models: AgentModels = { architect: SIMULATOR_MODEL, writer: SIMULATOR_MODEL, continuity: SIMULATOR_MODEL, timeline: SIMULATOR_MODEL, characters: SIMULATOR_MODEL };

/** The simulator, counting its calls (a repair call would be a second one). */
function counted(): { llm: Llm; requests: LlmRequest[] } {
  const simulator = new SimulatedLlm();
  const requests: LlmRequest[] = [];
  return { requests, llm: { complete: (request) => (requests.push(request), simulator.complete(request)) } };
}

const base = (chapter: number) => ({ book, codex, batchStart: 3, chapter, summaries: [], previousChapterText: "Fourteen. Fourteen. Fourteen." });

async function chapter(deps: AgentDeps, n: number): Promise<{ brief: Brief; text: string }> {
  const brief = (await runArchitect(deps, { ...base(n), charactersPresent: [] })).value;
  const text = (await runWriter(deps, { ...base(n), brief, charactersPresent: brief.charactersPresent })).value;
  return { brief, text };
}

describe("SimulatedLlm: structured replies", () => {
  it("answers every agent's tool with an input valid on the first try, drawn from the prompt", async () => {
    const { llm, requests } = counted();
    const deps = { llm, models };
    const { brief, text } = await chapter(deps, 3);
    const checking = { ...base(3), chapterText: text, charactersPresent: brief.charactersPresent };
    const report = (await runContinuity(deps, checking)).value;
    const characters = (await runCharacters(deps, checking)).value;
    const timeline = (await runTimeline(deps, checking)).value;
    // Five agents, five calls: no reply needed the repair call.
    expect(requests).toHaveLength(5);

    expect(brief).toMatchObject({ title: "The logbook", pov: "Mara Quill", charactersPresent: ["Mara Quill", "Jon Harrow"], targetWords: simulatedTargetWords(3) });
    expect(brief.goal).toMatch(/^Simulated plan: Mara reads her father's last entries/);
    expect(brief.setting).toContain("Skerry Light");
    expect(brief.beats).toHaveLength(3);
    expect(brief.endingHook).toContain("chapter 4");
    expect(report).toMatchObject({ overall: "pass", findings: [] });
    expect(report.summary).toMatch(/^Simulated summary of chapter 3: /);
    // No invented characters or facts: the codex changes only by who appeared.
    expect(characters).toMatchObject({ newCharacters: [], changes: [], relationships: [] });
    expect(characters.appearances.map((a) => a.name)).toEqual(["Mara Quill", "Jon Harrow"]);
    expect(timeline.events.map((e) => e.order)).toEqual([0, 1, 2]);
    expect(timeline.events.every((e) => e.when.startsWith("Chapter 3,") && e.who.every((w) => ["Mara Quill", "Jon Harrow"].includes(w)))).toBe(true);
  });

  it("gives a valid input for every schema in schemas.ts, with a prompt and without one", async () => {
    const llm = new SimulatedLlm();
    const schemas: Record<string, z.ZodType> = { briefSchema, findingSchema, continuityReportSchema, timelineSchema, charactersSchema };
    for (const [name, schema] of Object.entries(schemas)) {
      const tool = toolFor(schema, { toolName: name, description: name });
      for (const prompt of ["", "## Characters in this chapter, as they are now\n### Mara Quill (also: Mara)\nRole: protagonist\n\nCheck chapter 7."]) {
        const reply = await llm.complete({ model: SIMULATOR_MODEL, maxTokens: 2000, system: [], messages: [{ role: "user", content: [{ text: prompt }] }], tool });
        expect(reply.stopReason).toBe("tool_use");
        expect(schema.safeParse(reply.toolInput).success, `${name} with prompt ${JSON.stringify(prompt.slice(0, 20))}`).toBe(true);
      }
    }
  });
});

describe("SimulatedLlm: prose", () => {
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

  it("writes a chapter of about the brief's length, opening with the placeholder notice and naming the characters", async () => {
    const deps = { llm: new SimulatedLlm(), models };
    const { brief, text } = await chapter(deps, 4);
    expect(text.startsWith(SIMULATED_CHAPTER_NOTICE)).toBe(true);
    expect(text.split("\n")[0]).toMatch(/Simulator placeholder text/);
    const prose = text.slice(SIMULATED_CHAPTER_NOTICE.length);
    expect(words(prose)).toBeGreaterThanOrEqual(brief.targetWords);
    expect(words(prose)).toBeLessThan(brief.targetWords + 20);
    expect(prose).toMatch(/\bMara\b/);
    expect(prose).toMatch(/\bJon\b/);
    expect(prose.split("\n\n").length).toBeGreaterThan(20);
  });

  it("stops at max_tokens like a model, and a continuation gets exactly the rest", async () => {
    const llm = new SimulatedLlm();
    const brief = { ...(await chapter({ llm, models }, 4)).brief, targetWords: 3000 };
    const { system, messages } = { system: [{ text: "# The Lighthouse Keeper" }], messages: [{ role: "user" as const, content: [{ text: `## Brief for chapter 4\n${JSON.stringify(brief, null, 2)}\n\nWrite chapter 4 now.` }] }] };
    const whole = await llm.complete({ model: SIMULATOR_MODEL, maxTokens: 100_000, system, messages });
    const first = await llm.complete({ model: SIMULATOR_MODEL, maxTokens: 2_000, system, messages });
    expect(first.stopReason).toBe("max_tokens");
    expect(first.text.length).toBeLessThanOrEqual(8_000);
    const joined = await completeProse(llm, { model: SIMULATOR_MODEL, maxTokens: 2_000, system, messages }, { maxContinuations: 5, continueBy: "prefill" });
    expect(joined.truncated).toBe(false);
    expect(joined.continuations).toBeGreaterThan(0);
    expect(joined.text).toBe(whole.text);
    expect(words(whole.text)).toBeGreaterThan(3000);
  });

  it("plans chapters of different lengths, from 1,300 to 1,700 words", () => {
    const lengths = [1, 2, 3, 4, 5].map(simulatedTargetWords);
    expect(new Set(lengths).size).toBe(5);
    expect(Math.min(...lengths)).toBe(1300);
    expect(Math.max(...lengths)).toBe(1700);
  });

  it("answers the same request with the same text, and another chapter with another", async () => {
    const one = await chapter({ llm: new SimulatedLlm(), models }, 4);
    const again = await chapter({ llm: new SimulatedLlm(), models }, 4);
    const other = await chapter({ llm: new SimulatedLlm(), models }, 5);
    expect(again).toEqual(one);
    expect(other.text).not.toBe(one.text);
  });

  it("varies its wording enough that three chapters give the repeated-wording check almost nothing but the notice", async () => {
    const deps = { llm: new SimulatedLlm(), models };
    const chapters = [];
    for (const n of [3, 4, 5]) chapters.push({ chapter: n, title: `Chapter ${n}`, body: (await chapter(deps, n)).text });
    const findings = findRepeatedNgrams(chapters);
    const aboutNotice = findings.filter((f) => SIMULATED_CHAPTER_NOTICE.replace(/\s+/g, " ").includes(f.quote.replace(/\s+/g, " ")));
    expect(aboutNotice.length).toBeLessThanOrEqual(2);
    expect(findings.length - aboutNotice.length).toBeLessThanOrEqual(6);
  });

  it("writes a short reply for a summary's small budget", async () => {
    const reply = await new SimulatedLlm().complete({ model: SIMULATOR_MODEL, maxTokens: 600, system: [], messages: [{ role: "user", content: [{ text: "Summarise chapter 2." }] }] });
    expect(reply.stopReason).toBe("end_turn");
    expect(reply.text).toMatch(/^\(Simulated text, not written by a model\.\)/);
    expect(words(reply.text)).toBeGreaterThan(50);
    expect(words(reply.text)).toBeLessThan(200);
  });
});

describe("SimulatedLlm: usage, cost, cancelling", () => {
  it("estimates usage at four characters a token, and its model has no price", async () => {
    const text = "x".repeat(4000);
    const reply = await new SimulatedLlm().complete({ model: SIMULATOR_MODEL, maxTokens: 400, system: [{ text }], messages: [{ role: "user", content: [{ text: "Summarise chapter 1." }] }] });
    expect(reply.model).toBe(SIMULATOR_MODEL);
    expect(reply.usage.inputTokens).toBe(Math.ceil((4000 + 1 + "Summarise chapter 1.".length) / 4));
    expect(reply.usage.outputTokens).toBe(Math.ceil(reply.text.length / 4));
    expect(reply.usage.cacheReadInputTokens + reply.usage.cacheCreationInputTokens).toBe(0);
    expect(costOf(reply.usage, SIMULATOR_MODEL, DEFAULT_PRICES).usd).toBeNull();
  });

  it("streams prose through onText, adding up to the reply", async () => {
    const deltas: string[] = [];
    let last = 0;
    const reply = await new SimulatedLlm().complete({
      model: SIMULATOR_MODEL,
      maxTokens: 2000,
      system: [],
      messages: [{ role: "user", content: [{ text: "Write." }] }],
      onText: (delta, received) => (deltas.push(delta), (last = received)),
    });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(reply.text);
    expect(last).toBe(reply.text.length);
  });

  it("refuses a request whose signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const reply = new SimulatedLlm().complete({ model: SIMULATOR_MODEL, maxTokens: 10, system: [], messages: [], signal: controller.signal });
    await expect(reply).rejects.toBeInstanceOf(LlmError);
    await expect(reply).rejects.toMatchObject({ kind: "aborted" });
  });
});
