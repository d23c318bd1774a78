/**
 * `bookwright generate` and `bookwright queue`, in-process (commander with `exitOverride`), against the
 * fake Anthropic server through `--base-url`, on real temp folders the CLI opens as a NodeVault: a batch
 * from a story bible, refusing to overwrite written chapters without `--rewrite`, resuming after a cost
 * cap and after Ctrl-C without writing any chapter twice, device ownership, the queue command, bad input.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import * as nodePath from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadBook, type ChapterInfo } from "../../shared/book/scan";
import { buildBatch } from "../../shared/queue/graph";
import { fail, parseQueueState, start, type QueueState } from "../../shared/queue/jobs";
import { NoteRevisions } from "../../shared/queue/revisions";
import type { QueueRunner } from "../../shared/queue/runner";
import { bodyOf } from "../../shared/queue/safe-write";
import { defaultScript, startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from "../../test/fake-anthropic/server";
import { FileJobStore } from "../queue/file-job-store";
import { NodeVault } from "../vault/node-vault";
import { generate, parseChapterRange, parseModels, queueFile, registerGenerateCommand, registerQueueCommand } from "./generate";
import type { CommandIO } from "./import";

const BOOK = "The Salt Road";
const DEVICE = "test-laptop";

let root: string;
let bookDir: string;
let server: FakeAnthropic;

/** A book with a story bible, an outline and one character, and no chapters: what `generate` starts from. */
async function makeBook(): Promise<void> {
  root = await mkdtemp(nodePath.join(os.tmpdir(), "bookwright-generate-"));
  bookDir = nodePath.join(root, BOOK);
  await mkdir(nodePath.join(bookDir, "Characters"), { recursive: true });
  const files: Record<string, string> = {
    "Book.md": "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 10\n---\nA novel.\n",
    "Story Bible.md": "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
    "Outline.md": "---\nbookwright: outline\n---\n" + Array.from({ length: 10 }, (_, i) => `${i + 1}. Mara reaches waypoint ${i + 1}.`).join("\n") + "\n",
    "Characters/Mara.md": "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
  };
  for (const [name, text] of Object.entries(files)) await writeFile(nodePath.join(bookDir, name), text);
}

beforeEach(async () => {
  await makeBook();
  server = await startFakeAnthropic();
  vi.stubEnv("BOOKWRIGHT_DEVICE_ID", DEVICE);
  vi.stubEnv("BOOKWRIGHT_BASE_URL", undefined);
  vi.stubEnv("NO_COLOR", "1");
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await server.close();
  await rm(root, { recursive: true, force: true });
});

interface Run {
  out: string;
  err: string;
  exitCode: number;
  /** What the live display wrote to the process's stderr. */
  display: string;
}

function captureIO(result: { out: string; err: string; exitCode: number }, cwd = root): CommandIO {
  return {
    out: (text) => (result.out += `${text}\n`),
    err: (text) => (result.err += `${text}\n`),
    cwd: () => cwd,
    setExitCode: (code) => (result.exitCode = code),
  };
}

/** Runs `bookwright <args…>` in-process with generate and queue registered, capturing its output. */
async function cli(args: string[]): Promise<Run> {
  const result: Run = { out: "", err: "", exitCode: 0, display: "" };
  const io = captureIO(result);
  const program = new Command("bookwright")
    .exitOverride()
    .configureOutput({ writeOut: (text) => (result.out += text), writeErr: (text) => (result.err += text) });
  registerGenerateCommand(program, io);
  registerQueueCommand(program, io);
  // The live display draws on process.stderr itself: keep it out of the test log, but keep it.
  const display = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    result.display += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    display.mockRestore();
  }
  return result;
}

/** `bookwright generate <book> --base-url <fake> --api-key test …`. */
function gen(...args: string[]): Promise<Run> {
  return cli(["generate", bookDir, "--base-url", server.url, "--api-key", "test", ...args]);
}

function queue(...args: string[]): Promise<Run> {
  return cli(["queue", bookDir, ...args]);
}

function queuePath(): string {
  return queueFile(root, BOOK);
}

async function savedState(): Promise<QueueState | null> {
  const text = await readFile(queuePath(), "utf8").catch(() => null);
  return text === null ? null : parseQueueState(text);
}

async function chapters(): Promise<ChapterInfo[]> {
  return (await loadBook(new NodeVault(root), BOOK)).chapters;
}

/** Every chapter note's full text, by chapter number. */
async function chapterTexts(): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const c of await chapters()) if (c.number !== null) out.set(c.number, await readFile(nodePath.join(root, c.path), "utf8"));
  return out;
}

function bodyOfWrite(state: QueueState, n: number): string {
  const job = state.jobs.find((j) => j.id === `write-${n}`)!;
  return (job.output?.data as { body: string }).body;
}

/**
 * Each chapter of `numbers` holds exactly the take its write job recorded, written once: one `ai-output`
 * revision of that job keeps it, and no alternative take was made beside the chapter.
 */
async function expectWrittenOnce(state: QueueState, numbers: number[]): Promise<void> {
  const vault = new NodeVault(root);
  const book = await loadBook(vault, BOOK);
  const files = (await vault.list(BOOK)).map((f) => f.path);
  expect(files.filter((p) => p.includes("(AI take"))).toEqual([]);
  const revisions = new NoteRevisions(vault, BOOK);
  for (const n of numbers) {
    const job = state.jobs.find((j) => j.id === `write-${n}`)!;
    expect(job.state, `write-${n}`).toBe("succeeded");
    const recorded = bodyOfWrite(state, n);
    const chapter = book.chapters.find((c) => c.number === n)!;
    expect(bodyOf(await vault.read(chapter.path)), `chapter ${n}'s body`).toBe(recorded);
    expect(chapter.status, `chapter ${n}'s status`).toBe("written");
    const outputs = (await revisions.list(chapter.path)).filter((r) => r.reason === "ai-output" && r.jobId === job.idempotencyKey);
    expect(outputs.map((r) => r.text), `chapter ${n}'s ai-output revisions of ${job.idempotencyKey}`).toEqual([recorded]);
    expect((await revisions.list(chapter.path)).filter((r) => r.reason === "alternative-take")).toEqual([]);
  }
}

function isWriterRequest(request: RecordedRequest): boolean {
  return JSON.stringify(request.body.messages).includes("Write chapter");
}

describe("parseChapterRange", () => {
  it.each([
    ["1-7", [1, 2, 3, 4, 5, 6, 7]],
    ["3", [3]],
    ["1,4,6-9", [1, 4, 6, 7, 8, 9]],
    ["2–4", [2, 3, 4]],
    [" 5 , 2-3 ,3", [2, 3, 5]],
  ])("%j → %j", (text, expected) => {
    expect(parseChapterRange(text)).toEqual(expected);
  });

  it.each([
    ["0", "--chapters: '0' is not a range of chapters from 1 upwards"],
    ["5-2", "--chapters: '5-2' is not a range of chapters from 1 upwards"],
    ["abc", "--chapters: 'abc' is not a chapter number or a range such as 1-7"],
    ["1,x-3", "--chapters: 'x-3' is not a chapter number or a range such as 1-7"],
    ["", "--chapters: expected chapter numbers such as 1-7"],
    [" , ", "--chapters: expected chapter numbers such as 1-7"],
  ])("refuses %j", (text, message) => {
    expect(() => parseChapterRange(text)).toThrow(message);
  });
});

describe("parseModels", () => {
  it("a plain model id sets all five agents", () => {
    expect(parseModels(["claude-x"])).toEqual({ architect: "claude-x", writer: "claude-x", continuity: "claude-x", timeline: "claude-x", characters: "claude-x" });
  });

  it("agent=model sets that agent only; later values win", () => {
    expect(parseModels(["writer=claude-w"])).toEqual({ writer: "claude-w" });
    expect(parseModels(["claude-x", " timeline = claude-t "])).toEqual({
      architect: "claude-x",
      writer: "claude-x",
      continuity: "claude-x",
      timeline: "claude-t",
      characters: "claude-x",
    });
    expect(parseModels()).toEqual({});
  });

  it("names the agent that is not one, and the agent without a model", () => {
    expect(() => parseModels(["editor=claude-x"])).toThrow("--model: 'editor' is not an agent (expected one of architect, writer, continuity, timeline, characters)");
    expect(() => parseModels(["writer="])).toThrow("--model: no model after 'writer='");
    expect(() => parseModels(["writer=  "])).toThrow("--model: no model after 'writer='");
    expect(() => parseModels([""])).toThrow("--model: expected a model id, or agent=model (e.g. writer=claude-opus-4-5)");
    expect(() => parseModels(["  "])).toThrow("--model: expected a model id");
  });
});

describe("bookwright generate", () => {
  it("writes chapters 1-3 of a book that has none: exit code 0, a finished batch saved in the book", async () => {
    const run = await gen("--chapters", "1-3");
    expect(run.exitCode, run.err).toBe(0);
    expect(run.err).toMatch(/^The Salt Road: 15 jobs for chapters 1, 2, 3 \(sequential\), estimated \$\d+\.\d\d\n/);
    expect(run.err).toMatch(/15 of 15 jobs done, cost \$\d+\.\d{4}\n/);
    expect(run.out).toBe("");

    const book = await chapters();
    expect(book.map((c) => c.number)).toEqual([1, 2, 3]);
    for (const c of book) {
      expect(c.status).toBe("written");
      expect(c.words).toBeGreaterThan(100);
    }
    const state = (await savedState())!;
    expect(state.bookFolder).toBe(BOOK);
    expect(state.deviceId).toBe(DEVICE);
    expect(state.jobs).toHaveLength(15);
    expect(state.jobs.filter((j) => j.state !== "succeeded")).toEqual([]);
    await expectWrittenOnce(state, [1, 2, 3]);
    // Nothing but the queue is left in the dot-folder (no temp files).
    expect(await readdir(nodePath.dirname(queuePath()))).toEqual(["queue.json"]);
  });

  it("without --chapters and nothing to resume, says which chapters to give", async () => {
    const run = await gen();
    expect(run).toMatchObject({ exitCode: 1, out: "" });
    expect(run.err).toBe("bookwright generate: --chapters: which chapters to generate, e.g. --chapters 1-7 (nothing is left to resume)\n");
    expect(await savedState()).toBeNull();
    expect(server.requests).toHaveLength(0);
  });

  it("after a finished batch: no resume without --chapters, refuses written chapters without --rewrite, and --rewrite keeps the old text as a revision", async () => {
    const first = await gen("--chapters", "1-2");
    expect(first.exitCode, first.err).toBe(0);
    const firstState = (await savedState())!;
    const before = await chapterTexts();
    const requestsBefore = server.requests.length;

    const nothing = await gen();
    expect(nothing.exitCode).toBe(1);
    expect(nothing.err).toMatch(/--chapters: .*nothing is left to resume/);

    const refused = await gen("--chapters", "1-2");
    expect(refused.exitCode).toBe(1);
    const paths = (await chapters()).map((c) => c.path);
    expect(refused.err).toMatch(
      new RegExp(`^bookwright generate: chapter 1 \\([\\d,]+ words, ${escapeRegExp(paths[0]!)}\\), chapter 2 \\([\\d,]+ words, ${escapeRegExp(paths[1]!)}\\) already have text; pass --rewrite`),
    );
    // One written chapter among others is named alone.
    const one = await gen("--chapters", "2-3");
    expect(one.exitCode).toBe(1);
    expect(one.err).toMatch(/chapter 2 \([\d,]+ words, [^)]+\) already has text; pass --rewrite/);
    expect(one.err).not.toContain("chapter 3");
    expect(await chapterTexts()).toEqual(before);
    expect((await savedState())!.batchId).toBe(firstState.batchId);
    expect(server.requests.length).toBe(requestsBefore);

    // A second take differs from the first, so the rewrite is visible.
    server.setScript((request) => {
      const reply = defaultScript(request);
      return isWriterRequest(request) && reply.text !== undefined ? { text: `The second take began here. ${reply.text}` } : reply;
    });
    const rewrite = await gen("--chapters", "1-2", "--rewrite");
    expect(rewrite.exitCode, rewrite.err).toBe(0);
    const state = (await savedState())!;
    expect(state.batchId).not.toBe(firstState.batchId);
    await expectWrittenOnce(state, [1, 2]);
    const vault = new NodeVault(root);
    const revisions = new NoteRevisions(vault, BOOK);
    for (const c of await chapters()) {
      const n = c.number!;
      const now = await readFile(nodePath.join(root, c.path), "utf8");
      expect(bodyOf(now)).toMatch(/^The second take began here\. /);
      expect(bodyOf(now)).not.toBe(bodyOf(before.get(n)!));
      const kept = (await revisions.list(c.path)).filter((r) => r.reason === "before-ai-write" && r.jobId === state.jobs.find((j) => j.id === `write-${n}`)!.idempotencyKey);
      expect(kept.map((r) => r.text), `chapter ${n}: the text the rewrite replaced`).toEqual([before.get(n)]);
      expect(kept[0]!.path!.startsWith(`${BOOK}/Revisions/`)).toBe(true);
    }
  });

  it("resumes a batch stopped by the cost cap with a higher --max-cost, writing each chapter once", async () => {
    // Concurrency 1 makes the order certain: brief-1, write-1, continuity-1, brief-2, then write-2 would cross $0.15.
    const capped = await gen("--chapters", "1-2", "--concurrency", "1", "--max-cost", "0.15");
    expect(capped.exitCode, capped.err).toBe(2);
    expect(capped.err).toContain("cap $0.15");
    expect(capped.err).toContain("the estimate is above the cap");
    expect(capped.err).toContain("paused (cost cap); run the command again to resume with a higher --max-cost");
    const paused = (await savedState())!;
    const stateOf = (s: QueueState) => Object.fromEntries(s.jobs.map((j) => [j.id, j.state]));
    expect(paused.jobs.filter((j) => j.state === "succeeded").map((j) => j.id)).toEqual(["brief-1", "write-1", "continuity-1", "brief-2"]);
    expect(stateOf(paused)).toMatchObject({ "write-2": "queued", "characters-1": "queued", "timeline-1": "queued" });
    expect(paused.costCapUsd).toBe(0.15);
    const chapter1 = (await chapterTexts()).get(1)!;
    expect(bodyOf(chapter1)).toBe(bodyOfWrite(paused, 1));

    // Other chapters than the saved batch's: refused, naming the saved ones and --discard.
    const other = await gen("--chapters", "3");
    expect(other.exitCode).toBe(1);
    expect(other.err).toContain(`an unfinished batch for chapters 1, 2 is saved in ${queuePath()}`);
    expect(other.err).toContain("--discard");
    expect(await savedState()).toEqual(paused);

    // The same cap again pauses before spending anything.
    const requests = server.requests.length;
    const again = await gen();
    expect(again.exitCode).toBe(2);
    expect(again.err).toContain(`resuming batch ${paused.batchId}`);
    expect(server.requests.length).toBe(requests);

    const resumed = await gen("--max-cost", "5");
    expect(resumed.exitCode, resumed.err).toBe(0);
    expect(resumed.err).toMatch(new RegExp(`resuming batch ${paused.batchId}: \\d+ of 10 jobs already done`));
    expect(resumed.err).toMatch(/spent so far \$\d/);
    const state = (await savedState())!;
    expect(state.batchId).toBe(paused.batchId);
    expect(state.costCapUsd).toBe(5);
    expect(state.jobs.filter((j) => j.state !== "succeeded")).toEqual([]);
    await expectWrittenOnce(state, [1, 2]);
    // Chapter 1 was not touched again: its take is the one recorded before the pause.
    expect(bodyOfWrite(state, 1)).toBe(bodyOfWrite(paused, 1));
    expect(server.requests.filter(isWriterRequest)).toHaveLength(2);
  });

  it("refuses an unfinished batch of another device unless --take-over, naming both devices", async () => {
    vi.stubEnv("BOOKWRIGHT_DEVICE_ID", "writers-laptop");
    const started = await gen("--chapters", "1", "--max-cost", "0.1");
    expect(started.exitCode, started.err).toBe(2);
    const saved = (await savedState())!;
    expect(saved.deviceId).toBe("writers-laptop");

    vi.stubEnv("BOOKWRIGHT_DEVICE_ID", "studio-desktop");
    const requests = server.requests.length;
    const refused = await gen("--max-cost", "5");
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toContain(`the unfinished batch ${saved.batchId} of this book belongs to "writers-laptop"`);
    expect(refused.err).toContain("--take-over");
    expect(refused.err).toContain('"studio-desktop"');
    expect(await savedState()).toEqual(saved);
    expect(server.requests.length).toBe(requests);

    const taken = await gen("--max-cost", "5", "--take-over");
    expect(taken.exitCode, taken.err).toBe(0);
    expect(taken.err).toContain(`took over batch ${saved.batchId} from its previous device`);
    const state = (await savedState())!;
    expect(state.batchId).toBe(saved.batchId);
    expect(state.deviceId).toBe("studio-desktop");
    expect(state.jobs.filter((j) => j.state !== "succeeded")).toEqual([]);
    await expectWrittenOnce(state, [1]);
  });

  it("stops mid-stream like Ctrl-C: exit code 130, the draft back in the queue unrecorded, the chapter untouched; the next run finishes", async () => {
    const slow = await startFakeAnthropic({ latency: { firstTokenMs: 0, tokensPerSecond: 3000 } });
    try {
      const result = { out: "", err: "", exitCode: 0 };
      let runner: QueueRunner | undefined;
      let stoppedAt: number | undefined;
      const final = await generate(
        bookDir,
        { chapters: "1", mode: "sequential", concurrency: "3", baseUrl: slow.url, apiKey: "test" },
        {
          io: captureIO(result),
          onRunner: (r) => (runner = r),
          onEvent: (event) => {
            if (event.type === "job:progress" && event.kind === "write" && (event.progress.tokens ?? 0) > 0 && stoppedAt === undefined) {
              stoppedAt = event.progress.tokens;
              runner!.stop();
            }
          },
        },
      );
      expect(stoppedAt, "a write job streamed before the stop").toBeGreaterThan(0);
      expect(result.exitCode, result.err).toBe(130);
      expect(result.err).toContain("stopped; run the same command again to resume");

      const saved = (await savedState())!;
      expect(saved).toEqual(final);
      const write = saved.jobs.find((j) => j.id === "write-1")!;
      expect(write.state).toBe("queued");
      expect(write.output).toBeUndefined();
      expect(write.error?.kind).toBe("stopped");
      expect(saved.jobs.find((j) => j.id === "brief-1")!.state).toBe("succeeded");
      expect(saved.jobs.filter((j) => j.kind !== "brief" && j.kind !== "write").map((j) => j.state)).toEqual(["queued", "queued", "queued"]);
      // The brief made the chapter note; the stopped draft put nothing in it, nor in a revision.
      const [chapter] = await chapters();
      expect(chapter!.status).toBe("brief_complete");
      expect(bodyOf(await readFile(nodePath.join(root, chapter!.path), "utf8"))).toBe("");
      expect(await new NoteRevisions(new NodeVault(root), BOOK).list(chapter!.path)).toEqual([]);
    } finally {
      await slow.close();
    }

    const resumed = await gen();
    expect(resumed.exitCode, resumed.err).toBe(0);
    expect(resumed.err).toContain("resuming batch");
    const state = (await savedState())!;
    expect(state.jobs.filter((j) => j.state !== "succeeded")).toEqual([]);
    await expectWrittenOnce(state, [1]);
  });

  it("refuses to start without an API key, saving nothing", async () => {
    vi.stubEnv("ANTHROPIC_API_KEY", "");
    const run = await cli(["generate", bookDir, "--base-url", server.url, "--chapters", "1"]);
    expect(run.exitCode).toBe(1);
    expect(run.err).toBe("bookwright generate: no API key: set ANTHROPIC_API_KEY or pass --api-key (a local server accepts any value)\n");
    expect(await savedState()).toBeNull();
  });

  it("--simulate writes with the offline simulator: no key, no request sent, placeholder chapters, $0", async () => {
    vi.stubEnv("ANTHROPIC_API_KEY", "");
    const run = await cli(["generate", bookDir, "--simulate", "--chapters", "1-2"]);
    expect(run.exitCode, run.err).toBe(0);
    expect(run.err).toContain("simulating: the offline simulator writes placeholder text");
    expect(run.err).toContain("estimated $0.00");
    expect(run.err).toContain("10 of 10 jobs done, cost $0.0000");
    expect(server.requests).toHaveLength(0);
    const state = (await savedState())!;
    await expectWrittenOnce(state, [1, 2]);
    for (const text of (await chapterTexts()).values()) expect(bodyOf(text)).toMatch(/^> \[!warning\] Simulator placeholder text\n/);
  });

  it("lists --simulate in its help", async () => {
    const program = new Command("bookwright").exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    registerGenerateCommand(program, captureIO({ out: "", err: "", exitCode: 0 }));
    const help = program.commands.find((c) => c.name() === "generate")!.helpInformation();
    expect(help.replace(/\s+/g, " ")).toContain("--simulate write with the built-in offline simulator instead of a model: placeholder text");
  });

  it.each([
    [["--chapters", "1", "--mode", "fast"], "bookwright generate: --mode: expected sequential or plan-ahead, got 'fast'\n"],
    [["--chapters", "1", "--concurrency", "0"], "bookwright generate: --concurrency: expected a whole number from 1 to 32, got '0'\n"],
    [["--chapters", "1", "--concurrency", "2.5"], "bookwright generate: --concurrency: expected a whole number from 1 to 32, got '2.5'\n"],
    [["--chapters", "1", "--max-cost", "-1"], "bookwright generate: --max-cost: expected an amount of US dollars above 0, e.g. 5, got '-1'\n"],
    [["--chapters", "1", "--max-cost", "lots"], "bookwright generate: --max-cost: expected an amount of US dollars above 0, e.g. 5, got 'lots'\n"],
    [["--chapters", "0-2"], "bookwright generate: --chapters: '0-2' is not a range of chapters from 1 upwards\n"],
    [["--chapters", "1", "--model", "editor=claude-x"], "bookwright generate: --model: 'editor' is not an agent (expected one of architect, writer, continuity, timeline, characters)\n"],
  ])("refuses %j with a clear error and exit code 1", async (args, message) => {
    const run = await gen(...args);
    expect(run).toMatchObject({ out: "", err: message, exitCode: 1 });
    expect(await savedState()).toBeNull();
    expect(server.requests).toHaveLength(0);
  });

  it("names a folder that holds no book", async () => {
    const empty = nodePath.join(root, "Drafts");
    await mkdir(empty);
    const run = await cli(["generate", empty, "--base-url", server.url, "--api-key", "test", "--chapters", "1"]);
    expect(run).toMatchObject({ out: "", exitCode: 1 });
    expect(run.err).toBe("bookwright generate: Drafts: no book here; expected a note with 'bookwright: book' (or a Longform index note) in this folder\n");
    expect(server.requests).toHaveLength(0);
  });
});

describe("bookwright queue", () => {
  /** A plan-ahead batch of chapters 1-2 whose two briefs failed, saved as `generate` saves it. */
  async function saveFailedBatch(): Promise<QueueState> {
    const now = Date.parse("2026-11-25T10:00:00Z");
    let state = buildBatch({ batchId: "2026-11-25-cafe0001", bookFolder: BOOK, deviceId: DEVICE, chapters: [1, 2], mode: "plan-ahead", now });
    for (const id of ["brief-1", "brief-2"]) {
      state = fail(start(state, id, now), id, { kind: "overloaded", message: "Overloaded" }, false, now + 1000);
    }
    await new FileJobStore(queuePath()).save(state);
    return state;
  }

  it("with no saved batch, says how to start one", async () => {
    const run = await queue();
    expect(run).toEqual({ out: `no saved batch for ${BOOK} (start one with \`bookwright generate "${bookDir}" --chapters 1-3\`)\n`, err: "", exitCode: 0, display: "" });
  });

  it("prints the saved batch as a table, or as JSON", async () => {
    const saved = await saveFailedBatch();
    const table = await queue();
    expect(table.exitCode, table.err).toBe(0);
    expect(table.out).toContain(`batch ${saved.batchId}`);
    expect(table.out).toContain(`owner ${DEVICE}`);
    expect(table.out).toMatch(/^ {2}ch {2}brief/m);
    expect(table.out).toContain("brief-1 failed");
    expect(table.out).toContain("0/11 jobs done, 2 failed");

    const json = await queue("--json");
    expect(json.exitCode, json.err).toBe(0);
    expect(JSON.parse(json.out)).toEqual(saved);
  });

  it("--retry all queues the failed jobs again, --cancel cancels one, and both are saved", async () => {
    await saveFailedBatch();
    const retried = await queue("--retry", "all", "--json");
    expect(retried.exitCode, retried.err).toBe(0);
    const afterRetry = (await savedState())!;
    expect(JSON.parse(retried.out)).toEqual(afterRetry);
    expect(afterRetry.jobs.find((j) => j.id === "brief-1")!.state).toBe("queued");
    expect(afterRetry.jobs.find((j) => j.id === "brief-2")!.state).toBe("queued");
    expect(afterRetry.jobs.filter((j) => j.state === "failed")).toEqual([]);

    const cancelled = await queue("--cancel", "write-2");
    expect(cancelled.exitCode, cancelled.err).toBe(0);
    const afterCancel = (await savedState())!;
    expect(afterCancel.jobs.find((j) => j.id === "write-2")!.state).toBe("cancelled");
    expect(afterCancel.jobs.filter((j) => j.state === "cancelled").map((j) => j.id)).toEqual(["write-2"]);
    expect(cancelled.out).toContain("1 cancelled");

    const unknown = await queue("--cancel", "write-9");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toMatch(/^bookwright queue: job write-9: no such job in batch/);
    expect(await savedState()).toEqual(afterCancel);
  });

  it("--take-over makes this device the owner", async () => {
    await saveFailedBatch();
    vi.stubEnv("BOOKWRIGHT_DEVICE_ID", "studio-desktop");
    const run = await queue("--take-over");
    expect(run.exitCode, run.err).toBe(0);
    expect(run.out).toContain("owner studio-desktop");
    expect((await savedState())!.deviceId).toBe("studio-desktop");
  });

  it("--discard moves the queue file aside, and generate then starts afresh", async () => {
    const saved = await saveFailedBatch();
    const run = await queue("--discard");
    expect(run.exitCode, run.err).toBe(0);
    expect(run.out).toMatch(new RegExp(`^discarded batch ${saved.batchId} \\(its file was moved to .*queue\\.discarded-[^/]+\\.json\\)\\n$`));
    expect(await savedState()).toBeNull();
    const names = await readdir(nodePath.dirname(queuePath()));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^queue\.discarded-.+\.json$/);
    expect(parseQueueState(await readFile(nodePath.join(nodePath.dirname(queuePath()), names[0]!), "utf8"))).toEqual(saved);

    const none = await queue();
    expect(none.out).toMatch(/^no saved batch for /);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
