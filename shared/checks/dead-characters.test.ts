import { describe, expect, it } from "vitest";
import { findDeadCharacterMentions, isDeadStatus } from "./dead-characters";
import { chapter, expectValidFindings } from "./testing";
import type { CodexCharacter, Finding } from "./types";

const codex: CodexCharacter[] = [
  { name: "Mara Voss", aliases: ["Mags"], status: "dead", statusSince: 7 },
  { name: "Tom Reyes", aliases: [] },
  { name: "Mr. Bennet", aliases: [], status: "Deceased", statusSince: 3 },
  { name: "Mrs. Bennet", aliases: [] },
  { name: "Will Turner", aliases: [], status: "killed in the storm", statusSince: 2 },
];

describe("isDeadStatus", () => {
  it.each([
    ["dead", true],
    ["Deceased", true],
    ["killed in the storm", true],
    ["died of fever", true],
    ["murdered", true],
    ["passed away", true],
    ["presumed dead", false],
    ["not dead yet", false],
    ["undead", false],
    ["alive", false],
    [undefined, false],
  ])("%s → %s", (status, dead) => {
    expect(isDeadStatus(status)).toBe(dead);
  });
});

describe("findDeadCharacterMentions", () => {
  it.each<[string, string, Finding["severity"] | null]>([
    ["dialogue attribution after the speech", "“Hello,” Mara said.", "error"],
    ["dialogue attribution before the name", "“Hello,” said Mara.", "error"],
    ["an adverb between name and verb", "Mara quietly asked for the salt.", "error"],
    ["the alias speaks", "“Enough,” Mags snapped.", "error"],
    ["a verb that tags speech only when there is speech", "Mara laughed at the sea.", "warning"],
    ["an action in narration", "Mara walked into the kitchen.", "warning"],
    ["reported speech about her is not her speaking", "Tom said Mara was gone.", "warning"],
    ["the object of someone else's action", "Tom handed Mara the key.", "warning"],
    ["the surname alone", "Voss walked in without knocking.", "warning"],
    ["named inside someone's speech", "“Mara would hate this,” Tom said.", "info"],
    ["a memory", "Tom remembered how Mara laughed.", null],
    ["a grave", "They stood at Mara’s grave.", null],
    ["a habit in the past", "Mara used to sing here.", null],
    ["the late", "Tom spoke of the late Mara Voss.", null],
    ["a photograph", "The photograph showed Mara on the pier.", null],
    ["the paragraph is a memory: one step lower", "Tom remembered that summer. Mara laughed at the sea.", "info"],
    ["speech in a remembered paragraph: one step lower", "Tom remembered that summer. “Look,” Mara said.", "warning"],
    ["a title the dead man does not bear", "Mrs. Bennet walked in.", null],
    ["the dead man with his title", "Mr. Bennet walked in.", "warning"],
    ["a surname two characters share names neither", "The Bennet house was quiet.", null],
    ["a name that is a common word, starting a sentence", "Will you come? Tom asked.", null],
    ["the same name mid-sentence", "Then Will walked in.", "warning"],
  ])("%s", (_name, text, severity) => {
    const chapters = [chapter(9, "The rain had stopped.", "", text)];
    const findings = findDeadCharacterMentions(chapters, codex);
    if (severity === null) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ severity, category: "character", check: "dead-character", where: { chapter: 9, line: 3 } });
    expect(text.endsWith(f!.quote)).toBe(true);
    expect(f!.why).toMatch(/has been dead since chapter \d+ \(codex status: “[^”]+”\)/);
    expect(f!.suggestedFix).toMatch(/memory or a flashback/);
    expectValidFindings(findings, chapters);
  });

  it("quotes the sentence and cites the chapter of death", () => {
    const chapters = [chapter(12, "Rain fell. Later that night Mara walked\ninto the kitchen and sat down. Tom stared.")];
    const [f] = findDeadCharacterMentions(chapters, codex);
    expect(f!.quote).toBe("Later that night Mara walked\ninto the kitchen and sat down.");
    expect(f!.why).toBe("Mara Voss has been dead since chapter 7 (codex status: “dead”), yet here Mara Voss appears as if present.");
    expect(f!.where.line).toBe(1);
  });

  it("says so when the dead speak", () => {
    const [f] = findDeadCharacterMentions([chapter(8, "“Hello,” said Mara.")], codex);
    expect(f!.why).toContain("yet here Mara Voss speaks.");
  });

  it("reports nothing up to and including the chapter of death", () => {
    const chapters = [6, 7].map((n) => chapter(n, "Mara walked into the kitchen."));
    expect(findDeadCharacterMentions(chapters, codex)).toEqual([]);
    expect(findDeadCharacterMentions([chapter(8, "Mara walked into the kitchen.")], codex)).toHaveLength(1);
  });

  it("needs the chapter the character died in", () => {
    const withoutSince: CodexCharacter[] = [{ name: "Mara Voss", aliases: [], status: "dead" }];
    expect(findDeadCharacterMentions([chapter(20, "Mara walked in.")], withoutSince)).toEqual([]);
  });

  it("reports a sentence once, however often it names the character", () => {
    const findings = findDeadCharacterMentions([chapter(9, "Mara smiled, and Mags waved, and Mara sat.")], codex);
    expect(findings).toHaveLength(1);
  });

  it("quotes a short stretch around the name when the sentence is very long", () => {
    const long = `${"and the wind went on ".repeat(20)}until Mara walked in ${"and the rain went on ".repeat(20)}.`;
    const chapters = [chapter(9, long)];
    const [f] = findDeadCharacterMentions(chapters, codex);
    expect(f!.quote).toContain("Mara walked in");
    expect(f!.quote.length).toBeLessThan(300);
    expectValidFindings([f!], chapters);
  });

  it("reports each later chapter with its own lines", () => {
    const chapters = [chapter(8, "Mara walked in."), chapter(10, "Nothing.", "Mara sat down.")];
    const findings = findDeadCharacterMentions(chapters, codex);
    expect(findings.map((f) => [f.where.chapter, f.where.line])).toEqual([
      [8, 1],
      [10, 2],
    ]);
  });

  it("finds nothing when nobody is dead", () => {
    expect(findDeadCharacterMentions([chapter(9, "Mara walked in.")], [{ name: "Mara", aliases: [], status: "alive" }])).toEqual([]);
  });
});
