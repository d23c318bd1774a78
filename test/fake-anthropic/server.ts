/**
 * A fake Anthropic Messages API on 127.0.0.1, for tests and benchmarks that run the real @anthropic-ai/sdk
 * (or anything else that speaks the wire format) without a network or a bill.
 *
 * It is faithful where client code can tell the difference: JSON bodies and SSE event sequences have the
 * shapes of the SDK's own types (every response object below is typed with them), errors use the API's
 * status codes, error JSON and headers (`request-id`, `retry-after`, `anthropic-ratelimit-*`), usage follows
 * the prompt-caching rules (./prompt.ts), and faults reproduce what production does to a client: 429s, 529s,
 * resets, streams that error or break off mid-way, truncated and malformed tool input. It is simple where
 * only the model's intelligence would differ: tokens are characters / 4 and the "model" is a script
 * (./default-reply.ts by default). See README.md for usage and for what is not faithful.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import type {
  ContentBlock,
  Message,
  MessageCreateParamsBase,
  RawMessageStreamEvent,
  StopReason,
  Usage,
} from "@anthropic-ai/sdk/resources/messages/messages";
import type { MessageBatch, MessageBatchIndividualResponse, MessageBatchResult } from "@anthropic-ai/sdk/resources/messages/batches";
import type { ErrorResponse, ErrorType } from "@anthropic-ai/sdk/resources/shared";
import { defaultReplyText, lastUserText, namesIn } from "./default-reply";
import { instanceOf } from "../../shared/llm/schema-instance";
import { MAX_CACHE_BREAKPOINTS, PromptCache, countPromptTokens, promptBlocks, tokensOf } from "./prompt";

export { countPromptTokens, tokensOf, CHARS_PER_TOKEN } from "./prompt";
export { defaultReplyText, lastUserText, namesIn, DEFAULT_REPLY_MAX_TOKENS } from "./default-reply";
export { instanceOf } from "../../shared/llm/schema-instance";

export interface FakeAnthropicOptions {
  /** The port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** Minimum prefix length (tokens) that can be cached; shorter breakpoints are silently not cached, as the API does. @default 1024 */
  minCacheableTokens?: number;
  /** Latency model: time to first token and tokens per second for streamed output. @default { firstTokenMs: 0, tokensPerSecond: Infinity } */
  latency?: { firstTokenMs: number; tokensPerSecond: number };
  /** Clock for cache TTLs, rate-limit windows and timestamps (ms). @default Date.now */
  now?: () => number;
  /** Scripted replies: decides what the "model" answers for a request. Default: a deterministic reply built from the request. */
  script?: (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;
  /**
   * Rate-limit headers to send. With `enforce: true` a request beyond a limit in the current minute gets the
   * API's 429 (with `retry-after` until the minute ends); by default the limits are only reported. @default generous limits
   */
  rateLimits?: { requestsPerMinute: number; inputTokensPerMinute: number; outputTokensPerMinute: number; enforce?: boolean };
  /** Longest prompt accepted, in (fake) tokens; longer prompts get the API's "prompt is too long" 400. @default 200_000 */
  contextWindowTokens?: number;
  /** Keep each request in `requests`. Long benchmarks with big prompts can turn this off to keep memory flat. @default true */
  recordRequests?: boolean;
}

export interface ScriptedReply {
  /** The reply text; for an `output_config` JSON-schema request, the JSON text itself. */
  text?: string;
  /** The tool call's input (forced tool use), or for an `output_config` request the value to serialise as the reply. */
  toolInput?: unknown;
  /** Which tool to call when tool_choice does not name one (`auto`/`any`). @default the first tool with an input_schema */
  toolName?: string;
  stopReason?: "end_turn" | "max_tokens" | "refusal" | "model_context_window_exceeded" | "tool_use";
}

export interface RecordedRequest {
  /** The `request-id` header the response carried (batch items: the create request's). */
  requestId: string;
  /** `/v1/messages`, or `/v1/messages/batches` for one request inside a batch. */
  path: string;
  /** Lower-cased, as Node received them (batch items: the create request's). */
  headers: IncomingHttpHeaders;
  /** The request body as received (for batch items, the item's `params`). */
  body: MessageCreateParamsBase;
  stream: boolean;
  batch?: { id: string; customId: string };
  /** From the `now` clock. */
  receivedAt: number;
  /** The time-to-first-token delay this request was given (latency option or slow_first_token fault), in ms. */
  firstTokenDelayMs: number;
}

export interface FakeAnthropic {
  /** e.g. "http://127.0.0.1:43123": pass as baseURL to the SDK (the SDK appends /v1/...). */
  url: string;
  /** Every /v1/messages request body received, with headers, in order (not count_tokens or batch items). */
  requests: RecordedRequest[];
  /** Queue faults; each applies to the next request to /v1/messages (FIFO), and is used up even where it has no effect. */
  inject(...faults: Fault[]): void;
  setScript(script: FakeAnthropicOptions["script"]): void;
  /** Usage summed over every message completed so far (streamed to the end, returned whole, or a batch result). */
  usageTotals(): { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number };
  /** Forget every prompt-cache entry (e.g. between benchmark runs). */
  clearCache(): void;
  close(): Promise<void>;
}

export type Fault =
  | { kind: "rate_limit"; retryAfterSeconds: number }
  /** 429 naming the monthly usage limit; `status: 400` gives the older invalid_request_error form seen in the wild. */
  | { kind: "spend_limit"; status?: 429 | 400 }
  | { kind: "overloaded" }
  | { kind: "server_error" }
  | { kind: "connection_reset" }
  /** SSE: after K content deltas an `error` event (overloaded_error), then the stream ends. Non-streaming: a 529. */
  | { kind: "stream_error_after"; chunks: number }
  /** SSE: after K content deltas the socket is destroyed. Non-streaming: the JSON body breaks off half-way. */
  | { kind: "stream_cut_after"; chunks: number }
  /** Tool input that is not valid JSON when streamed, and does not match the schema when not; JSON-schema text replies become invalid JSON. */
  | { kind: "invalid_tool_json" }
  | { kind: "max_tokens"; afterTokens: number }
  | { kind: "slow_first_token"; ms: number };

const DEFAULT_RATE_LIMITS = { requestsPerMinute: 4_000, inputTokensPerMinute: 2_000_000, outputTokensPerMinute: 400_000 };
/** Characters per streamed delta: a few tokens, like the real API's deltas. */
const DELTA_CHARS = 20;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const BATCH_RESULTS_TTL_MS = 29 * 24 * 60 * 60_000;
const BATCH_EXPIRY_MS = 24 * 60 * 60_000;

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const fake = new FakeAnthropicServer(options);
  await fake.listen(options.port);
  return fake;
}

/** An error the API would answer with: status, error type, message, and any extra headers. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType | "request_too_large",
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

type PlannedBlock = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; json: string; input: unknown };

interface Planned {
  message: Message;
  blocks: PlannedBlock[];
}

interface BatchState {
  batch: MessageBatch;
  requests: { custom_id: string; params: MessageCreateParamsBase }[];
  results: MessageBatchIndividualResponse[];
  cancelRequested: boolean;
  headers: IncomingHttpHeaders;
  requestId: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sequential ids in the API's shapes (msg_01…, toolu_01…, req_011C…): deterministic, so runs can be compared. */
class Ids {
  private readonly counters = new Map<string, number>();

  next(prefix: string, length: number): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return prefix + `Fake${n.toString(36)}`.padStart(length, "0");
  }
}

/** Per-minute windows of the `now` clock: coarser than the API's token buckets, but the headers mean the same. */
class RateLimiter {
  private window = Number.NaN;
  private used = { requests: 0, inputTokens: 0, outputTokens: 0 };

  constructor(
    readonly limits: NonNullable<FakeAnthropicOptions["rateLimits"]>,
    private readonly now: () => number,
  ) {}

  private roll(): number {
    const window = Math.floor(this.now() / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.used = { requests: 0, inputTokens: 0, outputTokens: 0 };
    }
    return window;
  }

  private resetAt(): string {
    return new Date((this.roll() + 1) * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  secondsToReset(): number {
    return Math.max(1, Math.ceil(((this.roll() + 1) * 60_000 - this.now()) / 1000));
  }

  headers(): Record<string, string> {
    this.roll();
    const reset = this.resetAt();
    const requests = Math.max(0, this.limits.requestsPerMinute - this.used.requests);
    const input = Math.max(0, this.limits.inputTokensPerMinute - this.used.inputTokens);
    const output = Math.max(0, this.limits.outputTokensPerMinute - this.used.outputTokens);
    // anthropic-ratelimit-tokens-* reports whichever token limit is most restrictive right now.
    const tokens = input <= output ? { limit: this.limits.inputTokensPerMinute, remaining: input } : { limit: this.limits.outputTokensPerMinute, remaining: output };
    return {
      "anthropic-ratelimit-requests-limit": String(this.limits.requestsPerMinute),
      "anthropic-ratelimit-requests-remaining": String(requests),
      "anthropic-ratelimit-requests-reset": reset,
      "anthropic-ratelimit-input-tokens-limit": String(this.limits.inputTokensPerMinute),
      "anthropic-ratelimit-input-tokens-remaining": String(input),
      "anthropic-ratelimit-input-tokens-reset": reset,
      "anthropic-ratelimit-output-tokens-limit": String(this.limits.outputTokensPerMinute),
      "anthropic-ratelimit-output-tokens-remaining": String(output),
      "anthropic-ratelimit-output-tokens-reset": reset,
      "anthropic-ratelimit-tokens-limit": String(tokens.limit),
      "anthropic-ratelimit-tokens-remaining": String(tokens.remaining),
      "anthropic-ratelimit-tokens-reset": reset,
    };
  }

  /** Which limit this request would exceed, if enforcing; otherwise counts it. Input tokens are the uncached ones, as the API counts them. */
  admit(uncachedInputTokens: number): string | undefined {
    this.roll();
    if (this.limits.enforce) {
      if (this.used.requests + 1 > this.limits.requestsPerMinute) return `${this.limits.requestsPerMinute} requests per minute`;
      if (this.used.inputTokens + uncachedInputTokens > this.limits.inputTokensPerMinute) return `${this.limits.inputTokensPerMinute} input tokens per minute`;
      if (this.used.outputTokens >= this.limits.outputTokensPerMinute) return `${this.limits.outputTokensPerMinute} output tokens per minute`;
    }
    this.used.requests += 1;
    this.used.inputTokens += uncachedInputTokens;
    return undefined;
  }

  countOutput(tokens: number): void {
    this.roll();
    this.used.outputTokens += tokens;
  }
}

class FakeAnthropicServer implements FakeAnthropic {
  url = "";
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  private script: FakeAnthropicOptions["script"];
  private readonly now: () => number;
  private readonly cache: PromptCache;
  private readonly rateLimiter: RateLimiter;
  private readonly latency: { firstTokenMs: number; tokensPerSecond: number };
  private readonly contextWindowTokens: number;
  private readonly recordRequests: boolean;
  private readonly ids = new Ids();
  private readonly totals = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
  private readonly batches = new Map<string, BatchState>();
  private readonly server: Server;
  /** Aborted on close, so pending latency sleeps and batch work stop instead of holding the process open. */
  private readonly closing = new AbortController();

  constructor(options: FakeAnthropicOptions) {
    this.now = options.now ?? Date.now;
    this.script = options.script;
    this.cache = new PromptCache(options.minCacheableTokens ?? 1024, this.now);
    this.rateLimiter = new RateLimiter(options.rateLimits ?? DEFAULT_RATE_LIMITS, this.now);
    this.latency = options.latency ?? { firstTokenMs: 0, tokensPerSecond: Infinity };
    this.contextWindowTokens = options.contextWindowTokens ?? 200_000;
    this.recordRequests = options.recordRequests ?? true;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.fail(res, error));
    });
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}`;
  }

  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  setScript(script: FakeAnthropicOptions["script"]): void {
    this.script = script;
  }

  usageTotals(): { inputTokens: number; outputTokens: number; cacheCreationInputTokens: number; cacheReadInputTokens: number } {
    return { ...this.totals };
  }

  clearCache(): void {
    this.cache.clear();
  }

  async close(): Promise<void> {
    this.closing.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive connections from the SDK's fetch would otherwise hold close() open for seconds.
      this.server.closeAllConnections();
    });
  }

  // ---- HTTP plumbing ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = this.ids.next("req_011C", 24);
    res.setHeader("request-id", requestId);
    // Read the whole body first, even for requests we refuse: answering before the body is consumed can reset the connection.
    const raw = await readBody(req);
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";

    // The SDK (1.x) sends its apiKey as `Authorization: Bearer …`; older clients and curl send `x-api-key`. Any value is accepted.
    const authorization = req.headers.authorization ?? "";
    if (!req.headers["x-api-key"] && !/^Bearer \S/.test(authorization)) {
      throw new ApiError(401, "authentication_error", "x-api-key header is required");
    }
    if (!req.headers["anthropic-version"]) {
      throw new ApiError(400, "invalid_request_error", "anthropic-version: header is required");
    }

    if (path === "/v1/messages" && method === "POST") {
      return this.messages(req, res, parseJson(raw), requestId);
    }
    if (path === "/v1/messages/count_tokens" && method === "POST") {
      const body = parseJson(raw);
      validate(body, { countTokens: true });
      return this.json(res, 200, { input_tokens: countPromptTokens(body) });
    }
    if (path === "/v1/messages/batches" && method === "POST") {
      return this.createBatch(res, parseJson(raw), req.headers, requestId);
    }
    if (path === "/v1/messages/batches" && method === "GET") {
      const data = [...this.batches.values()].map((state) => state.batch).reverse();
      return this.json(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    const batchRoute = /^\/v1\/messages\/batches\/([^/]+)(\/results|\/cancel)?$/.exec(path);
    if (batchRoute) {
      const id = decodeURIComponent(batchRoute[1] ?? "");
      const state = this.batches.get(id);
      if (!state) throw new ApiError(404, "not_found_error", `message_batch_id: '${id}' not found`);
      const action = batchRoute[2];
      if (action === undefined && method === "GET") return this.json(res, 200, state.batch);
      if (action === undefined && method === "DELETE") {
        if (state.batch.processing_status !== "ended") {
          throw new ApiError(400, "invalid_request_error", "Message batches that are still processing cannot be deleted; cancel them first.");
        }
        this.batches.delete(id);
        return this.json(res, 200, { id, type: "message_batch_deleted" });
      }
      if (action === "/cancel" && method === "POST") {
        if (state.batch.processing_status === "in_progress") {
          state.cancelRequested = true;
          state.batch.processing_status = "canceling";
          state.batch.cancel_initiated_at = this.iso();
        }
        return this.json(res, 200, state.batch);
      }
      if (action === "/results" && method === "GET") {
        if (state.batch.processing_status !== "ended") {
          throw new ApiError(404, "not_found_error", `Results for message batch '${id}' are not available until processing has ended.`);
        }
        const jsonl = state.results.map((line) => JSON.stringify(line)).join("\n") + "\n";
        res.writeHead(200, { ...this.rateLimiter.headers(), "content-type": "application/binary" });
        res.end(jsonl);
        return;
      }
    }
    throw new ApiError(404, "not_found_error", "Not Found");
  }

  private json(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...this.rateLimiter.headers(),
      ...extraHeaders,
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  private fail(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      // Mid-stream there is no status code left to send: break the connection, as a crashing server would.
      res.destroy();
      return;
    }
    const apiError =
      error instanceof ApiError ? error : new ApiError(500, "api_error", `fake-anthropic internal error: ${error instanceof Error ? error.message : String(error)}`);
    this.json(res, apiError.status, errorBody(apiError, String(res.getHeader("request-id") ?? "")), apiError.headers);
  }

  private iso(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  // ---- /v1/messages ----

  private async messages(req: IncomingMessage, res: ServerResponse, body: Json, requestId: string): Promise<void> {
    const stream = body.stream === true;
    const fault = this.faults.shift();
    const firstTokenDelayMs = fault?.kind === "slow_first_token" ? fault.ms : this.latency.firstTokenMs;
    const recorded: RecordedRequest = {
      requestId,
      path: "/v1/messages",
      headers: req.headers,
      body: body as unknown as MessageCreateParamsBase,
      stream,
      receivedAt: this.now(),
      firstTokenDelayMs,
    };
    if (this.recordRequests) this.requests.push(recorded);

    switch (fault?.kind) {
      case "rate_limit":
        throw new ApiError(
          429,
          "rate_limit_error",
          rateLimitMessage(`${this.rateLimiter.limits.requestsPerMinute} requests per minute`),
          { "retry-after": String(fault.retryAfterSeconds), "anthropic-ratelimit-requests-remaining": "0" },
        );
      case "spend_limit": {
        const next = new Date(this.now());
        const regain = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
        const message = `You have reached your specified API usage limits. You will regain access on ${regain} at 00:00 UTC.`;
        if (fault.status === 400) throw new ApiError(400, "invalid_request_error", message);
        throw new ApiError(429, "rate_limit_error", message, {}, { error_code: "enforced_spend_limit_reached" });
      }
      case "overloaded":
        throw new ApiError(529, "overloaded_error", "Overloaded");
      case "server_error":
        throw new ApiError(500, "api_error", "Internal server error");
      case "connection_reset":
        // RST rather than FIN: the client sees ECONNRESET, as when a load balancer drops the connection.
        req.socket.resetAndDestroy();
        return;
      case "stream_error_after":
        if (!stream) throw new ApiError(529, "overloaded_error", "Overloaded");
        break;
      default:
        break;
    }

    const planned = await this.plan(body, recorded, fault, "standard");
    const signal = AbortSignal.any([this.closing.signal, closedSignal(res)]);
    if (stream) {
      await this.streamMessage(res, planned, fault, firstTokenDelayMs, signal);
      return;
    }
    const outputTokens = planned.message.usage.output_tokens;
    const pacer = new Pacer(signal);
    await pacer.wait(firstTokenDelayMs + this.generationMs(outputTokens));
    if (signal.aborted) return;
    if (fault?.kind === "stream_cut_after") {
      const text = JSON.stringify(planned.message);
      res.writeHead(200, { ...this.rateLimiter.headers(), "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      await write(res, text.slice(0, Math.floor(text.length / 2)));
      res.destroy();
      return;
    }
    this.json(res, 200, planned.message);
    this.complete(planned.message);
  }

  private generationMs(tokens: number): number {
    const tps = this.latency.tokensPerSecond;
    return Number.isFinite(tps) && tps > 0 ? (tokens / tps) * 1000 : 0;
  }

  private complete(message: Message): void {
    const usage = message.usage;
    this.totals.inputTokens += usage.input_tokens;
    this.totals.outputTokens += usage.output_tokens;
    this.totals.cacheCreationInputTokens += usage.cache_creation_input_tokens ?? 0;
    this.totals.cacheReadInputTokens += usage.cache_read_input_tokens ?? 0;
    this.rateLimiter.countOutput(usage.output_tokens);
  }

  /** Validates the request, does its cache accounting, asks the script, and lays out the reply (not yet sent). */
  private async plan(body: Json, recorded: RecordedRequest, fault: Fault | undefined, tier: "standard" | "batch"): Promise<Planned> {
    validate(body, { countTokens: false });
    const params = body as unknown as MessageCreateParamsBase;
    const blocks = promptBlocks(body);
    const total = blocks.reduce((sum, b) => sum + b.tokens, 0);
    if (total > this.contextWindowTokens) {
      throw new ApiError(400, "invalid_request_error", `prompt is too long: ${total} tokens > ${this.contextWindowTokens} maximum`);
    }
    const breakpoints = blocks.filter((b) => b.cacheTtl).length;
    if (breakpoints > MAX_CACHE_BREAKPOINTS) {
      throw new ApiError(400, "invalid_request_error", `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`);
    }
    if (tier === "standard") {
      // Rate limits count uncached input tokens, so look at the cache first, but write it only for an admitted request.
      const expected = this.cache.account(params.model, blocks, { commit: false });
      const exceeded = this.rateLimiter.admit(expected.inputTokens + expected.cacheCreationInputTokens);
      if (exceeded !== undefined) {
        throw new ApiError(429, "rate_limit_error", rateLimitMessage(exceeded), { "retry-after": String(this.rateLimiter.secondsToReset()) });
      }
    }
    const cacheUsage = this.cache.account(params.model, blocks);

    const reply = await (this.script ?? defaultScript)(recorded);
    const laidOut = this.layOut(params, reply);
    let { stopReason } = laidOut;
    let plannedBlocks = laidOut.blocks;
    let stopSequence: string | null = null;

    // Stop sequences end the text where they first occur, and are not part of it.
    if (Array.isArray(params.stop_sequences) && plannedBlocks.every((b) => b.type === "text")) {
      const cut = firstStopSequence(plannedBlocks, params.stop_sequences);
      if (cut) {
        plannedBlocks = cut.blocks;
        stopSequence = cut.sequence;
        stopReason = "stop_sequence";
      }
    }
    // The model never writes past max_tokens; a reply that would is cut there, with stop_reason max_tokens.
    if (outputTokensOf(plannedBlocks) > params.max_tokens) {
      plannedBlocks = truncate(plannedBlocks, params.max_tokens);
      stopReason = "max_tokens";
      stopSequence = null;
    }
    if (fault?.kind === "max_tokens") {
      plannedBlocks = truncate(plannedBlocks, fault.afterTokens);
      stopReason = "max_tokens";
      stopSequence = null;
    }
    if (fault?.kind === "invalid_tool_json") {
      plannedBlocks = plannedBlocks.map((block) => breakBlock(block, params));
    }

    const usage: Usage = {
      input_tokens: cacheUsage.inputTokens,
      cache_creation_input_tokens: cacheUsage.cacheCreationInputTokens,
      cache_read_input_tokens: cacheUsage.cacheReadInputTokens,
      cache_creation: {
        ephemeral_5m_input_tokens: cacheUsage.cacheCreation.ephemeral5mInputTokens,
        ephemeral_1h_input_tokens: cacheUsage.cacheCreation.ephemeral1hInputTokens,
      },
      output_tokens: outputTokensOf(plannedBlocks),
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: tier,
      inference_geo: null,
      speed: null,
    };
    const message: Message = {
      id: this.ids.next("msg_01", 22),
      type: "message",
      role: "assistant",
      model: params.model,
      content: plannedBlocks.map(toContentBlock),
      stop_reason: stopReason,
      stop_sequence: stopSequence,
      stop_details: stopReason === "refusal" ? { type: "refusal", category: null, explanation: null } : null,
      container: null,
      diagnostics: null,
      usage,
    };
    return { message, blocks: plannedBlocks };
  }

  /** Which blocks the reply has: a forced tool call, a JSON-schema text, prose, or prose and a tool call. */
  private layOut(params: MessageCreateParamsBase, reply: ScriptedReply): { blocks: PlannedBlock[]; stopReason: StopReason } {
    const tools = ((params.tools ?? []) as unknown[]).filter(isObject);
    const choice = params.tool_choice;
    // Without a name (tool_choice any/auto), the first tool with an input schema: a custom tool the script can fill.
    const pick = (name: string | undefined): Json | undefined =>
      name === undefined ? tools.find((tool) => isObject(tool.input_schema)) : tools.find((tool) => tool.name === name);
    const toolCall = (name: string | undefined): PlannedBlock => {
      const tool = pick(name);
      if (!tool || typeof tool.name !== "string") throw new ApiError(500, "api_error", `fake-anthropic script error: no tool named ${name ?? "(any)"} in the request`);
      const input = reply.toolInput !== undefined ? reply.toolInput : instanceOf(tool.input_schema, this.instanceOptions(params));
      return { type: "tool_use", id: this.ids.next("toolu_01", 22), name: tool.name, json: JSON.stringify(input), input };
    };

    // Forced tool use: the API prefills the assistant turn with the call, so there is no text before it.
    if (choice?.type === "tool" || choice?.type === "any") {
      const name = choice.type === "tool" ? choice.name : reply.toolName;
      return { blocks: [toolCall(name)], stopReason: reply.stopReason ?? "tool_use" };
    }

    const blocks: PlannedBlock[] = [];
    const format = params.output_config?.format;
    let text: string | undefined;
    if (format?.type === "json_schema") {
      text = reply.text ?? JSON.stringify(reply.toolInput !== undefined ? reply.toolInput : instanceOf(format.schema, this.instanceOptions(params)));
    } else {
      const wantsTool = (reply.toolInput !== undefined || reply.stopReason === "tool_use") && choice?.type !== "none";
      text = reply.text ?? (wantsTool ? undefined : defaultReplyText(params as unknown as Json));
      if (text !== undefined && text.length > 0) blocks.push({ type: "text", text });
      if (wantsTool) blocks.push(toolCall(reply.toolName));
      return { blocks, stopReason: reply.stopReason ?? (wantsTool ? "tool_use" : "end_turn") };
    }
    if (text.length > 0) blocks.push({ type: "text", text });
    return { blocks, stopReason: reply.stopReason ?? "end_turn" };
  }

  private instanceOptions(params: MessageCreateParamsBase): { words: string[]; now: number } {
    return { words: namesInRequest(params), now: this.now() };
  }

  // ---- SSE ----

  private async streamMessage(res: ServerResponse, planned: Planned, fault: Fault | undefined, firstTokenDelayMs: number, signal: AbortSignal): Promise<void> {
    const { message } = planned;
    res.writeHead(200, {
      ...this.rateLimiter.headers(),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
    });
    const send = (event: RawMessageStreamEvent | { type: "ping" } | ErrorResponse): Promise<void> =>
      write(res, `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);

    // message_start carries the input-side usage; output_tokens is what has been generated so far (the API reports a token or so).
    await send({
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        stop_details: null,
        usage: { ...message.usage, output_tokens: Math.min(1, message.usage.output_tokens) },
      },
    });

    const faultAfter = fault?.kind === "stream_error_after" || fault?.kind === "stream_cut_after" ? fault.chunks : undefined;
    let deltas = 0;
    const pacer = new Pacer(signal);
    const breakOff = async (): Promise<boolean> => {
      if (faultAfter === undefined || deltas < faultAfter) return false;
      if (fault?.kind === "stream_error_after") {
        await send({ type: "error", error: { type: "overloaded_error", message: "Overloaded" }, request_id: String(res.getHeader("request-id") ?? "") });
        res.end();
      } else {
        res.destroy();
      }
      return true;
    };

    for (const [index, block] of planned.blocks.entries()) {
      const start: ContentBlock =
        block.type === "text" ? { type: "text", text: "", citations: null } : { type: "tool_use", id: block.id, name: block.name, input: {}, caller: { type: "direct" } };
      await send({ type: "content_block_start", index, content_block: start });
      if (index === 0) await send({ type: "ping" });
      // Tool input streams as partial JSON, starting (as the API does) with an empty fragment.
      const pieces = block.type === "text" ? chunk(block.text) : ["", ...chunk(block.json)];
      for (const piece of pieces) {
        if (await breakOff()) return;
        await pacer.wait(deltas === 0 ? firstTokenDelayMs : this.generationMs(piece.length / 4));
        if (signal.aborted) return;
        await send({
          type: "content_block_delta",
          index,
          delta: block.type === "text" ? { type: "text_delta", text: piece } : { type: "input_json_delta", partial_json: piece },
        });
        deltas++;
      }
      await send({ type: "content_block_stop", index });
    }
    // A fault set for more deltas than the reply has still fires, before the message ends.
    if (await breakOff()) return;
    if (planned.blocks.length === 0) await pacer.wait(firstTokenDelayMs);
    await send({
      type: "message_delta",
      delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence, stop_details: message.stop_details, container: null },
      usage: {
        input_tokens: message.usage.input_tokens,
        cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
        cache_read_input_tokens: message.usage.cache_read_input_tokens,
        output_tokens: message.usage.output_tokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    });
    await send({ type: "message_stop" });
    res.end();
    this.complete(message);
  }

  // ---- Message Batches ----

  private createBatch(res: ServerResponse, body: Json, headers: IncomingHttpHeaders, requestId: string): void {
    const requests = body.requests;
    if (!Array.isArray(requests) || requests.length === 0) throw new ApiError(400, "invalid_request_error", "requests: Field required");
    const seen = new Set<string>();
    const items: BatchState["requests"] = [];
    for (const [i, item] of requests.entries()) {
      if (!isObject(item) || typeof item.custom_id !== "string" || !isObject(item.params)) {
        throw new ApiError(400, "invalid_request_error", `requests.${i}: each request needs a custom_id and params`);
      }
      if (seen.has(item.custom_id)) throw new ApiError(400, "invalid_request_error", `requests.${i}.custom_id: Duplicate custom_id '${item.custom_id}'`);
      if (item.params.stream === true) throw new ApiError(400, "invalid_request_error", `requests.${i}.params.stream: Streaming is not supported in batches`);
      seen.add(item.custom_id);
      items.push({ custom_id: item.custom_id, params: item.params as unknown as MessageCreateParamsBase });
    }
    const created = this.now();
    const batch: MessageBatch = {
      id: this.ids.next("msgbatch_01", 22),
      type: "message_batch",
      processing_status: "in_progress",
      request_counts: { processing: items.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: this.iso(),
      ended_at: null,
      expires_at: new Date(created + BATCH_EXPIRY_MS).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    };
    const state: BatchState = { batch, requests: items, results: [], cancelRequested: false, headers, requestId };
    this.batches.set(batch.id, state);
    this.json(res, 200, batch);
    // Processed after the create response is out, so a client always sees in_progress first.
    setImmediate(() => {
      this.processBatch(state).catch(() => undefined);
    });
  }

  private async processBatch(state: BatchState): Promise<void> {
    const { batch } = state;
    for (const item of state.requests) {
      if (this.closing.signal.aborted) return;
      let result: MessageBatchResult;
      if (state.cancelRequested) {
        result = { type: "canceled" };
        batch.request_counts.canceled++;
      } else {
        const recorded: RecordedRequest = {
          requestId: state.requestId,
          path: "/v1/messages/batches",
          headers: state.headers,
          body: item.params,
          stream: false,
          batch: { id: batch.id, customId: item.custom_id },
          receivedAt: this.now(),
          firstTokenDelayMs: 0,
        };
        try {
          const planned = await this.plan(item.params as unknown as Json, recorded, undefined, "batch");
          result = { type: "succeeded", message: planned.message };
          batch.request_counts.succeeded++;
          this.complete(planned.message);
        } catch (error) {
          const apiError = error instanceof ApiError ? error : new ApiError(500, "api_error", error instanceof Error ? error.message : String(error));
          result = { type: "errored", error: errorBody(apiError, null) };
          batch.request_counts.errored++;
        }
      }
      batch.request_counts.processing--;
      state.results.push({ custom_id: item.custom_id, result });
      // One item per macrotask, so a client polling meanwhile can see the counts move.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    batch.processing_status = "ended";
    batch.ended_at = this.iso();
    batch.results_url = `${this.url}/v1/messages/batches/${batch.id}/results`;
    batch.expires_at = new Date(this.now() + BATCH_RESULTS_TTL_MS).toISOString();
  }
}

/**
 * The default script: deterministic prose naming what the last user message names. For forced tool use and
 * JSON-schema output it leaves the reply to the server, which fills it from the schema. Custom scripts can
 * delegate to it for the requests they do not care about.
 */
export function defaultScript(request: RecordedRequest): ScriptedReply {
  const { body } = request;
  const structured = body.tool_choice?.type === "tool" || body.tool_choice?.type === "any" || body.output_config?.format?.type === "json_schema";
  return structured ? {} : { text: defaultReplyText(body as unknown as Json) };
}

function namesInRequest(params: MessageCreateParamsBase): string[] {
  return namesIn(lastUserText(params as unknown as Json));
}

// ---- helpers ----

function rateLimitMessage(limit: string): string {
  return (
    `This request would exceed the rate limit for your organization of ${limit}. ` +
    "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. " +
    "Please reduce the prompt length or the maximum tokens requested, or try again later."
  );
}

function errorBody(error: ApiError, requestId: string | null): ErrorResponse {
  return {
    type: "error",
    error: { type: error.type, message: error.message, ...(error.details ? { details: error.details } : {}) } as ErrorResponse["error"],
    request_id: requestId,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new ApiError(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

function parseJson(raw: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "invalid_request_error", "There was an issue with your request body: it is not valid JSON.");
  }
  if (!isObject(value)) throw new ApiError(400, "invalid_request_error", "The request body must be a JSON object.");
  return value;
}

/** The checks the API makes that a client bug could trip, with the API's field-path style of message. */
function validate(body: Json, { countTokens }: { countTokens: boolean }): void {
  const invalid = (message: string): ApiError => new ApiError(400, "invalid_request_error", message);
  if (typeof body.model !== "string" || body.model.length === 0) throw invalid("model: Field required");
  if (!countTokens) {
    if (body.max_tokens === undefined) throw invalid("max_tokens: Field required");
    if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens)) throw invalid("max_tokens: Input should be a valid integer");
    if (body.max_tokens < 1) throw invalid("max_tokens: Input should be greater than or equal to 1");
  }
  if (!Array.isArray(body.messages)) throw invalid("messages: Field required");
  for (const [i, message] of body.messages.entries()) {
    if (!isObject(message)) throw invalid(`messages.${i}: Input should be a valid dictionary`);
    if (message.role !== "user" && message.role !== "assistant") throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (typeof message.content !== "string" && !Array.isArray(message.content)) throw invalid(`messages.${i}.content: Field required`);
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const choice = body.tool_choice;
  if (isObject(choice) && (choice.type === "tool" || choice.type === "any")) {
    if (tools.length === 0) throw invalid("tool_choice may only be specified while providing tools");
    if (choice.type === "tool" && !tools.some((tool) => isObject(tool) && tool.name === choice.name)) {
      throw invalid(`tool_choice.name: Tool '${String(choice.name)}' not found in the provided tools`);
    }
  }
  const format = isObject(body.output_config) ? body.output_config.format : undefined;
  if (isObject(format) && format.type === "json_schema" && !isObject(format.schema)) throw invalid("output_config.format.schema: Field required");
}

/** Resolves when the response closes (finished or the client went away). */
function closedSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function write(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    res.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Sleeps to a schedule rather than for fixed intervals, so timer overhead does not accumulate over hundreds
 * of deltas: each wait ends at (start + everything asked for so far), measured on the monotonic clock.
 */
class Pacer {
  private readonly start = performance.now();
  private scheduled = 0;

  constructor(private readonly signal: AbortSignal) {}

  async wait(ms: number): Promise<void> {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.scheduled += ms;
    const remaining = this.start + this.scheduled - performance.now();
    if (remaining <= 0) return;
    await delay(remaining, undefined, { signal: this.signal }).catch(() => undefined);
  }
}

/** Splits text into deltas of a few tokens, never inside a surrogate pair. */
function chunk(text: string): string[] {
  const points = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += DELTA_CHARS) pieces.push(points.slice(i, i + DELTA_CHARS).join(""));
  return pieces;
}

function blockTokens(block: PlannedBlock): number {
  return tokensOf(block.type === "text" ? block.text : block.json);
}

function outputTokensOf(blocks: readonly PlannedBlock[]): number {
  return blocks.reduce((sum, block) => sum + blockTokens(block), 0);
}

/** The reply as the model would have left it after `tokens` output tokens: text cut, tool JSON cut (and parsed as far as it goes). */
function truncate(blocks: readonly PlannedBlock[], tokens: number): PlannedBlock[] {
  let chars = Math.max(0, tokens) * 4;
  const result: PlannedBlock[] = [];
  for (const block of blocks) {
    if (chars <= 0) break;
    if (block.type === "text") {
      const text = Array.from(block.text).slice(0, chars).join("");
      result.push({ type: "text", text });
      chars -= text.length;
    } else {
      const json = block.json.slice(0, chars);
      result.push({ ...block, json, input: parsePartial(json) });
      chars -= json.length;
    }
  }
  return result;
}

function parsePartial(json: string): unknown {
  try {
    return json ? partialParse(json) : {};
  } catch {
    return {};
  }
}

function firstStopSequence(blocks: readonly PlannedBlock[], sequences: readonly string[]): { blocks: PlannedBlock[]; sequence: string } | undefined {
  const result: PlannedBlock[] = [];
  for (const block of blocks) {
    if (block.type !== "text") return undefined;
    let best: { at: number; sequence: string } | undefined;
    for (const sequence of sequences) {
      const at = sequence.length > 0 ? block.text.indexOf(sequence) : -1;
      if (at >= 0 && (!best || at < best.at)) best = { at, sequence };
    }
    if (best) {
      if (best.at > 0) result.push({ type: "text", text: block.text.slice(0, best.at) });
      return { blocks: result, sequence: best.sequence };
    }
    result.push(block);
  }
  return undefined;
}

/** The invalid_tool_json fault: streamed tool JSON that no parser accepts, a whole input that breaks the schema, JSON text that is not JSON. */
function breakBlock(block: PlannedBlock, params: MessageCreateParamsBase): PlannedBlock {
  if (block.type === "text") {
    return params.output_config?.format?.type === "json_schema" ? { type: "text", text: breakJson(block.text) } : block;
  }
  const tool = (params.tools ?? []).find((t) => isObject(t) && t.name === block.name);
  const schema = isObject(tool) && isObject(tool.input_schema) ? tool.input_schema : {};
  return { ...block, json: breakJson(block.json), input: violate(block.input, schema) };
}

/** `undefined` is an unknown word outside a string, which the SDK's partial-JSON parser hands to JSON.parse to throw on. */
function breakJson(json: string): string {
  const trimmed = json.trimEnd();
  if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
    const inner = trimmed.slice(0, -1);
    return `${inner}${inner.trim() === "{" ? "" : ","}"note": undefined}`;
  }
  return `${json} undefined`;
}

function violate(input: unknown, schema: Json): unknown {
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : [];
  const properties = isObject(schema.properties) ? schema.properties : {};
  const copy: Json = isObject(input) ? { ...input } : {};
  const missing = required[0];
  if (missing !== undefined) {
    delete copy[missing];
    return copy;
  }
  const first = Object.keys(properties)[0];
  if (first !== undefined) {
    const property = properties[first];
    copy[first] = isObject(property) && property.type === "string" ? 12345 : "not the declared type";
    return copy;
  }
  return "not an object";
}

function toContentBlock(block: PlannedBlock): ContentBlock {
  return block.type === "text"
    ? { type: "text", text: block.text, citations: null }
    : { type: "tool_use", id: block.id, name: block.name, input: block.input, caller: { type: "direct" } };
}
