/**
 * "Check the whole book": continuity of every chapter that has text, either live (one request after
 * another, results within minutes) or through the Message Batches API (results within hours, at half the
 * price) — the non-urgent work batches exist for (DESIGN.md §4).
 *
 * Two phases, because a continuity check reads earlier chapters through their summaries: first every
 * chapter without a `summary` gets one (the cheap extractor model), then every chapter is checked with
 * the summaries of the chapters before it. Each phase's batch id is saved before it is polled
 * (VaultBatchRecordStore), and results are applied to the notes before the record is dropped, so a
 * restart at any point picks up the same remote batch and pays for nothing twice. Applying is idempotent
 * (the same report, the same frontmatter keys), so results applied twice change nothing.
 */
import { chapterSummaryRequest, continuityRequest, DEFAULT_AGENT_MODELS, type AgentModels } from "../agents/run";
import { continuityReportSchema, type ContinuityReport } from "../agents/schemas";
import { setFrontmatterKeys } from "../book/frontmatter";
import { runBatch, type BatchClient, type BatchItem, type BatchRecordStore, type BatchResult } from "../llm/batch";
import { completeStructured, validateStructured } from "../llm/structured";
import { LlmError, type Llm, type LlmRequest, type LlmResponse } from "../llm/llm";
import { batchCostOf, costOf, DEFAULT_PRICES, type PriceTable } from "../llm/prices";
import type { VaultFiles } from "../vault/vault-files";
import { AgentExecutor, bookChecks } from "./agent-executor";
import { overallWith } from "./book-notes";
import { idempotencyKey, type Job } from "./jobs";
import type { Revisions } from "./revisions";
import { canRewrite, chapterBody, chapterInfo, contextBefore, readStory, timelineSoFar, type Story } from "./story";

export interface BookCheckOptions {
  vault: VaultFiles;
  bookFolder: string;
  /** For live checks, and in batch mode for the few results that need a repair call. */
  llm: Llm;
  /** Present: send through the Message Batches API. Absent: check live. */
  batches?: BatchClient;
  /** Where the batch ids are kept across restarts (VaultBatchRecordStore at `<book>/.bookwright/batches.json`). */
  store: BatchRecordStore;
  revisions: Revisions;
  /** Chapters to check; all chapters with text when absent. */
  chapters?: number[];
  models?: Partial<AgentModels>;
  prices?: PriceTable;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Between batch status checks. @default 30_000 */
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface BookCheckResult {
  checked: { chapter: number; overall: ContinuityReport["overall"]; findings: number }[];
  failed: { chapter: number; message: string }[];
  summarised: number[];
  costUsd: number;
  /** Remote batches used (for support requests), when in batch mode. */
  batchIds: string[];
}

const SUMMARY_KEY = "check-book/summaries";
const CONTINUITY_KEY = "check-book/continuity";

export async function checkBook(options: BookCheckOptions): Promise<BookCheckResult> {
  const { vault, bookFolder } = options;
  const models = { ...DEFAULT_AGENT_MODELS, ...options.models };
  const prices = options.prices ?? DEFAULT_PRICES;
  const result: BookCheckResult = { checked: [], failed: [], summarised: [], costUsd: 0, batchIds: [] };
  const say = (message: string) => options.onProgress?.(message);

  // --- Phase 1: summaries for chapters that have none ---------------------------------------------
  let story = await readStory(vault, bookFolder);
  const wanted = await chaptersToCheck(options, story);
  const needSummary = await resumableIds(options.store, SUMMARY_KEY, async () => {
    const out: number[] = [];
    for (const n of wanted) if (!chapterInfo(story, n)?.meta?.summary?.trim()) out.push(n);
    return out;
  }, say);
  if (needSummary.length > 0) {
    say(`summarising ${needSummary.length} chapter(s) that have no summary yet`);
    const items: BatchItem[] = [];
    for (const n of needSummary) items.push({ customId: `summary-${n}`, request: chapterSummaryRequest({ models }, n, await chapterBody(vault, story, n)) });
    const answers = await call(options, items, SUMMARY_KEY, result);
    for (const n of needSummary) {
      const answer = answers.results.get(`summary-${n}`)!;
      if (!answer.ok) {
        result.failed.push({ chapter: n, message: `summary: ${answer.error.message}` });
        continue;
      }
      result.costUsd += cost(answer.response, answers.batch, prices);
      const summary = answer.response.text.trim();
      const info = chapterInfo(story, n);
      if (!info || !summary) continue;
      const text = await vault.read(info.path);
      if (!canRewrite(story, info.path, text)) {
        result.failed.push({ chapter: n, message: `${info.path}: its frontmatter could not be read, so its summary was not saved` });
        continue;
      }
      await vault.process(info.path, (current) => setFrontmatterKeys(current, { summary }));
      result.summarised.push(n);
    }
    await answers.commit();
  }

  // --- Phase 2: continuity, each chapter against the summaries before it ----------------------------
  story = await readStory(vault, bookFolder);
  const toCheck = await resumableIds(options.store, CONTINUITY_KEY, () => Promise.resolve(wanted), say);
  if (toCheck.length === 0) return result;
  say(`checking continuity of ${toCheck.length} chapter(s)`);
  const requests = new Map<number, LlmRequest>();
  for (const n of toCheck) {
    const text = await chapterBody(vault, story, n);
    requests.set(
      n,
      continuityRequest(
        { models },
        {
          book: story.material,
          codex: story.codex,
          // The whole book is the batch: the cached codex is as of its start, and changes follow per chapter.
          batchStart: 1,
          chapter: n,
          summaries: story.summaries,
          ...(await contextBefore(vault, story, n)),
          timelineSoFar: timelineSoFar(story, n),
          chapterText: text,
          charactersPresent: story.codex.filter((c) => [c.name, ...c.aliases].some((name) => name && text.includes(name))).map((c) => c.name),
        },
      ),
    );
  }
  const answers = await call(options, [...requests].map(([n, request]) => ({ customId: `continuity-${n}`, request })), CONTINUITY_KEY, result);
  const checks = await bookChecks(vault, story);
  const executor = new AgentExecutor({ vault, bookFolder, llm: options.llm, revisions: options.revisions, batchStart: 1, now: options.now, models });
  for (const n of toCheck) {
    const answer = answers.results.get(`continuity-${n}`)!;
    let report: ContinuityReport | undefined;
    if (answer.ok) {
      result.costUsd += cost(answer.response, answers.batch, prices);
      const valid = validateStructured(answer.response, continuityReportSchema);
      if (valid.ok) report = valid.value;
      else {
        // An answer that does not validate is asked again through the structured path, whose repair call
        // shows the model what was wrong (a batch answer cannot be repaired in place).
        say(`chapter ${n}: the report did not validate (${valid.problem}); asking again`);
        report = await live(options, requests.get(n)!, result, prices);
      }
    } else if (answer.error.retryable && answers.batch) {
      report = await live(options, requests.get(n)!, result, prices);
    } else {
      result.failed.push({ chapter: n, message: answer.error.message });
    }
    if (!report) continue;
    const job: Job = {
      id: `continuity-${n}`,
      kind: "continuity",
      chapter: n,
      dependsOn: [],
      state: "running",
      attempts: 1,
      idempotencyKey: idempotencyKey(answers.id, "continuity", n),
      priority: 0,
    };
    const found = checks.get(n) ?? [];
    await executor.apply(job, { kind: "continuity", report, checks: found });
    result.checked.push({ chapter: n, overall: overallWith(report, found), findings: report.findings.length + found.length });
  }
  await answers.commit();
  return result;
}

/** The chapters to check: the ones asked for, else every numbered chapter with text. */
async function chaptersToCheck(options: BookCheckOptions, story: Story): Promise<number[]> {
  const out: number[] = [];
  for (const c of story.info.chapters) {
    if (c.number === null || (options.chapters && !options.chapters.includes(c.number))) continue;
    if (c.words > 0) out.push(c.number);
  }
  if (options.chapters) {
    const missing = options.chapters.filter((n) => !out.includes(n));
    if (missing.length > 0) throw new Error(`${options.bookFolder}: chapter(s) ${missing.join(", ")} have no note or no text to check`);
  }
  return out;
}

/** The chapters of a batch sent by an earlier run (to pick it up unchanged), else `fresh()`. */
async function resumableIds(store: BatchRecordStore, key: string, fresh: () => Promise<number[]>, say: (message: string) => void): Promise<number[]> {
  const record = await store.load(key);
  if (!record) return fresh();
  const ids = record.customIds.map((id) => Number(id.slice(id.lastIndexOf("-") + 1))).filter(Number.isInteger);
  // Paid for already: an interrupted batch is finished first, whatever this run asked for.
  say(`finishing the interrupted batch ${record.id} for chapter(s) ${ids.join(", ")} first`);
  return ids;
}

interface Answers {
  id: string;
  batch: boolean;
  results: Map<string, BatchResult>;
  commit(): Promise<void>;
}

/** Sends `items` as one batch (batch mode) or one by one (live), with the same shape of answer. */
async function call(options: BookCheckOptions, items: BatchItem[], key: string, result: BookCheckResult): Promise<Answers> {
  if (options.batches) {
    const run = await runBatch(options.batches, items, {
      store: options.store,
      key,
      pollMs: options.pollMs ?? 30_000,
      sleep: options.sleep,
      now: options.now,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (counts) => options.onProgress?.(`batch: ${counts.succeeded + counts.errored + counts.canceled + counts.expired} of ${items.length} done`),
    });
    result.batchIds.push(run.id);
    if (run.resumed) options.onProgress?.(`picked up batch ${run.id} sent by an earlier run`);
    return { id: run.id, batch: true, results: run.results, commit: () => run.commit() };
  }
  const results = new Map<string, BatchResult>();
  for (const item of items) {
    try {
      const response = await options.llm.complete({ ...item.request, ...(options.signal ? { signal: options.signal } : {}) });
      results.set(item.customId, { ok: true, response });
    } catch (error) {
      if (error instanceof LlmError && (error.kind === "aborted" || error.kind === "spend_limit" || error.kind === "auth")) throw error;
      results.set(item.customId, { ok: false, error: error instanceof LlmError ? error : new LlmError("server", String(error)) });
    }
  }
  return { id: `live-${options.now()}`, batch: false, results, commit: () => Promise.resolve() };
}

/** One chapter's check asked live, with the usual repair call; undefined (and a failure noted) when that fails too. */
async function live(options: BookCheckOptions, request: LlmRequest, result: BookCheckResult, prices: PriceTable): Promise<ContinuityReport | undefined> {
  const { tool, ...rest } = request;
  const chapter = Number(/Check chapter (\d+)/.exec(JSON.stringify(request.messages))?.[1] ?? 0);
  try {
    const answer = await completeStructured(options.llm, { ...rest, ...(options.signal ? { signal: options.signal } : {}) }, continuityReportSchema, {
      toolName: tool?.name ?? "continuity_report",
      description: tool?.description ?? "",
    });
    result.costUsd += costOf(answer.usage, request.model, prices).usd ?? 0;
    return answer.value;
  } catch (error) {
    result.failed.push({ chapter, message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

function cost(response: LlmResponse, batch: boolean, prices: PriceTable): number {
  return (batch ? batchCostOf(response.usage, response.model, prices) : costOf(response.usage, response.model, prices)).usd ?? 0;
}
