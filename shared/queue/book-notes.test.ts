import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Brief, CharactersExtraction } from "../agents/schemas";
import { BookNoteError, characterKeyUpdates, factsOf, parseBriefBody, renderBriefBody, renderReportBody, timelineBefore, withTimelineSection } from "./book-notes";

const brief: Brief = {
  title: "The supply boat",
  goal: "Jon brings the letter; Mara refuses to read it.",
  pov: "Mara Quill",
  setting: "Skerry Light, 1 November, morning",
  charactersPresent: ["Mara Quill", "Jon Harrow"],
  beats: [
    { summary: "The boat comes in late.", characters: ["Jon Harrow"], factsChanged: [] },
    { summary: "Jon hands over the letter.", characters: ["Mara Quill", "Jon Harrow"], factsChanged: ["Mara has the letter", "Jon knows the sender"] },
  ],
  endingHook: "She puts the letter in the lamp room, unopened.",
  targetWords: 3000,
};

describe("brief notes", () => {
  it("read back exactly what was rendered", () => {
    expect(parseBriefBody("Briefs/02.md", renderBriefBody(2, brief))).toEqual(brief);
  });

  it("round-trip any brief whose texts are single lines without the list separators", () => {
    const text = fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.replace(/[\r\n*#;,]/g, " ").trim()).filter((s) => s.length > 0 && !/^\d+[.)]\s/.test(s) && !s.startsWith("-"));
    const arbitrary = fc.record({
      goal: text,
      pov: text,
      setting: text,
      charactersPresent: fc.array(text, { maxLength: 4 }),
      beats: fc.array(fc.record({ summary: text, characters: fc.array(text, { maxLength: 3 }), factsChanged: fc.array(text, { maxLength: 3 }) }), { minLength: 1, maxLength: 5 }),
      endingHook: text,
      targetWords: fc.integer({ min: 1, max: 20_000 }),
    });
    fc.assert(
      fc.property(arbitrary, fc.integer({ min: 1, max: 99 }), (b, n) => {
        expect(parseBriefBody("b.md", renderBriefBody(n, b))).toEqual(b);
      }),
    );
  });

  it("keep the writer's edits: a beat added by hand, a changed goal, CRLF endings", () => {
    const edited = renderBriefBody(2, brief)
      .replace("Jon brings the letter; Mara refuses to read it.", "Jon brings two letters.")
      .replace("## Ending hook", "3. Mara climbs to the lamp.\n\n## Ending hook")
      .replace(/\n/g, "\r\n");
    const parsed = parseBriefBody("Briefs/02.md", edited);
    expect(parsed.goal).toBe("Jon brings two letters.");
    expect(parsed.beats.map((b) => b.summary)).toEqual(["The boat comes in late.", "Jon hands over the letter.", "Mara climbs to the lamp."]);
  });

  it("name the note and the part when something the Writer needs is missing", () => {
    const noGoal = renderBriefBody(2, brief).replace(/^\*\*Goal:\*\*.*$/m, "");
    expect(() => parseBriefBody("Briefs/02.md", noGoal)).toThrow(new BookNoteError("Briefs/02.md", "Goal", 'expected a line "**Goal:** …" with text after it'));
    const badTarget = renderBriefBody(2, brief).replace("**Target words:** 3000", "**Target words:** lots");
    expect(() => parseBriefBody("Briefs/02.md", badTarget)).toThrow(/Briefs\/02\.md: Target words — expected a whole number of words, got "lots"/);
    const noBeats = renderBriefBody(2, brief).replace(/## Beats[\s\S]*?## Ending hook/, "## Ending hook");
    expect(() => parseBriefBody("Briefs/02.md", noBeats)).toThrow(/Beats/);
  });
});

describe("the timeline note", () => {
  const events = (what: string) => [{ when: "Day 2", what, who: ["Mara"], order: 0 }];

  it("keeps one section per chapter in chapter order, and replacing a chapter's section is idempotent", () => {
    const writer = "# Timeline\n\n- Late October — the storm ([[01 Storm]])\n";
    let body = withTimelineSection(writer, 3, "Book/Chapters/03 C.md", events("third"));
    body = withTimelineSection(body, 2, "Book/Chapters/02 B.md", events("second"));
    const once = withTimelineSection(body, 3, "Book/Chapters/03 C.md", events("third, again"));
    expect(withTimelineSection(once, 3, "Book/Chapters/03 C.md", events("third, again"))).toBe(once);
    expect(once.startsWith(writer.trimEnd())).toBe(true);
    expect(once.indexOf("|Chapter 2]]")).toBeLessThan(once.indexOf("|Chapter 3]]"));
    expect(once).toContain("third, again");
    expect(once).not.toContain("**Day 2** — third (");
  });

  it("gives each chapter the timeline before it: the writer's own entries, then earlier chapters' events", () => {
    let body = "- Late October — the storm\n";
    body = withTimelineSection(body, 1, "C/01.md", events("first"));
    body = withTimelineSection(body, 2, "C/02.md", events("second"));
    expect(timelineBefore(body, 2)).toBe("Late October — the storm\nDay 2 — first (Mara) [chapter 1]");
    expect(timelineBefore(body, 1)).toBe("Late October — the storm");
  });

  it("keeps CRLF endings", () => {
    const body = withTimelineSection("# Timeline\r\n", 1, "C/01.md", events("first"));
    expect(body.replace(/\r\n/g, "")).not.toContain("\n");
  });
});

describe("character keys", () => {
  const extraction: CharactersExtraction = {
    newCharacters: [],
    appearances: [{ name: "Jon", role: "skipper", emotionalState: "uneasy" }],
    changes: [{ name: "Jon Harrow", kind: "status", value: "dead" }],
    relationships: [{ from: "Jon", to: "Mara Quill", kind: "old friend" }],
  };
  const link = (name: string) => `[[${name.split(" ")[0]}]]`;

  it("replaces this chapter's entries, so applying the same chapter twice changes nothing more", () => {
    const meta: Record<string, unknown> = { status: "alive", changes: [{ chapter: 1, kind: "location", value: "the quay" }] };
    const first = characterKeyUpdates(meta, ["jon harrow", "jon"], extraction, 2, link);
    expect(first).toEqual({
      changes: [{ chapter: 1, kind: "location", value: "the quay" }, { chapter: 2, kind: "status", value: "dead" }],
      appearances: [{ chapter: 2, role: "skipper", state: "uneasy" }],
      status: "dead",
      relationships: [{ with: "[[Mara]]", kind: "old friend" }],
    });
    expect(characterKeyUpdates({ ...meta, ...first }, ["jon harrow", "jon"], extraction, 2, link)).toEqual({});
  });

  it("does not set status from an older chapter over a newer one", () => {
    const meta = { status: "missing", changes: [{ chapter: 5, kind: "status", value: "missing" }] };
    expect(characterKeyUpdates(meta, ["jon"], extraction, 2, link).status).toBeUndefined();
  });

  it("turns the writer's status into a fact from the start, and Bookwright's changes into facts by chapter", () => {
    expect(factsOf({ status: "dead" })).toEqual([{ kind: "status", value: "dead", chapter: 0 }]);
    expect(factsOf({ status: "dead", changes: [{ chapter: 3, kind: "status", value: "dead" }, { chapter: "x" }] })).toEqual([{ kind: "status", value: "dead", chapter: 3 }]);
  });
});

describe("report notes", () => {
  it("give each finding a callout with its quote, why, the earlier fact and the fix", () => {
    const body = renderReportBody(3, "Book/Chapters/03 The logbook.md", {
      overall: "fail",
      summary: "Mara reads the log.",
      findings: [{ severity: "error", category: "character", quote: "Jon walked in", where: "the opening", why: "Jon drowned in chapter 2.", earlierFact: { quote: "Jon drowns", chapter: 2 }, suggestedFix: "Make it a memory." }],
    }, [{ severity: "warning", category: "style", quote: "a shiver ran down her spine", where: { chapter: 3, line: 4 }, why: "A stock phrase.", check: "stock-phrase" }]);
    expect(body).toContain("Checked [[03 The logbook|Chapter 3]]: **fail**, 2 findings.");
    expect(body).toContain('> [!danger] Character (error)\n> "Jon walked in" — the opening');
    expect(body).toContain('> Earlier, in chapter 2: "Jon drowns"');
    expect(body).toContain("> **Suggested fix:** Make it a memory.");
    expect(body).toContain("> [!warning] Style (warning, stock-phrase)");
    expect(body).toContain("## Summary\n\nMara reads the log.");
  });
});
