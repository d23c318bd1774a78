/**
 * runBatch and AnthropicBatches end to end: the real @anthropic-ai/sdk against the fake server's Message
 * Batches endpoints. Waits go through an injected sleep that only moves a fake clock, so no test waits on
 * a timer; a batch is held in progress by a script that waits on a gate the test opens.
 */
import Anthropic from "@anthropic-ai/sdk";
import * as z from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions, type RecordedRequest, type ScriptedReply } from "../../test/fake-anthropic/server";
import { MemoryVault } from "../testing/memory-vault";
import { AnthropicBatches } from "./anthropic-batches";
import type { AnthropicLlmOptions } from "./anthropic-llm";
import {
  batchRecordsPath,
  MemoryBatchRecordStore,
  runBatch,
  VaultBatchRecordStore,
  type BatchClient,
  type BatchCounts,
  type BatchItem,
  type BatchRecordStore,
  type RunBatchOptions,
} from "./batch";
import { LlmError, type LlmRequest } from "./llm";
import { batchCostOf, costOf, DEFAULT_PRICES } from "./prices";

const MODEL = "claude-sonnet-4-6";
const START = Date.UTC(2026, 0, 15, 12, 0, 0);

let server: FakeAnthropic;

async function start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  await server?.close();
  server = await startFakeAnthropic(options);
  return server;
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  await server.close();
});

/** A fresh client, as a restarted process would build one. */
function batches(options: Partial<AnthropicLlmOptions> = {}): AnthropicBatches {
  return new AnthropicBatches({ apiKey: "sk-test", baseURL: server.url, maxRetries: 0, ...options });
}

/** The SDK itself, to look at the server's batches from outside. */
function sdk(): Anthropic {
  return new Anthropic({ apiKey: "sk-test", baseURL: server.url, maxRetries: 0 });
}

async function listedBatches(): Promise<Anthropic.Messages.MessageBatch[]> {
  return (await sdk().messages.batches.list()).data;
}

function request(text: string, overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: MODEL,
    system: [{ text: "You are a novelist's assistant." }],
    messages: [{ role: "user", content: [{ text }] }],
    maxTokens: 400,
    ...overrides,
  };
}

const summarySchema = z.object({ summary: z.string(), characters: z.array(z.string()) });
const summaryTool = { name: "record_summary", description: "Record the chapter summary.", inputSchema: z.toJSONSchema(summarySchema) };

/** A clock that moves only when the injected sleep is called. */
function fakeTime(): { now: () => number; sleep: RunBatchOptions["sleep"]; slept: number[] } {
  let time = START;
  const slept: number[] = [];
  return {
    now: () => time,
    slept,
    sleep: (ms) => {
      slept.push(ms);
      time += ms;
      // A macrotask, so the fake server gets to work on the batch between two status checks.
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function options(store: BatchRecordStore, overrides: Partial<RunBatchOptions> = {}): RunBatchOptions {
  const time = fakeTime();
  return { store, key: "summaries", pollMs: 60_000, sleep: time.sleep, now: time.now, ...overrides };
}

/** A script that holds every batch item until `release()`; until then the batch stays in progress. */
function gated(reply: (request: RecordedRequest) => ScriptedReply = () => ({ text: "Done." })): { release: () => void; script: FakeAnthropicOptions["script"] } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    release: () => release(),
    script: async (recorded) => {
      await gate;
      return reply(recorded);
    },
  };
}

/** A BatchClient that logs its calls (and the store's, when given the same log) in order. */
function spied(inner: BatchClient, log: string[]): BatchClient {
  return {
    submit: (items, signal) => (log.push("submit"), inner.submit(items, signal)),
    status: (id, signal) => (log.push("status"), inner.status(id, signal)),
    results: (id, items, signal) => (log.push("results"), inner.results(id, items, signal)),
    cancel: (id) => (log.push("cancel"), inner.cancel(id)),
  };
}

function spiedStore(inner: BatchRecordStore, log: string[]): BatchRecordStore {
  return {
    load: (key) => (log.push("load"), inner.load(key)),
    save: (key, record) => (log.push("save"), inner.save(key, record)),
    clear: (key) => (log.push("clear"), inner.clear(key)),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("runBatch over the Message Batches API", () => {
  it("submits, saves the record before polling, polls until ended and returns each reply with structured output and usage", async () => {
    const seen: RecordedRequest[] = [];
    server.setScript((recorded) => {
      seen.push(recorded);
      const id = recorded.batch?.customId;
      if (id === "ch-1") return { text: "Mara climbs the lighthouse." };
      return { toolInput: { summary: `Summary of ${id ?? "?"}`, characters: ["Mara", "Tobias"] } };
    });
    const items: BatchItem[] = [
      { customId: "ch-1", request: request("Summarise chapter 1.", { system: [{ text: "Story bible.", cache: "1h" }] }) },
      // claude-sonnet-4-6 asks for structured output through output_config: the JSON comes back as text.
      { customId: "ch-2", request: request("Summarise chapter 2.", { tool: summaryTool }) },
      // A model without a known shape gets forced tool use: the JSON comes back as a tool call.
      { customId: "ch-3", request: request("Summarise chapter 3.", { model: "local-model", tool: summaryTool }) },
    ];
    const log: string[] = [];
    const store = new MemoryBatchRecordStore();
    const progress: BatchCounts[] = [];
    const time = fakeTime();

    const run = await runBatch(spied(batches(), log), items, {
      ...options(spiedStore(store, log)),
      sleep: time.sleep,
      now: time.now,
      onProgress: (counts) => progress.push(counts),
    });

    expect(log.slice(0, 4)).toEqual(["load", "submit", "save", "status"]);
    expect(log.at(-1)).toBe("results");
    expect(log.filter((call) => call === "submit")).toHaveLength(1);
    expect(run.resumed).toBe(false);
    expect(run.id).toMatch(/^msgbatch_01/);
    expect(progress.at(-1)).toEqual({ processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 });
    // Every wait is one poll interval on the injected clock.
    expect(time.slept.every((ms) => ms === 60_000)).toBe(true);

    // The bodies are AnthropicLlm's, minus `stream`.
    expect(seen.map((r) => r.batch?.customId)).toEqual(["ch-1", "ch-2", "ch-3"]);
    for (const recorded of seen) expect(recorded.body).not.toHaveProperty("stream");
    expect(seen[0]?.body.system).toEqual([{ type: "text", text: "Story bible.", cache_control: { type: "ephemeral", ttl: "1h" } }]);
    expect(seen[1]?.body.output_config?.format?.type).toBe("json_schema");
    expect(seen[2]?.body.tool_choice).toEqual({ type: "tool", name: "record_summary" });

    const [first, second, third] = ["ch-1", "ch-2", "ch-3"].map((id) => run.results.get(id));
    if (!first?.ok || !second?.ok || !third?.ok) throw new Error("expected three replies");
    expect(first.response.text).toBe("Mara climbs the lighthouse.");
    expect(first.response.stopReason).toBe("end_turn");
    expect(first.response.model).toBe(MODEL);
    expect(first.response.usage.inputTokens).toBeGreaterThan(0);
    expect(first.response.usage.outputTokens).toBe(Math.ceil("Mara climbs the lighthouse.".length / 4));
    expect(summarySchema.parse(second.response.toolInput)).toEqual({ summary: "Summary of ch-2", characters: ["Mara", "Tobias"] });
    expect(third.response.toolInput).toEqual({ summary: "Summary of ch-3", characters: ["Mara", "Tobias"] });
    expect(third.response.stopReason).toBe("tool_use");
    // Usage adds up to what the server billed, batch results included.
    const outputTokens = [first, second, third].reduce((sum, r) => sum + r.response.usage.outputTokens, 0);
    expect(outputTokens).toBe(server.usageTotals().outputTokens);

    // The record stays until the caller has stored the results.
    expect(await store.load("summaries")).toEqual({ id: run.id, submittedAt: START, customIds: ["ch-1", "ch-2", "ch-3"] });
    await run.commit();
    expect(await store.load("summaries")).toBeNull();
  });

  it("returns an item that failed in the batch as an LlmError of the kind a single request would give", async () => {
    await start({ contextWindowTokens: 500 });
    server.setScript((recorded) => {
      const id = recorded.batch?.customId;
      if (id === "boom") throw new Error("the model crashed");
      if (id === "refused") return { text: "", stopReason: "refusal" };
      return { text: "Fine." };
    });
    const items: BatchItem[] = [
      { customId: "fine", request: request("A short question.") },
      { customId: "too-long", request: request("word ".repeat(1_000)) },
      { customId: "boom", request: request("Crash, please.") },
      { customId: "refused", request: request("Something the model declines.") },
    ];
    const progress: BatchCounts[] = [];
    const run = await runBatch(batches(), items, { ...options(new MemoryBatchRecordStore()), onProgress: (counts) => progress.push(counts) });

    expect(progress.at(-1)).toEqual({ processing: 0, succeeded: 2, errored: 2, canceled: 0, expired: 0 });
    expect(run.results.get("fine")).toMatchObject({ ok: true, response: { text: "Fine." } });
    const errorOf = (id: string): LlmError => {
      const result = run.results.get(id);
      if (!result || result.ok) throw new Error(`expected ${id} to have failed`);
      expect(result.error).toBeInstanceOf(LlmError);
      return result.error;
    };
    expect(errorOf("too-long").kind).toBe("context_window");
    expect(errorOf("too-long").retryable).toBe(false);
    expect(errorOf("boom")).toMatchObject({ kind: "server", details: { status: 500 } });
    expect(errorOf("boom").message).toContain("the model crashed");
    expect(errorOf("boom").retryable).toBe(true);
    // Succeeded as far as the batch is concerned, but a refusal is a refusal.
    expect(errorOf("refused").kind).toBe("refusal");
  });

  it("resumes after a crash without submitting again, from a record in the vault", async () => {
    const { release, script } = gated((recorded) => ({ text: `Reply to ${recorded.batch?.customId ?? "?"}.` }));
    server.setScript(script);
    const vault = new MemoryVault();
    const path = batchRecordsPath("My Book");
    const items: BatchItem[] = ["a", "b"].map((id) => ({ customId: id, request: request(`Question ${id}?`) }));

    // The first process dies during its first wait, with the batch still in progress.
    const crashed = runBatch(batches(), items, {
      ...options(new VaultBatchRecordStore(vault, path)),
      sleep: () => Promise.reject(new Error("simulated crash")),
    });
    expect(await rejection(crashed)).toMatchObject({ message: "simulated crash" });
    const saved = JSON.parse(await vault.read("My Book/.bookwright/batches.json")) as { batches: Record<string, { id: string }> };
    const batchId = saved.batches.summaries?.id;
    expect(batchId).toMatch(/^msgbatch_01/);

    // A restarted process: new client, new store over the same file.
    release();
    const log: string[] = [];
    const run = await runBatch(spied(batches(), log), items, options(new VaultBatchRecordStore(vault, path)));
    expect(run.resumed).toBe(true);
    expect(run.id).toBe(batchId);
    expect(log).not.toContain("submit");
    expect(run.results.get("a")).toMatchObject({ ok: true, response: { text: "Reply to a." } });
    expect(run.results.get("b")).toMatchObject({ ok: true, response: { text: "Reply to b." } });

    // Dying after fetching but before commit: the next run fetches the same results again, still without submitting.
    const again = await runBatch(spied(batches(), log), items, options(new VaultBatchRecordStore(vault, path)));
    expect(again.id).toBe(batchId);
    expect(again.results.get("b")).toMatchObject({ ok: true, response: { text: "Reply to b." } });
    expect(log).not.toContain("submit");
    expect((await listedBatches()).map((b) => b.id)).toEqual([batchId]);

    await again.commit();
    expect(await new VaultBatchRecordStore(vault, path).load("summaries")).toBeNull();
  });

  it("stops polling on abort, leaving the remote batch running and the record for the next run", async () => {
    const { release, script } = gated();
    server.setScript(script);
    const store = new MemoryBatchRecordStore();
    const items: BatchItem[] = [{ customId: "a", request: request("Hello?") }];
    const controller = new AbortController();
    const log: string[] = [];

    const stopped = runBatch(spied(batches(), log), items, {
      ...options(store),
      signal: controller.signal,
      sleep: () => {
        controller.abort();
        return Promise.resolve();
      },
    });
    const error = await rejection(stopped);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).kind).toBe("aborted");
    expect(log).not.toContain("cancel");
    const record = await store.load("summaries");
    expect(record).not.toBeNull();
    const [remote] = await listedBatches();
    expect(remote?.id).toBe(record?.id);
    expect(remote?.processing_status).toBe("in_progress");

    release();
    const run = await runBatch(batches(), items, options(store));
    expect(run).toMatchObject({ id: record?.id, resumed: true });
    expect(run.results.get("a")).toMatchObject({ ok: true });
    expect(await listedBatches()).toHaveLength(1);
  });

  it("reports an abort as aborted when the sleep rejects with the signal's reason", async () => {
    const { release, script } = gated();
    server.setScript(script);
    const controller = new AbortController();
    const sleep: RunBatchOptions["sleep"] = (_ms, signal) => {
      controller.abort();
      return Promise.reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    const store = new MemoryBatchRecordStore();
    const error = await rejection(runBatch(batches(), [{ customId: "a", request: request("Hi") }], { ...options(store), signal: controller.signal, sleep }));
    expect(error).toMatchObject({ kind: "aborted" });
    expect(await store.load("summaries")).not.toBeNull();
    release();
  });

  it("sends nothing when aborted before it starts", async () => {
    const controller = new AbortController();
    controller.abort();
    const store = new MemoryBatchRecordStore();
    const error = await rejection(runBatch(batches(), [{ customId: "a", request: request("Hi") }], { ...options(store), signal: controller.signal }));
    expect(error).toMatchObject({ kind: "aborted" });
    expect(await listedBatches()).toHaveLength(0);
    expect(await store.load("summaries")).toBeNull();
  });

  it("refuses to resume a record made for other requests", async () => {
    const store = new MemoryBatchRecordStore();
    await store.save("summaries", { id: "msgbatch_earlier", submittedAt: START, customIds: ["a", "b"] });
    const log: string[] = [];
    const error = await rejection(runBatch(spied(batches(), log), [{ customId: "c", request: request("Hi") }], options(store)));
    expect(String(error)).toContain("msgbatch_earlier");
    expect(log).toEqual([]);
    expect(await store.load("summaries")).not.toBeNull();
  });

  it("cancels a batch it could not record, so an unreadable batch costs as little as possible", async () => {
    const { release, script } = gated();
    server.setScript(script);
    const failing: BatchRecordStore = {
      load: () => Promise.resolve(null),
      save: () => Promise.reject(new Error("disk full")),
      clear: () => Promise.resolve(),
    };
    const error = await rejection(runBatch(batches(), [{ customId: "a", request: request("Hi") }, { customId: "b", request: request("Ho") }], options(failing)));
    expect(error).toMatchObject({ message: "disk full" });
    const [remote] = await listedBatches();
    expect(remote?.processing_status).toBe("canceling");
    release();
  });

  it("rides out a transient failure while polling, but not more in a row than allowed", async () => {
    const real = batches();
    let failuresLeft = 1;
    const flaky: BatchClient = {
      ...spied(real, []),
      status: (id, signal) => {
        if (failuresLeft-- > 0) return Promise.reject(new LlmError("overloaded", "Overloaded.", { retryAfterMs: 5_000 }));
        return real.status(id, signal);
      },
    };
    const time = fakeTime();
    const items: BatchItem[] = [{ customId: "a", request: request("Hi") }];
    const run = await runBatch(flaky, items, { ...options(new MemoryBatchRecordStore()), sleep: time.sleep, now: time.now });
    expect(run.results.get("a")).toMatchObject({ ok: true });
    // The server's retry-after is honoured for the failed check.
    expect(time.slept[0]).toBe(5_000);

    failuresLeft = 2;
    const store = new MemoryBatchRecordStore();
    const error = await rejection(runBatch(flaky, items, { ...options(store), key: "other", transientFailures: 1 }));
    expect(error).toMatchObject({ kind: "overloaded" });
    expect(await store.load("other")).not.toBeNull();

    const broken: BatchClient = { ...spied(real, []), status: () => Promise.reject(new LlmError("auth", "Bad key.")) };
    const log: string[] = [];
    const authError = await rejection(runBatch(spied(broken, log), items, { ...options(new MemoryBatchRecordStore()), key: "third" }));
    expect(authError).toMatchObject({ kind: "auth" });
    expect(log.filter((call) => call === "status")).toHaveLength(1);
  });
});

describe("AnthropicBatches", () => {
  it("cancel: the items not yet answered come back cancelled", async () => {
    const { release, script } = gated();
    server.setScript(script);
    const client = batches();
    const items: BatchItem[] = ["a", "b", "c"].map((id) => ({ customId: id, request: request(`Question ${id}?`) }));
    const { id } = await client.submit(items);
    await client.cancel(id);
    expect((await client.status(id)).state).toBe("canceling");
    release();
    const time = fakeTime();
    let status = await client.status(id);
    while (status.state !== "ended") {
      await time.sleep(1);
      status = await client.status(id);
    }
    expect(status.counts).toMatchObject({ succeeded: 1, canceled: 2, processing: 0 });
    const results = await client.results(id, items);
    expect(results.get("a")).toMatchObject({ ok: true });
    expect(results.get("b")).toMatchObject({ ok: false, error: { kind: "aborted" } });
    expect(results.get("c")).toMatchObject({ ok: false, error: { kind: "aborted" } });
  });

  it("names a batch the server does not know, and refuses bad custom ids before sending anything", async () => {
    const client = batches();
    const missing = await rejection(client.status("msgbatch_gone"));
    expect(missing).toMatchObject({ kind: "invalid_request", details: { status: 404 } });
    expect(String(missing)).toContain("msgbatch_gone");

    expect(await rejection(client.submit([{ customId: "chapter 1", request: request("Hi") }]))).toMatchObject({ kind: "invalid_request" });
    expect(await rejection(client.submit([]))).toMatchObject({ kind: "invalid_request" });
    const twice = [{ customId: "a", request: request("Hi") }, { customId: "a", request: request("Ho") }];
    expect(await rejection(client.submit(twice))).toMatchObject({ kind: "invalid_request" });
    expect(await listedBatches()).toHaveLength(0);
  });
});

describe("batch cost", () => {
  it("is half the normal price, part by part", async () => {
    const run = await runBatch(batches(), [{ customId: "a", request: request("Summarise chapter 1.", { system: [{ text: "s".repeat(8_000), cache: "5m" }] }) }], options(new MemoryBatchRecordStore()));
    const result = run.results.get("a");
    if (!result?.ok) throw new Error("expected a reply");
    const { usage } = result.response;
    expect(usage.cacheCreationInputTokens).toBeGreaterThan(0);
    const normal = costOf(usage, MODEL, DEFAULT_PRICES);
    const batch = batchCostOf(usage, MODEL, DEFAULT_PRICES);
    if (normal.usd === null || batch.usd === null) throw new Error("expected known prices");
    expect(batch.usd).toBeGreaterThan(0);
    expect(batch.usd).toBe(normal.usd / 2);
    expect(batch.parts).toEqual({
      input: normal.parts.input / 2,
      output: normal.parts.output / 2,
      cacheWrite: normal.parts.cacheWrite / 2,
      cacheRead: normal.parts.cacheRead / 2,
    });

    // Sonnet: $3 in, $15 out per million tokens; batched, $1.50 and $7.50.
    const million = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
    expect(batchCostOf(million, MODEL, DEFAULT_PRICES).usd).toBe(9);
    expect(batchCostOf(million, "local-model", DEFAULT_PRICES)).toMatchObject({ usd: null });
  });
});

describe("VaultBatchRecordStore", () => {
  const path = "My Book/.bookwright/batches.json";

  it("keeps each key's record in one JSON file, and clears only the key asked for", async () => {
    const vault = new MemoryVault();
    const store = new VaultBatchRecordStore(vault, path);
    expect(await store.load("a")).toBeNull();
    await Promise.all([
      store.save("a", { id: "msgbatch_a", submittedAt: 1, customIds: ["x"] }),
      store.save("b", { id: "msgbatch_b", submittedAt: 2, customIds: ["y", "z"] }),
    ]);
    expect(JSON.parse(await vault.read(path))).toEqual({
      version: 1,
      batches: { a: { id: "msgbatch_a", submittedAt: 1, customIds: ["x"] }, b: { id: "msgbatch_b", submittedAt: 2, customIds: ["y", "z"] } },
    });
    await store.clear("a");
    const reopened = new VaultBatchRecordStore(vault, path);
    expect(await reopened.load("a")).toBeNull();
    expect(await reopened.load("b")).toEqual({ id: "msgbatch_b", submittedAt: 2, customIds: ["y", "z"] });
  });

  it("refuses a file it cannot read, naming it and the shape expected, and never overwrites it", async () => {
    const vault = new MemoryVault().seed({ [path]: "{ not json" });
    const store = new VaultBatchRecordStore(vault, path);
    const bad = String(await rejection(store.load("a")));
    expect(bad).toContain(path);
    expect(bad).toContain("not valid JSON");
    expect(bad).toContain('"customIds"');
    await rejection(store.save("a", { id: "msgbatch_a", submittedAt: 1, customIds: [] }));
    expect(await vault.read(path)).toBe("{ not json");

    const wrong = new VaultBatchRecordStore(new MemoryVault().seed({ [path]: JSON.stringify({ version: 1, batches: { a: { id: "msgbatch_a" } } }) }), path);
    const message = String(await rejection(wrong.load("a")));
    expect(message).toContain(path);
    expect(message).toContain("submittedAt");
  });
});
