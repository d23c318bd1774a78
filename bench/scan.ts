/**
 * Scan benchmark: discover + parse + word-count a book through NodeVault, against reading the same
 * files' bytes with fs.readFile (same file list, same concurrency), in one run. Prints one line per book
 * and `scan-ratio: X`, the worse of the two. Target: X ≤ 3. Node 20 has two fs.readFile: the callback
 * form (the strict baseline, `scan-ratio`) and the promise form, about 40% slower, reported beside it.
 */
import { readFile as readFileCallback } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { scanBooks } from "../shared/book/scan";
import { importManuscript, writeBookFolder } from "../shared/import/import-manuscript";
import { NodeVault } from "../companion/vault/node-vault";
import { pairedRatio, seededRandom } from "./measure";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const corpusFile = path.resolve(repo, "../shared/corpus/pride-and-prejudice.gutenberg-1342.txt");
const workDir = path.join(repo, ".bench", "scan");
const CONCURRENCY = 32;

export async function runScanBench(): Promise<void> {
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const corpusRoot = path.join(workDir, "corpus");
  const syntheticRoot = path.join(workDir, "synthetic");
  await mkdir(corpusRoot, { recursive: true });
  const corpusText = await readFile(corpusFile);
  const imported = importManuscript(new Uint8Array(corpusText), { fileName: path.basename(corpusFile) });
  await writeBookFolder(new NodeVault(corpusRoot), "Pride and Prejudice", imported);
  await writeSyntheticBook(syntheticRoot, imported.chapters.map((c) => c.text).join("\n\n"));

  let worst = 0;
  let worstPromises = 0;
  for (const [label, root] of [["corpus (Pride and Prejudice)", corpusRoot], ["synthetic 1,000,000 words / 300 chapters", syntheticRoot]] as const) {
    const vault = new NodeVault(root);
    const files = (await vault.list()).filter((f) => f.path.endsWith(".md")).map((f) => path.join(root, f.path));
    let words = 0;
    const scanOnce = async (): Promise<void> => {
      const result = await scanBooks(vault, { concurrency: CONCURRENCY });
      words = result.books.reduce((sum, b) => sum + b.chapters.reduce((s, c) => s + c.words, 0), 0);
    };
    const strict = await pairedRatio(scanOnce, () => readAll(files, readBytes));
    const promises = await pairedRatio(scanOnce, () => readAll(files, (file) => readFile(file)));
    worst = Math.max(worst, strict.ratio);
    worstPromises = Math.max(worstPromises, promises.ratio);
    const bytes = (await Promise.all(files.map((f) => readFile(f)))).reduce((sum, b) => sum + b.length, 0);
    console.log(`${label}: ${files.length} notes, ${(bytes / 1e6).toFixed(1)} MB, ${words.toLocaleString("en")} words; scan ${strict.taskMs.toFixed(1)} ms; fs.readFile ${strict.baselineMs.toFixed(1)} ms, ratio ${strict.ratio.toFixed(2)}x; fs.promises.readFile ${promises.baselineMs.toFixed(1)} ms, ratio ${promises.ratio.toFixed(2)}x (medians of 25 paired runs)`);
  }
  console.log(`scan-ratio vs fs.promises.readFile: ${worstPromises.toFixed(2)}`);
  console.log(`scan-ratio: ${worst.toFixed(2)}`);
}

async function readAll(files: string[], read: (file: string) => Promise<Buffer>): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) bytes += (await read(files[next++]!)).length;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return bytes;
}

/**
 * The baseline reads with fs.readFile's callback form, the faster of Node 20's two (the promise form
 * takes about 40% longer), so the ratio is against the quickest plain read, as NodeVault itself reads.
 */
function readBytes(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => readFileCallback(file, (error, data) => (error ? reject(error) : resolve(data))));
}

/** A 1,000,000-word, 300-chapter book made of the corpus's own paragraphs, shuffled deterministically. */
async function writeSyntheticBook(root: string, sourceText: string): Promise<void> {
  const folder = path.join(root, "Synthetic Saga");
  await mkdir(path.join(folder, "Chapters"), { recursive: true });
  await writeFile(path.join(folder, "Book.md"), "---\nbookwright: book\ntitle: Synthetic Saga\nauthor: Bench\nlanguage: en\ntarget_words: 1000000\n---\n");
  const paragraphs = sourceText.split(/\n{2,}/).filter((p) => p.trim() !== "");
  const wordsOf = paragraphs.map((p) => p.split(/\s+/).filter(Boolean).length);
  const random = seededRandom(1342);
  const perChapter = Math.ceil(1_000_000 / 300);
  for (let chapter = 1; chapter <= 300; chapter++) {
    const body: string[] = [];
    let words = 0;
    while (words < perChapter) {
      const i = Math.floor(random() * paragraphs.length);
      body.push(paragraphs[i]!);
      words += wordsOf[i]!;
    }
    const name = `${String(chapter).padStart(3, "0")} Part ${chapter}.md`;
    const front = `---\nbookwright: chapter\nchapter: ${chapter}\ntitle: Part ${chapter}\nstatus: written\nwords: ${words}\n---\n`;
    await writeFile(path.join(folder, "Chapters", name), `${front}${body.join("\n\n")}\n`);
  }
}
