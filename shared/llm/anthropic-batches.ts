/**
 * The `BatchClient` port over the Message Batches API of the official Anthropic SDK
 * (`client.messages.batches`: create, retrieve, results, cancel).
 *
 * It takes AnthropicLlm's options and treats them the same way (base URL normalised and never taken from
 * the environment, the spend-limit fetch wrapper, the browser opt-in; see anthropic-llm.ts), and it builds
 * each item's body and reads each item's reply with AnthropicLlm itself (`batchItem`), so a request sent in
 * a batch is the request `complete` would send, and its reply means the same.
 *
 * Local servers (Ollama, LM Studio, llama.cpp, vLLM) do not offer batches; `submit` says so plainly.
 */
import Anthropic, { APIError } from "@anthropic-ai/sdk";
import type { MessageBatchIndividualResponse } from "@anthropic-ai/sdk/resources/messages/batches";
import type { ErrorResponse } from "@anthropic-ai/sdk/resources/shared";
import { AnthropicLlm, toLlmError, withoutSpendLimitRetries, type AnthropicLlmOptions } from "./anthropic-llm";
import { ANTHROPIC_BASE_URL, normaliseBaseUrl } from "./base-url";
import type { BatchClient, BatchItem, BatchResult, BatchStatus } from "./batch";
import { LlmError } from "./llm";

/** What the API accepts as a custom id. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export class AnthropicBatches implements BatchClient {
  private readonly client: Anthropic;
  /** Builds item bodies and reads item replies exactly as for a single request; never sends anything itself. */
  private readonly llm: AnthropicLlm;

  constructor(options: AnthropicLlmOptions) {
    // Warnings about the base URL or the requests come from this AnthropicLlm (once each), not twice.
    this.llm = new AnthropicLlm(options);
    const { baseURL } = normaliseBaseUrl(options.baseURL);
    this.client = new Anthropic({
      apiKey: options.apiKey,
      // Explicit, so that an ANTHROPIC_BASE_URL in the CLI's environment cannot redirect the writer's key.
      baseURL: baseURL ?? ANTHROPIC_BASE_URL,
      maxRetries: options.maxRetries ?? 2,
      dangerouslyAllowBrowser: true,
      // fetch, not Obsidian's requestUrl: the results come as a JSONL stream, which requestUrl cannot read.
      fetch: withoutSpendLimitRetries(options.fetch ?? ((input, init) => fetch(input, init))),
      ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    });
  }

  async submit(items: readonly BatchItem[], signal?: AbortSignal): Promise<{ id: string }> {
    if (items.length === 0) throw new LlmError("invalid_request", "Nothing to send: a batch needs at least one request.");
    const seen = new Set<string>();
    for (const { customId } of items) {
      if (!CUSTOM_ID.test(customId)) {
        throw new LlmError("invalid_request", `"${customId}" cannot name a batch request: use 1 to 64 letters, digits, "_" or "-".`);
      }
      if (seen.has(customId)) throw new LlmError("invalid_request", `The batch has two requests with the custom id "${customId}"; each needs its own.`);
      seen.add(customId);
    }
    const requests = items.map(({ customId, request }) => ({ custom_id: customId, params: this.llm.batchItem(request).params }));
    const batch = await this.call(() => this.client.messages.batches.create({ requests }, { signal }), signal, "submit");
    return { id: batch.id };
  }

  async status(id: string, signal?: AbortSignal): Promise<BatchStatus> {
    const batch = await this.call(() => this.client.messages.batches.retrieve(id, {}, { signal }), signal, id);
    return { state: batch.processing_status, counts: { ...batch.request_counts } };
  }

  async results(id: string, items: readonly BatchItem[], signal?: AbortSignal): Promise<Map<string, BatchResult>> {
    const requests = new Map(items.map((item) => [item.customId, item.request]));
    const results = new Map<string, BatchResult>();
    const lines = await this.call(() => this.client.messages.batches.results(id, {}, { signal }), signal, id);
    try {
      for await (const line of lines) {
        const request = requests.get(line.custom_id);
        // Not one of ours: without its request there is no telling how to read it.
        if (request) results.set(line.custom_id, this.read(line, request));
      }
    } catch (error) {
      if (signal?.aborted) throw new LlmError("aborted", "Cancelled.");
      // The results were arriving: a failure now is a broken download, which can be tried again.
      throw toLlmError(error, { connected: true });
    }
    return results;
  }

  async cancel(id: string): Promise<void> {
    await this.call(() => this.client.messages.batches.cancel(id), undefined, id);
  }

  private read(line: MessageBatchIndividualResponse, request: BatchItem["request"]): BatchResult {
    const { result } = line;
    switch (result.type) {
      case "succeeded":
        try {
          return { ok: true, response: this.llm.batchItem(request).read(result.message) };
        } catch (error) {
          // A refusal or a full context window, found in the reply as it is for a single request.
          return { ok: false, error: toLlmError(error) };
        }
      case "errored":
        return { ok: false, error: itemError(result.error) };
      case "canceled":
        return { ok: false, error: new LlmError("aborted", "The batch was cancelled before this request was answered.") };
      case "expired":
        // Batches expire when the service is too busy to finish them within 24 hours: a wait can fix that.
        return { ok: false, error: new LlmError("overloaded", "The batch expired (24 hours) before this request was answered; it can be sent again.") };
      default:
        return { ok: false, error: new LlmError("server", `The batch returned a result of an unknown kind for "${line.custom_id}".`) };
    }
  }

  /** Runs an SDK call, with its failures as LlmErrors; a missing batch says which one, and what that means. */
  private async call<T>(run: () => Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    if (signal?.aborted) throw new LlmError("aborted", "Cancelled.");
    try {
      return await run();
    } catch (error) {
      if (signal?.aborted) throw new LlmError("aborted", "Cancelled.");
      if (error instanceof APIError && error.status === 404) {
        const requestId = error.requestID ?? undefined;
        throw new LlmError(
          "invalid_request",
          what === "submit"
            ? "This server does not offer message batches (local servers usually do not). Send the requests one at a time instead."
            : `The server has no message batch ${what}: it was deleted, its results expired (29 days after it ended), or it belongs to another API key or workspace.`,
          { status: 404, ...(requestId ? { requestId } : {}) },
        );
      }
      throw toLlmError(error);
    }
  }
}

/** The HTTP status each API error type comes with, so a batch item's error is classified like a response's. */
const STATUS_OF_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/**
 * A batch item's error (the JSON body a failed request would have had) as the LlmError the same failure
 * of a single request gives: rebuilt into the SDK's error and run through `toLlmError`, so the kinds and
 * wording can never drift apart. An unknown type counts as a server error, which can be tried again.
 */
function itemError(body: ErrorResponse): LlmError {
  const type = body.error.type;
  const status = Object.prototype.hasOwnProperty.call(STATUS_OF_ERROR_TYPE, type) ? (STATUS_OF_ERROR_TYPE[type] ?? 500) : 500;
  const headers = new Headers(body.request_id ? { "request-id": body.request_id } : {});
  return toLlmError(APIError.generate(status, body, undefined, headers), { connected: true });
}
