import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MemoryVault } from "../testing/memory-vault";
import { MemoryRevisions, NoteRevisions } from "./revisions";
import { applyChapterText, bodyHash, bodyOf } from "./safe-write";

const CHAPTER = "Book/Chapters/01 Storm.md";
const NOTE = "---\nbookwright: chapter\nchapter: 1\nstatus: draft # keep this comment\n---\nThe storm came.\n";

/** A vault whose process() lets a test run the writer's edit between the job's read and its write. */
class EditingVault extends MemoryVault {
  beforeNextProcess: (() => Promise<void>) | null = null;
  override async process(path: string, update: (current: string) => string): Promise<string> {
    const edit = this.beforeNextProcess;
    this.beforeNextProcess = null;
    if (edit) await edit();
    return super.process(path, update);
  }
}

function clock(start = 1_000): { now: () => number; advance: () => void } {
  let t = start;
  return { now: () => t, advance: () => void (t += 1000) };
}

describe("bodyOf / bodyHash", () => {
  it("hashes only what follows the frontmatter (and a BOM)", () => {
    expect(bodyOf(NOTE)).toBe("The storm came.\n");
    expect(bodyOf("\uFEFFplain")).toBe("plain");
    expect(bodyHash(NOTE)).toBe(bodyHash(NOTE.replace("draft", "revised")));
    expect(bodyHash(NOTE)).not.toBe(bodyHash(NOTE.replace("storm", "calm")));
  });
});

describe("applyChapterText", () => {
  it("replaces only the body, keeping the frontmatter bytes, and saves both revisions first", async () => {
    const vault = new MemoryVault().seed({ [CHAPTER]: NOTE });
    const revisions = new MemoryRevisions();
    const result = await applyChapterText(vault, revisions, {
      path: CHAPTER, expectedHash: bodyHash(NOTE), body: "The sea rose.\n", jobId: "j1", now: 5,
    });
    expect(result).toEqual({ outcome: "written", path: CHAPTER, revisionIds: ["rev-1", "rev-2"] });
    expect(await vault.read(CHAPTER)).toBe(NOTE.replace("The storm came.\n", "The sea rose.\n"));
    expect(revisions.saved.map((r) => [r.reason, r.text, r.jobId, r.at])).toEqual([
      ["ai-output", "The sea rose.\n", "j1", 5],
      ["before-ai-write", NOTE, "j1", 5],
    ]);
  });

  it("keeps the writer's edit made between the job's read and its write, and keeps the AI text as a take", async () => {
    const vault = new EditingVault().seed({ [CHAPTER]: NOTE });
    const revisions = new NoteRevisions(vault, "Book");
    const expectedHash = bodyHash(await vault.read(CHAPTER)); // the job starts
    const edited = NOTE.replace("The storm came.", "The storm came, and I wrote this myself.");
    vault.beforeNextProcess = async () => {
      await vault.process(CHAPTER, () => edited);
    };
    const result = await applyChapterText(vault, revisions, {
      path: CHAPTER, expectedHash, body: "The sea rose.\n", jobId: "j1", now: Date.UTC(2026, 0, 1),
    });
    expect(result.outcome).toBe("alternative-take");
    expect(result.path).toBe("Book/Chapters/01 Storm (AI take).md");
    expect(await vault.read(CHAPTER)).toBe(edited);
    expect(await vault.read(result.path)).toBe(
      "---\nbookwright: chapter\nchapter: 1\nstatus: draft # keep this comment\ntake_of: \"[[01 Storm]]\"\n---\nThe sea rose.\n",
    );
    const saved = await revisions.list(CHAPTER);
    expect(saved.map((r) => [r.reason, r.text])).toEqual([
      ["ai-output", "The sea rose.\n"],
      ["before-ai-write", NOTE],
    ]);
    expect(result.revisionIds).toEqual(saved.map((r) => r.id));
  });

  it("numbers further takes instead of overwriting one", async () => {
    const vault = new MemoryVault().seed({ [CHAPTER]: NOTE, "Book/Chapters/01 Storm (AI take).md": "an earlier take" });
    const revisions = new MemoryRevisions();
    const stale = "0000000000000000";
    const second = await applyChapterText(vault, revisions, { path: CHAPTER, expectedHash: stale, body: "B", jobId: "j2", now: 1 });
    const third = await applyChapterText(vault, revisions, { path: CHAPTER, expectedHash: stale, body: "C", jobId: "j3", now: 2 });
    expect([second.path, third.path]).toEqual(["Book/Chapters/01 Storm (AI take 2).md", "Book/Chapters/01 Storm (AI take 3).md"]);
    expect(await vault.read("Book/Chapters/01 Storm (AI take).md")).toBe("an earlier take");
    expect(await vault.read(CHAPTER)).toBe(NOTE);
  });

  it("writes CRLF into a CRLF note and keeps its BOM", async () => {
    const note = "\uFEFF---\r\nbookwright: chapter\r\n---\r\nOld line one.\r\nOld line two.\r\n";
    const vault = new MemoryVault().seed({ [CHAPTER]: note });
    const result = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: bodyHash(note), body: "New one.\nNew two.\n", jobId: "j", now: 1,
      frontmatter: { status: "drafted" },
    });
    expect(result.outcome).toBe("written");
    expect(await vault.read(CHAPTER)).toBe("\uFEFF---\r\nbookwright: chapter\r\nstatus: drafted\r\n---\r\nNew one.\r\nNew two.\r\n");
  });

  it("keeps the BOM and CRLF of a note without frontmatter, and of its alternative take", async () => {
    const note = "\uFEFFOld.\r\nText.\r\n";
    const vault = new MemoryVault().seed({ [CHAPTER]: note });
    const written = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: bodyHash(note), body: "A\nB\n", jobId: "j", now: 1,
    });
    expect(written.outcome).toBe("written");
    expect(await vault.read(CHAPTER)).toBe("\uFEFFA\r\nB\r\n");
    const take = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: bodyHash(note), body: "C\nD", jobId: "j2", now: 2,
    });
    expect(take.outcome).toBe("alternative-take");
    expect(await vault.read(take.path)).toBe('\uFEFF---\r\ntake_of: "[[01 Storm]]"\r\n---\r\nC\r\nD');
  });

  it("writes nothing when the chapter already says it (no mtime change), e.g. a job resumed after its write", async () => {
    const time = clock();
    const vault = new MemoryVault({ now: time.now }).seed({ [CHAPTER]: NOTE });
    const startHash = bodyHash(NOTE);
    const first = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: startHash, body: "The sea rose.\n", jobId: "j", now: 1, frontmatter: { status: "drafted" },
    });
    expect(first.outcome).toBe("written");
    const mtime = (await vault.stat(CHAPTER))?.mtime;
    const text = await vault.read(CHAPTER);
    time.advance();
    // The same job again, with the hash it recorded before its first write: no take, no write.
    const again = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: startHash, body: "The sea rose.\n", jobId: "j", now: 2, frontmatter: { status: "drafted" },
    });
    expect(again.outcome).toBe("unchanged");
    expect(again.revisionIds).toHaveLength(1); // the AI output only: nothing is replaced
    expect((await vault.stat(CHAPTER))?.mtime).toBe(mtime);
    expect(await vault.read(CHAPTER)).toBe(text);
  });

  it("updates the given frontmatter keys without touching the others", async () => {
    const note = "---\nbookwright: chapter\npov: Anna # her eyes only\nstale: yes\nwords: 10\n---\nThe storm came.\n";
    const vault = new MemoryVault().seed({ [CHAPTER]: note });
    const result = await applyChapterText(vault, new MemoryRevisions(), {
      path: CHAPTER, expectedHash: bodyHash(note), body: "The storm came.\n", jobId: "j", now: 1,
      frontmatter: { words: 3, stale: undefined, summary: "A storm." },
    });
    expect(result.outcome).toBe("written");
    expect(await vault.read(CHAPTER)).toBe("---\nbookwright: chapter\npov: Anna # her eyes only\nwords: 3\nsummary: A storm.\n---\nThe storm came.\n");
  });

  it("touches nothing when the chapter is missing, but has kept the AI output", async () => {
    const vault = new MemoryVault();
    const revisions = new MemoryRevisions();
    await expect(
      applyChapterText(vault, revisions, { path: CHAPTER, expectedHash: "x", body: "AI", jobId: "j", now: 1 }),
    ).rejects.toThrow(/no such file/);
    expect(revisions.saved.map((r) => r.text)).toEqual(["AI"]);
    expect(await vault.list()).toEqual([]);
  });
});

type Step = { kind: "type" } | { kind: "start"; job: number } | { kind: "finish"; job: number; wait: boolean };

/** Random schedules: typing, and AI jobs whose finish comes at some later step (awaited or not). */
const schedules = fc
  .array(fc.record({ ai: fc.boolean(), delay: fc.nat(6), wait: fc.boolean() }), { minLength: 1, maxLength: 14 })
  .map((tokens) => {
    const steps: Step[] = [];
    const finishes: { at: number; step: Step }[] = [];
    tokens.forEach((token, index) => {
      for (const due of finishes.filter((f) => f.at === index)) steps.push(due.step);
      if (token.ai) {
        steps.push({ kind: "start", job: index });
        finishes.push({ at: index + 1 + token.delay, step: { kind: "finish", job: index, wait: token.wait } });
      } else {
        steps.push({ kind: "type" });
      }
    });
    for (const due of finishes.filter((f) => f.at >= tokens.length)) steps.push(due.step);
    return steps;
  });

describe("applyChapterText under random interleavings of typing and AI writes", () => {
  it("never loses a typed sentinel, and keeps every AI text somewhere", async () => {
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(schedules, fc.boolean(), async (steps, crlf) => {
        const eol = crlf ? "\r\n" : "\n";
        const vault = new MemoryVault().seed({ [CHAPTER]: `---${eol}bookwright: chapter${eol}---${eol}Start.` });
        const revisions = new NoteRevisions(vault, "Book");
        const typed: string[] = [];
        const aiTexts: string[] = [];
        const started = new Map<number, { hash: string; body: string }>();
        const pending: Promise<unknown>[] = [];
        for (const step of steps) {
          if (step.kind === "type") {
            const sentinel = `TYPED${typed.length}`;
            typed.push(sentinel);
            // The writer types at the end of the chapter.
            pending.push(vault.process(CHAPTER, (text) => `${text} ${sentinel}`));
          } else if (step.kind === "start") {
            const text = await vault.read(CHAPTER);
            started.set(step.job, { hash: bodyHash(text), body: bodyOf(text) });
          } else {
            const job = started.get(step.job)!;
            // The AI continues the chapter it saw when the job started.
            const body = `${job.body.replace(/\r\n/g, "\n")} AI${step.job}.`;
            aiTexts.push(`AI${step.job}.`);
            const write = applyChapterText(vault, revisions, {
              path: CHAPTER, expectedHash: job.hash, body, jobId: `job${step.job}`, now: step.job,
            });
            const noted = write.then((r) => outcomes.add(r.outcome));
            if (step.wait) await noted;
            else pending.push(noted);
          }
        }
        await Promise.all(pending);

        const chapter = await vault.read(CHAPTER);
        for (const sentinel of typed) expect(chapter).toContain(sentinel);
        expect(chapter.startsWith(`---${eol}bookwright: chapter${eol}---${eol}`)).toBe(true);
        if (crlf) expect(chapter.replace(/\r\n/g, "")).not.toMatch(/\n/);

        const takes = (await vault.list("Book/Chapters")).filter((f) => f.path.includes("(AI take"));
        const takeTexts = await Promise.all(takes.map((f) => vault.read(f.path)));
        const revisionTexts = (await revisions.list(CHAPTER)).map((r) => r.text);
        for (const ai of aiTexts) {
          const kept = chapter.includes(ai) || takeTexts.some((t) => t.includes(ai)) || revisionTexts.some((t) => t.includes(ai));
          expect(kept).toBe(true);
          // Stored as a revision, always, whatever happened to the note.
          expect(revisionTexts.some((t) => t.includes(ai))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    // The schedules must have reached both sides of the compare-and-swap, or the property proves little.
    expect(outcomes).toEqual(new Set(["written", "alternative-take"]));
  });
});
