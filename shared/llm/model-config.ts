/**
 * What a request may contain, per model. Models differ in ways that turn an ordinary request into a 400:
 *
 * - Sampling: Claude models from Opus 4.7 on reject `temperature`/`top_p`; the 4.5/4.6 generation
 *   rejects the two together. So sampling parameters are sent only when the writer set them, and then
 *   only those the model accepts (the rest are dropped with a warning, not sent to fail).
 * - Prefill (a reply that starts from a final assistant message): rejected from the Claude 4.6 models on.
 *   Continuing a cut-off chapter then needs a user turn instead (continue-prose.ts).
 * - Structured replies: `output_config.format` (JSON-schema constrained text) on current Claude models;
 *   forced tool use elsewhere, which local servers are likelier to support.
 * - Output length: a `max_tokens` above the model's limit is a 400, so it is capped here.
 *
 * All of it is data with per-model overrides, because model behaviour changes faster than releases of
 * this plugin and local servers run models we have never heard of.
 */
import type { LlmRequest } from "./llm";

export interface ModelRequestShape {
  /**
   * Which of temperature/top_p the model accepts: `any` (both), `one` (either, not both: temperature wins)
   * or `none` (neither). Whatever is allowed is still sent only when set.
   */
  sampling: "any" | "one" | "none";
  /** How a structured reply is requested. */
  structuredOutput: "output_format" | "tool";
  /** Whether the model continues from a final assistant message. */
  prefill: boolean;
  /** The largest `max_tokens` the model accepts; undefined when unknown (then nothing is capped). */
  maxOutputTokens?: number;
}

export type ModelShapeOverrides = Readonly<Record<string, Partial<ModelRequestShape>>>;

/** Claude 4.5 generation: one sampler at a time, prefill still allowed. */
const CLAUDE_4_5: ModelRequestShape = { sampling: "one", structuredOutput: "output_format", prefill: true, maxOutputTokens: 64_000 };
/** Claude 4.6: prefill removed. */
const CLAUDE_4_6: ModelRequestShape = { sampling: "one", structuredOutput: "output_format", prefill: false, maxOutputTokens: 64_000 };
/** Opus 4.7 and everything after it: sampling parameters removed too. */
const CLAUDE_LATEST: ModelRequestShape = { sampling: "none", structuredOutput: "output_format", prefill: false, maxOutputTokens: 64_000 };

/**
 * Models we have not heard of, which in practice means local servers: send what the writer set, ask for
 * structured replies through a forced tool (more widely implemented than `output_config`), and continue
 * cut-off prose with a user turn (works with every chat template), with no output cap of our own.
 */
export const UNKNOWN_MODEL_SHAPE: ModelRequestShape = { sampling: "any", structuredOutput: "tool", prefill: false };

/** Keys are model ids; a dated id (`…-20251001`) also finds its undated entry. */
export const DEFAULT_MODEL_SHAPES: Readonly<Record<string, ModelRequestShape>> = {
  "claude-haiku-4-5": CLAUDE_4_5,
  "claude-sonnet-4-5": CLAUDE_4_5,
  "claude-opus-4-5": CLAUDE_4_5,
  "claude-sonnet-4-6": CLAUDE_4_6,
  "claude-opus-4-6": { ...CLAUDE_4_6, maxOutputTokens: 128_000 },
  "claude-opus-4-7": { ...CLAUDE_LATEST, maxOutputTokens: 128_000 },
  "claude-opus-4-8": CLAUDE_LATEST,
  "claude-opus-5": CLAUDE_LATEST,
  "claude-opus-5-5": CLAUDE_LATEST,
  "claude-sonnet-5": CLAUDE_LATEST,
  "claude-sonnet-5-5": CLAUDE_LATEST,
  "claude-haiku-5-5": CLAUDE_LATEST,
  "claude-fable-5": CLAUDE_LATEST,
  "claude-fable-5-1": CLAUDE_LATEST,
  "claude-fable-5-2": CLAUDE_LATEST,
  "claude-mythos-5": CLAUDE_LATEST,
  "claude-mythos-5-1": CLAUDE_LATEST,
  "claude-mythos-5-2": CLAUDE_LATEST,
  "claude-mythos-preview": CLAUDE_LATEST,
};

function lookup<T>(table: Readonly<Record<string, T>>, model: string): T | undefined {
  if (Object.prototype.hasOwnProperty.call(table, model)) return table[model];
  const undated = model.replace(/-\d{8}$/, "");
  if (undated !== model && Object.prototype.hasOwnProperty.call(table, undated)) return table[undated];
  return undefined;
}

/**
 * The request shape for `model`: the built-in entry (or {@link UNKNOWN_MODEL_SHAPE}) with the writer's
 * override for that model on top, field by field. `known` says whether a built-in entry existed.
 */
export function requestShapeFor(model: string, overrides: ModelShapeOverrides = {}): ModelRequestShape & { known: boolean } {
  const builtIn = lookup(DEFAULT_MODEL_SHAPES, model);
  const override = lookup(overrides, model) ?? {};
  const defined = Object.fromEntries(Object.entries(override).filter(([, value]) => value !== undefined)) as Partial<ModelRequestShape>;
  return { ...(builtIn ?? UNKNOWN_MODEL_SHAPE), ...defined, known: builtIn !== undefined };
}

/**
 * The sampling parameters to send for `sampling` under `shape`, in wire names, and a warning for each one
 * dropped. Unset values are never sent: a model's own defaults are what its makers tuned.
 */
export function samplingFor(
  sampling: LlmRequest["sampling"],
  shape: Pick<ModelRequestShape, "sampling">,
  model: string,
): { params: { temperature?: number; top_p?: number }; warnings: string[] } {
  const params: { temperature?: number; top_p?: number } = {};
  const warnings: string[] = [];
  const temperature = sampling?.temperature;
  const topP = sampling?.topP;
  if (temperature === undefined && topP === undefined) return { params, warnings };
  if (shape.sampling === "none") {
    warnings.push(`${model} does not accept temperature or top_p; they were left out of the request.`);
    return { params, warnings };
  }
  if (temperature !== undefined) params.temperature = temperature;
  if (topP !== undefined) {
    if (shape.sampling === "one" && temperature !== undefined) {
      warnings.push(`${model} accepts temperature or top_p but not both; top_p was left out of the request.`);
    } else {
      params.top_p = topP;
    }
  }
  return { params, warnings };
}

/** `maxTokens` capped at the model's limit, with a warning when it was lowered. */
export function cappedMaxTokens(maxTokens: number, shape: Pick<ModelRequestShape, "maxOutputTokens">, model: string): { maxTokens: number; warning?: string } {
  const limit = shape.maxOutputTokens;
  if (limit === undefined || maxTokens <= limit) return { maxTokens };
  return { maxTokens: limit, warning: `${model} writes at most ${limit} tokens per reply; asked for ${maxTokens}, sent ${limit}.` };
}
