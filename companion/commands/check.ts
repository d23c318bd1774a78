/**
 * `bookwright check <book> [--batch]`: continuity of the whole book (or `--chapters`), each chapter checked
 * against the summaries of the chapters before it, reports written to `Reports/`. With `--batch` it goes
 * through the Message Batches API at half the price: results take minutes to hours, the batch id is saved
 * in the book (`.bookwright/batches.json`), and running the command again picks the same batch up.
 */
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { AnthropicBatches } from "../../shared/llm/anthropic-batches";
import { batchRecordsPath, VaultBatchRecordStore } from "../../shared/llm/batch";
import { checkBook } from "../../shared/queue/book-check";
import { NoteRevisions } from "../../shared/queue/revisions";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";
import { buildLlm, parseChapterRange, parseModels, processIO } from "./generate";
import type { CommandIO } from "./import";

interface CheckOptions {
  vault?: string;
  chapters?: string;
  batch?: boolean;
  pollSeconds: string;
  baseUrl?: string;
  model?: string[];
  apiKey?: string;
}

export function registerCheckCommand(program: Command, io: CommandIO = processIO): void {
  program
    .command("check")
    .description("Check the continuity of the whole book (or some chapters) and write a report per chapter")
    .argument("<book-folder>", "folder holding the book's Book.md")
    .option("--chapters <range>", "chapters to check, e.g. 1-12 (default: every chapter with text)")
    .option("--batch", "send through the Message Batches API: half the price, results within hours; run again to pick up")
    .option("--poll-seconds <n>", "seconds between batch status checks", "30")
    .option("--base-url <url>", "an Anthropic-compatible endpoint (default: BOOKWRIGHT_BASE_URL, else the Anthropic API)")
    .option("--model <id>", "model for every agent, or agent=model for one (repeatable)", (value: string, all: string[] = []) => [...all, value])
    .option("--api-key <key>", "API key (default: the ANTHROPIC_API_KEY environment variable)")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .action(async (bookFolder: string, options: CheckOptions) => {
      const controller = new AbortController();
      const onSigint = () => {
        io.err("stopping; a batch keeps running remotely and the next run picks it up");
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        const poll = Number(options.pollSeconds);
        if (!(poll >= 0.01)) throw new Error(`--poll-seconds: expected a number of seconds, got '${options.pollSeconds}'`);
        const { root, folder } = locateBook(nodePath.resolve(io.cwd(), bookFolder), options.vault === undefined ? undefined : nodePath.resolve(io.cwd(), options.vault));
        const vault = new NodeVault(root);
        const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY ?? "";
        const baseURL = options.baseUrl ?? process.env.BOOKWRIGHT_BASE_URL;
        const result = await checkBook({
          vault,
          bookFolder: folder,
          llm: buildLlm(options, io),
          ...(options.batch ? { batches: new AnthropicBatches({ apiKey, ...(baseURL ? { baseURL } : {}) }) } : {}),
          store: new VaultBatchRecordStore(vault, batchRecordsPath(folder)),
          revisions: new NoteRevisions(vault, folder),
          ...(options.chapters ? { chapters: parseChapterRange(options.chapters) } : {}),
          models: parseModels(options.model),
          now: Date.now,
          sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
          pollMs: poll * 1000,
          signal: controller.signal,
          onProgress: (message) => io.err(message),
        });
        for (const c of result.checked) io.out(`chapter ${String(c.chapter).padStart(3)}  ${c.overall.padEnd(7)}  ${c.findings} finding(s)`);
        for (const f of result.failed) io.err(`chapter ${f.chapter}: not checked: ${f.message}`);
        io.out(
          `checked ${result.checked.length} chapter(s)${result.summarised.length ? `, summarised ${result.summarised.length}` : ""}, ` +
            `cost $${result.costUsd.toFixed(4)}${result.batchIds.length ? ` (batch ${result.batchIds.join(", ")}, half price)` : ""}`,
        );
        if (result.failed.length > 0) io.setExitCode(1);
      } catch (error) {
        io.err(`bookwright check: ${error instanceof Error ? error.message : String(error)}`);
        io.setExitCode(controller.signal.aborted ? 130 : 1);
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}
