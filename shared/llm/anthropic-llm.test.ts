/**
 * AnthropicLlm end to end: the real @anthropic-ai/sdk against the fake Anthropic server, every fault the
 * server can produce mapped to the LlmError kind the queue acts on. SDK-level retries are off (maxRetries 0)
 * except where they are the subject, so that no test waits on the SDK's backoff timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions, type ScriptedReply } from "../../test/fake-anthropic/server";
import { AnthropicLlm, retryAfterMsOf, type AnthropicLlmOptions } from "./anthropic-llm";
import { LlmError, type LlmRequest } from "./llm";
import { retrying, type RetryInfo } from "./retry";

let server: FakeAnthropic;
let warnings: string[];

async function start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  await server?.close();
  server = await startFakeAnthropic(options);
  return server;
}

beforeEach(async () => {
  warnings = [];
  await start();
});

afterEach(async () => {
  await server.close();
});

function llm(options: Partial<AnthropicLlmOptions> = {}): AnthropicLlm {
  return new AnthropicLlm({ apiKey: "sk-test", baseURL: server.url, maxRetries: 0, onWarning: (w) => warnings.push(w), ...options });
}

const CHAPTER = "The lamp had gone out at midnight. Mara climbed the hundred steps in the dark, counting them aloud, and at the top she found the glass cracked.";

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: "local-model",
    system: [{ text: "You are a novelist's assistant." }],
    messages: [{ role: "user", content: [{ text: "Write the opening of chapter 3." }] }],
    maxTokens: 1000,
    ...overrides,
  };
}

const say = (reply: ScriptedReply) => () => reply;

async function kindOf(promise: Promise<unknown>): Promise<LlmError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LlmError)) throw new Error(`expected an LlmError, got ${String(error)}`);
  return error;
}

describe("AnthropicLlm: replies", () => {
  it("streams the text through onText and returns it with usage, stop reason and request id", async () => {
    server.setScript(say({ text: CHAPTER }));
    const deltas: [string, number][] = [];
    const response = await llm().complete(request({ onText: (delta, received) => deltas.push([delta, received]) }));

    expect(response.text).toBe(CHAPTER);
    expect(response.stopReason).toBe("end_turn");
    expect(response.model).toBe("local-model");
    expect(response.requestId).toBe(server.requests[0]?.requestId);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
    expect(response.usage.inputTokens).toBeGreaterThan(0);
    // Several deltas, in order, and `received` counts the characters so far.
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map(([d]) => d).join("")).toBe(CHAPTER);
    let total = 0;
    for (const [delta, received] of deltas) {
      total += delta.length;
      expect(received).toBe(total);
    }
    expect(server.requests[0]?.stream).toBe(true);
  });

  it("sends system and message blocks with cache_control breakpoints, and reports cache writes and reads", async () => {
    await start({ minCacheableTokens: 10 });
    server.setScript(say({ text: "ok" }));
    const bible = "Story bible. ".repeat(50);
    const codex = "Codex entry. ".repeat(50);
    const req = request({
      system: [{ text: "You are a novelist's assistant." }, { text: bible, cache: "1h" }, { text: codex, cache: "5m" }],
      messages: [{ role: "user", content: [{ text: "Chapters so far. ".repeat(20), cache: "5m" }, { text: "Write chapter 3." }] }],
    });

    const first = await llm().complete(req);
    const body = server.requests[0]?.body;
    expect(body?.system).toEqual([
      { type: "text", text: "You are a novelist's assistant." },
      { type: "text", text: bible, cache_control: { type: "ephemeral", ttl: "1h" } },
      { type: "text", text: codex, cache_control: { type: "ephemeral", ttl: "5m" } },
    ]);
    expect(body?.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Chapters so far. ".repeat(20), cache_control: { type: "ephemeral", ttl: "5m" } },
          { type: "text", text: "Write chapter 3." },
        ],
      },
    ]);
    expect(first.usage.cacheCreationInputTokens).toBeGreaterThan(0);
    expect(first.usage.cacheReadInputTokens).toBe(0);
    expect(first.usage.cacheCreation?.ephemeral1hInputTokens).toBeGreaterThan(0);
    expect(first.usage.cacheCreation?.ephemeral5mInputTokens).toBeGreaterThan(0);

    const second = await llm().complete(req);
    expect(second.usage.cacheReadInputTokens).toBe(first.usage.cacheCreationInputTokens);
    expect(second.usage.cacheCreationInputTokens).toBe(0);
  });

  it("drops empty blocks, moving their breakpoint back, and keeps at most 4 breakpoints", async () => {
    server.setScript(say({ text: "ok" }));
    await llm().complete(
      request({
        system: [
          { text: "a", cache: "5m" },
          { text: "b", cache: "5m" },
          { text: "c" },
          { text: "  ", cache: "1h" },
          { text: "d", cache: "5m" },
          { text: "e", cache: "5m" },
        ],
      }),
    );
    expect(server.requests[0]?.body.system).toEqual([
      { type: "text", text: "a" },
      { type: "text", text: "b", cache_control: { type: "ephemeral", ttl: "5m" } },
      { type: "text", text: "c", cache_control: { type: "ephemeral", ttl: "1h" } },
      { type: "text", text: "d", cache_control: { type: "ephemeral", ttl: "5m" } },
      { type: "text", text: "e", cache_control: { type: "ephemeral", ttl: "5m" } },
    ]);
    expect(warnings).toEqual([expect.stringContaining("5 prompt-cache breakpoints")]);
  });

  it("omits sampling parameters that are not set", async () => {
    await llm().complete(request());
    const body = server.requests[0]?.body as unknown as Record<string, unknown>;
    expect(body).not.toHaveProperty("temperature");
    expect(body).not.toHaveProperty("top_p");
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("tool_choice");
    expect(body).not.toHaveProperty("output_config");
  });

  it("sends set sampling parameters only where the model accepts them", async () => {
    const sampled = () => {
      const body = server.requests.at(-1)?.body as unknown as Record<string, unknown>;
      return { temperature: body.temperature, top_p: body.top_p };
    };
    await llm().complete(request({ sampling: { temperature: 0.8, topP: 0.95 } }));
    expect(sampled()).toEqual({ temperature: 0.8, top_p: 0.95 });
    await llm().complete(request({ model: "claude-sonnet-4-5", sampling: { temperature: 0.8, topP: 0.95 } }));
    expect(sampled()).toEqual({ temperature: 0.8, top_p: undefined });
    await llm().complete(request({ model: "claude-opus-4-7", sampling: { temperature: 0.8 } }));
    expect(sampled()).toEqual({ temperature: undefined, top_p: undefined });
    expect(warnings).toEqual([expect.stringContaining("top_p was left out"), expect.stringContaining("claude-opus-4-7 does not accept")]);
  });

  it("applies per-model overrides from settings", async () => {
    await llm({ models: { "claude-opus-4-7": { sampling: "any" } } }).complete(request({ model: "claude-opus-4-7", sampling: { topP: 0.5 } }));
    expect((server.requests[0]?.body as unknown as Record<string, unknown>).top_p).toBe(0.5);
  });

  it("caps max_tokens at the model's limit, with a warning", async () => {
    await llm().complete(request({ model: "claude-sonnet-4-5", maxTokens: 100_000 }));
    expect(server.requests[0]?.body.max_tokens).toBe(64_000);
    expect(warnings[0]).toContain("at most 64000");
  });

  it("forces the tool and returns its parsed input", async () => {
    const input = { title: "The Cracked Glass", scenes: ["climb", "discovery"] };
    server.setScript(say({ toolInput: input }));
    const response = await llm().complete(
      request({ tool: { name: "outline", description: "A chapter outline.", inputSchema: { type: "object", properties: { title: { type: "string" } } } } }),
    );
    const body = server.requests[0]?.body;
    expect(body?.tools).toEqual([{ name: "outline", description: "A chapter outline.", input_schema: { type: "object", properties: { title: { type: "string" } } } }]);
    expect(body?.tool_choice).toEqual({ type: "tool", name: "outline" });
    expect(response.toolInput).toEqual(input);
    expect(response.stopReason).toBe("tool_use");
  });

  it("asks current Claude models through output_config.format and parses the JSON text", async () => {
    server.setScript(say({ toolInput: { title: "Storm" } }));
    const schema = { type: "object", properties: { title: { type: "string", minLength: 1 } }, required: ["title"] };
    const response = await llm().complete(request({ model: "claude-sonnet-4-5", tool: { name: "outline", description: "A chapter outline.", inputSchema: schema } }));
    const body = server.requests[0]?.body;
    expect(body?.tools).toBeUndefined();
    expect(body?.output_config?.format?.type).toBe("json_schema");
    // Constraints the API does not take move into descriptions; objects are closed.
    expect(body?.output_config?.format?.schema).toMatchObject({ type: "object", additionalProperties: false, required: ["title"] });
    expect((body?.system as { text: string }[]).at(-1)?.text).toContain("A chapter outline.");
    expect(response.toolInput).toEqual({ title: "Storm" });
    expect(response.text).toBe('{"title":"Storm"}');
  });

  it("returns malformed tool JSON as rawToolInput, not as a failure", async () => {
    server.setScript(say({ toolInput: { title: "Storm" } }));
    server.inject({ kind: "invalid_tool_json" });
    const response = await llm().complete(request({ tool: { name: "outline", description: "d", inputSchema: { type: "object" } } }));
    expect(response.toolInput).toBeUndefined();
    expect(response.rawToolInput).toContain('"title":"Storm"');
    expect(() => JSON.parse(response.rawToolInput ?? "") as unknown).toThrow();
  });

  it("returns a reply cut at max_tokens with that stop reason", async () => {
    server.setScript(say({ text: CHAPTER }));
    server.inject({ kind: "max_tokens", afterTokens: 5 });
    const response = await llm().complete(request());
    expect(response.stopReason).toBe("max_tokens");
    expect(response.text).toBe(CHAPTER.slice(0, 20));
  });

  it("trims trailing whitespace from a final assistant message (the API rejects it)", async () => {
    await llm().complete(request({ messages: [...request().messages, { role: "assistant", content: [{ text: "Chapter 3\n\n" }] }] }));
    expect(server.requests[0]?.body.messages.at(-1)).toEqual({ role: "assistant", content: [{ type: "text", text: "Chapter 3" }] });
  });

  it("fixes a base URL ending in /v1 and says so", async () => {
    const response = await llm({ baseURL: `${server.url}/v1/` }).complete(request());
    expect(response.text.length).toBeGreaterThan(0);
    expect(server.requests[0]?.path).toBe("/v1/messages");
    expect(warnings[0]).toContain('Removed "/v1"');
  });
});

describe("AnthropicLlm: failures", () => {
  it("429 → rate_limited with retryAfterMs from retry-after", async () => {
    server.inject({ kind: "rate_limit", retryAfterSeconds: 17 });
    const error = await kindOf(llm().complete(request()));
    expect(error.kind).toBe("rate_limited");
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 17_000, requestId: server.requests[0]?.requestId });
    expect(error.retryable).toBe(true);
  });

  it("429 naming a spend limit → spend_limit, not retryable", async () => {
    server.inject({ kind: "spend_limit" });
    const error = await kindOf(llm().complete(request()));
    expect(error.kind).toBe("spend_limit");
    expect(error.message).toContain("usage limits");
    expect(error.retryable).toBe(false);
  });

  it("the SDK's own retries leave a spend limit alone: one request, not three", async () => {
    const patient = new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 2 });
    server.inject({ kind: "spend_limit" });
    const before = server.requests.length;
    const error = await patient.complete({ model: "claude-sonnet-4-6", maxTokens: 50, system: [], messages: [{ role: "user", content: [{ text: "Hello" }] }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).kind).toBe("spend_limit");
    expect(server.requests.length - before).toBe(1);
  });

  it("the older 400 form of the spend limit → spend_limit", async () => {
    server.inject({ kind: "spend_limit", status: 400 });
    expect((await kindOf(llm().complete(request()))).kind).toBe("spend_limit");
  });

  it("529 → overloaded", async () => {
    server.inject({ kind: "overloaded" });
    const error = await kindOf(llm().complete(request()));
    expect(error).toMatchObject({ kind: "overloaded", details: { status: 529 } });
  });

  it("500 → server", async () => {
    server.inject({ kind: "server_error" });
    expect(await kindOf(llm().complete(request()))).toMatchObject({ kind: "server", details: { status: 500 } });
  });

  it("a reset connection → stream_cut", async () => {
    server.inject({ kind: "connection_reset" });
    expect((await kindOf(llm().complete(request()))).kind).toBe("stream_cut");
  });

  it("an error event mid-stream → stream_cut, the partial text discarded", async () => {
    server.setScript(say({ text: CHAPTER }));
    server.inject({ kind: "stream_error_after", chunks: 2 });
    const seen: string[] = [];
    const error = await kindOf(llm().complete(request({ onText: (d) => seen.push(d) })));
    expect(error.kind).toBe("stream_cut");
    expect(error.message).toContain("Overloaded");
    expect(seen.join("")).toBe(CHAPTER.slice(0, 40));
  });

  it("a socket destroyed mid-stream → stream_cut", async () => {
    server.setScript(say({ text: CHAPTER }));
    server.inject({ kind: "stream_cut_after", chunks: 3 });
    const seen: string[] = [];
    const error = await kindOf(llm().complete(request({ onText: (d) => seen.push(d) })));
    expect(error.kind).toBe("stream_cut");
    expect(seen.join("")).toBe(CHAPTER.slice(0, 60));
  });

  it("stop_reason refusal → refusal, in words for a novelist", async () => {
    server.setScript(say({ text: "I can't", stopReason: "refusal" }));
    const error = await kindOf(llm().complete(request()));
    expect(error.kind).toBe("refusal");
    expect(error.message).toMatch(/declined/);
    expect(error.details.requestId).toBe(server.requests[0]?.requestId);
  });

  it("stop_reason model_context_window_exceeded → context_window", async () => {
    server.setScript(say({ text: "partial", stopReason: "model_context_window_exceeded" }));
    const error = await kindOf(llm().complete(request()));
    expect(error.kind).toBe("context_window");
    expect(error.message).toMatch(/more than the model can read/);
  });

  it("a 400 prompt-too-long → context_window", async () => {
    await start({ contextWindowTokens: 20 });
    const error = await kindOf(llm().complete(request({ system: [{ text: "x".repeat(400) }] })));
    expect(error).toMatchObject({ kind: "context_window", details: { status: 400 } });
  });

  it("401 → auth", async () => {
    // An empty key goes out as a bare "Bearer", which the server refuses.
    const error = await kindOf(llm({ apiKey: "" }).complete(request()));
    expect(error).toMatchObject({ kind: "auth", details: { status: 401 } });
    expect(error.message).toContain("API key");
  });

  it("400 → invalid_request", async () => {
    const error = await kindOf(llm().complete(request({ maxTokens: 0 })));
    expect(error).toMatchObject({ kind: "invalid_request", details: { status: 400 } });
    expect(error.message).toContain("max_tokens");
  });

  it("abort before sending → aborted, nothing sent", async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await kindOf(llm().complete(request({ signal: controller.signal })))).kind).toBe("aborted");
    expect(server.requests).toHaveLength(0);
  });

  it("abort mid-stream → aborted", async () => {
    server.setScript(say({ text: CHAPTER }));
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await kindOf(
      llm().complete(
        request({
          signal: controller.signal,
          onText: (d) => {
            seen.push(d);
            if (seen.length === 2) controller.abort();
          },
        }),
      ),
    );
    expect(error.kind).toBe("aborted");
    expect(seen).toHaveLength(2);
  });

  it("abort while waiting for a slow first token → aborted", async () => {
    server.inject({ kind: "slow_first_token", ms: 600_000 });
    const controller = new AbortController();
    const pending = llm().complete(request({ signal: controller.signal }));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    expect((await kindOf(pending)).kind).toBe("aborted");
  });

  it("an exception from onText comes back unchanged, not as a network error", async () => {
    server.setScript(say({ text: CHAPTER }));
    const bug = new RangeError("editor gone");
    await expect(
      llm().complete(
        request({
          onText: () => {
            throw bug;
          },
        }),
      ),
    ).rejects.toBe(bug);
  });
});

describe("AnthropicLlm under the retry policy", () => {
  function policy() {
    const waits: number[] = [];
    const retries: RetryInfo[] = [];
    return {
      waits,
      retries,
      policy: {
        maxAttempts: 6,
        baseDelayMs: 1000,
        maxDelayMs: 20_000,
        random: () => 0.5,
        sleep: (ms: number) => {
          waits.push(ms);
          return Promise.resolve();
        },
        onRetry: (info: RetryInfo) => retries.push(info),
      },
    };
  }

  it("rides out a rate limit, an overload, a server error and two cut streams, returning only the whole reply", async () => {
    server.setScript(say({ text: CHAPTER }));
    server.inject(
      { kind: "rate_limit", retryAfterSeconds: 3 },
      { kind: "overloaded" },
      { kind: "stream_cut_after", chunks: 2 },
      { kind: "server_error" },
      { kind: "stream_error_after", chunks: 4 },
    );
    const { policy: p, waits, retries } = policy();
    const response = await retrying(llm(), p).complete(request());
    expect(response.text).toBe(CHAPTER);
    expect(server.requests).toHaveLength(6);
    expect(retries.map((r) => r.error.kind)).toEqual(["rate_limited", "overloaded", "stream_cut", "server", "stream_cut"]);
    // The server's 3 s exactly, then half of 2 s, 4 s, 8 s, 16 s (random() = 0.5).
    expect(waits).toEqual([3000, 1000, 2000, 4000, 8000]);
  });

  it("stops at once on a spend limit: one request, no wait", async () => {
    server.inject({ kind: "spend_limit" });
    const { policy: p, waits } = policy();
    await expect(retrying(llm(), p).complete(request())).rejects.toMatchObject({ kind: "spend_limit" });
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it.each([
    ["refusal", { stopReason: "refusal" as const, text: "no" }],
    ["context_window", { stopReason: "model_context_window_exceeded" as const, text: "x" }],
  ])("does not retry %s", async (kind, reply) => {
    server.setScript(say(reply));
    const { policy: p, waits } = policy();
    await expect(retrying(llm(), p).complete(request())).rejects.toMatchObject({ kind });
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it("leaves the SDK's own quick retries on when asked (maxRetries), before the job-level policy sees anything", async () => {
    // retry-after of 1 ms, so the SDK's own wait is no wait.
    server.inject({ kind: "rate_limit", retryAfterSeconds: 0.001 }, { kind: "rate_limit", retryAfterSeconds: 0.001 });
    const response = await llm({ maxRetries: 2 }).complete(request());
    expect(response.stopReason).toBe("end_turn");
    expect(server.requests).toHaveLength(3);
  });
});

describe("retryAfterMsOf", () => {
  it("prefers retry-after-ms, then retry-after seconds or date", () => {
    expect(retryAfterMsOf(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }))).toBe(1500);
    expect(retryAfterMsOf(new Headers({ "retry-after": "2.5" }))).toBe(2500);
    expect(retryAfterMsOf(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMsOf(new Headers({ "retry-after": new Date(Date.now() + 3_600_000).toUTCString() }))).toBeGreaterThan(3_500_000);
    expect(retryAfterMsOf(new Headers())).toBeUndefined();
    expect(retryAfterMsOf(undefined)).toBeUndefined();
  });
});
