import { describe, expect, it } from "vitest";
import { cappedMaxTokens, DEFAULT_MODEL_SHAPES, requestShapeFor, samplingFor, UNKNOWN_MODEL_SHAPE } from "./model-config";

describe("requestShapeFor", () => {
  it("knows which Claude models reject sampling parameters and prefill", () => {
    expect(requestShapeFor("claude-sonnet-4-5")).toMatchObject({ sampling: "one", prefill: true, structuredOutput: "output_format", known: true });
    expect(requestShapeFor("claude-opus-4-6")).toMatchObject({ sampling: "one", prefill: false, maxOutputTokens: 128_000 });
    expect(requestShapeFor("claude-opus-4-7")).toMatchObject({ sampling: "none", prefill: false });
    expect(requestShapeFor("claude-sonnet-5-5")).toMatchObject({ sampling: "none", prefill: false });
  });

  it("finds a dated snapshot under its undated id", () => {
    expect(requestShapeFor("claude-haiku-4-5-20251001")).toMatchObject({ ...DEFAULT_MODEL_SHAPES["claude-haiku-4-5"], known: true });
  });

  it("treats an unheard-of model (a local server's) as accepting what is set, with forced tool use", () => {
    expect(requestShapeFor("qwen3:8b")).toEqual({ ...UNKNOWN_MODEL_SHAPE, known: false });
    expect(UNKNOWN_MODEL_SHAPE).toEqual({ sampling: "any", structuredOutput: "tool", prefill: false });
  });

  it("applies the writer's override field by field", () => {
    const shape = requestShapeFor("claude-sonnet-4-5", { "claude-sonnet-4-5": { structuredOutput: "tool", maxOutputTokens: undefined } });
    expect(shape).toMatchObject({ structuredOutput: "tool", sampling: "one", prefill: true, maxOutputTokens: 64_000 });
    expect(requestShapeFor("gemma3", { gemma3: { prefill: true } })).toMatchObject({ prefill: true, sampling: "any", known: false });
  });
});

describe("samplingFor", () => {
  it("sends nothing when nothing is set", () => {
    expect(samplingFor(undefined, { sampling: "any" }, "m")).toEqual({ params: {}, warnings: [] });
    expect(samplingFor({}, { sampling: "none" }, "m")).toEqual({ params: {}, warnings: [] });
  });

  it("sends what is set to a model that accepts it, in wire names", () => {
    expect(samplingFor({ temperature: 0.7, topP: 0.9 }, { sampling: "any" }, "m")).toEqual({ params: { temperature: 0.7, top_p: 0.9 }, warnings: [] });
    expect(samplingFor({ topP: 0.9 }, { sampling: "one" }, "m")).toEqual({ params: { top_p: 0.9 }, warnings: [] });
  });

  it("keeps temperature and drops top_p, with a warning, where only one is allowed", () => {
    const { params, warnings } = samplingFor({ temperature: 1, topP: 0.9 }, { sampling: "one" }, "claude-sonnet-4-5");
    expect(params).toEqual({ temperature: 1 });
    expect(warnings).toEqual([expect.stringContaining("top_p was left out")]);
  });

  it("drops both, with a warning, where neither is allowed", () => {
    const { params, warnings } = samplingFor({ temperature: 0 }, { sampling: "none" }, "claude-opus-4-7");
    expect(params).toEqual({});
    expect(warnings[0]).toContain("claude-opus-4-7 does not accept temperature");
  });

  it("sends a temperature of 0 (set, not absent)", () => {
    expect(samplingFor({ temperature: 0 }, { sampling: "any" }, "m").params).toEqual({ temperature: 0 });
  });
});

describe("cappedMaxTokens", () => {
  it("caps at the model's limit with a warning, and leaves unknown limits alone", () => {
    const capped = cappedMaxTokens(100_000, { maxOutputTokens: 64_000 }, "m");
    expect(capped.maxTokens).toBe(64_000);
    expect(capped.warning).toContain("at most 64000");
    expect(cappedMaxTokens(8000, { maxOutputTokens: 64_000 }, "m")).toEqual({ maxTokens: 8000 });
    expect(cappedMaxTokens(1_000_000, {}, "m")).toEqual({ maxTokens: 1_000_000 });
  });
});
