/**
 * The `Llm` port over the official Anthropic SDK (also the way to local servers that speak the Messages
 * API: Ollama, LM Studio, llama.cpp, vLLM; see base-url.ts).
 *
 * Every request streams. Chapters are long: a non-streaming request for many output tokens is refused by
 * the SDK and risks idle-connection timeouts, and streaming lets the writer watch the text arrive.
 *
 * We read the SDK's raw event stream (`messages.create({ stream: true })`) rather than its `MessageStream`
 * helper, because the helper throws away the whole reply when a tool input is malformed JSON (it parses
 * the input as the block ends, and the error ends the stream before the stop reason and usage arrive).
 * Local models do send malformed tool JSON; we want it back as `rawToolInput` so the structured layer can
 * quote it in a repair call. Reading the events ourselves also tells a complete reply (`message_stop`
 * seen) from one whose connection quietly closed halfway, which must never pass as finished.
 *
 * Runs in Obsidian (a browser) as well as Node: `dangerouslyAllowBrowser` lets the SDK construct there,
 * and the SDK then sends Anthropic's CORS opt-in header itself. The key is the writer's own, in their own
 * vault's settings, which is the situation that option exists for.
 */
import Anthropic, { APIConnectionError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema";
import type {
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  TextBlockParam,
  Tool,
  Usage,
} from "@anthropic-ai/sdk/resources/messages";
// Batch items are sent whole and come back whole (batchItem below), so they use the non-streaming types.
import type { Message, MessageCreateParamsNonStreaming } from "@anthropic-ai/sdk/resources/messages";
import { ANTHROPIC_BASE_URL, normaliseBaseUrl } from "./base-url";
import { LlmError, type CacheTtl, type Llm, type LlmRequest, type LlmResponse, type LlmUsage, type TextBlock } from "./llm";
import { cappedMaxTokens, requestShapeFor, samplingFor, type ModelRequestShape, type ModelShapeOverrides } from "./model-config";
import { parseRateLimitHeaders, type RateLimitSnapshot } from "./rate-limit";

export interface AnthropicLlmOptions {
  /** For a local server any non-empty text will do. */
  apiKey: string;
  /** As typed in settings; normalised (see base-url.ts). Empty: the Anthropic API. */
  baseURL?: string;
  /** Tests and proxies inject their own. */
  fetch?: typeof fetch;
  /** The SDK's own quick retries of a request that failed before streaming began. Default 2. */
  maxRetries?: number;
  /** Per request, in milliseconds; the SDK's default (10 minutes) when absent. */
  timeoutMs?: number;
  /** Per-model request-shape overrides from settings (see model-config.ts). */
  models?: ModelShapeOverrides;
  /** Told, once per distinct message, about anything adjusted on the writer's behalf. */
  onWarning?: (message: string) => void;
  /**
   * Told the `anthropic-ratelimit-*` headers of every response that has them, error responses included, as
   * soon as they arrive (e.g. RateLimiter.observe). A throw ends the request and is handed back unchanged.
   */
  onRateLimit?: (snapshot: RateLimitSnapshot) => void;
}

/** The API accepts at most this many `cache_control` breakpoints per request. */
export const MAX_CACHE_BREAKPOINTS = 4;

type WireBody = MessageCreateParamsStreaming & {
  // Sent only where the model accepts them; this SDK's types no longer list them (the newest models reject them).
  temperature?: number;
  top_p?: number;
};

export class AnthropicLlm implements Llm {
  private readonly client: Anthropic;
  private readonly models: ModelShapeOverrides;
  private readonly warned = new Set<string>();

  constructor(private readonly options: AnthropicLlmOptions) {
    const { baseURL, warning } = normaliseBaseUrl(options.baseURL);
    if (warning) this.warn(warning);
    this.models = options.models ?? {};
    this.client = new Anthropic({
      apiKey: options.apiKey,
      // Explicit, so that an ANTHROPIC_BASE_URL in the CLI's environment cannot redirect the writer's key.
      baseURL: baseURL ?? ANTHROPIC_BASE_URL,
      maxRetries: options.maxRetries ?? 2,
      dangerouslyAllowBrowser: true,
      // fetch, not Obsidian's requestUrl (lint warns): requestUrl cannot stream, and the API accepts browser
      // fetch through the SDK's CORS opt-in header.
      fetch: withoutSpendLimitRetries(options.fetch ?? ((input, init) => fetch(input, init))),
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const shape = requestShapeFor(request.model, this.models);
    const body = this.buildBody(request, shape);
    const { signal } = request;
    if (signal?.aborted) throw aborted();

    let requestId: string | undefined;
    let connected = false;
    let callbackError: { error: unknown } | undefined;
    const reply = new ReplyAccumulator(request.model);
    try {
      const { data: stream, response } = await this.client.messages.create(body, { signal }).withResponse();
      connected = true;
      requestId = response.headers.get("request-id") ?? undefined;
      try {
        this.reportRateLimit(response.headers);
      } catch (error) {
        callbackError = { error };
        stream.controller.abort();
      }
      if (!callbackError) for await (const event of stream) {
        // Events already buffered keep coming after an abort; the caller asked for no more.
        if (signal?.aborted) break;
        const delta = reply.add(event);
        if (delta !== undefined && request.onText) {
          try {
            request.onText(delta, reply.textLength);
          } catch (error) {
            // The caller's own bug: stop reading and hand it back unchanged, not disguised as a network error.
            callbackError = { error };
            stream.controller.abort();
            break;
          }
        }
      }
    } catch (error) {
      // Only an HTTP error response's headers are fresh; an error event mid-stream repeats the opening ones.
      if (error instanceof APIError && error.status !== undefined) this.reportRateLimit((error as APIError).headers);
      if (signal?.aborted) throw aborted(requestId);
      throw toLlmError(error, { requestId, connected });
    }
    if (callbackError) throw callbackError.error;
    // The SDK ends the iteration quietly when the signal aborts mid-stream.
    if (signal?.aborted) throw aborted(requestId);
    if (!reply.complete) {
      throw new LlmError(
        "stream_cut",
        reply.started
          ? "The connection closed before the reply was complete. The partial text was discarded; the request can be tried again."
          : "The server closed the connection without sending a reply.",
        { requestId },
      );
    }
    return reply.response(request, shape, requestId);
  }

  private buildBody(request: LlmRequest, shape: ModelRequestShape): WireBody {
    const max = cappedMaxTokens(request.maxTokens, shape, request.model);
    if (max.warning) this.warn(max.warning);
    const sampling = samplingFor(request.sampling, shape, request.model);
    sampling.warnings.forEach((w) => this.warn(w));

    const system = [...request.system];
    const messages = request.messages.map((m) => ({ role: m.role, content: [...m.content] }));
    const last = messages.at(-1);
    if (last?.role === "assistant") {
      // The API rejects a final assistant message (a prefill) that ends in whitespace.
      const lastBlock = last.content.at(-1);
      if (lastBlock) last.content[last.content.length - 1] = { ...lastBlock, text: lastBlock.text.trimEnd() };
    }

    const body: WireBody = {
      model: request.model,
      max_tokens: max.maxTokens,
      messages: [],
      stream: true,
      ...sampling.params,
    };

    const tool = request.tool;
    if (tool && shape.structuredOutput === "tool") {
      body.tools = [{ name: tool.name, description: tool.description, input_schema: tool.inputSchema as Tool.InputSchema }];
      body.tool_choice = { type: "tool", name: tool.name };
    } else if (tool) {
      body.output_config = { format: { type: "json_schema", schema: strictSchema(tool.inputSchema) } };
      // output_config carries no description, so the model learns what the JSON is for from the system prompt.
      system.push({ text: `Reply with a single JSON object and nothing else. It is: ${tool.description}` });
    }

    const wire = toWireBlocks([system, ...messages.map((m) => m.content)], (w) => this.warn(w));
    const [systemBlocks = [], ...messageBlocks] = wire;
    if (systemBlocks.length > 0) body.system = systemBlocks;
    body.messages = messages.map((m, i): MessageParam => ({ role: m.role, content: messageBlocks[i] ?? [] }));
    return body;
  }

  /**
   * One request as an item of a Message Batch (see anthropic-batches.ts): the body `complete` would send,
   * minus `stream` (the batch API refuses it), and `read`, which turns the item's finished Message into an
   * LlmResponse. `read` replays the Message as the stream events it would have arrived as, so a batch reply
   * goes through the very code a streamed one does (tool input, structured JSON, refusals, usage) and the
   * two can never disagree on what a reply means.
   */
  batchItem(request: LlmRequest): { params: MessageCreateParamsNonStreaming; read: (message: Message) => LlmResponse } {
    const shape = requestShapeFor(request.model, this.models);
    const { stream, ...params } = this.buildBody(request, shape);
    return {
      params,
      read: (message) => {
        const reply = new ReplyAccumulator(request.model);
        reply.add({ type: "message_start", message: { ...message, content: [] } });
        message.content.forEach((block, index) => reply.add({ type: "content_block_start", index, content_block: block }));
        const { stop_reason, stop_sequence, stop_details, container } = message;
        reply.add({ type: "message_delta", delta: { stop_reason, stop_sequence, stop_details, container }, usage: { ...message.usage } });
        reply.add({ type: "message_stop" });
        return reply.response(request, shape, undefined);
      },
    };
  }

  private reportRateLimit(headers: Headers | undefined): void {
    if (!this.options.onRateLimit || !headers) return;
    const snapshot = parseRateLimitHeaders((name) => headers.get(name), Date.now());
    if (snapshot) this.options.onRateLimit(snapshot);
  }

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.onWarning?.(message);
  }
}

/**
 * Structured-output schemas accept a subset of JSON Schema; the SDK's transform moves the rest (lengths,
 * ranges) into descriptions. Our zod validation still enforces all of it afterwards. A schema the
 * transform cannot handle (a node without a type) goes as it is and the server decides.
 */
function strictSchema(schema: Record<string, unknown>): Record<string, unknown> {
  try {
    return transformJSONSchema(schema);
  } catch {
    return schema;
  }
}

/**
 * Our blocks as the API's, in prompt order (system first, then each message): empty blocks dropped (the
 * API rejects them) with their cache breakpoint moved to the block before, and only the last
 * {@link MAX_CACHE_BREAKPOINTS} breakpoints kept (the API rejects more; the later ones cover longer prefixes).
 */
function toWireBlocks(lists: TextBlock[][], warn: (message: string) => void): TextBlockParam[][] {
  const kept: { text: string; cache?: CacheTtl }[][] = lists.map(() => []);
  lists.forEach((blocks, i) => {
    const out = kept[i] ?? [];
    for (const block of blocks) {
      const previous = out.at(-1);
      if (block.text.trim() === "") {
        if (block.cache && previous) previous.cache = longer(previous.cache, block.cache);
        continue;
      }
      out.push({ text: block.text, ...(block.cache ? { cache: block.cache } : {}) });
    }
  });
  const marked = kept.flat().filter((b) => b.cache !== undefined);
  if (marked.length > MAX_CACHE_BREAKPOINTS) {
    for (const block of marked.slice(0, marked.length - MAX_CACHE_BREAKPOINTS)) delete block.cache;
    warn(`A request asked for ${marked.length} prompt-cache breakpoints; the API allows ${MAX_CACHE_BREAKPOINTS}, so the first ${marked.length - MAX_CACHE_BREAKPOINTS} were left out.`);
  }
  return kept.map((blocks) =>
    blocks.map((b): TextBlockParam => ({ type: "text", text: b.text, ...(b.cache ? { cache_control: { type: "ephemeral", ttl: b.cache } } : {}) })),
  );
}

function longer(a: CacheTtl | undefined, b: CacheTtl): CacheTtl {
  return a === "1h" || b === "1h" ? "1h" : "5m";
}

/** Builds the reply from stream events, the way the API documents them. */
class ReplyAccumulator {
  started = false;
  complete = false;
  textLength = 0;
  private model: string;
  private stopReason: string | null = null;
  private usage: Partial<Usage> = {};
  private readonly blocks: ({ type: "text"; text: string } | { type: "tool_use"; name: string; json: string; input: unknown } | { type: "other" })[] = [];

  constructor(model: string) {
    this.model = model;
  }

  /** Takes one event; returns the text delta when it carried one. */
  add(event: RawMessageStreamEvent): string | undefined {
    switch (event.type) {
      case "message_start":
        this.started = true;
        this.model = event.message.model || this.model;
        this.usage = { ...event.message.usage };
        return undefined;
      case "content_block_start": {
        const block = event.content_block;
        this.blocks[event.index] =
          block.type === "text"
            ? { type: "text", text: block.text }
            : block.type === "tool_use"
              ? { type: "tool_use", name: block.name, json: "", input: block.input }
              : { type: "other" };
        if (block.type === "text" && block.text !== "") {
          this.textLength += block.text.length;
          return block.text;
        }
        return undefined;
      }
      case "content_block_delta": {
        const block = this.blocks[event.index];
        if (event.delta.type === "text_delta" && block?.type === "text") {
          block.text += event.delta.text;
          this.textLength += event.delta.text.length;
          return event.delta.text;
        }
        if (event.delta.type === "input_json_delta" && block?.type === "tool_use") block.json += event.delta.partial_json;
        return undefined;
      }
      case "message_delta": {
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        // Cumulative totals; a field is absent when it does not apply, so overwrite only when present.
        const u = event.usage;
        this.usage.output_tokens = u.output_tokens;
        if (u.input_tokens != null) this.usage.input_tokens = u.input_tokens;
        if (u.cache_creation_input_tokens != null) this.usage.cache_creation_input_tokens = u.cache_creation_input_tokens;
        if (u.cache_read_input_tokens != null) this.usage.cache_read_input_tokens = u.cache_read_input_tokens;
        return undefined;
      }
      case "message_stop":
        this.complete = true;
        return undefined;
      default:
        return undefined;
    }
  }

  response(request: LlmRequest, shape: ModelRequestShape, requestId: string | undefined): LlmResponse {
    const stopReason = this.stopReason ?? "end_turn";
    if (stopReason === "refusal") {
      throw new LlmError(
        "refusal",
        "The model declined to write this (it stopped for safety reasons). Rewording the instructions or the scene summary may help; trying again unchanged will likely give the same answer.",
        { requestId },
      );
    }
    if (stopReason === "model_context_window_exceeded") {
      throw new LlmError("context_window", CONTEXT_WINDOW_MESSAGE, { requestId });
    }
    const text = this.blocks.flatMap((b) => (b?.type === "text" ? [b.text] : [])).join("");
    const result: LlmResponse = { text, stopReason, usage: this.llmUsage(), model: this.model, ...(requestId ? { requestId } : {}) };

    if (request.tool) {
      const name = request.tool.name;
      const toolUse =
        this.blocks.find((b): b is Extract<typeof b, { type: "tool_use" }> => b?.type === "tool_use" && b.name === name) ??
        this.blocks.find((b): b is Extract<typeof b, { type: "tool_use" }> => b?.type === "tool_use");
      if (toolUse) {
        const parsed = parseJson(toolUse.json === "" ? JSON.stringify(toolUse.input ?? {}) : toolUse.json);
        if (parsed.ok) result.toolInput = parsed.value;
        else result.rawToolInput = toolUse.json;
      } else if (shape.structuredOutput === "output_format") {
        // Structured output arrives as JSON text; a server that ignored the format sends prose, left in `text`.
        const parsed = parseJson(text);
        if (parsed.ok) result.toolInput = parsed.value;
      }
    }
    return result;
  }

  private llmUsage(): LlmUsage {
    const u = this.usage;
    const usage: LlmUsage = {
      inputTokens: u.input_tokens ?? 0,
      outputTokens: u.output_tokens ?? 0,
      cacheCreationInputTokens: u.cache_creation_input_tokens ?? 0,
      cacheReadInputTokens: u.cache_read_input_tokens ?? 0,
    };
    if (u.cache_creation) {
      usage.cacheCreation = {
        ephemeral5mInputTokens: u.cache_creation.ephemeral_5m_input_tokens ?? 0,
        ephemeral1hInputTokens: u.cache_creation.ephemeral_1h_input_tokens ?? 0,
      };
    }
    return usage;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const CONTEXT_WINDOW_MESSAGE =
  "Everything sent with this request (story bible, codex, outline and earlier chapters) is more than the model can read at once. Send less context, for example fewer earlier chapters, or choose a model with a larger context window.";

function aborted(requestId?: string): LlmError {
  return new LlmError("aborted", "Cancelled.", requestId ? { requestId } : {});
}

/** Anything the SDK (or the network under it) throws, as an LlmError the queue can act on. */
export function toLlmError(error: unknown, context: { requestId?: string; connected?: boolean } = {}): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof APIUserAbortError || isAbortError(error)) return aborted(context.requestId);
  if (error instanceof APIConnectionError) {
    // Includes timeouts. The SDK has already retried these maxRetries times.
    return new LlmError("stream_cut", `Could not reach the model server: ${error.message}`, { requestId: context.requestId });
  }
  // instanceof narrows to APIError<any, …>; the plain APIError type is what the SDK documents.
  if (error instanceof APIError) return fromApiError(error as APIError, context);
  const message = error instanceof Error ? error.message : String(error);
  if (!context.connected) {
    // Network failures before the reply are APIConnectionErrors (above), so anything else thrown before
    // the server answered is the SDK refusing its setup (e.g. no usable key): not worth retrying.
    return new LlmError("invalid_request", `The request could not be sent: ${message}`, { requestId: context.requestId });
  }
  // A socket reset or a garbled event mid-reply (undici says "terminated"): the reply is incomplete.
  return new LlmError("stream_cut", `The connection broke while the reply was streaming (${message}). The partial text was discarded.`, {
    requestId: context.requestId,
  });
}

function fromApiError(error: APIError, context: { requestId?: string }): LlmError {
  const status = error.status;
  const requestId = error.requestID ?? context.requestId ?? undefined;
  const details = { ...(status !== undefined ? { status } : {}), ...(requestId ? { requestId } : {}) };
  const apiMessage = error.apiMessage ?? apiMessageOf(error.error) ?? error.message;
  const type = error.type ?? apiTypeOf(error.error);
  const said = apiMessage ? ` The server said: ${apiMessage}` : "";

  if (status === undefined) {
    // An `error` event in the middle of the stream (usually overloaded_error): the reply is cut, whatever
    // the cause, and the partial text must not be used. Retried from the start like any other cut.
    return new LlmError("stream_cut", `The reply broke off with an error from the server; the partial text was discarded.${said}`, details);
  }
  if (isSpendLimit(error, apiMessage, type)) {
    return new LlmError(
      "spend_limit",
      `Your account has reached its spending or credit limit, so all writing is paused. Raise the limit or add credit in the Anthropic Console, then resume.${said}`,
      details,
    );
  }
  if (status === 429 || type === "rate_limit_error") {
    const retryAfterMs = retryAfterMsOf(error.headers);
    const when = retryAfterMs !== undefined ? ` Trying again in ${Math.ceil(retryAfterMs / 1000)} s.` : "";
    return new LlmError("rate_limited", `Too many requests for your account's rate limit.${when}`, {
      ...details,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 529 || type === "overloaded_error") {
    return new LlmError("overloaded", "The model service is overloaded right now; this will be tried again shortly.", details);
  }
  if (status >= 500 || status === 408 || status === 409) {
    return new LlmError("server", `The model server had a problem (HTTP ${status}); this will be tried again.${said}`, details);
  }
  if (status === 401 || status === 403) {
    return new LlmError(
      "auth",
      status === 401
        ? `The API key was not accepted. Check the key in Bookwright's settings.${said}`
        : `The API key is not allowed to use this model or feature.${said}`,
      details,
    );
  }
  if (/prompt is too long|context (window|length)|exceeds? .*context|too many (input )?tokens/i.test(apiMessage ?? "")) {
    return new LlmError("context_window", `${CONTEXT_WINDOW_MESSAGE}${said}`, details);
  }
  if (status === 404) {
    return new LlmError("invalid_request", `The server does not know this model or address. Check the model name and the server address.${said}`, details);
  }
  return new LlmError("invalid_request", `The server rejected the request (HTTP ${status}).${said}`, details);
}

/** What a 429 body says when the limit is money, not rate (see isSpendLimit for the wording). */
const SPEND_LIMIT_BODY = /spend_limit|\b(spend(ing)?|usage|credit|billing|budget)\b[^."]*\blimits?\b|\bcredit balance\b|\binsufficient (credit|funds|balance)\b/i;

/**
 * The SDK retries every 429 unless the response says `x-should-retry: false`, so a spend limit would be
 * asked again (and again) before we see it. This fetch marks such a 429 as not to be retried: a spend
 * limit is never retried; the queue pauses until the writer raises it.
 */
export function withoutSpendLimitRetries(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (response.status !== 429 || response.headers.get("x-should-retry") !== null) return response;
    const body = await response.clone().text();
    if (!SPEND_LIMIT_BODY.test(body)) return response;
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}

/**
 * A limit that waiting will not lift. The API marks these with an error code (`…spend_limit_reached`) or as
 * a billing error (402, or a 400 "credit balance is too low"); gateways and older servers only say it in
 * words, so the message is checked too.
 */
function isSpendLimit(error: APIError, message: string | undefined, type: string | null | undefined): boolean {
  if (error.errorCode?.includes("spend_limit")) return true;
  if (error.status === 402 || type === "billing_error") return true;
  if (error.status !== 429 && error.status !== 400 && error.status !== 403) return false;
  return /\b(spend(ing)?|usage|credit|billing|budget)\b[^.]*\blimits?\b|\bcredit balance\b|\binsufficient (credit|funds|balance)\b|\bout of credits?\b/i.test(message ?? "");
}

/** `retry-after-ms` (milliseconds) first, then `retry-after` (seconds, or an HTTP date). */
export function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers?.get("retry-after");
  if (after) {
    const seconds = Number(after.trim());
    if (after.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return undefined;
}

function apiMessageOf(body: unknown): string | undefined {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : body;
  return isRecord(inner) && typeof inner.message === "string" ? inner.message : undefined;
}

function apiTypeOf(body: unknown): string | undefined {
  const inner = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  return isRecord(inner) && typeof inner.type === "string" ? inner.type : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isAbortError(error: unknown): boolean {
  return isRecord(error) && error.name === "AbortError";
}
