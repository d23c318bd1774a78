/**
 * The plugin's side of the queue (DESIGN.md §4): one runner per book, its state in the book
 * (`<book>/.bookwright/queue.json` through AdapterJobStore, so every device and the CLI see it), and the events the
 * queue panel, the dashboard and the status bar listen to. The engine is shared/queue; this file only
 * decides which book, which device, which model, and when.
 *
 * A batch belongs to the device that started it (its id lives in this device's local storage, not in the
 * synced plugin data). After Obsidian restarts, this device's unfinished batches resume by themselves;
 * another device's are shown and never run, until the writer takes one over.
 */
import type { App } from "obsidian";
import type { AgentModels } from "../../shared/agents/run";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import type { Llm } from "../../shared/llm/llm";
import { RateLimiter, rateLimited } from "../../shared/llm/rate-limit";
import { retrying } from "../../shared/llm/retry";
import { AgentExecutor, type ExecutorNotice } from "../../shared/queue/agent-executor";
import { buildBatch, prioritizeChapter } from "../../shared/queue/graph";
import { queuePath, type JobStore } from "../../shared/queue/job-store";
import { belongsTo, cancel, resume as resumeJob, retry, takeOver, totalCostUsd, type BatchMode, type QueueState } from "../../shared/queue/jobs";
import { NoteRevisions, type Revisions } from "../../shared/queue/revisions";
import { QueueRunner, type QueueEvent } from "../../shared/queue/runner";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { companionFromSettings } from "../local-service/client";
import { CompanionOrVaultRevisions, fallbackNotice } from "../local-service/companion-revisions";
import type { BookwrightSettings } from "../settings";
import { AdapterJobStore } from "./adapter-job-store";

export interface BatchRequest {
  chapters: number[];
  mode: BatchMode;
  concurrency: number;
  costCapUsd: number | null;
}

/** What the panel and the dashboard are told: a queue event of one book, or that its saved state changed. */
export type ControllerEvent =
  | { type: "event"; bookFolder: string; event: QueueEvent }
  | { type: "state"; bookFolder: string; state: QueueState | null; running: boolean }
  | { type: "notice"; bookFolder: string; notice: ExecutorNotice };

export interface QueueControllerOptions {
  app: App;
  vault: VaultFiles;
  settings: () => BookwrightSettings;
  /** The model; built from the settings and the secret API key when absent (tests inject one). */
  llm?: Llm;
  now?: () => number;
  /** Resolves when the note is not being typed in; the plugin watches the editor (write-safety rule 1). */
  whenIdle?: (path: string) => Promise<void>;
}

const DEVICE_KEY = "bookwright-device-id";

export class QueueController {
  private readonly runners = new Map<string, QueueRunner>();
  private readonly states = new Map<string, QueueState | null>();
  private readonly listeners = new Set<(event: ControllerEvent) => void>();
  private readonly now: () => number;

  constructor(private readonly options: QueueControllerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** This device's id: made once, kept in Obsidian's per-device local storage (never synced). */
  get deviceId(): string {
    const app = this.options.app;
    const stored = app.loadLocalStorage(DEVICE_KEY) as unknown;
    if (typeof stored === "string" && stored) return stored;
    const id = `obsidian-${Math.random().toString(36).slice(2, 10)}`;
    app.saveLocalStorage(DEVICE_KEY, id);
    return id;
  }

  subscribe(listener: (event: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ControllerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Through the adapter: Obsidian does not index the hidden `.bookwright/` folder the queue lives in. */
  private store(bookFolder: string): JobStore {
    return new AdapterJobStore(this.options.app.vault.adapter, bookFolder);
  }

  /** The saved state of a book's batch (read from the vault the first time). */
  async state(bookFolder: string): Promise<QueueState | null> {
    if (!this.states.has(bookFolder)) this.states.set(bookFolder, await this.store(bookFolder).load());
    return this.states.get(bookFolder) ?? null;
  }

  isRunning(bookFolder: string): boolean {
    return this.runners.has(bookFolder);
  }

  /** What the jobs of a new batch would probably cost, for the modal before it starts. Calls no model. */
  estimate(bookFolder: string, request: Pick<BatchRequest, "chapters" | "mode">): number {
    return this.estimateState(bookFolder, buildBatch({ batchId: "estimate", bookFolder, deviceId: this.deviceId, chapters: request.chapters, mode: request.mode, now: this.now() }));
  }

  /** What the jobs of a prepared batch would probably cost: models and prices only, so no API key is needed. */
  estimateState(bookFolder: string, state: QueueState): number {
    const executor = this.executor(bookFolder, Math.min(...state.jobs.map((j) => j.chapter)), NO_MODEL);
    return state.jobs.reduce((sum, job) => sum + executor.estimateCostUsd(job), 0);
  }

  /** Starts a batch; refuses while the book has an unfinished one (resume, take over or discard it first). */
  async start(bookFolder: string, request: BatchRequest): Promise<void> {
    const state = buildBatch({
      batchId: this.newBatchId(),
      bookFolder,
      deviceId: this.deviceId,
      chapters: request.chapters,
      mode: request.mode,
      now: this.now(),
      ...(request.costCapUsd !== null ? { costCapUsd: request.costCapUsd } : {}),
    });
    await this.startState(bookFolder, state, request.concurrency);
  }

  /**
   * Runs a prepared batch (some kinds of jobs only: "Write chapter", "Check the whole book"); refused, like
   * `start`, while the book has an unfinished batch. Resolves when it has run (done, paused or blocked).
   */
  async startState(bookFolder: string, state: QueueState, concurrency: number): Promise<void> {
    const saved = await this.state(bookFolder);
    if (saved && isUnfinished(saved)) {
      throw new Error(
        belongsTo(saved, this.deviceId)
          ? `${bookFolder} has an unfinished batch; resume it, or discard it, in the queue panel first`
          : `${bookFolder} has an unfinished batch started on another device (${saved.deviceId}); take it over in the queue panel, or let it finish there`,
      );
    }
    await this.run(bookFolder, state, concurrency);
  }

  newBatchId(): string {
    return `${new Date(this.now()).toISOString().slice(0, 10)}-${Math.random().toString(16).slice(2, 10)}`;
  }

  /**
   * Forgets the book's batch. The file is renamed (`queue.discarded-<time>.json`), never deleted: it may
   * hold drafts that were paid for and never applied. Chapters already written stay as they are.
   */
  async discard(bookFolder: string): Promise<void> {
    if (this.isRunning(bookFolder)) throw new Error("stop the batch before discarding it");
    const adapter = this.options.app.vault.adapter;
    const path = queuePath(bookFolder);
    if (await adapter.exists(path)) await adapter.rename(path, path.replace(/\.json$/, `.discarded-${new Date(this.now()).toISOString().replace(/[:.]/g, "-")}.json`));
    this.states.set(bookFolder, null);
    this.emit({ type: "state", bookFolder, state: null, running: false });
  }

  /** Runs this device's unfinished batch of a book again (failed jobs retried, paused ones resumed). */
  async resume(bookFolder: string): Promise<void> {
    const saved = await this.state(bookFolder);
    if (!saved || !isUnfinished(saved) || this.isRunning(bookFolder)) return;
    if (!belongsTo(saved, this.deviceId)) throw new Error(`this batch belongs to ${saved.deviceId}; take it over to run it here`);
    let state = saved;
    for (const job of saved.jobs) {
      if (job.state === "failed") state = retry(state, job.id);
      else if (job.state === "paused") state = resumeJob(state, job.id);
    }
    await this.run(bookFolder, state, this.options.settings().concurrency);
  }

  /** Resumes every unfinished batch of this device in the given books (after layout-ready). */
  async resumeOwn(bookFolders: string[]): Promise<void> {
    for (const folder of bookFolders) {
      const saved = await this.state(folder);
      if (saved && isUnfinished(saved) && belongsTo(saved, this.deviceId) && !this.isRunning(folder)) void this.resume(folder).catch(() => undefined);
      else this.emit({ type: "state", bookFolder: folder, state: saved, running: false });
    }
  }

  /** The writer's explicit "take over": the batch moves to this device and may then run here. */
  async takeOver(bookFolder: string): Promise<void> {
    const saved = await this.state(bookFolder);
    if (!saved) return;
    await this.save(bookFolder, takeOver(saved, this.deviceId, this.now()));
  }

  cancel(bookFolder: string, jobId: string): Promise<void> {
    const runner = this.runners.get(bookFolder);
    if (runner) {
      runner.cancel(jobId);
      return Promise.resolve();
    }
    return this.change(bookFolder, (s) => cancel(s, jobId));
  }

  retry(bookFolder: string, jobId: string): Promise<void> {
    return this.change(bookFolder, (s) => retry(s, jobId)).then(() => (this.isRunning(bookFolder) ? undefined : this.resume(bookFolder)));
  }

  pause(bookFolder: string): void {
    this.runners.get(bookFolder)?.pause();
  }

  /** Lifts a pause; a batch that had stopped runs again. */
  async unpause(bookFolder: string): Promise<void> {
    const runner = this.runners.get(bookFolder);
    if (runner) runner.resume();
    else await this.resume(bookFolder);
  }

  /**
   * The chapter the writer has open goes first, in the saved batch it will run from. A running batch keeps
   * the order it started with (the runner owns its state while it runs).
   */
  async focusChapter(bookFolder: string, chapter: number | null): Promise<void> {
    if (this.isRunning(bookFolder)) return;
    const saved = await this.state(bookFolder);
    if (saved && isUnfinished(saved)) await this.save(bookFolder, prioritizeChapter(saved, chapter));
  }

  /** Stops every runner (Obsidian closing, the plugin unloading): in-flight jobs go back to the queue. */
  stopAll(): void {
    for (const runner of this.runners.values()) runner.stop();
  }

  totalCost(bookFolder: string): number {
    const state = this.states.get(bookFolder);
    return state ? totalCostUsd(state) : 0;
  }

  // --- Running ------------------------------------------------------------------------------------

  private async run(bookFolder: string, state: QueueState, concurrency: number): Promise<void> {
    const store = this.store(bookFolder);
    const runner = new QueueRunner({
      store: {
        load: (id) => store.load(id),
        save: async (saved) => {
          await store.save(saved);
          this.states.set(bookFolder, saved);
          this.emit({ type: "state", bookFolder, state: saved, running: true });
        },
      },
      executor: this.executor(bookFolder, Math.min(...state.jobs.map((j) => j.chapter)), this.llm()),
      deviceId: this.deviceId,
      concurrency,
      now: this.now,
      onEvent: (event) => this.emit({ type: "event", bookFolder, event }),
    });
    this.runners.set(bookFolder, runner);
    try {
      const final = await runner.run(state);
      this.states.set(bookFolder, final);
    } finally {
      this.runners.delete(bookFolder);
      this.emit({ type: "state", bookFolder, state: this.states.get(bookFolder) ?? null, running: false });
    }
  }

  private executor(bookFolder: string, batchStart: number, llm: Llm): AgentExecutor {
    const { vault, whenIdle } = this.options;
    const models: Partial<AgentModels> = this.options.settings().models;
    return new AgentExecutor({
      vault,
      bookFolder,
      llm,
      revisions: this.revisions(bookFolder),
      batchStart,
      now: this.now,
      models,
      onNotice: (notice) => this.emit({ type: "notice", bookFolder, notice }),
      ...(whenIdle ? { beforeChapterWrite: whenIdle } : {}),
    });
  }

  /**
   * One per executor, so one per batch: the text an AI write replaces goes to the companion when one is
   * set up, to the book's revision notes otherwise, and the writer hears once per batch when the companion
   * failed and the vault took them.
   */
  private revisions(bookFolder: string): Revisions {
    const { app, vault, settings } = this.options;
    return new CompanionOrVaultRevisions({
      companion: () => companionFromSettings(app, settings()),
      vault: new NoteRevisions(vault, bookFolder),
      onFallback: ({ reason, revision, saved }) => {
        const job = this.states.get(bookFolder)?.jobs.find((j) => j.idempotencyKey === revision.jobId);
        const message = fallbackNotice(bookFolder, reason);
        // Chapter 0 only if the job is not in the saved state, which the runner saves before applying.
        this.emit({ type: "notice", bookFolder, notice: { jobId: job?.id ?? revision.jobId ?? "", chapter: job?.chapter ?? 0, message, ...(saved.path !== undefined ? { path: saved.path } : {}) } });
      },
    });
  }

  private llm(): Llm {
    if (this.options.llm) return this.options.llm;
    return buildPluginLlm(this.options.app, this.options.settings());
  }

  private async change(bookFolder: string, change: (state: QueueState) => QueueState): Promise<void> {
    const saved = await this.state(bookFolder);
    if (saved) await this.save(bookFolder, change(saved));
  }

  private async save(bookFolder: string, state: QueueState): Promise<void> {
    await this.store(bookFolder).save(state);
    this.states.set(bookFolder, state);
    this.emit({ type: "state", bookFolder, state, running: this.isRunning(bookFolder) });
  }
}

/** For estimates: a model that refuses to be called, so working out a cost needs no API key. */
const NO_MODEL: Llm = { complete: () => Promise.reject(new Error("an estimate calls no model")) };

export function isUnfinished(state: QueueState): boolean {
  return state.jobs.some((j) => j.state !== "succeeded" && j.state !== "cancelled");
}

/** The Anthropic API key from Obsidian's secret storage; a clear error when none is chosen or stored. */
export function apiKeyOf(app: App, settings: BookwrightSettings): string {
  if (!settings.apiKeySecret) {
    if (settings.baseUrl) return "local";
    throw new Error("No API key: choose or create one in Bookwright's settings (it is kept in Obsidian's secret storage)");
  }
  const key = app.secretStorage.getSecret(settings.apiKeySecret);
  if (!key) throw new Error(`The secret "${settings.apiKeySecret}" chosen for the API key is empty or gone; choose it again in Bookwright's settings`);
  return key;
}

const limiters = new WeakMap<App, RateLimiter>();

/**
 * The model for the plugin: the SDK over `fetch` (streaming needs it; requestUrl cannot stream or be
 * aborted), one rate limiter per app learning from the response headers, and job-level retries with
 * window timers (popout-safe).
 */
export function buildPluginLlm(app: App, settings: BookwrightSettings): Llm {
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const id = window.setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        window.clearTimeout(id);
        reject(new Error("aborted"));
      });
    });
  let limiter = limiters.get(app);
  if (!limiter) {
    limiter = new RateLimiter({ now: Date.now, sleep });
    limiters.set(app, limiter);
  }
  const shared = limiter;
  const anthropic = new AnthropicLlm({
    apiKey: apiKeyOf(app, settings),
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    onRateLimit: (snapshot) => shared.observe(snapshot),
  });
  return retrying(rateLimited(anthropic, shared), { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000, sleep, random: Math.random });
}
