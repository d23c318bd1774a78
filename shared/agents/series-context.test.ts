import { describe, expect, it } from "vitest";
import { codexBefore, renderCharacter, type CodexCharacter } from "./codex";
import { buildContext, estimateTokens, type ContextInput } from "./context";
import { DEFAULT_SERIES_TOKENS, leadSentence, renderSeriesContext, rollUpBooks, type EarlierBook } from "./series-context";

/** Realistic summaries: about 150 words a chapter, 25 chapters a book. */
const book = (position: number, chapters = 25): EarlierBook => ({
  position,
  title: `Tides ${position}`,
  summaries: Array.from({ length: chapters }, (_, i) => ({
    chapter: i + 1,
    summary: `Mr. Vell sails in book ${position}, chapter ${i + 1}. ${"Mara mends the light and Jon rows out to meet the supply boat. ".repeat(12)}`,
  })),
});
const books = (n: number) => Array.from({ length: n }, (_, i) => book(i + 1));

/** The tokens each book's block takes in a roll-up, by position. */
function blockSizes(text: string): Map<number, number> {
  const sizes = new Map<number, number>();
  for (const block of text.split("\n\n")) {
    const position = /^Book (\d+): /.exec(block)?.[1];
    if (position) sizes.set(Number(position), estimateTokens(block));
  }
  return sizes;
}

describe("rollUpBooks", () => {
  it("stays within one budget however many books came before", () => {
    for (let n = 1; n <= 12; n++) expect(estimateTokens(rollUpBooks(books(n), DEFAULT_SERIES_TOKENS)), `${n} books`).toBeLessThanOrEqual(DEFAULT_SERIES_TOKENS);
    const sizes = [2, 6, 12].map((n) => estimateTokens(rollUpBooks(books(n), DEFAULT_SERIES_TOKENS)));
    // Not growing with the books: twelve earlier books cost no more than six.
    expect(sizes[2]).toBeLessThanOrEqual(sizes[1]!);
  });

  it("compresses the oldest books hardest, and says which ones it left out", () => {
    const text = rollUpBooks(books(6), 1600);
    const sizes = blockSizes(text);
    const shown = [...sizes.keys()].sort((a, b) => a - b);
    expect(shown.at(-1)).toBe(6);
    for (let i = 1; i < shown.length; i++) expect(sizes.get(shown[i]!)!).toBeGreaterThan(sizes.get(shown[i - 1]!)!);
    expect(text).toMatch(shown[0] === 2 ? /^\(Book 1, Tides 1, is left out for length/ : new RegExp(`^\\(Books 1–${shown[0]! - 1} are left out for length`));
    // The book just before this one ends with its last chapter's own summary, labelled with its book.
    expect(text).toContain(`Book 6, chapter 25: ${book(6).summaries[24]!.summary.trim()}`);
  });

  it("labels every line with its book, so no earlier chapter reads as this book's", () => {
    const text = rollUpBooks(books(2), DEFAULT_SERIES_TOKENS);
    for (const line of text.split("\n").filter(Boolean)) expect(line).toMatch(/^(Book \d+: Tides \d+|Book \d+, chapter \d+: |\(Book \d+, chapters 1–\d+, are left out for length\.\))/);
  });

  it("says so when a book has no chapter summaries yet", () => {
    expect(rollUpBooks([{ position: 1, title: "Tides", summaries: [] }], 400)).toBe("Book 1: Tides\n(No chapter summaries yet.)");
  });
});

describe("leadSentence", () => {
  it.each([
    ["Mr. Darcy bows. Then he leaves.", "Mr. Darcy bows."],
    ["“I hope, my dear,” said Mr. Bennet to his wife. She laughed.", "“I hope, my dear,” said Mr. Bennet to his wife."],
    ["J. R. Vell sails at dawn! The light fails.", "J. R. Vell sails at dawn!"],
    ["No full stop at all", "No full stop at all"],
  ])("%j → %j", (text, expected) => {
    expect(leadSentence(text)).toBe(expected);
  });
});

describe("the series in the prompts", () => {
  const series = renderSeriesContext({ title: "Tides", description: "A lighthouse saga.", position: 3, bible: "Salt rusts everything.", earlier: books(2) });
  const input = (agent: ContextInput["agent"], seriesContext?: string): ContextInput => ({
    agent,
    book: { title: "The Third Tide", language: "en", storyBible: "Close third.", outline: "1. Storm.", ...(seriesContext ? { seriesContext } : {}) },
    codex: [],
    batchStart: 1,
    chapter: 1,
    summaries: [],
    charactersPresent: [],
  });
  const all = (context: ReturnType<typeof buildContext>) => [...context.system, ...context.messages.flatMap((m) => m.content)].map((b) => b.text).join("\n");

  it("gives the series to the Architect, Writer and Continuity, before the book's own story bible", () => {
    for (const agent of ["architect", "writer", "continuity"] as const) {
      const stable = buildContext(input(agent, series)).system[1]!.text;
      expect(stable).toContain("This book is book 3 of the series Tides: A lighthouse saga.");
      expect(stable.indexOf("## Series bible\nSalt rusts everything.")).toBeLessThan(stable.indexOf("## Story bible"));
      expect(stable).toContain("Book 1: Tides 1");
    }
    // The extractors read one chapter against the codex; the earlier books would only cost them.
    for (const agent of ["characters", "timeline"] as const) expect(all(buildContext(input(agent, series)))).not.toContain("Tides");
  });

  it("tells only a series book's checker how to cite an earlier book", () => {
    expect(buildContext(input("continuity", series)).system[0]!.text).toContain("give its book number and title with its chapter in earlierFact");
    expect(buildContext(input("continuity")).system[0]!.text).not.toContain("earlierFact");
    expect(buildContext(input("architect", series)).system[0]!.text).not.toContain("earlierFact");
  });

  it("leaves a standalone book's prompt as it was", () => {
    for (const agent of ["architect", "writer", "continuity", "characters", "timeline"] as const) {
      expect(buildContext(input(agent, ""))).toEqual(buildContext(input(agent)));
      expect(all(buildContext(input(agent)))).not.toMatch(/series|earlier book/i);
    }
  });
});

describe("the codex of a later book", () => {
  it("shows earlier books' facts as known from the start, each with its book and chapter", () => {
    const mara: CodexCharacter = {
      name: "Mara Quill",
      aliases: [],
      sheet: "",
      facts: [
        { kind: "status", value: "dead", chapter: 0, from: { book: 1, title: "Tides", chapter: 12 } },
        { kind: "knowledge", value: "the code", chapter: 0, from: { book: 2, title: "Ebb", chapter: 3 } },
        { kind: "knowledge", value: "the name", chapter: 4 },
      ],
    };
    const [before] = codexBefore([mara], 1);
    expect(renderCharacter(before!, true)).toBe("### Mara Quill\nStatus: dead (book 1, chapter 12)\nKnows: the code (book 2, chapter 3)");
    expect(renderCharacter(codexBefore([mara], 5)[0]!, true)).toContain("Knows: the code (book 2, chapter 3); the name (since chapter 4)");
  });
});
