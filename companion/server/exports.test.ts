/**
 * Export jobs through the API: the routes with inject(), the worker threads for real (from TypeScript
 * source through tsx), the queue's SQLite records, retention with an injected clock, and the events.
 * A job that must certainly be running while the test acts is held at its packing stage (`hold`), where
 * its worker thread blocks as a long export would keep it busy.
 */
import * as fs from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as nodePath from "node:path";
import { unzipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import { ExportJobEvent, type ExportJob, type ListExportsResponse } from "../../shared/companion-api/api";
import { exportBook } from "../../shared/export/export-book";
import { openDatabase, type SqliteDatabase } from "../db/database";
import { ExportJobStore } from "../export/export-job-store";
import { INTERRUPTED_MESSAGE } from "../export/export-jobs";
import { NodeVault } from "../vault/node-vault";
import { buildApp, type BuildAppOptions, type CompanionApp } from "./app";
import { MemoryRevisionStore } from "./memory-revision-store";
import { call, HOST, makeFixture, TOKEN, type Fixture } from "./test-support";

const BOOK = "Tides";
const NOTES: Record<string, string> = {
  "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\nauthor: Ada Marsh\n---\n",
  "Tides/Chapters/01 Storm.md": '---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came at dawn. "Hold on," she said.\n',
  "Tides/Chapters/02 Calm.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nThen the sea lay still.\n",
  "Notes/Loose.md": "Not a book.\n",
};

let f: Fixture | null = null;
const opened: { app: CompanionApp; db: SqliteDatabase }[] = [];
let temp: string | null = null;

afterEach(async () => {
  const apps = opened.splice(0);
  for (const { app } of apps) await app.close();
  for (const { db } of apps) if (db.open) db.close();
  await f?.cleanup();
  f = null;
  if (temp) await fs.rm(temp, { recursive: true, force: true });
  temp = null;
});

async function fixture(overrides: Partial<BuildAppOptions> = {}): Promise<Fixture> {
  f = await makeFixture(overrides);
  for (const [path, text] of Object.entries(NOTES)) await f.vault.write(path, text);
  return f;
}

/** A hold for the workers: they block at packing until released. */
function hold(): { gate: Int32Array; release(): void } {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  return {
    gate,
    release: () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
  };
}

async function start(app: CompanionApp, body: Record<string, unknown>): Promise<ExportJob> {
  const response = await call(app, { method: "POST", url: "/api/v1/exports", payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<ExportJob>();
}

/** Resolves once a job has reached `stage` (or is past running). */
function reached(app: CompanionApp, id: string, stage: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (job: ExportJob | null): boolean => job !== null && job.id === id && (job.progress.stage === stage || (job.state !== "queued" && job.state !== "running"));
    if (check(app.exportJobs!.get(id))) return resolve();
    const stop = app.exportEvents.subscribe((event) => {
      if (event.type !== "removed" && check(event.job)) {
        stop();
        resolve();
      }
    });
  });
}

const settled = (app: CompanionApp, id: string): Promise<ExportJob> => app.exportJobs!.settled(id);

describe("POST /exports", () => {
  it("queues a job (202), runs it in a worker and keeps the file outside the vault", async () => {
    const { app, exportsFolder, vault } = await fixture();
    const job = await start(app, { book: BOOK, format: "txt" });
    expect(job).toMatchObject({ book: BOOK, format: "txt" });
    expect(["queued", "running"]).toContain(job.state);
    expect(job.id).toMatch(/^exp_[A-Za-z0-9_-]+$/);
    expect(new Date(job.createdAt).toISOString()).toBe(job.createdAt);

    const done = await settled(app, job.id);
    expect(done).toMatchObject({
      state: "succeeded",
      progress: { stage: "done", done: 2, total: 2 },
      result: { fileName: "Tides (txt).txt", title: "Tides", chapters: 2, words: 14, warnings: [] },
    });
    expect(done.startedAt! >= done.createdAt).toBe(true);
    expect(done.finishedAt! >= done.startedAt!).toBe(true);
    expect((await call(app, { url: `/api/v1/exports/${job.id}` })).json()).toEqual(done);
    // Nothing was written into the vault; the file is in the exports folder, complete.
    expect(await vault.exists("Tides/Exports")).toBe(false);
    const files = await fs.readdir(exportsFolder);
    expect(files).toEqual([`${job.id}.txt`]);
    expect((await fs.stat(nodePath.join(exportsFolder, files[0]!))).size).toBe(done.result!.bytes);
  });

  it("downloads exactly what an export in the vault holds, named after the book", async () => {
    const { app, vault } = await fixture();
    const job = await start(app, { book: BOOK, format: "txt", options: { chapters: [2, 1], smartTypography: false } });
    expect((await settled(app, job.id)).state).toBe("succeeded");
    const download = await call(app, { url: `/api/v1/exports/${job.id}/download` });
    expect(download.statusCode).toBe(200);
    expect(download.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(download.headers["content-disposition"]).toBe(`attachment; filename="Tides (txt).txt"; filename*=UTF-8''Tides%20%28txt%29.txt`);
    expect(download.headers["x-content-type-options"]).toBe("nosniff");
    const inProcess = await exportBook(vault, BOOK, { format: "txt", chapters: [2, 1], smartTypography: false });
    expect(download.body).toBe(await vault.read(inProcess.path));
    expect(download.body).toContain('"Hold on,"');
  });

  it("exports an EPUB whose download is a valid e-book, under a name made from the title", async () => {
    const { app, vault } = await fixture();
    await vault.write("Tides/Book.md", '---\nbookwright: book\ntitle: "Tidès: the \\"storm\\""\n---\n');
    const job = await start(app, { book: BOOK, format: "epub", options: { description: "A sea story.", cover: null } });
    const done = await settled(app, job.id);
    expect(done.state, done.error).toBe("succeeded");
    expect(done.result!.fileName).toBe("Tidès the storm (epub).epub");
    const download = await call(app, { url: `/api/v1/exports/${job.id}/download` });
    expect(download.headers["content-type"]).toBe("application/epub+zip");
    expect(download.headers["content-disposition"]).toBe(`attachment; filename="Tid_s the storm (epub).epub"; filename*=UTF-8''Tid%C3%A8s%20the%20storm%20%28epub%29.epub`);
    const bytes = download.rawPayload;
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    expect(bytes.length).toBe(done.result!.bytes);
    const files = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(files)[0]).toBe("mimetype");
    expect(new TextDecoder().decode(files.mimetype)).toBe("application/epub+zip");
    expect(new TextDecoder().decode(files["OEBPS/content.opf"])).toContain("<dc:description>A sea story.</dc:description>");
  });

  it("exports a print PDF with the default fonts", async () => {
    const { app } = await fixture();
    const job = await start(app, { book: BOOK, format: "pdf", options: { trim: "5x8", fontSizePt: 11, titlePage: false, toc: false } });
    const done = await settled(app, job.id);
    expect(done.state, done.error).toBe("succeeded");
    const download = await call(app, { url: `/api/v1/exports/${job.id}/download` });
    expect(download.headers["content-type"]).toBe("application/pdf");
    expect(download.rawPayload.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });

  it.each([
    [{ book: BOOK, format: "txt", extra: 1 }, "body", "unknown field 'extra'"],
    [{ book: BOOK, format: "txt", options: { chapter: [1] } }, "body.options", "unknown field 'chapter'"],
    [{ book: BOOK, format: "rtf" }, "body.format", "format must be one of docx, manuscript, pdf, epub, txt, md"],
    [{ format: "txt" }, "body.book", "book is required"],
    [{ book: 7, format: "txt" }, "body.book", "book must be a string (a vault-relative path)"],
    [{ book: "../Tides", format: "txt" }, "body.book", "book path must stay inside the vault (no '..' segments)"],
    [{ book: "Tides/../../etc", format: "txt" }, "body.book", "book path must stay inside the vault (no '..' segments)"],
    [{ book: "/etc", format: "txt" }, "body.book", "book path must be vault-relative, not absolute"],
    [{ book: "C:\\Users", format: "txt" }, "body.book", "book path must be vault-relative, not absolute"],
    [{ book: ".trash", format: "txt" }, "body.book", "book path must not be in a hidden folder or name a hidden file"],
    [{ book: "", format: "txt" }, "body.book", "book path must not be empty"],
    [{ book: ".", format: "txt" }, "body.book", "book path must name a folder, not the vault folder"],
    [{ book: "Tides\u0000", format: "txt" }, "body.book", "book path must not contain NUL"],
    [{ book: BOOK, format: "epub", options: { cover: "../secret.jpg" } }, "body.options.cover", "cover path must stay inside the vault (no '..' segments)"],
    [{ book: BOOK, format: "pdf", options: { fontFolder: "/usr/share/fonts" } }, "body.options.fontFolder", "fontFolder path must be vault-relative, not absolute"],
    [{ book: BOOK, format: "pdf", options: { fontSizePt: 40 } }, "body.options.fontSizePt", "fontSizePt must be at most 16"],
    [{ book: BOOK, format: "pdf", options: { trim: "8x10" } }, "body.options.trim", "trim must be one of 5x8, 5.25x8, 5.5x8.5, 6x9"],
    [{ book: BOOK, format: "txt", options: { chapters: "1-3" } }, "body.options.chapters", 'chapters must be "all" or a list of chapter numbers'],
    [{ book: BOOK, format: "txt", options: { chapters: [0] } }, "body.options.chapters.0", "chapter numbers start at 1"],
  ])("refuses %j with 400 naming %s", async (body, field, message) => {
    const { app } = await fixture();
    const response = await call(app, { method: "POST", url: "/api/v1/exports", payload: body });
    expect(response.statusCode).toBe(400);
    const error = response.json<{ error: string; field: string }>();
    expect(error.field).toBe(field);
    expect(error.error).toContain(message);
    expect(app.exportJobs!.list()).toEqual([]);
  });

  it.each([
    ["Nowhere", "book not found: there is no folder 'Nowhere' in the vault"],
    ["Notes", "book not found: 'Notes' holds no note with 'bookwright: book' or 'bookwright: series' (or a Longform index)"],
    ["Tides/Chapters", "book not found: 'Tides/Chapters' holds no note with 'bookwright: book' or 'bookwright: series' (or a Longform index)"],
    ["Tides/Book.md", "book not found: 'Tides/Book.md' is a file; give the book's folder"],
  ])("refuses the book %s with 404", async (book, message) => {
    const { app } = await fixture();
    const response = await call(app, { method: "POST", url: "/api/v1/exports", payload: { book, format: "txt" } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: message, field: "body.book" });
  });

  it("takes a Longform project's folder as a book", async () => {
    const { app, vault } = await fixture();
    await vault.write("Saga/Index.md", "---\nlongform:\n  format: scenes\n  title: Saga\n  scenes:\n    - One\n---\n");
    await vault.write("Saga/One.md", "Once.\n");
    const job = await start(app, { book: "Saga", format: "md" });
    expect((await settled(app, job.id)).state).toBe("succeeded");
  });

  it("takes a series folder and exports the omnibus, a part per book", async () => {
    const { app, vault } = await fixture();
    await vault.write("Sea/Series.md", "---\nbookwright: series\ntitle: Sea\nbooks: [\"[[Sea/One/Book]]\", \"[[Sea/Two/Book]]\"]\n---\n");
    await vault.write("Sea/One/Book.md", "---\nbookwright: book\ntitle: Ebb\n---\n");
    await vault.write("Sea/One/c1.md", "---\nbookwright: chapter\nchapter: 1\ntitle: Low water\n---\nThe tide went out.\n");
    await vault.write("Sea/Two/Book.md", "---\nbookwright: book\ntitle: Flood\n---\n");
    await vault.write("Sea/Two/c1.md", "---\nbookwright: chapter\nchapter: 1\ntitle: High water\n---\nThe tide came in.\n");
    const job = await start(app, { book: "Sea", format: "md" });
    const done = await settled(app, job.id);
    expect(done).toMatchObject({ state: "succeeded", result: { fileName: "Sea (md).md", title: "Sea", chapters: 2 } });
    const body = (await call(app, { url: `/api/v1/exports/${job.id}/download` })).body;
    expect(body.indexOf("Ebb")).toBeLessThan(body.indexOf("Flood"));
    expect(body).toContain("The tide went out.");
    expect(body).toContain("The tide came in.");
  });

  it("fails a job the exporter refuses, with the exporter's words, and leaves no file", async () => {
    const { app, exportsFolder } = await fixture();
    const job = await start(app, { book: BOOK, format: "docx", options: { chapters: [9] } });
    const done = await settled(app, job.id);
    expect(done).toMatchObject({ state: "failed", error: "Tides has no chapter 9; it has chapters 1–2" });
    expect(done.result).toBeUndefined();
    expect(await fs.readdir(exportsFolder)).toEqual([]);
    const download = await call(app, { url: `/api/v1/exports/${job.id}/download` });
    expect(download.statusCode).toBe(409);
    expect(download.json()).toEqual({ error: "the export is failed; only a succeeded export can be downloaded", field: "params.id" });
  });
});

describe("GET /exports", () => {
  it("lists the history newest first, with each file's size and chapters", async () => {
    const { app } = await fixture();
    const first = await start(app, { book: BOOK, format: "txt" });
    const second = await start(app, { book: BOOK, format: "md", options: { chapters: [1] } });
    await settled(app, first.id);
    await settled(app, second.id);
    const list = (await call(app, { url: "/api/v1/exports" })).json<ListExportsResponse>();
    expect(list.exports.map((j) => [j.id, j.state, j.result?.chapters, j.result?.fileName])).toEqual([
      [second.id, "succeeded", 1, "Tides (md).md"],
      [first.id, "succeeded", 2, "Tides (txt).txt"],
    ]);
    for (const job of list.exports) expect(job.result!.bytes).toBeGreaterThan(0);
  });

  it("answers 404 for an unknown id and 400 for one that is not an id", async () => {
    const { app } = await fixture();
    for (const url of ["/api/v1/exports/exp_nothing", "/api/v1/exports/exp_nothing/download"]) {
      const response = await call(app, { url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: "export not found", field: "params.id" });
    }
    expect((await call(app, { method: "DELETE", url: "/api/v1/exports/exp_nothing", payload: {} })).statusCode).toBe(404);
    for (const id of ["..%2F..%2Fsecret.md", "a.b", "x%00", "%2e%2e%5c"]) {
      const response = await call(app, { url: `/api/v1/exports/${id}` });
      expect(response.statusCode, id).toBe(400);
      expect(response.json<{ field: string }>().field).toBe("params.id");
    }
    // `..` itself is resolved by the router before any route sees it: no route, no job.
    expect((await call(app, { url: "/api/v1/exports/%2e%2e" })).statusCode).toBe(404);
  });
});

describe("the queue", () => {
  it("keeps GET /health answering while a worker is busy exporting", async () => {
    const h = hold();
    const { app: held } = await heldFixture(h.gate);
    const job = await start(held, { book: BOOK, format: "epub" });
    await reached(held, job.id, "packing");
    // The worker thread is blocked now; the API still answers, and the job is still running after.
    const health = await held.inject({ url: "/api/v1/health", headers: { host: HOST } });
    expect(health.statusCode).toBe(200);
    expect(held.exportJobs!.get(job.id)!.state).toBe("running");
    const list = await call(held, { url: "/api/v1/exports" });
    expect(list.json<ListExportsResponse>().exports[0]).toMatchObject({ id: job.id, state: "running", progress: { stage: "packing", done: 2, total: 2 } });
    const early = await call(held, { url: `/api/v1/exports/${job.id}/download` });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({ error: "the export is running; only a succeeded export can be downloaded", field: "params.id" });
    h.release();
    expect((await settled(held, job.id)).state).toBe("succeeded");
  });

  it("runs one job at a time, in order, and cancels a queued one without running it", async () => {
    const h = hold();
    const { app, exportsFolder } = await heldFixture(h.gate);
    const first = await start(app, { book: BOOK, format: "txt" });
    const second = await start(app, { book: BOOK, format: "md" });
    const third = await start(app, { book: BOOK, format: "md", options: { chapters: [2] } });
    await reached(app, first.id, "packing");
    expect([second, third].map((j) => app.exportJobs!.get(j.id)!.state)).toEqual(["queued", "queued"]);
    expect(app.exportJobs!.get(second.id)!.progress).toEqual({ stage: "queued", done: 0, total: 0 });

    const cancel = await call(app, { method: "DELETE", url: `/api/v1/exports/${second.id}`, payload: {} });
    expect(cancel.statusCode).toBe(204);
    expect(cancel.body).toBe("");
    expect(app.exportJobs!.get(second.id)).toMatchObject({ state: "cancelled", error: "cancelled before it started" });
    expect(app.exportJobs!.get(second.id)!.startedAt).toBeUndefined();

    h.release();
    expect((await settled(app, first.id)).state).toBe("succeeded");
    expect((await settled(app, third.id)).state).toBe("succeeded");
    expect(app.exportJobs!.get(third.id)!.startedAt! >= app.exportJobs!.get(first.id)!.finishedAt!).toBe(true);
    expect((await fs.readdir(exportsFolder)).sort()).toEqual([`${first.id}.txt`, `${third.id}.md`].sort());
  });

  it("cancels a running job by terminating its worker, leaving no partial file, and moves on", async () => {
    const h = hold();
    const { app, exportsFolder } = await heldFixture(h.gate);
    const running = await start(app, { book: BOOK, format: "epub" });
    const next = await start(app, { book: BOOK, format: "txt" });
    await reached(app, running.id, "packing");
    const cancel = await call(app, { method: "DELETE", url: `/api/v1/exports/${running.id}`, payload: {} });
    expect(cancel.statusCode).toBe(204);
    expect(app.exportJobs!.get(running.id)).toMatchObject({ state: "cancelled", error: "cancelled while it ran", progress: { stage: "packing" } });
    // The next job started once the cancelled one's worker was gone.
    await reached(app, next.id, "packing");
    h.release();
    expect((await settled(app, next.id)).state).toBe("succeeded");
    expect(await fs.readdir(exportsFolder)).toEqual([`${next.id}.txt`]);
    expect((await call(app, { url: `/api/v1/exports/${running.id}/download` })).statusCode).toBe(409);
  });

  it("stops and fails a job that runs past the time limit, then runs the next", async () => {
    const h = hold();
    const { app, exportsFolder } = await heldFixture(h.gate, { timeoutMs: 1000 });
    const stuck = await start(app, { book: BOOK, format: "txt" });
    const next = await start(app, { book: BOOK, format: "md" });
    expect(await settled(app, stuck.id)).toMatchObject({ state: "failed", error: "the export took longer than 1 second and was stopped" });
    // The next one is held too, and the limit stops it as well: nothing waits for ever.
    expect((await settled(app, next.id)).state).toBe("failed");
    expect(await fs.readdir(exportsFolder)).toEqual([]);
  });

  it("removes a finished job and its file with DELETE", async () => {
    const { app, exportsFolder } = await fixture();
    const job = await start(app, { book: BOOK, format: "txt" });
    await settled(app, job.id);
    const removed: string[] = [];
    app.exportEvents.subscribe((event) => void (event.type === "removed" && removed.push(event.id)));
    expect((await call(app, { method: "DELETE", url: `/api/v1/exports/${job.id}`, payload: {} })).statusCode).toBe(204);
    expect(removed).toEqual([job.id]);
    expect(await fs.readdir(exportsFolder)).toEqual([]);
    expect((await call(app, { url: `/api/v1/exports/${job.id}` })).statusCode).toBe(404);
    expect((await call(app, { method: "DELETE", url: `/api/v1/exports/${job.id}`, payload: {} })).statusCode).toBe(404);
  });

  it("says so when a succeeded job's file has gone from the exports folder", async () => {
    const { app, exportsFolder } = await fixture();
    const job = await start(app, { book: BOOK, format: "txt" });
    await settled(app, job.id);
    await fs.rm(nodePath.join(exportsFolder, `${job.id}.txt`));
    const response = await call(app, { url: `/api/v1/exports/${job.id}/download` });
    expect(response.statusCode).toBe(404);
    expect(response.json<{ error: string }>().error).toMatch(/file is gone/);
  });
});

describe("across restarts", () => {
  it("marks jobs a stopped companion left queued or running as failed, and clears their partial files", async () => {
    temp = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-exports-"));
    const file = nodePath.join(temp, "companion.sqlite");
    const folder = nodePath.join(temp, "exports");
    await fs.mkdir(folder);
    // What a companion killed mid-export leaves: a running job, a queued one, a half-written file.
    const db = openDatabase(file);
    const store = new ExportJobStore(db);
    store.insert({ id: "exp_running", book: BOOK, format: "pdf", options: {}, createdAt: Date.parse("2026-03-01T10:00:00Z") });
    store.markRunning("exp_running", Date.parse("2026-03-01T10:00:01Z"));
    store.insert({ id: "exp_queued", book: BOOK, format: "txt", options: {}, createdAt: Date.parse("2026-03-01T10:00:02Z") });
    await fs.writeFile(nodePath.join(folder, "exp_running.pdf.partial"), "%PDF-half");
    await fs.writeFile(nodePath.join(folder, "exp_gone.txt"), "a file whose job is gone");
    await fs.writeFile(nodePath.join(folder, "notes.readme"), "not ours; left alone");
    db.close();

    const reopened = openDatabase(file);
    const now = new Date("2026-03-01T11:00:00Z");
    const app = await appOn(reopened, folder, { now: () => now });
    const list = (await call(app, { url: "/api/v1/exports" })).json<ListExportsResponse>().exports;
    expect(list.map((j) => [j.id, j.state, j.error, j.finishedAt])).toEqual([
      ["exp_queued", "failed", INTERRUPTED_MESSAGE, now.toISOString()],
      ["exp_running", "failed", INTERRUPTED_MESSAGE, now.toISOString()],
    ]);
    expect(await fs.readdir(folder)).toEqual(["notes.readme"]);
  });

  it("fails the running job when the companion closes, so nothing is left running", async () => {
    const h = hold();
    const { app, db } = await heldFixture(h.gate);
    const job = await start(app, { book: BOOK, format: "txt" });
    const queued = await start(app, { book: BOOK, format: "md" });
    await reached(app, job.id, "packing");
    // How far it got is on disk, should the companion die here.
    expect(new ExportJobStore(db).get(job.id)!.progress).toEqual({ stage: "packing", done: 2, total: 2 });
    await app.close();
    const store = new ExportJobStore(db);
    expect([store.get(job.id)!.state, store.get(job.id)!.error]).toEqual(["failed", INTERRUPTED_MESSAGE]);
    expect([store.get(queued.id)!.state, store.get(queued.id)!.error]).toEqual(["failed", INTERRUPTED_MESSAGE]);
  });
});

describe("retention", () => {
  it("removes finished jobs and their files once they are older than the retention period: at start and on the hourly check", async () => {
    temp = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-exports-"));
    const folder = nodePath.join(temp, "exports");
    let now = Date.parse("2026-03-01T10:00:00Z");
    const clock = () => new Date(now);
    const db = openDatabase(nodePath.join(temp, "companion.sqlite"));
    const app = await appOn(db, folder, { now: clock, retentionMs: 7 * 86_400_000 });
    const old = await start(app, { book: BOOK, format: "txt" });
    await settled(app, old.id);
    now += 3 * 86_400_000;
    const recent = await start(app, { book: BOOK, format: "md" });
    await settled(app, recent.id);
    expect((await fs.readdir(folder)).sort()).toEqual([`${old.id}.txt`, `${recent.id}.md`].sort());

    // Six days after the first: nothing is old enough.
    now += 3 * 86_400_000;
    expect(app.exportJobs!.removeExpired()).toBe(0);
    // A restart eight days after the first removes it, and only it.
    await app.close();
    now += 2 * 86_400_000;
    const restarted = await appOn(db, folder, { now: clock, retentionMs: 7 * 86_400_000, retentionCheckMs: 10 });
    expect(restarted.exportJobs!.list().map((j) => j.id)).toEqual([recent.id]);
    expect(await fs.readdir(folder)).toEqual([`${recent.id}.md`]);

    // The periodic check removes the other once it has aged too.
    const gone = new Promise<string>((resolve) => restarted.exportEvents.subscribe((e) => e.type === "removed" && resolve(e.id)));
    now += 5 * 86_400_000;
    expect(await gone).toBe(recent.id);
    expect(await fs.readdir(folder)).toEqual([]);
  });
});

describe("GET /events", () => {
  it("streams export:state and export:progress events as a job runs, beside revision events", async () => {
    const { app } = await fixture({ port: 0 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const host = `127.0.0.1:${port}`;
    let text = "";
    let wake = (): void => undefined;
    const request = http.request({ host: "127.0.0.1", port, path: "/api/v1/events", headers: { host, authorization: `Bearer ${TOKEN}` }, setHost: false, agent: false }, (response) => {
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
        wake();
      });
    });
    request.end();
    const until = async (test: () => boolean): Promise<void> => {
      while (!test()) await new Promise<void>((resolve) => (wake = resolve));
    };
    await until(() => text.includes(": connected"));

    const post = (path: string, body: unknown) =>
      new Promise<string>((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, method: "POST", path, headers: { host, authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, setHost: false, agent: false }, (res) => {
          let data = "";
          res.on("data", (c: Buffer) => (data += c.toString("utf8")));
          res.on("end", () => resolve(data));
        });
        r.on("error", reject);
        r.end(JSON.stringify(body));
      });
    const job = JSON.parse(await post("/api/v1/exports", { book: BOOK, format: "txt" })) as ExportJob;
    await until(() => text.includes('"state":"succeeded"'));
    await post("/api/v1/revisions", { note: "a.md", text: "one" });
    await until(() => text.includes("event: revision:captured"));
    request.destroy();

    const events = text
      .split("\n\n")
      .filter((block) => block.startsWith("event: export:"))
      .map((block) => {
        const lines = block.split("\n");
        expect(lines.some((l) => l.startsWith("id:"))).toBe(false);
        const data = ExportJobEvent.parse(JSON.parse(lines.find((l) => l.startsWith("data: "))!.slice(6)));
        return [lines[0]!.slice("event: ".length), data.job.id, data.job.state, data.job.progress.stage, data.job.progress.done] as const;
      });
    expect(events[0]).toEqual(["export:state", job.id, "queued", "queued", 0]);
    expect(events).toContainEqual(["export:state", job.id, "running", "reading", 0]);
    expect(events).toContainEqual(["export:progress", job.id, "running", "chapters", 1]);
    expect(events).toContainEqual(["export:progress", job.id, "running", "chapters", 2]);
    expect(events).toContainEqual(["export:progress", job.id, "running", "writing", 2]);
    expect(events.at(-1)).toEqual(["export:state", job.id, "succeeded", "done", 2]);
    // State changes come in order.
    expect(events.filter((e) => e[0] === "export:state").map((e) => e[2])).toEqual(["queued", "running", "succeeded"]);
  });
});

/** The fixture with its workers held at packing. */
async function heldFixture(gate: Int32Array, exports: Partial<NonNullable<BuildAppOptions["exports"]>> = {}): Promise<Fixture> {
  const folder = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-held-"));
  const db = openDatabase(":memory:", { integrityCheck: "off" });
  const fx = await fixture({ exports: { db, folder, hold: gate, ...exports } });
  const cleanup = (): Promise<void> => fx.cleanup();
  f = {
    ...fx,
    db,
    exportsFolder: folder,
    cleanup: async () => {
      await cleanup();
      if (db.open) db.close();
      await fs.rm(folder, { recursive: true, force: true });
    },
  };
  return f;
}

/** An app over the fixture's vault with export jobs in `db` and `folder`. */
async function appOn(db: SqliteDatabase, folder: string, exports: Partial<NonNullable<BuildAppOptions["exports"]>> = {}): Promise<CompanionApp> {
  if (!f) await fixture();
  const app = buildApp({ store: new MemoryRevisionStore(), vault: new NodeVault(f!.vaultPath), vaultPath: f!.vaultPath, token: TOKEN, port: 27_183, version: "x", exports: { db, folder, ...exports } });
  opened.push({ app, db });
  return app;
}
