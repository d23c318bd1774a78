/**
 * Export benchmark: the corpus novel (about 122,000 words) exported to every format by our CLI, and the
 * same book converted by pandoc — what writers use today — in the same run. Both are timed as whole
 * processes (`bookwright export …` against `pandoc …`), so start-up counts on both sides, and the
 * peak resident memory of each comes from GNU time. Pandoc reads the Markdown our own `md` export wrote,
 * so both start from the same text; for print it renders through WeasyPrint, as pandoc's HTML-to-PDF path.
 *
 * DOCX and EPUB runs alternate with pandoc's and their ratio is the median of the pairs. Prints one line
 * per format (ours, pandoc, ratio, pages for PDF) and last `export-ratio: X`, the worst
 * of ours / pandoc over DOCX, EPUB and PDF. Target: X ≤ 0.5.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { importManuscript, writeBookFolder } from "../shared/import/import-manuscript";
import { NodeVault } from "../companion/vault/node-vault";
import { median } from "./measure";

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const corpusFile = path.resolve(repo, "../shared/corpus/pride-and-prejudice.gutenberg-1342.txt");
const workDir = path.join(repo, ".bench", "export");
const TITLE = "Pride and Prejudice";
const GNU_TIME = "/usr/bin/time";

interface Sample {
  seconds: number;
  /** Peak resident set in MiB, or NaN where GNU time is missing. */
  peakMiB: number;
}

/** Runs a command under GNU time (when present) and returns its wall time and peak memory. */
async function measure(command: string, args: string[], cwd: string): Promise<Sample> {
  const useTime = existsSync(GNU_TIME);
  const start = performance.now();
  const result = useTime
    ? await run(GNU_TIME, ["-f", "bw-peak-kib=%M", command, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 })
    : await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - start) / 1000;
  const peak = /bw-peak-kib=(\d+)/.exec(result.stderr);
  return { seconds, peakMiB: peak ? Number(peak[1]) / 1024 : NaN };
}

async function repeat(times: number, task: () => Promise<Sample>): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < times; i++) samples.push(await task());
  return { seconds: median(samples.map((s) => s.seconds)), peakMiB: Math.max(...samples.map((s) => s.peakMiB)) };
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

async function pdfPages(file: string): Promise<number> {
  const { stdout } = await run("pdfinfo", [file]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? NaN);
}

export async function runExportBench(): Promise<void> {
  for (const tool of ["pandoc", "weasyprint", "pdfinfo"]) {
    if (!(await hasCommand(tool))) {
      console.error(`export bench: ${tool} is missing; install it with apt-get install pandoc weasyprint poppler-utils`);
      process.exitCode = 1;
      return;
    }
  }
  const cli = path.join(repo, "bin", "bookwright.mjs");
  if (!existsSync(path.join(repo, "dist", "cli.js"))) await run("node", ["esbuild.config.mjs", "production"], { cwd: repo });

  await rm(workDir, { recursive: true, force: true });
  const vaultRoot = path.join(workDir, "vault");
  await mkdir(vaultRoot, { recursive: true });
  const imported = importManuscript(new Uint8Array(await readFile(corpusFile)), { fileName: path.basename(corpusFile), title: TITLE, author: "Jane Austen" });
  await writeBookFolder(new NodeVault(vaultRoot), TITLE, imported);
  const book = path.join(vaultRoot, TITLE);
  const exports = path.join(book, "Exports");
  const ours = (format: string, extra: string[] = []): Promise<Sample> =>
    measure("node", [cli, "export", book, "--format", format, "--overwrite", ...extra], repo);

  // Our Markdown export is pandoc's input, so it is written (and timed) first.
  const results = new Map<string, Sample>();
  for (const format of ["txt", "md", "epub", "docx", "manuscript", "pdf"]) results.set(format, await repeat(3, () => ours(format)));
  const markdown = path.join(workDir, "book.md");
  const exported = async (format: string): Promise<string> => {
    const name = (await readdir(exports)).find((f) => f.endsWith(`(${format}).${format}`));
    if (!name) throw new Error(`no ${format} export in ${exports}`);
    return path.join(exports, name);
  };
  await writeFile(markdown, await readFile(await exported("md")));
  const pandocOut = path.join(workDir, "pandoc");
  await mkdir(pandocOut, { recursive: true });
  const meta = ["--metadata", `title=${TITLE}`, "--metadata", "lang=en"];
  // DOCX and EPUB: ours and pandoc's runs alternate, and the ratio is the median of the per-pair ratios, so a
  // neighbour's burst of load on this shared machine lands on both sides of a pair.
  const paired = async (format: "docx" | "epub"): Promise<{ ours: Sample; pandoc: Sample; ratio: number }> => {
    const pairs: { ours: Sample; pandoc: Sample }[] = [];
    for (let i = 0; i < 5; i++) {
      pairs.push({ ours: await ours(format), pandoc: await measure("pandoc", [markdown, ...meta, "-o", path.join(pandocOut, `x.${format}`)], workDir) });
    }
    const pick = (side: "ours" | "pandoc"): Sample => ({ seconds: median(pairs.map((p) => p[side].seconds)), peakMiB: Math.max(...pairs.map((p) => p[side].peakMiB)) });
    return { ours: pick("ours"), pandoc: pick("pandoc"), ratio: median(pairs.map((p) => p.ours.seconds / p.pandoc.seconds)) };
  };
  const pairedDocx = await paired("docx");
  const pairedEpub = await paired("epub");
  const pandoc = {
    docx: pairedDocx.pandoc,
    epub: pairedEpub.pandoc,
    // WeasyPrint takes minutes on a whole novel; one run is enough to compare against.
    pdf: await measure("pandoc", [markdown, ...meta, "--pdf-engine=weasyprint", "-o", path.join(pandocOut, "x.pdf")], workDir),
  };

  const ourPdf = await exported("pdf");
  const pages = { ours: await pdfPages(ourPdf), pandoc: await pdfPages(path.join(pandocOut, "x.pdf")) };
  const fmt = (s: Sample): string => `${s.seconds.toFixed(2)} s, peak ${Number.isNaN(s.peakMiB) ? "?" : s.peakMiB.toFixed(0)} MiB`;
  console.log(`export: ${TITLE}, ${imported.chapters.length} chapters (whole processes; DOCX and EPUB: median of 5 alternating pairs; others: median of 3 runs, pandoc PDF 1 run)`);
  for (const format of ["txt", "md", "manuscript"]) console.log(`  ${format.padEnd(10)} ours ${fmt(results.get(format)!)}`);
  let worst = 0;
  results.set("docx", pairedDocx.ours);
  results.set("epub", pairedEpub.ours);
  const ratios = { docx: pairedDocx.ratio, epub: pairedEpub.ratio, pdf: results.get("pdf")!.seconds / pandoc.pdf.seconds };
  for (const format of ["docx", "epub", "pdf"] as const) {
    const mine = results.get(format)!;
    const theirs = pandoc[format];
    const ratio = ratios[format];
    worst = Math.max(worst, ratio);
    const pageNote = format === "pdf" ? `, pages ours ${pages.ours} / pandoc ${pages.pandoc}` : "";
    console.log(`  ${format.padEnd(10)} ours ${fmt(mine)} | pandoc ${fmt(theirs)} | ratio ${ratio.toFixed(3)}${pageNote}`);
  }
  console.log(`export-peak-mib: ${Math.max(...[...results.values()].map((s) => s.peakMiB)).toFixed(0)}`);
  console.log(`export-ratio: ${worst.toFixed(3)}`);
}
