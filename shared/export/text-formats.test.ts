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
      notes: [],
      blocks: [
        { type: "paragraph", runs: [{ text: "The " }, { text: "storm", italic: true }, { text: " came." }] },
        { type: "sceneBreak" },
        { type: "paragraph", runs: [{ text: "It passed, " }, { text: "slowly", bold: true }, { text: "." }] },
      ],
    },
    {
      number: 2,
      title: "Calm",
      notes: [],
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

  it("numbers footnote references in the text and lists the notes after their chapter", () => {
    const model: BookModel = {
      title: "T",
      language: "en",
      chapters: [1, 2].map((number) => ({
        number,
        title: `C${number}`,
        blocks: [{ type: "paragraph", runs: [{ text: "Fact." }, { text: "1", note: 1 }] }],
        notes: [[{ type: "paragraph", runs: [{ text: "Source " }, { text: "here", italic: true }] }]],
      })),
    };
    expect(toPlainText(model)).toBe("T\n\n\nC1\n\nFact.[1]\n\nNotes\n\n[1] Source here\n\n\nC2\n\nFact.[1]\n\nNotes\n\n[1] Source here\n");
    expect(toMarkdown(model)).toBe("# T\n\n## C1\n\nFact.[^1-1]\n\n[^1-1]: Source _here_\n\n## C2\n\nFact.[^2-1]\n\n[^2-1]: Source _here_\n");
  });

  it("names a picture in plain text and links it by its vault path in Markdown", () => {
    const image = { path: "Art/Map of the island.png", bytes: new Uint8Array(), mediaType: "image/png" as const, width: 1, height: 1 };
    const model: BookModel = {
      title: "T",
      language: "en",
      chapters: [{ number: 1, title: "C", notes: [], blocks: [{ type: "image", src: "Map of the island.png", alt: "The [old] map", image }, { type: "image", src: "x.png", alt: "", image }] }],
    };
    expect(toPlainText(model)).toBe("T\n\n\nC\n\n[Picture: The [old] map]\n\n[Picture]\n");
    expect(toMarkdown(model)).toBe("# T\n\n## C\n\n![The \\[old\\] map](<Art/Map of the island.png>)\n\n![](<Art/Map of the island.png>)\n");
  });

  it("leaves out the author line when there is none and uses * for italics inside a word", () => {
    const model: BookModel = { title: "T", language: "en", chapters: [{ number: 1, title: "", notes: [], blocks: [{ type: "paragraph", runs: [{ text: "un" }, { text: "believ", italic: true }, { text: "able" }] }] }] };
    expect(toMarkdown(model)).toBe("# T\n\n## Chapter 1\n\nun*believ*able\n");
    expect(toPlainText(model)).toBe("T\n\n\nChapter 1\n\nunbelievable\n");
  });
});
