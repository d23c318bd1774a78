import * as z from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { AnthropicLlm, type AnthropicLlmOptions } from "./anthropic-llm";
import { LlmError, type Llm, type LlmRequest, type LlmResponse } from "./llm";
import { retrying } from "./retry";
import { completeStructured, jsonInText, toolFor } from "./structured";

const usage = { inputTokens: 10, outputTokens: 5, cacheCreationInputTokens: 0, cacheReadInputTokens: 50 };
const outline = z.object({
  title: z.string().min(1),
  scenes: z.array(z.object({ summary: z.string(), words: z.number().int().positive() })).min(1),
  tone: z.enum(["dark", "light"]).default("dark"),
});
const options = { toolName: "chapter_outline", description: "The outline of one chapter." };
const base = { model: "local-model", system: [{ text: "You plan novels." }], messages: [{ role: "user" as const, content: [{ text: "Outline chapter 1." }] }], maxTokens: 500 };

function scripted(...replies: Partial<LlmResponse>[]) {
  const requests: LlmRequest[] = [];
  const llm: Llm = {
    complete: (request) => {
      requests.push(request);
      const reply = replies[requests.length - 1];
      if (!reply) return Promise.reject(new Error("no more replies"));
      return Promise.resolve({ text: "", stopReason: "tool_use", usage, model: request.model, ...reply });
    },
  };
  return { llm, requests };
}

const good = { title: "Storm", scenes: [{ summary: "The lamp fails.", words: 1200 }] };

describe("toolFor", () => {
  it("describes the schema's input side, so defaulted fields are optional for the model", () => {
    const tool = toolFor(outline, options);
    expect(tool.name).toBe("chapter_outline");
    expect(tool.inputSchema.$schema).toBeUndefined();
    expect(tool.inputSchema.type).toBe("object");
    expect(tool.inputSchema.required).toEqual(["title", "scenes"]);
  });
});

describe("jsonInText", () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  [1,2]\n', [1, 2]],
    ['Here you go:\n```json\n{"a":1}\n```\nEnjoy.', { a: 1 }],
    ['```\n{"a":2}\n```', { a: 2 }],
    ['Sure! {"a": {"b": 3}} Hope that helps.', { a: { b: 3 } }],
  ])("finds the JSON in %j", (text, value) => {
    expect(jsonInText(text)).toEqual({ found: true, value });
  });

  it("finds nothing in prose", () => {
    expect(jsonInText("I would rather not.")).toEqual({ found: false });
    expect(jsonInText("{ not json }")).toEqual({ found: false });
  });
});

describe("completeStructured", () => {
  it("returns the validated tool input, defaults applied", async () => {
    const { llm, requests } = scripted({ toolInput: good });
    const result = await completeStructured(llm, base, outline, options);
    expect(result).toMatchObject({ value: { ...good, tone: "dark" }, repaired: false, usage });
    expect(requests[0]?.tool?.name).toBe("chapter_outline");
  });

  it("reads JSON from the text when the server ignored the tool", async () => {
    const { llm } = scripted({ text: "Here is the outline:\n```json\n" + JSON.stringify(good) + "\n```", stopReason: "end_turn" });
    await expect(completeStructured(llm, base, outline, options)).resolves.toMatchObject({ value: good, repaired: false });
  });

  it("repairs once, quoting the invalid input and the validation error", async () => {
    const bad = { title: "", scenes: [{ summary: "x", words: -3 }] };
    const { llm, requests } = scripted({ toolInput: bad }, { toolInput: good });
    const result = await completeStructured(llm, base, outline, options);
    expect(result.repaired).toBe(true);
    expect(result.value.title).toBe("Storm");
    expect(result.usage.inputTokens).toBe(20);
    const repair = requests[1];
    expect(repair?.tool?.name).toBe("chapter_outline");
    expect(repair?.messages).toHaveLength(3);
    expect(repair?.messages[1]).toEqual({ role: "assistant", content: [{ text: JSON.stringify(bad, null, 2) }] });
    const instruction = repair?.messages[2]?.content[0]?.text ?? "";
    expect(repair?.messages[2]?.role).toBe("user");
    expect(instruction).toContain("- title: Too small");
    expect(instruction).toContain("- scenes[0].words: Too small");
  });

  it("repairs malformed tool JSON, echoing it as sent", async () => {
    const { llm, requests } = scripted({ rawToolInput: '{"title": "Storm", "note": undefined}' }, { toolInput: good });
    await expect(completeStructured(llm, base, outline, options)).resolves.toMatchObject({ repaired: true });
    expect(requests[1]?.messages[1]?.content[0]?.text).toBe('{"title": "Storm", "note": undefined}');
    expect(requests[1]?.messages[2]?.content[0]?.text).toContain("not valid JSON");
  });

  it("throws invalid_output naming the fields after a second failure", async () => {
    const { llm, requests } = scripted({ toolInput: { title: "" , scenes: [] } }, { toolInput: { title: "T", scenes: [{ summary: 3, words: 1 }] } });
    const error = await completeStructured(llm, base, outline, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect(error).toMatchObject({ kind: "invalid_output" });
    expect((error as LlmError).message).toContain("scenes[0].summary");
    expect((error as LlmError).retryable).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it("says when the reply was cut off at the length limit", async () => {
    const { llm } = scripted({ text: "no json" }, { rawToolInput: '{"title": "St', stopReason: "max_tokens" });
    await expect(completeStructured(llm, base, outline, options)).rejects.toThrow(/length limit/);
  });

  it("repairs a reply with no JSON at all", async () => {
    const { llm, requests } = scripted({ text: "I can't do that in JSON.", stopReason: "end_turn" }, { toolInput: good });
    await expect(completeStructured(llm, base, outline, options)).resolves.toMatchObject({ repaired: true });
    expect(requests[1]?.messages[1]?.content[0]?.text).toBe("I can't do that in JSON.");
  });

  it("passes transport errors through without a repair call", async () => {
    const requests: LlmRequest[] = [];
    const llm: Llm = { complete: (r) => (requests.push(r), Promise.reject(new LlmError("overloaded", "busy"))) };
    await expect(completeStructured(llm, base, outline, options)).rejects.toMatchObject({ kind: "overloaded" });
    expect(requests).toHaveLength(1);
  });
});

describe("completeStructured against the fake Anthropic server", () => {
  let server: FakeAnthropic;
  beforeEach(async () => {
    server = await startFakeAnthropic();
  });
  afterEach(async () => {
    await server.close();
  });
  const llm = (options: Partial<AnthropicLlmOptions> = {}) => new AnthropicLlm({ apiKey: "sk-test", baseURL: server.url, maxRetries: 0, ...options });
  const textOf = (message: { content: unknown } | undefined): string =>
    Array.isArray(message?.content) ? (message.content as { text?: string }[]).map((b) => b.text ?? "").join("") : "";

  it("gets a valid value by forced tool use in one call", async () => {
    server.setScript(() => ({ toolInput: good }));
    const result = await completeStructured(llm(), base, outline, options);
    expect(result).toMatchObject({ value: { ...good, tone: "dark" }, repaired: false });
    const body = server.requests[0]?.body;
    expect(body?.tool_choice).toEqual({ type: "tool", name: "chapter_outline" });
    expect(body?.tools?.[0]).toMatchObject({ name: "chapter_outline", description: "The outline of one chapter.", input_schema: toolFor(outline, options).inputSchema });
  });

  it("fills a schema on its own: the server's schema-driven reply validates", async () => {
    const result = await completeStructured(llm(), base, outline, options);
    expect(outline.safeParse(result.value).success).toBe(true);
  });

  it("repairs malformed tool JSON with one call that quotes it and the error", async () => {
    server.setScript(() => ({ toolInput: good }));
    server.inject({ kind: "invalid_tool_json" });
    const result = await completeStructured(llm(), base, outline, options);
    expect(result.repaired).toBe(true);
    expect(server.requests).toHaveLength(2);
    const [user, echo, repair] = server.requests[1]?.body.messages ?? [];
    expect(textOf(user)).toBe("Outline chapter 1.");
    expect(echo?.role).toBe("assistant");
    expect(textOf(echo)).toContain('"note": undefined');
    expect(repair?.role).toBe("user");
    expect(textOf(repair)).toContain("not valid JSON");
    expect(server.requests[1]?.body.tool_choice).toEqual({ type: "tool", name: "chapter_outline" });
    expect(result.usage.inputTokens).toBe(server.usageTotals().inputTokens);
  });

  it("repairs input that parses but breaks the schema, naming the field", async () => {
    let calls = 0;
    server.setScript(() => (++calls === 1 ? { toolInput: { title: "Storm", scenes: [{ summary: "x", words: 0 }] } } : { toolInput: good }));
    const result = await completeStructured(llm(), base, outline, options);
    expect(result.repaired).toBe(true);
    expect(textOf(server.requests[1]?.body.messages[2])).toContain("scenes[0].words: Too small");
  });

  it("throws invalid_output after the repair fails too, without a third call", async () => {
    server.setScript(() => ({ toolInput: good }));
    server.inject({ kind: "invalid_tool_json" }, { kind: "invalid_tool_json" });
    const error = await completeStructured(llm(), base, outline, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "invalid_output", details: { requestId: server.requests[1]?.requestId } });
    expect((error as Error).message).toContain("malformed");
    expect(server.requests).toHaveLength(2);
  });

  it("uses output_config.format on current Claude models, and repairs broken JSON text the same way", async () => {
    server.setScript(() => ({ toolInput: good }));
    server.inject({ kind: "invalid_tool_json" });
    const result = await completeStructured(llm(), { ...base, model: "claude-sonnet-4-5" }, outline, options);
    expect(result).toMatchObject({ value: good, repaired: true });
    const first = server.requests[0]?.body;
    expect(first?.tools).toBeUndefined();
    expect(first?.output_config?.format?.type).toBe("json_schema");
    expect(server.requests[1]?.body.messages.at(-1)?.role).toBe("user");
  });

  it("reads fenced JSON from a server that ignores the structured-output options", async () => {
    // A local server that does not implement output_config answers in prose, the JSON in a code fence.
    server.setScript(() => ({ text: "Here is the outline you asked for:\n\n```json\n" + JSON.stringify(good, null, 2) + "\n```\n" }));
    const result = await completeStructured(llm({ models: { "local-model": { structuredOutput: "output_format" } } }), base, outline, options);
    expect(result).toMatchObject({ value: good, repaired: false });
    expect(server.requests[0]?.body.output_config?.format?.type).toBe("json_schema");
    expect(server.requests).toHaveLength(1);
  });

  it("leaves transport failures to the retry policy, then validates", async () => {
    server.setScript(() => ({ toolInput: good }));
    server.inject({ kind: "stream_cut_after", chunks: 1 }, { kind: "overloaded" });
    const waits: number[] = [];
    const retried = retrying(llm(), { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, random: () => 1 - 2 ** -10, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
    const result = await completeStructured(retried, base, outline, options);
    expect(result.repaired).toBe(false);
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([9, 19]);
  });
});
