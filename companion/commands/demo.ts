/**
 * `bookwright demo` (what `npm run demo` runs): the product's main job, end to end, on a copy of the sample
 * book, on any machine, with or without a model.
 *
 * 1. Copies the sample book (demo/vault) into a fresh vault under demo/out, replacing the previous demo's,
 *    and installs the built plugin in it (enabled), so the folder opens in Obsidian as it is.
 * 2. Starts the companion on that vault, with its database, token and exports under demo/out (never the
 *    writer's own data or config directory) and on its usual port, or any free one when that is taken.
 * 3. Keeps every note of the book in the companion as it is, then writes the first chapters that have no
 *    text through the same queue `bookwright generate` runs (QueueRunner, AgentExecutor, FileJobStore);
 *    the text each chapter had before the AI wrote it goes to the companion as well as to `Revisions/`.
 * 4. Prints the model and endpoint, the chapters with their words, the cost, the companion and how many
 *    revisions it holds, and how to open the vault; then stops the companion (`--serve` keeps it running).
 *
 * The model: ANTHROPIC_API_KEY set → the Anthropic API (as `generate` builds it); else BOOKWRIGHT_BASE_URL
 * → that Anthropic-compatible server; else the offline simulator (shared/llm/simulated-llm.ts), which is
 * announced loudly at the start and the end, because placeholder text mistaken for a model's prose would
 * be the worst first impression of all.
 */
import { existsSync, readFileSync } from "node:fs";
import { copyFile, cp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { DEFAULT_AGENT_MODELS, type AgentModels } from "../../shared/agents/run";
import { loadBook, type BookInfo } from "../../shared/book/scan";
import { DEFAULT_COMPANION_PORT } from "../../shared/companion-api/api";
import { SIMULATOR_MODEL } from "../../shared/llm/simulated-llm";
import { totalCostUsd, type QueueState } from "../../shared/queue/jobs";
import type { QueueRunner } from "../../shared/queue/runner";
import { LiveDisplay, type DisplayStream } from "../cli-display/terminal";
import { withCompanionCopies } from "../revisions/companion-copies";
import type { RevisionStore } from "../revisions/types";
import { NodeVault } from "../vault/node-vault";
import { startCompanion, type RunningCompanion } from "./companion";
import { generate, parseModels, processIO, simulatorModels, type GenerateOptions } from "./generate";
import type { CommandIO } from "./import";

export interface DemoOptions {
  /** Where the demo's vault, database and token go. @default <Bookwright>/demo/out */
  out?: string;
  /** The vault holding the sample book to copy. @default <Bookwright>/demo/vault */
  sample?: string;
  /** Where the built plugin (main.js, manifest.json, styles.css) is. @default the Bookwright folder */
  plugin?: string;
  chapters?: string;
  port?: string;
  serve?: boolean;
  simulate?: boolean;
  model?: string[];
  maxCost?: string;
}

export interface DemoDeps {
  io: CommandIO;
  /** Where ANTHROPIC_API_KEY and BOOKWRIGHT_BASE_URL are read. @default process.env */
  env?: Record<string, string | undefined>;
  /** The live progress display's stream. @default process.stderr */
  display?: DisplayStream;
  /** With `--serve`: resolves when the companion should stop. @default on Ctrl-C (SIGINT) or SIGTERM */
  untilStopped?: () => Promise<void>;
}

/** The demo vault's folder name under the output folder: what Obsidian shows as the vault's name. */
export const DEMO_VAULT_NAME = "Bookwright Demo";
/**
 * A new vault's configuration folder. Obsidian lets a writer rename it (hence the lint warning here, the
 * one place it is named), but the demo makes the vault, and a vault Obsidian has never opened uses this name.
 */
export const NEW_VAULT_CONFIG_DIR = ".obsidian";
/** Written into the output folder, so a later run knows the folder is the demo's to replace. */
const MARKER = ".bookwright-demo";
/** Chapters the demo writes when none are named. */
const DEMO_CHAPTERS = 3;
/** A short quiet time before the companion keeps a changed note, so the demo does not wait long for it. */
const WATCH_DEBOUNCE_MS = 300;
/** With a paid model the demo stops before it would spend more than this, unless told otherwise. */
const PAID_DEFAULT_CAP_USD = "2";

/** Which model the demo writes with, and why. */
export type ModelChoice =
  | { kind: "anthropic"; apiKey: string; endpoint: string; baseUrl?: string }
  | { kind: "local"; endpoint: string; baseUrl: string }
  | { kind: "simulator"; endpoint: string };

/**
 * ANTHROPIC_API_KEY → the Anthropic API (or BOOKWRIGHT_BASE_URL, with that key, as `generate` does);
 * BOOKWRIGHT_BASE_URL alone → that server (local servers take any key); neither, or `--simulate` → the
 * simulator.
 */
export function chooseModel(env: Record<string, string | undefined>, simulate = false): ModelChoice {
  const apiKey = env.ANTHROPIC_API_KEY?.trim();
  const baseUrl = env.BOOKWRIGHT_BASE_URL?.trim();
  if (simulate) return { kind: "simulator", endpoint: "the built-in offline simulator (no network)" };
  if (apiKey) return { kind: "anthropic", apiKey, endpoint: baseUrl || "https://api.anthropic.com", ...(baseUrl ? { baseUrl } : {}) };
  if (baseUrl) return { kind: "local", endpoint: baseUrl, baseUrl };
  return { kind: "simulator", endpoint: "the built-in offline simulator (no network)" };
}

/** "claude-sonnet-4-6 (architect, writer, continuity), claude-haiku-4-5 (timeline, characters)" */
export function describeModels(models: AgentModels): string {
  const byModel = new Map<string, string[]>();
  for (const [agent, model] of Object.entries(models)) byModel.set(model, [...(byModel.get(model) ?? []), agent]);
  if (byModel.size === 1) return `${[...byModel.keys()][0]} (every agent)`;
  return [...byModel.entries()].map(([model, agents]) => `${model} (${agents.join(", ")})`).join(", ");
}

/** The boxed notice printed before the simulator writes anything. */
export function simulatorBanner(): string {
  const lines = [
    "NO MODEL CONNECTED: this demo writes with Bookwright's OFFLINE SIMULATOR.",
    "The chapters it writes are PLACEHOLDER TEXT put together by a program from",
    "word lists, not prose from a language model. Everything else is real: the",
    "queue, the agents' notes, the checks, the companion and its revisions.",
    "",
    "To write with a real model, set one of these and run `npm run demo` again:",
    "  export ANTHROPIC_API_KEY=sk-ant-...               (the Anthropic API)",
    "  export BOOKWRIGHT_BASE_URL=http://localhost:11434  (Ollama; LM Studio is",
    "    http://localhost:1234) and name its model: npm run demo -- --model <id>",
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const bar = "═".repeat(width + 4);
  return [`╔${bar}╗`, ...lines.map((l) => `║  ${l.padEnd(width)}  ║`), `╚${bar}╝`].join("\n");
}

/** The Bookwright folder: the nearest folder above `from` whose package.json is Bookwright's. */
export function findBookwrightRoot(from: string): string | undefined {
  for (let dir = from; ; dir = nodePath.dirname(dir)) {
    const manifest = nodePath.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "bookwright") return dir;
      } catch {
        // Not a package.json we can read: keep looking above it.
      }
    }
    if (nodePath.dirname(dir) === dir) return undefined;
  }
}

/** The first `count` chapters from the first one without text (after the last chapter when all have text). */
export function chaptersToWrite(book: BookInfo, count = DEMO_CHAPTERS): string {
  const numbered = book.chapters.filter((c) => c.number !== null).sort((a, b) => a.number! - b.number!);
  const first = numbered.find((c) => c.words === 0)?.number ?? (numbered.at(-1)?.number ?? 0) + 1;
  return count === 1 ? String(first) : `${first}-${first + count - 1}`;
}

export interface DemoResult {
  vault: string;
  companionUrl: string;
  revisions: number;
  state: QueueState;
  model: ModelChoice;
}

/** Runs the demo; see the module comment. Throws on a setup problem (nothing to copy, no build). */
export async function runDemo(options: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const { io } = deps;
  const env = deps.env ?? process.env;
  const home = findBookwrightRoot(nodePath.dirname(fileURLToPath(import.meta.url))) ?? io.cwd();
  const resolve = (given: string | undefined, fallback: string) => nodePath.resolve(io.cwd(), given ?? fallback);
  const sample = resolve(options.sample, nodePath.join(home, "demo", "vault"));
  const out = resolve(options.out, nodePath.join(home, "demo", "out"));
  const pluginFrom = resolve(options.plugin, home);
  const choice = chooseModel(env, options.simulate);
  const models: AgentModels = choice.kind === "simulator" ? simulatorModels() : { ...DEFAULT_AGENT_MODELS, ...parseModels(options.model) };

  if (choice.kind === "simulator") io.out(`${simulatorBanner()}\n`);
  const books = existsSync(sample) ? (await readdir(sample, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith(".")) : [];
  if (books.length !== 1) throw new Error(`${sample}: expected a vault holding one book folder (the sample book), found ${books.length}`);
  const bookName = books[0]!.name;
  const pluginFiles = ["main.js", "manifest.json", "styles.css"];
  const missing = pluginFiles.filter((f) => !existsSync(nodePath.join(pluginFrom, f)));
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing in ${pluginFrom}: build the plugin first (npm run build)`);

  // A fresh vault every run: the previous demo's chapters would otherwise count as written.
  const replaced = await clearOutput(out, sample);
  const vault = nodePath.join(out, DEMO_VAULT_NAME);
  await cp(sample, vault, { recursive: true });
  const pluginDir = nodePath.join(vault, NEW_VAULT_CONFIG_DIR, "plugins", "bookwright");
  await mkdir(pluginDir, { recursive: true });
  for (const file of pluginFiles) await copyFile(nodePath.join(pluginFrom, file), nodePath.join(pluginDir, file));
  await writeFile(nodePath.join(vault, NEW_VAULT_CONFIG_DIR, "community-plugins.json"), `${JSON.stringify(["bookwright"], null, 2)}\n`);

  const bookDir = nodePath.join(vault, bookName);
  // Paths inside the current folder read shorter relative; others are clearer whole.
  const show = (path: string) => {
    const relative = nodePath.relative(io.cwd(), path);
    return relative === "" ? "." : relative.startsWith("..") || nodePath.isAbsolute(relative) ? path : relative;
  };
  io.out("Bookwright demo");
  io.out(`  ${replaced ? "replaced the previous demo: " : ""}a fresh vault with the Bookwright plugin installed and enabled, ${show(vault)}`);
  io.out(`  the book: "${bookName}", copied from ${show(sample)} (which is never changed)`);

  const companion = await startDemoCompanion(vault, out, options.port, io);
  try {
    const companionUrl = companion.server.url;
    io.out(`  the companion: ${companionUrl}, revisions in ${show(companion.databaseFile)}`);
    io.out(`  the model: ${choice.kind === "simulator" ? `${SIMULATOR_MODEL} (placeholder text)` : describeModels(models)}, via ${choice.endpoint}`);
    if (choice.kind === "local" && !options.model) {
      io.out("  (a local server knows its models by its own names: if it refuses these, pass --model <id>, e.g. npm run demo -- --model llama3.1)");
    }
    const bookVault = new NodeVault(vault);
    const kept = await keepEveryNote(bookVault, bookName, companion.store, "the demo's starting point");
    io.out(`  kept ${kept} notes of the book in the companion as they are before writing`);
    const chapters = options.chapters ?? chaptersToWrite(await loadBook(bookVault, bookName));
    io.out(`  writing chapters ${chapters}: brief, draft, then continuity, characters and timeline for each\n`);

    const generateOptions: GenerateOptions = {
      chapters,
      mode: "sequential",
      concurrency: "3",
      // The output is a throwaway copy: a chapter named on the command line may be written over (kept as a revision first).
      rewrite: options.chapters !== undefined,
      ...(choice.kind === "simulator" ? { simulate: true } : {}),
      ...(choice.kind === "anthropic" ? { apiKey: choice.apiKey, ...(choice.baseUrl ? { baseUrl: choice.baseUrl } : {}) } : {}),
      // Local servers accept any key; the SDK insists on one.
      ...(choice.kind === "local" ? { apiKey: "local", baseUrl: choice.baseUrl } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.maxCost !== undefined ? { maxCost: options.maxCost } : choice.kind === "anthropic" ? { maxCost: PAID_DEFAULT_CAP_USD } : {}),
    };
    let exitCode = 0;
    const generateIO: CommandIO = { ...io, setExitCode: (code) => (exitCode = code) };
    const display = new LiveDisplay(deps.display ?? process.stderr, { concurrency: 3 });
    let runner: QueueRunner | undefined;
    const stop = () => {
      io.err("stopping… (the batch is saved; `bookwright generate` on the demo book resumes it)");
      runner?.stop();
    };
    process.once("SIGINT", stop);
    let state: QueueState;
    try {
      state = await generate(bookDir, generateOptions, {
        io: generateIO,
        onRunner: (r) => (runner = r),
        onState: (s) => display.setState(s),
        onEvent: display.onEvent,
        onDone: () => display.finish(),
        wrapRevisions: (revisions) => withCompanionCopies(revisions, companion.store),
      });
    } finally {
      process.off("SIGINT", stop);
    }

    // The watcher keeps each note once it has been quiet for a moment; give it that moment, then keep the
    // chapters as written in case a file system event was missed (a capture of the same text adds nothing).
    await sleep(WATCH_DEBOUNCE_MS + 200);
    const written = [...new Set(state.jobs.map((j) => j.chapter))];
    const book = await loadBook(bookVault, bookName);
    for (const chapter of book.chapters.filter((c) => c.number !== null && written.includes(c.number))) {
      companion.store.capture({ note: chapter.path, text: await bookVault.read(chapter.path), source: "cli", label: "as the demo wrote it" });
    }
    const revisions = countRevisions(companion.store);

    io.out("");
    io.out(exitCode === 0 ? "Done." : "The batch did not finish (see above); what it wrote so far:");
    io.out(`  model:     ${choice.kind === "simulator" ? `${SIMULATOR_MODEL}, the offline simulator (placeholder text, no network)` : describeModels(models)}`);
    io.out(`  endpoint:  ${choice.endpoint}`);
    const rows = book.chapters.filter((c) => c.number !== null && written.includes(c.number));
    for (const [i, c] of rows.entries()) {
      io.out(`  ${i === 0 ? "chapters: " : "          "} ${c.number} ${c.title}: ${c.words.toLocaleString("en")} words, ${c.status} (${c.path})`);
    }
    const cost = totalCostUsd(state);
    io.out(`  cost:      $${cost.toFixed(4)}${choice.kind === "simulator" ? " (the simulator is free; nothing was sent anywhere)" : choice.kind === "local" ? " (a local model is priced at $0 unless it has a price in the settings)" : ""}`);
    io.out(`  companion: ${companionUrl}: ${revisions.revisions} revisions of ${revisions.notes} notes (database ${show(companion.databaseFile)})`);
    io.out(`  vault:     ${vault}`);
    io.out("");
    io.out("Open it in Obsidian: Open another vault → Open folder as vault → choose the vault folder above.");
    io.out("Obsidian asks whether you trust the vault's author: choose \"Trust author and enable plugins\".");
    io.out(`Then open "${bookName}/Chapters", or run "Bookwright: Open dashboard" from the command palette.`);
    if (choice.kind === "simulator") {
      io.out("");
      io.out("!! The chapters above are SIMULATOR PLACEHOLDER TEXT, not prose from a model. To write them for real,");
      io.out("!! set ANTHROPIC_API_KEY (or BOOKWRIGHT_BASE_URL for a local server such as Ollama or LM Studio) and run `npm run demo` again.");
    }
    if (exitCode !== 0) io.setExitCode(exitCode);

    if (options.serve) {
      if (companion.server.port !== DEFAULT_COMPANION_PORT) {
        // The plugin looks for the companion on its default port; tell it where this one is.
        await writeFile(nodePath.join(pluginDir, "data.json"), `${JSON.stringify({ companionUrl: `http://127.0.0.1:${companion.server.port}` }, null, 2)}\n`);
      }
      io.out("");
      io.out(`The companion keeps running on ${companionUrl} until Ctrl-C. For the plugin's "Companion token" secret,`);
      io.out(`use the contents of ${companion.tokenFile}.`);
      await (deps.untilStopped ?? untilSignal)();
    } else {
      io.out("");
      io.out("The companion is stopped now; `npm run demo -- --serve` keeps it running for the plugin until Ctrl-C.");
    }
    return { vault, companionUrl, revisions: revisions.revisions, state, model: choice };
  } finally {
    await companion.close();
  }
}

/**
 * Empties the output folder for a new demo; true when a previous demo was there. Refuses a folder that is
 * not the demo's (no marker, not empty) or that holds the sample book: the demo deletes only what it made.
 */
async function clearOutput(out: string, sample: string): Promise<boolean> {
  const inside = (child: string, parent: string) => !nodePath.relative(parent, child).startsWith("..") && !nodePath.isAbsolute(nodePath.relative(parent, child));
  if (inside(sample, out) || inside(out, sample)) throw new Error(`--out ${out}: it overlaps the sample book's vault (${sample}); choose a folder of its own, e.g. demo/out`);
  let replaced = false;
  if (existsSync(out)) {
    const entries = await readdir(out);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`--out ${out}: the folder has files the demo did not make; choose an empty or new folder`);
    }
    replaced = entries.length > 0;
    await rm(out, { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
  await writeFile(nodePath.join(out, MARKER), "Made by `bookwright demo`; the next run deletes and remakes this folder.\n");
  return replaced;
}

/** The companion for the demo vault, on the usual port, or on any free port when that one is taken (and was not asked for). */
async function startDemoCompanion(vault: string, out: string, port: string | undefined, io: CommandIO): Promise<RunningCompanion> {
  const wanted = port === undefined ? DEFAULT_COMPANION_PORT : Number(port);
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535) throw new Error(`--port ${port}: expected a port number from 0 to 65535`);
  const start = (p: number) =>
    startCompanion({
      vault,
      port: p,
      databaseFile: nodePath.join(out, "companion", "revisions.sqlite"),
      tokenFile: nodePath.join(out, "companion", "companion-token"),
      exportsFolder: nodePath.join(out, "companion", "exports"),
      debounceMs: WATCH_DEBOUNCE_MS,
      onWarning: (message) => io.err(`companion: ${message}`),
    });
  try {
    return await start(wanted);
  } catch (error) {
    if (port !== undefined || (error as { code?: unknown }).code !== "EADDRINUSE") throw error;
    io.err(`note: port ${wanted} is taken (another companion?); the demo's companion uses a free port instead`);
    return start(0);
  }
}

/** Keeps the text of every note of the book in the companion; returns how many notes. */
async function keepEveryNote(vault: NodeVault, bookFolder: string, store: RevisionStore, label: string): Promise<number> {
  const notes = (await vault.list(bookFolder)).filter((f) => f.path.toLowerCase().endsWith(".md"));
  for (const note of notes) store.capture({ note: note.path, text: await vault.read(note.path), source: "cli", label });
  return notes.length;
}

function countRevisions(store: RevisionStore): { revisions: number; notes: number } {
  const notes = store.notes();
  return { revisions: notes.reduce((sum, note) => sum + store.list(note).length, 0), notes: notes.length };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

export function registerDemoCommand(program: Command, io: CommandIO = processIO): void {
  program
    .command("demo")
    .description(
      "Copy the sample book into a fresh vault (demo/out) with the plugin installed, start the companion on it, write the first unwritten chapters through the queue, and say what happened. " +
        "Writes with the Anthropic API when ANTHROPIC_API_KEY is set, else with the server at BOOKWRIGHT_BASE_URL, else with the offline simulator (placeholder text)",
    )
    .option("--out <folder>", "where the demo's vault, database and token go; replaced on every run (default: demo/out in the Bookwright folder)")
    .option("--sample <folder>", "the vault holding the book to copy (default: demo/vault)")
    .option("--plugin <folder>", "where the built main.js, manifest.json and styles.css are (default: the Bookwright folder)")
    .option("--chapters <range>", "chapters to write, e.g. 3-5 (default: the first three without text)")
    .option("--port <port>", `the companion's port (default ${DEFAULT_COMPANION_PORT}, or a free one when that is taken)`)
    .option("--serve", "keep the companion running after the demo, for the plugin, until Ctrl-C")
    .option("--simulate", "write with the offline simulator even when a model is configured")
    .option("--model <id>", "model for every agent, or agent=model for one (repeatable); a local server needs its own model's id", (value: string, all: string[] = []) => [...all, value])
    .option("--max-cost <usd>", `stop before the batch would cost more than this (default with the Anthropic API: $${PAID_DEFAULT_CAP_USD})`)
    .action(async (options: DemoOptions) => {
      try {
        await runDemo(options, { io });
      } catch (error) {
        io.err(`bookwright demo: ${error instanceof Error ? error.message : String(error)}`);
        io.setExitCode(1);
      }
    });
}
