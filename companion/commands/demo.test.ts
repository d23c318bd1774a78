/**
 * `bookwright demo`: as a real child process with the simulator (it must set up the vault, write the
 * chapters, keep their revisions in the companion, say loudly that the text is placeholder, exit on its
 * own, and start afresh when run again), and in-process against the fake Anthropic server to prove that
 * BOOKWRIGHT_BASE_URL and ANTHROPIC_API_KEY pick a real client.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadBook } from "../../shared/book/scan";
import { SIMULATED_CHAPTER_NOTICE } from "../../shared/llm/simulated-llm";
import { bodyOf } from "../../shared/queue/safe-write";
import { bundleCli, runCli } from "../../test/cli-process";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { openDatabase } from "../db/database";
import { SqliteRevisionStore } from "../revisions/sqlite-revision-store";
import { NodeVault } from "../vault/node-vault";
import { chooseModel, DEMO_VAULT_NAME, NEW_VAULT_CONFIG_DIR, runDemo } from "./demo";
import type { CommandIO } from "./import";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const sample = nodePath.join(repo, "demo", "vault");
const BOOK = "The Lighthouse Keeper";

let temp: string;
let plugin: string;

beforeAll(async () => {
  temp = await mkdtemp(nodePath.join(os.tmpdir(), "bookwright-demo-"));
  // A stand-in for the built plugin, so the test needs no build and can tell the copy is the one it gave.
  plugin = nodePath.join(temp, "plugin");
  await mkdir(plugin);
  await writeFile(nodePath.join(plugin, "main.js"), "/* the plugin, as built for this test */\n");
  for (const file of ["manifest.json", "styles.css"]) await copyFile(nodePath.join(repo, file), nodePath.join(plugin, file));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** Every file below `dir` with a hash of its bytes, to prove the sample is never changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = nodePath.join(entry.parentPath, entry.name);
    files[nodePath.relative(dir, path)] = createHash("sha256").update(await readFile(path)).digest("hex");
  }
  return files;
}

describe("chooseModel", () => {
  it("takes the Anthropic API for a key, the base URL's server without one, and the simulator otherwise or when asked", () => {
    expect(chooseModel({ ANTHROPIC_API_KEY: "sk-ant-1" })).toEqual({ kind: "anthropic", apiKey: "sk-ant-1", endpoint: "https://api.anthropic.com" });
    expect(chooseModel({ ANTHROPIC_API_KEY: "sk-ant-1", BOOKWRIGHT_BASE_URL: "http://proxy:8080" })).toMatchObject({ kind: "anthropic", baseUrl: "http://proxy:8080", endpoint: "http://proxy:8080" });
    expect(chooseModel({ BOOKWRIGHT_BASE_URL: "http://localhost:11434" })).toMatchObject({ kind: "local", baseUrl: "http://localhost:11434" });
    expect(chooseModel({}).kind).toBe("simulator");
    expect(chooseModel({ ANTHROPIC_API_KEY: "  ", BOOKWRIGHT_BASE_URL: "" }).kind).toBe("simulator");
    expect(chooseModel({ ANTHROPIC_API_KEY: "sk-ant-1" }, true).kind).toBe("simulator");
  });
});

describe("bookwright demo, as a process, with the simulator", () => {
  it("installs the plugin in a fresh vault, writes the first unwritten chapters, keeps revisions in the companion, exits, and starts afresh on a second run", async () => {
    const bundle = await bundleCli(await mkdtemp(nodePath.join(temp, "cli-")));
    const out = nodePath.join(temp, "out");
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", BOOKWRIGHT_DEVICE_ID: "demo-test" };
    delete env.ANTHROPIC_API_KEY;
    delete env.BOOKWRIGHT_BASE_URL;
    const args = ["demo", "--out", out, "--sample", sample, "--plugin", plugin, "--port", "0"];
    const sampleBefore = await snapshot(sample);

    const first = await runCli(bundle, args, { env });
    expect(first.code, first.stderr).toBe(0);
    // Loud at the start (a box) and at the end.
    expect(first.stdout).toMatch(/╔═+╗\n║ {2}NO MODEL CONNECTED: this demo writes with Bookwright's OFFLINE SIMULATOR/);
    expect(first.stdout).toMatch(/!! The chapters above are SIMULATOR PLACEHOLDER TEXT, not prose from a model/);
    expect(first.stdout).toContain("export ANTHROPIC_API_KEY=");
    expect(first.stdout).toContain("BOOKWRIGHT_BASE_URL=");

    const vault = nodePath.join(out, DEMO_VAULT_NAME);
    const pluginDir = nodePath.join(vault, NEW_VAULT_CONFIG_DIR, "plugins", "bookwright");
    expect((await readdir(pluginDir)).sort()).toEqual(["main.js", "manifest.json", "styles.css"]);
    expect(await readFile(nodePath.join(pluginDir, "main.js"), "utf8")).toContain("as built for this test");
    expect(JSON.parse(await readFile(nodePath.join(vault, NEW_VAULT_CONFIG_DIR, "community-plugins.json"), "utf8"))).toEqual(["bookwright"]);

    // Chapters 1 and 2 had text; 3 (a stub) and 4 and 5 (no notes at all) are written now.
    const nodeVault = new NodeVault(vault);
    const book = await loadBook(nodeVault, BOOK);
    const chapters = book.chapters.filter((c) => c.number !== null).sort((a, b) => a.number! - b.number!);
    expect(chapters.map((c) => c.number)).toEqual([1, 2, 3, 4, 5]);
    for (const c of chapters) {
      expect(c.words, c.path).toBeGreaterThan(0);
      expect(c.status, c.path).toBe("written");
    }
    for (const c of chapters.slice(2)) {
      expect(bodyOf(await nodeVault.read(c.path)).startsWith(SIMULATED_CHAPTER_NOTICE), c.path).toBe(true);
      expect(first.stdout).toContain(`${c.number} ${c.title}: ${c.words.toLocaleString("en")} words, written`);
    }
    expect(first.stdout).toMatch(/cost: +\$0\.0000 \(the simulator is free/);
    expect(first.stdout).toMatch(/companion: http:\/\/127\.0\.0\.1:\d+\/api\/v1: \d+ revisions of \d+ notes/);
    expect(first.stdout).toContain(`vault:     ${vault}`);

    // The companion's database, outside the vault, holds every chapter: as it was, and as the demo wrote it.
    const db = openDatabase(nodePath.join(out, "companion", "revisions.sqlite"));
    try {
      const store = new SqliteRevisionStore(db);
      for (const c of chapters) {
        const revisions = store.list(c.path);
        expect(revisions.length, c.path).toBeGreaterThan(0);
        expect(store.get(revisions[0]!.id)?.text, `${c.path}: the newest revision is the note as it is`).toBe(await nodeVault.read(c.path));
      }
      // The stub of chapter 3 was kept before the AI wrote over it.
      const chapter3 = chapters[2]!.path;
      const oldest = store.list(chapter3).at(-1)!;
      expect(bodyOf(store.get(oldest.id)!.text).trim()).toBe("");
      expect(oldest.source).toBe("cli");
      const total = store.notes().reduce((sum, note) => sum + store.list(note).length, 0);
      expect(first.stdout).toContain(`: ${total} revisions of ${store.notes().length} notes`);
    } finally {
      db.close();
    }
    expect(await snapshot(sample)).toEqual(sampleBefore);

    // Run again: the previous demo is replaced, said so, and the same chapters are written again.
    await writeFile(nodePath.join(vault, "left over.md"), "from the first run\n");
    const second = await runCli(bundle, args, { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("replaced the previous demo");
    await expect(readFile(nodePath.join(vault, "left over.md"))).rejects.toMatchObject({ code: "ENOENT" });
    const again = await loadBook(new NodeVault(vault), BOOK);
    expect(again.chapters.filter((c) => c.status === "written").length).toBe(5);
    expect(await snapshot(sample)).toEqual(sampleBefore);
  });
});

describe("bookwright demo, in-process, with a model", () => {
  let server: FakeAnthropic;
  let out: string;
  afterEach(async () => {
    await server.close();
    await rm(out, { recursive: true, force: true });
  });

  async function demo(env: Record<string, string>): Promise<{ out: string; err: string; exitCode: number; result: Awaited<ReturnType<typeof runDemo>> }> {
    const captured = { out: "", err: "", exitCode: 0 };
    const io: CommandIO = {
      out: (text) => (captured.out += `${text}\n`),
      err: (text) => (captured.err += `${text}\n`),
      cwd: () => temp,
      setExitCode: (code) => (captured.exitCode = code),
    };
    out = await mkdtemp(nodePath.join(temp, "model-"));
    const result = await runDemo({ out, sample, plugin, port: "0", chapters: "3" }, { io, env, display: { write: () => undefined } });
    return { ...captured, result };
  }

  it("BOOKWRIGHT_BASE_URL alone: writes through that server, with a placeholder key, and no simulator banner", async () => {
    server = await startFakeAnthropic();
    const run = await demo({ BOOKWRIGHT_BASE_URL: server.url });
    expect(run.exitCode, run.err).toBe(0);
    expect(run.result.model.kind).toBe("local");
    // Brief, draft, continuity, characters, timeline: at least one request each (SDK 1.x sends the key as a bearer token).
    expect(server.requests.length).toBeGreaterThanOrEqual(5);
    expect(server.requests.every((r) => r.headers.authorization === "Bearer local")).toBe(true);
    expect(run.out).toContain(`endpoint:  ${server.url}`);
    expect(run.out).not.toContain("SIMULATOR");
    expect(run.out).toMatch(/chapters: +3 The logbook: [\d,]+ words, written/);
  });

  it("ANTHROPIC_API_KEY: the Anthropic client with that key (here sent to the fake server), under a default cost cap", async () => {
    server = await startFakeAnthropic();
    const run = await demo({ ANTHROPIC_API_KEY: "sk-ant-demo-test", BOOKWRIGHT_BASE_URL: server.url });
    expect(run.exitCode, run.err).toBe(0);
    expect(run.result.model.kind).toBe("anthropic");
    expect(server.requests.length).toBeGreaterThanOrEqual(5);
    expect(server.requests.every((r) => r.headers.authorization === "Bearer sk-ant-demo-test")).toBe(true);
    expect(run.err).toContain("cap $2.00");
    expect(run.out).toContain("claude-sonnet-4-6 (architect, writer, continuity), claude-haiku-4-5 (timeline, characters)");
    expect(run.out).not.toContain("SIMULATOR");
  });

  it("refuses an output folder it did not make, and leaves it alone", async () => {
    server = await startFakeAnthropic();
    out = await mkdtemp(nodePath.join(temp, "mine-"));
    await writeFile(nodePath.join(out, "notes.md"), "mine\n");
    const io: CommandIO = { out: () => undefined, err: () => undefined, cwd: () => temp, setExitCode: () => undefined };
    await expect(runDemo({ out, sample, plugin, port: "0" }, { io, env: {} })).rejects.toThrow(/files the demo did not make/);
    expect(await readFile(nodePath.join(out, "notes.md"), "utf8")).toBe("mine\n");
    await expect(runDemo({ out: nodePath.dirname(sample), sample, plugin, port: "0" }, { io, env: {} })).rejects.toThrow(/overlaps the sample/);
  });
});
