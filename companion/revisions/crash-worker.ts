/**
 * The process crash.test.ts kills: captures revisions of a few small notes as fast as it can, and prunes
 * now and then, against the database file it is given, until it is SIGKILLed.
 *
 * Protocol on stdout, one line each, written synchronously and only after the call returned:
 *   `ready`                                  the database is open (checked and migrated)
 *   `ack <id> <sha256> <note> <at ms>`       `capture` returned this revision for this text
 *   `prune <now ms>` / `pruned <dropped>`    before and after a prune (1 day kept whole, then daily)
 *
 * Usage: node crash-worker.mjs <database file> <seed>
 */
import { createHash } from "node:crypto";
import { writeSync } from "node:fs";
import { openDatabase } from "../db/database";
import { SqliteRevisionStore } from "./sqlite-revision-store";
import { seededRandom } from "./storage-measure";

const NOTES = ["Crash/Chapters/01 Opening.md", "Crash/Chapters/02 Middle.md", "Crash/Notes/Ideas.md"];
const WORDS = "the wind rose over the salt road and the keeper climbed to the lamp while the sea broke white on the rocks below".split(" ");
const HOUR = 3_600_000;

function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(1, bytes, written);
    } catch (error) {
      // A non-blocking pipe that is full: wait for the reader.
      if ((error as { code?: unknown }).code !== "EAGAIN") throw error;
    }
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function main(): void {
  const [file, seedArg] = process.argv.slice(2);
  if (!file) throw new Error("usage: crash-worker <database file> <seed>");
  const random = seededRandom(Number(seedArg ?? 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const sentence = (): string => {
    const words = Array.from({ length: 5 + Math.floor(random() * 10) }, () => pick(WORDS));
    return `${words.join(" ")}.`;
  };

  const db = openDatabase(file);
  const store = new SqliteRevisionStore(db, { keyframeInterval: 8 });
  // Carry on from where the last (killed) run left each note and the clock.
  const texts = new Map<string, string>();
  let clock = Date.UTC(2025, 0, 1);
  for (const note of NOTES) {
    const latest = store.list(note, { limit: 1 })[0];
    const text = latest ? store.get(latest.id)?.text : undefined;
    texts.set(note, text ?? Array.from({ length: 12 }, sentence).join(" ") + "\n");
    if (latest) clock = Math.max(clock, Date.parse(latest.createdAt));
  }
  say("ready");

  for (let i = 0; ; i++) {
    const note = pick(NOTES);
    let text = texts.get(note)!;
    const roll = random();
    if (roll < 0.45) {
      // Replace a word.
      const words = text.split(" ");
      words[Math.floor(random() * words.length)] = pick(WORDS);
      text = words.join(" ");
    } else if (roll < 0.85) {
      const at = text.indexOf(". ", Math.floor(random() * text.length));
      text = at === -1 ? `${text}${sentence()}\n` : `${text.slice(0, at + 2)}${sentence()} ${text.slice(at + 2)}`;
    } else if (roll < 0.92) {
      // Cut a stretch.
      const at = Math.floor(random() * text.length);
      text = text.slice(0, at) + text.slice(Math.min(text.length, at + 40 + Math.floor(random() * 200)));
    }
    // Otherwise the same text again: a dedupe.
    texts.set(note, text);
    // Hours apart, so a few dozen captures span days the prunes can thin out.
    clock += Math.floor(random() * 8 * HOUR);
    const at = new Date(clock);
    const key = random() < 0.3 ? `key-${seedArg}-${i}` : undefined;
    const input = { note, text, source: "watcher" as const, at, ...(key ? { idempotencyKey: key } : {}) };
    const { revision } = store.capture(input);
    say(`ack ${revision.id} ${sha256(text)} ${note} ${Date.parse(revision.createdAt)}`);
    if (key && random() < 0.5) {
      // A retry after a lost response: the same revision again.
      const retry = store.capture(input);
      say(`ack ${retry.revision.id} ${sha256(text)} ${note} ${Date.parse(retry.revision.createdAt)}`);
    }
    if (random() < 0.15) {
      say(`prune ${clock}`);
      const dropped = store.prune({ keepAllDays: 1, thenDaily: true }, new Date(clock));
      say(`pruned ${dropped}`);
    }
  }
}

main();
