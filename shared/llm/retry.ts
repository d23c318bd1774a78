/**
 * Job-level retries, on top of the SDK's own.
 *
 * The SDK retries a request a couple of times within seconds (and only before the reply starts streaming).
 * A chapter job needs more: a stream that dies halfway is retried from the start, a long rate-limit wait is
 * honoured to the millisecond, and errors that no wait can fix (spend limit, bad key, refusal, a prompt too
 * large for the model) end the job at once, so the queue can tell the writer instead of burning attempts.
 * `spend_limit` in particular is the queue's signal to pause all work until the writer raises the limit.
 *
 * Sleep and randomness are injected so that tests assert exact waits without waiting.
 */
import { LlmError, type Llm } from "./llm";

export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number;
  error: LlmError;
  /** How long we wait before the next attempt. */
  delayMs: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retries). */
  maxAttempts: number;
  /** The backoff ceiling for the first retry; doubles with each further retry up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Resolves after `ms`; should reject (or resolve early) when `signal` aborts. Injected, not built in:
   * the plugin needs `window.setTimeout` (popout windows) and the CLI has no window.
   */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1), like Math.random. */
  random: () => number;
  /** Told before each wait, e.g. to show "rate limited, retrying in 20 s" or to discard streamed text. */
  onRetry?: (info: RetryInfo) => void;
  /** Stops waiting and retrying: the job was cancelled. */
  signal?: AbortSignal;
}

/**
 * Runs `attempt(1)`, `attempt(2)`, … until one succeeds, an error is not worth retrying, or `maxAttempts`
 * is reached (then the last error is thrown). Waits: `rate_limited` exactly `retryAfterMs` when the server
 * said (backoff otherwise); `overloaded`, `server`, `stream_cut` exponential backoff with full jitter
 * (a uniformly random wait up to the ceiling, so many writers' jobs do not retry in lockstep). Every other
 * kind, and any error that is not an LlmError, is rethrown at once.
 *
 * A stream cut retries the whole request: the attempt throws instead of returning the partial text, so a
 * half-written chapter can never come back as the result.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let n = 1; ; n++) {
    throwIfAborted(policy.signal);
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof LlmError) || !error.retryable || n >= maxAttempts) throw error;
      // A cancelled job whose request failed on the way out is cancelled, not failed.
      throwIfAborted(policy.signal);
      const delayMs = retryDelayMs(error, n, policy);
      policy.onRetry?.({ attempt: n, error, delayMs });
      try {
        await policy.sleep(delayMs, policy.signal);
      } catch (sleepError) {
        throwIfAborted(policy.signal);
        throw sleepError;
      }
    }
  }
}

/**
 * The wait after failed attempt `n` (from 1): the server's `retryAfterMs` for a rate limit when given,
 * otherwise `random() × min(maxDelayMs, baseDelayMs × 2^(n-1))`, rounded down to whole milliseconds.
 */
export function retryDelayMs(error: LlmError, n: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">): number {
  const retryAfter = error.details.retryAfterMs;
  if (error.kind === "rate_limited" && retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
    return retryAfter;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * `llm` with every `complete` call retried under `policy` (cancelled by the request's own signal). For
 * multi-call work such as continuations and repairs, so that one failed call is retried alone. A retried
 * stream starts again from its first character: `onRetry` is the moment to clear streamed text.
 */
export function retrying(llm: Llm, policy: Omit<RetryPolicy, "signal">): Llm {
  return {
    complete: (request) => withRetries(() => llm.complete(request), { ...policy, signal: request.signal }),
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LlmError("aborted", "Cancelled.");
}
