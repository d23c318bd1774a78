import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ContinuityReport } from "../agents/schemas";
import { parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import type { Finding as CheckFinding } from "../checks/types";
import { renderReportBody } from "./book-notes";
import { applyFix, findingKey, locateQuote, proposeFix, readDismissed, readReport, withDismissed, wordDiff } from "./report-model";

const report: ContinuityReport = {
  overall: "fail",
  findings: [
    {
      severity: "error",
      category: "character",
      quote: "Mara's green eyes narrowed.",
      where: "the supply boat scene",
      why: "Her eyes are grey in chapter 1.",
      earlierFact: { chapter: 1, quote: "Mara looked at him with her grey eyes." },
      suggestedFix: 'Change "green" to "grey".',
    },
    {
      severity: "warning",
      category: "knowledge",
      quote: '"I never opened it," she said — and then, "Not once."',
      where: "in the lamp room",
      why: "She read the letter aloud in chapter 2.",
      suggestedFix: "Have her admit she read it.",
    },
    { severity: "info", category: "style", quote: "The sea was angry.", where: "", why: "Pathetic fallacy.", suggestedFix: "" },
  ],
  summary: "Jon brings the letter.\nMara hides it.",
};

const checks: CheckFinding[] = [
  { severity: "warning", category: "style", quote: "a chill ran down her spine", where: { chapter: 3, line: 7 }, why: "A stock phrase.", suggestedFix: "Say what she felt.", check: "stock-phrase" },
];

const note = `${setFrontmatterKeys("", { bookwright: "continuity-report", chapter: 3, overall: "fail" })}\n${renderReportBody(3, "Book/Chapters/03 Boat.md", report, checks)}`;

describe("readReport", () => {
  it("reads back every finding renderReportBody wrote, the checks' included", () => {
    const parsed = readReport(note);
    expect(parsed).toMatchObject({ title: "Continuity of chapter 3", chapter: 3, chapterStem: "03 Boat", overall: "fail", summary: "Jon brings the letter.\nMara hides it." });
    expect(parsed.findings.map(({ key: _key, ...f }) => f)).toEqual([
      { ...report.findings[0] },
      { severity: "warning", category: "knowledge", quote: report.findings[1]!.quote, where: "in the lamp room", why: report.findings[1]!.why, suggestedFix: "Have her admit she read it." },
      { severity: "info", category: "style", quote: "The sea was angry.", where: "", why: "Pathetic fallacy." },
      { severity: "warning", category: "style", check: "stock-phrase", quote: "a chill ran down her spine", where: "line 7", why: "A stock phrase.", suggestedFix: "Say what she felt." },
    ]);
    expect(parsed.findings[0]!.key).toBe(findingKey(report.findings[0]!));
  });

  it("reads back an earlier book's fact with its book, and a report from before series as it was", () => {
    const fromBook1 = { ...report.findings[0]!, earlierFact: { chapter: 12, quote: "Darcy dies.", book: 1, bookTitle: "First Impressions" } };
    const body = renderReportBody(10, "P/Chapters/10 Ball.md", { overall: "fail", findings: [fromBook1], summary: "S." }, []);
    expect(body).toContain('> Contradicts book 1, chapter 12 (First Impressions): "Darcy dies."');
    expect(readReport(body).findings[0]).toMatchObject({ earlierFact: { chapter: 12, quote: "Darcy dies.", book: 1, bookTitle: "First Impressions" } });
    const untitled = renderReportBody(10, "P/Chapters/10 Ball.md", { overall: "fail", findings: [{ ...fromBook1, earlierFact: { chapter: 12, quote: "Darcy dies.", book: 1 } }], summary: "S." }, []);
    expect(readReport(untitled).findings[0]!.earlierFact).toEqual({ chapter: 12, quote: "Darcy dies.", book: 1 });
    // The note written before series existed reads as it always did: this book's chapter, no book.
    expect(readReport(note).findings[0]!.earlierFact).toEqual({ chapter: 1, quote: "Mara looked at him with her grey eyes." });
  });

  it("round-trips any single-line finding", () => {
    const line = fc.string({ minLength: 1, maxLength: 30 }).map((s) => s.replace(/[\r\n>*]/g, " ").trim()).filter((s) => s.length > 0 && !s.startsWith("Earlier, in chapter") && !s.startsWith("Contradicts book"));
    const finding = fc.record({
      severity: fc.constantFrom("info" as const, "warning" as const, "error" as const),
      category: fc.constantFrom("character" as const, "timeline" as const, "setting" as const, "object" as const, "knowledge" as const, "style" as const),
      quote: line,
      where: line.filter((s) => !s.includes('" —')),
      why: line.filter((s) => !s.startsWith('"')),
      suggestedFix: line,
    });
    fc.assert(
      fc.property(fc.array(finding, { maxLength: 4 }), (findings) => {
        const body = renderReportBody(2, "B/02.md", { overall: "warning", findings, summary: "S." }, []);
        expect(readReport(body).findings.map(({ key: _key, ...f }) => f)).toEqual(findings);
      }),
    );
  });

  it("keeps CRLF notes readable and skips the writer's own callouts", () => {
    const edited = note.replace("## Summary", "> [!tip] Remember\n> Check the tide tables.\n\n## Summary").replace(/\n/g, "\r\n");
    expect(readReport(edited).findings).toHaveLength(4);
  });
});

describe("dismissed", () => {
  it("adds and removes a key, changing only that key, and drops it when empty", () => {
    const once = withDismissed(note, "abc", true);
    expect(readDismissed(parseFrontmatter("r", once).data)).toEqual(["abc"]);
    expect(withDismissed(once, "abc", true)).toBe(once);
    expect(once.replace("dismissed:\n  - abc\n", "")).toBe(note);
    expect(withDismissed(once, "abc", false)).toBe(note);
  });
});

describe("locateQuote", () => {
  const body = "The storm came.\n\nMara turned. \u201cI never opened it,\u201d she said\nquietly. \u201cNot once\u2026\u201d ^para-2\n\nJon left.";

  it("finds an exact quote, with its line and the block id at its paragraph's end", () => {
    expect(locateQuote(body, "The storm came.")).toEqual({ line: 1, from: 0, to: 15 });
    expect(locateQuote(body, "she said")).toMatchObject({ line: 3, blockId: "para-2" });
  });

  it("tolerates straight quotes for curly ones, a line break for a space, and ... for \u2026", () => {
    const found = locateQuote(body, '"I never opened it," she said quietly. "Not once..."');
    expect(found).toMatchObject({ line: 3, blockId: "para-2" });
    expect(body.slice(found!.from, found!.to)).toBe("\u201cI never opened it,\u201d she said\nquietly. \u201cNot once\u2026\u201d");
  });

  it("matches a quote whose middle the model elided, and ignores case as a last resort", () => {
    const found = locateQuote(body, "Mara turned. ... she said");
    expect(body.slice(found!.from, found!.to)).toBe("Mara turned. \u201cI never opened it,\u201d she said");
    expect(locateQuote(body, "jon LEFT.")).toMatchObject({ line: 6 });
  });

  it("returns null when the passage is gone", () => {
    expect(locateQuote(body, "She opened it.")).toBeNull();
    expect(locateQuote(body, "  ")).toBeNull();
  });
});

describe("proposeFix and applyFix", () => {
  const body = "Mara\u2019s green eyes narrowed. The green boat waited.\n";

  it("replaces the named part of the passage, in the chapter's typography", () => {
    const fix = proposeFix(body, report.findings[0]!);
    expect(fix).toEqual({ from: 7, to: 12, before: "green", after: "grey", passage: { from: 0, text: "Mara\u2019s green eyes narrowed." } });
    expect(applyFix(body, fix!)).toBe("Mara\u2019s grey eyes narrowed. The green boat waited.\n");
  });

  it("takes several pairs as one edit, and the other phrasings", () => {
    const two = proposeFix(body, { quote: "Mara's green eyes narrowed.", suggestedFix: 'Replace "green" with "grey" and "narrowed" with "widened".' });
    expect(two).toMatchObject({ before: "green eyes narrowed", after: "grey eyes widened" });
    expect(proposeFix(body, { quote: "green eyes", suggestedFix: '"green" \u2192 "grey"' })?.after).toBe("grey");
    expect(proposeFix(body, { quote: "green eyes", suggestedFix: '"grey" instead of "green".' })?.after).toBe("grey");
    expect(proposeFix(body, { quote: "green eyes", suggestedFix: '"green" should be "grey" to match chapter 1.' })?.after).toBe("grey");
  });

  it("replaces the whole passage when the fix gives its new wording, dialogue and all", () => {
    const spoken = 'He said, \u201cNo.\u201d';
    const fix = proposeFix(spoken, { quote: 'He said, "No."', suggestedFix: 'Rewrite the sentence as: "He said, "Yes, once.""' });
    expect(fix).toMatchObject({ from: 0, to: spoken.length, before: spoken, after: "He said, \u201cYes, once.\u201d" });
    expect(proposeFix(body, { quote: "The green boat waited.", suggestedFix: '"The grey boat waited."' })?.after).toBe("The grey boat waited.");
  });

  it("gives nothing when there is no new wording to apply, or the passage is gone", () => {
    expect(proposeFix(body, { quote: "The green boat waited.", suggestedFix: "Make the boat late." })).toBeNull();
    expect(proposeFix(body, { quote: "The green boat waited.", suggestedFix: 'Change the colour to "grey".' })).toBeNull();
    expect(proposeFix(body, { quote: "A red boat.", suggestedFix: 'Change "red" to "grey".' })).toBeNull();
    expect(proposeFix(body, { quote: "green eyes", suggestedFix: 'Change "blue" to "grey".' })).toBeNull();
    expect(proposeFix(body, { quote: "green eyes" })).toBeNull();
  });

  it("applies only while the passage is there exactly: moved is fine, changed or doubled is refused", () => {
    const fix = proposeFix(body, report.findings[0]!)!;
    expect(applyFix(`Storm.\n${body}`, fix)).toBe(`Storm.\nMara\u2019s grey eyes narrowed. The green boat waited.\n`);
    expect(applyFix(body.replace("narrowed", "closed"), fix)).toBeNull();
    expect(applyFix(body.replace("Mara\u2019s", "Mara's"), fix)).toBeNull();
    expect(applyFix(`X ${body}${body}`, fix)).toBeNull();
  });
});

describe("wordDiff", () => {
  it("marks the changed words and keeps the rest", () => {
    expect(wordDiff("Mara's green eyes narrowed.", "Mara's grey eyes narrowed.")).toEqual([
      { kind: "same", text: "Mara's " },
      { kind: "removed", text: "green" },
      { kind: "added", text: "grey" },
      { kind: "same", text: " eyes narrowed." },
    ]);
    expect(wordDiff("a b c", "x y z")).toEqual([
      { kind: "removed", text: "a b c" },
      { kind: "added", text: "x y z" },
    ]);
  });

  it("always rebuilds both texts", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        const tokens = wordDiff(a, b);
        expect(tokens.filter((t) => t.kind !== "added").map((t) => t.text).join("")).toBe(a);
        expect(tokens.filter((t) => t.kind !== "removed").map((t) => t.text).join("")).toBe(b);
      }),
    );
  });
});
