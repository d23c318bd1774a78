import { describe, expect, it } from "vitest";
import { CACHE_LOOKBACK_BLOCKS, PromptCache, countPromptTokens, promptBlocks } from "./prompt";

const ephemeral = { type: "ephemeral" } as const;

function text(chars: number, seed = "x", cache?: typeof ephemeral): Record<string, unknown> {
  return { type: "text", text: seed.repeat(chars), ...(cache ? { cache_control: cache } : {}) };
}

describe("promptBlocks", () => {
  it("orders tools, system, messages and counts ceil(chars / 4) per block", () => {
    const body = {
      tools: [{ name: "t", description: "d", input_schema: { type: "object" } }],
      system: "sys!",
      messages: [{ role: "user", content: "hello" }],
    };
    const blocks = promptBlocks(body);
    expect(blocks.map((b) => b.identity.split(":")[0])).toEqual(["tool", "system", "message"]);
    const toolJson = JSON.stringify(body.tools[0]);
    expect(blocks.map((b) => b.tokens)).toEqual([Math.ceil(toolJson.length / 4), 1, 2]);
    expect(countPromptTokens(body)).toBe(Math.ceil(toolJson.length / 4) + 3);
  });

  it("ignores cache_control in the identity and the count, and puts a top-level cache_control on the last block", () => {
    const plain = promptBlocks({ messages: [{ role: "user", content: [text(8)] }] });
    const marked = promptBlocks({ messages: [{ role: "user", content: [text(8, "x", ephemeral)] }] });
    expect(marked[0]?.identity).toBe(plain[0]?.identity);
    expect(marked[0]?.tokens).toBe(plain[0]?.tokens);
    expect(marked[0]?.cacheTtl).toBe("5m");
    const topLevel = promptBlocks({ cache_control: { type: "ephemeral", ttl: "1h" }, messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] });
    expect(topLevel.map((b) => b.cacheTtl)).toEqual([undefined, "1h"]);
  });

  it("tells the same text apart by role and position", () => {
    const asUser = promptBlocks({ messages: [{ role: "user", content: "same" }] });
    const asAssistant = promptBlocks({ messages: [{ role: "assistant", content: "same" }] });
    expect(asUser[0]?.identity).not.toBe(asAssistant[0]?.identity);
  });
});

describe("PromptCache", () => {
  const clockAt = (start: number): { now: () => number; advance: (ms: number) => void } => {
    let time = start;
    return { now: () => time, advance: (ms) => (time += ms) };
  };

  it("finds an entry at most 20 blocks before a breakpoint, as the API's lookback does", () => {
    const clock = clockAt(0);
    const cache = new PromptCache(10, clock.now);
    const head = [text(400, "h", ephemeral)]; // 100 tokens, cached
    cache.account("m", promptBlocks({ messages: [{ role: "user", content: head }] }));

    const grown = (extra: number): Record<string, unknown> => ({
      messages: [{ role: "user", content: [text(400, "h"), ...Array.from({ length: extra }, (_, i) => text(4, String(i % 10))), text(4, "z", ephemeral)] }],
    });
    // Breakpoint exactly CACHE_LOOKBACK_BLOCKS blocks after the cached one: found.
    expect(cache.account("m", promptBlocks(grown(CACHE_LOOKBACK_BLOCKS - 1)), { commit: false }).cacheReadInputTokens).toBe(100);
    // One block further: not found.
    expect(cache.account("m", promptBlocks(grown(CACHE_LOOKBACK_BLOCKS)), { commit: false }).cacheReadInputTokens).toBe(0);
  });

  it("writes each long-enough breakpoint past the read point, billing each segment at its own TTL", () => {
    const cache = new PromptCache(50, () => 0);
    const body = {
      system: [{ ...text(400, "s"), cache_control: { type: "ephemeral", ttl: "1h" } }],
      messages: [{ role: "user", content: [text(40, "a", ephemeral), text(400, "b", ephemeral), text(40, "c")] }],
    };
    // Breakpoints at 100 (1h), 110 (5m) and 210 (5m) tokens; total 220. All are >= 50.
    expect(cache.account("m", promptBlocks(body))).toEqual({
      inputTokens: 10,
      cacheCreationInputTokens: 210,
      cacheReadInputTokens: 0,
      cacheCreation: { ephemeral1hInputTokens: 100, ephemeral5mInputTokens: 110 },
    });
    expect(cache.account("m", promptBlocks(body))).toMatchObject({ inputTokens: 10, cacheCreationInputTokens: 0, cacheReadInputTokens: 210 });
  });

  it("a dry run (commit: false) neither writes nor refreshes", () => {
    const clock = clockAt(0);
    const cache = new PromptCache(10, clock.now);
    const body = { messages: [{ role: "user", content: [text(400, "x", ephemeral)] }] };
    expect(cache.account("m", promptBlocks(body), { commit: false }).cacheCreationInputTokens).toBe(100);
    expect(cache.account("m", promptBlocks(body)).cacheCreationInputTokens).toBe(100);
    clock.advance(4 * 60_000);
    expect(cache.account("m", promptBlocks(body), { commit: false }).cacheReadInputTokens).toBe(100);
    clock.advance(2 * 60_000); // 6 minutes after the write: the dry-run read did not refresh it
    expect(cache.account("m", promptBlocks(body)).cacheReadInputTokens).toBe(0);
  });
});
