import * as fs from "node:fs/promises";
import * as nodePath from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaptureResponse, DiffResponse, ListRevisionsResponse, RestoreResponse, Revision } from "../../shared/companion-api/api";
import { VaultError } from "../../shared/vault/vault-files";
import type { RevisionSummary } from "../revisions/types";
import { buildApp } from "./app";
import { MemoryRevisionStore } from "./memory-revision-store";
import { call, filesBelow, HOST, makeFixture, SECRET_TEXT, TOKEN, type Fixture } from "./test-support";

let f: Fixture;

beforeEach(async () => {
  f = await makeFixture();
});

afterEach(async () => {
  await f.cleanup();
});

const NOTE = "My Book/Chapters/01 Storm.md";

async function writeNote(path: string, text: string): Promise<void> {
  await f.vault.write(path, text);
}

async function capture(body: Record<string, unknown>): Promise<CaptureResponse> {
  const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: body });
  expect([200, 201]).toContain(response.statusCode);
  return response.json<CaptureResponse>();
}

describe("GET /health", () => {
  it("answers without a token", async () => {
    const response = await f.app.inject({ url: "/api/v1/health", headers: { host: HOST } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, version: "0.1.0-test", vaultPath: f.vaultPath });
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("still checks the Host header", async () => {
    const response = await f.app.inject({ url: "/api/v1/health", headers: { host: "evil.example" } });
    expect(response.statusCode).toBe(403);
  });
});

describe("POST /revisions", () => {
  it("captures the text it is sent (201), with source plugin and word counts", async () => {
    const response = await call(f.app, {
      method: "POST",
      url: "/api/v1/revisions",
      payload: { note: NOTE, text: "The storm came in at dusk.", label: "before AI write" },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<CaptureResponse>();
    expect(body.created).toBe(true);
    expect(body.revision).toMatchObject({ note: NOTE, source: "plugin", words: 6, wordDelta: 0, bytes: 26, label: "before AI write" });
    expect(Object.keys(body.revision)).not.toContain("text");
    expect(f.store.get(body.revision.id)?.text).toBe("The storm came in at dusk.");
  });

  it("answers 200 and stores nothing when the text equals the latest revision", async () => {
    const first = await capture({ note: NOTE, text: "same" });
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note: NOTE, text: "same" } });
    expect(response.statusCode).toBe(200);
    expect(response.json<CaptureResponse>()).toEqual({ revision: first.revision, created: false });
    expect(f.store.list(NOTE)).toHaveLength(1);
  });

  it("returns the first attempt's revision for a repeated idempotency key", async () => {
    const first = await capture({ note: NOTE, text: "one", idempotencyKey: "job-7:before" });
    const retry = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note: NOTE, text: "one, edited", idempotencyKey: "job-7:before" } });
    expect(retry.statusCode).toBe(200);
    expect(retry.json<CaptureResponse>().revision.id).toBe(first.revision.id);
    expect(f.store.list(NOTE)).toHaveLength(1);
  });

  it("reads the note from the vault when no text is sent, normalising the path", async () => {
    await writeNote(NOTE, "From the disk.\n");
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note: "My Book\\Chapters//01 Storm.md" } });
    expect(response.statusCode).toBe(201);
    const { revision } = response.json<CaptureResponse>();
    expect(revision.note).toBe(NOTE);
    expect(f.store.get(revision.id)?.text).toBe("From the disk.\n");
  });

  it("answers 404 naming the field when there is no text and no such note", async () => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note: "Nope.md" } });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: "note not found", field: "body.note" });
  });

  it("answers 400 when the note path names a folder", async () => {
    await fs.mkdir(nodePath.join(f.vaultPath, "Folder.md"));
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note: "Folder.md" } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: "note path names a folder, not a note" });
  });

  it.each([
    ["missing note", { text: "x" }, "body.note"],
    ["absolute note", { note: "/etc/passwd.md", text: "x" }, "body.note"],
    ["parent segments", { note: "../secret.md", text: "x" }, "body.note"],
    ["backslash parent segments", { note: "..\\secret.md", text: "x" }, "body.note"],
    ["NUL", { note: "a.md\u0000", text: "x" }, "body.note"],
    ["not a note", { note: "a.txt", text: "x" }, "body.note"],
    ["text not a string", { note: NOTE, text: 42 }, "body.text"],
    ["label too long", { note: NOTE, text: "x", label: "l".repeat(501) }, "body.label"],
    ["empty idempotency key", { note: NOTE, text: "x", idempotencyKey: "" }, "body.idempotencyKey"],
  ])("answers 400 for %s, naming the field", async (_name, payload, field) => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: string; field: string }>();
    expect(body.field).toBe(field);
    expect(body.error).toContain(field);
    expect(f.store.notes()).toEqual([]);
  });

  it.each([
    ["a JSON array", "[1,2]"],
    ["JSON null", "null"],
    ["a JSON string", '"note"'],
  ])("answers 400 for %s as the body", async (_name, payload) => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload, headers: { "content-type": "application/json" } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ field: string }>().field).toBe("body");
  });

  it("answers 400 for a body that is not JSON, without echoing it", async () => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: "{not json", headers: { "content-type": "application/json" } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: "the body is not valid JSON" });
  });

  it("answers 400 for an empty JSON body", async () => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: "", headers: { "content-type": "application/json" } });
    expect(response.statusCode).toBe(400);
  });

  it("refuses __proto__ keys (400)", async () => {
    const response = await call(f.app, {
      method: "POST",
      url: "/api/v1/revisions",
      payload: '{"note":"a.md","text":"x","__proto__":{"polluted":true}}',
      headers: { "content-type": "application/json" },
    });
    expect(response.statusCode).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("GET /revisions", () => {
  it("lists a note's revisions newest first, with limit and before paging", async () => {
    const ids: string[] = [];
    for (const text of ["one", "one two", "one two three", "one two three four"]) ids.push((await capture({ note: NOTE, text })).revision.id);
    await capture({ note: "Other.md", text: "elsewhere" });

    const all = await call(f.app, { url: `/api/v1/revisions?note=${encodeURIComponent(NOTE)}` });
    expect(all.statusCode).toBe(200);
    const body = all.json<ListRevisionsResponse>();
    expect(body.note).toBe(NOTE);
    expect(body.revisions.map((r) => r.id)).toEqual([...ids].reverse());
    expect(body.revisions.map((r) => r.wordDelta)).toEqual([1, 1, 1, 0]);

    const page1 = (await call(f.app, { url: `/api/v1/revisions?note=${encodeURIComponent(NOTE)}&limit=2` })).json<ListRevisionsResponse>();
    expect(page1.revisions.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    const page2 = (
      await call(f.app, { url: `/api/v1/revisions?note=${encodeURIComponent(NOTE)}&limit=2&before=${page1.revisions[1]!.id}` })
    ).json<ListRevisionsResponse>();
    expect(page2.revisions.map((r) => r.id)).toEqual([ids[1], ids[0]]);
  });

  it("lists nothing for a note without revisions", async () => {
    const response = await call(f.app, { url: "/api/v1/revisions?note=Nothing.md" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ note: "Nothing.md", revisions: [] });
  });

  it.each([
    ["no note", "", "querystring.note"],
    ["limit 0", "?note=a.md&limit=0", "querystring.limit"],
    ["limit not a number", "?note=a.md&limit=ten", "querystring.limit"],
    ["limit too large", "?note=a.md&limit=100000", "querystring.limit"],
    ["two notes", "?note=a.md&note=b.md", "querystring.note"],
    ["a traversal", "?note=../secret.md", "querystring.note"],
    ["an encoded traversal", "?note=%2e%2e%2fsecret.md", "querystring.note"],
    ["an encoded backslash traversal", "?note=..%5csecret.md", "querystring.note"],
    ["an absolute path", "?note=%2Fetc%2Fpasswd.md", "querystring.note"],
    ["NUL", "?note=a.md%00", "querystring.note"],
    ["a before that is not an id", "?note=a.md&before=../x", "querystring.before"],
  ])("answers 400 for %s, naming the field", async (_name, query, field) => {
    const response = await call(f.app, { url: `/api/v1/revisions${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ field: string }>().field).toBe(field);
  });

  it("answers 400 when before is another note's revision or unknown", async () => {
    const other = await capture({ note: "Other.md", text: "x" });
    for (const before of [other.revision.id, "rev-unknown"]) {
      const response = await call(f.app, { url: `/api/v1/revisions?note=a.md&before=${before}` });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ error: "before must be the id of a revision of this note", field: "querystring.before" });
    }
  });
});

describe("GET /revisions/:id", () => {
  it("returns the revision with its text", async () => {
    const { revision } = await capture({ note: NOTE, text: "Full text." });
    const response = await call(f.app, { url: `/api/v1/revisions/${revision.id}` });
    expect(response.statusCode).toBe(200);
    expect(response.json<Revision>()).toEqual({ ...revision, text: "Full text." });
  });

  it("answers 404 for an unknown id", async () => {
    const response = await call(f.app, { url: "/api/v1/revisions/rev-404" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: "revision not found", field: "params.id" });
  });

  it.each(["..%2f..%2fsecret.md", "..%5csecret.md", "a.b", "x%00"])("answers 400 for the id %s", async (id) => {
    const response = await call(f.app, { url: `/api/v1/revisions/${id}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ field: string }>().field).toBe("params.id");
  });

  it.each(["%2e%2e", "..", "%2e%2e%2f%2e%2e%2fsecret.md"])("answers 400 or 404 for the id %s (URL dot segments)", async (id) => {
    const response = await call(f.app, { url: `/api/v1/revisions/${id}` });
    expect([400, 404]).toContain(response.statusCode);
  });
});

describe("GET /revisions/:id/diff", () => {
  it("diffs against the note as it is now by default", async () => {
    const { revision } = await capture({ note: NOTE, text: "The storm came in at dusk." });
    await writeNote(NOTE, "The gale came in at dusk, howling.");
    const response = await call(f.app, { url: `/api/v1/revisions/${revision.id}/diff` });
    expect(response.statusCode).toBe(200);
    const body = response.json<DiffResponse>();
    expect(body.against).toBe("current");
    expect(body.revision.id).toBe(revision.id);
    expect(body.ops).toEqual([
      { op: "equal", text: "The " },
      { op: "delete", text: "gale" },
      { op: "insert", text: "storm" },
      { op: "equal", text: " came in at dusk" },
      { op: "delete", text: ", howling" },
      { op: "equal", text: "." },
    ]);
    expect(body.words).toEqual({ against: 7, revision: 6, inserted: 1, deleted: 2 });
  });

  it("diffs against another revision", async () => {
    const older = await capture({ note: NOTE, text: "one two" });
    const newer = await capture({ note: NOTE, text: "one two three" });
    const response = await call(f.app, { url: `/api/v1/revisions/${newer.revision.id}/diff?against=${older.revision.id}` });
    expect(response.statusCode).toBe(200);
    const body = response.json<DiffResponse>();
    expect(body.against).toBe(older.revision.id);
    expect(body.ops).toEqual([
      { op: "equal", text: "one two" },
      { op: "insert", text: " three" },
    ]);
    expect(body.words).toEqual({ against: 2, revision: 3, inserted: 1, deleted: 0 });
  });

  it("answers 404 when the note is gone from the vault, or the other revision is unknown", async () => {
    const { revision } = await capture({ note: NOTE, text: "x" });
    const gone = await call(f.app, { url: `/api/v1/revisions/${revision.id}/diff?against=current` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ error: "note not found" });
    const unknown = await call(f.app, { url: `/api/v1/revisions/${revision.id}/diff?against=rev-none` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: "revision not found", field: "querystring.against" });
    expect((await call(f.app, { url: "/api/v1/revisions/rev-none/diff" })).statusCode).toBe(404);
  });

  it.each(["../secret.md", "%2e%2e%2fsecret.md", "..%5c..%5csecret.md", "a/b"])("answers 400 for against=%s", async (against) => {
    const { revision } = await capture({ note: NOTE, text: "x" });
    const response = await call(f.app, { url: `/api/v1/revisions/${revision.id}/diff?against=${against}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ field: string }>().field).toBe("querystring.against");
  });
});

describe("POST /revisions/:id/restore", () => {
  it("keeps the current text, writes the revision's text to the note, and captures it as a restore", async () => {
    const { revision: old } = await capture({ note: NOTE, text: "The first draft." });
    await writeNote(NOTE, "A rewrite I regret.");
    const response = await call(f.app, { method: "POST", url: `/api/v1/revisions/${old.id}/restore`, payload: {} });
    expect(response.statusCode).toBe(200);
    const body = response.json<RestoreResponse>();
    expect(await f.vault.read(NOTE)).toBe("The first draft.");
    expect(body.before?.created).toBe(true);
    expect(body.before?.revision.source).toBe("plugin");
    expect(f.store.get(body.before!.revision.id)?.text).toBe("A rewrite I regret.");
    expect(body.restored.created).toBe(true);
    expect(body.restored.revision).toMatchObject({ source: "restore", note: NOTE });
    expect(body.restored.revision.label).toContain(old.id);
    expect(f.store.get(body.restored.revision.id)?.text).toBe("The first draft.");
    expect(f.store.list(NOTE).map((r) => r.source)).toEqual(["restore", "plugin", "plugin"]);
  });

  it("keeps nothing extra when the note already holds the revision's text", async () => {
    await writeNote(NOTE, "Unchanged.");
    const { revision } = await capture({ note: NOTE });
    const response = await call(f.app, { method: "POST", url: `/api/v1/revisions/${revision.id}/restore`, payload: { label: "undo" } });
    expect(response.statusCode).toBe(200);
    const body = response.json<RestoreResponse>();
    expect(body.before).toBeNull();
    expect(body.restored).toEqual({ revision, created: false });
  });

  it("brings back a note that was deleted", async () => {
    const { revision } = await capture({ note: NOTE, text: "Lost and found." });
    const response = await call(f.app, { method: "POST", url: `/api/v1/revisions/${revision.id}/restore`, payload: {} });
    expect(response.statusCode).toBe(200);
    expect(response.json<RestoreResponse>().before).toBeNull();
    expect(await f.vault.read(NOTE)).toBe("Lost and found.");
  });

  it("answers 404 for an unknown revision and changes nothing", async () => {
    const response = await call(f.app, { method: "POST", url: "/api/v1/revisions/rev-none/restore", payload: {} });
    expect(response.statusCode).toBe(404);
    expect(await filesBelow(f.vaultPath)).toEqual([]);
  });

  it("answers 400 for a bad body", async () => {
    const { revision } = await capture({ note: NOTE, text: "x" });
    const response = await call(f.app, { method: "POST", url: `/api/v1/revisions/${revision.id}/restore`, payload: { label: 7 } });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ field: string }>().field).toBe("body.label");
  });
});

describe("GET /notes", () => {
  it("lists the notes that have revisions, sorted", async () => {
    await capture({ note: "b.md", text: "b" });
    await capture({ note: "A/a.md", text: "a" });
    const response = await call(f.app, { url: "/api/v1/notes" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ notes: ["A/a.md", "b.md"] });
  });
});

describe("every route", () => {
  it("GETs change nothing", async () => {
    await writeNote(NOTE, "Now.");
    const { revision } = await capture({ note: NOTE, text: "Then." });
    const before = { files: await filesBelow(f.vaultPath), text: await f.vault.read(NOTE), list: f.store.list(NOTE), notes: f.store.notes() };
    for (const url of [
      "/api/v1/health",
      `/api/v1/revisions?note=${encodeURIComponent(NOTE)}`,
      `/api/v1/revisions/${revision.id}`,
      `/api/v1/revisions/${revision.id}/diff`,
      `/api/v1/revisions/${revision.id}/diff?against=${revision.id}`,
      `/api/v1/revisions/${revision.id}/restore`,
      "/api/v1/notes",
    ]) {
      const response = await call(f.app, { url });
      expect(response.statusCode, url).toBeLessThan(500);
    }
    expect({ files: await filesBelow(f.vaultPath), text: await f.vault.read(NOTE), list: f.store.list(NOTE), notes: f.store.notes() }).toEqual(before);
  });

  it("answers unknown routes 404 with a token and 401 without", async () => {
    expect((await call(f.app, { url: "/api/v1/nope" })).json()).toEqual({ error: "not found" });
    expect((await call(f.app, { url: "/api/v1/nope" })).statusCode).toBe(404);
    expect((await f.app.inject({ url: "/api/v1/nope", headers: { host: HOST } })).statusCode).toBe(401);
    // Method not routed: no HEAD, no PUT.
    expect((await call(f.app, { method: "HEAD", url: "/api/v1/notes" })).statusCode).toBe(404);
    expect((await call(f.app, { method: "PUT", url: "/api/v1/revisions", payload: {} })).statusCode).toBe(404);
  });

  it("requires the token on every route but health", async () => {
    for (const [method, url] of [
      ["GET", "/api/v1/revisions?note=a.md"],
      ["POST", "/api/v1/revisions"],
      ["GET", "/api/v1/revisions/rev-1"],
      ["GET", "/api/v1/revisions/rev-1/diff"],
      ["POST", "/api/v1/revisions/rev-1/restore"],
      ["GET", "/api/v1/notes"],
      ["GET", "/api/v1/events"],
    ] as const) {
      for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN.slice(1)}`]) {
        const response = await f.app.inject({
          method,
          url,
          headers: { host: HOST, "content-type": "application/json", ...(authorization ? { authorization } : {}) },
          ...(method === "POST" ? { payload: { note: "a.md", text: "x" } } : {}),
        });
        expect(response.statusCode, `${method} ${url} ${authorization ?? "(none)"}`).toBe(401);
        expect(response.headers["www-authenticate"]).toMatch(/^Bearer/);
        expect(response.json()).toEqual({ error: "a valid bearer token is required" });
      }
    }
    expect(f.store.notes()).toEqual([]);
  });

  it("accepts the scheme in any case", async () => {
    const response = await f.app.inject({ url: "/api/v1/notes", headers: { host: HOST, authorization: `bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
  });
});

describe("server errors", () => {
  function failingApp(failure: Error, log: string[] = []) {
    const store = new MemoryRevisionStore();
    store.list = () => {
      throw failure;
    };
    return buildApp({
      store,
      vault: f.vault,
      vaultPath: f.vaultPath,
      token: TOKEN,
      port: 27_183,
      version: "x",
      logger: true,
      logStream: { write: (line: string) => void log.push(line) },
    });
  }

  it("answers exactly { error: 'internal error' } with no stack or message, and logs the details", async () => {
    const log: string[] = [];
    const app = failingApp(new Error("database is locked at /home/someone/.config/bookwright/revisions.db"), log);
    const response = await call(app, { url: "/api/v1/revisions?note=a.md" });
    expect(response.statusCode).toBe(500);
    expect(response.body).toBe('{"error":"internal error"}');
    expect(log.join("")).toContain("database is locked");
    await app.close();
  });

  it("treats a vault I/O failure as a 500 too", async () => {
    const app = failingApp(new VaultError("io", "a.md", "EIO: i/o error, read '/home/someone/vault/a.md'"));
    const response = await call(app, { url: "/api/v1/revisions?note=a.md" });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: "internal error" });
    await app.close();
  });

  it("never logs the token or the Authorization header", async () => {
    const log: string[] = [];
    const app = failingApp(new Error("boom"), log);
    await call(app, { url: "/api/v1/revisions?note=a.md" });
    await call(app, { url: "/api/v1/notes" });
    await app.inject({ url: "/api/v1/notes", headers: { host: HOST, authorization: `Bearer ${TOKEN}nope` } });
    const text = log.join("\n");
    expect(log.length).toBeGreaterThan(3);
    expect(text).not.toContain(TOKEN);
    expect(text.toLowerCase()).not.toContain("bearer");
    await app.close();
  });

  it("refuses a token too short to be one", () => {
    expect(() => buildApp({ store: new MemoryRevisionStore(), vault: f.vault, vaultPath: f.vaultPath, token: "short", port: 1, version: "x" })).toThrow(
      /at least 32/,
    );
  });
});

describe("events", () => {
  it("announces every capture that stores a revision, and only those", async () => {
    const heard: RevisionSummary[] = [];
    const stop = f.app.revisionEvents.subscribe((r) => heard.push(r));
    const first = await capture({ note: NOTE, text: "a" });
    await capture({ note: NOTE, text: "a" });
    await writeNote(NOTE, "b");
    const restore = await call(f.app, { method: "POST", url: `/api/v1/revisions/${first.revision.id}/restore`, payload: {} });
    stop();
    const body = restore.json<RestoreResponse>();
    expect(heard.map((r) => r.id)).toEqual([first.revision.id, body.before!.revision.id, body.restored.revision.id]);
  });
});

it("keeps files outside the vault out of reach through every route", async () => {
  const { revision } = await capture({ note: NOTE, text: "x" });
  const notes = ["../secret.md", "..\\secret.md", "../%2e%2e/secret.md", "/secret.md", `${f.root}/secret.md`, "vault/../../secret.md", "a.md/../../secret.md"];
  for (const note of notes) {
    for (const response of [
      await call(f.app, { method: "POST", url: "/api/v1/revisions", payload: { note } }),
      await call(f.app, { url: `/api/v1/revisions?note=${encodeURIComponent(note)}` }),
      await call(f.app, { url: `/api/v1/revisions/${revision.id}/diff?against=${encodeURIComponent(note)}` }),
      await call(f.app, { url: `/api/v1/revisions/${encodeURIComponent(note)}` }),
      await call(f.app, { method: "POST", url: `/api/v1/revisions/${encodeURIComponent(note)}/restore`, payload: {} }),
    ]) {
      expect([400, 404]).toContain(response.statusCode);
      expect(response.body).not.toContain(SECRET_TEXT);
    }
  }
  // A literal `%2e%2e` is a name like any other, inside the vault.
  const literal = await call(f.app, { url: `/api/v1/revisions?note=${encodeURIComponent("%2e%2e/secret.md")}` });
  expect(literal.json()).toEqual({ note: "%2e%2e/secret.md", revisions: [] });
  expect(await fs.readFile(f.secretPath, "utf8")).toBe(SECRET_TEXT);
  expect(await filesBelow(f.root)).toEqual(["secret.md"]);
});
