/**
 * Crash test of the revision store: a real process (crash-worker.ts, bundled) captures and prunes
 * revisions in a loop against one database file and is SIGKILLed at random moments, trial after trial on
 * the same file. After every kill the file must pass `integrity_check` and every revision the worker had
 * acknowledged (printed after `capture` returned) must be there and rebuild to the SHA-256 it printed —
 * unless a prune the worker had started was allowed to drop it (older than the day kept whole, and a later
 * revision of the same note and UTC day still there). Blob chains must be whole: no dangling base, no
 * blob without a revision.
 *
 * Kill points come from a seeded generator; the seed is in every assertion message, and
 * `BOOKWRIGHT_CRASH_SEED=<seed>` replays the same kill points (the process's own timing still varies).
 * Some kills land while the worker is still opening (and, in the first trial, migrating) the file.
 * Nothing asserts on time.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import * as nodePath from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli } from "../../test/cli-process";
import { openDatabase } from "../db/database";
import { seededRandom } from "./storage-measure";
import { SqliteRevisionStore } from "./sqlite-revision-store";

const TRIALS = 30;
const DAY = 86_400_000;
const SEED = process.env.BOOKWRIGHT_CRASH_SEED !== undefined ? Number(process.env.BOOKWRIGHT_CRASH_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;

interface Ack {
  id: string;
  sha: string;
  note: string;
  at: number;
  trial: number;
}

let folder: string;
let worker: string;

beforeAll(async () => {
  folder = mkdtempSync(nodePath.join(os.tmpdir(), "bookwright-revision-crash-"));
  worker = nodePath.join(folder, "crash-worker.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./crash-worker.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
    outfile: worker,
  });
  // Node resolves better-sqlite3 from the bundle's folder upwards.
  symlinkSync(fileURLToPath(new URL("../../node_modules", import.meta.url)), nodePath.join(folder, "node_modules"), "dir");
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("revision store under kill -9", () => {
  it(`keeps every acknowledged revision through ${TRIALS} kills (seed ${SEED})`, async () => {
    console.log(`revision crash test seed: ${SEED} (BOOKWRIGHT_CRASH_SEED=${SEED} replays it)`);
    const random = seededRandom(SEED);
    const file = nodePath.join(folder, "vault.sqlite");
    const acks = new Map<string, Ack>();
    /** `now` of every prune a worker started: any of them may have committed. */
    const prunes: number[] = [];
    let killedWhileCapturing = 0;
    let prunedAcks = 0;

    for (let trial = 0; trial < TRIALS; trial++) {
      const duringOpen = random() < 0.2;
      const delayMs = Math.floor(random() * (duringOpen ? 250 : 150));
      const context = `seed ${SEED}, trial ${trial}, ${duringOpen ? "during open" : "after ready"} + ${delayMs} ms`;
      const run = startCli(worker, [file, String((SEED + trial * 7919) >>> 0)], { env: { ...process.env } });
      let ready = false;
      let buffered = "";
      const lines: string[] = [];
      run.child.stdout?.on("data", (chunk: string) => {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const line of parts) {
          if (line === "ready") ready = true;
          lines.push(line);
        }
      });
      if (!duringOpen) {
        while (!ready && !run.done) await sleep(5);
      }
      await sleep(delayMs);
      const exit = await run.kill();
      expect(exit.killed, `${context}: the worker ended before the kill: ${exit.stderr}`).toBe(true);

      let capturedThisTrial = 0;
      for (const line of lines) {
        const [kind, ...rest] = line.split(" ");
        if (kind === "ack") {
          // Note paths hold spaces: the note is everything between the hash and the time.
          const [id, sha] = rest as [string, string];
          acks.set(id, { id, sha, note: rest.slice(2, -1).join(" "), at: Number(rest[rest.length - 1]), trial });
          capturedThisTrial++;
        } else if (kind === "prune") {
          prunes.push(Number(rest[0]));
        }
      }
      if (capturedThisTrial > 0) killedWhileCapturing++;
      prunedAcks = verify(file, acks, prunes, context);
    }
    // The kills must have hit a worker at work, not only while it was starting.
    expect(killedWhileCapturing, `seed ${SEED}`).toBeGreaterThanOrEqual(TRIALS / 3);
    expect(acks.size, `seed ${SEED}`).toBeGreaterThan(30);
    // Prunes ran between the kills and dropped some of what had been acknowledged.
    expect(prunes.length, `seed ${SEED}`).toBeGreaterThan(0);
    expect(prunedAcks, `seed ${SEED}`).toBeGreaterThan(0);
    console.log(`revision crash test: ${acks.size} acknowledged, ${prunedAcks} of them pruned by ${prunes.length} prunes, ${killedWhileCapturing} kills mid-capture`);
  });
});

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Checks the file after a kill; returns how many acknowledged revisions a prune had (rightly) dropped. */
function verify(file: string, acks: ReadonlyMap<string, Ack>, prunes: readonly number[], context: string): number {
  // openDatabase runs integrity_check and throws on any problem; check it here too, to say so plainly.
  const db = openDatabase(file);
  try {
    expect(db.pragma("integrity_check", { simple: true }), context).toBe("ok");
    expect(db.pragma("foreign_key_check"), `${context}: dangling references`).toEqual([]);
    const orphans = db.prepare("SELECT count(*) FROM revision_blobs b WHERE NOT EXISTS (SELECT 1 FROM revisions r WHERE r.blob = b.id)").pluck().get();
    expect(orphans, `${context}: blobs without a revision`).toBe(0);
    const store = new SqliteRevisionStore(db, { keyframeInterval: 8 });
    const present = new Map(store.notes().map((note) => [note, store.list(note)]));
    // Everything still there rebuilds (get checks each text against its blob's SHA-256).
    const shas = new Map<string, string>();
    for (const revisions of present.values()) for (const r of revisions) shas.set(r.id, sha256(store.get(r.id)!.text));
    const latestPrune = Math.max(-Infinity, ...prunes);
    let pruned = 0;
    for (const ack of acks.values()) {
      const sha = shas.get(ack.id);
      if (sha !== undefined) {
        expect(sha, `${context}: revision ${ack.id} (trial ${ack.trial}) rebuilt to other text`).toBe(ack.sha);
        continue;
      }
      pruned++;
      // Gone: only a prune may have taken it, and only if a later revision of that note and day stayed.
      const pruneable = ack.at < latestPrune - DAY;
      const day = Math.floor(ack.at / DAY);
      const laterSameDay = (present.get(ack.note) ?? []).some((r) => {
        const at = Date.parse(r.createdAt);
        return r.id !== ack.id && Math.floor(at / DAY) === day && at >= ack.at;
      });
      expect({ id: ack.id, pruneable, laterSameDay }, `${context}: acknowledged revision missing`).toEqual({ id: ack.id, pruneable: true, laterSameDay: true });
    }
    return pruned;
  } finally {
    db.close();
  }
}
