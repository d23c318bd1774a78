/**
 * CompanionOrVaultRevisions against the real companion app (an in-memory revision store over a temp vault)
 * listening on 127.0.0.1, reached through the stand-in of Obsidian's requestUrl; and the plugin's queue
 * writing a chapter with it, through the QueueController as the "Generate chapters…" command does.
 */
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { makeFixture, TOKEN, type Fixture } from "../../companion/server/test-support";
import { AnthropicLlm } from "../../shared/llm/anthropic-llm";
import { NoteRevisions, type Revision } from "../../shared/queue/revisions";
import { applyChapterText, bodyHash, bodyOf } from "../../shared/queue/safe-write";
import { MemoryVault } from "../../shared/testing/memory-vault";
import { VaultError } from "../../shared/vault/vault-files";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { createStubApp } from "../../test/obsidian-stub/obsidian";
import { QueueController, type ControllerEvent } from "../queue/queue-controller";
import { buildJobsBatch } from "../queue/single-jobs";
import { DEFAULT_SETTINGS, type BookwrightSettings } from "../settings";
import { ObsidianVault } from "../vault/obsidian-vault";
import { CompanionClient, companionFromSettings } from "./client";
import { BEFORE_AI_WRITE_LABEL, CompanionOrVaultRevisions, companionIdempotencyKey, type RevisionFallback } from "./companion-revisions";

const BOOK = "The Salt Road";
const CHAPTER = `${BOOK}/Chapters/01 The gate.md`;
const WRITERS_TEXT = "---\nbookwright: chapter\nchapter: 1\ntitle: The gate\nstatus: written\n---\nMara counted the steps to the gate: four hundred and twelve. The guard did not look up.\n";

let fixture: Fixture;
let baseUrl: string;
/** The address of a companion that was started and then stopped: nothing listens there any more. */
let stoppedUrl: string;

beforeAll(async () => {
  // The client's timer is the window's, as in Obsidian; these tests run in Node.
  vi.stubGlobal("window", { setTimeout, clearTimeout });
  fixture = await makeFixture({ port: 0 });
  await fixture.app.listen({ host: "127.0.0.1", port: 0 });
  baseUrl = `http://127.0.0.1:${(fixture.app.server.address() as AddressInfo).port}`;
  const stopped = await makeFixture({ port: 0 });
  await stopped.app.listen({ host: "127.0.0.1", port: 0 });
  stoppedUrl = `http://127.0.0.1:${(stopped.app.server.address() as AddressInfo).port}`;
  await stopped.cleanup();
});

afterAll(async () => {
  await fixture.cleanup();
  vi.unstubAllGlobals();
});

let clock = Date.parse("2026-11-25T10:00:00Z");
const now = () => (clock += 1000);

function beforeWrite(text: string, jobId = "b1/write/1", notePath = CHAPTER): Revision {
  return { notePath, text, reason: "before-ai-write", jobId, at: now() };
}

interface Setup {
  vault: MemoryVault;
  revisions: CompanionOrVaultRevisions;
  fallbacks: RevisionFallback[];
}

function setup(companion: () => CompanionClient | null, vault = new MemoryVault()): Setup {
  const fallbacks: RevisionFallback[] = [];
  const revisions = new CompanionOrVaultRevisions({ companion, vault: new NoteRevisions(vault, BOOK), onFallback: (f) => fallbacks.push(f) });
  return { vault, revisions, fallbacks };
}

const companion = () => new CompanionClient({ baseUrl, token: TOKEN });

/** The texts of the vault's revision notes of the chapter, by reason. */
async function vaultRevisions(vault: MemoryVault, reason: Revision["reason"], note = CHAPTER): Promise<string[]> {
  return (await new NoteRevisions(vault, BOOK).list(note)).filter((r) => r.reason === reason).map((r) => r.text);
}

describe("CompanionOrVaultRevisions with the companion answering", () => {
  it("keeps a before-AI-write revision in the companion's store, with its note, text and label", async () => {
    const note = `${BOOK}/Chapters/02 The well.md`;
    const { vault, revisions, fallbacks } = setup(companion);
    const saved = await revisions.save(beforeWrite("The well was dry by noon.\n", "b1/write/2", note));
    expect(saved.path).toBeUndefined();
    const stored = fixture.store.get(saved.id);
    expect(stored).toMatchObject({ note, text: "The well was dry by noon.\n", source: "plugin", label: BEFORE_AI_WRITE_LABEL });
    expect(fixture.store.list(note).map((r) => r.id)).toEqual([saved.id]);
    // Nothing went to the vault and nobody was told anything.
    expect(await vault.exists(`${BOOK}/Revisions`)).toBe(false);
    expect(fallbacks).toEqual([]);
  });

  it("keeps AI drafts in the vault, where list() finds them (the companion's watcher keeps the written chapter)", async () => {
    const note = `${BOOK}/Chapters/03 The road.md`;
    const { vault, revisions } = setup(companion);
    const saved = await revisions.save({ notePath: note, text: "The road ran south.\n", reason: "ai-output", jobId: "b1/write/3", at: now() });
    expect(saved.path).toMatch(/^The Salt Road\/Revisions\/03 The road\/.* ai-output\.md$/);
    expect(fixture.store.list(note)).toEqual([]);
    expect(await vaultRevisions(vault, "ai-output", note)).toEqual(["The road ran south.\n"]);
    expect((await revisions.list(note)).map((r) => r.reason)).toEqual(["ai-output"]);
  });

  it("stores one revision when a save is retried, even after the note changed in between", async () => {
    const note = `${BOOK}/Chapters/04 The ford.md`;
    const { revisions } = setup(companion);
    const rev = beforeWrite("They crossed at the ford.\n", "b1/write/4", note);
    const first = await revisions.save(rev);
    // The watcher keeps an edit, so the retry's text is no longer the note's latest: only the key matches it.
    fixture.store.capture({ note, text: "They crossed at the ford at dusk.\n", source: "watcher" });
    const retried = await revisions.save({ ...rev, at: now() });
    expect(retried.id).toBe(first.id);
    expect(fixture.store.list(note).filter((r) => r.source === "plugin")).toHaveLength(1);
    // The same job keeping a different text (the writer changed the note before a re-apply) keeps that too.
    const changed = await revisions.save(beforeWrite("They waded the ford.\n", "b1/write/4", note));
    expect(changed.id).not.toBe(first.id);
    expect(fixture.store.get(changed.id)?.text).toBe("They waded the ford.\n");
  });

  it("derives the key from the job, the note, the reason and the text, within the companion's limits", () => {
    const rev = beforeWrite("Text.\n", "2026-11-25-abcdef12/write/1", `${BOOK}/Chapters/01 Café “Nord”.md`);
    const key = companionIdempotencyKey(rev)!;
    expect(key).toMatch(/^[\x21-\x7e]{1,200}$/);
    expect(companionIdempotencyKey({ ...rev, at: rev.at + 5 })).toBe(key);
    expect(companionIdempotencyKey({ ...rev, jobId: "2026-11-25-abcdef12/write/2" })).not.toBe(key);
    expect(companionIdempotencyKey({ ...rev, notePath: `${BOOK}/Chapters/02 Other.md` })).not.toBe(key);
    expect(companionIdempotencyKey({ ...rev, text: "Other.\n" })).not.toBe(key);
    const { jobId: _none, ...withoutJob } = rev;
    expect(companionIdempotencyKey(withoutJob)).toBeUndefined();
  });
});

describe("CompanionOrVaultRevisions falling back to the vault", () => {
  it("with the companion stopped: vault notes, exact texts, and one notice for the batch", async () => {
    const { vault, revisions, fallbacks } = setup(() => new CompanionClient({ baseUrl: stoppedUrl, token: TOKEN }));
    const a = await revisions.save(beforeWrite(WRITERS_TEXT, "b1/write/1"));
    const b = await revisions.save(beforeWrite("Second chapter, as the writer left it.\n", "b1/write/2", `${BOOK}/Chapters/02 The well.md`));
    expect(a.path).toMatch(/^The Salt Road\/Revisions\/01 The gate\/.* before-ai-write\.md$/);
    expect(b.path).toMatch(/^The Salt Road\/Revisions\/02 The well\//);
    expect(await vaultRevisions(vault, "before-ai-write")).toEqual([WRITERS_TEXT]);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]!.reason).toBe(`the companion is not running at ${stoppedUrl}; start it with \`bookwright companion --vault <your vault folder>\``);
    expect(fallbacks[0]!.saved).toEqual(a);
  });

  it("when the companion refuses the token", async () => {
    const { vault, revisions, fallbacks } = setup(() => new CompanionClient({ baseUrl, token: "not-the-token" }));
    await revisions.save(beforeWrite(WRITERS_TEXT));
    expect(await vaultRevisions(vault, "before-ai-write")).toEqual([WRITERS_TEXT]);
    expect(fallbacks.map((f) => f.reason)).toEqual(["the companion refused the token; choose the companion token secret in settings"]);
  });

  it("when the companion refuses the note, in its own words", async () => {
    const { vault, revisions, fallbacks } = setup(companion);
    // The companion keeps only Markdown notes outside hidden folders.
    const odd = `${BOOK}/.drafts/01 The gate.md`;
    await revisions.save(beforeWrite("Hidden draft.\n", "b1/write/1", odd));
    expect(await vaultRevisions(vault, "before-ai-write", odd)).toEqual(["Hidden draft.\n"]);
    expect(fallbacks[0]!.reason).toMatch(/^the companion refused it \(invalid body\.note: note path must not be in a hidden folder/);
  });

  it("when the companion's token secret is gone", async () => {
    // A secret chosen in the settings and since deleted: companionFromSettings throws.
    const { vault, revisions, fallbacks } = setup(() => companionFromSettings(createStubApp(), { companionUrl: baseUrl, companionTokenSecret: "companion-token" }));
    await revisions.save(beforeWrite(WRITERS_TEXT));
    expect(await vaultRevisions(vault, "before-ai-write")).toEqual([WRITERS_TEXT]);
    expect(fallbacks.map((f) => f.reason)).toEqual(['the secret "companion-token" chosen for the companion token is empty or gone; choose it again in settings']);
  });

  it("keeps revisions in the vault without a word when no companion is set up", async () => {
    const { vault, revisions, fallbacks } = setup(() => null);
    await revisions.save(beforeWrite(WRITERS_TEXT));
    expect(await vaultRevisions(vault, "before-ai-write")).toEqual([WRITERS_TEXT]);
    expect(fallbacks).toEqual([]);
  });

  it("refuses the AI write when neither the companion nor the vault kept the text it replaces", async () => {
    /** A vault that cannot write before-AI-write revision notes (a full disk, say), and nothing else wrong. */
    class RefusingVault extends MemoryVault {
      override create(path: string, text: string): Promise<void> {
        if (path.includes("before-ai-write")) return Promise.reject(new VaultError("io", path, "disk full"));
        return super.create(path, text);
      }
    }
    const vault = new RefusingVault().seed({ [CHAPTER]: WRITERS_TEXT });
    const { revisions, fallbacks } = setup(() => new CompanionClient({ baseUrl: stoppedUrl, token: TOKEN }), vault);
    const write = applyChapterText(vault, revisions, { path: CHAPTER, expectedHash: bodyHash(WRITERS_TEXT), body: "An AI chapter.\n", jobId: "b1/write/1", now: now() });
    await expect(write).rejects.toThrow(/^the text before the AI write could not be kept: the companion is not running at .*, and the vault refused it too \(/);
    expect(await vault.read(CHAPTER)).toBe(WRITERS_TEXT);
    expect(fallbacks).toEqual([]);
  });
});

describe("the plugin's queue with the companion", () => {
  const NOTES: Record<string, string> = {
    [`${BOOK}/Book.md`]: "---\nbookwright: book\ntitle: The Salt Road\nauthor: Ann Example\nlanguage: en\nplanned_chapters: 10\n---\nA novel.\n",
    [`${BOOK}/Story Bible.md`]: "---\nbookwright: story-bible\npov: close third\ntense: past\n---\nPremise: Mara Quill walks the salt road to find her brother.\n",
    [`${BOOK}/Outline.md`]: "---\nbookwright: outline\n---\n" + Array.from({ length: 10 }, (_, i) => `${i + 1}. Mara reaches waypoint ${i + 1}.`).join("\n") + "\n",
    [`${BOOK}/Characters/Mara.md`]: "---\nbookwright: character\nname: Mara Quill\naliases: [Mara]\nrole: protagonist\nstatus: alive\n---\nA surveyor; counts her steps.\n",
    [CHAPTER]: WRITERS_TEXT,
    [`${BOOK}/Chapters/02 The well.md`]: "---\nbookwright: chapter\nchapter: 2\ntitle: The well\nstatus: written\n---\nThe well was dry by noon, and Mara sat on its rim.\n",
  };

  let server: FakeAnthropic;
  beforeEach(async () => {
    server = await startFakeAnthropic({ minCacheableTokens: 50 });
  });
  afterEach(async () => {
    await server.close();
  });

  /** Briefs and writes chapters 1 and 2 of a book whose chapters hold the writer's text, through the controller. */
  async function generate(settings: Partial<BookwrightSettings>): Promise<{ vault: ObsidianVault; events: ControllerEvent[] }> {
    const app = createStubApp();
    app.secretStorage.setSecret("companion-token", TOKEN);
    const vault = new ObsidianVault(app);
    for (const [path, text] of Object.entries(NOTES)) await vault.write(path, text);
    const all: BookwrightSettings = { ...DEFAULT_SETTINGS, costCapUsd: null, companionTokenSecret: "companion-token", ...settings };
    const controller = new QueueController({ app, vault, settings: () => all, llm: new AnthropicLlm({ apiKey: "test", baseURL: server.url, maxRetries: 0 }), now });
    const events: ControllerEvent[] = [];
    controller.subscribe((e) => events.push(e));
    const state = buildJobsBatch({ batchId: controller.newBatchId(), bookFolder: BOOK, deviceId: controller.deviceId, chapters: [1, 2], kinds: ["brief", "write"], now: now() });
    await controller.startState(BOOK, state, 2);
    const final = await controller.state(BOOK);
    expect(final?.jobs.map((j) => [j.id, j.state])).toEqual(state.jobs.map((j) => [j.id, "succeeded"]));
    return { vault, events };
  }

  it("a generated chapter's previous text can be read back from the companion after the AI write", async () => {
    const { vault, events } = await generate({ companionUrl: baseUrl });
    const written = await vault.read(CHAPTER);
    expect(bodyOf(written)).not.toBe(bodyOf(WRITERS_TEXT));
    const kept = fixture.store.list(CHAPTER).filter((r) => r.label === BEFORE_AI_WRITE_LABEL);
    expect(kept).toHaveLength(1);
    // Read back through the client, as the revisions modal does.
    const revision = await companion().getRevision(kept[0]!.id);
    expect(revision).toMatchObject({ note: CHAPTER, source: "plugin", text: WRITERS_TEXT });
    // The draft is in the vault as before; the text it replaced is not, and the writer was told nothing.
    const vault2 = new NoteRevisions(vault, BOOK);
    expect((await vault2.list(CHAPTER)).map((r) => r.reason)).toEqual(["ai-output"]);
    expect(events.filter((e) => e.type === "notice")).toEqual([]);
  });

  it("with the companion stopped, the chapters' previous texts are vault notes and the writer is told once", async () => {
    const { vault, events } = await generate({ companionUrl: stoppedUrl });
    const revisions = new NoteRevisions(vault, BOOK);
    expect((await revisions.list(CHAPTER)).filter((r) => r.reason === "before-ai-write").map((r) => r.text)).toEqual([WRITERS_TEXT]);
    expect((await revisions.list(`${BOOK}/Chapters/02 The well.md`)).filter((r) => r.reason === "before-ai-write")).toHaveLength(1);
    const notices = events.flatMap((e) => (e.type === "notice" ? [e.notice] : []));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.jobId).toMatch(/^write-[12]$/);
    expect(notices[0]!.chapter).toBe(Number(notices[0]!.jobId.slice("write-".length)));
    expect(notices[0]!.path).toMatch(/^The Salt Road\/Revisions\//);
    expect(notices[0]!.message).toBe(
      `Revisions before AI writes went to the vault (The Salt Road/Revisions) because the companion is not running at ${stoppedUrl}; start it with \`bookwright companion --vault <your vault folder>\`.`,
    );
  });
});
