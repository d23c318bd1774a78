import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerImportCommand, type CommandIO } from "./import";

const corpusPath = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

interface Run {
  out: string;
  err: string;
  exitCode: number;
}

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), "bookwright-import-"));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** Runs `bookwright import …` in-process with `cwd` as the working folder, capturing its output. */
async function run(args: string[], cwd = workDir): Promise<Run> {
  const result: Run = { out: "", err: "", exitCode: 0 };
  const io: CommandIO = {
    out: (text) => (result.out += `${text}\n`),
    err: (text) => (result.err += `${text}\n`),
    cwd: () => cwd,
    setExitCode: (code) => (result.exitCode = code),
  };
  const program = new Command("bookwright")
    .exitOverride()
    .configureOutput({ writeOut: (text) => (result.out += text), writeErr: (text) => (result.err += text) });
  registerImportCommand(program, io);
  await program.parseAsync(["import", ...args], { from: "user" });
  return result;
}

describe("bookwright import", () => {
  it("imports the corpus into a folder relative to the working folder", async () => {
    const result = await run([corpusPath, "--into", "Books/Pride and Prejudice", "--title", "Pride and Prejudice", "--author", "Jane Austen"]);
    expect(result.err).toBe("");
    expect(result.exitCode).toBe(0);
    const bookFolder = path.join(workDir, "Books", "Pride and Prejudice");
    expect(result.out).toContain("Imported pride-and-prejudice.gutenberg-1342.txt (UTF-8 with byte-order mark)");
    expect(result.out).toContain("Pride and Prejudice by Jane Austen, language en");
    expect(result.out).toMatch(/ 61 chapters, 12\d,\d{3} words\n/);
    expect(result.out).toContain("1 warning:\n    pride-and-prejudice.gutenberg-1342.txt:1: ");
    expect(result.out).toContain(`Wrote ${path.join(bookFolder, "Book.md")}\n`);
    expect(result.out).toContain(`and 61 chapter notes in ${path.join(bookFolder, "Chapters")}\n`);

    const chapters = (await readdir(path.join(bookFolder, "Chapters"))).sort();
    expect(chapters).toHaveLength(61);
    expect(chapters[0]).toBe("01 Chapter 1.md");
    expect(chapters[60]).toBe("61 Chapter 61.md");
    const book = await readFile(path.join(bookFolder, "Book.md"), "utf8");
    expect(book).toMatch(/^---\nbookwright: book\ntitle: Pride and Prejudice\nauthor: Jane Austen\nlanguage: en\nstatus: draft\nplanned_chapters: 61\n---\n/);
    const first = await readFile(path.join(bookFolder, "Chapters", chapters[0]!), "utf8");
    expect(first).toMatch(/^---\nbookwright: chapter\nchapter: 1\ntitle: Chapter 1\nstatus: written\nwords: \d+\n---\n\nIt is a truth universally acknowledged/);
  });

  it("roots the vault at the parent of an absolute --into", async () => {
    const into = path.join(workDir, "vault", "Tale");
    await mkdir(path.join(workDir, "vault"));
    const manuscript = path.join(workDir, "tale.txt");
    await writeFile(manuscript, "CHAPTER I.\r\n\r\nOnce upon\r\na time.\r\n");
    const result = await run([manuscript, "--into", into], "/");
    expect(result.err).toBe("");
    expect(await readFile(path.join(into, "Chapters", "01 Chapter 1.md"), "utf8")).toContain("\n\nOnce upon a time.\n");
    expect(result.out).toContain("  1 chapter, 4 words\n");
  });

  it("refuses to import over an existing book, exit code 1, no stack trace", async () => {
    await run([corpusPath, "--into", "Pride"]);
    const before = await readFile(path.join(workDir, "Pride", "Book.md"), "utf8");
    const again = await run([corpusPath, "--into", "Pride"]);
    expect(again.exitCode).toBe(1);
    expect(again.out).toBe("");
    expect(again.err).toBe(
      "bookwright import: Pride/Book.md already exists (this folder already holds a book); nothing was overwritten. Import into a new folder.\n",
    );
    expect(await readFile(path.join(workDir, "Pride", "Book.md"), "utf8")).toBe(before);
  });

  it.each([
    [["missing.txt", "--into", "X"], "bookwright import: missing.txt: no such file\n"],
    [[".", "--into", "X"], "bookwright import: .: is a folder; expected a .txt or .md file\n"],
    [[corpusPath, "--into", "X", "--language", "english please"], `bookwright import: pride-and-prejudice.gutenberg-1342.txt: "english please" is not a BCP 47 language tag (expected e.g. en, en-GB, fr)\n`],
  ])("reports %j clearly", async (args, message) => {
    const result = await run(args);
    expect(result).toEqual({ out: "", err: message, exitCode: 1 });
  });

  it("reports a missing parent folder of an absolute --into", async () => {
    const manuscript = path.join(workDir, "tale.txt");
    await writeFile(manuscript, "Chapter 1\n\nText.\n");
    const missing = path.join(workDir, "nope", "Tale");
    const result = await run([manuscript, "--into", missing]);
    expect(result.exitCode).toBe(1);
    expect(result.err).toBe(`bookwright import: ${path.dirname(missing)} does not exist; create it first or import somewhere else\n`);
  });

  it("requires --into", async () => {
    await expect(run([corpusPath])).rejects.toThrow("error: required option '--into <folder>' not specified");
  });
});
