/**
 * What the revision store costs on disk for the common case: a chapter captured again and again after
 * small edits. The chapter is the first ~5,000 words of the corpus novel (paragraphs joined into one line
 * each, as a Markdown note holds them); each of the revisions changes one word or inserts one sentence at
 * a random place (seeded). The ratio is the database's bytes on disk (after a WAL checkpoint, WAL
 * included) over the bytes that many plain copies of the original chapter would take. Target: ≤ 0.05.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "../db/database";
import { SqliteRevisionStore } from "./sqlite-revision-store";
import { seededRandom } from "../../shared/util/seeded-random";

/** Re-exported for the revision tests and the companion benchmark. */
export { seededRandom };

const CORPUS_FILE = fileURLToPath(new URL("../../../shared/corpus/pride-and-prejudice.gutenberg-1342.txt", import.meta.url));

export interface StorageScenario {
  /** @default 500 */
  revisions?: number;
  /** Words of the chapter. @default 5000 */
  words?: number;
  /** @default 1342 */
  seed?: number;
  /** Passed to the store. @default the store's */
  keyframeInterval?: number;
}

export interface StorageReport {
  /** fileBytes / (chapterBytes × revisions). */
  ratio: number;
  /** Database file plus WAL, after `wal_checkpoint(TRUNCATE)`. */
  fileBytes: number;
  /** UTF-8 bytes of the chapter before the edits. */
  chapterBytes: number;
  revisions: number;
  /** Blobs stored whole and as scripts. */
  keyframes: number;
  deltas: number;
}


/** The novel's opening chapters from "It is a truth universally acknowledged", about `words` words, one paragraph a line. */
export function corpusChapter(words = 5000): string {
  const raw = readFileSync(CORPUS_FILE, "utf8").replace(/\r\n?/g, "\n");
  const start = raw.indexOf("It is a truth universally acknowledged");
  const paragraphs = raw
    .slice(start === -1 ? 0 : start)
    .split(/\n{2,}/)
    .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
    .filter((p) => p.length > 0);
  const kept: string[] = [];
  let count = 0;
  for (const paragraph of paragraphs) {
    if (count >= words) break;
    kept.push(paragraph);
    count += paragraph.split(/\s+/).length;
  }
  return `${kept.join("\n\n")}\n`;
}

/** One small edit: a word replaced by another word of the text, or a sentence of its words inserted after a sentence or a word. */
export function smallEdit(text: string, random: () => number, words: readonly string[] = text.match(/[A-Za-z]+/g) ?? ["word"]): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  if (random() < 0.5) {
    // Replace the word at a random position.
    const re = /[A-Za-z]+/g;
    const at = Math.floor(random() * text.length);
    re.lastIndex = at;
    const match = re.exec(text) ?? /[A-Za-z]+/.exec(text);
    if (!match) return `${text}${pick(words)}`;
    return `${text.slice(0, match.index)}${pick(words)}${text.slice(match.index + match[0].length)}`;
  }
  const length = 6 + Math.floor(random() * 12);
  const sentenceWords = Array.from({ length }, () => pick(words).toLowerCase());
  const first = sentenceWords[0]!;
  sentenceWords[0] = first.charAt(0).toUpperCase() + first.slice(1);
  const sentence = `${sentenceWords.join(" ")}.`;
  const at = Math.floor(random() * text.length);
  const end = text.indexOf(". ", at);
  if (end !== -1 && random() < 0.7) return `${text.slice(0, end + 2)}${sentence} ${text.slice(end + 2)}`;
  const space = text.indexOf(" ", at);
  const cut = space === -1 ? text.length : space;
  return `${text.slice(0, cut)} ${sentence}${text.slice(cut)}`;
}

/** Runs the scenario in a temporary folder (removed afterwards) and reports what the database takes. */
export function runStorageScenario(scenario: StorageScenario = {}): StorageReport {
  const revisions = scenario.revisions ?? 500;
  const random = seededRandom(scenario.seed ?? 1342);
  const chapter = corpusChapter(scenario.words ?? 5000);
  const folder = mkdtempSync(nodePath.join(os.tmpdir(), "bookwright-revision-storage-"));
  try {
    const file = nodePath.join(folder, "vault.sqlite");
    const db = openDatabase(file);
    try {
      const store = new SqliteRevisionStore(db, scenario.keyframeInterval === undefined ? {} : { keyframeInterval: scenario.keyframeInterval });
      let text = chapter;
      const words = chapter.match(/[A-Za-z]+/g) ?? ["word"];
      const start = Date.UTC(2025, 0, 1);
      for (let i = 0; i < revisions; i++) {
        if (i > 0) text = smallEdit(text, random, words);
        store.capture({ note: "Book/Chapters/01 Chapter.md", text, source: "watcher", at: new Date(start + i * 60_000) });
      }
      db.pragma("wal_checkpoint(TRUNCATE)");
      const counts = db.prepare("SELECT sum(format = 0) AS keyframes, sum(format = 1) AS deltas FROM revision_blobs").get() as { keyframes: number; deltas: number };
      const fileBytes = sizeOf(file) + sizeOf(`${file}-wal`);
      const chapterBytes = Buffer.byteLength(chapter, "utf8");
      return { ratio: fileBytes / (chapterBytes * revisions), fileBytes, chapterBytes, revisions, keyframes: counts.keyframes, deltas: counts.deltas };
    } finally {
      db.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The storage ratio of {@link runStorageScenario} (500 revisions of a 5,000-word chapter by default). */
export function measureRevisionStorage(scenario: StorageScenario = {}): number {
  return runStorageScenario(scenario).ratio;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
