/**
 * `bookwright eval continuity <book>`: how well does the Continuity agent catch contradictions? Plants
 * N contradictions into copies of the book's chapters (the vault is not touched), runs the checker over
 * every chapter, and prints recall and false alarms per 10,000 words. With the fake server only the
 * plumbing is exercised; with a real key (ANTHROPIC_API_KEY) it measures the checker.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { evalContinuity, type EvalBook } from "../../shared/eval/continuity-eval";
import { findFrontmatter } from "../../shared/book/frontmatter";
import { loadBook } from "../../shared/book/scan";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import { retrying } from "../../shared/llm/retry";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { NodeVault } from "../vault/node-vault";
import { locateBook } from "./book-location";

interface EvalOptions {
  vault?: string;
  count: string;
  seed: string;
  model?: string;
  baseUrl?: string;
  apiKey?: string;
}

export function registerEvalCommand(program: Command): void {
  const evalCommand = program.command("eval").description("Measure Bookwright's agents on your own book");
  evalCommand
    .command("continuity")
    .description("Plant contradictions into copies of the chapters and report how many the Continuity agent finds")
    .argument("<book-folder>", "folder holding the book's Book.md")
    .option("--vault <folder>", "the vault root (default: the book folder's parent)")
    .option("--count <n>", "how many contradictions to plant", "10")
    .option("--seed <n>", "which contradictions (same seed, same plants)", "1")
    .option("--model <id>", "model for the Continuity agent (default: Bookwright's default)")
    .option("--base-url <url>", "an Anthropic-compatible endpoint (default: the Anthropic API)")
    .option("--api-key <key>", "API key (default: the ANTHROPIC_API_KEY environment variable)")
    .action(async (bookFolder: string, options: EvalOptions) => {
      try {
        const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
        if (!apiKey) throw new Error("no API key: set ANTHROPIC_API_KEY or pass --api-key (a local server accepts any value)");
        const count = Number(options.count);
        const seed = Number(options.seed);
        if (!Number.isInteger(count) || count < 1) throw new Error(`--count: expected a whole number of at least 1, got '${options.count}'`);
        if (!Number.isInteger(seed)) throw new Error(`--seed: expected a whole number, got '${options.seed}'`);
        const { root, folder } = locateBook(bookFolder, options.vault);
        const vault = new NodeVault(root);
        const book = await readEvalBook(vault, folder);
        const llm = retrying(
          new AnthropicLlm({ apiKey, ...(options.baseUrl ? { baseURL: options.baseUrl } : {}), onWarning: (message) => console.error(`warning: ${message}`) }),
          { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, sleep: (ms, signal) => sleep(ms, undefined, { signal }), random: Math.random },
        );
        const result = await evalContinuity({ llm, ...(options.model ? { models: { continuity: options.model } } : {}) }, book, {
          count,
          seed,
          onChapter: (chapter, of) => process.stderr.write(`checking chapter ${chapter} (${of} chapters)\n`),
        });
        const s = result.score;
        for (const plant of result.plants) {
          const found = !s.missed.includes(plant);
          console.log(`${found ? "found " : "missed"}  ${plant.kind.padEnd(10)} chapter ${plant.contradiction.chapter}: ${plant.contradiction.sentence}`);
        }
        console.log(`planted: ${s.planted}, found: ${s.found}, recall: ${s.recall.toFixed(2)}`);
        console.log(`false alarms: ${s.falseAlarms} in ${s.words.toLocaleString("en")} words = ${s.falseAlarmsPer10kWords.toFixed(1)} per 10,000 words`);
        console.log(`tokens: input ${result.usage.inputTokens}, cache writes ${result.usage.cacheCreationInputTokens}, cache reads ${result.usage.cacheReadInputTokens}, output ${result.usage.outputTokens}`);
      } catch (error) {
        console.error(`bookwright eval continuity: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    });
}

/** The book as the checker needs it: chapter bodies, codex from character notes, bible and outline. */
async function readEvalBook(vault: VaultFiles, folder: string): Promise<EvalBook> {
  const book = await loadBook(vault, folder);
  const bodyOf = async (path: string): Promise<string> => {
    const text = await vault.read(path);
    const block = findFrontmatter(text);
    return block ? text.slice(block.bodyStart) : text.replace(/^\uFEFF/, "");
  };
  const noteBody = async (kind: string): Promise<string> => {
    const note = book.notes.find((n) => n.kind === kind);
    return note ? bodyOf(note.path) : "";
  };
  const chapters = await Promise.all(
    book.chapters.map(async (c, i) => ({ chapter: c.number ?? i + 1, body: await bodyOf(c.path) })),
  );
  const codex = await Promise.all(
    book.characters.map(async (c) => ({
      name: c.meta?.name ?? c.path.replace(/^.*\//, "").replace(/\.md$/i, ""),
      aliases: c.meta?.aliases ?? [],
      ...(c.meta?.role ? { role: c.meta.role } : {}),
      sheet: await bodyOf(c.path),
      facts: [],
    })),
  );
  return {
    material: { title: book.meta.title, language: book.meta.language, storyBible: await noteBody("story-bible"), outline: await noteBody("outline"), ...(book.meta.genre ? { genre: book.meta.genre } : {}) },
    codex,
    chapters: chapters.filter((c) => c.body.trim() !== ""),
  };
}
