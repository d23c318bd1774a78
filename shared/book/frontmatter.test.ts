import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findFrontmatter, parseFlatYaml, parseFrontmatter, setFrontmatterKeys } from "./frontmatter";

const P = "Book/Chapters/01.md";

describe("parseFrontmatter", () => {
  it("reads LF, CRLF and BOM notes alike", () => {
    for (const text of ["---\ntitle: Storm\nchapter: 1\n---\nBody", "\uFEFF---\r\ntitle: Storm\r\nchapter: 1\r\n---\r\nBody"]) {
      const parsed = parseFrontmatter(P, text);
      expect(parsed.diagnostics).toEqual([]);
      expect(parsed.data).toEqual({ title: "Storm", chapter: 1 });
      expect(text.slice(parsed.bodyStart)).toBe("Body");
    }
  });

  it("treats a note without frontmatter as body only", () => {
    expect(parseFrontmatter(P, "Just prose.\n---\nmore")).toMatchObject({ data: null, bodyStart: 0, diagnostics: [] });
  });

  it("accepts an empty block", () => {
    expect(parseFrontmatter(P, "---\n---\nBody").data).toEqual({});
  });

  it.each([
    ["malformed YAML", "---\ntitle: ok\nchapter: [1,\n---\n", /invalid YAML/, undefined],
    ["an alias bomb", `---\na: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n---\n`, /aliases/, 2],
    ["20,000-deep flow nesting", `---\na: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n---\n`, /nests .* more than 64 levels/, 2],
    ["deep block nesting", `---\n${Array.from({ length: 80 }, (_, i) => `${"  ".repeat(i)}k${i}:`).join("\n")} v\n---\n`, /nests/, 2],
    ["an oversized block", `---\nbig: "${"x".repeat(70_000)}"\n---\n`, /expected at most 65536/, 2],
    ["duplicate keys", "---\ntitle: a\ntitle: b\n---\n", /unique/, 2],
    ["a list instead of keys", "---\n- a\n- b\n---\n", /key: value/, 2],
    ["an unclosed block", "---\ntitle: a\nno end", /no closing '---'/, 1],
  ])("reports %s with a line and never throws", (_name, text, message, line) => {
    const parsed = parseFrontmatter(P, text);
    expect(parsed.data).toBeNull();
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({ severity: "error", path: P });
    expect(parsed.diagnostics[0]!.message).toMatch(message);
    if (line !== undefined) expect(parsed.diagnostics[0]!.line).toBe(line);
  });
});

describe("setFrontmatterKeys", () => {
  const note = [
    "---",
    "title: Storm   # the writer's comment",
    "tags: [sea,night]",
    "custom:",
    "  nested: true",
    "status: draft",
    "---",
    "The body, with *emphasis*.  ",
    "",
  ].join("\n");

  it("changes only the named keys and keeps everything else byte for byte", () => {
    const out = setFrontmatterKeys(note, { status: "written", words: 1234 });
    expect(out).toBe(note.replace("status: draft", "status: written\nwords: 1234"));
  });

  it("keeps a trailing comment when replacing a value", () => {
    expect(setFrontmatterKeys(note, { title: "Calm" })).toContain("title: Calm   # the writer's comment");
  });

  it("replaces a multi-line value and removes keys given undefined", () => {
    const out = setFrontmatterKeys(note, { custom: undefined, tags: ["sea"] });
    expect(out).toBe(note.replace("custom:\n  nested: true\n", "").replace("tags: [sea,night]", "tags:\n  - sea"));
  });

  it("removes a key together with its trailing comment, and nothing else", () => {
    const text = "---\ntitle: A\nstatus: draft # my note\nwords: 3\n---\nBody";
    expect(setFrontmatterKeys(text, { status: undefined })).toBe("---\ntitle: A\nwords: 3\n---\nBody");
    expect(setFrontmatterKeys(text.replace(/\n/g, "\r\n"), { status: undefined })).toBe("---\r\ntitle: A\r\nwords: 3\r\n---\r\nBody");
  });

  it("keeps CRLF endings and the BOM", () => {
    const crlf = `\uFEFF${note.replace(/\n/g, "\r\n")}`;
    const out = setFrontmatterKeys(crlf, { words: 9, title: "New" });
    expect(out.startsWith("\uFEFF---\r\n")).toBe(true);
    expect(out).not.toMatch(/[^\r]\n/);
    expect(parseFrontmatter(P, out).data).toMatchObject({ words: 9, title: "New", status: "draft" });
  });

  it("adds a block to a note without one", () => {
    expect(setFrontmatterKeys("Prose.", { bookwright: "chapter", chapter: 2 })).toBe("---\nbookwright: chapter\nchapter: 2\n---\nProse.");
  });

  it("returns the same string when nothing changes", () => {
    expect(setFrontmatterKeys(note, {})).toBe(note);
    expect(setFrontmatterKeys(note, { missing: undefined })).toBe(note);
  });

  it("refuses to rewrite frontmatter it cannot parse", () => {
    expect(() => setFrontmatterKeys("---\na: [1,\n---\nbody", { b: 1 })).toThrow(/not valid YAML/);
  });

  it("round-trips any value and never touches the body (property)", () => {
    const key = fc.stringMatching(/^[a-z][a-z_]{0,8}$/);
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));
    const body = fc.string({ maxLength: 200 });
    fc.assert(
      fc.property(key, value, body, fc.boolean(), (k, v, b, crlf) => {
        const eol = crlf ? "\r\n" : "\n";
        const text = ["---", "title: Storm", "keep: [a,b]  # mine", "---", ""].join(eol) + b;
        const out = setFrontmatterKeys(text, { [k]: v });
        const parsed = parseFrontmatter(P, out);
        const block = findFrontmatter(out)!;
        expect(out.slice(block.bodyStart)).toBe(b);
        expect(parsed.data?.[k]).toEqual(v);
        if (k !== "keep") expect(out).toContain("keep: [a,b]  # mine");
        if (k !== "title") expect(parsed.data?.title).toBe("Storm");
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseFlatYaml (the fast path)", () => {
  it("reads what Bookwright writes", () => {
    expect(parseFlatYaml("bookwright: chapter\nchapter: 12\ntitle: Part 12\r\nstatus: written\n")).toEqual({ bookwright: "chapter", chapter: 12, title: "Part 12", status: "written" });
  });

  it.each(["title: 'quoted'", "a: [1, 2]", "a:\n  - x", "a: 1 # comment", "a:", "a: true", "a: 0123", "a: 1.5", "a: b: c", "a: x\na: y", "  a: x", "__proto__: x"])(
    "leaves %j to the full parser",
    (text) => {
      expect(parseFlatYaml(text)).toBeNull();
    },
  );

  it("agrees with yaml whenever it answers (property)", () => {
    const key = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,6}$/), fc.constantFrom("title", "chapter", "<<", "a b", "1a"));
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.stringMatching(/^[A-Za-z0-9 .:#'_-]{0,12}$/),
      fc.integer({ min: -5, max: 1e12 }).map(String),
      fc.constantFrom("null", "~", "True", "yes", "No", "on", ".inf", "0x1F", "0o17", "1e3", "-0", "NaN", "Infinity", "a  b", "a\tb", "x #y", "é"),
    );
    const doc = fc.array(fc.tuple(key, value, fc.constantFrom("", " ", "\r")), { maxLength: 5 }).map((lines) => lines.map(([k, v, tail]) => `${k}: ${v}${tail}`).join("\n"));
    fc.assert(
      fc.property(doc, (text) => {
        const fast = parseFlatYaml(text);
        if (fast !== null) expect(fast).toEqual(parse(text) ?? {});
      }),
      { numRuns: 3000 },
    );
  });
});
