import { describe, expect, it } from "vitest";
import { DEFAULT_PHRASES } from "./default-phrases";
import { compilePhrase, compilePhrases, findStockPhrases } from "./stock-phrases";
import { chapter, expectValidFindings } from "./testing";

/** The text a list entry stands for, its wildcards filled in. */
const instance = (phrase: string): string =>
  phrase
    .split(" ")
    .map((w) => (w === "*" ? "she" : w.replace(/\*/g, "ed")))
    .join(" ");

describe("the default list", () => {
  it("has at least 40 entries, all distinct", () => {
    expect(DEFAULT_PHRASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(DEFAULT_PHRASES.map((p) => p.toLowerCase())).size).toBe(DEFAULT_PHRASES.length);
  });

  it.each(DEFAULT_PHRASES.map((p) => [p]))("“%s” compiles and finds itself in a sentence", (phrase) => {
    const text = `Before it, ${instance(phrase)}, after it.`;
    const findings = findStockPhrases([chapter(1, text)], { useDefaultPhrases: false, phrases: [phrase] });
    expect(findings.map((f) => f.check)).toEqual(["stock-phrase"]);
  });
});

describe("compilePhrase", () => {
  it.each([
    ["a lone wildcard matches everything, so it is refused", "*"],
    ["blank", "   "],
    ["punctuation only", "…"],
  ])("%s", (_name, phrase) => {
    expect(compilePhrase(phrase)).toBeNull();
  });
});

describe("findStockPhrases", () => {
  const only = (phrases: string[]) => ({ useDefaultPhrases: false, phrases });

  it.each([
    // [name, phrases, text, quotes expected]
    ["case-insensitive", ["the tension was palpable"], "The Tension Was Palpable tonight.", ["The Tension Was Palpable tonight."]],
    ["across a hard line wrap", ["sent shivers down"], "It sent\nshivers down her spine.", ["It sent\nshivers down her spine."]],
    ["curly apostrophe in the text, straight in the list", ["couldn't help but"], "She couldn’t help but smile.", ["She couldn’t help but smile."]],
    ["straight in the text, curly in the list", ["couldn’t help but"], "She couldn't help but smile.", ["She couldn't help but smile."]],
    ["a word wildcard", ["a breath * didn't know * was holding"], "He let out a breath he didn't know he was holding.", ["He let out a breath he didn't know he was holding."]],
    ["an ending wildcard", ["delv*"], "They delved into it.", ["They delved into it."]],
    ["whole words only", ["delve"], "Nobody delves here.", []],
    ["not inside a longer word", ["tapestry"], "The supertapestry hung.", []],
    ["not across a paragraph break", ["the weight of"], "It was the weight\n\nof the world.", []],
    ["every occurrence", ["a wave of"], "A wave of fear. Then a wave of relief.", ["A wave of fear. Then a wave of relief.", "A wave of fear. Then a wave of relief."]],
  ])("%s", (_name, phrases, text, quotes) => {
    const chapters = [chapter(4, text)];
    const findings = findStockPhrases(chapters, only(phrases)).filter((f) => f.check === "stock-phrase");
    expect(findings.map((f) => f.quote)).toEqual(quotes);
    expectValidFindings(findings, chapters);
    for (const f of findings) {
      expect(f).toMatchObject({ severity: "warning", category: "style", where: { chapter: 4 } });
      expect(f.suggestedFix).toMatch(/voice/);
    }
  });

  it("reports the line of each occurrence and a short excerpt around it", () => {
    const long = "word ".repeat(30);
    const chapters = [chapter(2, "Nothing here.", `${long}and the tension was palpable in the room ${long}`, "", "Later, eyes widened.")];
    const findings = findStockPhrases(chapters);
    expect(findings.map((f) => [f.where.line, f.quote])).toEqual([
      [2, "word word word word word word word and the tension was palpable in the room word word word word word"],
      [4, "Later, eyes widened."],
    ]);
    expectValidFindings(findings, chapters);
  });

  it("says which list a phrase is on, and how a wildcard entry was written", () => {
    const [mine] = findStockPhrases([chapter(1, "He shrugged for the hundredth time.")], { phrases: ["for the hundredth time"] });
    expect(mine!.why).toMatch(/your list/);
    const [wild] = findStockPhrases([chapter(1, "They delved deeper.")]);
    expect(wild!.why).toMatch(/“delved” is on the default list/);
    expect(wild!.why).toMatch(/listed as “delv\*”/);
  });

  it("adds the writer's phrases to the defaults, and can drop the defaults or single entries", () => {
    const chapters = [chapter(1, "In a world where dragons fly, her eyes widened. He shrugged for the hundredth time.")];
    const phrasesFound = (options: Parameters<typeof findStockPhrases>[1]) => findStockPhrases(chapters, options).map((f) => f.why.match(/“([^”]+)”/)![1]);
    expect(phrasesFound({ phrases: ["for the hundredth time"] })).toEqual(["In a world where", "eyes widened", "for the hundredth time"]);
    expect(phrasesFound({ phrases: ["for the hundredth time"], useDefaultPhrases: false })).toEqual(["for the hundredth time"]);
    expect(phrasesFound({ ignorePhrases: ["EYES WIDEN*"] })).toEqual(["In a world where"]);
  });

  it("reports a longer phrase once, not again for a shorter one inside it", () => {
    const findings = findStockPhrases([chapter(1, "She let out a breath she didn’t know she was holding.")]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.why).toMatch(/let out a breath/);
  });

  it("adds a summary when one phrase comes back three times in a chapter, and not for two", () => {
    const chapters = [
      chapter(1, "The weight of it.", "The weight of her.", "", "The weight of them."),
      chapter(2, "The weight of it.", "The weight of her."),
    ];
    const summaries = findStockPhrases(chapters).filter((f) => f.check === "stock-phrase-repeat");
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ where: { chapter: 1, line: 1 }, severity: "warning" });
    expect(summaries[0]!.why).toMatch(/appears 3 times in this chapter \(lines 1, 2 and 4\)/);
    expectValidFindings(summaries, chapters);
  });

  it("finds nothing in plain prose, and nothing with no lists at all", () => {
    const chapters = [chapter(1, "She opened the door. The kitchen smelled of burnt toast and her father's pipe.")];
    expect(findStockPhrases(chapters)).toEqual([]);
    expect(findStockPhrases([chapter(1, "The tension was palpable.")], { useDefaultPhrases: false })).toEqual([]);
  });

  it("merges the lists: the writer's entry wins over the same default", () => {
    const compiled = compilePhrases({ phrases: ["The Weight Of"] });
    const entries = compiled.filter((p) => p.phrase.toLowerCase() === "the weight of");
    expect(entries).toHaveLength(1);
    expect(entries[0]!.source).toBe("writer");
  });
});
