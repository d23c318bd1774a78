import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic, type Fault, type RecordedRequest } from "../../test/fake-anthropic/server";
import { loadBook } from "../book/scan";
import { AnthropicLlm } from "../llm/anthropic-llm";
import type { Llm } from "../llm/llm";
import { retrying } from "../llm/retry";
import { MemoryVault } from "../testing/memory-vault";
import { AgentExecutor, type ExecutorNotice } from "./agent-executor";
import { buildBatch } from "./graph";
import { MemoryJobStore, type JobStore } from "./job-store";
import { totalCostUsd, type BatchMode, type QueueState } from "./jobs";
import { NoteRevisions } from "./revisions";
import { PAUSE_COST_CAP, PAUSE_SPEND_LIMIT, QueueRunner, type QueueEvent } from "./runner";
import { bodyOf } from "./safe-write";

const BOOK = "The Salt Road";

/** A book with a story bible and an outline, and no chapters yet: what `generate` starts from. */
function storyBibleBook(): MemoryVault {
  return new MemoryVault().seed({
    [`${BOOK}/Book.md`]: "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 10\n---\nA novel.\n",
    [`${BOOK}/Story Bible.md`]: "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
    [`${BOOK}/Outline.md`]: "---\nbookwright: outline\n---\n" + Array.from({ length: 10 }, (_, i) => `${i + 1}. Mara reaches waypoint ${i + 1}.`).join("\n") + "\n",
    [`${BOOK}/Characters/Mara.md`]: "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
  });
}

let server: FakeAnthropic;
beforeEach(async () => {
  server = await startFakeAnthropic({ minCacheableTokens: 50 });
});
afterEach(async () => {
  await server.close();
});

interface Harness {
  vault: MemoryVault;
  store: JobStore;
  events: QueueEvent[];
  notices: ExecutorNotice[];
  run(state: QueueState, options?: { concurrency?: number; costCapUsd?: number; llm?: Llm; onEvent?: (e: QueueEvent, runner: QueueRunner) => void }): Promise<{ state: QueueState; runner: QueueRunner }>;
}

let clock = Date.parse("2026-11-25T10:00:00Z");
const now = () => (clock += 1000);

function harness(vault = storyBibleBook(), store: JobStore = new MemoryJobStore()): Harness {
  const events: QueueEvent[] = [];
  const notices: ExecutorNotice[] = [];
  const llmFor = () =>
    retrying(new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 }), {
      maxAttempts: 4,
      baseDelayMs: 1,
      maxDelayMs: 1,
      sleep: () => Promise.resolve(),
      random: () => 0.5,
    });
  return {
    vault,
    store,
    events,
    notices,
    async run(state, options = {}) {
      const executor = new AgentExecutor({
        vault,
        bookFolder: BOOK,
        llm: options.llm ?? llmFor(),
        revisions: new NoteRevisions(vault, BOOK),
        batchStart: Math.min(...state.jobs.map((j) => j.chapter)),
        now,
        onNotice: (n) => notices.push(n),
      });
      const runner: QueueRunner = new QueueRunner({
        store,
        executor,
        deviceId: "test-device",
        concurrency: options.concurrency ?? 3,
        ...(options.costCapUsd !== undefined ? { costCapUsd: options.costCapUsd } : {}),
        now,
        onEvent: (event) => {
          events.push(event);
          options.onEvent?.(event, runner);
        },
      });
      return { state: await runner.run(state), runner };
    },
  };
}

function batch(chapters: number[], mode: BatchMode = "sequential", costCapUsd?: number): QueueState {
  return buildBatch({ batchId: "b1", bookFolder: BOOK, deviceId: "test-device", chapters, mode, now: clock, ...(costCapUsd !== undefined ? { costCapUsd } : {}) });
}

function promptOf(request: RecordedRequest): string {
  const system = Array.isArray(request.body.system) ? request.body.system.map((b) => b.text).join("\n") : (request.body.system ?? "");
  const messages = request.body.messages.map((m) => (typeof m.content === "string" ? m.content : m.content.map((b) => ("text" in b ? b.text : "")).join("\n"))).join("\n");
  return `${system}\n${messages}`;
}

async function chapterTexts(vault: MemoryVault): Promise<Map<number, { path: string; text: string }>> {
  const book = await loadBook(vault, BOOK);
  const out = new Map<number, { path: string; text: string }>();
  for (const c of book.chapters) if (c.number !== null) out.set(c.number, { path: c.path, text: await vault.read(c.path) });
  return out;
}

/** Every chapter of `chapters` holds exactly the text its write job recorded, once, and nothing else was made of it. */
async function expectWrittenOnce(vault: MemoryVault, state: QueueState, chapters: number[]): Promise<void> {
  const texts = await chapterTexts(vault);
  const files = (await vault.list(BOOK)).map((f) => f.path);
  expect(files.filter((p) => p.includes("(AI take"))).toEqual([]);
  const revisions = new NoteRevisions(vault, BOOK);
  for (const n of chapters) {
    const job = state.jobs.find((j) => j.id === `write-${n}`)!;
    expect(job.state, `write-${n}`).toBe("succeeded");
    const recorded = (job.output?.data as { body: string }).body;
    const chapter = texts.get(n)!;
    expect(bodyOf(chapter.text)).toBe(recorded);
    // Written once: the body is exactly the one recorded take, and one AI-output revision keeps it.
    const outputs = (await revisions.list(chapter.path)).filter((r) => r.reason === "ai-output");
    expect(outputs.map((r) => r.text)).toEqual([recorded]);
  }
}

describe("AgentExecutor with the queue runner, against the fake server", () => {
  it("writes a 10-chapter book from a story bible: briefs, chapters, reports, timeline and codex as notes", async () => {
    const h = harness();
    const chapters = Array.from({ length: 10 }, (_, i) => i + 1);
    const { state } = await h.run(batch(chapters));

    expect(state.jobs.every((j) => j.state === "succeeded")).toBe(true);
    await expectWrittenOnce(h.vault, state, chapters);
    const book = await loadBook(h.vault, BOOK);
    expect(book.chapters.map((c) => c.number)).toEqual(chapters);
    for (const c of book.chapters) {
      expect(c.status).toBe("written");
      expect(c.words).toBeGreaterThan(100);
      expect(c.meta?.words).toBe(c.words);
      expect(c.meta?.summary?.length).toBeGreaterThan(0);
      expect(c.meta?.continuity).toMatch(/pass|warning|fail/);
    }
    expect(book.notes.filter((n) => n.kind === "brief")).toHaveLength(10);
    expect(book.notes.filter((n) => n.kind === "continuity-report")).toHaveLength(10);
    const timeline = await h.vault.read(`${BOOK}/Timeline.md`);
    for (const n of chapters) expect(timeline).toContain(`|Chapter ${n}]]`);
    expect(book.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(totalCostUsd(state)).toBeGreaterThan(0);

    // Sequential: each brief is asked for after the chapter before it was checked, and its prompt carries
    // that chapter's summary as saved in the chapter note — read back from the vault, not from memory.
    const briefPrompts = server.requests.map(promptOf).filter((p) => /Write the brief for chapter \d+\.\s*$/.test(p));
    expect(briefPrompts).toHaveLength(10);
    const chapter4 = book.chapters.find((c) => c.number === 4)!;
    expect(briefPrompts[4]).toContain(chapter4.meta!.summary!.trim());
    // The Writer of chapter 5 sees chapter 4's ending verbatim.
    const writerPrompts = server.requests.map(promptOf).filter((p) => /Write chapter 5 now/.test(p));
    expect(writerPrompts[0]).toContain(bodyOf(await h.vault.read(chapter4.path)).trim().slice(-200));
  });

  it("plan-ahead writes every brief first, then the drafts, then checks each seam into a report", async () => {
    const h = harness();
    const { state } = await h.run(batch([1, 2, 3, 4], "plan-ahead"), { concurrency: 4 });
    expect(state.jobs.every((j) => j.state === "succeeded")).toBe(true);
    const started = h.events.filter((e) => e.type === "job:started").map((e) => (e as { jobId: string }).jobId);
    const lastBrief = Math.max(...started.map((id, i) => (id.startsWith("brief-") ? i : -1)));
    const firstWrite = started.findIndex((id) => id.startsWith("write-"));
    expect(lastBrief).toBeLessThan(firstWrite);
    const book = await loadBook(h.vault, BOOK);
    const seams = book.notes.filter((n) => n.kind === "continuity-report" && (n.meta as { seam_of?: number }).seam_of !== undefined);
    expect(seams.map((n) => n.path).sort()).toEqual([`${BOOK}/Reports/Seam 01–02.md`, `${BOOK}/Reports/Seam 02–03.md`, `${BOOK}/Reports/Seam 03–04.md`]);
  });

  it("resumes after a crash at every save point without writing any chapter twice", async () => {
    // Count the saves of an uninterrupted run, then crash once at each of a spread of them.
    const probe = new CountingStore();
    await harness(storyBibleBook(), probe).run(batch([1, 2]));
    const total = probe.attempts;
    expect(total).toBeGreaterThan(20);
    for (const crashAt of [2, 3, 5, 8, 11, 13, 17, total - 2]) {
      const store = new CountingStore(crashAt);
      const h = harness(storyBibleBook(), store);
      await expect(h.run(batch([1, 2])), `crash at save ${crashAt} of ${total}`).rejects.toThrow(/disk full/);
      const saved = await store.load();
      const resumed = harness(h.vault, store);
      store.failAt = Infinity;
      const { state } = await resumed.run(saved ?? batch([1, 2]));
      expect(state.jobs.every((j) => j.state === "succeeded"), `crash at save ${crashAt}`).toBe(true);
      await expectWrittenOnce(h.vault, state, [1, 2]);
    }
  });

  it("keeps the writer's edit byte for byte when they type into the chapter while it is being drafted", async () => {
    const h = harness();
    // The first run gives chapter 2 a note and a brief; the second drafts it while the writer edits.
    await h.run(batch([1, 2]));
    const before = (await chapterTexts(h.vault)).get(2)!;
    const edited = `${before.text}\nShe crossed out the last line.\r\n  Then wrote it again — “exactly”.\n`;
    server.setScript(undefined);
    const again = buildBatch({ batchId: "b2", bookFolder: BOOK, deviceId: "test-device", chapters: [2], mode: "sequential", now: clock });
    const onlyWrite: QueueState = { ...again, jobs: again.jobs.filter((j) => j.kind === "write").map((j) => ({ ...j, dependsOn: [] })) };
    let typed = false;
    const slow = await startFakeAnthropic({ latency: { firstTokenMs: 0, tokensPerSecond: 20_000 } });
    try {
      const llm = new AnthropicLlm({ apiKey: "test", baseURL: slow.url, maxRetries: 0 });
      const { state } = await h.run(onlyWrite, {
        llm,
        onEvent: (event) => {
          if (event.type === "job:progress" && (event.progress.words ?? 0) > 20 && !typed) {
            typed = true;
            void h.vault.write(before.path, edited);
          }
        },
      });
      expect(typed).toBe(true);
      expect(state.jobs[0]!.state).toBe("succeeded");
      expect(await h.vault.read(before.path)).toBe(edited);
      expect(h.notices).toHaveLength(1);
      const take = await h.vault.read(h.notices[0]!.path!);
      expect(bodyOf(take)).toBe((state.jobs[0]!.output!.data as { body: string }).body);
      expect(take).toContain("take_of:");
    } finally {
      await slow.close();
    }
  });

  it("cancelling a draft mid-stream leaves the chapter as it was and its checks unstarted", async () => {
    const slow = await startFakeAnthropic({ latency: { firstTokenMs: 0, tokensPerSecond: 5_000 } });
    try {
      const h = harness();
      const llm = new AnthropicLlm({ apiKey: "test", baseURL: slow.url, maxRetries: 0 });
      let cancelled = false;
      const { state } = await h.run(batch([1]), {
        llm,
        onEvent: (event, runner) => {
          if (event.type === "job:progress" && event.jobId === "write-1" && (event.progress.words ?? 0) > 10 && !cancelled) {
            cancelled = true;
            runner.cancel("write-1");
          }
        },
      });
      expect(cancelled).toBe(true);
      const byId = new Map(state.jobs.map((j) => [j.id, j]));
      expect(byId.get("write-1")!.state).toBe("cancelled");
      expect(byId.get("write-1")!.output).toBeUndefined();
      expect(byId.get("continuity-1")!.state).toBe("queued");
      const chapter = (await chapterTexts(h.vault)).get(1)!;
      expect(bodyOf(chapter.text)).toBe("");
      expect((await h.vault.list(BOOK)).some((f) => f.path.includes("/Revisions/"))).toBe(false);
      expect(h.events.some((e) => e.type === "job:cancelled" && e.jobId === "write-1")).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("stops before the cost cap would be crossed, and carries on when the cap is raised", async () => {
    const h = harness();
    const cap = 0.08;
    const first = await h.run(batch([1, 2, 3], "sequential", cap));
    expect(first.runner.pauseReason).toBe(PAUSE_COST_CAP);
    expect(totalCostUsd(first.state)).toBeLessThanOrEqual(cap);
    expect(first.state.jobs.some((j) => j.state === "queued")).toBe(true);
    const second = await h.run({ ...first.state, costCapUsd: 10 });
    expect(second.state.jobs.every((j) => j.state === "succeeded")).toBe(true);
    await expectWrittenOnce(h.vault, second.state, [1, 2, 3]);
  });
});

describe("model faults inside a running batch", () => {
  const retryable: Fault[] = [
    { kind: "rate_limit", retryAfterSeconds: 1 },
    { kind: "overloaded" },
    { kind: "server_error" },
    { kind: "connection_reset" },
    { kind: "stream_error_after", chunks: 3 },
    { kind: "stream_cut_after", chunks: 5 },
    { kind: "invalid_tool_json" },
    { kind: "max_tokens", afterTokens: 200 },
    { kind: "slow_first_token", ms: 50 },
  ];
  for (const fault of retryable) {
    it(`${fault.kind}: the batch still finishes, each chapter written once`, async () => {
      const h = harness();
      let injected = false;
      const { state } = await h.run(batch([1, 2]), {
        onEvent: (event) => {
          // Into the middle of the batch: the draft of chapter 2, as it starts.
          if (event.type === "job:started" && event.jobId === "write-2" && !injected) {
            injected = true;
            server.inject(fault);
          }
        },
      });
      expect(injected).toBe(true);
      expect(state.jobs.filter((j) => j.state !== "succeeded").map((j) => `${j.id}: ${j.error?.message ?? j.state}`)).toEqual([]);
      await expectWrittenOnce(h.vault, state, [1, 2]);
    });
  }

  it("spend_limit: the whole queue pauses with nothing lost, and resumes when the writer says so", async () => {
    const h = harness();
    let injected = false;
    const first = await h.run(batch([1, 2]), {
      onEvent: (event) => {
        if (event.type === "job:started" && event.jobId === "write-2" && !injected) {
          injected = true;
          server.inject({ kind: "spend_limit" });
        }
      },
    });
    expect(first.runner.pauseReason).toBe(PAUSE_SPEND_LIMIT);
    expect(first.state.jobs.find((j) => j.id === "write-2")!.state).toBe("queued");
    expect(bodyOf((await chapterTexts(h.vault)).get(2)!.text)).toBe("");
    const second = await h.run(first.state);
    expect(second.state.jobs.every((j) => j.state === "succeeded")).toBe(true);
    await expectWrittenOnce(h.vault, second.state, [1, 2]);
  });

  it("a fault retries cannot fix (a refused key) fails that job, holds back what depends on it, and touches no chapter", async () => {
    const h = harness();
    const refusing: Llm = {
      complete: async (request) => {
        if (/Write chapter 2 now/.test(JSON.stringify(request.messages))) {
          const { LlmError } = await import("../llm/llm");
          throw new LlmError("auth", "invalid x-api-key", { status: 401 });
        }
        return new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 }).complete(request);
      },
    };
    const { state } = await h.run(batch([1, 2]), { llm: refusing });
    const byId = new Map(state.jobs.map((j) => [j.id, j]));
    expect(byId.get("write-2")!.state).toBe("failed");
    expect(byId.get("write-2")!.error?.kind).toBe("auth");
    for (const id of ["continuity-2", "characters-2", "timeline-2"]) expect(byId.get(id)!.state).toBe("queued");
    expect(bodyOf((await chapterTexts(h.vault)).get(2)!.text)).toBe("");
    await expectWrittenOnce(h.vault, state, [1]);
  });
});

/** A store that fails its `failAt`-th save, like a process that dies there; counts saves. */
class CountingStore extends MemoryJobStore {
  attempts = 0;
  constructor(public failAt = Infinity) {
    super();
  }
  override async save(state: QueueState): Promise<void> {
    this.attempts++;
    if (this.attempts === this.failAt) throw new Error("disk full");
    await super.save(state);
  }
}
