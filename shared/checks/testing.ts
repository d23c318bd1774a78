/**
 * Test support for the checks: the invariants every finding must keep, whatever check made it. Used by
 * the tests only (it imports vitest); nothing in the product imports it.
 */
import { expect } from "vitest";
import { LineIndex } from "./text";
import type { ChapterText, Finding } from "./types";

/**
 * Every finding quotes its chapter exactly, at the line it names: the quote is a substring of the body
 * and one of its occurrences covers `where.line`. Also checks the fields a report relies on.
 */
export function expectValidFindings(findings: readonly Finding[], chapters: readonly ChapterText[]): void {
  for (const finding of findings) {
    const chapter = chapters.find((c) => c.chapter === finding.where.chapter);
    expect(chapter, `chapter ${finding.where.chapter} of ${JSON.stringify(finding)}`).toBeDefined();
    const body = chapter!.body;
    expect(finding.quote.trim(), JSON.stringify(finding)).not.toBe("");
    expect(body.includes(finding.quote), `quote not in chapter ${finding.where.chapter}: ${JSON.stringify(finding.quote)}`).toBe(true);
    const lines = new LineIndex(body);
    let covered = false;
    for (let at = body.indexOf(finding.quote); at !== -1 && !covered; at = body.indexOf(finding.quote, at + 1)) {
      covered = lines.lineAt(at) <= finding.where.line && finding.where.line <= lines.lineAt(at + finding.quote.length - 1);
    }
    expect(covered, `line ${finding.where.line} not covered by ${JSON.stringify(finding.quote)}`).toBe(true);
    expect(finding.why.length).toBeGreaterThan(20);
    expect(finding.check).toMatch(/^[a-z-]+$/);
  }
}

/** A chapter from lines of text (joined with `\n`), for tables of cases. */
export function chapter(number: number, ...lines: string[]): ChapterText {
  return { chapter: number, title: `Chapter ${number}`, body: lines.join("\n") };
}
