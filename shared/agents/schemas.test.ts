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
