/**
 * Crash test of `bookwright generate` (issue 4): a real CLI process is SIGKILLed at random points of a
 * 3-chapter batch — before its first save, mid-stream of a chapter, between jobs, while a take is being
 * applied — sometimes twice, and then restarted to the end. Whatever the kill hit, every chapter must end
 * written exactly once (its body is the one take its write job recorded, kept as one `ai-output`
 * revision, with no alternative take beside it), never partially, and the queue file must parse after
 * every kill and end with every job succeeded.
 *
 * The kill points come from a seeded generator: the seed is printed, and is in every assertion message
 * with the trial's delays; `BOOKWRIGHT_CRASH_SEED=<seed>` replays the same kill points (the process's
 * own timing still varies a little). A kill point is a fraction of an uninterrupted run, measured at the
 * start while the CLI's queue file is watched. A point inside the batch is reached as "once the queue
 * file shows the jobs the uninterrupted run had finished by then, wait what was left of the fraction":
 * on a shared machine whose load doubles mid-test a plain delay from the spawn would pile every kill
 * into the first half of the batch. A point before the first save is a plain delay from the spawn.
 * Nothing asserts on time. `BOOKWRIGHT_CRASH_KEEP=1` keeps the books of failed trials for a look.
 */
import { readdir, readFile, rm, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from "vitest";
import { loadBook } from "../../shared/book/scan";
import { parseQueueState, type BatchMode, type Job, type QueueState } from "../../shared/queue/jobs";
import { NoteRevisions } from "../../shared/queue/revisions";
import { bodyOf } from "../../shared/queue/safe-write";
import { bundleCli, startCli, type CliExit, type CliProcess } from "../../test/cli-process";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { NodeVault } from "../vault/node-vault";
import { seededRandom } from "../../shared/util/seeded-random";

const BOOK = "The Salt Road";
const CHAPTERS = [1, 2, 3];
const TRIALS = 24;
/** CLI processes at once: two trials side by side keep a 2-core machine busy without starving either. */
const PARALLEL = 2;
/**
 * Chapters of ~3,700 tokens stream for ~0.3 s each, so a third of an uninterrupted run (2–3 s on an idle
 * 2-core machine, most of the rest being the CLI's own start-up and work) is a chapter mid-stream.
 */
const LATENCY = { firstTokenMs: 20, tokensPerSecond: 12_000 };
const MODES: readonly BatchMode[] = ["sequential", "plan-ahead"];

const SEED = process.env.BOOKWRIGHT_CRASH_SEED !== undefined ? Number(process.env.BOOKWRIGHT_CRASH_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;


interface TrialPlan {
  index: number;
  /** For the test's name. */
  title: string;
  mode: BatchMode;
  /** When to kill each run, as a fraction of an uninterrupted run of the mode; one or two kills. */
  killAt: number[];
}

/**
 * The trials: modes alternate, every third trial kills twice. The first kill of each mode's trials is
 * stratified (trial k of n lands in the k-th n-th of the run, at a random point within it), so the kills
 * cover the whole run, start to finish; a second kill lands anywhere in the first three quarters.
 */
function planTrials(seed: number): TrialPlan[] {
  const perMode = TRIALS / MODES.length;
  return Array.from({ length: TRIALS }, (_, index) => {
    const random = seededRandom(seed ^ Math.imul(index + 1, 0x9e3779b1));
    const stratum = Math.floor(index / MODES.length);
    const killAt = [(stratum + random()) / perMode];
    if (index % 3 === 2) killAt.push(random() * 0.75);
    const mode = MODES[index % MODES.length]!;
    return { index, mode, killAt, title: `trial ${index}: ${mode}, killed at ${killAt.map((f) => f.toFixed(3)).join(" then ")} of a run, then restarted` };
  });
}

const PLANS = planTrials(SEED);

// --- The book and the CLI --------------------------------------------------------------------------

/** A book with a story bible, an outline and one character, and no chapters: what `generate` starts from. */
async function makeBook(prefix: string): Promise<{ root: string; book: string }> {
  const root = await mkdtemp(nodePath.join(os.tmpdir(), prefix));
  const book = nodePath.join(root, BOOK);
  await mkdir(nodePath.join(book, "Characters"), { recursive: true });
  const files: Record<string, string> = {
    "Book.md": "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 10\n---\nA novel.\n",
    "Story Bible.md": "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\nTone: spare, cold, exact.\n",
    "Outline.md": "---\nbookwright: outline\n---\n" + Array.from({ length: 10 }, (_, i) => `${i + 1}. Mara reaches waypoint ${i + 1}.`).join("\n") + "\n",
    "Characters/Mara.md": "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
  };
  for (const [name, text] of Object.entries(files)) await writeFile(nodePath.join(book, name), text);
  return { root, book };
}

let server: FakeAnthropic;
let bundleDir: string;
let cli: string;
const live = new Set<CliProcess>();

function cliEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ANTHROPIC_API_KEY: "test-key", BOOKWRIGHT_DEVICE_ID: "crash-test-device", NO_COLOR: "1" };
  delete env.BOOKWRIGHT_BASE_URL;
  return env;
}

/** `generate` as the writer types it: a new batch with --chapters, a resume without. */
function generateArgs(book: string, start: { mode: BatchMode } | "resume"): string[] {
  const args = ["generate", book, "--concurrency", "2", "--base-url", server.url];
  return start === "resume" ? args : [...args, "--chapters", "1-3", "--mode", start.mode];
}

function launch(args: string[]): CliProcess {
  const proc = startCli(cli, args, { env: cliEnv() });
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

/** At most `n` callers inside at once; the rest wait their turn in order. */
function semaphore(n: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
const slot = semaphore(PARALLEL);

// --- What is on disk ---------------------------------------------------------------------------------

interface Snapshot {
  /** The queue file's text, when there is one. */
  queueText?: string;
  state?: QueueState;
  /** Why the queue file did not parse (must never happen). */
  parseError?: string;
  /** Every file in `.bookwright/` other than queue.json. */
  stray: string[];
  /** Each chapter note's body, by chapter number. */
  bodies: Map<number, string>;
}

async function snapshot(root: string): Promise<Snapshot> {
  const folder = nodePath.join(root, BOOK, ".bookwright");
  const names = await readdir(folder).catch(() => [] as string[]);
  const stray = names.filter((n) => n !== "queue.json").sort();
  const result: Snapshot = { stray, bodies: new Map() };
  if (names.includes("queue.json")) {
    result.queueText = await readFile(nodePath.join(folder, "queue.json"), "utf8");
    try {
      result.state = parseQueueState(result.queueText);
    } catch (error) {
      result.parseError = error instanceof Error ? error.message : String(error);
    }
  }
  const vault = new NodeVault(root);
  for (const chapter of (await loadBook(vault, BOOK)).chapters) {
    if (chapter.number !== null) result.bodies.set(chapter.number, bodyOf(await vault.read(chapter.path)));
  }
  return result;
}

/** How many jobs the saved queue shows succeeded, or null when there is no queue file (yet). */
async function succeededJobs(root: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(nodePath.join(root, BOOK, ".bookwright", "queue.json"), "utf8");
  } catch {
    return null;
  }
  // Saves are renames: even while the CLI runs, the file is one whole saved state. Only JSON.parse here
  // (this runs every few milliseconds); the full parse is checked after each kill.
  let state: { jobs: { state: string }[] };
  try {
    state = JSON.parse(text) as typeof state;
  } catch (error) {
    throw new Error(`the queue file in ${root} was not whole JSON while the CLI was running: ${error instanceof Error ? error.message : String(error)}`);
  }
  return state.jobs.filter((j) => j.state === "succeeded").length;
}

/** How often the queue file is read while waiting for a kill point. */
const POLL_MS = 20;

/** Waits until the saved queue shows at least `jobs` succeeded, or the process has ended. */
async function waitForSucceeded(root: string, jobs: number, proc: CliProcess): Promise<void> {
  while (!proc.done) {
    const done = await succeededJobs(root);
    if (done !== null && done >= jobs) return;
    await Promise.race([sleep(POLL_MS), proc.exited]);
  }
}

/** An uninterrupted run as the queue file showed it: when it first saved, when k jobs had succeeded, when it ended. */
interface Timeline {
  firstSaveMs: number;
  /** `reachedMs[k]`: when the queue first showed k jobs succeeded (0: the first save). */
  reachedMs: number[];
  endMs: number;
}

async function watchRun(root: string, proc: CliProcess, started: number): Promise<Timeline> {
  const reachedMs: number[] = [];
  while (!proc.done) {
    const done = await succeededJobs(root);
    const at = performance.now() - started;
    // Polls can miss a count (two jobs ending within one poll): they were reached by now at the latest.
    if (done !== null) for (let k = reachedMs.length; k <= done; k++) reachedMs.push(at);
    await Promise.race([sleep(POLL_MS), proc.exited]);
  }
  const endMs = performance.now() - started;
  return { firstSaveMs: reachedMs[0] ?? endMs, reachedMs, endMs };
}

/**
 * Where the fraction `f` of the uninterrupted run falls: before the first save (a delay from the spawn),
 * or after k jobs had succeeded (a delay from when the queue shows them).
 */
function killPoint(timeline: Timeline, f: number): { afterJobs: number | null; delayMs: number } {
  const at = f * timeline.endMs;
  if (at < timeline.firstSaveMs) return { afterJobs: null, delayMs: Math.round(at) };
  let k = 0;
  while (k + 1 < timeline.reachedMs.length && timeline.reachedMs[k + 1]! <= at) k++;
  return { afterJobs: k, delayMs: Math.round(at - timeline.reachedMs[k]!) };
}

function isFinished(state: QueueState): boolean {
  return state.jobs.every((j) => j.state === "succeeded");
}

/** Where a kill can land, as the queue file tells it afterwards. */
const STAGE = {
  exited: "after the process had exited by itself",
  unsaved: "before the batch was saved",
  finished: "after the last save",
  takeRecorded: "with a chapter's take recorded, not yet (fully) applied",
  drafting: "while a chapter was being drafted (mid-stream)",
  outputRecorded: "with another job's output recorded, not yet (fully) applied",
  running: "while another job was running",
  between: "between jobs",
} as const;

/** Where in the batch a kill landed, for the coverage check and the summary. */
function stageOf(snap: Snapshot, killed: boolean): string {
  if (!killed) return STAGE.exited;
  const state = snap.state;
  if (!state) return STAGE.unsaved;
  if (isFinished(state)) return STAGE.finished;
  const running = state.jobs.filter((j) => j.state === "running");
  if (running.some((j) => j.kind === "write" && j.output && !j.output.applied)) return STAGE.takeRecorded;
  if (running.some((j) => j.kind === "write" && !j.output)) return STAGE.drafting;
  if (running.some((j) => j.output && !j.output.applied)) return STAGE.outputRecorded;
  if (running.length > 0) return STAGE.running;
  return STAGE.between;
}

function outputOf(job: Job): unknown {
  if (!job.output) return undefined;
  const { recordedAt, text, data } = job.output;
  return { recordedAt, text, data };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** What the trial did so far, for every assertion message: enough to replay it. */
function describeRun(steps: string[]): string {
  return steps.map((s) => `\n  ${s}`).join("");
}

// --- The invariants --------------------------------------------------------------------------------

/**
 * The batch is done and every chapter written once: each write job succeeded and recorded one take; the
 * chapter's body is exactly that take; one `ai-output` revision keeps it; nothing but the empty chapter
 * was ever saved as its `before-ai-write`; no alternative take was made; the timeline has one section per
 * chapter; the queue file parses, holds the expected jobs, all succeeded with their outputs applied.
 */
async function expectWrittenOnce(expect: ExpectStatic, root: string, state: QueueState, expectedJobs: string[], label: string): Promise<void> {
  expect(state.jobs.map((j) => j.id).sort(), `${label}: the batch's jobs`).toEqual(expectedJobs);
  for (const job of state.jobs) {
    expect(job.state, `${label}: ${job.id} (${job.error?.message ?? "no error"})`).toBe("succeeded");
    if (job.output) expect(job.output.applied, `${label}: ${job.id}'s output applied`).toBe(true);
  }

  const vault = new NodeVault(root);
  const book = await loadBook(vault, BOOK);
  expect(book.diagnostics.filter((d) => d.severity === "error"), `${label}: book errors`).toEqual([]);
  expect(book.chapters.map((c) => c.number), `${label}: one note per chapter`).toEqual(CHAPTERS);
  const files = (await vault.list(BOOK)).map((f) => f.path);
  expect(files.filter((p) => p.includes("(AI take")), `${label}: alternative takes`).toEqual([]);
  const revisions = new NoteRevisions(vault, BOOK);
  for (const chapter of book.chapters) {
    const n = chapter.number!;
    const job = state.jobs.find((j) => j.id === `write-${n}`)!;
    const recorded = (job.output?.data as { body?: string } | undefined)?.body;
    expect(typeof recorded, `${label}: write-${n} recorded a take`).toBe("string");
    expect(bodyOf(await vault.read(chapter.path)), `${label}: chapter ${n}'s body is its recorded take`).toBe(recorded);
    expect(chapter.status, `${label}: chapter ${n}'s status`).toBe("written");
    expect(chapter.meta?.words, `${label}: chapter ${n}'s word count`).toBe(chapter.words);
    const kept = await revisions.list(chapter.path);
    expect(kept.filter((r) => r.reason === "ai-output").map((r) => r.text), `${label}: chapter ${n}'s ai-output revisions`).toEqual([recorded]);
    const before = kept.filter((r) => r.reason === "before-ai-write").map((r) => bodyOf(r.text).trim());
    expect(before.filter((b) => b !== ""), `${label}: chapter ${n} had text before its take was written`).toEqual([]);
    expect(kept.filter((r) => r.reason === "alternative-take"), `${label}: chapter ${n}'s alternative takes`).toEqual([]);
  }
  const timeline = await vault.read(`${BOOK}/Timeline.md`);
  for (const n of CHAPTERS) expect(timeline.split(`|Chapter ${n}]]`).length - 1, `${label}: timeline sections of chapter ${n}`).toBe(1);
}

// --- Setup: one bundle, one server, one uninterrupted run per mode --------------------------------

interface Reference {
  mode: BatchMode;
  root: string;
  exit: CliExit;
  /** The uninterrupted run the kill points are fractions of. */
  timeline: Timeline;
}
const references = new Map<BatchMode, Reference>();
const trialRoots = new Set<string>();
const landed: { trial: number; kill: number; stage: string }[] = [];
/** Temp files killed processes left (queue saves in `.bookwright/`, note writes in the book) that outlived the final run. */
const leftovers: { trial: number; files: string[] }[] = [];

beforeAll(async () => {
  console.log(`generate kill test: seed ${SEED} (BOOKWRIGHT_CRASH_SEED=${SEED} replays these kill points)`);
  bundleDir = await mkdtemp(nodePath.join(os.tmpdir(), "bookwright-cli-"));
  cli = await bundleCli(bundleDir);
  server = await startFakeAnthropic({ latency: LATENCY, recordRequests: false });
  // Both modes side by side, as the trials run: the spans are measured under the load they will see.
  await Promise.all(
    MODES.map(async (mode) => {
      const { root, book } = await makeBook("bookwright-ref-");
      const started = performance.now();
      const proc = launch(generateArgs(book, { mode }));
      const timeline = await watchRun(root, proc, started);
      references.set(mode, { mode, root, exit: await proc.exited, timeline });
    }),
  );
  const show = (t: Timeline) => `first save ${Math.round(t.firstSaveMs)} ms, jobs done at ${t.reachedMs.slice(1).map(Math.round).join(" ")}, exit ${Math.round(t.endMs)} ms`;
  console.log(`uninterrupted runs:\n${MODES.map((m) => `  ${m}: ${show(references.get(m)!.timeline)}`).join("\n")}`);
}, 120_000);

afterAll(async () => {
  for (const proc of live) await proc.kill();
  await server?.close();
  const stages = new Map<string, number>();
  for (const { stage } of landed) stages.set(stage, (stages.get(stage) ?? 0) + 1);
  console.log(`generate kill test (seed ${SEED}): ${landed.length} kills:\n${[...stages].map(([s, n]) => `  ${String(n).padStart(3)} ${s}`).join("\n")}`);
  if (leftovers.length > 0) console.log(`temp files left by killed runs, still there after the final run:\n${leftovers.map((l) => `  trial ${l.trial}: ${l.files.join(", ")}`).join("\n")}`);
  // A trial removes its book when it passes; the books of failed ones go too, unless asked to keep them.
  const keep = process.env.BOOKWRIGHT_CRASH_KEEP ? [...trialRoots] : [];
  if (keep.length > 0) console.log(`kept the books of failed trials: ${keep.join(", ")}`);
  for (const dir of [bundleDir, ...[...references.values()].map((r) => r.root), ...trialRoots]) {
    if (dir && !keep.includes(dir)) await rm(dir, { recursive: true, force: true });
  }
});

/** The job ids of the mode's batch, as the uninterrupted run saved them. */
async function expectedJobs(mode: BatchMode): Promise<string[]> {
  const text = await readFile(nodePath.join(references.get(mode)!.root, BOOK, ".bookwright", "queue.json"), "utf8");
  return parseQueueState(text).jobs.map((j) => j.id).sort();
}

describe("bookwright generate, SIGKILLed at random points and restarted", () => {
  it.each(MODES)("an uninterrupted %s run writes every chapter once (the span the kills are spread over)", async (mode) => {
    const ref = references.get(mode)!;
    const label = `uninterrupted ${mode} run`;
    expect(ref.exit.code, `${label} exited with ${ref.exit.code ?? ref.exit.signal}:\n${tail(ref.exit.stderr)}`).toBe(0);
    const snap = await snapshot(ref.root);
    expect(snap.parseError, label).toBeUndefined();
    expect(snap.stray, `${label}: files beside the queue`).toEqual([]);
    const jobs = snap.state!.jobs.map((j) => j.id).sort();
    // Five jobs a chapter, plus a seam check per pair of chapters drafted side by side in plan-ahead.
    expect(jobs.length, label).toBe(mode === "plan-ahead" ? 17 : 15);
    await expectWrittenOnce(expect, ref.root, snap.state!, jobs, label);
  });

  it.concurrent.for(PLANS)("$title", { timeout: 180_000 }, async (plan, { expect }) => {
    await slot(async () => {
      const { root, book } = await makeBook(`bookwright-kill-${plan.index}-`);
      trialRoots.add(root);
      const timeline = references.get(plan.mode)!.timeline;
      const steps: string[] = [`seed ${SEED}, trial ${plan.index}, ${plan.mode}, uninterrupted run ${Math.round(timeline.endMs)} ms, book ${book}`];
      const label = () => `kill trial${describeRun(steps)}\n `;
      const snaps: Snapshot[] = [];

      let args = generateArgs(book, { mode: plan.mode });
      for (const [k, fraction] of plan.killAt.entries()) {
        // The first kill lands at its point of the batch; a second one at a delay into the restarted run.
        const point = k === 0 ? killPoint(timeline, fraction) : { afterJobs: null, delayMs: Math.round(fraction * timeline.endMs) };
        const proc = launch(args);
        if (point.afterJobs !== null) await waitForSucceeded(root, point.afterJobs, proc);
        await Promise.race([sleep(point.delayMs), proc.exited]);
        const when = `${point.delayMs} ms after ${point.afterJobs === null ? "the spawn" : `${point.afterJobs} jobs had succeeded`} (${fraction.toFixed(3)} of a run)`;
        const exit = await proc.kill();
        const snap = await snapshot(root);
        const stage = stageOf(snap, exit.killed);
        landed.push({ trial: plan.index, kill: k + 1, stage });
        steps.push(
          `run ${k + 1} (${args.includes("--chapters") ? "--chapters 1-3" : "resume"}): ${exit.killed ? `SIGKILL ${when}` : `exited ${exit.code} before the kill ${when}`}, ${stage}` +
            (snap.state ? `; jobs succeeded ${snap.state.jobs.filter((j) => j.state === "succeeded").length}/${snap.state.jobs.length}, running ${snap.state.jobs.filter((j) => j.state === "running").map((j) => j.id).join(" ") || "none"}` : ""),
        );
        if (!exit.killed) expect(exit.code === 0 || /nothing is left to resume/.test(exit.stderr), `${label()} a run that ended by itself failed:\n${tail(exit.stderr)}`).toBe(true);
        // The killed process never leaves a half-written queue file behind: it parses, or there is none yet.
        expect(snap.parseError, `${label()} queue file right after the kill`).toBeUndefined();
        if (!snap.state) {
          // The batch is saved before anything touches the book: no queue, no chapter.
          expect([...snap.bodies.keys()], `${label()} chapters written before the batch was saved`).toEqual([]);
        }
        snaps.push(snap);
        args = snap.state ? generateArgs(book, "resume") : generateArgs(book, { mode: plan.mode });
      }

      // The restart: resume what was saved (or start the batch, if the kill came before it was saved).
      const last = snaps.at(-1)!;
      const restarted = performance.now();
      const final = await launch(args).exited;
      const after = await snapshot(root);
      steps.push(`final run (${args.includes("--chapters") ? "--chapters 1-3" : "resume"}): exited ${final.code ?? final.signal} after ${Math.round(performance.now() - restarted)} ms`);
      if (last.state && isFinished(last.state)) {
        // Killed after the last save: there is nothing to resume, and the restart changes nothing.
        expect(final.code, `${label()} restart of a finished batch:\n${tail(final.stderr)}`).toBe(1);
        expect(final.stderr, label()).toMatch(/nothing is left to resume/);
        expect(after.queueText, `${label()} queue file changed by the restart of a finished batch`).toBe(last.queueText);
      } else {
        expect(final.code, `${label()} final run:\n${tail(final.stderr)}`).toBe(0);
      }
      expect(after.parseError, `${label()} final queue file`).toBeUndefined();
      const state = after.state!;
      await expectWrittenOnce(expect, root, state, await expectedJobs(plan.mode), label());

      // One batch from the first save to the end: every restart resumed it instead of starting another.
      for (const snap of snaps) if (snap.state) expect(snap.state.batchId, `${label()} batch id`).toBe(state.batchId);
      // Nothing paid for twice: an output recorded before a kill is the very one the batch ended with.
      for (const [k, snap] of snaps.entries()) {
        for (const job of snap.state?.jobs ?? []) {
          if (!job.output) continue;
          const ended = state.jobs.find((j) => j.id === job.id)!;
          expect(outputOf(ended), `${label()} ${job.id}'s output recorded before kill ${k + 1}`).toEqual(outputOf(job));
        }
        // No partial chapter, ever: right after each kill a chapter is empty or holds its whole final take.
        for (const [n, body] of snap.bodies) {
          const take = (state.jobs.find((j) => j.id === `write-${n}`)?.output?.data as { body?: string } | undefined)?.body;
          if (body !== "") expect(body, `${label()} chapter ${n} right after kill ${k + 1} (${body.length} characters)`).toBe(take);
        }
      }
      // The store: nothing corrupt was moved aside, and no temp file is left: the final run's load swept
      // those of the killed processes, and its own saves renamed theirs.
      expect(after.stray, `${label()} files beside the queue`).toEqual([]);
      const vaultTemps = (await readdir(book, { recursive: true })).filter((f) => f.endsWith(".bookwright-tmp"));
      if (after.stray.length > 0 || vaultTemps.length > 0) leftovers.push({ trial: plan.index, files: [...after.stray, ...vaultTemps] });

      await rm(root, { recursive: true, force: true });
      trialRoots.delete(root);
    });
  });

  it("the kills landed all over the batch: before its first save, mid-stream of a chapter, and elsewhere in it", () => {
    const stages = new Set(landed.map((l) => l.stage));
    const summary = `seed ${SEED}: ${landed.map((l) => `trial ${l.trial} kill ${l.kill}: ${l.stage}`).join("; ")}`;
    expect(stages.has(STAGE.unsaved), summary).toBe(true);
    expect(stages.has(STAGE.drafting), summary).toBe(true);
    const others: string[] = [STAGE.takeRecorded, STAGE.outputRecorded, STAGE.running, STAGE.between, STAGE.finished];
    expect(landed.some((l) => others.includes(l.stage)), summary).toBe(true);
  });
});
