/**
 * The companion client against the real companion app (an in-memory revision store over a temp vault),
 * listening on 127.0.0.1 and reached through the stand-in of Obsidian's requestUrl; and against small
 * servers that misbehave, for the error messages.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { makeFixture, TOKEN, type Fixture } from "../../companion/server/test-support";
import { createStubApp } from "../../test/obsidian-stub/obsidian";
import { DEFAULT_SETTINGS } from "../settings";
import { CompanionClient, CompanionError, companionFromSettings } from "./client";

const NOTE = "Lighthouse/Chapters/01 Storm.md";

let fixture: Fixture;
let baseUrl: string;

beforeAll(async () => {
  // The client's timer is the window's, as in Obsidian; these tests run in Node.
  vi.stubGlobal("window", { setTimeout, clearTimeout });
  fixture = await makeFixture({ port: 0 });
  await fixture.app.listen({ host: "127.0.0.1", port: 0 });
  baseUrl = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fixture.cleanup();
  vi.unstubAllGlobals();
});

beforeEach(async () => {
  await fixture.vault.write(NOTE, "The storm came at dawn.\n");
});

const client = () => new CompanionClient({ baseUrl: `${baseUrl}/`, token: TOKEN });

/** The CompanionError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<CompanionError> {
  const error: unknown = await promise.then(
    () => new Error("expected a failure"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CompanionError);
  return error as CompanionError;
}

/** A server answering every request with `status` and `body`; its base URL. */
async function serverAnswering(status: number, body: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("CompanionClient against the companion", () => {
  it("checks health without a token", async () => {
    const health = await new CompanionClient({ baseUrl, token: "" }).health();
    expect(health).toEqual({ ok: true, version: "0.1.0-test", vaultPath: fixture.vaultPath });
  });

  it("captures, lists, reads, diffs and restores revisions", async () => {
    const c = client();
    const first = await c.capture(NOTE, { label: "first", idempotencyKey: "key-1" });
    expect(first.created).toBe(true);
    expect(first.revision).toMatchObject({ note: NOTE, source: "plugin", words: 5, label: "first" });
    // A retry with the same key stores nothing new.
    expect(await c.capture(NOTE, { label: "first", idempotencyKey: "key-1" })).toEqual({ revision: first.revision, created: false });

    const second = await c.capture(NOTE, { text: "The storm came in from the west.\n" });
    expect(second.created).toBe(true);
    expect(second.revision.wordDelta).toBe(2);

    const listed = await c.listRevisions(NOTE);
    expect(listed.note).toBe(NOTE);
    expect(listed.revisions.map((r) => r.id)).toEqual([second.revision.id, first.revision.id]);
    const page = await c.listRevisions(NOTE, { limit: 1, before: second.revision.id });
    expect(page.revisions.map((r) => r.id)).toEqual([first.revision.id]);

    expect(await c.getRevision(second.revision.id)).toEqual({ ...second.revision, text: "The storm came in from the west.\n" });

    const diff = await c.diff(second.revision.id);
    expect(diff.against).toBe("current");
    expect(diff.ops.filter((o) => o.op !== "equal").length).toBeGreaterThan(0);
    expect(diff.ops.filter((o) => o.op !== "insert").map((o) => o.text).join("")).toBe("The storm came at dawn.\n");
    expect(diff.ops.filter((o) => o.op !== "delete").map((o) => o.text).join("")).toBe("The storm came in from the west.\n");
    expect(diff.words).toMatchObject({ against: 5, revision: 7 });
    const between = await c.diff(second.revision.id, first.revision.id);
    expect(between.against).toBe(first.revision.id);

    const restored = await c.restore(second.revision.id);
    // The note's text differed from the newest revision, so it was kept first.
    expect(restored.before).toMatchObject({ created: true, revision: { label: `before restoring revision ${second.revision.id}` } });
    expect(restored.restored.revision.source).toBe("restore");
    expect(await fixture.vault.read(NOTE)).toBe("The storm came in from the west.\n");

    // Restoring the text the note holds keeps nothing before.
    const same = await c.restore(second.revision.id);
    expect(same.before).toBeNull();
    await fixture.vault.write(NOTE, "Calm.\n");
    const again = await c.restore(first.revision.id, "back to dawn");
    expect(again.before?.revision.label).toBe(`before restoring revision ${first.revision.id}`);
    expect(again.restored.revision.label).toBe("back to dawn");
    expect(await fixture.vault.read(NOTE)).toBe("The storm came at dawn.\n");
  });

  it("says the token was refused on a 401", async () => {
    const error = await failure(new CompanionClient({ baseUrl, token: "wrong" }).listRevisions(NOTE));
    expect(error.status).toBe(401);
    expect(error.message).toBe("the companion refused the token; choose the companion token secret in settings");
  });

  it("passes on the companion's own message for a 4xx", async () => {
    const badPath = await failure(client().listRevisions("../outside.md"));
    expect(badPath.status).toBe(400);
    expect(badPath.message).toBe("invalid querystring.note: note path must stay inside the vault (no '..' segments)");
    const unknown = await failure(client().getRevision("no-such-revision"));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toBe("revision not found");
    const gone = await failure(client().capture("Lighthouse/Chapters/99 Gone.md"));
    expect(gone.message).toBe("note not found");
  });
});

describe("CompanionClient export jobs", () => {
  const BOOK_NOTES: Record<string, string> = {
    "Tides/Book.md": "---\nbookwright: book\ntitle: Tides\n---\n",
    "Tides/Chapters/01 Storm.md": "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.\n",
    "Tides/Chapters/02 Calm.md": "---\nbookwright: chapter\nchapter: 2\ntitle: Calm\n---\nThen calm.\n",
  };

  beforeEach(async () => {
    for (const [path, text] of Object.entries(BOOK_NOTES)) await fixture.vault.write(path, text);
  });

  /** Polls as the export modal does, until the job has finished one way or another. */
  async function finished(c: CompanionClient, id: string) {
    for (;;) {
      const job = await c.getExport(id);
      if (job.state !== "queued" && job.state !== "running") return job;
      await new Promise((resolve) => window.setTimeout(resolve, 50));
    }
  }

  it("starts an export, follows it, downloads the file and removes it", async () => {
    const c = client();
    const job = await c.startExport("Tides", "txt", { chapters: [2, 1], smartTypography: false });
    expect(job).toMatchObject({ book: "Tides", format: "txt" });
    const done = await finished(c, job.id);
    expect(done).toMatchObject({ state: "succeeded", result: { fileName: "Tides (txt).txt", title: "Tides", chapters: 2 } });
    expect((await c.listExports()).map((j) => j.id)).toContain(job.id);

    const bytes = await c.downloadExport(job.id);
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    expect(bytes.byteLength).toBe(done.result!.bytes);
    expect(new TextDecoder().decode(bytes)).toBe("Tides\n\n\nStorm\n\nThe storm came.\n\n\nCalm\n\nThen calm.\n");

    await c.deleteExport(job.id);
    const gone = await failure(c.getExport(job.id));
    expect(gone.status).toBe(404);
    expect(gone.message).toBe("export not found");
    expect((await c.listExports()).map((j) => j.id)).not.toContain(job.id);
  });

  it("passes on the companion's words when an export cannot start, run or be downloaded", async () => {
    const c = client();
    const outside = await failure(c.startExport("../Tides", "txt"));
    expect(outside.status).toBe(400);
    expect(outside.message).toBe("invalid body.book: book path must stay inside the vault (no '..' segments)");
    const missing = await failure(c.startExport("Nowhere", "epub"));
    expect(missing.status).toBe(404);
    expect(missing.message).toBe("book not found: there is no folder 'Nowhere' in the vault");

    const job = await c.startExport("Tides", "md", { chapters: [7] });
    const done = await finished(c, job.id);
    expect(done).toMatchObject({ state: "failed", error: "Tides has no chapter 7; it has chapters 1–2" });
    const early = await failure(c.downloadExport(job.id));
    expect(early.status).toBe(409);
    expect(early.message).toBe("the export is failed; only a succeeded export can be downloaded");
    await c.deleteExport(job.id);
  });

  it("says the token was refused for export routes too", async () => {
    const error = await failure(new CompanionClient({ baseUrl, token: "wrong" }).listExports());
    expect(error.status).toBe(401);
    expect(error.message).toBe("the companion refused the token; choose the companion token secret in settings");
  });
});

describe("CompanionClient errors", () => {
  it("says the companion is not running when nothing listens", async () => {
    const closed = await serverAnswering(200, "{}");
    await closed.close();
    const error = await failure(new CompanionClient({ baseUrl: closed.url, token: TOKEN }).health());
    expect(error.status).toBeNull();
    expect(error.message).toBe(`the companion is not running at ${closed.url}; start it with \`bookwright companion --vault <your vault folder>\``);
  });

  it("keeps a 5xx's details out and points to the log", async () => {
    const server = await serverAnswering(500, '{"error":"internal error"}');
    try {
      const error = await failure(new CompanionClient({ baseUrl: server.url, token: TOKEN }).health());
      expect(error.status).toBe(500);
      expect(error.message).toBe(`the companion at ${server.url} failed (status 500); its log says why`);
    } finally {
      await server.close();
    }
  });

  it("refuses an answer that does not fit the schema", async () => {
    const server = await serverAnswering(200, '{"ok":true}');
    try {
      const error = await failure(new CompanionClient({ baseUrl: server.url, token: TOKEN }).health());
      expect(error.message).toMatch(/answered in a form this version of Bookwright does not understand/);
    } finally {
      await server.close();
    }
  });

  it("names the status when a refusal has no message", async () => {
    const server = await serverAnswering(404, "<html>nope</html>");
    try {
      const error = await failure(new CompanionClient({ baseUrl: server.url, token: TOKEN }).health());
      expect(error.message).toBe(`no Bookwright companion answers at ${server.url}; check the companion address in settings`);
    } finally {
      await server.close();
    }
  });

  it("gives up when no answer comes in time", async () => {
    const server = http.createServer(() => {
      // Never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const error = await failure(new CompanionClient({ baseUrl: url, token: TOKEN, timeoutMs: 100 }).health());
      expect(error.message).toBe(`the companion at ${url} did not answer in time; restart it`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("companionFromSettings", () => {
  it("is null when no token secret is chosen", () => {
    expect(companionFromSettings(createStubApp(), DEFAULT_SETTINGS)).toBeNull();
  });

  it("reads the token from secret storage and talks to the companion with it", async () => {
    const app = createStubApp();
    app.secretStorage.setSecret("companion-token", TOKEN);
    const c = companionFromSettings(app, { companionUrl: baseUrl, companionTokenSecret: "companion-token" });
    expect(c?.baseUrl).toBe(baseUrl);
    expect((await c!.listRevisions(NOTE)).note).toBe(NOTE);
  });

  it("says so when the chosen secret is empty or gone", () => {
    expect(() => companionFromSettings(createStubApp(), { companionUrl: "", companionTokenSecret: "gone" })).toThrow(
      'the secret "gone" chosen for the companion token is empty or gone; choose it again in settings',
    );
  });
});
