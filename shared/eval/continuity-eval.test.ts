import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from "../../test/fake-anthropic/server";
import { AnthropicLlm } from "../llm/anthropic-llm";
import { evalContinuity, type EvalBook } from "./continuity-eval";
import { plantContradictions } from "./plant";
import { scoreFindings } from "./score";

const body = (n: number): string =>
  Array.from({ length: 6 }, (_, p) => `Paragraph ${p + 1} of chapter ${n}. Mara Quill and Jon Harrow watched the light turn over the water.`).join("\n\n");

const book: EvalBook = {
  material: { title: "The Lighthouse Keeper", language: "en", storyBible: "Close third, past tense.", outline: "Ten chapters." },
  codex: [
    { name: "Mara Quill", aliases: ["Mara"], sheet: "", facts: [] },
    { name: "Jon Harrow", aliases: ["Jon"], sheet: "", facts: [] },
  ],
  chapters: Array.from({ length: 9 }, (_, i) => ({ chapter: i + 1, body: body(i + 1) })),
};

describe("plantContradictions", () => {
  it("puts each fact early and its contradiction later, verbatim, in copies", () => {
    const { chapters, plants } = plantContradictions(book.chapters, ["Mara Quill", "Jon Harrow"], 5, 7);
    expect(plants.map((p) => p.kind)).toEqual(["status", "eye-colour", "knowledge", "date", "name"]);
    for (const plant of plants) {
      expect(plant.fact.chapter).toBeLessThanOrEqual(3);
      expect(plant.contradiction.chapter).toBeGreaterThan(plant.fact.chapter);
      expect(chapters.find((c) => c.chapter === plant.fact.chapter)?.body).toContain(plant.fact.sentence);
      expect(chapters.find((c) => c.chapter === plant.contradiction.chapter)?.body).toContain(plant.contradiction.sentence);
    }
    expect(book.chapters[0]!.body).toBe(body(1)); // the originals are untouched
    expect(plantContradictions(book.chapters, ["Mara Quill"], 5, 7).plants).toEqual(plantContradictions(book.chapters, ["Mara Quill"], 5, 7).plants);
  });

  it("says what it needs", () => {
    expect(() => plantContradictions(book.chapters.slice(0, 1), ["Mara"], 1)).toThrow(/at least 2 chapters/);
    expect(() => plantContradictions(book.chapters, [], 1)).toThrow(/character name/);
  });
});

describe("scoreFindings", () => {
  it("counts hits by chapter and quote, and everything else as false alarms per 10,000 words", () => {
    const { plants } = plantContradictions(book.chapters, ["Mara Quill"], 2, 3);
    const hit = { chapter: plants[0]!.contradiction.chapter, quote: plants[0]!.contradiction.sentence.slice(0, 30) };
    const wrongChapter = { chapter: plants[1]!.contradiction.chapter + 100, quote: plants[1]!.contradiction.sentence };
    const score = scoreFindings([hit, wrongChapter], plants, 5_000);
    expect(score).toMatchObject({ planted: 2, found: 1, recall: 0.5, falseAlarms: 1, falseAlarmsPer10kWords: 2 });
    expect(score.missed).toEqual([plants[1]]);
  });
});

describe("evalContinuity against the fake server (plumbing)", () => {
  let server: FakeAnthropic;
  beforeEach(async () => {
    server = await startFakeAnthropic({ minCacheableTokens: 50 });
  });
  afterEach(async () => {
    await server.close();
  });

  /** A "checker" that quotes every sentence matching `pattern` in the chapter it was given. */
  const quoting = (pattern: RegExp) => (request: RecordedRequest) => {
    const last = request.body.messages.at(-1);
    const text = typeof last?.content === "string" ? last.content : (last?.content.map((b) => ("text" in b ? b.text : "")).join("\n") ?? "");
    const chapterText = /## Chapter \d+\n([\s\S]*?)\n\nCheck chapter/.exec(text)?.[1] ?? "";
    const quotes = chapterText.split(/\n{2,}/).filter((p) => pattern.test(p));
    return { toolInput: { overall: quotes.length ? "fail" : "pass", findings: quotes.map((quote) => ({ severity: "error", category: "character", quote, where: "here", why: "planted", suggestedFix: "cut" })), summary: "A summary." } };
  };

  it("finds what a checker quotes, and counts what it invents as false alarms", async () => {
    const llm = new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
    // This checker recognises two of the five planted kinds, and also flags one honest paragraph per chapter.
    server.setScript(quoting(/came in from the yard|had known about the sealed letter|^Paragraph 3 /));
    const result = await evalContinuity({ llm }, book, { count: 5, seed: 7 });
    expect(server.requests).toHaveLength(9);
    expect(result.score.planted).toBe(5);
    expect(result.score.found).toBe(2);
    expect(result.score.recall).toBeCloseTo(0.4);
    expect(result.score.falseAlarms).toBe(9);
    expect(result.score.falseAlarmsPer10kWords).toBeCloseTo((9 * 10_000) / result.score.words);
    expect(result.score.missed.map((p) => p.kind).sort()).toEqual(["date", "eye-colour", "name"]);
    // Later chapters are checked with the summaries the checker wrote before.
    expect(JSON.stringify(server.requests[8]!.body.messages)).toContain("Chapter 8: A summary.");
  });
});
