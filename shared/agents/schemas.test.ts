import * as z from "zod";
import { describe, expect, it } from "vitest";
import { briefSchema, charactersSchema, continuityReportSchema, timelineSchema } from "./schemas";

describe("agent schemas", () => {
  it.each([
    ["brief", briefSchema],
    ["continuity report", continuityReportSchema],
    ["timeline", timelineSchema],
    ["characters", charactersSchema],
  ])("%s converts to a JSON schema object a tool can carry", (_name, schema) => {
    const json = z.toJSONSchema(schema) as { type?: string; properties?: Record<string, unknown>; required?: string[] };
    expect(json.type).toBe("object");
    expect(Object.keys(json.properties ?? {}).length).toBeGreaterThan(0);
    expect(json.required?.length).toBeGreaterThan(0);
  });

  it("reads a continuity report saved before series existed, and one citing an earlier book", () => {
    const finding = { severity: "error", category: "character", quote: "Darcy bowed", where: "the ball", why: "He died.", suggestedFix: "Cut him." };
    const old = continuityReportSchema.parse({ overall: "fail", findings: [{ ...finding, earlierFact: { quote: "Darcy dies", chapter: 12 } }], summary: "x" });
    expect(old.findings[0]!.earlierFact).toEqual({ quote: "Darcy dies", chapter: 12 });
    const cited = continuityReportSchema.parse({ overall: "fail", findings: [{ ...finding, earlierFact: { quote: "Darcy dies", chapter: 12, book: 1, bookTitle: "First Impressions" } }], summary: "x" });
    expect(cited.findings[0]!.earlierFact).toEqual({ quote: "Darcy dies", chapter: 12, book: 1, bookTitle: "First Impressions" });
    expect(continuityReportSchema.safeParse({ overall: "fail", findings: [{ ...finding, earlierFact: { quote: "q", chapter: 1, book: 0 } }], summary: "x" }).success).toBe(false);
  });

  it("rejects a continuity report whose finding has no quote, naming the field", () => {
    const result = continuityReportSchema.safeParse({
      overall: "fail",
      findings: [{ severity: "error", category: "character", quote: "", where: "opening", why: "dead in chapter 7", suggestedFix: "cut" }],
      summary: "x",
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["findings", 0, "quote"]);
  });
});
