/**
 * The front door over a real socket, with the raw headers a browser or an attacker would send.
 */
import * as fs from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CaptureResponse } from "../../shared/companion-api/api";
import { characterIdOf, seriesIdOf } from "../series/series-index";
import { makeSeriesFixture, type SeriesFixture } from "../series/test-support";
import { filesBelow, makeFixture, rawRequest, SECRET_TEXT, TOKEN, type Fixture, type RawResponse } from "./test-support";

let f: Fixture;
let port: number;
let host: string;

beforeAll(async () => {
  // Port 0: the Host allow-list follows the port the app ends up listening on.
  f = await makeFixture({ port: 0 });
  await f.app.listen({ host: "127.0.0.1", port: 0 });
  port = (f.app.server.address() as AddressInfo).port;
  host = `127.0.0.1:${port}`;
});

afterAll(async () => {
  await f.cleanup();
});

beforeEach(async () => {
  await fs.rm(f.vaultPath, { recursive: true, force: true });
  await fs.mkdir(f.vaultPath);
});

const auth = (): Record<string, string> => ({ host, authorization: `Bearer ${TOKEN}` });

function send(options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse> {
  return rawRequest(port, options);
}

/** Node's client sends a DELETE body without a length unless told one (it does not chunk DELETEs). */
function sized(method: string, body: string): Record<string, string> {
  return method === "GET" ? {} : { "content-length": String(Buffer.byteLength(body)) };
}

function json(value: unknown): { body: string; headers: Record<string, string> } {
  return { body: JSON.stringify(value), headers: { ...auth(), "content-type": "application/json" } };
}

describe("the token", () => {
  it.each([
    ["missing", undefined],
    ["wrong", `Bearer ${"0".repeat(64)}`],
    ["one character short", `Bearer ${TOKEN.slice(0, -1)}`],
    ["longer", `Bearer ${TOKEN}0`],
    ["as Basic", `Basic ${TOKEN}`],
    ["bare", TOKEN],
    ["empty bearer", "Bearer "],
  ])("is refused with 401 when %s", async (_name, authorization) => {
    const response = await send({ path: "/api/v1/notes", headers: { host, ...(authorization !== undefined ? { authorization } : {}) } });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ error: "a valid bearer token is required" });
  });

  it("is not taken from the query string", async () => {
    const response = await send({ path: `/api/v1/notes?token=${TOKEN}&access_token=${TOKEN}`, headers: { host } });
    expect(response.status).toBe(401);
  });

  it.each([
    ["GET", "/api/v1/exports"],
    ["POST", "/api/v1/exports"],
    ["GET", "/api/v1/exports/exp_x"],
    ["GET", "/api/v1/exports/exp_x/download"],
    ["DELETE", "/api/v1/exports/exp_x"],
  ])("is required by %s %s (401), and nothing is queued", async (method, path) => {
    const body = JSON.stringify({ book: "Tides", format: "txt" });
    const response = await send({ method, path, headers: { host, "content-type": "application/json", ...sized(method, body) }, ...(method === "GET" ? {} : { body }) });
    expect(response.status).toBe(401);
    expect(f.app.exportJobs!.list()).toEqual([]);
  });

  it("lets the right token in", async () => {
    const response = await send({ path: "/api/v1/notes", headers: auth() });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ notes: [] });
  });
});

describe("the Host header", () => {
  it.each(["127.0.0.1", "localhost", "[::1]", "LOCALHOST"])("accepts %s with the port", async (name) => {
    const response = await send({ path: "/api/v1/health", headers: { host: `${name}:${port}` } });
    expect(response.status).toBe(200);
  });

  it.each([
    ["a rebinding attacker's name", () => "rebind.attacker.example"],
    ["the attacker's name with our port", () => `rebind.attacker.example:${port}`],
    ["a wildcard DNS name for 127.0.0.1", () => `127.0.0.1.nip.io:${port}`],
    ["a name that starts like localhost", () => `localhost.attacker.example:${port}`],
    ["the right host with the wrong port", () => `127.0.0.1:${port === 65535 ? 1 : port + 1}`],
    ["the right host with no port", () => "127.0.0.1"],
    ["localhost with no port", () => "localhost"],
    ["userinfo tricks", () => `evil@127.0.0.1:${port}`],
    ["another loopback address", () => `127.0.0.2:${port}`],
    ["the LAN name", () => `0.0.0.0:${port}`],
  ])("refuses %s with 403, on every route", async (_name, hostOf) => {
    for (const path of ["/api/v1/health", "/api/v1/notes", "/api/v1/revisions?note=a.md", "/api/v1/nope"]) {
      const response = await send({ path, headers: { ...auth(), host: hostOf() } });
      expect(response.status, path).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ error: "forbidden: unexpected Host header" });
    }
  });

  it("refuses a request without a Host header", async () => {
    const response = await send({ path: "/api/v1/health", headers: {} });
    // Node refuses HTTP/1.1 without Host itself (400); either way it never reaches a route.
    expect([400, 403]).toContain(response.status);
  });

  it("refuses writes from a rebound page even with a stolen token, and stores nothing", async () => {
    const response = await send({ method: "POST", path: "/api/v1/revisions", body: JSON.stringify({ note: "a.md", text: "x" }), headers: { ...json(null).headers, host: "rebind.attacker.example" } });
    expect(response.status).toBe(403);
    expect(f.store.notes()).toEqual([]);
  });
});

describe("cross-site writes", () => {
  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain; charset=utf-8"])(
    "refuse a %s POST with 415 and capture nothing",
    async (type) => {
      for (const headers of [
        { host, "content-type": type, origin: "https://attacker.example" } as Record<string, string>,
        { host, "content-type": type },
        { ...auth(), "content-type": type, origin: "app://obsidian.md" },
      ]) {
        const response = await send({ method: "POST", path: "/api/v1/revisions", body: '{"note":"a.md","text":"pwned"}', headers });
        expect(response.status).toBe(415);
        expect(JSON.parse(response.body)).toEqual({ error: "writes must be sent as application/json" });
      }
      expect(f.store.notes()).toEqual([]);
    },
  );

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])("refuse a %s export request or cancel with 415", async (type) => {
    for (const [method, path] of [
      ["POST", "/api/v1/exports"],
      ["DELETE", "/api/v1/exports/exp_x"],
    ] as const) {
      for (const headers of [{ host, "content-type": type, origin: "https://attacker.example" } as Record<string, string>, { ...auth(), "content-type": type }]) {
        const body = '{"book":"Tides","format":"txt"}';
        const response = await send({ method, path, body, headers: { ...headers, ...sized(method, body) } });
        expect(response.status, `${method} ${path}`).toBe(415);
      }
    }
    expect(f.app.exportJobs!.list()).toEqual([]);
  });

  it("refuses a POST without a content type (415)", async () => {
    const response = await send({ method: "POST", path: "/api/v1/revisions/rev-1/restore", headers: auth() });
    expect(response.status).toBe(415);
  });

  it("accepts application/json with a charset", async () => {
    const response = await send({
      method: "POST",
      path: "/api/v1/revisions",
      body: JSON.stringify({ note: "a.md", text: "fine" }),
      headers: { ...auth(), "content-type": "Application/JSON; charset=utf-8" },
    });
    expect(response.status).toBe(201);
  });
});

describe("CORS", () => {
  const preflight = (origin: string | undefined, extra: Record<string, string> = {}): Promise<RawResponse> =>
    send({
      method: "OPTIONS",
      path: "/api/v1/revisions",
      headers: {
        host,
        ...(origin !== undefined ? { origin } : {}),
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
        ...extra,
      },
    });

  it.each(["app://obsidian.md", "capacitor://localhost", "http://localhost"])("answers an allowed origin's preflight (%s) with 204", async (origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe(origin);
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
    expect(response.headers["access-control-allow-methods"]).toMatch(/\bPOST\b/);
    expect(response.headers["access-control-allow-methods"]).toMatch(/\bGET\b/);
    expect(response.headers["access-control-allow-headers"]?.toLowerCase()).toContain("authorization");
    expect(response.headers["access-control-allow-headers"]?.toLowerCase()).toContain("content-type");
    expect(response.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(response.body).toBe("");
  });

  it("answers Chrome's private-network preflight for an allowed origin", async () => {
    const response = await preflight("app://obsidian.md", { "access-control-request-private-network": "true" });
    expect(response.status).toBe(204);
    expect(response.headers["access-control-allow-private-network"]).toBe("true");
  });

  it.each([
    ["an unknown origin", "https://attacker.example"],
    ["a look-alike origin", "app://obsidian.md.attacker.example"],
    ["localhost on another port", "http://localhost:8080"],
    ["https localhost", "https://localhost"],
    ["the null origin", "null"],
    ["no origin at all", undefined],
  ])("refuses the preflight of %s with 403 and no CORS headers", async (_name, origin) => {
    const response = await preflight(origin);
    expect(response.status).toBe(403);
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    expect(response.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("reflects an allowed origin on a real request, never *", async () => {
    const response = await send({ path: "/api/v1/notes", headers: { ...auth(), origin: "capacitor://localhost" } });
    expect(response.status).toBe(200);
    expect(response.headers["access-control-allow-origin"]).toBe("capacitor://localhost");
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
  });

  it("sends Vary: Origin and no Allow-Origin when there is no Origin", async () => {
    const response = await send({ path: "/api/v1/health", headers: { host } });
    expect(response.headers.vary).toMatch(/\bOrigin\b/);
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets an allowed origin's preflight DELETE (cancelling an export)", async () => {
    const response = await send({
      method: "OPTIONS",
      path: "/api/v1/exports/exp_x",
      headers: { host, origin: "app://obsidian.md", "access-control-request-method": "DELETE", "access-control-request-headers": "authorization, content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers["access-control-allow-methods"]).toMatch(/\bDELETE\b/);
  });

  it.each(["null", "https://attacker.example", "app://obsidian.md.attacker.example"])("refuses the export routes to Origin %s with 403, even with the token", async (origin) => {
    for (const [method, path] of [
      ["GET", "/api/v1/exports"],
      ["GET", "/api/v1/exports/exp_x/download"],
      ["POST", "/api/v1/exports"],
      ["DELETE", "/api/v1/exports/exp_x"],
    ] as const) {
      const body = JSON.stringify({ book: "Tides", format: "txt" });
      const response = await send({ method, path, headers: { ...auth(), origin, "content-type": "application/json", ...sized(method, body) }, ...(method === "GET" ? {} : { body }) });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(f.app.exportJobs!.list()).toEqual([]);
  });

  it.each(["null", "https://attacker.example", "file://"])("refuses requests from Origin %s with 403, even with the token", async (origin) => {
    for (const path of ["/api/v1/health", "/api/v1/notes"]) {
      const response = await send({ path, headers: { ...auth(), origin } });
      expect(response.status).toBe(403);
      expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    }
    const write = await send({ method: "POST", path: "/api/v1/revisions", ...json({ note: "a.md", text: "x" }) });
    expect([200, 201]).toContain(write.status);
    const refused = await send({ method: "POST", path: "/api/v1/revisions", body: JSON.stringify({ note: "b.md", text: "x" }), headers: { ...json(null).headers, origin } });
    expect(refused.status).toBe(403);
    expect(f.store.notes()).not.toContain("b.md");
  });
});

describe("the body limit", () => {
  it("refuses a 3 MiB body with 413 and stores nothing", async () => {
    const text = "x".repeat(3 * 1024 * 1024);
    const response = await send({ method: "POST", path: "/api/v1/revisions", ...json({ note: "big.md", text }) });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ error: "request body is larger than 2 MiB" });
    expect(f.store.notes()).not.toContain("big.md");
  });

  it("refuses a 3 MiB body sent in chunks without a length", async () => {
    const response = await new Promise<RawResponse>((resolve, reject) => {
      void import("node:http").then(({ request }) => {
        const req = request(
          { host: "127.0.0.1", port, method: "POST", path: "/api/v1/revisions", headers: { ...json(null).headers }, setHost: false, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
          },
        );
        req.on("error", (e: Error & { code?: string }) => {
          if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
        });
        req.write('{"note":"chunked.md","text":"');
        for (let i = 0; i < 48; i++) req.write("y".repeat(64 * 1024));
        req.end('"}');
      });
    });
    expect(response.status).toBe(413);
    expect(f.store.notes()).not.toContain("chunked.md");
  });

  it("takes a body just under the limit", async () => {
    const text = "word ".repeat(400_000);
    const response = await send({ method: "POST", path: "/api/v1/revisions", ...json({ note: "long.md", text }) });
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ revision: { words: 400_000 } });
  });
});

describe("paths never leave the vault", () => {
  const traversals = [
    "../secret.md",
    "..%2fsecret.md",
    "%2e%2e%2fsecret.md",
    "%2e%2e/secret.md",
    "..%5csecret.md",
    "%2e%2e%5csecret.md",
    "..%252fsecret.md",
    "vault%2f..%2f..%2fsecret.md",
    "%2fetc%2fpasswd",
    "..%00.md",
    "....//secret.md",
  ];

  it("in the raw path of every route", async () => {
    const { revision } = JSON.parse((await send({ method: "POST", path: "/api/v1/revisions", ...json({ note: "a.md", text: "x" }) })).body) as CaptureResponse;
    for (const t of traversals) {
      for (const [method, path] of [
        ["GET", `/api/v1/revisions/${t}`],
        ["GET", `/api/v1/revisions/${t}/diff`],
        ["POST", `/api/v1/revisions/${t}/restore`],
        ["GET", `/api/v1/revisions/../../${t}`],
        ["GET", `/api/v1/${t}`],
        ["GET", `/api/v1/revisions/${revision.id}/../../../secret.md`],
        ["GET", `/api/v1/exports/${t}`],
        ["GET", `/api/v1/exports/${t}/download`],
        ["DELETE", `/api/v1/exports/${t}`],
        ["GET", `/api/v1/exports/../../${t}/download`],
      ] as const) {
        const response = await send({ method, path, headers: { ...auth(), "content-type": "application/json", ...sized(method, "{}") }, ...(method !== "GET" ? { body: "{}" } : {}) });
        expect([400, 404], `${method} ${path}`).toContain(response.status);
        expect(response.body).not.toContain(SECRET_TEXT);
      }
    }
    await expectSecretUntouched();
  });

  it("in every query and body parameter", async () => {
    const { revision } = JSON.parse((await send({ method: "POST", path: "/api/v1/revisions", ...json({ note: "a.md", text: "x" }) })).body) as CaptureResponse;
    for (const t of traversals) {
      for (const path of [`/api/v1/revisions?note=${t}`, `/api/v1/revisions?note=a.md&before=${t}`, `/api/v1/revisions/${revision.id}/diff?against=${t}`]) {
        const response = await send({ path, headers: auth() });
        expect([400, 404], path).toContain(response.status);
        expect(response.body).not.toContain(SECRET_TEXT);
      }
      const note = decodeURIComponent(t.replace(/%25/g, "%"));
      for (const body of [{ note }, { note, text: "overwrite?" }]) {
        const response = await send({ method: "POST", path: "/api/v1/revisions", ...json(body) });
        expect([400, 404], JSON.stringify(body)).toContain(response.status);
        expect(response.body).not.toContain(SECRET_TEXT);
      }
      const folder = note.replace(/\/?secret\.md$/, "") || "..";
      for (const body of [
        { book: folder, format: "txt" },
        { book: note, format: "txt" },
        { book: "Tides", format: "epub", options: { cover: note } },
        { book: "Tides", format: "pdf", options: { fontFolder: folder } },
      ]) {
        const response = await send({ method: "POST", path: "/api/v1/exports", ...json(body) });
        expect([400, 404], JSON.stringify(body)).toContain(response.status);
        expect(response.body).not.toContain(SECRET_TEXT);
      }
      expect(f.app.exportJobs!.list()).toEqual([]);
    }
    await expectSecretUntouched();
  });

  async function expectSecretUntouched(): Promise<void> {
    expect(await fs.readFile(f.secretPath, "utf8")).toBe(SECRET_TEXT);
    expect((await filesBelow(f.root)).filter((p) => !p.startsWith("vault"))).toEqual(["secret.md"]);
    for (const note of f.store.notes()) expect(note).not.toContain("..");
    for (const note of f.store.notes()) for (const r of f.store.list(note)) expect(f.store.get(r.id)?.text).not.toContain(SECRET_TEXT);
  }
});

describe("the series routes", () => {
  const SERIES_ID = seriesIdOf("Saga/Series.md");
  const CHARACTER_ID = characterIdOf("Saga/Series.md", "Saga/Characters/Mara.md");
  let series: SeriesFixture;
  let served: Fixture;
  let seriesHost: string;
  let seriesPort: number;

  beforeAll(async () => {
    series = await makeSeriesFixture({
      "Saga/Series.md": "---\nbookwright: series\ntitle: Saga\n---\n",
      "Saga/One/Book.md": '---\nbookwright: book\ntitle: One\nseries: "[[Series]]"\nseries_order: 1\n---\n',
      "Saga/One/01.md": '---\nbookwright: chapter\nchapter: 1\ntitle: Harbour\ncharacters: ["[[Mara]]"]\n---\nMara left the harbour.\n',
      "Saga/Characters/Mara.md": "---\nbookwright: character\nname: Mara\n---\n",
    });
    expect(await series.index.rebuild()).toMatchObject({ ok: true, series: 1 });
    served = await makeFixture({ port: 0, series: series.index });
    await served.app.listen({ host: "127.0.0.1", port: 0 });
    seriesPort = (served.app.server.address() as AddressInfo).port;
    seriesHost = `127.0.0.1:${seriesPort}`;
  });

  afterAll(async () => {
    await served.cleanup();
    await series.cleanup();
  });

  const paths = (): string[] => ["/api/v1/series", `/api/v1/series/${SERIES_ID}`, `/api/v1/series/${SERIES_ID}/characters?name=Mara`, `/api/v1/characters/${CHARACTER_ID}/appearances`];
  const to = (options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> => rawRequest(seriesPort, options);
  const token = (): Record<string, string> => ({ host: seriesHost, authorization: `Bearer ${TOKEN}` });

  it("answer with the token, and only with it (401)", async () => {
    for (const path of paths()) {
      expect((await to({ path, headers: token() })).status, path).toBe(200);
      for (const authorization of [undefined, `Bearer ${"0".repeat(64)}`, `Basic ${TOKEN}`]) {
        const response = await to({ path, headers: { host: seriesHost, ...(authorization !== undefined ? { authorization } : {}) } });
        expect(response.status, `${path} ${authorization}`).toBe(401);
        expect(JSON.parse(response.body)).toEqual({ error: "a valid bearer token is required" });
      }
      expect((await to({ path: `${path}${path.includes("?") ? "&" : "?"}token=${TOKEN}`, headers: { host: seriesHost } })).status, path).toBe(401);
    }
  });

  it("refuse an unknown origin (403) and another Host (403), even with the token; reflect an allowed origin", async () => {
    for (const path of paths()) {
      for (const origin of ["https://attacker.example", "null", "app://obsidian.md.attacker.example"]) {
        const response = await to({ path, headers: { ...token(), origin } });
        expect(response.status, `${path} ${origin}`).toBe(403);
        expect(response.headers["access-control-allow-origin"]).toBeUndefined();
        expect(response.body).not.toContain("Saga");
      }
      const rebound = await to({ path, headers: { ...token(), host: `rebind.attacker.example:${seriesPort}` } });
      expect(rebound.status, path).toBe(403);
      const allowed = await to({ path, headers: { ...token(), origin: "app://obsidian.md" } });
      expect(allowed.status, path).toBe(200);
      expect(allowed.headers["access-control-allow-origin"]).toBe("app://obsidian.md");
    }
  });

  it("never take a path for an id: `../` and `%2e%2e%2f` in :id are 400 or 404", async () => {
    const traversals = ["../", "..", "..%2f", "%2e%2e%2f", "%2e%2e/", "%2e%2e%2fSaga%2fSeries.md", "..%2f..%2fsecret.md", "..%5csecret.md", "Saga%2fSeries.md", "Saga/Series.md", "..%252f", "%00"];
    for (const t of traversals) {
      for (const path of [`/api/v1/series/${t}`, `/api/v1/series/${t}/characters?name=Mara`, `/api/v1/characters/${t}/appearances`, `/api/v1/series/../../${t}`]) {
        const response = await to({ path, headers: token() });
        expect([400, 404], path).toContain(response.status);
        expect(response.body).not.toContain(SECRET_TEXT);
        expect(response.body).not.toContain("Mara");
      }
    }
    // A path as the name is just a name no one has.
    for (const name of ["..%2f..%2fsecret.md", "%2e%2e%2fsecret.md"]) {
      const response = await to({ path: `/api/v1/series/${SERIES_ID}/characters?name=${name}`, headers: token() });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ character: null, appearances: [] });
      expect(response.body).not.toContain(SECRET_TEXT);
    }
  });

  it("take no writes: a cross-site form is 415, a JSON write finds no route (404)", async () => {
    for (const path of paths()) {
      const form = await to({ method: "POST", path, body: "name=x", headers: { host: seriesHost, "content-type": "application/x-www-form-urlencoded", origin: "https://attacker.example" } });
      expect(form.status, path).toBe(415);
      const write = await to({ method: "POST", path, body: "{}", headers: { ...token(), "content-type": "application/json" } });
      expect(write.status, path).toBe(404);
    }
    expect(series.index.store.list().map((s) => s.title)).toEqual(["Saga"]);
  });
});
