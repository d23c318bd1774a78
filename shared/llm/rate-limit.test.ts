/**
 * The shared rate limiter. Time is a fake clock whose sleeps fire only when a test moves it, so every wait
 * is asserted to the millisecond without waiting. The end-to-end tests run the real AnthropicLlm against the
 * fake server on the same fake clock, moving it only while no request is in flight.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions } from "../../test/fake-anthropic/server";
import { AnthropicLlm } from "./anthropic-llm";
import { LlmError, type Llm, type LlmRequest, type LlmResponse } from "./llm";
import {
  DEFAULT_RETRY_AFTER_MS,
  RateLimiter,
  estimateRequest,
  parseRateLimitHeaders,
  rateLimited,
  type RateLimitSnapshot,
  type RateLimitTicket,
  type RateLimiterOptions,
  type TokenEstimate,
} from "./rate-limit";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A clock that moves only when told to; sleeps are timers on it. */
class FakeTime {
  private timers: { at: number; resolve: () => void }[] = [];

  constructor(public time = T0) {}

  readonly now = (): number => this.time;

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error("aborted"));
        return;
      }
      const timer = { at: this.time + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(new Error("aborted"));
        },
        { once: true },
      );
    });

  get pending(): number {
    return this.timers.length;
  }

  /** Moves to `time + ms`, firing each timer due on the way at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settled();
      const next = this.earliest();
      if (next === undefined || next > end) break;
      this.time = Math.max(this.time, next);
      this.fireDue();
    }
    this.time = end;
    await settled();
  }

  /** Jumps to the earliest timer and fires it; false when there is none. */
  fireNext(): boolean {
    const next = this.earliest();
    if (next === undefined) return false;
    this.time = Math.max(this.time, next);
    this.fireDue();
    return true;
  }

  private earliest(): number | undefined {
    return this.timers.length > 0 ? Math.min(...this.timers.map((t) => t.at)) : undefined;
  }

  private fireDue(): void {
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.resolve();
  }
}

/** Lets promise chains (and, end to end, sockets) run. */
function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function limiter(time: FakeTime, options: Partial<RateLimiterOptions> = {}): RateLimiter {
  return new RateLimiter({ now: time.now, sleep: time.sleep, ...options });
}

/** Starts an acquire and records when it was granted (on the fake clock). */
function track(rl: RateLimiter, time: FakeTime, estimate: TokenEstimate = { inputTokens: 0, outputTokens: 0 }, signal?: AbortSignal) {
  const state: { grantedAt?: number; ticket?: RateLimitTicket; error?: unknown } = {};
  const promise = rl.acquire(estimate, signal).then(
    (ticket) => {
      state.grantedAt = time.now();
      state.ticket = ticket;
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return Object.assign(state, { promise });
}

function headers(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => values[name];
}

describe("parseRateLimitHeaders", () => {
  it("reads every limit, remaining count and reset", () => {
    const reset = "2026-01-15T12:01:00Z";
    const all: Record<string, string> = {};
    for (const [kind, limit, remaining] of [
      ["requests", "50", "49"],
      ["input-tokens", "30000", "29000"],
      ["output-tokens", "8000", "7500"],
      ["tokens", "8000", "7500"],
    ] as const) {
      all[`anthropic-ratelimit-${kind}-limit`] = limit;
      all[`anthropic-ratelimit-${kind}-remaining`] = remaining;
      all[`anthropic-ratelimit-${kind}-reset`] = reset;
    }
    const at = Date.UTC(2026, 0, 15, 12, 1, 0);
    expect(parseRateLimitHeaders(headers(all), T0)).toEqual({
      observedAt: T0,
      requests: { limit: 50, remaining: 49, resetAt: at },
      inputTokens: { limit: 30_000, remaining: 29_000, resetAt: at },
      outputTokens: { limit: 8_000, remaining: 7_500, resetAt: at },
      tokens: { limit: 8_000, remaining: 7_500, resetAt: at },
    });
  });

  it("keeps what it can read of a partial set, with RFC 3339 offsets and fractions", () => {
    const snapshot = parseRateLimitHeaders(
      headers({
        "anthropic-ratelimit-requests-remaining": " 0 ",
        "anthropic-ratelimit-requests-reset": "2026-01-15T13:00:30.500+01:00",
        "anthropic-ratelimit-output-tokens-limit": "8000",
      }),
      T0,
    );
    expect(snapshot).toEqual({ observedAt: T0, requests: { remaining: 0, resetAt: Date.UTC(2026, 0, 15, 12, 0, 30, 500) }, outputTokens: { limit: 8_000 } });
  });

  it("leaves out garbled values, and is undefined when nothing is readable (local servers send no headers)", () => {
    expect(parseRateLimitHeaders(() => null, T0)).toBeUndefined();
    expect(parseRateLimitHeaders(headers({ "content-type": "text/event-stream" }), T0)).toBeUndefined();
    const garbled = {
      "anthropic-ratelimit-requests-limit": "-5",
      "anthropic-ratelimit-requests-remaining": "12abc",
      "anthropic-ratelimit-requests-reset": "tomorrow",
      "anthropic-ratelimit-input-tokens-limit": "1e3",
      "anthropic-ratelimit-input-tokens-remaining": "",
      "anthropic-ratelimit-input-tokens-reset": "1768478460",
      "anthropic-ratelimit-output-tokens-limit": "99999999999999999999",
      "anthropic-ratelimit-output-tokens-reset": "2026-13-45T99:99:00Z",
    };
    expect(parseRateLimitHeaders(headers(garbled), T0)).toBeUndefined();
    expect(parseRateLimitHeaders(headers({ ...garbled, "anthropic-ratelimit-tokens-remaining": "7" }), T0)).toEqual({ observedAt: T0, tokens: { remaining: 7 } });
  });
});

describe("RateLimiter: local budgets", () => {
  it("grants at once with no limits (a local server)", async () => {
    const time = new FakeTime();
    const rl = limiter(time);
    const calls = Array.from({ length: 20 }, () => track(rl, time, { inputTokens: 1e6, outputTokens: 1e6 }));
    await settled();
    expect(calls.every((c) => c.grantedAt === T0)).toBe(true);
    expect(rl.status()).toEqual({ remaining: {}, limits: {}, waiting: 0, inFlight: 20 });
    expect(time.pending).toBe(0);
  });

  it("keeps to requests per minute, refilling continuously", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 2 });
    const calls = Array.from({ length: 5 }, () => track(rl, time));
    await settled();
    expect(calls.map((c) => c.grantedAt)).toEqual([T0, T0, undefined, undefined, undefined]);
    expect(rl.status()).toMatchObject({ remaining: { requests: 0 }, waiting: 3, inFlight: 2, resumesAt: T0 + 30_000 });

    await time.advance(29_999);
    expect(calls[2]?.grantedAt).toBeUndefined();
    await time.advance(1);
    await time.advance(60_000);
    expect(calls.map((c) => c.grantedAt)).toEqual([T0, T0, T0 + 30_000, T0 + 60_000, T0 + 90_000]);
    expect(rl.status().waiting).toBe(0);
    expect(time.pending).toBe(0);
  });

  it("keeps to input and output tokens per minute", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000, outputTokensPerMinute: 600 });
    const a = track(rl, time, { inputTokens: 600, outputTokens: 300 });
    // Input: 400 left, 200 more needed at 1000/min = 12 s.
    const b = track(rl, time, { inputTokens: 600, outputTokens: 200 });
    const c = track(rl, time, { inputTokens: 0, outputTokens: 500 });
    await settled();
    expect(a.grantedAt).toBe(T0);
    await time.advance(11_999);
    expect(b.grantedAt).toBeUndefined();
    await time.advance(1);
    expect(b.grantedAt).toBe(T0 + 12_000);
    // Output: 300 + 12 s of refill at 600/min = 420, less b's 200 = 220; c needs 280 more = 28 s.
    await time.advance(27_999);
    expect(c.grantedAt).toBeUndefined();
    await time.advance(1);
    expect(c.grantedAt).toBe(T0 + 40_000);
  });

  it("settle gives back what a request did not use, and takes what it overspent", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000 });
    const a = track(rl, time, { inputTokens: 600, outputTokens: 0 });
    await settled();
    rl.settle(a.ticket!, { inputTokens: 100, outputTokens: 0 });
    expect(rl.status().remaining.inputTokens).toBe(900);
    const b = track(rl, time, { inputTokens: 200, outputTokens: 0 });
    await settled();
    rl.settle(b.ticket!, { inputTokens: 700, outputTokens: 0 });
    expect(rl.status().remaining.inputTokens).toBe(200);
    // A failed request's estimate stays spent; a second settle of the same ticket changes nothing.
    const c = track(rl, time, { inputTokens: 100, outputTokens: 0 });
    await settled();
    rl.settle(c.ticket!);
    rl.settle(c.ticket!, { inputTokens: 0, outputTokens: 0 });
    expect(rl.status()).toMatchObject({ remaining: { inputTokens: 100 }, inFlight: 0 });
  });

  it("serves callers in order: small requests do not overtake a large one", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000 });
    const first = track(rl, time, { inputTokens: 1_000, outputTokens: 0 });
    const large = track(rl, time, { inputTokens: 900, outputTokens: 0 });
    const small = Array.from({ length: 3 }, () => track(rl, time, { inputTokens: 100, outputTokens: 0 }));
    await settled();
    expect(first.grantedAt).toBe(T0);
    // At 6 s there is room for a small one, but the large one is first in line.
    await time.advance(6_000);
    expect(small.every((s) => s.grantedAt === undefined)).toBe(true);
    await time.advance(120_000);
    expect(large.grantedAt).toBe(T0 + 54_000);
    expect(small.map((s) => s.grantedAt)).toEqual([T0 + 60_000, T0 + 66_000, T0 + 72_000]);
  });

  it("lets a request larger than a whole minute's budget go when the budget is full", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000 });
    const a = track(rl, time, { inputTokens: 500, outputTokens: 0 });
    const huge = track(rl, time, { inputTokens: 5_000, outputTokens: 0 });
    await time.advance(60_000);
    expect(a.grantedAt).toBe(T0);
    expect(huge.grantedAt).toBe(T0 + 30_000);
    expect(rl.status().remaining.inputTokens).toBe(-3_500);
  });

  it("rejects a waiting caller whose signal aborts, and the next in line moves up", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000 });
    track(rl, time, { inputTokens: 1_000, outputTokens: 0 });
    const controller = new AbortController();
    const large = track(rl, time, { inputTokens: 900, outputTokens: 0 }, controller.signal);
    const small = track(rl, time, { inputTokens: 100, outputTokens: 0 });
    await time.advance(1_000);
    expect(rl.status()).toMatchObject({ waiting: 2, resumesAt: T0 + 54_000 });

    controller.abort();
    await settled();
    expect(large.error).toBeInstanceOf(LlmError);
    expect((large.error as LlmError).kind).toBe("aborted");
    expect(rl.status()).toMatchObject({ waiting: 1, resumesAt: T0 + 6_000 });
    await time.advance(5_000);
    expect(small.grantedAt).toBe(T0 + 6_000);
    expect(large.grantedAt).toBeUndefined();
    expect(time.pending).toBe(0);
  });

  it("rejects at once when the signal has already aborted", async () => {
    const time = new FakeTime();
    const rl = limiter(time);
    await expect(rl.acquire({ inputTokens: 1, outputTokens: 1 }, AbortSignal.abort())).rejects.toMatchObject({ kind: "aborted" });
  });
});

describe("RateLimiter: the server's view", () => {
  const snapshot = (requests: RateLimitSnapshot["requests"], rest: Partial<RateLimitSnapshot> = {}): RateLimitSnapshot => ({ observedAt: T0, requests, ...rest });

  it("a lower remaining count from the server makes callers wait until its reset, then refills to the server's limit", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 100 });
    rl.observe(snapshot({ limit: 3, remaining: 0, resetAt: T0 + 20_000 }));
    expect(rl.status()).toMatchObject({ remaining: { requests: 0 }, limits: { requests: 3 } });

    const calls = Array.from({ length: 5 }, () => track(rl, time));
    await settled();
    expect(rl.status()).toMatchObject({ waiting: 5, resumesAt: T0 + 20_000 });
    await time.advance(19_999);
    expect(calls.some((c) => c.grantedAt !== undefined)).toBe(false);
    await time.advance(1);
    // The server said 3 would be back by the reset; then the local refill of 3 a minute takes over.
    expect(calls.map((c) => c.grantedAt)).toEqual([T0 + 20_000, T0 + 20_000, T0 + 20_000, undefined, undefined]);
    await time.advance(40_000);
    expect(calls.map((c) => c.grantedAt)).toEqual([T0 + 20_000, T0 + 20_000, T0 + 20_000, T0 + 40_000, T0 + 60_000]);
  });

  it("a higher remaining count also replaces the local estimate, and learns limits nobody configured", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { inputTokensPerMinute: 1_000 });
    track(rl, time, { inputTokens: 1_000, outputTokens: 0 });
    await settled();
    rl.observe({ observedAt: T0, inputTokens: { limit: 40_000, remaining: 39_000, resetAt: T0 + 1_500 }, outputTokens: { limit: 8_000 } });
    expect(rl.status()).toMatchObject({ remaining: { inputTokens: 39_000, outputTokens: 8_000 }, limits: { inputTokens: 40_000, outputTokens: 8_000 } });
  });

  it("counts requests still in flight against the server's remaining count, all but the one reporting", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 10 });
    for (let i = 0; i < 3; i++) track(rl, time);
    await settled();
    rl.observe(snapshot({ limit: 10, remaining: 5, resetAt: T0 + 60_000 }));
    expect(rl.status().remaining.requests).toBe(3);
  });

  it("ignores a remaining count whose reset has passed, and never holds longer than a minute", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 10 });
    rl.observe(snapshot({ limit: 10, remaining: 0, resetAt: T0 - 1 }));
    expect(rl.status().remaining.requests).toBe(10);
    rl.observe(snapshot({ remaining: 0, resetAt: T0 + 3_600_000 }));
    const call = track(rl, time);
    await time.advance(120_000);
    expect(call.grantedAt).toBe(T0 + 60_000);
  });

  it("a 429 holds every caller until the retry-after has passed", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 100 });
    rl.onRateLimited(15_000);
    const calls = Array.from({ length: 3 }, () => track(rl, time));
    await settled();
    expect(rl.status()).toMatchObject({ blockedUntil: T0 + 15_000, resumesAt: T0 + 15_000, waiting: 3 });
    await time.advance(14_999);
    expect(calls.some((c) => c.grantedAt !== undefined)).toBe(false);
    await time.advance(1);
    expect(calls.map((c) => c.grantedAt)).toEqual([T0 + 15_000, T0 + 15_000, T0 + 15_000]);
    expect(rl.status().blockedUntil).toBeUndefined();

    rl.onRateLimited();
    expect(rl.status().blockedUntil).toBe(T0 + 15_000 + DEFAULT_RETRY_AFTER_MS);
  });
});

describe("rateLimited", () => {
  const request = (overrides: Partial<LlmRequest> = {}): LlmRequest => ({
    model: "m",
    system: [{ text: "x".repeat(400) }],
    messages: [{ role: "user", content: [{ text: "y".repeat(399) }] }],
    maxTokens: 500,
    ...overrides,
  });
  const reply = (usage: Partial<LlmResponse["usage"]> = {}): LlmResponse => ({
    text: "ok",
    stopReason: "end_turn",
    model: "m",
    usage: { inputTokens: 10, outputTokens: 20, cacheCreationInputTokens: 30, cacheReadInputTokens: 1_000, ...usage },
  });

  it("estimates characters / 4 of everything sent, and maxTokens for output", () => {
    expect(estimateRequest(request())).toEqual({ inputTokens: 200, outputTokens: 500 });
    const tool = { name: "t", description: "d", inputSchema: { type: "object" } };
    expect(estimateRequest(request({ tool })).inputTokens).toBe(Math.ceil((799 + 2 + JSON.stringify(tool.inputSchema).length) / 4));
  });

  it("acquires before each call and settles with the usage counted as the API counts it", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 10, inputTokensPerMinute: 1_000, outputTokensPerMinute: 1_000 });
    const seen: number[] = [];
    const inner: Llm = {
      complete: () => {
        seen.push(rl.status().inFlight);
        return Promise.resolve(reply());
      },
    };
    await rateLimited(inner, rl).complete(request());
    expect(seen).toEqual([1]);
    // Cache reads are free; the cache write counts as input.
    expect(rl.status()).toMatchObject({ remaining: { requests: 9, inputTokens: 960, outputTokens: 980 }, inFlight: 0 });
  });

  it("on a 429 holds every caller of the limiter and rethrows; other failures only release the slot", async () => {
    const time = new FakeTime();
    const rl = limiter(time);
    let fail: LlmError | undefined = new LlmError("rate_limited", "429", { retryAfterMs: 10_000 });
    const inner: Llm = {
      complete: () => {
        const error = fail;
        fail = undefined;
        return error ? Promise.reject(error) : Promise.resolve(reply());
      },
    };
    const llm = rateLimited(inner, rl);
    await expect(llm.complete(request())).rejects.toMatchObject({ kind: "rate_limited" });
    expect(rl.status()).toMatchObject({ blockedUntil: T0 + 10_000, inFlight: 0 });

    const others = [llm.complete(request()), llm.complete(request())];
    let done = 0;
    for (const other of others) void other.then(() => (done += 1));
    await time.advance(9_999);
    expect(done).toBe(0);
    await time.advance(1);
    expect(done).toBe(2);

    fail = new LlmError("server", "500");
    await expect(llm.complete(request())).rejects.toMatchObject({ kind: "server" });
    expect(rl.status()).toMatchObject({ inFlight: 0 });
    expect(rl.status().blockedUntil).toBeUndefined();
  });

  it("cancels a caller still waiting for its turn", async () => {
    const time = new FakeTime();
    const rl = limiter(time, { requestsPerMinute: 1 });
    const llm = rateLimited({ complete: () => Promise.resolve(reply()) }, rl);
    await llm.complete(request());
    const controller = new AbortController();
    const waiting = llm.complete(request({ signal: controller.signal }));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: "aborted" });
  });
});

describe("end to end: AnthropicLlm against the fake server", () => {
  let server: FakeAnthropic | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(time: FakeTime, rateLimits: FakeAnthropicOptions["rateLimits"]): Promise<FakeAnthropic> {
    server = await startFakeAnthropic({ now: time.now, rateLimits });
    return server;
  }

  const ask = (text: string): LlmRequest => ({ model: "claude-sonnet-4-6", system: [], messages: [{ role: "user", content: [{ text }] }], maxTokens: 100 });

  it("reports the rate-limit headers of every response, a 429's included", async () => {
    const time = new FakeTime(T0 + 30_000);
    const fake = await start(time, { requestsPerMinute: 50, inputTokensPerMinute: 40_000, outputTokensPerMinute: 8_000 });
    const snapshots: RateLimitSnapshot[] = [];
    const llm = new AnthropicLlm({ apiKey: "sk-test", baseURL: fake.url, maxRetries: 0, onRateLimit: (s) => snapshots.push(s) });

    await llm.complete(ask("Hello"));
    expect(snapshots).toHaveLength(1);
    const reset = T0 + 60_000;
    expect(snapshots[0]).toMatchObject({
      requests: { limit: 50, remaining: 49, resetAt: reset },
      inputTokens: { limit: 40_000, resetAt: reset },
      outputTokens: { limit: 8_000, remaining: 8_000, resetAt: reset },
    });

    fake.inject({ kind: "rate_limit", retryAfterSeconds: 7 });
    const rl = limiter(time);
    const error = await rateLimited(llm, rl)
      .complete(ask("Again"))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "rate_limited", details: { retryAfterMs: 7_000 } });
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]?.requests).toMatchObject({ limit: 50, remaining: 0 });
    expect(rl.status().blockedUntil).toBe(time.now() + 7_000);
  });

  it("hands back an onRateLimit that throws, unchanged", async () => {
    const fake = await start(new FakeTime(), undefined);
    const bug = new Error("display bug");
    const llm = new AnthropicLlm({
      apiKey: "sk-test",
      baseURL: fake.url,
      maxRetries: 0,
      onRateLimit: () => {
        throw bug;
      },
    });
    await expect(llm.complete(ask("Hello"))).rejects.toBe(bug);
  });

  /**
   * Runs `work`, moving the shared clock to the next sleep only while no request is in flight: requests take
   * no time on the clock, so the server's one-minute windows are exactly what the test says they are.
   */
  async function drive<T>(work: Promise<T>, time: FakeTime, inFlight: () => number): Promise<T> {
    let done = false;
    const finish = (): void => {
      done = true;
    };
    work.then(finish, finish);
    while (!done) {
      await settled();
      if (inFlight() === 0 && !done) time.fireNext();
    }
    return work;
  }

  function counting(llm: Llm): Llm & { inFlight: number } {
    const counter = {
      inFlight: 0,
      async complete(request: LlmRequest): Promise<LlmResponse> {
        counter.inFlight += 1;
        try {
          return await llm.complete(request);
        } finally {
          counter.inFlight -= 1;
        }
      },
    };
    return counter;
  }

  const LIMITS = { requestsPerMinute: 2, inputTokensPerMinute: 1_000_000, outputTokensPerMinute: 1_000_000, enforce: true };

  it("without a limiter, concurrent callers run into the server's requests-per-minute limit", async () => {
    const time = new FakeTime();
    const fake = await start(time, LIMITS);
    const llm = new AnthropicLlm({ apiKey: "sk-test", baseURL: fake.url, maxRetries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => llm.complete(ask(`Caller ${i}`))));
    expect(results.filter((r) => r.status === "rejected").map((r) => (r.reason as LlmError).kind)).toEqual(["rate_limited", "rate_limited", "rate_limited"]);
  });

  it("with the limiter learning the server's limits, concurrent callers stay within them and none gets a 429", async () => {
    const time = new FakeTime();
    const fake = await start(time, LIMITS);
    // Nothing configured: everything the limiter knows comes from the headers.
    const rl = limiter(time);
    const snapshots: RateLimitSnapshot[] = [];
    const anthropic = new AnthropicLlm({
      apiKey: "sk-test",
      baseURL: fake.url,
      maxRetries: 0,
      onRateLimit: (snapshot) => {
        snapshots.push(snapshot);
        rl.observe(snapshot);
      },
    });
    const inner = counting(anthropic);
    const llm = rateLimited(inner, rl);

    await llm.complete(ask("Warm-up"));
    expect(rl.status()).toMatchObject({ limits: { requests: 2 }, remaining: { requests: 1 } });

    const callers = 5;
    const replies = await drive(Promise.all(Array.from({ length: callers }, (_, i) => llm.complete(ask(`Caller ${i}`)))), time, () => inner.inFlight);

    expect(replies).toHaveLength(callers);
    // Every request the server saw was answered (a 429 would be one more request).
    expect(fake.requests).toHaveLength(callers + 1);
    const perMinute = new Map<number, number>();
    for (const r of fake.requests) perMinute.set(Math.floor(r.receivedAt / 60_000), (perMinute.get(Math.floor(r.receivedAt / 60_000)) ?? 0) + 1);
    expect([...perMinute.values()]).toEqual([2, 2, 2]);
    expect(snapshots).toHaveLength(callers + 1);
    expect(snapshots.every((s) => s.requests?.limit === 2)).toBe(true);
    expect(rl.status()).toMatchObject({ waiting: 0, inFlight: 0 });
  });
});
