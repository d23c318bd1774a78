import * as z from "zod";
import { describe, expect, it } from "vitest";
import { briefSchema, charactersSchema, continuityReportSchema, findingSchema, timelineSchema } from "../agents/schemas";
import { instanceOf, UnsatisfiableSchemaError } from "./schema-instance";

/** Generate from the JSON Schema that would be sent to the API, then validate with the zod schema it came from. */
function roundTrip<T extends z.ZodType>(schema: T, words?: string[]): z.infer<T> {
  return schema.parse(instanceOf(z.toJSONSchema(schema), { words, now: Date.UTC(2026, 0, 15) }));
}

describe("instanceOf", () => {
  it("produces valid replies for every agent schema in the project", () => {
    for (const schema of [briefSchema, findingSchema, continuityReportSchema, timelineSchema, charactersSchema]) {
      expect(() => roundTrip(schema)).not.toThrow();
    }
  });

  it("fills required properties only, arrays with one item, enums with their first value", () => {
    const finding = roundTrip(findingSchema);
    expect(finding.earlierFact).toBeUndefined();
    expect(finding.severity).toBe("info");
    expect(finding.category).toBe("character");
    const brief = roundTrip(briefSchema);
    expect(brief.beats).toHaveLength(1);
    expect(brief.targetWords).toBe(1); // integer, exclusiveMinimum 0
  });

  it("uses the given words for strings, in turn", () => {
    const brief = roundTrip(briefSchema, ["Mara", "Tobias"]);
    expect([brief.goal, brief.pov, brief.setting]).toEqual(["Mara", "Tobias", "Mara"]);
  });

  it("meets string length bounds, known formats, and simple patterns", () => {
    const schema = z.object({
      long: z.string().min(12),
      short: z.string().max(2),
      email: z.email(),
      when: z.iso.datetime(),
      day: z.iso.date(),
      id: z.uuid(),
      lower: z.string().regex(/^[a-z]+$/),
    });
    const value = roundTrip(schema, ["Mara"]);
    expect(value.long.length).toBeGreaterThanOrEqual(12);
    expect(value.when).toBe("2026-01-15T00:00:00Z");
    expect(value.lower).toBe("example");
  });

  it("handles numbers: bounds, exclusive bounds, multipleOf", () => {
    expect(instanceOf({ type: "integer", minimum: 5, multipleOf: 3 })).toBe(6);
    expect(instanceOf({ type: "integer", exclusiveMaximum: -2 })).toBe(-3);
    expect(instanceOf({ type: "number", minimum: 0.5 })).toBe(0.5);
    expect(() => instanceOf({ type: "integer", minimum: 3, maximum: 2 })).toThrow(UnsatisfiableSchemaError);
  });

  it("handles unions (preferring a non-null branch), nullable types, consts, tuples, records and allOf", () => {
    const schema = z.object({
      maybe: z.string().nullable(),
      either: z.union([z.null(), z.number()]),
      fixed: z.literal("x"),
      pair: z.tuple([z.string(), z.number()]),
      counts: z.record(z.string(), z.number()),
    });
    expect(roundTrip(schema)).toEqual({ maybe: "example", either: 0, fixed: "x", pair: ["example", 0], counts: {} });
    expect(
      instanceOf({
        allOf: [
          { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          { type: "object", properties: { b: { type: "boolean" } }, required: ["b"] },
        ],
      }),
    ).toEqual({ a: "example", b: false });
  });

  it("terminates on recursive schemas through $ref", () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    const value = roundTrip(z.object({ root: node }));
    expect(value.root.name).toBe("example");
  });

  it("resolves $defs references and refuses what it cannot satisfy", () => {
    expect(instanceOf({ $defs: { n: { type: "integer", minimum: 2 } }, type: "object", properties: { x: { $ref: "#/$defs/n" } }, required: ["x"] })).toEqual({ x: 2 });
    expect(() => instanceOf({ $ref: "https://example.com/schema" })).toThrow(UnsatisfiableSchemaError);
    expect(() => instanceOf({ enum: [] })).toThrow(UnsatisfiableSchemaError);
    expect(() => instanceOf({ type: "array", items: false, minItems: 1 })).toThrow(UnsatisfiableSchemaError);
  });

  it("takes the caller's choices by path, fitted to the schema so they never make the value invalid", () => {
    const schema = z.object({
      title: z.string().optional(),
      name: z.string().min(3).max(5),
      code: z.string().regex(/^[a-z]+$/),
      tags: z.array(z.string()).max(2),
      beats: z.array(z.object({ order: z.number().int().min(0), note: z.string() })).min(1),
      score: z.number().max(10),
    });
    const value = schema.parse(
      instanceOf(z.toJSONSchema(schema), {
        choose: {
          string: (path) => (path[0] === "name" ? "Mara Quill" : path[0] === "code" ? "NOT LOWER" : path.join(".")),
          count: (path) => (path[0] === "tags" ? 4 : path[0] === "beats" ? 3 : undefined),
          number: (path) => (path[0] === "score" ? 11 : path[2] === "order" ? Number(path[1]) : undefined),
          optional: (path) => path[0] === "title",
        },
      }),
    );
    expect(value).toEqual({
      title: "title",
      name: "Mara ", // cut to maxLength
      code: "example", // the choice missed the pattern, so the generic value stands
      tags: ["tags.0", "tags.1"], // four asked for, two allowed
      beats: [0, 1, 2].map((i) => ({ order: i, note: `beats.${i}.note` })),
      score: 0, // eleven is out of bounds
    });
  });
});
