/**
 * Prose that runs past `max_tokens`: ask for the rest and stitch it on, so a chapter is not cut off
 * mid-sentence just because it was longer than one reply.
 *
 * Two ways to ask, chosen per model (model-config.ts `prefill`):
 * - prefill: the text so far goes back as the start of the assistant's reply, and the model simply goes on
 *   writing it. Exact, but the Claude 4.6 models and later reject a final assistant message.
 * - user turn: the text so far as the assistant's turn, then a user message asking it to continue. Works
 *   everywhere, but the model starts a new reply: it may repeat the last words or drop the space between
 *   the two parts, which the join below repairs.
 *
 * Joining is careful about whitespace at the seam, because a doubled space or a lost paragraph break in
 * the middle of a chapter is exactly the kind of thing a writer has to hunt for by hand.
 */
import { addUsage, type Llm, type LlmMessage, type LlmRequest, type LlmResponse } from "./llm";
import { requestShapeFor, type ModelShapeOverrides } from "./model-config";

export interface ProseOptions {
  /** How many more calls after the first may continue a cut-off reply. */
  maxContinuations: number;
  /** How to ask for the rest; by default from the model's configuration. */
  continueBy?: "prefill" | "user-turn";
  /** Model-config overrides from settings, for the default of `continueBy`. */
  models?: ModelShapeOverrides;
}

export interface ProseResult extends LlmResponse {
  /** The reply was still being cut off at `max_tokens` when the continuations ran out. */
  truncated: boolean;
  /** How many continuation calls were made. */
  continuations: number;
}

/** Sent as the user turn that asks for the rest (user-turn mode). */
export const CONTINUE_INSTRUCTION =
  "Your reply above was cut off by the length limit. Continue it from exactly where it stops, in the same style and format. " +
  "Do not repeat any of it, do not summarise it, and do not comment: write only the continuation.";

/** Repeated text shorter than this is not treated as an overlap: common short phrases recur legitimately. */
const MIN_OVERLAP = 16;
/** How far back a repeat is looked for; also how much of a continuation is held back before streaming it. */
const MAX_OVERLAP = 400;

/**
 * `llm.complete(request)`, continued while it stops at `max_tokens` (up to `maxContinuations` more calls).
 * Returns the joined text, usage summed over all calls, the last stop reason, and `truncated: true` when it
 * still ended at the limit. `onText` sees the joined text as it grows (a continuation is held back until its
 * seam is decided); the returned `text` is the authority.
 *
 * Errors are thrown as they come; for retries per call, pass an Llm wrapped with `retrying` (retry.ts), so a
 * failure in the third continuation does not re-buy the first two.
 */
export async function completeProse(llm: Llm, request: LlmRequest, options: ProseOptions): Promise<ProseResult> {
  const mode = options.continueBy ?? (requestShapeFor(request.model, options.models).prefill ? "prefill" : "user-turn");
  const first = await llm.complete(request);
  let text = first.text;
  let usage = first.usage;
  let last: LlmResponse = first;
  let continuations = 0;

  while (last.stopReason === "max_tokens" && continuations < Math.max(0, options.maxContinuations)) {
    continuations++;
    const previous = text;
    const seam = new StreamingSeam(previous, mode, request.onText);
    const next = await llm.complete({
      ...request,
      messages: continuationMessages(request.messages, previous, mode),
      onText: request.onText ? (delta) => seam.push(delta) : undefined,
    });
    text = seam.finish(next.text);
    usage = addUsage(usage, next.usage);
    last = next;
    // A continuation that adds nothing would loop forever at the same spot.
    if (next.text.trim() === "") break;
  }

  return {
    ...last,
    text,
    usage,
    model: first.model,
    truncated: last.stopReason === "max_tokens",
    continuations,
  };
}

function continuationMessages(messages: LlmMessage[], soFar: string, mode: "prefill" | "user-turn"): LlmMessage[] {
  // The API rejects a final assistant message ending in whitespace; the seam logic puts it back.
  const reply = { text: soFar.trimEnd() };
  const lastMessage = messages.at(-1);
  // The caller's own prefill (a reply that had to start a certain way): the text so far extends it.
  const history =
    lastMessage?.role === "assistant"
      ? [...messages.slice(0, -1), { role: "assistant" as const, content: [...lastMessage.content, reply] }]
      : [...messages, { role: "assistant" as const, content: [reply] }];
  return mode === "prefill" ? history : [...history, { role: "user", content: [{ text: CONTINUE_INSTRUCTION }] }];
}

/** How a continuation attaches: keep `previous` up to `keep`, add `insert`, then the continuation from `skip`. */
interface Seam {
  keep: number;
  insert: string;
  skip: number;
}

/**
 * Decides the seam between `previous` and `continuation`:
 * - whitespace at the seam appears once: the continuation's own leading whitespace wins when it differs
 *   ("end.\n" + "\n\nNext" gives "end.\n\nNext", "end. " + " Next" gives "end. Next");
 * - in user-turn mode, a repeat of the end of `previous` at the start of the continuation is dropped, and a
 *   space is put back where the new reply started a new word without one ("sea." + "The" gives "sea. The").
 */
export function decideSeam(previous: string, continuation: string, mode: "prefill" | "user-turn"): Seam {
  const previousTrimmed = previous.trimEnd();
  const trailing = previous.slice(previousTrimmed.length);
  let leading = /^\s*/.exec(continuation)?.[0] ?? "";
  let skip = leading.length;

  if (mode === "user-turn") {
    const overlap = repeatedTail(previousTrimmed, continuation.slice(skip));
    if (overlap > 0) {
      skip += overlap;
      // What follows the repeat decides the seam's whitespace (the repeat ended where `previous` ended).
      const after = /^\s*/.exec(continuation.slice(skip))?.[0] ?? "";
      leading = after;
      skip += after.length;
    }
  }
  const rest = continuation.slice(skip);
  if (rest === "") return { keep: previous.length, insert: "", skip: continuation.length };

  if (trailing === "" && leading === "") {
    const space = mode === "user-turn" && startsNewWord(previousTrimmed, rest) ? " " : "";
    return { keep: previous.length, insert: space, skip };
  }
  if (leading === "" || trailing.startsWith(leading)) return { keep: previous.length, insert: "", skip };
  if (trailing === "" || leading.startsWith(trailing)) return { keep: previous.length, insert: leading.slice(trailing.length), skip };
  // Different whitespace on both sides (" " then "\n\n"): the continuation's, once.
  return { keep: previousTrimmed.length, insert: leading, skip };
}

/** `previous` and `continuation` joined at their seam (see {@link decideSeam}). */
export function joinContinuation(previous: string, continuation: string, mode: "prefill" | "user-turn"): string {
  const seam = decideSeam(previous, continuation, mode);
  return previous.slice(0, seam.keep) + seam.insert + continuation.slice(seam.skip);
}

/** The length of the longest end of `previous` (at least MIN_OVERLAP) that `continuation` starts with. */
function repeatedTail(previous: string, continuation: string): number {
  const longest = Math.min(previous.length, continuation.length, MAX_OVERLAP);
  for (let length = longest; length >= MIN_OVERLAP; length--) {
    if (previous.endsWith(continuation.slice(0, length))) return length;
  }
  return 0;
}

/**
 * Whether a new reply that begins with `next` right after `previous` starts a new word. Replies stop at
 * token boundaries, which are nearly always word boundaries, so yes unless `previous` ends with something
 * that takes no space after it (an opening bracket or quote, a dash, a hyphen or apostrophe).
 */
function startsNewWord(previous: string, next: string): boolean {
  const before = previous.at(-1);
  if (before === undefined) return false;
  if (/[([{“‘«„—–\-/'’]/u.test(before)) return false;
  return /^[\p{L}\p{N}“‘«(["]/u.test(next);
}

/**
 * Streams a continuation's text to `onText` as joined text: holds the start back until the seam can be
 * decided (the first non-whitespace, and in user-turn mode enough text to spot a repeat), then passes the
 * rest through. `received` counts the joined text.
 */
class StreamingSeam {
  private buffer = "";
  private seam: Seam | undefined;
  private received: number;

  constructor(
    private readonly previous: string,
    private readonly mode: "prefill" | "user-turn",
    private readonly onText: LlmRequest["onText"],
  ) {
    this.received = previous.length;
  }

  push(delta: string): void {
    this.buffer += delta;
    if (this.seam) {
      this.emit(delta);
      return;
    }
    const content = this.buffer.trimStart();
    // In user-turn mode, past the longest repeat we look for plus a little, so the seam is final.
    const ready = content !== "" && (this.mode === "prefill" || content.length > MAX_OVERLAP + 16);
    if (ready) this.decide(this.buffer);
  }

  /** The joined text, given the whole continuation; flushes whatever was held back. */
  finish(continuation: string): string {
    if (!this.seam) this.decide(continuation);
    const seam = this.seam ?? decideSeam(this.previous, continuation, this.mode);
    return this.previous.slice(0, seam.keep) + seam.insert + continuation.slice(seam.skip);
  }

  private decide(continuation: string): void {
    const seam = decideSeam(this.previous, continuation, this.mode);
    this.seam = seam;
    this.emit(seam.insert + continuation.slice(seam.skip));
  }

  private emit(text: string): void {
    if (text === "" || !this.onText) return;
    this.received += text.length;
    this.onText(text, this.received);
  }
}

