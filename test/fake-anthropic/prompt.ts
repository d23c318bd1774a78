/**
 * Token counting and prompt caching for the fake Messages API.
 *
 * Tokens are ceil(characters / 4) per block: deterministic and easy to predict in a test, which matters more
 * here than resembling a real tokenizer. Caching follows the documented rules of the real API closely enough
 * that code which places breakpoints, reads `usage`, and budgets by it behaves as it would in production:
 * the prompt is the sequence tools → system → messages; each `cache_control` breakpoint makes the prefix up to
 * and including its block a cache entry (keyed by the model and the exact prefix content); a later request
 * reads the longest live entry found at a breakpoint or at any of the 20 block boundaries before one; a read
 * refreshes the entry's TTL; prefixes under the minimum length are silently not cached.
 */
import { createHash } from "node:crypto";

export const CHARS_PER_TOKEN = 4;

/** How many block boundaries before a breakpoint the real API checks for an earlier cache entry. */
export const CACHE_LOOKBACK_BLOCKS = 20;
export const MAX_CACHE_BREAKPOINTS = 4;

const TTL_MS = { "5m": 5 * 60_000, "1h": 60 * 60_000 } as const;
export type CacheTtl = keyof typeof TTL_MS;

export function tokensOf(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** One cacheable unit of the prompt, in order. */
export interface PromptBlock {
  /** The exact content the cache key covers (without its cache_control), including where it sits. */
  identity: string;
  tokens: number;
  /** Set when this block carries a cache_control breakpoint. */
  cacheTtl?: CacheTtl;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function withoutCacheControl(block: Json): Json {
  const { cache_control: _ignored, ...rest } = block;
  return rest;
}

function ttlOf(block: unknown): CacheTtl | undefined {
  if (!isObject(block) || !isObject(block.cache_control)) return undefined;
  return block.cache_control.ttl === "1h" ? "1h" : "5m";
}

/** The text a block contributes to the prompt: its text for text blocks, its JSON for everything else. */
function blockText(block: unknown): string {
  if (typeof block === "string") return block;
  if (!isObject(block)) return JSON.stringify(block) ?? "";
  if (block.type === "text" && typeof block.text === "string") return block.text;
  if (block.type === "tool_result") {
    const content = block.content;
    if (typeof content === "string") return content;
    if (Array.isArray(content)) return content.map(blockText).join("\n");
    return "";
  }
  if (block.type === "tool_use") return JSON.stringify({ name: block.name, input: block.input });
  return JSON.stringify(withoutCacheControl(block));
}

/**
 * The prompt as an ordered list of blocks. Message blocks also carry the tool_choice in their identity because
 * the real API invalidates the message part of the cache (only) when tool_choice changes.
 */
export function promptBlocks(body: Json): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  const push = (identity: string, text: string, ttl: CacheTtl | undefined): void => {
    blocks.push({ identity, tokens: tokensOf(text), ...(ttl ? { cacheTtl: ttl } : {}) });
  };

  for (const tool of asArray(body.tools)) {
    const content = isObject(tool) ? withoutCacheControl(tool) : tool;
    const text = JSON.stringify(content) ?? "";
    push(`tool:${text}`, text, ttlOf(tool));
  }

  if (typeof body.system === "string") {
    push(`system:${body.system}`, body.system, undefined);
  } else if (Array.isArray(body.system)) {
    for (const block of asArray(body.system)) {
      const content = isObject(block) ? withoutCacheControl(block) : block;
      push(`system:${JSON.stringify(content)}`, blockText(block), ttlOf(block));
    }
  }

  const toolChoice = JSON.stringify(body.tool_choice ?? null);
  asArray(body.messages).forEach((message, index) => {
    if (!isObject(message)) return;
    const where = `message:${index}:${String(message.role)}:${toolChoice}`;
    if (typeof message.content === "string") {
      push(`${where}:${message.content}`, message.content, undefined);
    } else if (Array.isArray(message.content)) {
      for (const block of asArray(message.content)) {
        const content = isObject(block) ? withoutCacheControl(block) : block;
        push(`${where}:${JSON.stringify(content)}`, blockText(block), ttlOf(block));
      }
    }
  });

  // Top-level `cache_control` puts a breakpoint on the last block.
  const last = blocks.at(-1);
  if (last && !last.cacheTtl && isObject(body.cache_control)) {
    last.cacheTtl = body.cache_control.ttl === "1h" ? "1h" : "5m";
  }
  return blocks;
}

export function countPromptTokens(body: Json): number {
  return promptBlocks(body).reduce((sum, block) => sum + block.tokens, 0);
}

export interface CacheUsage {
  inputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  cacheCreation: { ephemeral5mInputTokens: number; ephemeral1hInputTokens: number };
}

interface CacheEntry {
  expiresAt: number;
  ttlMs: number;
}

export class PromptCache {
  private readonly entries = new Map<string, CacheEntry>();
  private writesSinceSweep = 0;

  constructor(
    private readonly minCacheableTokens: number,
    private readonly now: () => number,
  ) {}

  clear(): void {
    this.entries.clear();
  }

  /** Drops expired entries now and then, so a long benchmark does not accumulate them. */
  private sweep(now: number): void {
    if (++this.writesSinceSweep < 256) return;
    this.writesSinceSweep = 0;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  /**
   * Reads and writes the cache for one request and returns its usage split (`commit: false` only computes
   * it, for the rate limiter to look at before the request is admitted). Always
   * inputTokens + cacheCreationInputTokens + cacheReadInputTokens = the prompt's tokens.
   */
  account(model: string, blocks: readonly PromptBlock[], { commit = true }: { commit?: boolean } = {}): CacheUsage {
    const now = this.now();
    const keys: string[] = [];
    const prefixTokens: number[] = [];
    let hash = createHash("sha256").update(`model:${model}`).digest("hex");
    let running = 0;
    for (const block of blocks) {
      hash = createHash("sha256").update(hash).update("\u0000").update(block.identity).digest("hex");
      keys.push(hash);
      running += block.tokens;
      prefixTokens.push(running);
    }
    const total = running;
    const breakpoints = blocks.flatMap((block, index) => (block.cacheTtl ? [index] : []));

    const live = (index: number): CacheEntry | undefined => {
      const entry = this.entries.get(keys[index] ?? "");
      if (!entry) return undefined;
      if (entry.expiresAt <= now) {
        if (commit) this.entries.delete(keys[index] ?? "");
        return undefined;
      }
      return entry;
    };

    // Read: the longest live prefix at a breakpoint or within the lookback window before one.
    let readPoint = -1;
    for (const breakpoint of breakpoints) {
      for (let index = breakpoint; index >= Math.max(0, breakpoint - CACHE_LOOKBACK_BLOCKS); index--) {
        if (index <= readPoint) break;
        if (live(index)) {
          readPoint = index;
          break;
        }
      }
    }
    // A read refreshes the entries it used, so a prompt in steady use stays cached.
    for (let index = 0; commit && index <= readPoint; index++) {
      const entry = live(index);
      if (entry) entry.expiresAt = now + entry.ttlMs;
    }
    const readTokens = readPoint >= 0 ? (prefixTokens[readPoint] ?? 0) : 0;

    // Write: every breakpoint past the read point whose prefix is long enough; each segment is billed at its breakpoint's TTL.
    let writtenUpTo = readTokens;
    const creation = { ephemeral5mInputTokens: 0, ephemeral1hInputTokens: 0 };
    for (const index of breakpoints) {
      const ttl = blocks[index]?.cacheTtl;
      const tokens = prefixTokens[index] ?? 0;
      if (index <= readPoint || !ttl || tokens < this.minCacheableTokens) continue;
      if (commit) this.entries.set(keys[index] ?? "", { expiresAt: now + TTL_MS[ttl], ttlMs: TTL_MS[ttl] });
      const segment = tokens - writtenUpTo;
      if (ttl === "1h") creation.ephemeral1hInputTokens += segment;
      else creation.ephemeral5mInputTokens += segment;
      writtenUpTo = tokens;
    }
    if (commit) this.sweep(now);
    const creationTokens = writtenUpTo - readTokens;
    return {
      inputTokens: total - readTokens - creationTokens,
      cacheCreationInputTokens: creationTokens,
      cacheReadInputTokens: readTokens,
      cacheCreation: creation,
    };
  }
}
