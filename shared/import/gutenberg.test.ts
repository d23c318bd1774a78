import { describe, expect, it } from "vitest";
import { toSourceLines } from "./chapters";
import { dropIllustrations, isEndMarker, isStartMarker, stripGutenbergBoilerplate } from "./gutenberg";

const texts = (lines: { text: string }[]): string[] => lines.map((l) => l.text);

describe("Gutenberg markers", () => {
  it.each([
    "*** START OF THE PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***",
    "*** START OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***",
    "***START OF THE PROJECT GUTENBERG EBOOK 1342***",
    "  *** start of the project gutenberg™ ebook x ***",
    "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*",
  ])("start: %j", (line) => expect(isStartMarker(line)).toBe(true));

  it.each([
    "*** END OF THE PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***",
    "*** END OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***",
    "End of the Project Gutenberg EBook of Pride and Prejudice, by Jane Austen",
    "End of Project Gutenberg's Alice's Adventures in Wonderland, by Lewis Carroll",
    "End of this Project Gutenberg Etext of Hamlet",
  ])("end: %j", (line) => expect(isEndMarker(line)).toBe(true));

  it.each([
    "At the end of the project they parted.",
    "The end.",
    "THE END",
    "Project Gutenberg",
    "Start of the story",
  ])("neither: %j", (line) => {
    expect(isStartMarker(line)).toBe(false);
    expect(isEndMarker(line)).toBe(false);
  });
});

describe("stripGutenbergBoilerplate", () => {
  const book = [
    "The Project Gutenberg eBook of Pride and Prejudice",
    "",
    "Title: Pride and Prejudice",
    "",
    "Author: Jane Austen",
    "",
    "Release date: June 1, 1998 [eBook #1342]",
    "Language: English",
    "",
    "*** START OF THE PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***",
    "Chapter 1",
    "",
    "It is a truth.",
    "*** END OF THE PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***",
    "Section 1. General Terms of Use",
    "Project Gutenberg License",
  ].join("\n");

  it("keeps only the text between the markers, with original line numbers", () => {
    const result = stripGutenbergBoilerplate(toSourceLines(book));
    expect(texts(result.lines)).toEqual(["Chapter 1", "", "It is a truth."]);
    expect(result.lines[0]!.line).toBe(11);
    expect(result).toMatchObject({ header: true, footer: true });
  });

  it("reads title, author and language from the header", () => {
    expect(stripGutenbergBoilerplate(toSourceLines(book)).metadata).toEqual({
      title: "Pride and Prejudice",
      author: "Jane Austen",
      language: "en",
    });
  });

  it("joins a title continued on an indented line", () => {
    const text = "Title: Alice's Adventures\n       in Wonderland\nAuthor: Lewis Carroll\nLanguage: French\n*** START OF THE PROJECT GUTENBERG EBOOK ALICE ***\nx";
    expect(stripGutenbergBoilerplate(toSourceLines(text)).metadata).toEqual({
      title: "Alice's Adventures in Wonderland",
      author: "Lewis Carroll",
      language: "fr",
    });
  });

  it("strips from an older end marker on, even without a header", () => {
    const text = "Chapter 1\n\nText.\n\nEnd of the Project Gutenberg EBook of Emma, by Jane Austen\n\n*** END OF THIS PROJECT GUTENBERG EBOOK EMMA ***\nlicence";
    const result = stripGutenbergBoilerplate(toSourceLines(text));
    expect(texts(result.lines)).toEqual(["Chapter 1", "", "Text.", ""]);
    expect(result).toMatchObject({ header: false, footer: true, metadata: {} });
  });

  it("ignores Title: lines when there is no header (they are prose)", () => {
    const text = "Title: the word on the door.\n\nChapter 1";
    const result = stripGutenbergBoilerplate(toSourceLines(text));
    expect(result.metadata).toEqual({});
    expect(result.lines).toHaveLength(3);
  });
});

describe("dropIllustrations", () => {
  const drop = (text: string) => dropIllustrations(toSourceLines(text));

  it.each([
    ["bare", "a\n\n[Illustration]\n\nb", ["a", "", "", "b"]],
    ["one line", "a\n[Illustration: “I’m the tallest”]\nb", ["a", "b"]],
    ["multi-line with nested brackets", "a\n\n[Illustration:\n\n“He came down”\n\n[_Copyright 1894 by George Allen._]]\n\nb", ["a", "", "", "b"]],
    ["indented", "a\n     [Illustration:\n\n        THE\n        END\n         ]\nb", ["a", "b"]],
    ["text after the caption", "[Illustration: x] And so it began.", [" And so it began."]],
    ["case-insensitive", "[ILLUSTRATION: A MAP]\nb", ["b"]],
  ])("%s", (_name, text, expected) => {
    expect(texts(drop(text).lines)).toEqual(expected);
  });

  it("keeps prose that only mentions an illustration", () => {
    const text = "“Merely to the illustration of _your_ character,” said she.\n[Illustrations are costly], he said.";
    expect(texts(drop(text).lines)).toEqual(text.split("\n"));
  });

  it("turns a caption holding a chapter heading into that heading, standing alone", () => {
    const text = "List\n\n[Illustration: ·PRIDE AND PREJUDICE·\n\n\n\n\nChapter I.]\n\n\nIt is a truth.";
    const result = drop(text);
    expect(texts(result.lines)).toEqual(["List", "", "", "Chapter I.", "", "", "", "It is a truth."]);
    expect(result.lines[3]!.line).toBe(8);
  });

  it("drops only the first line of a caption that never closes, and says so", () => {
    const text = ["[Illustration: oops", ...Array.from({ length: 100 }, (_, i) => `line ${i}`)].join("\n");
    const result = drop(text);
    expect(result.lines).toHaveLength(100);
    expect(result.warnings).toEqual([{ line: 1, message: "an [Illustration caption is never closed; only its first line was left out" }]);
  });
});
