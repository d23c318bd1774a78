/**
 * The series index over HTTP, on the corpus trilogy written to a temp vault on disk: every answer is
 * compared with what shared/series computes from the same vault (seriesStats, characterAppearances).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CharacterAppearancesResponse, CharacterLookupResponse, ListSeriesResponse, SeriesDetailResponse } from "../../shared/companion-api/api";
import { loadSeries, type SeriesInfo } from "../../shared/series/series";
import { characterAppearances, seriesStats, type SeriesStats } from "../../shared/series/series-stats";
import { TRILOGY_BOOKS, TRILOGY_FOLDER } from "../../shared/testing/series-fixture";
import { openDatabase } from "../db/database";
import { SeriesIndex, seriesIdOf } from "../series/series-index";
import { makeSeriesFixture, trilogyNotes, type SeriesFixture } from "../series/test-support";
import { call, HOST, makeFixture, type Fixture } from "./test-support";

const book = (title: string, extra = "") => `---\nbookwright: book\ntitle: ${title}\n${extra}---\n`;
const series = (title: string, extra = "") => `---\nbookwright: series\ntitle: ${title}\n${extra}---\n`;
const chapter = (n: number, text: string, extra = "") => `---\nbookwright: chapter\nchapter: ${n}\ntitle: Chapter ${n}\nstatus: written\n${extra}---\n${text}\n`;

async function get<T>(f: Fixture, url: string): Promise<{ status: number; body: T }> {
  const response = await call(f.app, { url });
  return { status: response.statusCode, body: response.json<T>() };
}

describe("the trilogy", () => {
  let s: SeriesFixture;
  let f: Fixture;
  let info: SeriesInfo;
  let stats: SeriesStats;
  let id: string;

  beforeAll(async () => {
    s = await makeSeriesFixture(trilogyNotes());
    expect(await s.index.rebuild()).toMatchObject({ ok: true, series: 1 });
    f = await makeFixture({ series: s.index });
    info = await loadSeries(s.vault, TRILOGY_FOLDER);
    stats = seriesStats(info);
    id = seriesIdOf(`${TRILOGY_FOLDER}/Series.md`);
  });

  afterAll(async () => {
    await f.cleanup();
    await s.cleanup();
  });

  it("GET /series lists it with its books and words, as seriesStats counts them", async () => {
    const { status, body } = await get<ListSeriesResponse>(f, "/api/v1/series");
    expect(status).toBe(200);
    expect(body.series).toEqual([{ id, title: "Netherfield", description: "Three books of the Bennet sisters' marriages.", folder: TRILOGY_FOLDER, books: 3, words: stats.words }]);
    expect(body.indexedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("GET /series/:id gives the books in order with seriesStats' numbers, the characters, and no warnings", async () => {
    const { status, body } = await get<SeriesDetailResponse>(f, `/api/v1/series/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, title: "Netherfield", folder: TRILOGY_FOLDER, path: `${TRILOGY_FOLDER}/Series.md`, biblePath: `${TRILOGY_FOLDER}/Series Bible.md`, warnings: [] });
    expect(body.books.map((b) => [b.position, b.title])).toEqual(TRILOGY_BOOKS.map((t, i) => [i + 1, t]));
    expect(body.books.map(({ path: _path, ...b }) => b)).toEqual(stats.books);
    expect(body.books.map((b) => b.path)).toEqual(TRILOGY_BOOKS.map((t) => `${TRILOGY_FOLDER}/${t}/Book.md`));
    expect(body.stats).toEqual({ books: 3, chapters: stats.chapters, words: stats.words, targetWords: stats.targetWords });
    expect(body.stats.chapters).toBe(61);
    expect(body.characters.map(({ id: _id, ...c }) => c)).toEqual(stats.characters);
    expect(new Set(body.characters.map((c) => c.id)).size).toBe(body.characters.length);
  });

  it("GET /characters/:id/appearances: the chapters where Elizabeth Bennet appears across the series, as characterAppearances finds them", async () => {
    const detail = (await get<SeriesDetailResponse>(f, `/api/v1/series/${id}`)).body;
    const elizabeth = detail.characters.find((c) => c.name === "Elizabeth Bennet")!;
    const { status, body } = await get<CharacterAppearancesResponse>(f, `/api/v1/characters/${elizabeth.id}/appearances`);
    expect(status).toBe(200);
    const expected = characterAppearances(info, "Elizabeth Bennet");
    expect(body.appearances).toEqual(expected);
    expect(body.appearances.length).toBe(elizabeth.appearances);
    expect(new Set(body.appearances.map((a) => a.position))).toEqual(new Set([1, 2, 3]));
    // In series order: by book, then chapter.
    const order = body.appearances.map((a) => a.position * 1000 + a.chapter);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(body.character).toMatchObject({ id: elizabeth.id, name: "Elizabeth Bennet", seriesWide: true, path: `${TRILOGY_FOLDER}/Characters/Elizabeth Bennet.md`, series: { id, title: "Netherfield" } });
    expect(body.appearances[0]).toMatchObject({ position: 1, book: "First Impressions", chapterPath: expect.stringMatching(/^Netherfield\/First Impressions\/Chapters\//) as unknown, role: "present", state: "as written" });
  });

  it("GET /series/:id/characters?name= finds a character by name, alias or wikilink, with the same chapters", async () => {
    const expected = characterAppearances(info, "Elizabeth Bennet");
    for (const name of ["Elizabeth Bennet", "lizzy", "[[Elizabeth Bennet]]", "Eliza"]) {
      const { status, body } = await get<CharacterLookupResponse>(f, `/api/v1/series/${id}/characters?name=${encodeURIComponent(name)}`);
      expect(status, name).toBe(200);
      expect(body.name).toBe(name);
      expect(body.character?.name, name).toBe("Elizabeth Bennet");
      expect(body.appearances, name).toEqual(expected);
    }
    // Wickham: a note in books 2 and 3, and chapters' `characters` keys in all three.
    const wickham = (await get<CharacterLookupResponse>(f, `/api/v1/series/${id}/characters?name=Wickham`)).body;
    expect(wickham.appearances).toEqual(characterAppearances(info, "Wickham"));
    expect(wickham.character).toMatchObject({ name: "George Wickham", seriesWide: false, path: `${TRILOGY_FOLDER}/${TRILOGY_BOOKS[1]}/Characters/George Wickham.md` });
    // Named only in chapters' `characters` keys: found all the same, without a note.
    const bingley = (await get<CharacterLookupResponse>(f, `/api/v1/series/${id}/characters?name=Charles%20Bingley`)).body;
    expect(bingley.appearances).toEqual(characterAppearances(info, "Charles Bingley"));
    expect(bingley.appearances.length).toBeGreaterThan(5);
    expect(bingley.character).toMatchObject({ name: "Charles Bingley", aliases: [], seriesWide: false });
    expect(bingley.character?.path).toBeUndefined();
    const byId = (await get<CharacterAppearancesResponse>(f, `/api/v1/characters/${bingley.character!.id}/appearances`)).body;
    expect(byId.appearances).toEqual(bingley.appearances);
    // No one by that name: an empty answer, not an error.
    const nobody = await get<CharacterLookupResponse>(f, `/api/v1/series/${id}/characters?name=Nobody`);
    expect(nobody).toEqual({ status: 200, body: { name: "Nobody", character: null, appearances: [] } });
  });

  it("answers 404 for ids it does not know, saying where ids come from", async () => {
    const unknown = "0123456789abcdef";
    for (const url of [`/api/v1/series/${unknown}`, `/api/v1/series/${unknown}/characters?name=Mara`]) {
      const { status, body } = await get<{ error: string; field?: string }>(f, url);
      expect(status, url).toBe(404);
      expect(body.error).toMatch(/^series not found: .*GET \/series/);
      expect(body.field).toBe("params.id");
    }
    const character = await get<{ error: string }>(f, `/api/v1/characters/${unknown}/appearances`);
    expect(character.status).toBe(404);
    expect(character.body.error).toMatch(/^character not found: .*GET \/series\/:id/);
    // A series id is not a character id.
    expect((await get(f, `/api/v1/characters/${id}/appearances`)).status).toBe(404);
  });

  it("answers 400 for malformed ids and names", async () => {
    // `..` as a whole segment is resolved away before routing: it never reaches a series route.
    for (const url of ["/api/v1/series/..", "/api/v1/series/../characters?name=Mara", "/api/v1/characters/../appearances"]) {
      expect([400, 404], url).toContain((await get(f, url)).status);
    }
    for (const bad of ["abc", "0123456789ABCDEF", "0123456789abcdef0", "..%2f", "%2e%2e%2f", "..%2f..%2fsecret.md", "Netherfield%2FSeries.md", "%00", "%20"]) {
      for (const url of [`/api/v1/series/${bad}`, `/api/v1/series/${bad}/characters?name=Mara`, `/api/v1/characters/${bad}/appearances`]) {
        const { status, body } = await get<{ error: string; field?: string }>(f, url);
        expect(status, url).toBe(400);
        expect(body.field, url).toBe("params.id");
        expect(body.error, url).toMatch(/id must be 16 lower-case hexadecimal digits/);
      }
    }
    for (const [query, message] of [
      ["", /name is required/],
      ["?name=", /name must not be empty/],
      ["?name=%20%20", /name must not be empty/],
      [`?name=${"x".repeat(201)}`, /name must be at most 200 characters/],
      ["?name=a&name=b", /name must be a string/],
    ] as const) {
      const { status, body } = await get<{ error: string; field?: string }>(f, `/api/v1/series/${id}/characters${query}`);
      expect(status, query).toBe(400);
      expect(body.error, query).toMatch(message);
      expect(body.field, query).toBe("querystring.name");
    }
  });

  it("needs the token on every series route", async () => {
    for (const url of ["/api/v1/series", `/api/v1/series/${id}`, `/api/v1/series/${id}/characters?name=Jane`, "/api/v1/characters/0123456789abcdef/appearances"]) {
      const response = await f.app.inject({ url, headers: { host: HOST } });
      expect(response.statusCode, url).toBe(401);
    }
  });
});

describe("keeping the index current", () => {
  it("follows a chapter changed on disk once the rebuild hook runs", async () => {
    const s = await makeSeriesFixture(trilogyNotes());
    const f = await makeFixture({ series: s.index });
    try {
      await s.index.rebuild();
      const id = seriesIdOf(`${TRILOGY_FOLDER}/Series.md`);
      const before = (await get<SeriesDetailResponse>(f, `/api/v1/series/${id}`)).body;
      const info = await loadSeries(s.vault, TRILOGY_FOLDER);
      const last = info.books[2]!.book.chapters.at(-1)!;
      // Book 3's last chapter gains ten words and starts naming Mary, who had no chapter before.
      const text = await s.vault.read(last.path);
      expect(text).toMatch(/\ncharacters:\n {2}- /);
      const rebuilt = s.index.nextRebuild();
      await s.writeNote(last.path, text.replace("characters:", "characters:\n  - \"[[Mary Bennet]]\"") + "\nMary played the pianoforte at length that evening, to nobody.\n");
      expect(await s.index.noteChanged(last.path)).toBe(true);
      expect(await rebuilt).toMatchObject({ ok: true });

      const after = (await get<SeriesDetailResponse>(f, `/api/v1/series/${id}`)).body;
      expect(after.books[2]!.words).toBe(before.books[2]!.words + 10);
      expect(after.books.slice(0, 2)).toEqual(before.books.slice(0, 2));
      expect(after.stats.words).toBe(before.stats.words + 10);
      const stats = seriesStats(await loadSeries(s.vault, TRILOGY_FOLDER));
      expect(after.books.map(({ path: _path, ...b }) => b)).toEqual(stats.books);
      const mary = (await get<CharacterLookupResponse>(f, `/api/v1/series/${id}/characters?name=Mary%20Bennet`)).body;
      expect(mary.appearances.map((a) => [a.position, a.chapter])).toEqual([[3, last.number]]);
      expect(Date.parse(after.indexedAt!)).toBeGreaterThanOrEqual(Date.parse(before.indexedAt!));
    } finally {
      await f.cleanup();
      await s.cleanup();
    }
  });

  it("answers from the database after a restart, before any rebuild, and is refreshed by the next one", async () => {
    const s = await makeSeriesFixture(trilogyNotes(), { inFile: true });
    try {
      await s.index.rebuild();
      const id = seriesIdOf(`${TRILOGY_FOLDER}/Series.md`);
      const first = await makeFixture({ series: s.index });
      const list = (await get<ListSeriesResponse>(first, "/api/v1/series")).body;
      const detail = (await get<SeriesDetailResponse>(first, `/api/v1/series/${id}`)).body;
      const elizabeth = detail.characters.find((c) => c.name === "Elizabeth Bennet")!;
      const appearances = (await get<CharacterAppearancesResponse>(first, `/api/v1/characters/${elizabeth.id}/appearances`)).body;
      await first.cleanup();
      await s.index.close();
      s.db.close();

      // The vault changes while the companion is stopped: the restarted one answers from what it kept.
      await s.writeNote(`${TRILOGY_FOLDER}/Series.md`, (await s.vault.read(`${TRILOGY_FOLDER}/Series.md`)).replace("title: Netherfield", "title: Netherfield Park"));
      const db = openDatabase(s.dbFile!);
      const index = new SeriesIndex({ db, vault: s.vault, debounceMs: 10 });
      const second = await makeFixture({ series: index });
      try {
        expect(index.rebuilds).toBe(0);
        expect((await get<ListSeriesResponse>(second, "/api/v1/series")).body).toEqual(list);
        expect((await get<SeriesDetailResponse>(second, `/api/v1/series/${id}`)).body).toEqual(detail);
        expect((await get<CharacterAppearancesResponse>(second, `/api/v1/characters/${elizabeth.id}/appearances`)).body).toEqual(appearances);

        expect(await index.rebuild()).toMatchObject({ ok: true });
        const refreshed = (await get<ListSeriesResponse>(second, "/api/v1/series")).body;
        // Same note, same id: the title changed, the id did not.
        expect(refreshed.series.map((x) => [x.id, x.title])).toEqual([[id, "Netherfield Park"]]);
      } finally {
        await second.cleanup();
        await index.close();
        db.close();
      }
    } finally {
      await s.cleanup();
    }
  });
});

describe("bad series input", () => {
  it("shows the series' warnings with their notes: a book naming a missing series, a missing listed book, a shared place", async () => {
    const s = await makeSeriesFixture({
      "Tides/Series.md": series("Tides", 'books:\n  - "[[Tides/One/Book]]"\n  - "[[Missing Book]]"\n'),
      "Tides/One/Book.md": book("One", 'series: "[[Tides]]"\nseries_order: 1\n'),
      "Tides/One/01.md": chapter(1, "Waves broke over the wall."),
      "Tides/Two/Book.md": book("Two", 'series: "[[Series]]"\nseries_order: 1\n'),
      "Tides/Three/Book.md": book("Three", 'series: "[[Waves]]"\nseries_order: 3\n'),
      "Elsewhere/Book.md": book("Elsewhere", 'series: "[[Waves]]"\n'),
    });
    const f = await makeFixture({ series: s.index });
    try {
      await s.index.rebuild();
      const id = seriesIdOf("Tides/Series.md");
      const { status, body } = await get<SeriesDetailResponse>(f, `/api/v1/series/${id}`);
      expect(status).toBe(200);
      expect(body.books.map((b) => [b.position, b.title])).toEqual([
        [1, "One"],
        [2, "Two"],
      ]);
      expect(body.warnings.map((w) => [w.path, w.field])).toEqual([
        ["Tides/Series.md", "books"],
        ["Tides/Two/Book.md", "series_order"],
        ["Tides/Three/Book.md", "series"],
      ]);
      expect(body.warnings[0]!.message).toContain('lists "[[Missing Book]]"');
      expect(body.warnings[2]).toMatchObject({ severity: "warning", message: expect.stringContaining('names the series "[[Waves]]"') as unknown });
      // A book outside the series' folder naming a missing series is no warning of this series.
      expect(body.warnings.map((w) => w.path)).not.toContain("Elsewhere/Book.md");
      expect((await get<ListSeriesResponse>(f, "/api/v1/series")).body.series).toEqual([{ id, title: "Tides", folder: "Tides", books: 2, words: 5 }]);
    } finally {
      await f.cleanup();
      await s.cleanup();
    }
  });
});
