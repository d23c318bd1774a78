/**
 * The fake Messages API, driven by the real @anthropic-ai/sdk: if the SDK parses it, so will our adapter.
 * Timing is asserted only as "at least the injected delay"; everything else uses the injected clock or the
 * delay the server records for each request.
 */
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import type { MessageCreateParamsNonStreaming, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages/messages";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import * as z from "zod";
import { afterEach, describe, expect, it } from "vitest";
import { briefSchema, continuityReportSchema } from "../../shared/agents/schemas";
import { countPromptTokens, startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from "./server";

const MODEL = "claude-sonnet-4-6";

let servers: FakeAnthropic[] = [];

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function setup(options?: FakeAnthropicOptions, clientOptions: { maxRetries?: number } = {}): Promise<{ server: FakeAnthropic; client: Anthropic }> {
  const server = await startFakeAnthropic(options);
  servers.push(server);
  const client = new Anthropic({ apiKey: "test", baseURL: server.url, maxRetries: clientOptions.maxRetries ?? 0 });
  return { server, client };
}

/** A clock that moves only when told to. */
function manualClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

function textOf(message: Anthropic.Message): string {
  return message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
}

function toolInputOf(message: Anthropic.Message): unknown {
  const block = message.content.find((b) => b.type === "tool_use");
  return block?.type === "tool_use" ? block.input : undefined;
}

function ask(text: string, maxTokens = 200): MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: maxTokens, messages: [{ role: "user", content: text }] };
}

/** `chars` characters of filler, i.e. chars / 4 fake tokens. */
function filler(chars: number, seed = "x"): string {
  return seed.repeat(chars).slice(0, chars);
}

const briefTool: Anthropic.Tool = {
  name: "record_brief",
  description: "Record the chapter brief.",
  input_schema: z.toJSONSchema(briefSchema) as Anthropic.Tool.InputSchema,
};

const API_HEADERS = { "x-api-key": "test", "anthropic-version": "2023-06-01", "content-type": "application/json" };

/** A plain HTTP request, for what the SDK hides: raw SSE framing, a missing key, unknown routes. */
function rawRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}

async function expectRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

describe("messages: non-streaming", () => {
  it("answers with deterministic prose that names who the prompt names, and exact usage", async () => {
    const { client } = await setup();
    const params = ask("Write the scene where [[Mara Quill|Mara]] finds the letter that Tobias Wren hid.", 300);
    const message = await client.messages.create(params);

    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.model).toBe(MODEL);
    expect(message.id).toMatch(/^msg_01/);
    expect(message.stop_reason).toBe("end_turn");
    const text = textOf(message);
    expect(text).toContain("Mara Quill");
    expect(text).toContain("Tobias Wren");
    // Sized to the budget: at most 90% of max_tokens at 4 characters a token, and not much less.
    expect(text.length).toBeLessThanOrEqual(300 * 0.9 * 4);
    expect(text.length).toBeGreaterThan(300 * 0.9 * 4 * 0.8);
    expect(message.usage).toMatchObject({
      input_tokens: countPromptTokens(params as unknown as Record<string, unknown>),
      output_tokens: Math.ceil(text.length / 4),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: "standard",
    });

    // Same prompt, same reply.
    expect(textOf(await client.messages.create(params))).toBe(text);
  });

  it("records every request with its headers, and the request-id the SDK saw", async () => {
    const { server, client } = await setup();
    const { request_id } = await client.messages.create(ask("Hello")).withResponse();
    expect(server.requests).toHaveLength(1);
    const recorded = server.requests[0]!;
    expect(recorded.path).toBe("/v1/messages");
    expect(recorded.body.messages).toEqual([{ role: "user", content: "Hello" }]);
    // SDK 1.x sends the API key as a bearer token, not x-api-key.
    expect(recorded.headers.authorization).toBe("Bearer test");
    expect(recorded.headers["anthropic-version"]).toBeTruthy();
    expect(recorded.requestId).toBe(request_id);
  });

  it("caps the default reply, and a scripted reply longer than max_tokens stops with max_tokens", async () => {
    const { server, client } = await setup();
    const long = await client.messages.create(ask("Go on.", 20_000));
    expect(long.usage.output_tokens).toBeLessThanOrEqual(4096);
    expect(long.stop_reason).toBe("end_turn");

    server.setScript(() => ({ text: filler(400, "abcd ") }));
    const cut = await client.messages.create(ask("Go on.", 10));
    expect(cut.stop_reason).toBe("max_tokens");
    expect(cut.usage.output_tokens).toBe(10);
    expect(textOf(cut)).toBe(filler(40, "abcd "));
  });

  it("ends at a stop sequence, without it", async () => {
    const { server, client } = await setup();
    server.setScript(() => ({ text: "The end.\n\nTHE END\nAfterword" }));
    const message = await client.messages.create({ ...ask("Finish."), stop_sequences: ["THE END"] });
    expect(textOf(message)).toBe("The end.\n\n");
    expect(message.stop_reason).toBe("stop_sequence");
    expect(message.stop_sequence).toBe("THE END");
  });

  it("passes scripted stop reasons through: refusal (with stop_details) and model_context_window_exceeded", async () => {
    const { server, client } = await setup();
    server.setScript(() => ({ text: "", stopReason: "refusal" }));
    const refusal = await client.messages.create(ask("Something refused."));
    expect(refusal.stop_reason).toBe("refusal");
    expect(refusal.content).toEqual([]);
    expect(refusal.stop_details).toMatchObject({ type: "refusal" });

    server.setScript(() => ({ text: "Partial", stopReason: "model_context_window_exceeded" }));
    const full = await client.messages.create(ask("More."));
    expect(full.stop_reason).toBe("model_context_window_exceeded");
    expect(textOf(full)).toBe("Partial");
  });

  it("gives the script the recorded request, and an async script works", async () => {
    const { server, client } = await setup();
    server.setScript(async (request) => {
      await Promise.resolve();
      return { text: `You said ${JSON.stringify(request.body.messages[0]?.content)} with ${request.body.max_tokens}` };
    });
    expect(textOf(await client.messages.create(ask("hi", 77)))).toBe('You said "hi" with 77');
  });

  it("answers a script that throws with a 500 naming the error", async () => {
    const { server, client } = await setup();
    server.setScript(() => {
      throw new Error("script broke");
    });
    const error = await expectRejection(client.messages.create(ask("hi")));
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(String(error)).toContain("script broke");
  });
});

describe("messages: streaming", () => {
  it("streams text deltas that add up to the final message, with usage in message_start and message_delta", async () => {
    const { client } = await setup();
    const stream = client.messages.stream(ask("Tell me about Elspeth and the Harbourmaster.", 200));
    const deltas: string[] = [];
    const events: RawMessageStreamEvent["type"][] = [];
    stream.on("text", (delta) => deltas.push(delta));
    stream.on("streamEvent", (event) => events.push(event.type));
    const final = await stream.finalMessage();

    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join("")).toBe(textOf(final));
    expect(textOf(final)).toContain("Elspeth");
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(Math.ceil(textOf(final).length / 4));
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(events[0]).toBe("message_start");
    expect(events[1]).toBe("content_block_start");
    expect(events.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(stream.request_id).toMatch(/^req_011C/);
  });

  it("sends the API's raw SSE sequence, ping included", async () => {
    const { server } = await setup();
    const response = await rawRequest(`${server.url}/v1/messages`, { method: "POST", headers: API_HEADERS, body: { ...ask("Hi", 10), stream: true } });
    expect(response.headers["content-type"]).toMatch(/^text\/event-stream/);
    const body = response.text;
    const names = [...body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    const unique = names.filter((name, i) => name !== names[i - 1]);
    expect(unique).toEqual(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    // Each event's data repeats its name as `type`, as the API does.
    for (const match of body.matchAll(/^event: (\w+)\ndata: (.*)$/gm)) {
      expect((JSON.parse(match[2]!) as { type: string }).type).toBe(match[1]);
    }
  });

  it("is the same message streamed or not", async () => {
    const { client } = await setup();
    const params = ask("Write about [[Old Harbour]].", 100);
    const whole = await client.messages.create(params);
    const streamed = await client.messages.stream(params).finalMessage();
    expect(textOf(streamed)).toBe(textOf(whole));
    expect(streamed.usage.output_tokens).toBe(whole.usage.output_tokens);
    expect(streamed.usage.input_tokens).toBe(whole.usage.input_tokens);
  });
});

describe("structured replies", () => {
  it("forced tool use returns the script's input, streamed or not", async () => {
    const { server, client } = await setup();
    const input = { goal: "Mara learns the truth", pov: "Mara", setting: "Lighthouse", charactersPresent: ["Mara"], beats: [{ summary: "She reads", characters: ["Mara"], factsChanged: [] }], endingHook: "A knock", targetWords: 2500 };
    server.setScript(() => ({ toolInput: input }));
    const params: MessageCreateParamsNonStreaming = { ...ask("Plan chapter 3."), tools: [briefTool], tool_choice: { type: "tool", name: "record_brief" } };

    const message = await client.messages.create(params);
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: "tool_use", name: "record_brief", id: expect.stringMatching(/^toolu_01/) as unknown });
    expect(toolInputOf(message)).toEqual(input);

    const jsonDeltas: string[] = [];
    const stream = client.messages.stream(params).on("inputJson", (partial) => jsonDeltas.push(partial));
    const streamed = await stream.finalMessage();
    expect(toolInputOf(streamed)).toEqual(input);
    expect(jsonDeltas.length).toBeGreaterThan(2);
    expect(jsonDeltas.join("")).toBe(JSON.stringify(input));
  });

  it("by default fills a forced tool call from its schema, valid and naming the prompt's characters", async () => {
    const { client } = await setup();
    const message = await client.messages.create({
      ...ask("Plan the chapter where [[Mara Quill]] meets Tobias."),
      tools: [briefTool],
      tool_choice: { type: "tool", name: "record_brief" },
    });
    const brief = briefSchema.parse(toolInputOf(message));
    expect(brief.beats).toHaveLength(1);
    expect(brief.charactersPresent).toHaveLength(1);
    expect(JSON.stringify(brief)).toContain("Mara Quill");
  });

  it("tool_choice any calls the first tool; auto calls one only when the script asks", async () => {
    const { server, client } = await setup();
    const tools = [briefTool, { name: "other", description: "x", input_schema: { type: "object" as const, properties: {} } }];
    const any = await client.messages.create({ ...ask("Plan."), tools, tool_choice: { type: "any" } });
    expect(any.content[0]).toMatchObject({ type: "tool_use", name: "record_brief" });

    const auto = await client.messages.create({ ...ask("Chat."), tools });
    expect(auto.content.map((b) => b.type)).toEqual(["text"]);
    expect(auto.stop_reason).toBe("end_turn");

    server.setScript(() => ({ text: "Let me record that.", toolName: "other", toolInput: { ok: true } }));
    const both = await client.messages.create({ ...ask("Chat."), tools });
    expect(both.content.map((b) => b.type)).toEqual(["text", "tool_use"]);
    expect(both.content[1]).toMatchObject({ name: "other", input: { ok: true } });
    expect(both.stop_reason).toBe("tool_use");
  });

  it("output_config json_schema replies with JSON text matching the schema, which the SDK's parse() accepts", async () => {
    const { server, client } = await setup();
    const message = await client.messages.create({
      ...ask("Check chapter 2 for [[Mara]]."),
      output_config: { format: { type: "json_schema", schema: z.toJSONSchema(continuityReportSchema) } },
    });
    const report = continuityReportSchema.parse(JSON.parse(textOf(message)));
    expect(report.findings).toHaveLength(1);

    const shape = z.object({ title: z.string(), chapters: z.number().int() });
    server.setScript(() => ({ toolInput: { title: "The Keeper", chapters: 12 } }));
    const parsed = await client.messages.parse({ ...ask("Title?"), output_config: { format: zodOutputFormat(shape) } });
    expect(parsed.parsed_output).toEqual({ title: "The Keeper", chapters: 12 });
  });
});

describe("count_tokens", () => {
  it("counts system, messages and tools the way usage does", async () => {
    const { client } = await setup();
    const params: MessageCreateParamsNonStreaming = {
      ...ask(filler(400)),
      system: [{ type: "text", text: filler(800) }],
      tools: [briefTool],
    };
    const { input_tokens } = await client.messages.countTokens({ model: MODEL, messages: params.messages, system: params.system!, tools: params.tools! });
    expect(input_tokens).toBe(countPromptTokens(params as unknown as Record<string, unknown>));
    expect(input_tokens).toBeGreaterThan(300);
    const message = await client.messages.create(params);
    expect(message.usage.input_tokens).toBe(input_tokens);
  });
});

describe("message batches", () => {
  it("create → in_progress → ended → JSONL results, each request answered as /v1/messages would", async () => {
    const { server, client } = await setup();
    const batch = await client.messages.batches.create({
      requests: [
        { custom_id: "ch-1", params: ask("Summarise chapter 1, where Mara arrives.") },
        { custom_id: "ch-2", params: { ...ask("Plan."), tools: [briefTool], tool_choice: { type: "tool", name: "record_brief" } } },
        { custom_id: "bad", params: { model: MODEL, messages: [{ role: "user", content: "no max_tokens" }] } as unknown as MessageCreateParamsNonStreaming },
      ],
    });
    expect(batch.id).toMatch(/^msgbatch_01/);
    expect(batch.processing_status).toBe("in_progress");
    expect(batch.request_counts.processing).toBe(3);
    expect(batch.results_url).toBeNull();

    let current = batch;
    for (let i = 0; i < 500 && current.processing_status !== "ended"; i++) {
      await sleep(2);
      current = await client.messages.batches.retrieve(batch.id);
    }
    expect(current.processing_status).toBe("ended");
    expect(current.request_counts).toEqual({ processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
    expect(current.results_url).toBe(`${server.url}/v1/messages/batches/${batch.id}/results`);
    expect(current.ended_at).toBeTruthy();

    const results: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
    for await (const line of await client.messages.batches.results(batch.id)) results.push(line);
    expect(results.map((r) => r.custom_id)).toEqual(["ch-1", "ch-2", "bad"]);
    const [first, second, bad] = results.map((r) => r.result);
    expect(first?.type === "succeeded" && textOf(first.message)).toContain("Mara");
    expect(first?.type === "succeeded" && first.message.usage.service_tier).toBe("batch");
    expect(second?.type === "succeeded" && briefSchema.safeParse(toolInputOf(second.message)).success).toBe(true);
    expect(bad).toMatchObject({ type: "errored", error: { type: "error", error: { type: "invalid_request_error" } } });

    // Batch items reach the script but are not /v1/messages requests.
    expect(server.requests).toHaveLength(0);
    const listed = await client.messages.batches.list();
    expect(listed.data.map((b) => b.id)).toEqual([batch.id]);
  });

  it("stays in_progress while a request is being answered; results before the end are refused; unknown batches are 404s", async () => {
    const { server, client } = await setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.setScript(async () => {
      await gate;
      return { text: "done" };
    });
    const batch = await client.messages.batches.create({ requests: [{ custom_id: "a", params: ask("Hi") }] });
    await sleep(5);
    expect((await client.messages.batches.retrieve(batch.id)).processing_status).toBe("in_progress");
    await expect(client.messages.batches.results(batch.id)).rejects.toThrow(/results_url/);
    const raw = await rawRequest(`${server.url}/v1/messages/batches/${batch.id}/results`, { headers: API_HEADERS });
    expect(raw.status).toBe(404);
    release();
    let current = batch;
    for (let i = 0; i < 500 && current.processing_status !== "ended"; i++) {
      await sleep(2);
      current = await client.messages.batches.retrieve(batch.id);
    }
    expect(current.request_counts.succeeded).toBe(1);
    await expect(client.messages.batches.retrieve("msgbatch_nope")).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("cancel marks the requests not yet answered as canceled", async () => {
    const { server, client } = await setup();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.setScript(async () => {
      await gate;
      return { text: "done" };
    });
    const batch = await client.messages.batches.create({ requests: ["a", "b", "c"].map((id) => ({ custom_id: id, params: ask(id) })) });
    await sleep(5);
    const canceling = await client.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe("canceling");
    expect(canceling.cancel_initiated_at).toBeTruthy();
    release();
    let current = canceling;
    for (let i = 0; i < 500 && current.processing_status !== "ended"; i++) {
      await sleep(2);
      current = await client.messages.batches.retrieve(batch.id);
    }
    expect(current.request_counts).toMatchObject({ succeeded: 1, canceled: 2, processing: 0 });
  });
});

describe("prompt caching", () => {
  const SYSTEM = filler(8_000, "s"); // 2000 tokens: above the 1024 minimum
  const cachedParams = (question: string): MessageCreateParamsNonStreaming => ({
    ...ask(question),
    system: [{ type: "text", text: SYSTEM, cache_control: { type: "ephemeral" } }],
  });

  it("writes a prefix on first sight and reads it after, always summing to the prompt's tokens", async () => {
    const { server, client } = await setup();
    const first = await client.messages.create(cachedParams("Question one?"));
    expect(first.usage.cache_creation_input_tokens).toBe(2000);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 });
    expect(first.usage.input_tokens).toBe(Math.ceil("Question one?".length / 4));

    const second = await client.messages.create(cachedParams("A different question?"));
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(2000);
    for (const [message, question] of [[first, "Question one?"], [second, "A different question?"]] as const) {
      const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens } = message.usage;
      expect(input_tokens + (cache_creation_input_tokens ?? 0) + (cache_read_input_tokens ?? 0)).toBe(countPromptTokens(cachedParams(question) as unknown as Record<string, unknown>));
    }
    expect(server.usageTotals()).toEqual({
      inputTokens: first.usage.input_tokens + second.usage.input_tokens,
      outputTokens: first.usage.output_tokens + second.usage.output_tokens,
      cacheCreationInputTokens: 2000,
      cacheReadInputTokens: 2000,
    });

    // The streamed message_start carries the same cache fields.
    const streamed = await client.messages.stream(cachedParams("Third?")).finalMessage();
    expect(streamed.usage.cache_read_input_tokens).toBe(2000);
  });

  it("does not cache (or report) a prefix below the minimum", async () => {
    const { client } = await setup({ minCacheableTokens: 4096 });
    for (let i = 0; i < 2; i++) {
      const message = await client.messages.create(cachedParams("Q?"));
      expect(message.usage.cache_creation_input_tokens).toBe(0);
      expect(message.usage.cache_read_input_tokens).toBe(0);
      expect(message.usage.input_tokens).toBe(2000 + 1);
    }
  });

  it("expires an entry after 5 minutes unless a read refreshed it", async () => {
    const clock = manualClock();
    const { client } = await setup({ now: clock.now });
    await client.messages.create(cachedParams("Q?"));
    clock.advance(4 * 60_000);
    expect((await client.messages.create(cachedParams("Q?"))).usage.cache_read_input_tokens).toBe(2000);
    clock.advance(4 * 60_000); // 8 minutes after the write, 4 after the refreshing read
    expect((await client.messages.create(cachedParams("Q?"))).usage.cache_read_input_tokens).toBe(2000);
    clock.advance(5 * 60_000 + 1);
    const expired = await client.messages.create(cachedParams("Q?"));
    expect(expired.usage.cache_read_input_tokens).toBe(0);
    expect(expired.usage.cache_creation_input_tokens).toBe(2000);
  });

  it("keeps a 1h entry for an hour and bills its write as 1h", async () => {
    const clock = manualClock();
    const { client } = await setup({ now: clock.now });
    const params: MessageCreateParamsNonStreaming = { ...ask("Q?"), system: [{ type: "text", text: SYSTEM, cache_control: { type: "ephemeral", ttl: "1h" } }] };
    const first = await client.messages.create(params);
    expect(first.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 2000 });
    clock.advance(59 * 60_000);
    expect((await client.messages.create(params)).usage.cache_read_input_tokens).toBe(2000);
    clock.advance(60 * 60_000 + 1);
    expect((await client.messages.create(params)).usage.cache_creation_input_tokens).toBe(2000);
  });

  it("reads the longest cached prefix in a growing conversation and writes only the new part", async () => {
    const { client } = await setup();
    const system: Anthropic.TextBlockParam[] = [{ type: "text", text: SYSTEM, cache_control: { type: "ephemeral", ttl: "1h" } }];
    const turn1: Anthropic.MessageParam[] = [{ role: "user", content: [{ type: "text", text: filler(4_000, "a"), cache_control: { type: "ephemeral" } }] }];
    const one = await client.messages.create({ model: MODEL, max_tokens: 50, system, messages: turn1 });
    expect(one.usage).toMatchObject({ cache_read_input_tokens: 0, cache_creation_input_tokens: 3000, input_tokens: 0 });
    expect(one.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: 2000, ephemeral_5m_input_tokens: 1000 });

    // The breakpoint moves to the new last message; the old one is found by the lookback.
    const turn2: Anthropic.MessageParam[] = [
      { role: "user", content: [{ type: "text", text: filler(4_000, "a") }] },
      { role: "assistant", content: "ok" },
      { role: "user", content: [{ type: "text", text: filler(2_000, "b"), cache_control: { type: "ephemeral" } }] },
    ];
    const two = await client.messages.create({ model: MODEL, max_tokens: 50, system, messages: turn2 });
    expect(two.usage).toMatchObject({ cache_read_input_tokens: 3000, cache_creation_input_tokens: 1 + 500, input_tokens: 0 });
  });

  it("misses on another model, and on a tool_choice change for the message part only", async () => {
    const { client } = await setup();
    const params: MessageCreateParamsNonStreaming = {
      model: MODEL,
      max_tokens: 50,
      tools: [briefTool],
      system: [{ type: "text", text: SYSTEM, cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: filler(4_000, "m"), cache_control: { type: "ephemeral" } }] }],
    };
    const first = await client.messages.create(params);
    const systemPrefix = first.usage.cache_creation_input_tokens! - 1000;
    expect((await client.messages.create({ ...params, model: "claude-opus-4-8" })).usage.cache_read_input_tokens).toBe(0);
    const forced = await client.messages.create({ ...params, tool_choice: { type: "tool", name: "record_brief" } });
    expect(forced.usage.cache_read_input_tokens).toBe(systemPrefix);
    expect(forced.usage.cache_creation_input_tokens).toBe(1000);
  });

  it("refuses more than 4 breakpoints, as the API does", async () => {
    const { client } = await setup();
    const block = { type: "text" as const, text: "x", cache_control: { type: "ephemeral" as const } };
    const error = await expectRejection(client.messages.create({ ...ask("Q"), system: [block, block, block, block, block] }));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(String(error)).toContain("A maximum of 4 blocks with cache_control");
  });
});

describe("faults", () => {
  it("rate_limit: a RateLimitError with retry-after; the next request is fine", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "rate_limit", retryAfterSeconds: 7 });
    const error = await expectRejection(client.messages.create(ask("Hi")));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const rateLimit = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers.get("retry-after")).toBe("7");
    expect(rateLimit.type).toBe("rate_limit_error");
    expect(rateLimit.requestID).toMatch(/^req_011C/);
    await expect(client.messages.create(ask("Hi"))).resolves.toMatchObject({ type: "message" });
  });

  it("rate_limit: the SDK's own retry honours retry-after and succeeds", async () => {
    const { server, client } = await setup(undefined, { maxRetries: 1 });
    server.inject({ kind: "rate_limit", retryAfterSeconds: 0.05 });
    const started = performance.now();
    await expect(client.messages.create(ask("Hi"))).resolves.toMatchObject({ type: "message" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(server.requests).toHaveLength(2);
  });

  it("spend_limit: a 429 the SDK types as EnforcedSpendLimitReachedError, naming the usage limit", async () => {
    const clock = manualClock(Date.UTC(2026, 2, 23));
    const { server, client } = await setup({ now: clock.now });
    server.inject({ kind: "spend_limit" }, { kind: "spend_limit", status: 400 });
    const error = await expectRejection(client.messages.create(ask("Hi")));
    expect(error).toBeInstanceOf(Anthropic.EnforcedSpendLimitReachedError);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as APIError).errorCode).toBe("enforced_spend_limit_reached");
    expect((error as APIError).apiMessage).toBe("You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.");
    const old = await expectRejection(client.messages.create(ask("Hi")));
    expect(old).toBeInstanceOf(Anthropic.BadRequestError);
    expect((old as APIError).apiMessage).toContain("API usage limits");
  });

  it("overloaded: 529 overloaded_error; server_error: 500 InternalServerError", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "overloaded" }, { kind: "server_error" });
    const overloaded = await expectRejection(client.messages.create(ask("Hi")));
    expect(overloaded).toBeInstanceOf(Anthropic.OverloadedError);
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect((overloaded as APIError).status).toBe(529);
    expect((overloaded as APIError).type).toBe("overloaded_error");
    const serverError = await expectRejection(client.messages.create(ask("Hi")));
    expect(serverError).toBeInstanceOf(Anthropic.InternalServerError);
    expect((serverError as APIError).status).toBe(500);
    expect((serverError as APIError).type).toBe("api_error");
  });

  it("connection_reset: an APIConnectionError, streamed or not", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "connection_reset" }, { kind: "connection_reset" });
    await expect(client.messages.create(ask("Hi"))).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
    await expect(client.messages.stream(ask("Hi")).finalMessage()).rejects.toBeInstanceOf(Anthropic.APIConnectionError);
    await expect(client.messages.create(ask("Hi"))).resolves.toMatchObject({ type: "message" });
  });

  it("stream_error_after: K deltas, then an overloaded_error event that rejects the stream", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "stream_error_after", chunks: 2 });
    const deltas: string[] = [];
    const stream = client.messages.stream(ask("A long answer please.", 500)).on("text", (d) => deltas.push(d));
    const error = await expectRejection(stream.finalMessage());
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).type).toBe("overloaded_error");
    expect((error as APIError).status).toBeUndefined();
    expect(deltas).toHaveLength(2);
    expect(server.usageTotals().outputTokens).toBe(0);
  });

  it("stream_error_after on a non-streaming request is the equivalent 529", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "stream_error_after", chunks: 0 });
    await expect(client.messages.create(ask("Hi"))).rejects.toBeInstanceOf(Anthropic.OverloadedError);
  });

  it("stream_cut_after: K deltas, then the connection breaks and the stream rejects", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "stream_cut_after", chunks: 3 }, { kind: "stream_cut_after", chunks: 0 });
    const deltas: string[] = [];
    const stream = client.messages.stream(ask("A long answer please.", 500)).on("text", (d) => deltas.push(d));
    const error = await expectRejection(stream.finalMessage());
    expect(error).toBeInstanceOf(Anthropic.AnthropicError);
    expect(deltas).toHaveLength(3);
    // Non-streaming: the body breaks off half-way.
    await expect(client.messages.create(ask("Hi"))).rejects.toThrow();
  });

  it("invalid_tool_json: streamed input the SDK cannot parse; whole input that breaks the schema; JSON text that is not JSON", async () => {
    const { server, client } = await setup();
    const params: MessageCreateParamsNonStreaming = { ...ask("Plan."), tools: [briefTool], tool_choice: { type: "tool", name: "record_brief" } };

    server.inject({ kind: "invalid_tool_json" });
    await expect(client.messages.stream(params).finalMessage()).rejects.toThrow(/JSON/);

    server.inject({ kind: "invalid_tool_json" });
    const whole = await client.messages.create(params);
    expect(briefSchema.safeParse(toolInputOf(whole)).success).toBe(false);

    server.inject({ kind: "invalid_tool_json" });
    const text = await client.messages.create({ ...ask("Report."), output_config: { format: { type: "json_schema", schema: z.toJSONSchema(continuityReportSchema) } } });
    expect(() => JSON.parse(textOf(text)) as unknown).toThrow();

    // Used up: the next call is valid again.
    expect(briefSchema.safeParse(toolInputOf(await client.messages.stream(params).finalMessage())).success).toBe(true);
  });

  it("max_tokens: stops after N output tokens with stop_reason max_tokens, streamed or not; a cut tool call keeps what parses", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "max_tokens", afterTokens: 5 }, { kind: "max_tokens", afterTokens: 5 }, { kind: "max_tokens", afterTokens: 10 });
    const whole = await client.messages.create(ask("Long answer.", 500));
    expect(whole.stop_reason).toBe("max_tokens");
    expect(whole.usage.output_tokens).toBe(5);
    expect(textOf(whole)).toHaveLength(20);
    const streamed = await client.messages.stream(ask("Long answer.", 500)).finalMessage();
    expect(streamed.stop_reason).toBe("max_tokens");
    expect(textOf(streamed)).toBe(textOf(whole));

    const tool = await client.messages.create({ ...ask("Plan."), tools: [briefTool], tool_choice: { type: "tool", name: "record_brief" } });
    expect(tool.stop_reason).toBe("max_tokens");
    expect(tool.usage.output_tokens).toBe(10);
    expect(typeof toolInputOf(tool)).toBe("object");
    expect(briefSchema.safeParse(toolInputOf(tool)).success).toBe(false);
  });

  it("slow_first_token: delays the first delta of that request only", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "slow_first_token", ms: 150 });
    const started = performance.now();
    let firstTextAt: number | undefined;
    const stream = client.messages.stream(ask("Hi", 50)).on("text", () => {
      firstTextAt ??= performance.now();
    });
    await stream.finalMessage();
    expect((firstTextAt ?? 0) - started).toBeGreaterThanOrEqual(140);
    await client.messages.stream(ask("Hi", 50)).finalMessage();
    expect(server.requests.map((r) => r.firstTokenDelayMs)).toEqual([150, 0]);
  });

  it("faults apply in order, one per /v1/messages request", async () => {
    const { server, client } = await setup();
    server.inject({ kind: "overloaded" }, { kind: "server_error" });
    await client.messages.countTokens({ model: MODEL, messages: [{ role: "user", content: "not a messages request" }] });
    await expect(client.messages.create(ask("1"))).rejects.toBeInstanceOf(Anthropic.OverloadedError);
    const second = await expectRejection(client.messages.create(ask("2")));
    expect((second as APIError).status).toBe(500);
    await expect(client.messages.create(ask("3"))).resolves.toMatchObject({ type: "message" });
  });
});

describe("latency model", () => {
  it("paces streamed output at tokensPerSecond after firstTokenMs", async () => {
    const { server, client } = await setup({ latency: { firstTokenMs: 30, tokensPerSecond: 2_000 } });
    server.setScript(() => ({ text: filler(800, "word ") })); // 200 tokens: 100 ms at 2000/s
    const started = performance.now();
    await client.messages.stream(ask("Hi", 1000)).finalMessage();
    expect(performance.now() - started).toBeGreaterThanOrEqual(30 + 100 - 10);
    expect(server.requests[0]?.firstTokenDelayMs).toBe(30);
  });
});

describe("HTTP surface", () => {
  it("sends request-id and rate-limit headers on every response, counting down within the minute", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12, 0, 30));
    const { client } = await setup({ now: clock.now, rateLimits: { requestsPerMinute: 50, inputTokensPerMinute: 40_000, outputTokensPerMinute: 8_000 } });
    const first = await client.messages.create(ask("Hi", 100)).withResponse();
    const second = await client.messages.create(ask("Hi", 100)).withResponse();
    for (const { response } of [first, second]) {
      expect(response.headers.get("request-id")).toMatch(/^req_011C/);
      expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBe("50");
      expect(response.headers.get("anthropic-ratelimit-input-tokens-limit")).toBe("40000");
      expect(response.headers.get("anthropic-ratelimit-output-tokens-limit")).toBe("8000");
      expect(response.headers.get("anthropic-ratelimit-requests-reset")).toBe("2026-01-15T12:01:00Z");
      expect(response.headers.get("anthropic-ratelimit-input-tokens-reset")).toBe("2026-01-15T12:01:00Z");
      expect(response.headers.get("anthropic-ratelimit-output-tokens-remaining")).toMatch(/^\d+$/);
    }
    expect(first.request_id).not.toBe(second.request_id);
    expect(first.response.headers.get("anthropic-ratelimit-requests-remaining")).toBe("49");
    expect(second.response.headers.get("anthropic-ratelimit-requests-remaining")).toBe("48");
    expect(Number(second.response.headers.get("anthropic-ratelimit-output-tokens-remaining"))).toBe(8_000 - first.data.usage.output_tokens);
    clock.advance(60_000);
    const next = await client.messages.create(ask("Hi")).withResponse();
    expect(next.response.headers.get("anthropic-ratelimit-requests-remaining")).toBe("49");
  });

  it("enforces the limits when asked: 429 with retry-after until the window resets", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 12, 0, 45));
    const { client } = await setup({ now: clock.now, rateLimits: { requestsPerMinute: 2, inputTokensPerMinute: 1_000_000, outputTokensPerMinute: 1_000_000, enforce: true } });
    await client.messages.create(ask("1"));
    await client.messages.create(ask("2"));
    const error = await expectRejection(client.messages.create(ask("3")));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as APIError).headers?.get("retry-after")).toBe("15");
    clock.advance(15_000);
    await expect(client.messages.create(ask("4"))).resolves.toMatchObject({ type: "message" });
  });

  it("answers 401 without x-api-key, and 404 in the API's error shape, both with request-id", async () => {
    const { server, client } = await setup();
    const noKey = await rawRequest(`${server.url}/v1/messages`, { method: "POST", headers: { "anthropic-version": "2023-06-01" }, body: ask("Hi") });
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text)).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "x-api-key header is required" },
      request_id: noKey.headers["request-id"],
    });
    expect(noKey.headers["anthropic-ratelimit-requests-limit"]).toBeTruthy();
    // Either form of the key is accepted: x-api-key (curl, older SDKs) or a bearer token (SDK 1.x).
    expect((await rawRequest(`${server.url}/v1/messages`, { method: "POST", headers: API_HEADERS, body: ask("Hi") })).status).toBe(200);

    const missing = await rawRequest(`${server.url}/v1/nope`, { headers: API_HEADERS });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ type: "error", error: { type: "not_found_error", message: expect.any(String) as unknown } });
    expect(missing.headers["request-id"]).toMatch(/^req_011C/);

    await expect(client.get("/v1/nope")).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("refuses malformed requests with invalid_request_error 400s", async () => {
    const { client } = await setup();
    const noMax = await expectRejection(client.messages.create({ model: MODEL, messages: [{ role: "user", content: "Hi" }] } as unknown as MessageCreateParamsNonStreaming));
    expect(noMax).toBeInstanceOf(Anthropic.BadRequestError);
    expect((noMax as APIError).apiMessage).toBe("max_tokens: Field required");
    const unknownTool = await expectRejection(client.messages.create({ ...ask("Hi"), tools: [briefTool], tool_choice: { type: "tool", name: "nope" } }));
    expect(unknownTool).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("refuses a prompt longer than the context window", async () => {
    const { client } = await setup({ contextWindowTokens: 100 });
    const error = await expectRejection(client.messages.create(ask(filler(404))));
    expect((error as APIError).apiMessage).toBe("prompt is too long: 101 tokens > 100 maximum");
  });

  it("closes promptly with a stream still pacing", async () => {
    const server = await startFakeAnthropic({ latency: { firstTokenMs: 60_000, tokensPerSecond: 1 } });
    const client = new Anthropic({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
    const stream = client.messages.stream(ask("Hi"));
    const settled = stream.finalMessage().catch((error: unknown) => error);
    await stream.emitted("connect");
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await settled).toBeInstanceOf(Error);
  });
});
