import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest, type ScriptedReply } from "../../test/fake-anthropic/server";
import { AnthropicLlm } from "./anthropic-llm";
import { CONTINUE_INSTRUCTION, completeProse, decideSeam, joinContinuation } from "./continue-prose";
import type { Llm, LlmRequest, LlmResponse } from "./llm";
import { retrying } from "./retry";

const usage = { inputTokens: 10, outputTokens: 5, cacheCreationInputTokens: 2, cacheReadInputTokens: 100 };

/** An Llm that answers from a list, streaming each answer in 7-character deltas, and records requests. */
function scripted(...replies: { text: string; stopReason: string }[]) {
  const requests: LlmRequest[] = [];
  const llm: Llm = {
    complete: (request) => {
      requests.push(request);
      const reply = replies[requests.length - 1];
      if (!reply) return Promise.reject(new Error("no more replies"));
      let received = 0;
      for (let i = 0; i < reply.text.length; i += 7) {
        const delta = reply.text.slice(i, i + 7);
        received += delta.length;
        request.onText?.(delta, received);
      }
      const response: LlmResponse = { text: reply.text, stopReason: reply.stopReason, usage, model: request.model, requestId: `req_${requests.length}` };
      return Promise.resolve(response);
    },
  };
  return { llm, requests };
}

const base: LlmRequest = { model: "local-model", system: [{ text: "You write novels." }], messages: [{ role: "user", content: [{ text: "Write chapter 1." }] }], maxTokens: 100 };

describe("joinContinuation", () => {
  it.each([
    // [previous, continuation, prefill result, user-turn result]
    ["The sea was", " grey.", "The sea was grey.", "The sea was grey."],
    ["The sea was ", "grey.", "The sea was grey.", "The sea was grey."],
    ["The sea was ", " grey.", "The sea was grey.", "The sea was grey."],
    ["End.\n", "\n\nNext.", "End.\n\nNext.", "End.\n\nNext."],
    ["End.\n\n", "\nNext.", "End.\n\nNext.", "End.\n\nNext."],
    ["End. ", "\n\nNext.", "End.\n\nNext.", "End.\n\nNext."],
    ["extra", "ordinary", "extraordinary", "extra ordinary"],
    ["grey sea.", "The gulls", "grey sea.The gulls", "grey sea. The gulls"],
    ["she said, “", "Go.”", "she said, “Go.”", "she said, “Go.”"],
    ["well-", "known", "well-known", "well-known"],
    ["Done.", "", "Done.", "Done."],
    ["Done. ", "   ", "Done. ", "Done. "],
  ])("%j + %j", (previous, continuation, prefill, userTurn) => {
    expect(joinContinuation(previous, continuation, "prefill")).toBe(prefill);
    expect(joinContinuation(previous, continuation, "user-turn")).toBe(userTurn);
  });

  it("drops a repeat of the last words in user-turn mode, keeping the seam's whitespace", () => {
    const previous = "The lighthouse keeper climbed the stairs. At the top he";
    expect(joinContinuation(previous, "climbed the stairs. At the top he found the lamp dark.", "user-turn")).toBe(
      "The lighthouse keeper climbed the stairs. At the top he found the lamp dark.",
    );
    expect(joinContinuation("First paragraph ends here.", "paragraph ends here.\n\nSecond begins.", "user-turn")).toBe(
      "First paragraph ends here.\n\nSecond begins.",
    );
  });

  it("does not treat a short common phrase as a repeat", () => {
    expect(joinContinuation("He said no.", "said no. Then he left.", "user-turn")).toBe("He said no. said no. Then he left.");
  });

  it("never repeats in prefill mode, where the model continues in place", () => {
    const previous = "a long enough sentence to repeat";
    expect(joinContinuation(previous, " a long enough sentence to repeat", "prefill")).toBe(`${previous} a long enough sentence to repeat`);
  });

  it("describes the seam as keep/insert/skip", () => {
    expect(decideSeam("End. ", "\n\nNext", "prefill")).toEqual({ keep: 4, insert: "\n\n", skip: 2 });
  });
});

describe("completeProse", () => {
  it("returns a reply that ended normally untouched", async () => {
    const { llm, requests } = scripted({ text: "All of it.", stopReason: "end_turn" });
    const result = await completeProse(llm, base, { maxContinuations: 3 });
    expect(result).toMatchObject({ text: "All of it.", truncated: false, continuations: 0, stopReason: "end_turn", usage });
    expect(requests).toHaveLength(1);
  });

  it("continues by prefill: the text so far, trailing whitespace trimmed, as the final assistant message", async () => {
    const { llm, requests } = scripted({ text: "The sea was \n", stopReason: "max_tokens" }, { text: "\n\ngrey and cold.", stopReason: "end_turn" });
    const result = await completeProse(llm, base, { maxContinuations: 2, continueBy: "prefill" });
    expect(result.text).toBe("The sea was\n\ngrey and cold.");
    expect(requests[1]?.messages).toEqual([...base.messages, { role: "assistant", content: [{ text: "The sea was" }] }]);
    expect(requests[1]?.system).toBe(base.system);
    expect(requests[1]?.maxTokens).toBe(100);
  });

  it("continues by user turn where the model rejects prefill", async () => {
    const { llm, requests } = scripted({ text: "The sea was grey.", stopReason: "max_tokens" }, { text: "The gulls cried.", stopReason: "end_turn" });
    const result = await completeProse(llm, { ...base, model: "claude-opus-4-6" }, { maxContinuations: 1 });
    expect(result.text).toBe("The sea was grey. The gulls cried.");
    expect(requests[1]?.messages.slice(1)).toEqual([
      { role: "assistant", content: [{ text: "The sea was grey." }] },
      { role: "user", content: [{ text: CONTINUE_INSTRUCTION }] },
    ]);
  });

  it("picks prefill for a model configured to accept it", async () => {
    const { llm, requests } = scripted({ text: "a", stopReason: "max_tokens" }, { text: "b", stopReason: "end_turn" });
    await completeProse(llm, { ...base, model: "claude-sonnet-4-5" }, { maxContinuations: 1 });
    expect(requests[1]?.messages.at(-1)?.role).toBe("assistant");
    const local = scripted({ text: "a", stopReason: "max_tokens" }, { text: "b", stopReason: "end_turn" });
    await completeProse(local.llm, base, { maxContinuations: 1, models: { "local-model": { prefill: true } } });
    expect(local.requests[1]?.messages.at(-1)?.role).toBe("assistant");
  });

  it("extends the caller's own prefill instead of adding a second assistant message", async () => {
    const request: LlmRequest = { ...base, messages: [...base.messages, { role: "assistant", content: [{ text: "Chapter One\n\n" }] }] };
    const { llm, requests } = scripted({ text: "It began", stopReason: "max_tokens" }, { text: " badly.", stopReason: "end_turn" });
    await completeProse(llm, request, { maxContinuations: 1, continueBy: "prefill" });
    expect(requests[1]?.messages).toEqual([...base.messages, { role: "assistant", content: [{ text: "Chapter One\n\n" }, { text: "It began" }] }]);
  });

  it("sums usage and stops with truncated: true when the continuations run out", async () => {
    const { llm, requests } = scripted(
      { text: "One ", stopReason: "max_tokens" },
      { text: "two ", stopReason: "max_tokens" },
      { text: "three", stopReason: "max_tokens" },
      { text: "never", stopReason: "end_turn" },
    );
    const result = await completeProse(llm, base, { maxContinuations: 2, continueBy: "prefill" });
    expect(result.text).toBe("One two three");
    expect(result.truncated).toBe(true);
    expect(result.continuations).toBe(2);
    expect(result.stopReason).toBe("max_tokens");
    expect(result.usage).toEqual({ inputTokens: 30, outputTokens: 15, cacheCreationInputTokens: 6, cacheReadInputTokens: 300 });
    expect(requests).toHaveLength(3);
  });

  it("with maxContinuations 0 reports the cut-off reply as truncated", async () => {
    const { llm } = scripted({ text: "Half", stopReason: "max_tokens" });
    await expect(completeProse(llm, base, { maxContinuations: 0 })).resolves.toMatchObject({ text: "Half", truncated: true, continuations: 0 });
  });

  it("stops when a continuation adds nothing", async () => {
    const { llm, requests } = scripted({ text: "Stuck", stopReason: "max_tokens" }, { text: "", stopReason: "max_tokens" }, { text: "x", stopReason: "end_turn" });
    const result = await completeProse(llm, base, { maxContinuations: 5 });
    expect(result).toMatchObject({ text: "Stuck", truncated: true, continuations: 1 });
    expect(requests).toHaveLength(2);
  });

  it("streams the joined text to onText, with received counting it", async () => {
    const seen: [string, number][] = [];
    const { llm } = scripted(
      { text: "The keeper climbed the stairs and", stopReason: "max_tokens" },
      { text: "climbed the stairs and found the lamp dark.", stopReason: "end_turn" },
    );
    const result = await completeProse(llm, { ...base, onText: (delta, received) => seen.push([delta, received]) }, { maxContinuations: 1, continueBy: "user-turn" });
    expect(result.text).toBe("The keeper climbed the stairs and found the lamp dark.");
    expect(seen.map(([d]) => d).join("")).toBe(result.text);
    expect(seen.at(-1)?.[1]).toBe(result.text.length);
  });

  it("streams a prefill continuation as soon as its seam is known", async () => {
    const seen: string[] = [];
    const { llm } = scripted({ text: "A\n", stopReason: "max_tokens" }, { text: "\n\nB is a long paragraph of text.", stopReason: "end_turn" });
    const result = await completeProse(llm, { ...base, onText: (delta) => seen.push(delta) }, { maxContinuations: 1, continueBy: "prefill" });
    expect(seen.join("")).toBe(result.text);
    expect(result.text).toBe("A\n\nB is a long paragraph of text.");
  });
});

describe("completeProse against the fake Anthropic server", () => {
  let server: FakeAnthropic;
  const FULL =
    "Mara climbed the hundred steps in the dark, counting them aloud.\n\nAt the top she found the glass cracked from rim to base, and the lamp cold. " +
    "Below her the sea worked at the rocks as it had for a thousand years, patient and indifferent.";

  /** The text of a message's blocks. */
  const textOf = (message: { content: unknown } | undefined): string =>
    Array.isArray(message?.content) ? (message.content as { text?: string }[]).map((b) => b.text ?? "").join("") : "";

  /** A "model" that writes FULL: continuing a prefill in place, or (asked in a user turn) starting a fresh reply. */
  function writer(repeatWords = 0): (req: RecordedRequest) => ScriptedReply {
    return (req) => {
      const messages = req.body.messages;
      const last = messages.at(-1);
      if (last?.role === "assistant") return { text: FULL.slice(textOf(last).length) };
      if (textOf(last) === CONTINUE_INSTRUCTION) {
        const soFar = textOf(messages.at(-2));
        const repeat = repeatWords > 0 ? soFar.split(" ").slice(-repeatWords).join(" ") + " " : "";
        return { text: repeat + FULL.slice(soFar.length).trimStart() };
      }
      return { text: FULL };
    };
  }

  beforeEach(async () => {
    server = await startFakeAnthropic();
  });
  afterEach(async () => {
    await server.close();
  });

  const llm = () => new AnthropicLlm({ apiKey: "sk-test", baseURL: server.url, maxRetries: 0 });

  it("continues a reply cut at a paragraph break by prefill, keeping the blank line", async () => {
    server.setScript(writer());
    // 16 tokens = 64 characters: the cut falls just before the "\n\n" between the paragraphs.
    server.inject({ kind: "max_tokens", afterTokens: 16 });
    const seen: string[] = [];
    const result = await completeProse(llm(), { ...base, model: "claude-sonnet-4-5", onText: (d) => seen.push(d) }, { maxContinuations: 3 });
    expect(result.text).toBe(FULL);
    expect(result).toMatchObject({ truncated: false, continuations: 1, stopReason: "end_turn" });
    expect(seen.join("")).toBe(FULL);
    // The prefill went out without the trailing whitespace the API rejects.
    const prefill = server.requests[1]?.body.messages.at(-1);
    expect(prefill).toEqual({ role: "assistant", content: [{ type: "text", text: FULL.slice(0, 64) }] });
    expect(FULL.slice(64, 66)).toBe("\n\n");
    expect(result.usage).toEqual({ ...server.usageTotals(), cacheCreation: { ephemeral5mInputTokens: 0, ephemeral1hInputTokens: 0 } });
  });

  it("continues by a user turn for a model that rejects prefill, with no doubled or missing space", async () => {
    server.setScript(writer());
    server.inject({ kind: "max_tokens", afterTokens: 11 });
    const result = await completeProse(llm(), { ...base, model: "claude-opus-4-6" }, { maxContinuations: 3 });
    expect(FULL.slice(0, 44)).toMatch(/ $/);
    expect(result.text).toBe(FULL);
    expect(server.requests[1]?.body.messages.at(-1)?.role).toBe("user");
    expect(server.requests[1]?.body.messages.at(-2)).toEqual({ role: "assistant", content: [{ type: "text", text: FULL.slice(0, 44).trimEnd() }] });
  });

  it("drops the words a fresh reply repeats from before the cut", async () => {
    server.setScript(writer(5));
    server.inject({ kind: "max_tokens", afterTokens: 11 });
    const result = await completeProse(llm(), { ...base, model: "claude-opus-4-6" }, { maxContinuations: 1 });
    expect(result.text).toBe(FULL);
  });

  it("gives up after maxContinuations with truncated: true and usage summed over every call", async () => {
    server.setScript(writer());
    server.inject({ kind: "max_tokens", afterTokens: 10 }, { kind: "max_tokens", afterTokens: 10 }, { kind: "max_tokens", afterTokens: 10 });
    const result = await completeProse(llm(), { ...base, model: "claude-sonnet-4-5" }, { maxContinuations: 2 });
    expect(result).toMatchObject({ truncated: true, continuations: 2, stopReason: "max_tokens" });
    expect(result.text).toBe(FULL.slice(0, 120));
    expect(server.requests).toHaveLength(3);
    const totals = server.usageTotals();
    expect(result.usage.inputTokens).toBe(totals.inputTokens);
    expect(result.usage.outputTokens).toBe(totals.outputTokens);
  });

  it("retries a continuation that was cut off by the network on its own, not the whole chapter", async () => {
    server.setScript(writer());
    server.inject({ kind: "max_tokens", afterTokens: 17 }, { kind: "stream_cut_after", chunks: 1 });
    const waits: number[] = [];
    const retried = retrying(llm(), {
      maxAttempts: 3,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const result = await completeProse(retried, { ...base, model: "claude-sonnet-4-5" }, { maxContinuations: 1 });
    expect(result.text).toBe(FULL);
    expect(server.requests).toHaveLength(3);
    expect(server.requests[1]?.body.messages).toEqual(server.requests[2]?.body.messages);
    expect(waits).toEqual([0]);
  });
});
