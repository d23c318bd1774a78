import { describe, expect, it } from "vitest";
import type { LlmUsage } from "./llm";
import { billedInputEquivalent, costOf, DEFAULT_PRICES, findPrice, listPrice, priceTableSchema, withPriceOverrides } from "./prices";

const usage = (u: Partial<LlmUsage>): LlmUsage => ({ inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, ...u });

describe("price table", () => {
  it("prices each class at list price, cache writes 1.25x/2x and reads 0.1x input", () => {
    expect(DEFAULT_PRICES["claude-sonnet-4-5"]).toEqual({ inputPerMTok: 3, outputPerMTok: 15, cacheWrite5mPerMTok: 3.75, cacheWrite1hPerMTok: 6, cacheReadPerMTok: 0.3 });
    expect(DEFAULT_PRICES["claude-haiku-4-5"]).toEqual({ inputPerMTok: 1, outputPerMTok: 5, cacheWrite5mPerMTok: 1.25, cacheWrite1hPerMTok: 2, cacheReadPerMTok: 0.1 });
    expect(DEFAULT_PRICES["claude-opus-4-6"]).toEqual({ inputPerMTok: 5, outputPerMTok: 25, cacheWrite5mPerMTok: 6.25, cacheWrite1hPerMTok: 10, cacheReadPerMTok: 0.5 });
  });

  it("is valid by its own schema", () => {
    expect(priceTableSchema.safeParse(DEFAULT_PRICES).success).toBe(true);
    expect(priceTableSchema.safeParse({ m: { ...listPrice(1, 2), inputPerMTok: -1 } }).success).toBe(false);
  });

  it("finds a dated snapshot id under its undated entry, and nothing by family guess", () => {
    expect(findPrice("claude-haiku-4-5-20251001", DEFAULT_PRICES)).toBe(DEFAULT_PRICES["claude-haiku-4-5"]);
    expect(findPrice("claude-sonnet-9", DEFAULT_PRICES)).toBeUndefined();
    expect(findPrice("toString", DEFAULT_PRICES)).toBeUndefined();
  });

  it("lets the writer override one model and add another", () => {
    const table = withPriceOverrides({ "claude-sonnet-4-5": listPrice(2, 10), "qwen3:8b": listPrice(0, 0) });
    expect(table["claude-sonnet-4-5"]?.inputPerMTok).toBe(2);
    expect(table["qwen3:8b"]?.outputPerMTok).toBe(0);
    expect(table["claude-opus-4-5"]).toBe(DEFAULT_PRICES["claude-opus-4-5"]);
  });
});

describe("costOf", () => {
  it("adds input, output, cache writes and reads at their prices", () => {
    const cost = costOf(
      usage({ inputTokens: 1_000_000, outputTokens: 100_000, cacheCreationInputTokens: 200_000, cacheReadInputTokens: 2_000_000 }),
      "claude-sonnet-4-5",
      DEFAULT_PRICES,
    );
    if (cost.usd === null) throw new Error(cost.reason);
    expect(cost.parts.input).toBeCloseTo(3, 10);
    expect(cost.parts.output).toBeCloseTo(1.5, 10);
    expect(cost.parts.cacheWrite).toBeCloseTo(0.75, 10);
    expect(cost.parts.cacheRead).toBeCloseTo(0.6, 10);
    expect(cost.usd).toBeCloseTo(5.85, 10);
  });

  it("prices cache writes at the 1-hour rate when the request asked for 1 hour", () => {
    const cost = costOf(usage({ cacheCreationInputTokens: 1_000_000 }), "claude-haiku-4-5", DEFAULT_PRICES, "1h");
    expect(cost.usd).toBeCloseTo(2, 10);
  });

  it("uses the server's 5m/1h split when there is one, the rest at the requested lifetime", () => {
    const split = usage({
      cacheCreationInputTokens: 3_000_000,
      cacheCreation: { ephemeral5mInputTokens: 1_000_000, ephemeral1hInputTokens: 1_000_000 },
    });
    // 1M at 1.25 + 1M at 2 + 1M unaccounted at the 5m default 1.25.
    expect(costOf(split, "claude-haiku-4-5", DEFAULT_PRICES).usd).toBeCloseTo(4.5, 10);
  });

  it("gives null with a reason for an unknown model instead of throwing", () => {
    const cost = costOf(usage({ inputTokens: 10 }), "llama3.2:3b", DEFAULT_PRICES);
    expect(cost.usd).toBeNull();
    if (cost.usd === null) expect(cost.reason).toContain('"llama3.2:3b"');
  });

  it("gives null with a reason for a broken override", () => {
    const prices = { m: { ...listPrice(1, 1), outputPerMTok: Number.NaN } };
    const cost = costOf(usage({ inputTokens: 10 }), "m", prices);
    expect(cost.usd).toBeNull();
    if (cost.usd === null) expect(cost.reason).toContain("outputPerMTok");
  });

  it("costs nothing for no usage", () => {
    expect(costOf(usage({}), "claude-opus-4-5", DEFAULT_PRICES).usd).toBe(0);
  });
});

describe("billedInputEquivalent", () => {
  it("is input + 1.25 x cache writes + 0.1 x cache reads", () => {
    expect(billedInputEquivalent(usage({ inputTokens: 100, cacheCreationInputTokens: 1000, cacheReadInputTokens: 10_000 }))).toBe(100 + 1250 + 1000);
  });

  it("counts 1-hour writes at 2x when the split says so", () => {
    expect(
      billedInputEquivalent(usage({ cacheCreationInputTokens: 300, cacheCreation: { ephemeral5mInputTokens: 100, ephemeral1hInputTokens: 200 } })),
    ).toBe(125 + 400);
  });

  it("ignores output tokens", () => {
    expect(billedInputEquivalent(usage({ outputTokens: 5000 }))).toBe(0);
  });
});

describe("listPrice", () => {
  it("derives the cache prices from the input price, as typed", () => {
    expect(listPrice(3, 15)).toEqual(DEFAULT_PRICES["claude-sonnet-4-5"]);
    expect(listPrice(0.8, 4)).toEqual({ inputPerMTok: 0.8, outputPerMTok: 4, cacheWrite5mPerMTok: 1, cacheWrite1hPerMTok: 1.6, cacheReadPerMTok: 0.08 });
  });
});
