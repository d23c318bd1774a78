/**
 * "Test connection" in settings: one request as small as a request can be (max_tokens 1, "ping") through
 * the same AnthropicLlm the queue uses, so a pass means the queue will get through too, and a failure
 * named in plain words with what to do about it.
 *
 * The SDK folds every network failure into one "Connection error." and every 404 into one status, which
 * is not enough to tell a server that is down from one that refuses Obsidian's origin (CORS), or a wrong
 * address from a wrong model name. So the fetch under the SDK is watched here: what it threw, and the
 * status and body of a reply that was not a success, are what the diagnosis reads.
 */
import { AnthropicLlm } from "./anthropic-llm";
import { ANTHROPIC_BASE_URL, BASE_URL_PRESETS, BaseUrlError, normaliseBaseUrl, type BaseUrlPreset } from "./base-url";
import { LlmError, type Llm } from "./llm";

export type ConnectionProblemKind =
  | "no_key"
  | "base_url"
  | "unreachable"
  | "cors"
  | "timeout"
  | "auth"
  | "forbidden"
  | "wrong_address"
  | "model_not_found"
  | "rate_limited"
  | "spend_limit"
  | "overloaded"
  | "server"
  | "rejected";

export type ConnectionReport =
  | {
      ok: true;
      /** The model that answered, as the server names it. */
      model: string;
      latencyMs: number;
      /** Something adjusted or worth knowing although it worked (a removed /v1, plain http to another machine). */
      warning?: string;
    }
  | {
      ok: false;
      kind: ConnectionProblemKind;
      /** What went wrong, in the writer's words. */
      problem: string;
      /** What to do about it. */
      fix: string;
    };

export interface ConnectionTestOptions {
  /** As typed in settings; "" is the Anthropic API. */
  baseURL: string;
  /** "" is fine for a local server (any text is accepted there); the Anthropic API needs a key. */
  apiKey: string;
  model: string;
  /** Tests inject faults; the plugin passes nothing (global fetch, as the queue uses). */
  fetch?: typeof fetch;
  /**
   * The origin the server must allow when the request comes from a browser: `app://obsidian.md` on
   * desktop, `capacitor://localhost` on mobile. Only used in the advice about CORS.
   */
  origin?: string;
  /**
   * Whether anything answers at the address, asked outside the browser's CORS rules (the plugin passes
   * Obsidian's requestUrl). A browser reports a refused connection and a CORS refusal with the same
   * "Failed to fetch", so without this the report has to name both possibilities.
   */
  reachable?: (url: string) => Promise<boolean>;
  /** How long to wait for the server. Generous by default: a local server may load the model first. */
  timeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_ORIGIN = "app://obsidian.md";
const DEFAULT_TIMEOUT_MS = 60_000;

/** Sends "ping" with max_tokens 1 and says whether it worked, and if not, why and what to do. */
export async function testConnection(options: ConnectionTestOptions): Promise<ConnectionReport> {
  const now = options.now ?? (() => performance.now());
  const origin = options.origin ?? DEFAULT_ORIGIN;

  let baseURL: string | undefined;
  let warning: string | undefined;
  try {
    ({ baseURL, warning } = normaliseBaseUrl(options.baseURL));
  } catch (error) {
    if (!(error instanceof BaseUrlError)) throw error;
    return {
      ok: false,
      kind: "base_url",
      problem: error.message,
      fix: `Type the address your server shows, such as ${presetById("ollama").baseURL} for Ollama, or leave it empty for the Anthropic API.`,
    };
  }
  const model = options.model.trim();
  if (model === "") {
    return { ok: false, kind: "model_not_found", problem: "No model name is set to test with.", fix: "Type a model name under Models (the writer's), or empty it to use the default." };
  }
  const endpoint = baseURL ?? ANTHROPIC_BASE_URL;
  const server = describeServer(endpoint);

  let apiKey = options.apiKey.trim();
  if (apiKey === "") {
    if (server.preset?.id === "anthropic") {
      return {
        ok: false,
        kind: "no_key",
        problem: "No API key is chosen, and the Anthropic API needs one.",
        fix: "Under API key, choose a secret that holds your key, or create one with a key from the Anthropic Console (console.anthropic.com).",
      };
    }
    // Local servers accept any key but the SDK refuses to send none (the same rule as the queue's apiKeyOf).
    apiKey = "local";
  }

  // fetch, as the queue uses (see anthropic-llm.ts), not requestUrl (lint warns): requestUrl skips CORS, so
  // the test would pass where the queue's requests fail.
  const watch = new FetchWatch(options.fetch ?? ((input, init) => fetch(input, init)));
  const llm: Llm = new AnthropicLlm({
    apiKey,
    ...(baseURL !== undefined ? { baseURL } : {}),
    fetch: watch.fetch,
    // One honest attempt: the writer is waiting, and a retried 429 or refused connection only hides the answer.
    maxRetries: 0,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });

  const started = now();
  try {
    const reply = await llm.complete({ model, system: [], messages: [{ role: "user", content: [{ text: "ping" }] }], maxTokens: 1 });
    return { ok: true, model: reply.model || model, latencyMs: Math.max(0, Math.round(now() - started)), ...(warning ? { warning } : {}) };
  } catch (error) {
    return diagnose(error, { watch, server, origin, model, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, reachable: options.reachable });
  }
}

/** What the fetch under the SDK saw: a throw (no reply at all) or the last reply. */
class FetchWatch {
  thrown: unknown = undefined;
  reply: { status: number; contentType: string; body: string } | undefined;

  constructor(private readonly base: typeof fetch) {}

  readonly fetch: typeof fetch = async (input, init) => {
    let response: Response;
    try {
      response = await this.base(input, init);
    } catch (error) {
      this.thrown = error;
      throw error;
    }
    const contentType = response.headers.get("content-type") ?? "";
    // Only failures are read twice; a success's body is the stream the SDK reads.
    const body = response.ok ? "" : await response.clone().text().catch(() => "");
    this.reply = { status: response.status, contentType, body };
    return response;
  };
}

interface ServerDescription {
  /** Where requests go, without /v1. */
  url: string;
  /** host:port as the writer would recognise it. */
  hostPort: string;
  preset: BaseUrlPreset | undefined;
  /** The server's name for advice: "Ollama", or "the server at localhost:9000". */
  name: string;
  local: boolean;
  hasPath: boolean;
}

function describeServer(url: string): ServerDescription {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  const local = parsed.hostname === "localhost" || parsed.hostname === "[::1]" || /^127\./.test(parsed.hostname);
  // A local preset is known by its port (localhost and 127.0.0.1 are the same server); the API by its host.
  const preset = BASE_URL_PRESETS.find((p) => {
    const known = new URL(p.baseURL);
    return p.local ? local && known.port === port : known.host === parsed.host;
  });
  const hostPort = `${parsed.hostname}:${port}`;
  return { url, hostPort, preset, name: preset ? preset.name : `the server at ${hostPort}`, local, hasPath: parsed.pathname !== "/" && parsed.pathname !== "" };
}

function presetById(id: BaseUrlPreset["id"]): BaseUrlPreset {
  const preset = BASE_URL_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`no base URL preset "${id}"`);
  return preset;
}

interface DiagnoseContext {
  watch: FetchWatch;
  server: ServerDescription;
  origin: string;
  model: string;
  timeoutMs: number;
  reachable: ((url: string) => Promise<boolean>) | undefined;
}

async function diagnose(error: unknown, context: DiagnoseContext): Promise<ConnectionReport> {
  const { watch, server } = context;
  if (watch.thrown !== undefined && watch.reply === undefined) return networkFailure(watch.thrown, context);
  if (!(error instanceof LlmError)) {
    // Not from the request (a bug, or the SDK refusing its setup): say it as it is.
    return { ok: false, kind: "rejected", problem: `The test could not run: ${messageOf(error)}`, fix: "Check the server address and the API key, then try again." };
  }
  const status = error.details.status ?? watch.reply?.status;
  const said = serverSaid(watch.reply?.body);
  const saidText = said ? ` It said: ${said}` : "";

  if (error.kind === "spend_limit") {
    return {
      ok: false,
      kind: "spend_limit",
      problem: `The account behind this key has reached its spending or credit limit.${saidText}`,
      fix: "Raise the spend limit or add credit in the Anthropic Console (console.anthropic.com, under Billing and Limits), then test again.",
    };
  }
  if (error.kind === "rate_limited") {
    const wait = error.details.retryAfterMs !== undefined ? ` in about ${Math.max(1, Math.ceil(error.details.retryAfterMs / 1000))} seconds` : " in a minute";
    return {
      ok: false,
      kind: "rate_limited",
      problem: "The key works, but the account is over its rate limit right now.",
      fix: `Try again${wait}. If this happens during writing, lower "Jobs at once" in the generation settings.`,
    };
  }
  if (error.kind === "overloaded") {
    return { ok: false, kind: "overloaded", problem: `${capitalise(server.name)} is overloaded right now; the key and address look fine.`, fix: "Try again in a few minutes." };
  }
  if (status === 401) {
    return {
      ok: false,
      kind: "auth",
      problem: `${capitalise(server.name)} refused the API key (HTTP 401).${saidText}`,
      fix:
        server.preset?.id === "anthropic"
          ? "Under API key, choose the secret that holds your current key, or create a new key in the Anthropic Console (console.anthropic.com) if this one was deleted."
          : "This server wants a key: store it as a secret and choose it under API key.",
    };
  }
  if (status === 403) {
    return {
      ok: false,
      kind: "forbidden",
      problem: `The API key was recognised but is not allowed to use ${context.model} (HTTP 403).${saidText}`,
      fix: "Check the key's workspace and permissions in the Anthropic Console, or choose another model under Models.",
    };
  }
  if (status === 404 || status === 400) {
    if (mentionsModel(watch.reply?.body ?? "")) {
      return {
        ok: false,
        kind: "model_not_found",
        problem: `${capitalise(server.name)} does not have the model "${context.model}".${saidText}`,
        fix: server.local
          ? `Use a model name the server lists (for Ollama: ollama list; pull one with ollama pull), and enter it under Models.`
          : "Check the spelling of the model name under Models; the Anthropic docs list the current model names.",
      };
    }
    if (status === 404) return wrongAddress(server, `Nothing at ${server.url}/v1/messages (HTTP 404).`);
  }
  if (error.kind === "server") {
    return { ok: false, kind: "server", problem: `${capitalise(server.name)} had an internal problem (HTTP ${status ?? "5xx"}).${saidText}`, fix: "Try again in a little while; if it keeps failing, check the server's own log." };
  }
  if (error.kind === "stream_cut" && watch.reply && !/event-stream/i.test(watch.reply.contentType)) {
    // It answered 200, but not with the Messages API's event stream: a web page, or another kind of API.
    return wrongAddress(server, `${capitalise(server.name)} answered, but not as an Anthropic-compatible Messages API.`);
  }
  if (error.kind === "stream_cut") {
    return { ok: false, kind: "server", problem: `${capitalise(server.name)} closed the connection before it finished replying.`, fix: "Try again; if it keeps happening, check the server's own log." };
  }
  return {
    ok: false,
    kind: "rejected",
    problem: `${capitalise(server.name)} rejected the test request${status !== undefined ? ` (HTTP ${status})` : ""}.${saidText}`,
    fix: "Check that the address points to an Anthropic-compatible Messages API and that the model name is right.",
  };
}

function wrongAddress(server: ServerDescription, problem: string): ConnectionReport {
  const example = server.preset ? server.preset.baseURL : "http://localhost:11434";
  return {
    ok: false,
    kind: "wrong_address",
    problem,
    fix: server.hasPath
      ? `Remove the path from the server address and keep only the scheme, host and port (such as ${example}): Bookwright adds /v1/messages itself.`
      : `Check the server address and port (such as ${example}), and that the server speaks the Anthropic Messages API (Ollama 0.14 or later, LM Studio, llama-server, vLLM).`,
  };
}

async function networkFailure(thrown: unknown, context: DiagnoseContext): Promise<ConnectionReport> {
  const { server, origin } = context;
  if (isAbort(thrown) || /timed? ?out/i.test(`${messageOf(thrown)} ${messageOf(causeOf(thrown))}`)) {
    return {
      ok: false,
      kind: "timeout",
      problem: `No answer from ${server.name} within ${Math.round(context.timeoutMs / 1000)} seconds.`,
      fix: server.local
        ? "A local server may still be loading the model: wait a minute and test again. Check that the model fits in this computer's memory."
        : "Check your internet connection and test again.",
    };
  }
  const unreachable: ConnectionReport = {
    ok: false,
    kind: "unreachable",
    problem: `Nothing answered at ${server.hostPort}${reasonOf(thrown)}.`,
    fix: server.local
      ? `Start ${server.preset ? server.preset.name : "the server"} and check that it listens on port ${server.hostPort.split(":").pop() ?? ""}.`
      : "Check your internet connection and the server address, and whether a firewall or proxy blocks it.",
  };
  // Node says "fetch failed" with the socket error as its cause; only a browser hides the reason.
  if (!isBrowserFetchFailure(thrown)) return unreachable;
  // The Anthropic API allows browser requests (the SDK sends its opt-in header), so there it is the network.
  if (server.preset?.id === "anthropic") return unreachable;
  if (context.reachable) {
    const answers = await context.reachable(server.url).catch(() => false);
    if (!answers) return unreachable;
    return { ok: false, kind: "cors", problem: `${capitalise(server.name)} answers, but does not allow requests from Obsidian (${origin}), so Obsidian may not read its reply (CORS).`, fix: corsFix(server, origin) };
  }
  return {
    ok: false,
    kind: "cors",
    problem: `Obsidian could not read a reply from ${server.hostPort}: either the server does not allow requests from Obsidian (${origin}; this is called CORS), or nothing is running there.`,
    fix: `${corsFix(server, origin)} If the server is not running, start it first.`,
  };
}

function corsFix(server: ServerDescription, origin: string): string {
  switch (server.preset?.id) {
    case "ollama":
      return `Let Ollama accept Obsidian: set the environment variable OLLAMA_ORIGINS=${origin}* (on macOS: launchctl setenv OLLAMA_ORIGINS "${origin}*"), then quit and restart Ollama.`;
    case "lm-studio":
      return "In LM Studio's Developer tab, turn on Enable CORS in the server settings, then restart the server.";
    case "vllm":
      return `Start vLLM with --allowed-origins '["${origin}"]'.`;
    default:
      return `Let the server accept requests from ${origin}: its replies, including to the OPTIONS preflight request, must carry Access-Control-Allow-Origin: ${origin} (or *).`;
  }
}

/** A browser's fetch failure: Chromium (Obsidian desktop and Android), Firefox and WebKit (iOS) word it differently. */
function isBrowserFetchFailure(error: unknown): boolean {
  return error instanceof TypeError && /failed to fetch|networkerror|load failed|network request failed/i.test(error.message);
}

function isAbort(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError";
}

function causeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { cause?: unknown }).cause : undefined;
}

/** The socket error Node gives as the cause, in words: " (connection refused)". */
function reasonOf(error: unknown): string {
  const cause = causeOf(error);
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;
  switch (code) {
    case "ECONNREFUSED":
      return " (the connection was refused: no server is listening on that port)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return " (the host name was not found)";
    case "ECONNRESET":
      return " (the connection was reset)";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return " (the network cannot reach that host)";
    default:
      return "";
  }
}

/**
 * How servers say the model is the problem: the Anthropic API answers `"message": "model: <name>"`, local
 * servers "model 'x' not found", "no models loaded" and the like.
 */
const MODEL_MISSING = /"message"\s*:\s*"model:|model[^.]*\b(not found|does not exist|unknown|invalid|not available|not loaded)|\b(unknown|invalid|no such) model|\bno models? (is |are )?loaded/i;

function mentionsModel(body: string): boolean {
  return MODEL_MISSING.test(body);
}

/** The message in an API error body, or a short plain-text body; nothing for HTML pages. */
function serverSaid(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    const inner = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : parsed;
    if (isRecord(inner) && typeof inner.message === "string") return inner.message;
    if (isRecord(parsed) && typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON: fall through to plain text.
  }
  const text = body.trim();
  return text !== "" && text.length <= 200 && !text.startsWith("<") ? text : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "";
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
