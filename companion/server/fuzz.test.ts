/**
 * Every route with random input: random JSON (and not-JSON) bodies, random strings for path parameters
 * and query values, repeated keys, odd content types, with and without the token. Whatever comes in, the
 * answer is a JSON 2xx or 4xx, never a 500, never a crash, and nothing outside the vault is touched.
 */
import * as fs from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { characterIdOf, seriesIdOf } from "../series/series-index";
import { makeSeriesFixture, type SeriesFixture } from "../series/test-support";
import { call, filesBelow, HOST, makeFixture, SECRET_TEXT, TOKEN, type Fixture } from "./test-support";

let f: Fixture;
/** The ids the in-memory store gives the three revisions made below, so the fuzzer can aim at them. */
const KNOWN_IDS = ["rev-000001", "rev-000002", "rev-000003"];

beforeAll(async () => {
  f = await makeFixture();
  await f.vault.write("Book/01.md", "Chapter one, as it is now.");
  await f.vault.write("a.md", "A note.");
  // A real book, so fuzzed export requests can get through to the queue.
  await f.vault.write("Tides/Book.md", "---\nbookwright: book\ntitle: Tides\n---\n");
  await f.vault.write("Tides/Chapters/01 Storm.md", "---\nbookwright: chapter\nchapter: 1\ntitle: Storm\n---\nThe storm came.\n");
  const ids = [
    f.store.capture({ note: "Book/01.md", text: "Chapter one, first draft.", source: "plugin" }).revision.id,
    f.store.capture({ note: "a.md", text: "An older note.", source: "watcher" }).revision.id,
    f.store.capture({ note: "Gone.md", text: "A note deleted since.", source: "cli" }).revision.id,
  ];
  expect(ids).toEqual(KNOWN_IDS);
});

afterAll(async () => {
  await f.cleanup();
});

/** Strings an attacker or a bug would try, mixed with arbitrary ones. */
const special = [
  "",
  " ",
  ".",
  "..",
  "../secret.md",
  "..\\secret.md",
  "../../../../etc/passwd",
  "/etc/passwd",
  "C:\\Windows\\win.ini",
  "\\\\server\\share\\x.md",
  "a.md\u0000",
  "%2e%2e%2f",
  ".config/app.json",
  "a.md",
  "Book/01.md",
  "Book\\01.md",
  "Gone.md",
  "current",
  "rev-000001",
  "Tides",
  "Tides/",
  "exp_x",
  "0",
  "-1",
  "1e9",
  "NaN",
  "null",
  "__proto__",
  "constructor",
  "\uD800",
  "😀.md",
  "x".repeat(2000),
];

const text = fc.oneof(
  fc.constantFrom(...special),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);

/** Percent-encodes any string, unpaired surrogates included (as encodeURIComponent cannot). */
function encode(value: string): string {
  return Array.from(new TextEncoder().encode(value), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
}

/** A path segment: encoded text, or raw ASCII escapes that decode badly or to separators. */
const segment = fc.oneof(
  { weight: 3, arbitrary: text.map(encode) },
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_IDS) },
  { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%E0%A4%A", "%C0%AF", "%c0%ae%c0%ae", "..%2f..", "%2e%2e", "a%2fb", "%00", "%ff", "..;") },
);

const queryKey = fc.oneof(fc.constantFrom("note", "limit", "before", "against", "token", "book", "__proto__"), fc.string({ maxLength: 8 }));
const query = fc
  .array(fc.tuple(queryKey, fc.oneof(text, fc.integer().map(String), fc.constantFrom(...KNOWN_IDS))), { maxLength: 5 })
  .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&")}`));

/** Note paths, many of them valid, so captures get through to the store. */
const note = fc.oneof(
  text,
  fc.constantFrom("a.md", "Book/01.md", "Gone.md", "New/Note.md"),
  fc.string({ unit: "grapheme", maxLength: 20 }).map((name) => `${name}.md`),
);

/** Export requests, many of them valid, so jobs get queued (and cancelled, and removed). */
const exportRequest = fc.record(
  {
    book: fc.oneof(text, fc.constantFrom("Tides", "Tides/", "Tides\\", "Tides/Chapters", "../Tides", "Gone")),
    format: fc.oneof(fc.constantFrom("txt", "md", "epub", "docx", "pdf", "manuscript"), text),
    options: fc.oneof(
      fc.record(
        {
          chapters: fc.oneof(fc.constant("all"), fc.array(fc.integer({ min: -2, max: 3 }), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
          trim: fc.oneof(fc.constantFrom("6x9", "5x8", "9x9"), text),
          fontSizePt: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.double()),
          cover: fc.oneof(fc.constant(null), text),
          fontFolder: text,
          courier: fc.jsonValue({ maxDepth: 0 }),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: ["book", "format"] },
);

/** Requests that should be queued (the quick formats), with a chance of one wrong detail. */
const validExportRequest = fc.record(
  {
    book: fc.constantFrom("Tides", "Tides/", "Tides\\"),
    format: fc.constantFrom("txt", "md"),
    options: fc.record({ chapters: fc.constantFrom("all", [1]), smartTypography: fc.boolean(), cover: fc.constantFrom(null, "Tides/x.jpg") }, { requiredKeys: [] }),
  },
  { requiredKeys: ["book", "format"] },
);

/** JSON-ish values, biased towards the fields the routes read. */
const json = fc.oneof(
  exportRequest,
  validExportRequest,
  fc.record({ note, text: fc.string({ unit: "grapheme", maxLength: 60 }) }, { requiredKeys: ["note"] }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      note: fc.oneof(note, fc.jsonValue({ maxDepth: 1 })),
      text: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })),
      label: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })),
      idempotencyKey: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })),
    },
    { requiredKeys: [] },
  ),
);

const body = fc.oneof(
  { weight: 6, arbitrary: json.map((v) => JSON.stringify(v) ?? "null") },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "{", '{"note":', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', "[]", "\u0000") },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", "", "application/jsonp") },
);

const authorization = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${TOKEN}`) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom("", "Bearer", `Bearer ${TOKEN} x`, `bearer  ${TOKEN}`), fc.string({ maxLength: 20 })) },
);

type Route = (id: string, q: string) => { method: "GET" | "POST" | "DELETE"; url: string };
const routes: Route[] = [
  (_id, q) => ({ method: "GET", url: `/api/v1/health${q}` }),
  (_id, q) => ({ method: "GET", url: `/api/v1/revisions${q}` }),
  (_id, q) => ({ method: "POST", url: `/api/v1/revisions${q}` }),
  (id, q) => ({ method: "GET", url: `/api/v1/revisions/${id}${q}` }),
  (id, q) => ({ method: "GET", url: `/api/v1/revisions/${id}/diff${q}` }),
  (id, q) => ({ method: "POST", url: `/api/v1/revisions/${id}/restore${q}` }),
  (_id, q) => ({ method: "GET", url: `/api/v1/notes${q}` }),
  (_id, q) => ({ method: "GET", url: `/api/v1/exports${q}` }),
  (_id, q) => ({ method: "POST", url: `/api/v1/exports${q}` }),
  (_id, q) => ({ method: "POST", url: `/api/v1/exports${q}` }),
  (id, q) => ({ method: "GET", url: `/api/v1/exports/${id}${q}` }),
  (id, q) => ({ method: "GET", url: `/api/v1/exports/${id}/download${q}` }),
  (id, q) => ({ method: "DELETE", url: `/api/v1/exports/${id}${q}` }),
  // Every route with the other method too.
  (id, q) => ({ method: "POST", url: `/api/v1/revisions/${id}${q}` }),
  (_id, q) => ({ method: "POST", url: `/api/v1/notes${q}` }),
  (id, q) => ({ method: "POST", url: `/api/v1/exports/${id}${q}` }),
  (_id, q) => ({ method: "DELETE", url: `/api/v1/exports${q}` }),
];

describe("fuzzing every route", () => {
  it("never answers 5xx, always answers JSON, never reaches outside the vault", async () => {
    const outsideBefore = (await filesBelow(f.root)).filter((p) => !p.startsWith("vault"));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: routes.length - 1 }),
        segment,
        query,
        body,
        contentType,
        authorization,
        async (routeIndex, id, q, payload, type, auth) => {
          const { method, url } = routes[routeIndex]!(id, q);
          const headers: Record<string, string> = { host: HOST, authorization: auth };
          if (type !== "") headers["content-type"] = type;
          const response = await call(f.app, { method, url, headers, ...(method !== "GET" ? { payload } : {}) });
          expect(response.statusCode, `${method} ${url} ${payload}`).toBeGreaterThanOrEqual(200);
          expect(response.statusCode, `${method} ${url} ${payload} → ${response.body}`).toBeLessThan(500);
          // A download is the file itself, and a removal has no body; every other answer is JSON.
          if (!url.includes("/download") && response.statusCode !== 204) expect(() => JSON.parse(response.body) as unknown, `${method} ${url}`).not.toThrow();
          expect(response.body).not.toContain(SECRET_TEXT);
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        },
      ),
      {
        numRuns: Number(process.env.BOOKWRIGHT_FUZZ_RUNS ?? 600),
        // A valid capture and a valid export always run besides the random inputs, so the counts below do
        // not hang on the luck of one run (routes were added, and each random one is now rarer).
        examples: [
          [2, "x", "", JSON.stringify({ note: "Book/01.md", text: "An example capture." }), "application/json", `Bearer ${TOKEN}`],
          [8, "x", "", JSON.stringify({ book: "Tides", format: "txt" }), "application/json", `Bearer ${TOKEN}`],
        ],
      },
    );
    // The input reached the handlers, not only the refusals at the door.
    const count = (status: number): number => statuses.get(status) ?? 0;
    expect(count(200)).toBeGreaterThan(30);
    expect(count(201)).toBeGreaterThan(0);
    expect(count(400)).toBeGreaterThan(30);
    expect(count(202)).toBeGreaterThan(0);
    expect(await fs.readFile(f.secretPath, "utf8")).toBe(SECRET_TEXT);
    // Outside the vault, only export files of the queue's own naming, in its own folder.
    const outside = (await filesBelow(f.root)).filter((p) => !p.startsWith("vault"));
    expect(outside.filter((p) => !p.startsWith("exports/"))).toEqual(outsideBefore);
    for (const file of outside.filter((p) => p.startsWith("exports/"))) expect(file).toMatch(/^exports\/exp_[A-Za-z0-9_-]+\.(txt|md|epub|docx|pdf)(\.partial)?$/);
    for (const note of f.store.notes()) expect(note.split("/")).not.toContain("..");
    expect((await call(f.app, { url: "/api/v1/health" })).statusCode).toBe(200);
  });

  it("never answers /events with 5xx over a real socket", async () => {
    const fixture = await makeFixture({ port: 0, heartbeatMs: 1000 });
    const app = fixture.app;
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    try {
      await fc.assert(
        fc.asyncProperty(query, authorization, fc.constantFrom(undefined, "app://obsidian.md", "null", "https://x.example"), async (q, auth, origin) => {
          const status = await new Promise<number>((resolve, reject) => {
            const headers: Record<string, string> = { host: `127.0.0.1:${port}`, authorization: auth };
            if (origin !== undefined) headers.origin = origin;
            const request = http.request({ host: "127.0.0.1", port, path: `/api/v1/events${q}`, headers, setHost: false, agent: false }, (response) => {
              resolve(response.statusCode ?? 0);
              request.destroy();
            });
            request.on("error", (error: Error & { code?: string }) => {
              if (error.code !== "ECONNRESET") reject(error);
            });
            request.end();
          });
          expect([200, 401, 403]).toContain(status);
        }),
        { numRuns: 60 },
      );
    } finally {
      await fixture.cleanup();
    }
  });
});

describe("fuzzing the series routes", () => {
  const SERIES_ID = seriesIdOf("Saga/Series.md");
  const CHARACTER_ID = characterIdOf("Saga/Series.md", "Saga/Characters/Mara.md");
  let series: SeriesFixture;
  let fixture: Fixture;

  beforeAll(async () => {
    series = await makeSeriesFixture({
      "Saga/Series.md": '---\nbookwright: series\ntitle: Saga\nbooks: ["[[Saga/One/Book]]", "[[Missing]]"]\n---\n',
      "Saga/One/Book.md": '---\nbookwright: book\ntitle: One\nseries: "[[Series]]"\nseries_order: 1\n---\n',
      "Saga/One/01.md": '---\nbookwright: chapter\nchapter: 1\ntitle: Harbour\ncharacters: ["[[Mara]]", "[[Oren]]"]\n---\nMara left the harbour.\n',
      "Saga/Characters/Mara.md": "---\nbookwright: character\nname: Mara\naliases: [Captain Vell]\nappearances:\n  - { book: One, chapter: 2, role: mentioned }\n---\n",
    });
    expect(await series.index.rebuild()).toMatchObject({ ok: true, series: 1 });
    fixture = await makeFixture({ series: series.index });
  });

  afterAll(async () => {
    await fixture.cleanup();
    await series.cleanup();
  });

  it("never answers 5xx, always answers JSON, whatever the ids and names", async () => {
    const id = fc.oneof({ weight: 3, arbitrary: segment }, { weight: 2, arbitrary: fc.constantFrom(SERIES_ID, CHARACTER_ID, "0123456789abcdef", SERIES_ID.toUpperCase(), `${SERIES_ID}0`) });
    const name = fc.oneof(text, fc.constantFrom("Mara", "mara", "[[Mara]]", "[[Mara|the captain]]", "Captain Vell", "Oren", "Nobody", "%", "__proto__"));
    const seriesQuery = fc.oneof(
      query,
      fc.array(name, { minLength: 1, maxLength: 2 }).map((names) => `?${names.map((n) => `name=${encode(n)}`).join("&")}`),
    );
    const seriesRoutes: ((id: string, q: string) => { method: "GET" | "POST" | "DELETE"; url: string })[] = [
      (_id, q) => ({ method: "GET", url: `/api/v1/series${q}` }),
      (i, q) => ({ method: "GET", url: `/api/v1/series/${i}${q}` }),
      (i, q) => ({ method: "GET", url: `/api/v1/series/${i}/characters${q}` }),
      (i, q) => ({ method: "GET", url: `/api/v1/characters/${i}/appearances${q}` }),
      // The other methods: read-only routes take no writes.
      (_id, q) => ({ method: "POST", url: `/api/v1/series${q}` }),
      (i, q) => ({ method: "DELETE", url: `/api/v1/series/${i}${q}` }),
      (i, q) => ({ method: "POST", url: `/api/v1/characters/${i}/appearances${q}` }),
    ];
    const before = series.index.store.list();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: seriesRoutes.length - 1 }), id, seriesQuery, body, authorization, async (routeIndex, i, q, payload, auth) => {
        const { method, url } = seriesRoutes[routeIndex]!(i, q);
        const headers: Record<string, string> = { host: HOST, authorization: auth, "content-type": "application/json" };
        const response = await call(fixture.app, { method, url, headers, ...(method !== "GET" ? { payload } : {}) });
        expect(response.statusCode, `${method} ${url} → ${response.body}`).toBeGreaterThanOrEqual(200);
        expect(response.statusCode, `${method} ${url} → ${response.body}`).toBeLessThan(500);
        expect(() => JSON.parse(response.body) as unknown, `${method} ${url}`).not.toThrow();
        expect(response.body).not.toContain(SECRET_TEXT);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }),
      { numRuns: Number(process.env.BOOKWRIGHT_FUZZ_RUNS ?? 400) },
    );
    const count = (status: number): number => statuses.get(status) ?? 0;
    expect(count(200)).toBeGreaterThan(20);
    expect(count(400)).toBeGreaterThan(20);
    expect(count(404)).toBeGreaterThan(5);
    // Reading changes nothing.
    expect(series.index.store.list()).toEqual(before);
    expect(await fs.readFile(fixture.secretPath, "utf8")).toBe(SECRET_TEXT);
  });
});
