import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildBatch } from "../../shared/queue/graph";
import type { JobStoreProblem } from "../../shared/queue/job-store";
import { recordOutput, serializeQueueState, start } from "../../shared/queue/jobs";
import { FileJobStore } from "./file-job-store";

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const state = buildBatch({ batchId: "b1", bookFolder: "Book", deviceId: "cli", chapters: [1, 2, 3], mode: "plan-ahead", now: NOW });

let dir: string;
let path: string;
let problems: JobStoreProblem[];
let store: FileJobStore;

beforeEach(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-queue-"));
  path = nodePath.join(dir, "state", "queue.json");
  problems = [];
  store = new FileJobStore(path, { onProblem: (p) => problems.push(p), now: () => NOW });
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("FileJobStore", () => {
  it("sweeps the temp files of processes killed mid-save, and leaves those of live processes", async () => {
    await store.save(state);
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const folder = nodePath.dirname(path);
    await fs.writeFile(`${path}.${dead}.0f0f.tmp`, "{ half a sa");
    await fs.writeFile(`${path}.${process.pid}.1e1e.tmp`, "a save of this process");
    await fs.writeFile(nodePath.join(folder, "notes.tmp"), "not ours");
    expect(await store.load()).toEqual(state);
    expect((await fs.readdir(folder)).sort()).toEqual(["notes.tmp", "queue.json", `queue.json.${process.pid}.1e1e.tmp`]);
  });

  it("returns null when there is no file, and round-trips a state", async () => {
    expect(await store.load()).toBeNull();
    await store.save(state);
    expect(await fs.readFile(path, "utf8")).toBe(serializeQueueState(state));
    expect(await store.load()).toEqual(state);
    expect(await store.load("b1")).toEqual(state);
    expect(await store.load("b2")).toBeNull();
  });

  it("leaves no temp files behind and keeps the last of concurrent saves", async () => {
    const states = [state, start(state, "brief-1", NOW), start(start(state, "brief-1", NOW), "brief-2", NOW)];
    await Promise.all(states.map((s) => store.save(s)));
    expect(await fs.readdir(nodePath.dirname(path))).toEqual(["queue.json"]);
    expect(await store.load()).toEqual(states[2]);
  });

  it("after a crash mid-save, ignores the leftover temp file and loads the last complete state", async () => {
    const complete = recordOutput(start(state, "brief-1", NOW), "brief-1", { recordedAt: NOW, text: "the brief" });
    await store.save(complete);
    // A crash between writing the temp file and renaming it: the temp file is half-written.
    const newer = serializeQueueState(start(complete, "brief-2", NOW));
    await fs.writeFile(`${path}.0b7c.tmp`, newer.slice(0, newer.length / 2));
    const reopened = new FileJobStore(path, { onProblem: (p) => problems.push(p) });
    expect(await reopened.load()).toEqual(complete);
    expect(problems).toEqual([]);
    // The next save still lands atomically.
    await reopened.save(state);
    expect(await reopened.load()).toEqual(state);
  });

  it.each([
    ["corrupt JSON", "{\"version\": 1,", /not valid JSON/],
    ["an unknown version", JSON.stringify({ ...state, version: 99 }), /unknown queue format version 99/],
  ])("moves a file with %s aside and reports it", async (_what, text, reason) => {
    await fs.mkdir(nodePath.dirname(path), { recursive: true });
    await fs.writeFile(path, text);
    expect(await store.load()).toBeNull();
    const aside = nodePath.join(dir, "state", "queue.corrupt-2026-01-02T03-04-05-006Z.json");
    expect(await fs.readFile(aside, "utf8")).toBe(text);
    await expect(fs.access(path)).rejects.toThrow();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path, movedTo: aside });
    expect(problems[0]!.message).toContain(path);
    expect(problems[0]!.message).toMatch(reason);
    // A second corrupt file gets its own name.
    await fs.writeFile(path, "again");
    await store.load();
    expect(await fs.readFile(aside.replace(/\.json$/, "-1.json"), "utf8")).toBe("again");
  });
});
