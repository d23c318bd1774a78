import { describe, expect, it } from "vitest";
import type { CodexCharacter } from "./codex";
import { buildContext, estimateTokens, rollUpSummaries, tailWords, type ChapterMemory, type ContextInput } from "./context";

const prose = (chapter: number, words: number): string =>
  Array.from({ length: words }, (_, i) => (i % 12 === 11 ? `word${chapter}-${i}.` : `word${chapter}-${i}`)).join(" ");

const codex: CodexCharacter[] = [
  { name: "Mara Quill", aliases: ["Mara"], role: "protagonist", sheet: "Clock-maker. Says 'right, then' when she decides.", facts: [{ kind: "location", value: "Skerry Light", chapter: 1 }] },
  { name: "Jon Harrow", aliases: ["Jon"], role: "supporting", sheet: "Skipper of the Wren.", facts: [{ kind: "status", value: "dead", chapter: 7 }, { kind: "knowledge", value: "the Marigold's real name", chapter: 3 }] },
  ...Array.from({ length: 8 }, (_, i) => ({ name: `Extra ${i}`, aliases: [], sheet: `Minor character ${i}. `.repeat(20), facts: [] })),
];

// Realistic sizes: a story bible of about 900 words and a 30-chapter outline of about 1,500.
const STORY_BIBLE = `Close third, past tense. No 'suddenly'. ${"The sea takes back what the light gives. ".repeat(110)}`;
const OUTLINE = Array.from({ length: 30 }, (_, i) => `${i + 1}. ${"A beat of the plan with its people and places. ".repeat(5)}`).join("\n");

const summaries: ChapterMemory[] = Array.from({ length: 40 }, (_, i) => ({
  chapter: i + 1,
  act: i < 10 ? "Act one" : i < 25 ? "Act two" : "Act three",
  summary: `In chapter ${i + 1} things happen. ${"Mara does something and Jon answers. ".repeat(18)}`,
}));

function input(chapter: number, extra: Partial<ContextInput> = {}): ContextInput {
  return {
    agent: "writer",
    book: { title: "The Lighthouse Keeper", language: "en-GB", storyBible: STORY_BIBLE, outline: OUTLINE },
    codex,
    batchStart: 1,
    chapter,
    summaries,
    actSummaries: { "Act one": "The storm, the letter, Jon's death." },
    previousChapterText: prose(chapter - 1, 3000),
    charactersPresent: ["[[Mara]]", "Jon"],
    ...extra,
  };
}

const size = (context: ReturnType<typeof buildContext>): number =>
  [...context.system, ...context.messages.flatMap((m) => m.content)].reduce((sum, block) => sum + estimateTokens(block.text), 0);

describe("buildContext", () => {
  it("keeps the stable part byte-identical across a batch, with cache breakpoints", () => {
    const a = buildContext(input(5));
    const b = buildContext(input(9));
    expect(b.system).toEqual(a.system);
    expect(a.system.map((block) => block.cache)).toEqual([undefined, "1h", "5m"]);
  });

  it("does not grow with the book: chapter 30's prompt is at most 1.3 times chapter 5's", () => {
    const at5 = size(buildContext(input(5)));
    const at30 = size(buildContext(input(30)));
    expect(at30 / at5).toBeLessThanOrEqual(1.3);
  });

  it("gives full sheets only to the characters present, as they are before the chapter", () => {
    const text = (chapter: number): string => buildContext(input(chapter)).messages[0]!.content[0]!.text;
    expect(text(5)).toContain("Says 'right, then'");
    expect(text(5)).not.toContain("Minor character 3.");
    expect(text(5)).toContain("Knows: the Marigold's real name (since chapter 3)");
    expect(text(5)).not.toContain("Status: dead");
    expect(text(8)).toContain("Status: dead");
  });

  it("gives the previous chapter's ending verbatim, and only its ending", () => {
    const text = buildContext(input(12)).messages[0]!.content[0]!.text;
    const previous = prose(11, 3000);
    expect(text).toContain(previous.slice(-500));
    expect(text).not.toContain(previous.slice(0, 200));
  });

  it("never shows a later chapter's summary", () => {
    const text = buildContext(input(12)).messages[0]!.content[0]!.text;
    expect(text).toContain("Chapter 11:");
    expect(text).not.toContain("Chapter 12:");
    expect(text).not.toContain("Chapter 13:");
  });
});

describe("rollUpSummaries", () => {
  it("keeps recent chapters whole, rolls older ones into their act, and stays within budget", () => {
    const text = rollUpSummaries(summaries, { "Act one": "The storm and the letter." }, 2000);
    expect(estimateTokens(text)).toBeLessThanOrEqual(2000);
    expect(text).toContain("Act one: The storm and the letter.");
    expect(text).toContain(summaries[39]!.summary.trim());
    expect(text.match(/Act one:/g)).toHaveLength(1);
  });

  it("says when it left the oldest chapters out", () => {
    const text = rollUpSummaries(summaries, {}, 400);
    expect(text).toMatch(/^\(Earlier chapters, 1–\d+, are left out for length\.\)/);
    expect(estimateTokens(text)).toBeLessThanOrEqual(400);
  });
});

describe("tailWords", () => {
  it.each([
    ["one two three four", 2, "three four"],
    ["short", 10, "short"],
    ["a  b\n\nc", 2, "b\n\nc"],
  ])("tail of %j, %i words", (text, words, expected) => {
    expect(tailWords(text, words)).toBe(expected);
  });
});
