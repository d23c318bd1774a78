/**
 * What a reply cost, from the usage the API reports and a price table.
 *
 * Prices are configuration, not code: list prices change, new models appear, and writers on a discounted
 * plan (or a proxy that marks prices up) know their own numbers. So the defaults below are plain data the
 * settings can override per model, and an unknown model gives "cost unknown" with a reason rather than a
 * guess or an exception: a wrong cost shown to a writer is worse than none, and a price lookup must never
 * stop a chapter from being written.
 *
 * Batch requests cost half (`batchCostOf`). Not modelled: long-context surcharges, regional or priority-tier pricing, and the
 * tokenizer differences between model generations (usage is already counted by the server).
 */
import * as z from "zod";
import type { CacheTtl, LlmUsage } from "./llm";

/** US dollars per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Writing a prompt-cache entry that lives 5 minutes: 1.25 × input at list price. */
  cacheWrite5mPerMTok: number;
  /** Writing a prompt-cache entry that lives 1 hour: 2 × input at list price. */
  cacheWrite1hPerMTok: number;
  /** Reading from the prompt cache: 0.1 × input at list price. */
  cacheReadPerMTok: number;
}

/** Model id → price. Keys are exact model ids; a dated id (`…-20251001`) also finds its undated entry. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** How list prices derive cache prices from the input price. */
export const CACHE_WRITE_5M_MULTIPLIER = 1.25;
export const CACHE_WRITE_1H_MULTIPLIER = 2;
export const CACHE_READ_MULTIPLIER = 0.1;

/** A price entry at list-price ratios: cache writes 1.25× (5 min) / 2× (1 h) input, cache reads 0.1× input. */
export function listPrice(inputPerMTok: number, outputPerMTok: number): ModelPrice {
  // Rounded to a millionth of a dollar so that derived prices read as typed (0.3, not 0.30000000000000004).
  const tidy = (usd: number) => Math.round(usd * 1e6) / 1e6;
  return {
    inputPerMTok,
    outputPerMTok,
    cacheWrite5mPerMTok: tidy(inputPerMTok * CACHE_WRITE_5M_MULTIPLIER),
    cacheWrite1hPerMTok: tidy(inputPerMTok * CACHE_WRITE_1H_MULTIPLIER),
    cacheReadPerMTok: tidy(inputPerMTok * CACHE_READ_MULTIPLIER),
  };
}

// Written out rather than computed, so the settings show 0.3 and not 0.30000000000000004.
const HAIKU: ModelPrice = { inputPerMTok: 1, outputPerMTok: 5, cacheWrite5mPerMTok: 1.25, cacheWrite1hPerMTok: 2, cacheReadPerMTok: 0.1 };
const SONNET: ModelPrice = { inputPerMTok: 3, outputPerMTok: 15, cacheWrite5mPerMTok: 3.75, cacheWrite1hPerMTok: 6, cacheReadPerMTok: 0.3 };
const OPUS: ModelPrice = { inputPerMTok: 5, outputPerMTok: 25, cacheWrite5mPerMTok: 6.25, cacheWrite1hPerMTok: 10, cacheReadPerMTok: 0.5 };

/**
 * List prices of the current Claude models by class (Haiku $1/$5, Sonnet $3/$15, Opus $5/$25 per million
 * input/output tokens). Models whose price we do not know are left out on purpose: they get "cost unknown"
 * until the writer adds a price.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-haiku-4-5": HAIKU,
  "claude-haiku-5-5": HAIKU,
  "claude-sonnet-4-5": SONNET,
  "claude-sonnet-4-6": SONNET,
  "claude-sonnet-5": SONNET,
  "claude-sonnet-5-5": SONNET,
  "claude-opus-4-5": OPUS,
  "claude-opus-4-6": OPUS,
  "claude-opus-4-7": OPUS,
  "claude-opus-4-8": OPUS,
  "claude-opus-5": OPUS,
  "claude-opus-5-5": OPUS,
};

// zod 4 numbers already reject NaN and Infinity.
const price = z.number().nonnegative();
/** For reading a price table from settings: rejects negative, missing and non-numeric prices. */
export const modelPriceSchema = z.object({
  inputPerMTok: price,
  outputPerMTok: price,
  cacheWrite5mPerMTok: price,
  cacheWrite1hPerMTok: price,
  cacheReadPerMTok: price,
});
export const priceTableSchema = z.record(z.string().min(1), modelPriceSchema);

/** The defaults with the writer's entries on top (an override replaces a model's whole entry). */
export function withPriceOverrides(overrides: PriceTable, defaults: PriceTable = DEFAULT_PRICES): PriceTable {
  return { ...defaults, ...overrides };
}

/** The entry for `model`: exact id first, then the id without a trailing `-YYYYMMDD` snapshot date. */
export function findPrice(model: string, prices: PriceTable): ModelPrice | undefined {
  if (Object.prototype.hasOwnProperty.call(prices, model)) return prices[model];
  const undated = model.replace(/-\d{8}$/, "");
  if (undated !== model && Object.prototype.hasOwnProperty.call(prices, undated)) return prices[undated];
  return undefined;
}

export type Cost =
  | {
      usd: number;
      /** Dollars per part, so a report can show where the money went (usually: cache writes). */
      parts: { input: number; output: number; cacheWrite: number; cacheRead: number };
    }
  | { usd: null; reason: string };

/**
 * The cost of one reply in US dollars. Cache writes are priced by their lifetime: from the usage's own
 * 5-minute/1-hour split when the server reported one, otherwise all at `ttl` (the lifetime the request
 * asked for; default 5 minutes). Unknown model or an unusable price entry → `{ usd: null, reason }`.
 */
export function costOf(usage: LlmUsage, model: string, prices: PriceTable, ttl: CacheTtl = "5m"): Cost {
  const entry = findPrice(model, prices);
  if (entry === undefined) {
    return { usd: null, reason: `No price is set for the model "${model}". Add one in the price settings to see costs.` };
  }
  const checked = modelPriceSchema.safeParse(entry);
  if (!checked.success) {
    return { usd: null, reason: `The price set for "${model}" is not usable: ${checked.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}.` };
  }
  const p = checked.data;
  const perToken = (perMTok: number) => perMTok / 1_000_000;
  const writes = cacheWritesByTtl(usage);
  const unsplitRate = ttl === "1h" ? p.cacheWrite1hPerMTok : p.cacheWrite5mPerMTok;
  const cacheWrite =
    writes.m5 * perToken(p.cacheWrite5mPerMTok) + writes.h1 * perToken(p.cacheWrite1hPerMTok) + writes.unsplit * perToken(unsplitRate);
  const parts = {
    input: usage.inputTokens * perToken(p.inputPerMTok),
    output: usage.outputTokens * perToken(p.outputPerMTok),
    cacheWrite,
    cacheRead: usage.cacheReadInputTokens * perToken(p.cacheReadPerMTok),
  };
  return { usd: parts.input + parts.output + parts.cacheWrite + parts.cacheRead, parts };
}

/** What the Message Batches API charges, as a fraction of the normal price: half, for every kind of token. */
export const BATCH_PRICE_MULTIPLIER = 0.5;

/**
 * The cost of one reply to a batched request: {@link costOf} at {@link BATCH_PRICE_MULTIPLIER}. The batch
 * discount applies to input, output and prompt-cache tokens alike (the multipliers stack), so every part is
 * scaled; the price table stays the normal one, as the writer knows it.
 */
export function batchCostOf(usage: LlmUsage, model: string, prices: PriceTable, ttl: CacheTtl = "5m"): Cost {
  const cost = costOf(usage, model, prices, ttl);
  if (cost.usd === null) return cost;
  const scale = (usd: number) => usd * BATCH_PRICE_MULTIPLIER;
  const { input, output, cacheWrite, cacheRead } = cost.parts;
  return { usd: scale(cost.usd), parts: { input: scale(input), output: scale(output), cacheWrite: scale(cacheWrite), cacheRead: scale(cacheRead) } };
}

/**
 * Input tokens as billed, in units of plain input tokens: input + 1.25 × cache writes + 0.1 × cache reads
 * (1-hour writes count 2× when the usage says which writes were 1-hour). Model-independent, so it compares
 * prompt layouts (did caching pay off?) without a price table.
 */
export function billedInputEquivalent(usage: LlmUsage): number {
  const w = cacheWritesByTtl(usage);
  const writes = (w.m5 + w.unsplit) * CACHE_WRITE_5M_MULTIPLIER + w.h1 * CACHE_WRITE_1H_MULTIPLIER;
  return usage.inputTokens + writes + usage.cacheReadInputTokens * CACHE_READ_MULTIPLIER;
}

/**
 * Cache writes split by lifetime. Whatever the reported split does not account for (no split at all, or a
 * server whose split does not add up to the total) is `unsplit`, priced at the lifetime the request asked for.
 */
function cacheWritesByTtl(usage: LlmUsage): { m5: number; h1: number; unsplit: number } {
  const m5 = usage.cacheCreation?.ephemeral5mInputTokens ?? 0;
  const h1 = usage.cacheCreation?.ephemeral1hInputTokens ?? 0;
  return { m5, h1, unsplit: Math.max(0, usage.cacheCreationInputTokens - m5 - h1) };
}
