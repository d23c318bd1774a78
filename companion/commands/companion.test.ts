import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerCompanionCommand, startCompanion, type RunningCompanion } from "./companion";

describe("bookwright companion", () => {
  let temp: string;
  let vault: string;
  let running: RunningCompanion | null = null;
  const saved = { data: process.env.BOOKWRIGHT_DATA_DIR, config: process.env.XDG_CONFIG_HOME };

  beforeEach(async () => {
    temp = await mkdtemp(path.join(os.tmpdir(), "bookwright-companion-"));
    vault = path.join(temp, "Vault");
    await mkdir(path.join(vault, "Tides", "Chapters"), { recursive: true });
    await writeFile(path.join(vault, "Tides", "Chapters", "01 Storm.md"), "The storm came.\n");
    process.env.BOOKWRIGHT_DATA_DIR = path.join(temp, "data");
    process.env.XDG_CONFIG_HOME = path.join(temp, "config");
  });
  afterEach(async () => {
    await running?.close();
    running = null;
    process.env.BOOKWRIGHT_DATA_DIR = saved.data;
    process.env.XDG_CONFIG_HOME = saved.config;
    await rm(temp, { recursive: true, force: true });
  });

  /** One request over a real socket, as the plugin makes it. */
  function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; json(): Promise<unknown> }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: () => Promise.resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown) }));
      });
      req.on("error", reject);
      req.end(options.body);
    });
  }

  const api = (r: RunningCompanion, route: string, init: { method?: string; body?: string } = {}) =>
    call(`${r.server.url}${route}`, { ...init, headers: { authorization: `Bearer ${r.token}`, ...(init.body ? { "content-type": "application/json" } : {}) } });

  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await read();
      if (done(value)) return value;
      await sleep(50);
    }
    throw new Error("gave up waiting");
  }

  it("keeps revisions from the plugin and from the watcher, restores one, and keeps them across a restart", async () => {
    running = await startCompanion({ vault, port: 0, debounceMs: 150 });
    expect(running.databaseFile.startsWith(path.join(temp, "data"))).toBe(true);
    expect(running.tokenFile).toBe(path.join(temp, "config", "bookwright", "companion-token"));
    expect((await stat(running.tokenFile)).mode & 0o777).toBe(0o600);
    const health = await (await call(`${running.server.url}/health`)).json();
    expect(health).toEqual({ ok: true, version: "0.1.0", vaultPath: vault });

    const note = "Tides/Chapters/01 Storm.md";
    const captured = await api(running, "/revisions", { method: "POST", body: JSON.stringify({ note, label: "before AI write" }) });
    expect(captured.status).toBe(201);
    const first = ((await captured.json()) as { revision: { id: string } }).revision.id;

    await writeFile(path.join(vault, note), "The storm came at night.\n");
    const list = async () => ((await (await api(running!, `/revisions?note=${encodeURIComponent(note)}`)).json()) as { revisions: { id: string; source: string }[] }).revisions;
    const afterEdit = await until(list, (r) => r.length === 2);
    expect(afterEdit.map((r) => r.source)).toEqual(["watcher", "plugin"]);

    const restored = await api(running, `/revisions/${first}/restore`, { method: "POST", body: "{}" });
    expect(restored.status).toBe(200);
    expect(await readFile(path.join(vault, note), "utf8")).toBe("The storm came.\n");

    await running.close();
    running = await startCompanion({ vault, port: 0, debounceMs: 150 });
    const again = await list();
    expect(again[0]!.source).toBe("restore");
    expect(again.map((r) => r.id)).toContain(first);
  }, 30_000);

  it("runs export jobs, keeping their files beside the database and out of the vault", async () => {
    await writeFile(path.join(vault, "Tides", "Book.md"), "---\nbookwright: book\ntitle: Tides\n---\n");
    await writeFile(path.join(vault, "Tides", "Chapters", "01 Storm.md"), "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.\n");
    running = await startCompanion({ vault, port: 0 });
    const id = path.basename(running.databaseFile, ".sqlite");
    expect(running.exportsFolder).toBe(path.join(temp, "data", "exports", id));
    const started = await api(running, "/exports", { method: "POST", body: JSON.stringify({ book: "Tides", format: "md" }) });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string };
    const done = await until(
      async () => (await (await api(running!, `/exports/${job.id}`)).json()) as { state: string; result?: { fileName: string } },
      (j) => j.state !== "queued" && j.state !== "running",
    );
    expect(done).toMatchObject({ state: "succeeded", result: { fileName: "Tides (md).md" } });
    expect(await readFile(path.join(running.exportsFolder, `${job.id}.md`), "utf8")).toBe("# Tides\n\n## Storm\n\nThe storm came.\n");
    await expect(stat(path.join(vault, "Tides", "Exports"))).rejects.toThrow();
    // Kept across a restart, with its file; removed once past a retention period of zero.
    await running.close();
    running = await startCompanion({ vault, port: 0 });
    expect((await api(running, `/exports/${job.id}`)).status).toBe(200);
    await running.close();
    running = await startCompanion({ vault, port: 0, exportRetentionMs: 0 });
    expect((await api(running, `/exports/${job.id}`)).status).toBe(404);
    await expect(stat(path.join(running.exportsFolder, `${job.id}.md`))).rejects.toThrow();
  }, 30_000);

  it("backs the database up through SQLite's backup API, and refuses a vault that is not there", async () => {
    running = await startCompanion({ vault, port: 0 });
    await api(running, "/revisions", { method: "POST", body: JSON.stringify({ note: "Tides/Chapters/01 Storm.md" }) });
    const out: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((t: string) => void out.push(t));
    try {
      const program = new Command("bookwright").exitOverride();
      registerCompanionCommand(program);
      const target = path.join(temp, "backup.sqlite");
      await program.parseAsync(["companion", "backup", target, "--vault", vault], { from: "user" });
      expect(out).toEqual([target]);
      const copy = new Database(target, { readonly: true });
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((copy.prepare("select count(*) as n from revisions").get() as { n: number }).n).toBe(1);
      copy.close();
    } finally {
      log.mockRestore();
    }
    await expect(startCompanion({ vault: path.join(temp, "Nope"), port: 0 })).rejects.toThrow(`--vault ${path.join(temp, "Nope")}: no such folder`);
  }, 30_000);

  it("keeps the series index: built at start, rebuilt when the watcher sees a chapter change, kept across a restart", async () => {
    await mkdir(path.join(vault, "Saga", "One"), { recursive: true });
    await writeFile(path.join(vault, "Saga", "Series.md"), "---\nbookwright: series\ntitle: Saga\n---\n");
    await writeFile(path.join(vault, "Saga", "One", "Book.md"), '---\nbookwright: book\ntitle: One\nseries: "[[Series]]"\nseries_order: 1\n---\n');
    await writeFile(path.join(vault, "Saga", "One", "01.md"), "---\nbookwright: chapter\nchapter: 1\ntitle: Harbour\nstatus: written\n---\nThe ship left.\n");
    running = await startCompanion({ vault, port: 0, debounceMs: 50 });
    await running.series.idle();
    type List = { series: { id: string; title: string; folder: string; books: number; words: number }[]; indexedAt: string | null };
    const list = async (r: RunningCompanion): Promise<List> => (await (await api(r, "/series")).json()) as List;
    const first = await list(running);
    expect(first.series).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown, title: "Saga", folder: "Saga", books: 1, words: 3 }]);
    const id = first.series[0]!.id;

    // Edited by another editor: the watcher reports it and the index follows (waiting on rebuilds, not a clock).
    await writeFile(path.join(vault, "Saga", "One", "01.md"), "---\nbookwright: chapter\nchapter: 1\ntitle: Harbour\nstatus: written\n---\nThe ship left the harbour at dawn.\n");
    const words = (): number | undefined => running!.series.store.list()[0]?.words;
    while (words() !== 7) expect(await running.series.nextRebuild()).toMatchObject({ ok: true });
    const edited = await list(running);
    expect(edited.series).toEqual([{ ...first.series[0], words: 7 }]);
    const detail = (await (await api(running, `/series/${id}`)).json()) as { books: { title: string; words: number }[] };
    expect(detail.books.map((b) => [b.title, b.words])).toEqual([["One", 7]]);

    await running.close();
    running = await startCompanion({ vault, port: 0, debounceMs: 50 });
    expect((await list(running)).series).toEqual(edited.series);
    await running.series.idle();
  }, 30_000);
});
