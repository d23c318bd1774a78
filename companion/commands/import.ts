import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { WordCounter } from "../../shared/book/words";
import { describeEncoding } from "../../shared/import/decode";
import { ImportError, importManuscript, writeBookFolder } from "../../shared/import/import-manuscript";
import { VaultError } from "../../shared/vault/vault-files";
import { NodeVault } from "../vault/node-vault";

/** Where the command talks to; tests pass their own to capture output and pick the working folder. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  cwd(): string;
  setExitCode(code: number): void;
}

const processIO: CommandIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: () => process.cwd(),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

interface ImportCommandOptions {
  into: string;
  title?: string;
  author?: string;
  language?: string;
}

/**
 * `bookwright import <file> --into <folder>`: a manuscript (.txt or .md, e.g. a Project Gutenberg
 * book) becomes a book folder with `Book.md` and one note per chapter. Never overwrites a note.
 */
export function registerImportCommand(program: Command, io: CommandIO = processIO): void {
  program
    .command("import")
    .description("Import a manuscript (.txt or .md) as a new book folder with one note per chapter")
    .argument("<file>", "the manuscript: plain text or Markdown, UTF-8 or Windows-1252")
    .requiredOption("--into <folder>", "the new book folder (relative to the current folder, or absolute)")
    .option("--title <title>", "the book's title (default: the Gutenberg title, else the file name)")
    .option("--author <author>", "the book's author (default: the Gutenberg author)")
    .option("--language <tag>", "BCP 47 language tag, e.g. en, en-GB, fr (default: the Gutenberg language, else en)")
    .action(async (file: string, options: ImportCommandOptions) => {
      try {
        await runImport(file, options, io);
      } catch (error) {
        io.err(`bookwright import: ${describeError(error)}`);
        io.setExitCode(1);
      }
    });
}

async function runImport(file: string, options: ImportCommandOptions, io: CommandIO): Promise<void> {
  const source = path.resolve(io.cwd(), file);
  const bytes = await readManuscript(source, file);
  const imported = importManuscript(new Uint8Array(bytes), {
    fileName: path.basename(source),
    title: options.title,
    author: options.author,
    language: options.language,
  });
  const { root, folder } = await vaultFor(options.into, io.cwd());
  const written = await writeBookFolder(new NodeVault(root), folder, imported);

  const counter = new WordCounter(imported.language);
  const words = imported.chapters.reduce((sum, chapter) => sum + counter.countMarkdown(chapter.text), 0);
  const onDisk = (vaultPath: string): string => path.join(root, ...vaultPath.split("/"));
  io.out(`Imported ${imported.fileName} (${describeEncoding(imported.encoding, imported.byteOrderMark)})`);
  io.out(`  ${imported.title}${imported.author ? ` by ${imported.author}` : ""}, language ${imported.language}`);
  io.out(`  ${plural(imported.chapters.length, "chapter")}, ${plural(words, "word")}`);
  if (imported.warnings.length > 0) {
    io.out(`  ${plural(imported.warnings.length, "warning")}:`);
    for (const warning of imported.warnings) io.out(`    ${warning}`);
  }
  io.out(`Wrote ${onDisk(written.bookPath)}`);
  const chaptersFolder = written.chapterPaths[0] === undefined ? "" : path.dirname(onDisk(written.chapterPaths[0]));
  io.out(`  and ${plural(written.chapterPaths.length, "chapter note")} in ${chaptersFolder}`);
}

function plural(count: number, noun: string): string {
  return `${new Intl.NumberFormat("en").format(count)} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * The vault the book folder is written through. A relative `--into` inside the current folder keeps
 * the current folder as the vault (run from the vault root, the book lands where it is asked to);
 * otherwise the folder's parent is the vault. Either way every write stays inside that root.
 */
async function vaultFor(into: string, cwd: string): Promise<{ root: string; folder: string }> {
  const target = path.resolve(cwd, into);
  const relative = path.relative(cwd, target);
  const insideCwd = !path.isAbsolute(into) && relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
  const root = insideCwd ? cwd : path.dirname(target);
  const folder = insideCwd ? relative.split(path.sep).join("/") : path.basename(target);
  if (folder === "") throw new ImportError(`${into}: expected a folder for the new book, not the root of the disk`);
  const rootStat = await stat(root).catch(() => null);
  if (!rootStat?.isDirectory()) throw new ImportError(`${root} does not exist; create it first or import somewhere else`);
  return { root, folder };
}

async function readManuscript(source: string, file: string): Promise<Buffer> {
  try {
    return await readFile(source);
  } catch (error) {
    const code = error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : "";
    const reasons: Record<string, string> = {
      ENOENT: "no such file",
      EISDIR: "is a folder; expected a .txt or .md file",
      EACCES: "permission denied",
      EPERM: "permission denied",
    };
    throw new ImportError(`${file}: ${reasons[code] ?? `cannot be read (${code || String(error)})`}`);
  }
}

/** One line for the writer: expected failures without a stack, anything unexpected with one. */
function describeError(error: unknown): string {
  if (error instanceof ImportError || error instanceof VaultError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
