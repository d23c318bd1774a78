/**
 * The plugin's client of the companion's HTTP API (`docs/companion-api.md`): Obsidian's `requestUrl`
 * (no CORS inside the app, and it runs on mobile), every answer parsed with the same zod schemas the
 * companion serialises through (`shared/companion-api/api.ts`). Every failure is a {@link CompanionError}
 * whose message says what the writer can do about it.
 */
import { requestUrl, type App, type RequestUrlResponse } from "obsidian";
import type * as z from "zod";
// The lint pattern for companion/ code also catches shared/companion/, the API schemas meant for both sides.
import {
  API_PREFIX,
  ApiError,
  CaptureResponse,
  DiffResponse,
  ExportJob,
  HealthResponse,
  ListExportsResponse,
  ListRevisionsResponse,
  RestoreResponse,
  RevisionResponse,
  type CaptureResponse as CaptureResult,
  type DiffResponse as DiffResult,
  type HealthResponse as HealthResult,
  type ListRevisionsResponse as ListResult,
  type RestoreResponse as RestoreResult,
  type Revision,
  type StartExportRequest,
} from "../../shared/companion-api/api";
import type { ExportFormat } from "../../shared/export/formats";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";

/** A request to the companion that failed, with a message a writer can act on. */
export class CompanionError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null when no answer came (not running, wrong address, timed out). */
    readonly status: number | null,
  ) {
    super(message);
    this.name = "CompanionError";
  }
}

export interface CompanionClientOptions {
  /** Where the companion listens, such as `http://127.0.0.1:27125` (a trailing `/` is fine). */
  baseUrl: string;
  /** The bearer token (the companion's `companion-token` file). */
  token: string;
  /** Give up on an answer after this long; 0 waits for ever. @default 10000 */
  timeoutMs?: number;
}

export interface ListRevisionsOptions {
  /** At most this many (1 to 500). @default 50, the companion's */
  limit?: number;
  /** A revision id of the same note: list the revisions older than it (the next page). */
  before?: string;
}

export interface CaptureOptions {
  /** The text to keep; without it the companion reads the note from the vault itself. */
  text?: string;
  label?: string;
  /** A retry with the same key gets the first attempt's revision instead of a second one. */
  idempotencyKey?: string;
}

/** The options of an export job, as `POST /exports` takes them (exportBook's, by the API's names). */
export type ExportJobOptionsInput = NonNullable<StartExportRequest["options"]>;

type Method = "GET" | "POST" | "DELETE";

export class CompanionClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: CompanionClientOptions) {
    this.baseUrl = options.baseUrl.trim().replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** `{ ok, version, vaultPath }`; needs no token, so it says whether the companion runs at all. */
  health(): Promise<HealthResult> {
    return this.request("GET", "/health", HealthResponse, { auth: false });
  }

  /** A note's revisions, newest first. */
  listRevisions(note: string, options: ListRevisionsOptions = {}): Promise<ListResult> {
    const query = new URLSearchParams({ note });
    if (options.limit !== undefined) query.set("limit", String(options.limit));
    if (options.before !== undefined) query.set("before", options.before);
    return this.request("GET", `/revisions?${query.toString()}`, ListRevisionsResponse);
  }

  /** Keeps the note's text (or `text`) as a revision; `created` is false when nothing new was stored. */
  capture(note: string, options: CaptureOptions = {}): Promise<CaptureResult> {
    const body: Record<string, string> = { note };
    if (options.text !== undefined) body.text = options.text;
    if (options.label !== undefined) body.label = options.label;
    if (options.idempotencyKey !== undefined) body.idempotencyKey = options.idempotencyKey;
    return this.request("POST", "/revisions", CaptureResponse, { body });
  }

  /** One revision with its text. */
  getRevision(id: string): Promise<Revision> {
    return this.request("GET", `/revisions/${encodeURIComponent(id)}`, RevisionResponse);
  }

  /** A word diff from `against` (the note as it is now, or another revision) to the revision. */
  diff(id: string, against = "current"): Promise<DiffResult> {
    const query = new URLSearchParams({ against });
    return this.request("GET", `/revisions/${encodeURIComponent(id)}/diff?${query.toString()}`, DiffResponse);
  }

  /** Writes the revision's text to its note; the text it replaces is kept as a revision first. */
  restore(id: string, label?: string): Promise<RestoreResult> {
    return this.request("POST", `/revisions/${encodeURIComponent(id)}/restore`, RestoreResponse, {
      body: label === undefined ? {} : { label },
    });
  }

  /** Queues an export of the book in `book` (its vault-relative folder); the job comes back queued or running. */
  startExport(book: string, format: ExportFormat, options?: ExportJobOptionsInput): Promise<ExportJob> {
    return this.request("POST", "/exports", ExportJob, { body: { book, format, ...(options !== undefined ? { options } : {}) } });
  }

  /** Every export job the companion keeps, newest first. */
  async listExports(): Promise<ExportJob[]> {
    return (await this.request("GET", "/exports", ListExportsResponse)).exports;
  }

  getExport(id: string): Promise<ExportJob> {
    return this.request("GET", `/exports/${encodeURIComponent(id)}`, ExportJob);
  }

  /** A succeeded job's file (a 409 names the job's state otherwise). */
  async downloadExport(id: string): Promise<ArrayBuffer> {
    return (await this.send("GET", `/exports/${encodeURIComponent(id)}/download`)).arrayBuffer;
  }

  /** Cancels a queued or running job, or removes a finished one and its file. */
  async deleteExport(id: string): Promise<void> {
    // Writes must be JSON (the companion's guard against cross-site forms), so even this sends a body.
    await this.send("DELETE", `/exports/${encodeURIComponent(id)}`, { body: {} });
  }

  private async request<T extends z.ZodType>(method: Method, path: string, schema: T, options: { auth?: boolean; body?: unknown } = {}): Promise<z.output<T>> {
    const response = await this.send(method, path, options);
    const parsed = schema.safeParse(jsonOf(response));
    if (parsed.success) return parsed.data;
    throw new CompanionError(
      `the companion at ${this.baseUrl} answered in a form this version of Bookwright does not understand; update Bookwright and the companion to the same version`,
      response.status,
    );
  }

  /** The answer when it is a success (2xx); otherwise the error for it. */
  private async send(method: Method, path: string, options: { auth?: boolean; body?: unknown } = {}): Promise<RequestUrlResponse> {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.Authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    let response: RequestUrlResponse;
    try {
      response = await this.withTimeout(
        requestUrl({
          url: `${this.baseUrl}${API_PREFIX}${path}`,
          method,
          headers,
          ...(options.body !== undefined ? { body: JSON.stringify(options.body), contentType: "application/json" } : {}),
          throw: false,
        }),
      );
    } catch (error) {
      if (error instanceof CompanionError) throw error;
      throw new CompanionError(`the companion is not running at ${this.baseUrl}; start it with \`bookwright companion --vault <your vault folder>\``, null);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw errorFor(response.status, jsonOf(response), this.baseUrl);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    if (this.timeoutMs <= 0) return promise;
    return new Promise<T>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        reject(new CompanionError(`the companion at ${this.baseUrl} did not answer in time; restart it`, null));
      }, this.timeoutMs);
      promise.then(
        (value) => {
          window.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          window.clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

function jsonOf(response: RequestUrlResponse): unknown {
  try {
    return JSON.parse(response.text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error for a refusal (4xx) or failure (5xx), in words a writer can act on. */
function errorFor(status: number, body: unknown, baseUrl: string): CompanionError {
  if (status === 401) return new CompanionError("the companion refused the token; choose the companion token secret in settings", status);
  const apiError = ApiError.safeParse(body);
  if (status >= 500) {
    return new CompanionError(`the companion at ${baseUrl} failed (status ${status}); its log says why`, status);
  }
  if (apiError.success) return new CompanionError(apiError.data.error, status);
  if (status === 404) {
    return new CompanionError(`no Bookwright companion answers at ${baseUrl}; check the companion address in settings`, status);
  }
  return new CompanionError(`the companion at ${baseUrl} refused the request (status ${status})`, status);
}

/**
 * The client for the companion set in the settings, or null when no token secret is chosen (the
 * companion is optional). A chosen secret that is empty or gone is an error the writer should see.
 */
export function companionFromSettings(app: App, settings: Pick<BookwrightSettings, "companionUrl" | "companionTokenSecret">): CompanionClient | null {
  if (!settings.companionTokenSecret) return null;
  const token = app.secretStorage.getSecret(settings.companionTokenSecret);
  if (!token) {
    throw new CompanionError(`the secret "${settings.companionTokenSecret}" chosen for the companion token is empty or gone; choose it again in settings`, null);
  }
  return new CompanionClient({ baseUrl: settings.companionUrl || DEFAULT_SETTINGS.companionUrl, token });
}
