/**
 * The base URL the writer types in settings, made safe to hand to the Anthropic SDK.
 *
 * The SDK appends `/v1/messages` to its `baseURL`. Every local server documents its Anthropic-compatible
 * endpoint as `http://host:port/v1/messages`, so writers paste `http://localhost:11434/v1` (or the whole
 * endpoint), and the SDK would then call `/v1/v1/messages` and get a 404 that says nothing useful. We strip
 * the suffix and say so, rather than fail or silently guess.
 *
 * Local servers speak only part of the Messages API. In particular they may ignore `cache_control`
 * (so usage shows no cache reads and nothing is cheaper) and the structured-output options
 * (`output_config.format`, and sometimes even a forced `tool_choice`), answering with free text instead.
 * That is why structured replies are always validated and repaired on our side (see structured.ts)
 * instead of trusting the server to honour the schema.
 */

/** The Anthropic API, used when the writer leaves the base URL empty. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";

export interface BaseUrlPreset {
  id: "anthropic" | "ollama" | "lm-studio" | "llama-cpp" | "vllm";
  /** As shown in the settings drop-down. */
  name: string;
  /** Without `/v1`: the SDK adds `/v1/messages`. */
  baseURL: string;
  /** Runs on the writer's machine: no API key needed (any non-empty text is accepted), no cost. */
  local: boolean;
  note: string;
}

/** Where each server listens by default, with its Anthropic-compatible Messages endpoint. */
export const BASE_URL_PRESETS: readonly BaseUrlPreset[] = [
  { id: "anthropic", name: "Anthropic API", baseURL: ANTHROPIC_BASE_URL, local: false, note: "Needs an API key from the Anthropic Console." },
  {
    id: "ollama",
    name: "Ollama",
    baseURL: "http://localhost:11434",
    local: true,
    note: "Ollama 0.14 or later serves the Anthropic Messages API. Prompt caching and structured-output options may be ignored.",
  },
  {
    id: "lm-studio",
    name: "LM Studio",
    baseURL: "http://localhost:1234",
    local: true,
    note: "Start the local server in LM Studio's Developer tab. Prompt caching and structured-output options may be ignored.",
  },
  {
    id: "llama-cpp",
    name: "llama.cpp (llama-server)",
    baseURL: "http://localhost:8080",
    local: true,
    note: "llama-server's default port. Prompt caching and structured-output options may be ignored.",
  },
  {
    id: "vllm",
    name: "vLLM",
    baseURL: "http://localhost:8000",
    local: true,
    note: "vllm serve's default port. Prompt caching and structured-output options may be ignored.",
  },
];

/** A base URL that cannot work; the message is written for the settings screen. */
export class BaseUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BaseUrlError";
  }
}

/**
 * Trims spaces and trailing slashes; removes a trailing `/v1` or `/v1/messages` (with a warning naming
 * what was removed); rejects anything that is not an http(s) URL with a {@link BaseUrlError}. Empty input
 * means "the Anthropic API" and gives `{}`. Also warns when an API key would travel unencrypted to
 * another machine (plain http to a host that is not this computer).
 *
 * @example normaliseBaseUrl(" http://localhost:11434/v1/ ") // { baseURL: "http://localhost:11434", warning: "…" }
 */
export function normaliseBaseUrl(url?: string): { baseURL?: string; warning?: string } {
  const trimmed = (url ?? "").trim();
  if (trimmed === "") return {};

  if (!/^https?:\/\//i.test(trimmed)) {
    const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
      ? `Only http:// and https:// addresses work, not "${trimmed.slice(0, trimmed.indexOf(":"))}://".`
      : `Add http:// or https:// in front, for example "http://${trimmed.replace(/^\/+/, "")}".`;
    throw new BaseUrlError(`The server address "${trimmed}" is not a web address. ${hint}`);
  }

  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new BaseUrlError(`The server address "${trimmed}" is not a valid web address.`);
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    // The SDK appends its path to the whole string, so a query or fragment would end up before `/v1/messages`.
    throw new BaseUrlError(`The server address "${trimmed}" has a "?" or "#" part; remove it and keep only the address.`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new BaseUrlError(`The server address "${trimmed}" contains a user name or password; put the key in the API key field instead.`);
  }

  const warnings: string[] = [];
  // Work on the string the writer typed (minus trailing slashes), not parsed.href, so that the result
  // is what they wrote: URL would lower-case the host and add a slash, which reads as if we changed it.
  let base = trimmed.replace(/\/+$/, "");
  // Matched on the path only: in "http://v1" the "/v1" is the host.
  const suffix = /\/v1(\/messages)?\/*$/i.test(parsed.pathname) ? /\/v1(\/messages)?$/i.exec(base) : null;
  if (suffix) {
    base = base.slice(0, suffix.index).replace(/\/+$/, "");
    warnings.push(
      `Removed "${suffix[0]}" from the end of the server address: Bookwright adds /v1/messages itself, ` +
        `so "${trimmed}" would have called ${base}${suffix[0]}/v1/messages. Using ${base}.`,
    );
  }
  if (parsed.protocol === "http:" && !isThisComputer(parsed.hostname)) {
    warnings.push(`${base} uses plain http: the API key and your manuscript travel unencrypted to ${parsed.hostname}. Use https:// unless this is your own network.`);
  }
  return warnings.length === 0 ? { baseURL: base } : { baseURL: base, warning: warnings.join(" ") };
}

function isThisComputer(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
