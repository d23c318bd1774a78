/**
 * `bookwright generate <book> --chapters 1-7`: runs a batch of chapters through the queue (brief → write
 * → checks) against the Anthropic API or any compatible server, with live progress, a cost cap, and
 * Ctrl-C that stops cleanly: the batch is saved after every step, and running the command again resumes
 * it where it stopped, paying for nothing twice and writing no chapter twice.
 *
 * `bookwright queue <book>` shows the saved batch, and can take it over from another device, retry or
 * cancel jobs, or discard it.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { readChapterRange } from "../../shared/book/chapter-range";
import { loadBook } from "../../shared/book/scan";
import type { AgentModels } from "../../shared/agents/run";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import type { Llm } from "../../shared/llm/llm";
import { RateLimiter, rateLimited } from "../../shared/llm/rate-limit";
import { retrying } from "../../shared/llm/retry";
import { SimulatedLlm, SIMULATOR_MODEL } from "../../shared/llm/simulated-llm";
import { AgentExecutor } from "../../shared/queue/agent-executor";
import { buildBatch } from "../../shared/queue/graph";
import { belongsTo, cancel, resume, retry, takeOver, totalCostUsd, type BatchMode, type QueueState } from "../../shared/queue/jobs";
import { NoteRevisions, type Revisions } from "../../shared/queue/revisions";
import { PAUSE_STOPPED, QueueRunner, type QueueEvent } from "../../shared/queue/runner";
import { formatQueue } from "../cli-display/queue-view";
import { LiveDisplay } from "../cli-display/terminal";
import { FileJobStore } from "../queue/file-job-store";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";
import type { CommandIO } from "./import";

export const processIO: CommandIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: () => process.cwd(),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export interface GenerateOptions {
  vault?: string;
  chapters?: string;
  mode: string;
  concurrency: string;
  maxCost?: string;
  baseUrl?: string;
  model?: string[];
  apiKey?: string;
  takeOver?: boolean;
  /** Let the batch replace chapters that already have prose (each is kept as a revision first). */
  rewrite?: boolean;
  /** Write with the offline simulator (placeholder text, no model, no network, no cost) instead of a model. */
  simulate?: boolean;
}

/** Where a book's queue lives: inside the book, hidden, so Obsidian on any device shows the same batch. */
export function queueFile(root: string, folder: string): string {
  return nodePath.join(root, folder, ".bookwright", "queue.json");
}

/** This machine, as the owner of the batches it starts (DESIGN.md §4: a queue runs on one device only). */
export function cliDeviceId(): string {
  return process.env.BOOKWRIGHT_DEVICE_ID ?? `cli@${hostname()}`;
}

/** `1-7`, `3`, `1,4,6-9` → sorted chapter numbers; throws naming the part that is not a chapter range. */
export function parseChapterRange(text: string): number[] {
  const read = readChapterRange(text, 1000);
  if ("chapters" in read) return read.chapters;
  const p = read.problem;
  switch (p.reason) {
    case "empty":
      throw new Error("--chapters: expected chapter numbers such as 1-7");
    case "not-a-range":
      throw new Error(`--chapters: '${p.part}' is not a chapter number or a range such as 1-7`);
    case "below-one":
    case "backwards":
      throw new Error(`--chapters: '${p.part}' is not a range of chapters from 1 upwards`);
    case "too-many":
      throw new Error(`--chapters: '${p.part}' is more than 1,000 chapters`);
  }
}

/** `--model claude-x` for every agent, or `--model writer=claude-x` for one; repeatable. */
export function parseModels(values: string[] = []): Partial<AgentModels> {
  const agents = ["architect", "writer", "continuity", "timeline", "characters"] as const;
  const models: Partial<AgentModels> = {};
  for (const raw of values) {
    const value = raw.trim();
    if (!value) throw new Error("--model: expected a model id, or agent=model (e.g. writer=claude-opus-4-5)");
    const eq = value.indexOf("=");
    if (eq === -1) {
      for (const agent of agents) models[agent] = value;
      continue;
    }
    const agent = value.slice(0, eq).trim();
    const model = value.slice(eq + 1).trim();
    if (!(agents as readonly string[]).includes(agent)) throw new Error(`--model: '${agent}' is not an agent (expected one of ${agents.join(", ")})`);
    if (!model) throw new Error(`--model: no model after '${agent}='`);
    models[agent as (typeof agents)[number]] = model;
  }
  return models;
}

function parseNumber(name: string, text: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`${name}: expected ${expected}, got '${text}'`);
  return n;
}

/** Jobs that can still run: anything not succeeded, failed ones included (running the command again is the retry). */
function isUnfinished(state: QueueState): boolean {
  return state.jobs.some((j) => j.state !== "succeeded" && j.state !== "cancelled");
}

/** A resumed batch: failed jobs are retried and paused ones resumed, since the writer asked to run it again. */
function readyToResume(state: QueueState): QueueState {
  let next = state;
  for (const job of state.jobs) {
    if (job.state === "failed") next = retry(next, job.id);
    else if (job.state === "paused") next = resume(next, job.id);
  }
  return next;
}

export interface GenerateDeps {
  io: CommandIO;
  /** The model; the command builds an AnthropicLlm when absent. */
  llm?: Llm;
  now?: () => number;
  /** Receives the runner so a caller (Ctrl-C, a test) can stop or cancel it. */
  onRunner?: (runner: QueueRunner) => void;
  onEvent?: (event: QueueEvent) => void;
  /** Told every state the batch saves (costs, attempts), starting with the one it starts from. */
  onState?: (state: QueueState) => void;
  /** Called when the batch has stopped running, before the summary is printed. */
  onDone?: () => void;
  /**
   * Wraps the book's revisions (notes in `Revisions/`), e.g. to keep each one in the companion's store
   * too (`bookwright demo` does).
   */
  wrapRevisions?: (revisions: Revisions) => Revisions;
}

/** Every agent on the simulator's model: it has no price, so the estimates and costs shown are $0, as they should be. */
export function simulatorModels(): AgentModels {
  return { architect: SIMULATOR_MODEL, writer: SIMULATOR_MODEL, continuity: SIMULATOR_MODEL, timeline: SIMULATOR_MODEL, characters: SIMULATOR_MODEL };
}

/** Runs (or resumes) a batch; resolves with the final saved state. */
export async function generate(bookFolder: string, options: GenerateOptions, deps: GenerateDeps): Promise<QueueState> {
  const { io } = deps;
  const now = deps.now ?? Date.now;
  const mode = options.mode as BatchMode;
  if (mode !== "sequential" && mode !== "plan-ahead") throw new Error(`--mode: expected sequential or plan-ahead, got '${options.mode}'`);
  const concurrency = parseNumber("--concurrency", options.concurrency, (n) => Number.isInteger(n) && n >= 1 && n <= 32, "a whole number from 1 to 32")!;
  const maxCost = parseNumber("--max-cost", options.maxCost, (n) => n > 0, "an amount of US dollars above 0, e.g. 5");
  const models = options.simulate ? simulatorModels() : parseModels(options.model);
  const { root, folder } = locateBook(nodePath.resolve(io.cwd(), bookFolder), options.vault === undefined ? undefined : nodePath.resolve(io.cwd(), options.vault));
  const vault = new NodeVault(root);
  const book = await loadBook(vault, folder);
  const deviceId = cliDeviceId();
  const store = new FileJobStore(queueFile(root, folder), { onProblem: (p) => io.err(`warning: ${p.message}`) });

  let state = await store.load();
  if (state && isUnfinished(state)) {
    if (!belongsTo(state, deviceId)) {
      if (!options.takeOver) {
        throw new Error(`the unfinished batch ${state.batchId} of this book belongs to "${state.deviceId}"; it may still be running there. Run with --take-over to move it to this device ("${deviceId}")`);
      }
      state = takeOver(state, deviceId, now());
      io.err(`took over batch ${state.batchId} from its previous device`);
    }
    const wanted = options.chapters !== undefined ? parseChapterRange(options.chapters) : undefined;
    const inBatch = [...new Set(state.jobs.map((j) => j.chapter))].sort((a, b) => a - b);
    if (wanted && wanted.join(",") !== inBatch.join(",")) {
      throw new Error(`an unfinished batch for chapters ${inBatch.join(", ")} is saved in ${store.path}; run without --chapters to finish it, or discard it with \`bookwright queue "${bookFolder}" --discard\``);
    }
    if (options.mode !== state.mode && options.mode !== "sequential") {
      io.err(`note: the saved batch runs in ${state.mode} mode; --mode ${options.mode} applies to new batches only`);
    }
    state = readyToResume(state);
    if (maxCost !== undefined) state = { ...state, costCapUsd: maxCost };
    io.err(`resuming batch ${state.batchId}: ${state.jobs.filter((j) => j.state === "succeeded").length} of ${state.jobs.length} jobs already done`);
  } else {
    if (options.chapters === undefined) throw new Error("--chapters: which chapters to generate, e.g. --chapters 1-7 (nothing is left to resume)");
    const chapters = parseChapterRange(options.chapters);
    const written = book.chapters.filter((c) => c.number !== null && chapters.includes(c.number) && c.words > 0);
    if (written.length > 0 && !options.rewrite) {
      const list = written.map((c) => `chapter ${c.number} (${c.words.toLocaleString("en")} words, ${c.path})`).join(", ");
      throw new Error(`${list} already ${written.length === 1 ? "has" : "have"} text; pass --rewrite to replace it (the current text is kept as a revision first), or choose other chapters`);
    }
    state = buildBatch({
      batchId: `${new Date(now()).toISOString().slice(0, 10)}-${randomBytes(4).toString("hex")}`,
      bookFolder: folder,
      deviceId,
      chapters,
      mode,
      now: now(),
      ...(maxCost !== undefined ? { costCapUsd: maxCost } : {}),
    });
  }

  const llm = deps.llm ?? buildLlm(options, io);
  const batchStart = Math.min(...state.jobs.map((j) => j.chapter));
  const revisions = new NoteRevisions(vault, folder);
  const executor = new AgentExecutor({
    vault,
    bookFolder: folder,
    llm,
    revisions: deps.wrapRevisions ? deps.wrapRevisions(revisions) : revisions,
    batchStart,
    now,
    models,
    onNotice: (notice) => io.err(`note: ${notice.message}`),
  });
  const open = state.jobs.filter((j) => j.state !== "succeeded" && j.state !== "cancelled");
  const estimate = open.reduce((sum, job) => sum + executor.estimateCostUsd(job), 0);
  const spent = totalCostUsd(state);
  io.err(
    `${book.meta.title}: ${open.length} jobs for chapters ${[...new Set(open.map((j) => j.chapter))].join(", ")} (${state.mode}), ` +
      `estimated $${estimate.toFixed(2)}${spent > 0 ? ` more (spent so far $${spent.toFixed(2)})` : ""}` +
      `${state.costCapUsd !== undefined ? `, cap $${state.costCapUsd.toFixed(2)}` : ""}`,
  );
  if (state.costCapUsd !== undefined && spent + estimate > state.costCapUsd) {
    io.err(`the estimate is above the cap: the batch stops before a job would cross $${state.costCapUsd.toFixed(2)}`);
  }

  const runner = new QueueRunner({
    // Every saved state goes to the display too: the events say what happened, the state what it cost.
    store: {
      load: (batchId) => store.load(batchId),
      save: async (saved) => {
        await store.save(saved);
        deps.onState?.(saved);
      },
    },
    executor,
    deviceId,
    concurrency,
    // One chapter drafted at a time in sequential mode would waste nothing, but plan-ahead's point is
    // parallel writers, so only the cheap checks are held back here.
    now,
    onEvent: (event) => deps.onEvent?.(event),
  });
  deps.onRunner?.(runner);
  deps.onState?.(state);
  const final = await runner.run(state).finally(() => deps.onDone?.());
  const reason = runner.pauseReason;
  const done = final.jobs.filter((j) => j.state === "succeeded").length;
  const failed = final.jobs.filter((j) => j.state === "failed");
  io.err(`${done} of ${final.jobs.length} jobs done, cost $${totalCostUsd(final).toFixed(4)}`);
  for (const job of failed) io.err(`failed: ${job.id}: ${job.error?.message ?? "unknown error"}`);
  if (reason === PAUSE_STOPPED) {
    io.err(`stopped; run the same command again to resume`);
    io.setExitCode(130);
  } else if (reason !== undefined) {
    io.err(`paused (${reason}); run the command again to resume${reason === "cost cap" ? " with a higher --max-cost" : ""}`);
    io.setExitCode(2);
  } else if (failed.length > 0 || done < final.jobs.length) {
    const cancelled = final.jobs.filter((j) => j.state === "cancelled").map((j) => j.id);
    if (cancelled.length > 0) {
      io.err(`cancelled: ${cancelled.join(", ")}; the jobs after them wait. Bring them back with \`bookwright queue "${bookFolder}" --retry all\`, or start afresh with --discard`);
    }
    io.setExitCode(1);
  }
  return final;
}

export function buildLlm(options: Pick<GenerateOptions, "apiKey" | "baseUrl" | "simulate">, io: CommandIO): Llm {
  if (options.simulate) {
    io.err("simulating: the offline simulator writes placeholder text, not prose from a model; nothing is sent anywhere and nothing is charged");
    return new SimulatedLlm();
  }
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  if (!apiKey) throw new Error("no API key: set ANTHROPIC_API_KEY or pass --api-key (a local server accepts any value)");
  const baseURL = options.baseUrl ?? process.env.BOOKWRIGHT_BASE_URL;
  const pause = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : {});
  // One limiter for every job of the batch: it learns the account's limits from the response headers,
  // so parallel jobs queue politely instead of all hitting 429 at once.
  const limiter = new RateLimiter({ now: Date.now, sleep: pause });
  const anthropic = new AnthropicLlm({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    onWarning: (message) => io.err(`warning: ${message}`),
    onRateLimit: (snapshot) => limiter.observe(snapshot),
  });
  // Retries outside the limiter, so each attempt waits its turn.
  return retrying(rateLimited(anthropic, limiter), {
    maxAttempts: 5,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    sleep: pause,
    random: Math.random,
    // On a terminal the live display shows the job waiting; a line printed into it would break the redraw.
    onRetry: (info) => process.stderr.isTTY || io.err(`retrying after ${info.error.kind} in ${Math.round(info.delayMs / 1000)} s (attempt ${info.attempt})`),
  });
}

export function registerGenerateCommand(program: Command, io: CommandIO = processIO): void {
  program
    .command("generate")
    .description("Write chapters with the agents: brief, draft, then continuity, characters and timeline; resumes an unfinished batch")
    .argument("<book-folder>", "folder holding the book's Book.md")
    .option("--chapters <range>", "chapters to generate, e.g. 1-7 or 1,3,5-6 (omit to resume)")
    .option("--mode <mode>", "sequential (each brief knows the chapter before) or plan-ahead (briefs first, drafts in parallel)", "sequential")
    .option("--concurrency <n>", "jobs at once", "3")
    .option("--max-cost <usd>", "stop before the batch would cost more than this many US dollars")
    .option("--base-url <url>", "an Anthropic-compatible endpoint (default: BOOKWRIGHT_BASE_URL, else the Anthropic API)")
    .option("--model <id>", "model for every agent, or agent=model for one (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option("--api-key <key>", "API key (default: the ANTHROPIC_API_KEY environment variable)")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .option("--take-over", "run a batch another device started (only if it is not running there)")
    .option("--rewrite", "replace chapters that already have text (each is kept as a revision first)")
    .option("--simulate", "write with the built-in offline simulator instead of a model: placeholder text (marked as such), no API key, no network, no cost; for trying the queue and the notes")
    .action(async (bookFolder: string, options: GenerateOptions) => {
      let runner: QueueRunner | undefined;
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) {
          io.err("quitting now; the batch is saved and resumes on the next run");
          process.exit(130);
        }
        io.err("stopping… (the batch is saved; Ctrl-C again to quit at once)");
        runner?.stop();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      const display = new LiveDisplay(process.stderr, { concurrency: Number(options.concurrency) || 3 });
      try {
        await generate(bookFolder, options, {
          io,
          onRunner: (r) => (runner = r),
          onState: (state) => display.setState(state),
          onEvent: display.onEvent,
          onDone: () => display.finish(),
        });
      } catch (error) {
        io.err(`bookwright generate: ${error instanceof Error ? error.message : String(error)}`);
        io.setExitCode(1);
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}

/** `bookwright queue <book>`: the saved batch, and what can be done to it. */
export function registerQueueCommand(program: Command, io: CommandIO = processIO): void {
  program
    .command("queue")
    .description("Show the book's saved generation batch; take it over, retry, cancel or discard it")
    .argument("<book-folder>", "folder holding the book's Book.md")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .option("--json", "print the saved state as JSON")
    .option("--take-over", "make this device the batch's owner")
    .option("--retry <job>", "queue a failed or cancelled job again (a job id, or all)")
    .option("--cancel <job>", "cancel a job that has not finished (a job id, or all)")
    .option("--discard", "delete the saved batch (chapters already written stay as they are)")
    .action(async (bookFolder: string, options: { vault?: string; json?: boolean; takeOver?: boolean; retry?: string; cancel?: string; discard?: boolean }) => {
      try {
        const { root, folder } = locateBook(nodePath.resolve(io.cwd(), bookFolder), options.vault === undefined ? undefined : nodePath.resolve(io.cwd(), options.vault));
        const store = new FileJobStore(queueFile(root, folder), { onProblem: (p) => io.err(`warning: ${p.message}`) });
        let state = await store.load();
        if (!state) {
          io.out(`no saved batch for ${folder} (start one with \`bookwright generate "${bookFolder}" --chapters 1-3\`)`);
          return;
        }
        if (options.discard) {
          const movedTo = await store.clear();
          io.out(`discarded batch ${state.batchId} (its file was moved to ${movedTo ?? "nowhere: it was already gone"})`);
          return;
        }
        let changed = false;
        if (options.takeOver) {
          state = takeOver(state, cliDeviceId(), Date.now());
          changed = true;
        }
        if (options.retry) {
          const ids = options.retry === "all" ? state.jobs.filter((j) => j.state === "failed" || j.state === "cancelled").map((j) => j.id) : [options.retry];
          for (const id of ids) state = retry(state, id);
          changed = true;
        }
        if (options.cancel) {
          state = cancel(state, options.cancel);
          changed = true;
        }
        if (changed) await store.save(state);
        io.out(options.json ? JSON.stringify(state, null, 2) : formatQueue(state, { now: Date.now(), color: process.stdout.isTTY === true && !process.env.NO_COLOR }));
      } catch (error) {
        io.err(`bookwright queue: ${error instanceof Error ? error.message : String(error)}`);
        io.setExitCode(1);
      }
    });
}
