import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { chapterStatus, schemaByKind } from "./schemas";

describe("docs/book-folder.md", () => {
  const doc = readFileSync(new URL("../../docs/book-folder.md", import.meta.url), "utf8");

  it.each(Object.entries(schemaByKind))("documents every key of `bookwright: %s`", (kind, schema) => {
    expect(doc.includes(`\`${kind}\``) || doc.includes(`bookwright: ${kind}\``)).toBe(true);
    for (const key of Object.keys(schema.shape)) {
      if (key === "bookwright") continue;
      expect(doc, `docs/book-folder.md lacks key '${key}' of kind '${kind}'`).toContain(`\`${key}\``);
    }
  });
});

describe("chapterStatus", () => {
  it.each([
    [undefined, "not_started"],
    ["written", "written"],
    ["Brief complete", "brief_complete"],
    ["Draft", "written"],
    ["Final", "verified"],
    ["Outlined", "brief_complete"],
    ["banana", null],
  ])("%s → %s", (input, expected) => {
    expect(chapterStatus(input)).toBe(expected);
  });
});

describe("book schema", () => {
  it("fills defaults and keeps unknown keys", () => {
    const parsed = schemaByKind.book.parse({ bookwright: "book", title: "T", cssclasses: ["wide"] });
    expect(parsed).toMatchObject({ language: "en", status: "draft", cssclasses: ["wide"] });
  });

  it.each([
    [{ language: "not a tag!" }, "language"],
    [{ target_words: -5 }, "target_words"],
    [{ target_words: 1.5 }, "target_words"],
    [{ status: "finished" }, "status"],
    [{ title: "" }, "title"],
  ])("rejects %j naming the key", (patch, key) => {
    const result = schemaByKind.book.safeParse({ bookwright: "book", title: "T", ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(key);
  });
});
