import { describe, expect, it } from "vitest";
import type { BookModel } from "./book-model";
import { toMarkdown, toPlainText } from "./text-formats";

const MODEL: BookModel = {
  title: "Tides",
  author: "Ada Quill",
  language: "en",
  chapters: [
    {
      number: 1,
      title: "Storm",
      blocks: [
        { type: "paragraph", runs: [{ text: "The " }, { text: "storm", italic: true }, { text: " came." }] },
        { type: "sceneBreak" },
        { type: "paragraph", runs: [{ text: "It passed, " }, { text: "slowly", bold: true }, { text: "." }] },
      ],
    },
    {
      number: 2,
      title: "Calm",
      blocks: [
        { type: "blockquote", blocks: [{ type: "paragraph", runs: [{ text: "Dear sir," }] }] },
        { type: "list", ordered: false, start: 1, items: [[{ type: "paragraph", runs: [{ text: "eggs" }] }], [{ type: "paragraph", runs: [{ text: "2 * 3" }] }]] },
      ],
    },
  ],
};

describe("toPlainText", () => {
  it("writes a title block, chapter headings, centred scene breaks and plain italics", () => {
    expect(toPlainText(MODEL)).toBe(
      [
        "Tides",
        "",
        "by Ada Quill",
        "",
        "",
        "Storm",
        "",
        "The storm came.",
        "",
        `${" ".repeat(33)}* * *`,
        "",
        "It passed, slowly.",
        "",
        "",
        "Calm",
        "",
        "    Dear sir,",
        "",
        "- eggs",
        "- 2 * 3",
        "",
      ].join("\n"),
    );
  });
});

describe("toMarkdown", () => {
  it("writes headings, *** scene breaks, _italics_ and escapes literal markup", () => {
    expect(toMarkdown(MODEL)).toBe(
      [
        "# Tides",
        "",
        "by Ada Quill",
        "",
        "## Storm",
        "",
        "The _storm_ came.",
        "",
        "***",
        "",
        "It passed, **slowly**.",
        "",
        "## Calm",
        "",
        "> Dear sir,",
        "",
        "- eggs",
        "- 2 \\* 3",
        "",
      ].join("\n"),
    );
  });

  it("leaves out the author line when there is none and uses * for italics inside a word", () => {
    const model: BookModel = { title: "T", language: "en", chapters: [{ number: 1, title: "", blocks: [{ type: "paragraph", runs: [{ text: "un" }, { text: "believ", italic: true }, { text: "able" }] }] }] };
    expect(toMarkdown(model)).toBe("# T\n\n## Chapter 1\n\nun*believ*able\n");
    expect(toPlainText(model)).toBe("T\n\n\nChapter 1\n\nunbelievable\n");
  });
});
