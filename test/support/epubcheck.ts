/**
 * epubcheck, the reference EPUB validator, run on a file: its JSON report, and the problems in it as the
 * tests compare them (counts of fatal errors, errors and warnings, and one line per message). Shared by
 * the book and the series omnibus tests.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export const EPUBCHECK = "/usr/bin/epubcheck";

/** The package may still be installing when the suite starts; wait a few minutes for it. */
export async function waitForEpubcheck(): Promise<void> {
  for (let waited = 0; !existsSync(EPUBCHECK) && waited < 180_000; waited += 2000) await sleep(2000);
}

export interface EpubcheckReport {
  checker: { nFatal: number; nError: number; nWarning: number };
  messages: { ID: string; severity: string; message: string; locations?: { path: string; line: number }[] }[];
}

/** Debian's epubcheck is an executable jar; running it through java works without binfmt_misc. */
export function epubcheck(file: string): Promise<EpubcheckReport> {
  return new Promise((resolve, reject) => {
    execFile("java", ["-jar", EPUBCHECK, file, "--json", "-"], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // epubcheck exits non-zero when it finds errors; the JSON on stdout is still the report.
      const start = stdout.indexOf("{");
      if (start === -1) reject(new Error(`epubcheck printed no report: ${error?.message ?? ""}\n${stderr}`));
      else resolve(JSON.parse(stdout.slice(start)) as EpubcheckReport);
    });
  });
}

export function problems(report: EpubcheckReport): { counts: number[]; messages: string[] } {
  const { nFatal, nError, nWarning } = report.checker;
  const messages = report.messages
    .filter((m) => ["FATAL", "ERROR", "WARNING"].includes(m.severity))
    .map((m) => `${m.severity} ${m.ID} ${m.locations?.[0]?.path ?? ""}:${m.locations?.[0]?.line ?? ""} ${m.message}`);
  return { counts: [nFatal, nError, nWarning], messages };
}
