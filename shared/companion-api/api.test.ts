import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CaptureRequest, DiffQuery, ListRevisionsQuery, NotePath, notePathProblem, RevisionId } from "./api";

describe("NotePath", () => {
  it.each([
    ["Book/Chapters/01 Storm.md", "Book/Chapters/01 Storm.md"],
    ["Book\\Chapters\\01.md", "Book/Chapters/01.md"],
    ["Book//Chapters/./01.md", "Book/Chapters/01.md"],
    ["./note.md", "note.md"],
    ["Émile — chapitre 1.MD", "Émile — chapitre 1.MD"],
  ])("accepts and normalises %j", (input, expected) => {
    expect(NotePath.parse(input)).toBe(expected);
  });

  it.each([
    ["empty", ""],
    ["absolute POSIX", "/etc/passwd.md"],
    ["absolute Windows", "C:\\Windows\\win.md"],
    ["drive-relative", "C:note.md"],
    ["UNC", "\\\\server\\share\\note.md"],
    ["leading backslash", "\\note.md"],
    ["parent segment", "../secret.md"],
    ["parent segment inside", "Book/../../secret.md"],
    ["backslash parent", "..\\secret.md"],
    ["mixed parent", "Book\\..\\..\\secret.md"],
    ["NUL", "note.md\0.txt"],
    ["control character", "no\nte.md"],
    ["unpaired surrogate", "note\uD800.md"],
    ["hidden folder", ".config/plugins/x/data.md"],
    ["trash", ".trash/old.md"],
    ["not Markdown", "Book/cover.png"],
    ["the vault itself", "./"],
    ["a name too long", `${"é".repeat(130)}.md`],
  ])("refuses %s", (_name, input) => {
    expect(notePathProblem(input)).not.toBeNull();
    const result = NotePath.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^note path /);
  });

  it("never yields a path that leaves the vault, whatever the input (property)", () => {
    const pieces = fc.constantFrom("..", ".", "/", "\\", "a", "b.md", "C:", "%2e", "\0", " ", "\u00a0", ".md");
    const input = fc.oneof(fc.array(pieces, { maxLength: 12 }).map((p) => p.join("")), fc.string({ unit: "binary", maxLength: 40 }));
    fc.assert(
      fc.property(input, (path) => {
        const result = NotePath.safeParse(path);
        if (!result.success) return;
        const parsed = result.data;
        expect(parsed.startsWith("/")).toBe(false);
        expect(parsed.split("/")).not.toContain("..");
        expect(parsed.includes("\\")).toBe(false);
        expect(parsed.includes("\0")).toBe(false);
        expect(parsed).toMatch(/\.md$/i);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("request schemas", () => {
  it("says plainly when the note is missing or not a string", () => {
    expect(ListRevisionsQuery.safeParse({}).error?.issues[0]?.message).toBe("note is required");
    expect(CaptureRequest.safeParse({ note: 5 }).error?.issues[0]?.message).toBe("note must be a string (a vault-relative path)");
  });

  it("RevisionId takes opaque ids and refuses anything path-like", () => {
    expect(RevisionId.safeParse("rev-00001").success).toBe(true);
    expect(RevisionId.safeParse("01JD3Z6Q2W_x").success).toBe(true);
    for (const bad of ["", "../x", "a/b", "a.b", "%2e%2e", "a b", "x".repeat(129)]) expect(RevisionId.safeParse(bad).success).toBe(false);
  });

  it("ListRevisionsQuery reads limit as a bounded whole number", () => {
    expect(ListRevisionsQuery.parse({ note: "a.md", limit: "20" })).toEqual({ note: "a.md", limit: 20 });
    for (const limit of ["0", "-1", "1.5", "abc", "501", "", "1e3"]) {
      const result = ListRevisionsQuery.safeParse({ note: "a.md", limit });
      expect(result.success, limit).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(["limit"]);
    }
  });

  it("CaptureRequest names the bad field", () => {
    const result = CaptureRequest.safeParse({ note: "a.md", text: 5 });
    expect(result.error?.issues[0]?.path).toEqual(["text"]);
    expect(CaptureRequest.safeParse({ note: "a.md", idempotencyKey: "has space" }).success).toBe(false);
    expect(CaptureRequest.parse({ note: "a\\b.md", text: "t", extra: 1 })).toEqual({ note: "a/b.md", text: "t" });
  });

  it("DiffQuery takes current or a revision id", () => {
    expect(DiffQuery.parse({ against: "current" })).toEqual({ against: "current" });
    expect(DiffQuery.parse({})).toEqual({});
    expect(DiffQuery.safeParse({ against: "../../x" }).success).toBe(false);
  });
});
