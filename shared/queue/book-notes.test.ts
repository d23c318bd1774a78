import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Brief, CharactersExtraction } from "../agents/schemas";
import { BookNoteError, characterKeyUpdates, EARLIER_FACTS_PER_KIND, factsOf, parseBriefBody, renderBriefBody, renderReportBody, timelineBefore, withTimelineSection, type SeriesScope } from "./book-notes";

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

describe("a series-wide character's keys", () => {
  const BOOKS = ["First Impressions", "The Letter", "Pemberley"];
  /** Book 2 of three, its entries tagged with its title; a tag may also name a book by folder. */
  const scope = (position: number): SeriesScope => ({
    position,
    title: BOOKS[position - 1]!,
    bookOf: (tag) => {
      const i = BOOKS.findIndex((b) => b === tag || `Netherfield/${b}` === tag);
      return i === -1 ? null : { position: i + 1, title: BOOKS[i]! };
    },
  });
  const meta = {
    status: "married",
    changes: [
      { book: "First Impressions", chapter: 2, kind: "status", value: "single" },
      { book: "The Letter", chapter: 1, kind: "location", value: "Hunsford" },
      { book: "The Letter", chapter: 2, kind: "knowledge", value: "Darcy's letter" },
      { book: "Pemberley", chapter: 2, kind: "status", value: "married" },
    ],
    appearances: [
      { book: "First Impressions", chapter: 2, role: "dancer", state: "amused" },
      { book: "The Letter", chapter: 2, role: "reader", state: "shaken" },
      { chapter: 2, role: "untagged", state: "as the writer left it" },
    ],
  };
  const extraction: CharactersExtraction = {
    newCharacters: [],
    appearances: [{ name: "Lizzy", role: "walker", emotionalState: "calm" }],
    changes: [{ name: "Elizabeth Bennet", kind: "location", value: "Rosings" }],
    relationships: [],
  };
  const names = ["elizabeth bennet", "lizzy"];

  it("replaces only this book's entries of the chapter, tagged with the book, and leaves every other book's in place", () => {
    const updates = characterKeyUpdates(meta, names, extraction, 2, (n) => `[[${n}]]`, scope(2));
    expect(updates.changes).toEqual([
      meta.changes[0],
      meta.changes[1],
      { book: "The Letter", chapter: 2, kind: "location", value: "Rosings" },
      meta.changes[3],
    ]);
    expect(updates.appearances).toEqual([
      meta.appearances[0],
      { book: "The Letter", chapter: 2, role: "walker", state: "calm" },
      meta.appearances[2],
    ]);
    // Book 3 has a later status: book 2's chapter does not set `status` back.
    expect(updates.status).toBeUndefined();
    expect(characterKeyUpdates({ ...meta, ...updates }, names, extraction, 2, (n) => `[[${n}]]`, scope(2))).toEqual({});
  });

  it("puts a book's first entries after the earlier books', and sets status when no later book has one", () => {
    const dies: CharactersExtraction = { ...extraction, appearances: [], changes: [{ name: "Lizzy", kind: "status", value: "dead" }] };
    const early = { changes: meta.changes.slice(0, 1) };
    const updates = characterKeyUpdates(early, names, dies, 7, (n) => `[[${n}]]`, scope(3));
    expect(updates).toEqual({ changes: [meta.changes[0], { book: "Pemberley", chapter: 7, kind: "status", value: "dead" }], status: "dead" });
  });

  it("reads the codex of book 3 as of the end of book 2: earlier books from the start and labelled, later books left out", () => {
    expect(factsOf(meta, scope(3))).toEqual([
      { kind: "status", value: "single", chapter: 0, from: { book: 1, title: "First Impressions", chapter: 2 } },
      { kind: "location", value: "Hunsford", chapter: 0, from: { book: 2, title: "The Letter", chapter: 1 } },
      { kind: "knowledge", value: "Darcy's letter", chapter: 0, from: { book: 2, title: "The Letter", chapter: 2 } },
      { kind: "status", value: "married", chapter: 2 },
    ]);
    // Book 1 sees none of book 3's marriage, not even through `status`, which book 3's chapter set.
    expect(factsOf(meta, scope(1))).toEqual([{ kind: "status", value: "single", chapter: 2 }]);
    // Entries naming no book of the series are left out; entries with no book are known from the start.
    expect(factsOf({ changes: [{ book: "Elsewhere", chapter: 1, kind: "trait", value: "x" }, { chapter: 9, kind: "trait", value: "wry" }] }, scope(2))).toEqual([{ kind: "trait", value: "wry", chapter: 0 }]);
  });

  it("keeps only the latest of each kind from earlier books, however long the series", () => {
    const changes = Array.from({ length: 30 }, (_, i) => ({ book: BOOKS[i % 2]!, chapter: i + 1, kind: i % 3 === 0 ? "location" : "knowledge", value: `fact ${i + 1}` }));
    const facts = factsOf({ changes }, scope(3));
    expect(facts.filter((f) => f.kind === "location")).toHaveLength(1);
    expect(facts.filter((f) => f.kind === "knowledge")).toHaveLength(EARLIER_FACTS_PER_KIND);
    // Series order first: book 2's facts are later than book 1's, whatever their chapter numbers.
    expect(facts.at(-1)?.from?.book).toBe(2);
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

  it("names the earlier book when a finding contradicts one", () => {
    const finding = { severity: "error" as const, category: "character" as const, quote: "Darcy bowed", where: "the ball", why: "Darcy died in book 1.", suggestedFix: "Cut him." };
    const body = renderReportBody(10, "P/Chapters/10 Ball.md", {
      overall: "fail",
      summary: "A ball.",
      findings: [{ ...finding, earlierFact: { quote: "Darcy dies", chapter: 12, book: 1, bookTitle: "First (Impressions)" } }, { ...finding, earlierFact: { quote: "Darcy bows", chapter: 3 } }],
    }, []);
    expect(body).toContain('> Contradicts book 1, chapter 12 (First Impressions): "Darcy dies"');
    expect(body).toContain('> Earlier, in chapter 3: "Darcy bows"');
  });
});
