import { describe, expect, it } from "vitest";
import { LlmError, type LlmErrorKind } from "./llm";
import { retryDelayMs, withRetries, type RetryInfo, type RetryPolicy } from "./retry";

/** A policy whose sleep records the waits and returns at once; random is a fixed sequence. */
function policy(overrides: Partial<RetryPolicy> = {}, randoms: number[] = [0.5]) {
  const waits: number[] = [];
  const retries: RetryInfo[] = [];
  let i = 0;
  const p: RetryPolicy = {
    maxAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => randoms[i++ % randoms.length] ?? 0,
    onRetry: (info) => retries.push(info),
    ...overrides,
  };
  return { p, waits, retries };
}

/** An attempt function that throws the given errors in turn, then returns "ok". */
function failing(...errors: LlmError[]) {
  const calls: number[] = [];
  const attempt = (n: number) => {
    calls.push(n);
    const error = errors[n - 1];
    return error ? Promise.reject(error) : Promise.resolve(`ok after ${n}`);
  };
  return { attempt, calls };
}

const err = (kind: LlmErrorKind, details: LlmError["details"] = {}) => new LlmError(kind, kind, details);

describe("withRetries", () => {
  it("returns the first success without waiting", async () => {
    const { p, waits } = policy();
    const { attempt, calls } = failing();
    await expect(withRetries(attempt, p)).resolves.toBe("ok after 1");
    expect(calls).toEqual([1]);
    expect(waits).toEqual([]);
  });

  it("waits exactly the server's retryAfterMs on a rate limit", async () => {
    const { p, waits, retries } = policy();
    const { attempt, calls } = failing(err("rate_limited", { retryAfterMs: 12_345 }), err("rate_limited", { retryAfterMs: 40_000 }));
    await expect(withRetries(attempt, p)).resolves.toBe("ok after 3");
    expect(calls).toEqual([1, 2, 3]);
    // Not capped by maxDelayMs (30 s) and not jittered: the server said when.
    expect(waits).toEqual([12_345, 40_000]);
    expect(retries.map((r) => [r.attempt, r.error.kind, r.delayMs])).toEqual([
      [1, "rate_limited", 12_345],
      [2, "rate_limited", 40_000],
    ]);
  });

  it("backs off on a rate limit without retryAfterMs", async () => {
    const { p, waits } = policy({}, [0.25]);
    const { attempt } = failing(err("rate_limited"));
    await withRetries(attempt, p);
    expect(waits).toEqual([250]);
  });

  it.each(["overloaded", "server", "stream_cut"] as const)("backs off exponentially with full jitter on %s", async (kind) => {
    const { p, waits } = policy({ maxAttempts: 7, baseDelayMs: 1000, maxDelayMs: 10_000 }, [0.5, 0.5, 0.5, 0.5, 0.999, 0]);
    const { attempt, calls } = failing(err(kind), err(kind), err(kind), err(kind), err(kind), err(kind));
    await expect(withRetries(attempt, p)).resolves.toBe("ok after 7");
    expect(calls).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Ceilings 1000, 2000, 4000, 8000, then capped at 10 000; the wait is random() x ceiling, floored.
    expect(waits).toEqual([500, 1000, 2000, 4000, 9990, 0]);
  });

  it("retries a cut stream from the start, never returning the partial text", async () => {
    const { p } = policy();
    const seen: string[] = [];
    const result = await withRetries(async (n) => {
      if (n === 1) {
        seen.push("half a chap");
        throw err("stream_cut");
      }
      seen.push("whole chapter");
      return "whole chapter";
    }, p);
    expect(result).toBe("whole chapter");
    expect(seen).toEqual(["half a chap", "whole chapter"]);
  });

  it.each(["spend_limit", "auth", "invalid_request", "refusal", "context_window", "aborted", "invalid_output"] as const)(
    "never retries %s",
    async (kind) => {
      const { p, waits, retries } = policy();
      const error = err(kind);
      const { attempt, calls } = failing(error);
      await expect(withRetries(attempt, p)).rejects.toBe(error);
      expect(calls).toEqual([1]);
      expect(waits).toEqual([]);
      expect(retries).toEqual([]);
    },
  );

  it("never retries an error that is not an LlmError (a bug, not the network)", async () => {
    const { p } = policy();
    const bug = new TypeError("x is undefined");
    let calls = 0;
    await expect(
      withRetries(() => {
        calls++;
        return Promise.reject(bug);
      }, p),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const { p, waits } = policy({ maxAttempts: 3 }, [1 - 2 ** -20]);
    const last = err("overloaded");
    const { attempt, calls } = failing(err("server"), err("stream_cut"), last, err("server"));
    await expect(withRetries(attempt, p)).rejects.toBe(last);
    expect(calls).toEqual([1, 2, 3]);
    expect(waits).toEqual([999, 1999]);
  });

  it("stops before the first attempt when already cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const { p } = policy({ signal: controller.signal });
    const { attempt, calls } = failing();
    await expect(withRetries(attempt, p)).rejects.toMatchObject({ kind: "aborted" });
    expect(calls).toEqual([]);
  });

  it("stops waiting when cancelled during the wait", async () => {
    const controller = new AbortController();
    const { p } = policy({
      signal: controller.signal,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener("abort", () => reject(new Error("sleep aborted")));
          controller.abort();
        }),
    });
    const { attempt, calls } = failing(err("overloaded"));
    await expect(withRetries(attempt, p)).rejects.toMatchObject({ kind: "aborted" });
    expect(calls).toEqual([1]);
  });

  it("does not retry when cancelled while the attempt failed", async () => {
    const controller = new AbortController();
    const { p, waits } = policy({ signal: controller.signal });
    let calls = 0;
    await expect(
      withRetries(() => {
        calls++;
        controller.abort();
        return Promise.reject(err("stream_cut"));
      }, p),
    ).rejects.toMatchObject({ kind: "aborted" });
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it("treats maxAttempts below 1 as one attempt", async () => {
    const { p } = policy({ maxAttempts: 0 });
    const { attempt, calls } = failing(err("server"));
    await expect(withRetries(attempt, p)).rejects.toMatchObject({ kind: "server" });
    expect(calls).toEqual([1]);
  });
});

describe("retryDelayMs", () => {
  it("ignores a retryAfterMs on other kinds and a nonsense one on rate limits", () => {
    const p = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 };
    expect(retryDelayMs(err("overloaded", { retryAfterMs: 5000 }), 1, p)).toBe(50);
    expect(retryDelayMs(err("rate_limited", { retryAfterMs: Number.NaN }), 2, p)).toBe(100);
    expect(retryDelayMs(err("rate_limited", { retryAfterMs: -1 }), 1, p)).toBe(50);
    expect(retryDelayMs(err("rate_limited", { retryAfterMs: 0 }), 1, p)).toBe(0);
  });
});
