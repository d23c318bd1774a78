/**
 * One rate limiter for every model request the process makes, adapting to what the server says.
 *
 * An account's limits (requests, input tokens and output tokens per minute) are shared by every job, so
 * pacing has to happen in one place: jobs that each back off on their own still collide, and a 429 for one
 * of them means the next request from any of them will get one too. The limiter starts from configured
 * per-minute budgets (or none: a local server has no limits), refilled continuously as the API's token
 * buckets are, and replaces them with the server's own numbers whenever a response carries the
 * `anthropic-ratelimit-*` headers.
 *
 * Waiting is first come, first served: a chapter request that needs most of a minute's input budget would
 * otherwise never go while small requests keep spending the budget as it refills.
 *
 * No timers of its own: `now` and `sleep` are injected (the plugin passes `window.setTimeout`, tests a fake
 * clock), and nothing runs unless somebody is waiting.
 */
import { LlmError, type Llm, type LlmRequest } from "./llm";

/** One limit as the server reported it; a field is absent when its header was missing or unreadable. */
export interface RateLimitWindow {
  limit?: number;
  remaining?: number;
  /** When the budget is whole again (epoch ms). */
  resetAt?: number;
}

export interface RateLimitSnapshot {
  /** The `now` the headers were read at (epoch ms). */
  observedAt: number;
  requests?: RateLimitWindow;
  inputTokens?: RateLimitWindow;
  outputTokens?: RateLimitWindow;
  /** The most restrictive token limit at the moment (the API's combined headers): for display only. */
  tokens?: RateLimitWindow;
}

const HEADER_KINDS = {
  requests: "requests",
  inputTokens: "input-tokens",
  outputTokens: "output-tokens",
  tokens: "tokens",
} as const;

/**
 * The `anthropic-ratelimit-{requests,input-tokens,output-tokens,tokens}-{limit,remaining,reset}` headers,
 * read through `get` (e.g. `(name) => headers.get(name)`). Unreadable values are left out rather than
 * guessed; undefined when nothing was readable (local servers send none of these headers).
 */
export function parseRateLimitHeaders(get: (name: string) => string | null | undefined, now: number): RateLimitSnapshot | undefined {
  const snapshot: RateLimitSnapshot = { observedAt: now };
  let found = false;
  for (const [key, kind] of Object.entries(HEADER_KINDS) as [keyof typeof HEADER_KINDS, string][]) {
    const read: RateLimitWindow = {};
    const limit = count(get(`anthropic-ratelimit-${kind}-limit`));
    const remaining = count(get(`anthropic-ratelimit-${kind}-remaining`));
    const resetAt = time(get(`anthropic-ratelimit-${kind}-reset`));
    if (limit !== undefined) read.limit = limit;
    if (remaining !== undefined) read.remaining = remaining;
    if (resetAt !== undefined) read.resetAt = resetAt;
    if (Object.keys(read).length > 0) {
      snapshot[key] = read;
      found = true;
    }
  }
  return found ? snapshot : undefined;
}

function count(value: string | null | undefined): number | undefined {
  const text = value?.trim() ?? "";
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** RFC 3339 only: `Date.parse` also accepts bare numbers and loose English dates, which would be guesses here. */
function time(value: string | null | undefined): number | undefined {
  const text = value?.trim() ?? "";
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** What one request is expected to spend. */
export interface TokenEstimate {
  inputTokens: number;
  outputTokens: number;
}

/** A granted request's claim on the budget, handed back to `settle` when the request is over. */
export interface RateLimitTicket extends TokenEstimate {
  readonly grantedAt: number;
}

export interface RateLimiterOptions {
  /** Starting budgets, until the server reports its own; absent or not positive: no limit. */
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  outputTokensPerMinute?: number;
  now: () => number;
  /** Resolves after `ms`; may resolve or reject early when `signal` aborts (the limiter reschedules). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type Dimension = "requests" | "inputTokens" | "outputTokens";
const DIMENSIONS: readonly Dimension[] = ["requests", "inputTokens", "outputTokens"];
type PerDimension<T> = { [D in Dimension]?: T };

export interface RateLimitStatus {
  /** Budget left now, where a limit is known; below zero after a request larger than a minute's budget. */
  remaining: PerDimension<number>;
  limits: PerDimension<number>;
  /** Callers queued in `acquire`. */
  waiting: number;
  /** Granted and not yet settled. */
  inFlight: number;
  /** While a 429 holds every caller back: when they may go again. */
  blockedUntil?: number;
  /** When the first waiting caller is expected to go (absent when nobody waits). */
  resumesAt?: number;
}

const MINUTE_MS = 60_000;
/** When a 429 names no wait: a per-minute budget is whole again within a minute. */
export const DEFAULT_RETRY_AFTER_MS = MINUTE_MS;
/** Float rounding in the refill must not cost an extra millisecond's sleep. */
const EPSILON = 1e-6;

interface Budget {
  /** Per minute; undefined: unlimited unless the server's remaining count is being held. */
  limit: number | undefined;
  /** Spendable now; may go below zero. */
  level: number;
  /** The time `level` was last refilled to. */
  updatedAt: number;
  /** Until then the server's remaining count stands and does not refill (see observe). */
  heldUntil: number | undefined;
  /** Added to `level` when the hold ends: what the server said would have refilled by then. */
  refillAtRelease: number;
  /** Bumped by each observation; a ticket from an earlier one is already in the server's count. */
  epoch: number;
}

interface Waiter {
  estimate: TokenEstimate;
  resolve: (ticket: RateLimitTicket) => void;
  reject: (error: LlmError) => void;
  detach: () => void;
}

export class RateLimiter {
  private readonly now: () => number;
  private readonly sleep: RateLimiterOptions["sleep"];
  private readonly budgets: Record<Dimension, Budget>;
  private readonly queue: Waiter[] = [];
  private readonly inFlight = new Map<RateLimitTicket, Record<Dimension, number>>();
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private timer: { at: number; controller: AbortController } | undefined;

  constructor(options: RateLimiterOptions) {
    this.now = options.now;
    this.sleep = options.sleep;
    const start = this.now();
    const budget = (perMinute: number | undefined): Budget => {
      const limit = perMinute !== undefined && Number.isFinite(perMinute) && perMinute > 0 ? perMinute : undefined;
      return { limit, level: limit ?? 0, updatedAt: start, heldUntil: undefined, refillAtRelease: 0, epoch: 0 };
    };
    this.budgets = {
      requests: budget(options.requestsPerMinute),
      inputTokens: budget(options.inputTokensPerMinute),
      outputTokens: budget(options.outputTokensPerMinute),
    };
  }

  /**
   * Resolves when a request of this size fits the budget and every earlier caller has gone; the budget is
   * spent from then until `settle`. Rejects with an LlmError "aborted" if `signal` aborts first.
   */
  acquire(estimate: TokenEstimate, signal?: AbortSignal): Promise<RateLimitTicket> {
    if (signal?.aborted) return Promise.reject(cancelled());
    const clean = { inputTokens: nonNegative(estimate.inputTokens), outputTokens: nonNegative(estimate.outputTokens) };
    return new Promise<RateLimitTicket>((resolve, reject) => {
      const waiter: Waiter = { estimate: clean, resolve, reject, detach: () => undefined };
      if (signal) {
        const onAbort = (): void => {
          const at = this.queue.indexOf(waiter);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(cancelled());
          // The head may have changed, and with it the time to wake.
          this.drain();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.detach = () => signal.removeEventListener("abort", onAbort);
      }
      this.queue.push(waiter);
      this.drain();
    });
  }

  /**
   * The request is over. With its real usage (input counted as the API counts it: uncached input plus cache
   * writes), the difference from the estimate goes back into the budget, or comes out of it. Without usage
   * (the request failed) the estimate stays spent, since the server may have counted it.
   */
  settle(ticket: RateLimitTicket, usage?: TokenEstimate): void {
    const epochs = this.inFlight.get(ticket);
    if (!epochs) return;
    this.inFlight.delete(ticket);
    if (!usage) return;
    const now = this.now();
    const actual: Record<Dimension, number> = { requests: 1, inputTokens: nonNegative(usage.inputTokens), outputTokens: nonNegative(usage.outputTokens) };
    const estimated = needs(ticket);
    for (const d of DIMENSIONS) {
      const budget = this.budgets[d];
      // After an observation the server's count already includes this request, as it really was.
      if (epochs[d] !== budget.epoch || !limited(budget)) continue;
      refill(budget, now);
      budget.level = capped(budget, budget.level + estimated[d] - actual[d]);
    }
    this.drain();
  }

  /**
   * Adopts the server's view. Its limits replace ours; its remaining counts replace our estimate until the
   * reset time (no refill before then, which suits both the API's buckets and fixed per-minute windows),
   * less what is still in flight and may not have reached the server yet.
   */
  observe(snapshot: RateLimitSnapshot): void {
    const now = this.now();
    for (const d of DIMENSIONS) {
      const reported = snapshot[d];
      if (!reported) continue;
      const budget = this.budgets[d];
      refill(budget, now);
      if (reported.limit !== undefined && reported.limit > 0) {
        if (!limited(budget)) {
          budget.level = reported.limit - this.pending(d, false);
          budget.updatedAt = now;
        }
        budget.limit = reported.limit;
        budget.level = capped(budget, budget.level);
      }
      // A reset already past says nothing about now; without a reset we could not tell when it refills.
      if (reported.remaining !== undefined && reported.resetAt !== undefined && reported.resetAt > now) {
        budget.level = capped(budget, reported.remaining - this.pending(d, true));
        // A per-minute budget is whole within a minute whatever the header says, so clock skew or a
        // garbled date cannot hold everyone for longer.
        budget.heldUntil = Math.min(reported.resetAt, now + MINUTE_MS);
        budget.refillAtRelease = budget.limit !== undefined ? Math.max(0, budget.limit - reported.remaining) : 0;
        budget.updatedAt = now;
        budget.epoch += 1;
      }
    }
    this.drain();
  }

  /** A 429: nobody goes until the server's wait is over (default {@link DEFAULT_RETRY_AFTER_MS}). */
  onRateLimited(retryAfterMs?: number): void {
    const wait = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? retryAfterMs : DEFAULT_RETRY_AFTER_MS;
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + wait);
    this.drain();
  }

  status(): RateLimitStatus {
    const now = this.now();
    const remaining: PerDimension<number> = {};
    const limits: PerDimension<number> = {};
    for (const d of DIMENSIONS) {
      const budget = this.budgets[d];
      refill(budget, now);
      if (limited(budget)) remaining[d] = Math.floor(budget.level + EPSILON);
      if (budget.limit !== undefined) limits[d] = budget.limit;
    }
    const status: RateLimitStatus = { remaining, limits, waiting: this.queue.length, inFlight: this.inFlight.size };
    if (this.blockedUntil > now) status.blockedUntil = this.blockedUntil;
    const head = this.queue[0];
    if (head) status.resumesAt = now + this.waitMs(head.estimate, now);
    return status;
  }

  /** Grants every caller at the front of the queue that fits now, then sleeps until the next one will. */
  private drain(): void {
    const now = this.now();
    for (const budget of Object.values(this.budgets)) refill(budget, now);
    let head = this.queue[0];
    while (head && this.waitMs(head.estimate, now) <= 0) {
      this.queue.shift();
      head.detach();
      head.resolve(this.grant(head.estimate, now));
      head = this.queue[0];
    }
    if (!head) {
      this.timer?.controller.abort();
      this.timer = undefined;
      return;
    }
    const at = now + Math.max(1, Math.ceil(this.waitMs(head.estimate, now)));
    // An earlier wake-up only means one more look at the queue.
    if (this.timer && this.timer.at <= at) return;
    this.timer?.controller.abort();
    const timer = { at, controller: new AbortController() };
    this.timer = timer;
    const wake = (): void => {
      if (this.timer !== timer) return;
      this.timer = undefined;
      this.drain();
    };
    this.sleep(at - now, timer.controller.signal).then(wake, wake);
  }

  private grant(estimate: TokenEstimate, now: number): RateLimitTicket {
    const ticket: RateLimitTicket = { ...estimate, grantedAt: now };
    const need = needs(ticket);
    const epochs = { requests: 0, inputTokens: 0, outputTokens: 0 };
    for (const d of DIMENSIONS) {
      const budget = this.budgets[d];
      epochs[d] = budget.epoch;
      if (limited(budget)) budget.level -= need[d];
    }
    this.inFlight.set(ticket, epochs);
    return ticket;
  }

  /** Milliseconds until `estimate` fits (0: now), before fairness is considered. */
  private waitMs(estimate: TokenEstimate, now: number): number {
    let wait = Math.max(0, this.blockedUntil - now);
    const need = needs(estimate);
    for (const d of DIMENSIONS) wait = Math.max(wait, untilFits(this.budgets[d], need[d], now));
    return wait;
  }

  /**
   * What is in flight in this dimension. When `exceptOne`, the smallest claim is left out: an observation
   * usually comes with the response of one of them, which the server has counted already; assuming it was
   * the smallest errs on the side of waiting.
   */
  private pending(d: Dimension, exceptOne: boolean): number {
    const claims = [...this.inFlight.keys()].map((ticket) => needs(ticket)[d]);
    const total = claims.reduce((sum, n) => sum + n, 0);
    return exceptOne && claims.length > 0 ? total - Math.min(...claims) : total;
  }
}

function needs(estimate: TokenEstimate): Record<Dimension, number> {
  return { requests: 1, inputTokens: estimate.inputTokens, outputTokens: estimate.outputTokens };
}

function limited(budget: Budget): boolean {
  return budget.limit !== undefined || budget.heldUntil !== undefined;
}

function capped(budget: Budget, level: number): number {
  return budget.limit !== undefined ? Math.min(budget.limit, level) : level;
}

/** Brings `level` up to `now`: the held count until its reset, then a continuous refill of limit per minute. */
function refill(budget: Budget, now: number): void {
  if (budget.heldUntil !== undefined) {
    if (now < budget.heldUntil) return;
    budget.level = capped(budget, budget.level + budget.refillAtRelease);
    budget.updatedAt = budget.heldUntil;
    budget.heldUntil = undefined;
    budget.refillAtRelease = 0;
  }
  if (budget.limit === undefined) {
    budget.updatedAt = now;
    return;
  }
  if (now > budget.updatedAt) {
    budget.level = Math.min(budget.limit, budget.level + ((now - budget.updatedAt) * budget.limit) / MINUTE_MS);
    budget.updatedAt = now;
  }
}

/** Milliseconds until `level` covers `need`. A request larger than the whole limit goes when the budget is full, rather than never. */
function untilFits(budget: Budget, need: number, now: number): number {
  if (!limited(budget)) return 0;
  const target = budget.limit !== undefined ? Math.min(need, budget.limit) : need;
  if (budget.level + EPSILON >= target) return 0;
  let wait = 0;
  let level = budget.level;
  if (budget.heldUntil !== undefined) {
    wait = budget.heldUntil - now;
    if (budget.limit === undefined) return wait;
    level = Math.min(budget.limit, level + budget.refillAtRelease);
    if (level + EPSILON >= target) return wait;
  }
  if (budget.limit === undefined) return 0;
  return wait + ((target - level) * MINUTE_MS) / budget.limit;
}

function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function cancelled(): LlmError {
  return new LlmError("aborted", "Cancelled.");
}

/**
 * Characters / 4 of everything sent (the tool schema is sent too) for input, and `maxTokens` for output,
 * which is also what the API reserves against the output limit when a request starts.
 */
export function estimateRequest(request: LlmRequest): TokenEstimate {
  let chars = 0;
  for (const block of request.system) chars += block.text.length;
  for (const message of request.messages) for (const block of message.content) chars += block.text.length;
  if (request.tool) chars += request.tool.name.length + request.tool.description.length + JSON.stringify(request.tool.inputSchema).length;
  return { inputTokens: Math.ceil(chars / 4), outputTokens: request.maxTokens };
}

/**
 * `llm` with each call paced by `limiter`: it waits its turn, settles with the real usage, and a 429 holds
 * every caller of the limiter, not only this one. Put retries outside (`retrying(rateLimited(…))`) so that
 * each attempt waits its turn too.
 */
export function rateLimited(llm: Llm, limiter: RateLimiter, estimate: (request: LlmRequest) => TokenEstimate = estimateRequest): Llm {
  return {
    async complete(request) {
      const ticket = await limiter.acquire(estimate(request), request.signal);
      let usage: TokenEstimate | undefined;
      try {
        const response = await llm.complete(request);
        // Cache reads do not count against the input limit; cache writes do.
        usage = { inputTokens: response.usage.inputTokens + response.usage.cacheCreationInputTokens, outputTokens: response.usage.outputTokens };
        return response;
      } catch (error) {
        if (error instanceof LlmError && error.kind === "rate_limited") limiter.onRateLimited(error.details.retryAfterMs);
        throw error;
      } finally {
        limiter.settle(ticket, usage);
      }
    },
  };
}
