/**
 * The `Llm` port: how agents talk to a model. Agents build an LlmRequest (no SDK types leak into them),
 * an implementation sends it (shared/llm/anthropic-llm.ts over @anthropic-ai/sdk; tests point it at the
 * fake server in test/fake-anthropic/). Failures are LlmError values with a kind the queue can act on.
 */

/** Where a prompt-cache breakpoint goes: after this block, cached for 5 minutes or 1 hour. */
export type CacheTtl = "5m" | "1h";

export interface TextBlock {
  text: string;
  /** Put a `cache_control` breakpoint after this block. */
  cache?: CacheTtl;
}

export interface LlmMessage {
  role: "user" | "assistant";
  content: TextBlock[];
}

/** A structured reply requested through forced tool use: the model must call this tool once. */
export interface LlmTool {
  name: string;
  description: string;
  /** JSON Schema of the tool input (generated from zod with z.toJSONSchema). */
  inputSchema: Record<string, unknown>;
}

export interface LlmRequest {
  model: string;
  /** The stable part first (role, story bible, codex, outline), each block a candidate for caching. */
  system: TextBlock[];
  messages: LlmMessage[];
  maxTokens: number;
  /** Sent only when set: some models reject temperature/top_p (per-model configuration). */
  sampling?: { temperature?: number; topP?: number };
  tool?: LlmTool;
  signal?: AbortSignal;
  /** Streamed text as it arrives: the delta and the characters received so far. */
  onText?: (delta: string, received: number) => void;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /**
   * The cache writes split by lifetime, when the server reports it (the Anthropic API does; local servers
   * do not). 1-hour writes cost more than 5-minute ones, so costs use this split when it is there.
   */
  cacheCreation?: { ephemeral5mInputTokens: number; ephemeral1hInputTokens: number };
}

export type StopReason = "end_turn" | "max_tokens" | "stop_sequence" | "tool_use" | "pause_turn" | "refusal" | "model_context_window_exceeded";

export interface LlmResponse {
  /** All text blocks joined. */
  text: string;
  /** The input of the forced tool call, unvalidated (callers validate with zod). */
  toolInput?: unknown;
  /**
   * The tool input exactly as the model sent it, set only when it is not valid JSON (so `toolInput` is
   * absent): the repair call quotes it back to the model.
   */
  rawToolInput?: string;
  stopReason: StopReason | (string & {});
  usage: LlmUsage;
  model: string;
  requestId?: string;
}

export interface Llm {
  complete(request: LlmRequest): Promise<LlmResponse>;
}

export type LlmErrorKind =
  /** 429: wait `retryAfterMs` and try again. */
  | "rate_limited"
  /** 429 naming a spend/usage limit: never retried; work pauses until the writer raises the limit. */
  | "spend_limit"
  /** 529 */
  | "overloaded"
  /** 5xx */
  | "server"
  /** The connection or the stream broke before the message was complete. */
  | "stream_cut"
  | "refusal"
  | "context_window"
  | "auth"
  | "invalid_request"
  | "aborted"
  /** The reply did not validate, even after a repair call. */
  | "invalid_output";

export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; requestId?: string } = {},
  ) {
    super(message);
    this.name = "LlmError";
  }

  /** Whether trying the same request again can succeed without the writer doing anything. */
  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "overloaded" || this.kind === "server" || this.kind === "stream_cut";
  }
}

/** Usage of two calls added up (the cache split too, when either has one). */
export function addUsage(a: LlmUsage, b: LlmUsage): LlmUsage {
  const sum: LlmUsage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
  };
  if (a.cacheCreation || b.cacheCreation) {
    sum.cacheCreation = {
      ephemeral5mInputTokens: (a.cacheCreation?.ephemeral5mInputTokens ?? 0) + (b.cacheCreation?.ephemeral5mInputTokens ?? 0),
      ephemeral1hInputTokens: (a.cacheCreation?.ephemeral1hInputTokens ?? 0) + (b.cacheCreation?.ephemeral1hInputTokens ?? 0),
    };
  }
  return sum;
}
