import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { MemoryRevisions, NoteRevisions, revisionTimeStamp } from "./revisions";

const AT = Date.UTC(2026, 10, 25, 21, 16, 52, 123);
const CHAPTER = "My Book/Chapters/01 Storm.md";

describe("NoteRevisions", () => {
  it("stores a revision as a note under <book>/Revisions/<stem>/ with its frontmatter and the text verbatim", async () => {
    const vault = new MemoryVault();
    const revisions = new NoteRevisions(vault, "My Book");
    const text = "---\r\nbookwright: chapter\r\n---\r\nThe storm came.\r\n";
    const saved = await revisions.save({ notePath: CHAPTER, text, reason: "before-ai-write", jobId: "job-7", at: AT });
    expect(saved.path).toBe("My Book/Revisions/01 Storm/2026-11-25T21-16-52.123Z before-ai-write.md");
    expect(saved.id).toBe(saved.path);
    const stored = await vault.read(saved.path);
    expect(stored).toBe(
      "---\nbookwright: revision\nnote: \"[[My Book/Chapters/01 Storm]]\"\nreason: before-ai-write\njob: job-7\nat: 2026-11-25T21:16:52.123Z\n---\n" + text,
    );
  });

  it("never overwrites: two revisions with the same time and reason get distinct names, even when saved at once", async () => {
    const vault = new MemoryVault();
    const revisions = new NoteRevisions(vault, "My Book");
    const saves = await Promise.all(
      ["one", "two", "three"].map((text) => revisions.save({ notePath: CHAPTER, text, reason: "ai-output", at: AT })),
    );
    expect(new Set(saves.map((s) => s.path)).size).toBe(3);
    expect(saves[1]?.path).toMatch(/ ai-output 2\.md$/);
    const texts = (await revisions.list(CHAPTER)).map((r) => r.text).sort();
    expect(texts).toEqual(["one", "three", "two"]);
  });

  it("lists a note's revisions oldest first, round-tripping reason, job and time", async () => {
    const vault = new MemoryVault();
    const revisions = new NoteRevisions(vault, "My Book");
    await revisions.save({ notePath: CHAPTER, text: "later", reason: "ai-output", jobId: "j2", at: AT + 1000 });
    await revisions.save({ notePath: CHAPTER, text: "earlier\n", reason: "before-ai-write", at: AT });
    const listed = await revisions.list(CHAPTER);
    expect(listed.map((r) => [r.text, r.reason, r.jobId, r.at])).toEqual([
      ["earlier\n", "before-ai-write", undefined, AT],
      ["later", "ai-output", "j2", AT + 1000],
    ]);
    expect(listed[0]?.notePath).toBe(CHAPTER);
  });

  it("keeps apart same-named chapters and ignores the writer's own notes in the folder", async () => {
    const vault = new MemoryVault();
    const revisions = new NoteRevisions(vault, "My Book");
    await revisions.save({ notePath: CHAPTER, text: "mine", reason: "ai-output", at: AT });
    await revisions.save({ notePath: "My Book/Drafts/01 Storm.md", text: "other", reason: "ai-output", at: AT });
    vault.seed({ "My Book/Revisions/01 Storm/notes.md": "my own thoughts" });
    expect((await revisions.list(CHAPTER)).map((r) => r.text)).toEqual(["mine"]);
    expect(await new NoteRevisions(vault, "My Book").list("My Book/Chapters/02 Calm.md")).toEqual([]);
  });

  it("makes the chapter stem safe for a folder name", async () => {
    const vault = new MemoryVault();
    const revisions = new NoteRevisions(vault, "Book");
    const saved = await revisions.save({ notePath: "Book/Ch #1 [draft].md", text: "x", reason: "ai-output", at: AT });
    expect(saved.path.startsWith("Book/Revisions/Ch 1 draft/")).toBe(true);
  });

  it("uses a time stamp without characters Windows forbids", () => {
    expect(revisionTimeStamp(AT)).toBe("2026-11-25T21-16-52.123Z");
  });
});

describe("MemoryRevisions", () => {
  it("keeps every revision and lists them per note", async () => {
    const revisions = new MemoryRevisions();
    const a = await revisions.save({ notePath: "a.md", text: "1", reason: "ai-output", at: 2 });
    const b = await revisions.save({ notePath: "a.md", text: "0", reason: "before-ai-write", at: 1 });
    await revisions.save({ notePath: "b.md", text: "x", reason: "ai-output", at: 1 });
    expect(a.id).not.toBe(b.id);
    expect((await revisions.list("a.md")).map((r) => r.text)).toEqual(["0", "1"]);
  });
});
