/**
 * Companion benchmark: the real `bookwright companion` service, run as a child process (so the load
 * generator does not share its event loop) against a temporary vault holding one book note, the first
 * ~5,000 words of the corpus novel. autocannon drives it over loopback, 50 connections, 10 s a phase:
 *
 * 1. writes: `POST /api/v1/revisions` with the chapter after a couple of small edits, a different text
 *    and idempotency key on every request, so nothing is deduplicated away;
 * 2. list: `GET /api/v1/revisions?note=…&limit=20`;
 * 3. read: `GET /api/v1/revisions/<id>`, ids picked at random among the revisions the writes made.
 *
 * Each phase prints requests/s (average), p50 and p99 latency and the non-2xx count. These are absolute
 * numbers on a shared machine, for comparison between runs rather than against a target. Last comes
 * `revision-storage-ratio: X` from `measureRevisionStorage()`: the database's bytes on disk over 500
 * plain copies of the chapter after 500 small edits. Target: X ≤ 0.05. Then `series-index-rebuild-ms: X`:
 * one rebuild of the series index for the corpus trilogy on disk (3 books, 61 chapters), the median of 5.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import path from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import autocannon from "autocannon";
import { corpusChapter, measureRevisionStorage, seededRandom, smallEdit } from "../companion/revisions/storage-measure";
import { makeSeriesFixture, trilogyNotes } from "../companion/series/test-support";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workDir = path.join(repo, ".bench", "companion");
const NOTE = "Pride and Prejudice/Chapters/01 Chapter.md";
const CONNECTIONS = 50;
const PHASE_SECONDS = 10;
const LIST_LIMIT = 20;

/** A port that was free a moment ago: the OS picks one, and it is released for the companion to take. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A GET over loopback with exactly these headers (Host included), answering the status and the body. */
async function get(url: string, headers: OutgoingHttpHeaders): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls `GET /health` until the companion answers, or fails with what the child printed. */
async function waitForHealth(base: string, host: string, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the companion exited with code ${child.exitCode}:\n${output()}`);
    try {
      if ((await get(`${base}/api/v1/health`, { host })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`the companion did not answer /api/v1/health within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function report(name: string, result: autocannon.Result): void {
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([code, stats]) => `${code}×${stats.count ?? 0}`)
    .join(" ");
  console.log(
    `  ${name.padEnd(7)} ${result.requests.average.toFixed(0).padStart(6)} req/s | p50 ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms | ` +
      `${result.requests.total} requests, non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts} | ${codes}`,
  );
}

export async function runCompanionBench(): Promise<void> {
  if (!existsSync(path.join(repo, "dist", "cli.js"))) await run("node", ["esbuild.config.mjs", "production"], { cwd: repo });

  await rm(workDir, { recursive: true, force: true });
  const vault = path.join(workDir, "vault");
  const dataDir = path.join(workDir, "data");
  const configDir = path.join(workDir, "config");
  const chapter = corpusChapter(5000);
  await mkdir(path.join(vault, path.dirname(NOTE)), { recursive: true });
  await mkdir(dataDir, { recursive: true });
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(vault, NOTE), chapter);

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const base = `http://${host}`;
  let output = "";
  const child = spawn("node", [path.join(repo, "bin", "bookwright.mjs"), "companion", "--vault", vault, "--port", String(port)], {
    cwd: repo,
    env: { ...process.env, BOOKWRIGHT_DATA_DIR: dataDir, XDG_CONFIG_HOME: configDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Kept short: only there to explain a failed start.
  const collect = (chunk: Buffer): void => {
    output = `${output}${chunk.toString("utf8")}`.slice(-4000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  try {
    await waitForHealth(base, host, child, () => output);
    const token = (await readFile(path.join(configDir, "bookwright", "companion-token"), "utf8")).trim();
    const headers = { host, authorization: `Bearer ${token}`, "content-type": "application/json" };
    const words = chapter.match(/[A-Za-z]+/g) ?? ["word"];
    const random = seededRandom(1342);
    const runId = Date.now().toString(36);
    let sequence = 0;

    console.log(
      `companion: one note of ${words.length} words (${Buffer.byteLength(chapter, "utf8")} bytes), child process on ${host}, ` +
        `${CONNECTIONS} connections, ${PHASE_SECONDS} s a phase`,
    );

    // Writes: every body is the chapter with two fresh small edits and its own idempotency key.
    const writes = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: PHASE_SECONDS,
      headers,
      requests: [
        {
          method: "POST",
          path: "/api/v1/revisions",
          setupRequest: (request) => {
            sequence++;
            const text = smallEdit(smallEdit(chapter, random, words), random, words);
            return { ...request, body: JSON.stringify({ note: NOTE, text, idempotencyKey: `bench-${runId}-${sequence}` }) };
          },
        },
      ],
    });
    report("writes", writes);
    const created = writes.statusCodeStats?.["201"]?.count ?? 0;
    console.log(`          ${created} revisions created of ${writes.requests.total} writes`);

    // The ids to read: the newest revisions the writes made.
    const listUrl = `${base}/api/v1/revisions?note=${encodeURIComponent(NOTE)}&limit=500`;
    const listed = JSON.parse((await get(listUrl, headers)).body) as { revisions?: { id: string }[] };
    const ids = (listed.revisions ?? []).map((r) => r.id);
    if (ids.length === 0) throw new Error("the writes left no revisions to read");

    const list = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: PHASE_SECONDS,
      headers,
      requests: [{ method: "GET", path: `/api/v1/revisions?note=${encodeURIComponent(NOTE)}&limit=${LIST_LIMIT}` }],
    });
    report("list", list);

    const read = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: PHASE_SECONDS,
      headers,
      requests: [
        {
          method: "GET",
          setupRequest: (request) => ({ ...request, path: `/api/v1/revisions/${encodeURIComponent(ids[Math.floor(random() * ids.length)]!)}` }),
        },
      ],
    });
    report("read", read);
  } finally {
    await stop(child);
    await rm(workDir, { recursive: true, force: true });
  }

  console.log(`revision-storage-ratio: ${measureRevisionStorage().toFixed(4)}`);
  console.log(`series-index-rebuild-ms: ${(await measureSeriesIndexRebuild()).toFixed(1)}`);
}

/** Milliseconds one series index rebuild takes for the corpus trilogy on disk: the median of 5, after one to warm up. */
async function measureSeriesIndexRebuild(): Promise<number> {
  const fixture = await makeSeriesFixture(trilogyNotes());
  try {
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const start = performance.now();
      const outcome = await fixture.index.rebuild();
      if (!outcome.ok) throw new Error(`the series index rebuild failed: ${outcome.error}`);
      if (i > 0) times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  } finally {
    await fixture.cleanup();
  }
}
