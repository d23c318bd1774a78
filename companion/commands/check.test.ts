/**
 * `bookwright check`: continuity of a whole book, live or through the Message Batches API, in-process
 * (commander with `exitOverride`) against the fake Anthropic server, on real temp folders opened as a
 * NodeVault. Summaries first for chapters without one, then a report per chapter; with `--batch` the same
 * outcome at half the price, the batch ids kept in `.bookwright/batches.json` so an interrupted check picks
 * up the same remote batch instead of paying again.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Anthropic from "@anthropic-ai/sdk";
import type { MessageBatch } from "@anthropic-ai/sdk/resources/messages/batches";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseFrontmatter } from "../../shared/book/frontmatter";
import { loadBook } from "../../shared/book/scan";
import { AnthropicBatches } from "../../shared/llm/anthropic-batches";
import { batchRecordsPath, VaultBatchRecordStore } from "../../shared/llm/batch";
import { LlmError } from "../../shared/llm/llm";
import { checkBook, type BookCheckOptions, type BookCheckResult } from "../../shared/queue/book-check";
import { NoteRevisions } from "../../shared/queue/revisions";
import { bodyOf } from "../../shared/queue/safe-write";
import { defaultScript, startFakeAnthropic, type FakeAnthropic, type ScriptedReply } from "../../test/fake-anthropic/server";
import { NodeVault } from "../vault/node-vault";
import { registerCheckCommand } from "./check";
import { buildLlm } from "./generate";
import type { CommandIO } from "./import";

const BOOK = "The Salt Road";
const CHAPTERS = [1, 2, 3];

const PARAGRAPHS = [
  "Mara Quill left the gate at first light with the survey chain over her shoulder. She counted her steps, as she always did, and wrote the count in the margin of the log: four thousand and twelve to the first cairn.",
  "The salt flats began where the grass gave out. Nothing grew there, and nothing moved but the wind. Mara kept to the old road, whose stones still showed under the crust like the bones of something that had lain down to die.",
  "At the waystation a woman called Tamsin Hale sold her water at twice the price of wine. She had seen Mara's brother pass, she said, a month ago or more, going east with a mule and a borrowed coat.",
  "That night Mara lay awake and listened to the flats ticking as they cooled. She did the sums again: the water, the days, the miles to the coast. They came out the same as before, and no better.",
  "By noon of the second day the road forked at a leaning post. Someone had cut a mark into the wood, a surveyor's mark, fresh. Mara put her thumb into the groove and knew her brother's hand.",
  "The storm came up from the south without warning. Mara lay flat in the lee of a dune with her scarf over her mouth and counted, not steps this time, but breaths, until the sand stopped moving.",
];

/** Three written chapters without a `summary` key: what a writer who drafted by hand asks to check. */
function chapterNote(n: number): string {
  const body = [PARAGRAPHS[(2 * n - 2) % PARAGRAPHS.length], PARAGRAPHS[(2 * n - 1) % PARAGRAPHS.length], `Chapter ${n} ends with Mara walking on.`].join("\n\n");
  return `---\nbookwright: chapter\nchapter: ${n}\ntitle: Waypoint ${n}\nstatus: written\n---\n\n${body}\n`;
}

async function makeBook(): Promise<{ root: string; book: string }> {
  const root = await mkdtemp(nodePath.join(os.tmpdir(), "bookwright-check-"));
  const book = nodePath.join(root, BOOK);
  await mkdir(nodePath.join(book, "Characters"), { recursive: true });
  await mkdir(nodePath.join(book, "Chapters"));
  const files: Record<string, string> = {
    "Book.md": "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 3\n---\nA novel.\n",
    "Story Bible.md": "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
    "Characters/Mara.md": "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
  };
  for (const n of CHAPTERS) files[`Chapters/${String(n).padStart(2, "0")} Waypoint ${n}.md`] = chapterNote(n);
  for (const [name, text] of Object.entries(files)) await writeFile(nodePath.join(book, name), text);
  return { root, book };
}

/** Batch items the fake server answered, in order, with the batch they came in. */
let batchItems: { batchId: string; customId: string }[];
const roots: string[] = [];
const servers: FakeAnthropic[] = [];

/**
 * A fake server that records every batch item it answers and takes `itemDelayMs` over each, so a batch
 * stays in progress long enough to be polled.
 */
async function fakeServer(itemDelayMs = 0, batchReply?: (customId: string) => ScriptedReply | undefined): Promise<FakeAnthropic> {
  const server = await startFakeAnthropic({
    script: async (request) => {
      if (request.batch) {
        batchItems.push({ batchId: request.batch.id, customId: request.batch.customId });
        if (itemDelayMs > 0) await sleep(itemDelayMs);
        const reply = batchReply?.(request.batch.customId);
        if (reply) return reply;
      }
      return defaultScript(request);
    },
  });
  servers.push(server);
  return server;
}

async function book(): Promise<{ root: string; book: string }> {
  const made = await makeBook();
  roots.push(made.root);
  return made;
}

beforeEach(() => {
  batchItems = [];
  vi.stubEnv("BOOKWRIGHT_BASE_URL", undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  for (const server of servers.splice(0)) await server.close();
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

interface Run {
  out: string;
  err: string;
  exitCode: number;
}

function captureIO(result: Run, cwd: string): CommandIO {
  return {
    out: (text) => (result.out += `${text}\n`),
    err: (text) => (result.err += `${text}\n`),
    cwd: () => cwd,
    setExitCode: (code) => (result.exitCode = code),
  };
}

/** Runs `bookwright check <book> --base-url <fake> --api-key test …` in-process. */
async function check(server: FakeAnthropic, bookDir: string, ...args: string[]): Promise<Run> {
  const result: Run = { out: "", err: "", exitCode: 0 };
  const program = new Command("bookwright")
    .exitOverride()
    .configureOutput({ writeOut: (text) => (result.out += text), writeErr: (text) => (result.err += text) });
  registerCheckCommand(program, captureIO(result, nodePath.dirname(bookDir)));
  await program.parseAsync(["check", bookDir, "--base-url", server.url, "--api-key", "test", ...args], { from: "user" });
  return result;
}

/** The batches the server was asked to create, oldest first. */
async function listBatches(server: FakeAnthropic): Promise<MessageBatch[]> {
  const client = new Anthropic({ apiKey: "test", baseURL: server.url, maxRetries: 0 });
  const listed = await client.messages.batches.list();
  return [...listed.data].reverse();
}

/** The batch ids whose items had custom ids starting with `prefix`. */
function batchesOf(prefix: string): string[] {
  return [...new Set(batchItems.filter((i) => i.customId.startsWith(prefix)).map((i) => i.batchId))];
}

interface Chapter {
  path: string;
  text: string;
  meta: Record<string, unknown>;
}

async function readChapters(root: string): Promise<Map<number, Chapter>> {
  const vault = new NodeVault(root);
  const out = new Map<number, Chapter>();
  for (const c of (await loadBook(vault, BOOK)).chapters) {
    const text = await vault.read(c.path);
    out.set(c.number!, { path: c.path, text, meta: parseFrontmatter(c.path, text).data ?? {} });
  }
  return out;
}

/** Every note under `Reports/`, by file name. */
async function readReports(root: string): Promise<Map<string, string>> {
  const folder = nodePath.join(root, BOOK, "Reports");
  const names = (await readdir(folder).catch(() => [] as string[])).sort();
  const out = new Map<string, string>();
  for (const name of names) out.set(name, await readFile(nodePath.join(folder, name), "utf8"));
  return out;
}

async function batchRecords(root: string): Promise<Record<string, { id: string; customIds: string[] }> | null> {
  const text = await readFile(nodePath.join(root, ...batchRecordsPath(BOOK).split("/")), "utf8").catch(() => null);
  return text === null ? null : (JSON.parse(text) as { batches: Record<string, { id: string; customIds: string[] }> }).batches;
}

/**
 * What a finished check leaves: each chapter's body byte for byte as before with a `summary` (and a
 * `continuity` result) in its frontmatter, and one `continuity-report` note per chapter under Reports/.
 */
async function expectChecked(root: string, before: Map<number, Chapter>): Promise<void> {
  const after = await readChapters(root);
  expect([...after.keys()]).toEqual(CHAPTERS);
  for (const n of CHAPTERS) {
    const chapter = after.get(n)!;
    expect(bodyOf(chapter.text), `chapter ${n}'s body`).toBe(bodyOf(before.get(n)!.text));
    expect(typeof chapter.meta.summary, `chapter ${n}'s summary`).toBe("string");
    expect((chapter.meta.summary as string).length).toBeGreaterThan(0);
    expect(chapter.meta.continuity).toMatch(/^(pass|warning|fail)$/);
    expect(chapter.meta.status).toBe("written");
  }
  const reports = await readReports(root);
  expect([...reports.keys()]).toEqual(CHAPTERS.map((n) => `${String(n).padStart(2, "0")} Waypoint ${n}.md`));
  for (const [name, text] of reports) {
    const meta = parseFrontmatter(name, text).data ?? {};
    expect(meta.bookwright, name).toBe("continuity-report");
    expect(meta.chapter, name).toBe(Number(name.slice(0, 2)));
  }
  // Reports are Bookwright's own notes: nothing was replaced, so nothing was kept as a revision.
  const revisions = await readdir(nodePath.join(root, BOOK, "Revisions")).catch(() => [] as string[]);
  expect(revisions).toEqual([]);
}

function printedCost(out: string): number {
  const match = /, cost \$(\d+\.\d{4})/.exec(out);
  expect(match, out).not.toBeNull();
  return Number(match![1]);
}

describe("bookwright check", () => {
  it("live: summarises the chapters that have none, then writes a continuity report per chapter", async () => {
    const server = await fakeServer();
    const { root, book: bookDir } = await book();
    const before = await readChapters(root);
    for (const c of before.values()) expect(c.meta.summary).toBeUndefined();

    const run = await check(server, bookDir);
    expect(run.exitCode, run.err).toBe(0);
    await expectChecked(root, before);
    for (const n of CHAPTERS) expect(run.out).toMatch(new RegExp(`^chapter +${n} {2}(pass|warning|fail) *\\s+\\d+ finding\\(s\\)$`, "m"));
    expect(run.out).toMatch(/^checked 3 chapter\(s\), summarised 3, cost \$\d+\.\d{4}\n$/m);
    expect(printedCost(run.out)).toBeGreaterThan(0);
    expect(run.err).toContain("summarising 3 chapter(s) that have no summary yet");
    expect(run.err).toContain("checking continuity of 3 chapter(s)");
    // Live: one request per summary and per check, and no batch.
    expect(await listBatches(server)).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(Array<string>(6).fill("/v1/messages"));

    // Checked again: the summaries are there now, so only the checks run, and the reports are the same notes.
    const reports = await readReports(root);
    const again = await check(server, bookDir);
    expect(again.exitCode, again.err).toBe(0);
    expect(again.out).toMatch(/^checked 3 chapter\(s\), cost \$/m);
    expect(server.requests).toHaveLength(9);
    expect([...(await readReports(root)).keys()]).toEqual([...reports.keys()]);
  });

  it("--batch: the same reports through two batches (summaries, then continuity) at half the live price, no records left", async () => {
    const liveServer = await fakeServer();
    const batchServer = await fakeServer();
    const live = await book();
    const batched = await book();
    const before = await readChapters(batched.root);
    expect(await readChapters(live.root)).toEqual(before);

    const liveRun = await check(liveServer, live.book);
    expect(liveRun.exitCode, liveRun.err).toBe(0);
    const run = await check(batchServer, batched.book, "--batch", "--poll-seconds", "0.01");
    expect(run.exitCode, run.err).toBe(0);
    await expectChecked(batched.root, before);
    for (const n of CHAPTERS) expect(run.out).toMatch(new RegExp(`^chapter +${n} {2}(pass|warning|fail) *\\s+\\d+ finding\\(s\\)$`, "m"));

    // Two batches, in order: the summaries, then the checks; nothing asked one by one (no repair was needed).
    const created = await listBatches(batchServer);
    expect(created).toHaveLength(2);
    expect(batchesOf("summary-")).toEqual([created[0]!.id]);
    expect(batchesOf("continuity-")).toEqual([created[1]!.id]);
    expect(batchItems.map((i) => i.customId)).toEqual([...CHAPTERS.map((n) => `summary-${n}`), ...CHAPTERS.map((n) => `continuity-${n}`)]);
    expect(batchServer.requests).toEqual([]);
    expect(run.out).toMatch(new RegExp(`^checked 3 chapter\\(s\\), summarised 3, cost \\$\\d+\\.\\d{4} \\(batch ${created[0]!.id}, ${created[1]!.id}, half price\\)\\n$`, "m"));
    expect(await batchRecords(batched.root)).toEqual({});

    // The same prompts and the same replies: the same notes as the live check...
    expect(await readChapters(batched.root)).toEqual(await readChapters(live.root));
    expect(await readReports(batched.root)).toEqual(await readReports(live.root));
    // ...at half its price, to the printed cent fraction (each total is rounded to 4 places on its own).
    expect(Math.abs(printedCost(run.out) - printedCost(liveRun.out) / 2)).toBeLessThanOrEqual(0.00005 + 1e-12);
    expect(printedCost(run.out)).toBeGreaterThan(0);
  });

  it("--batch halves the cost exactly: checkBook live and batched over copies of one book", async () => {
    const results: BookCheckResult[] = [];
    for (const batch of [false, true]) {
      const server = await fakeServer();
      const { root } = await book();
      results.push(await checkBook(checkOptions(server, root, { batch })));
    }
    const [live, batched] = results as [BookCheckResult, BookCheckResult];
    expect(live.costUsd).toBeGreaterThan(0);
    expect(batched.costUsd).toBe(live.costUsd / 2);
    expect(batched.checked).toEqual(live.checked);
    expect(batched.summarised).toEqual(CHAPTERS);
    expect(live.batchIds).toEqual([]);
    expect(batched.batchIds).toHaveLength(2);
  });

  it.each(["summaries", "continuity"] as const)(
    "--batch stopped while polling the %s batch: the next run picks up the same remote batch and pays for nothing twice",
    async (phase) => {
      // Items take a while, so the batch is still in progress at the first poll.
      const server = await fakeServer(100);
      const { root } = await book();
      const before = await readChapters(root);

      const controller = new AbortController();
      let current: string | undefined;
      let polls = 0;
      const progress: string[] = [];
      const stopped = checkBook({
        ...checkOptions(server, root, { batch: true }),
        signal: controller.signal,
        onProgress: (message) => {
          progress.push(message);
          if (message.startsWith("summarising")) current = "summaries";
          if (message.startsWith("checking continuity")) current = "continuity";
        },
        sleep: (ms, signal) => {
          if (current === phase) {
            polls++;
            controller.abort();
            return Promise.resolve();
          }
          return sleep(ms, undefined, signal ? { signal } : {});
        },
      });
      await expect(stopped).rejects.toSatisfy((error: unknown) => error instanceof LlmError && error.kind === "aborted");
      expect(polls).toBe(1);
      const key = `check-book/${phase}`;
      const records = (await batchRecords(root))!;
      expect(Object.keys(records)).toEqual([key]);
      const saved = records[key]!;
      const prefix = phase === "summaries" ? "summary-" : "continuity-";
      expect(saved.customIds).toEqual(CHAPTERS.map((n) => `${prefix}${n}`));
      expect(batchesOf(prefix)).toEqual([saved.id]);
      // Stopped before any report was written; the summaries are in only if their phase had finished.
      expect(await readReports(root)).toEqual(new Map());
      const mid = await readChapters(root);
      for (const n of CHAPTERS) {
        expect(bodyOf(mid.get(n)!.text)).toBe(bodyOf(before.get(n)!.text));
        expect(mid.get(n)!.meta.summary === undefined).toBe(phase === "summaries");
      }

      const messages: string[] = [];
      const result = await checkBook({ ...checkOptions(server, root, { batch: true }), onProgress: (m) => messages.push(m) });
      expect(messages).toContain(`picked up batch ${saved.id} sent by an earlier run`);
      expect(result.failed).toEqual([]);
      expect(result.checked.map((c) => c.chapter)).toEqual(CHAPTERS);
      expect(result.batchIds[0]).toBe(saved.id);
      expect(result.batchIds).toHaveLength(phase === "summaries" ? 2 : 1);
      expect(result.costUsd).toBeGreaterThan(0);
      await expectChecked(root, before);

      // One batch per phase in all, and every item answered once: nothing was sent (or paid for) twice.
      expect(await listBatches(server)).toHaveLength(2);
      expect(batchesOf("summary-")).toHaveLength(1);
      expect(batchesOf("continuity-")).toHaveLength(1);
      expect(batchItems.map((i) => i.customId).sort()).toEqual([...CHAPTERS.map((n) => `continuity-${n}`), ...CHAPTERS.map((n) => `summary-${n}`)]);
      expect(server.requests).toEqual([]);
      expect(await batchRecords(root)).toEqual({});
    },
  );

  it.each([
    ["a report that does not validate", (): ScriptedReply => ({ toolInput: { overall: "splendid" } }), /^chapter 2: the report did not validate \(.+\); asking again$/],
    [
      "an errored item",
      (): ScriptedReply => {
        throw new Error("the fake model fell over");
      },
      undefined,
    ],
  ])("--batch asks one chapter again live after %s in the batch", async (_, reply, notice) => {
    const server = await fakeServer(0, (customId) => (customId === "continuity-2" ? reply() : undefined));
    const { root, book: bookDir } = await book();
    const before = await readChapters(root);
    const run = await check(server, bookDir, "--batch", "--poll-seconds", "0.01");
    expect(run.exitCode, run.err).toBe(0);
    await expectChecked(root, before);
    expect(run.out).toMatch(/^checked 3 chapter\(s\), summarised 3, cost \$/m);
    if (notice) expect(run.err.split("\n")).toContainEqual(expect.stringMatching(notice));
    // The one repair went live; everything else came from the two batches.
    expect(server.requests).toHaveLength(1);
    expect(JSON.stringify(server.requests[0]!.body.messages)).toContain("Check chapter 2 against");
    expect(await listBatches(server)).toHaveLength(2);
    expect(await batchRecords(root)).toEqual({});
  });

  it("live: a malformed report gets the structured repair path, and the chapter is still checked", async () => {
    const server = await fakeServer();
    const { root, book: bookDir } = await book();
    const before = await readChapters(root);
    // Three summaries go first; the fault lands on the first continuity request.
    let sent = 0;
    const original = server.requests.push.bind(server.requests);
    server.requests.push = (...items) => {
      sent += items.length;
      if (sent === 3) server.inject({ kind: "invalid_tool_json" });
      return original(...items);
    };
    const run = await check(server, bookDir);
    expect(run.exitCode, run.err).toBe(0);
    expect(run.err).toMatch(/chapter 1: the report did not validate \(.+\); asking again/);
    await expectChecked(root, before);
  });

  it("--chapters naming a chapter the book does not have: a clear error, exit code 1, nothing sent", async () => {
    const server = await fakeServer();
    const { root, book: bookDir } = await book();
    const run = await check(server, bookDir, "--chapters", "9");
    expect(run).toEqual({ out: "", err: `bookwright check: ${BOOK}: chapter(s) 9 have no note or no text to check\n`, exitCode: 1 });
    const some = await check(server, bookDir, "--chapters", "2-4", "--batch");
    expect(some).toEqual({ out: "", err: `bookwright check: ${BOOK}: chapter(s) 4 have no note or no text to check\n`, exitCode: 1 });
    expect(server.requests).toEqual([]);
    expect(await listBatches(server)).toEqual([]);
    expect(await readReports(root)).toEqual(new Map());
  });

  it("--chapters checks only those chapters", async () => {
    const server = await fakeServer();
    const { root, book: bookDir } = await book();
    const run = await check(server, bookDir, "--chapters", "2");
    expect(run.exitCode, run.err).toBe(0);
    expect(run.out).toMatch(/^chapter +2 /m);
    expect(run.out).toMatch(/^checked 1 chapter\(s\), summarised 1, cost \$/m);
    expect([...(await readReports(root)).keys()]).toEqual(["02 Waypoint 2.md"]);
    const chapters = await readChapters(root);
    expect(chapters.get(1)!.meta.summary).toBeUndefined();
    expect(chapters.get(2)!.meta.summary).toBeDefined();
  });

  it.each([
    [["--poll-seconds", "0"], "bookwright check: --poll-seconds: expected a number of seconds, got '0'\n"],
    [["--poll-seconds", "soon"], "bookwright check: --poll-seconds: expected a number of seconds, got 'soon'\n"],
    [["--chapters", "3-1"], "bookwright check: --chapters: '3-1' is not a range of chapters from 1 upwards\n"],
  ])("refuses %j with a clear error and exit code 1", async (args, message) => {
    const server = await fakeServer();
    const { book: bookDir } = await book();
    expect(await check(server, bookDir, ...args)).toEqual({ out: "", err: message, exitCode: 1 });
    expect(server.requests).toEqual([]);
  });
});

/** checkBook as `bookwright check` calls it, on the book under `root`. */
function checkOptions(server: FakeAnthropic, root: string, { batch }: { batch: boolean }): BookCheckOptions {
  const vault = new NodeVault(root);
  const io: CommandIO = { out: () => undefined, err: () => undefined, cwd: () => root, setExitCode: () => undefined };
  return {
    vault,
    bookFolder: BOOK,
    llm: buildLlm({ apiKey: "test", baseUrl: server.url }, io),
    ...(batch ? { batches: new AnthropicBatches({ apiKey: "test", baseURL: server.url }) } : {}),
    store: new VaultBatchRecordStore(vault, batchRecordsPath(BOOK)),
    revisions: new NoteRevisions(vault, BOOK),
    now: Date.now,
    sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
    pollMs: 10,
  };
}
