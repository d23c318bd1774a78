/**
 * A morning's history of one chapter in the real companion, for the picture of "Show revisions of this
 * chapter" (docs/screenshots/companion-revisions.png). The companion runs as `bookwright companion` does
 * (SQLite in a temp folder, the HTTP API on 127.0.0.1, the vault watcher), over a vault holding the corpus
 * novel; the chapter gets the edits a writer would make, a revision kept before an AI write, the AI's line
 * edit, the writer's touch to it and a restore of the AI's version, each at its own time of day. What the screenshot shows is what the
 * companion then answers through the plugin's client: its health, the chapter's revisions and each one's
 * diff against the chapter now. The page cannot call the companion itself (its origin is not one the
 * companion's CORS rules admit), so the scenario's client plays back these answers.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";
import { startCompanion } from "../../companion/commands/companion";
import { NodeVault } from "../../companion/vault/node-vault";
import { companionRestoreLabel, revisionTime } from "../../plugin/commands/revisions";
import { CompanionClient } from "../../plugin/local-service/client";
import { CompanionOrVaultRevisions } from "../../plugin/local-service/companion-revisions";
import type { DiffResponse, HealthResponse, ListRevisionsResponse } from "../../shared/companion-api/api";
import { importManuscript, writeBookFolder } from "../../shared/import/import-manuscript";
import { NoteRevisions } from "../../shared/queue/revisions";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const corpus = path.resolve(repo, "../shared/corpus/pride-and-prejudice.gutenberg-1342.txt");
const TITLE = "Pride and Prejudice";

export interface CompanionRevisionsData {
  bookFolder: string;
  note: string;
  /** The chapter as it is at the end. */
  noteText: string;
  health: HealthResponse;
  list: ListRevisionsResponse;
  /** Each revision's diff against the chapter now, by revision id. */
  diffs: Record<string, DiffResponse>;
}

/** `text` with `from` replaced by `to`; throws when `from` is not there, so a changed corpus is noticed. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the chapter no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

export async function companionRevisionsData(): Promise<CompanionRevisionsData> {
  const work = await mkdtemp(path.join(os.tmpdir(), "bookwright-companion-shot-"));
  const root = path.join(work, "vault");
  await mkdir(root);
  const vault = new NodeVault(root);
  // Revisions are stamped with the companion's clock; only Date is faked, so sockets and timers run as usual.
  vi.useFakeTimers({ toFake: ["Date"] });
  const at = (time: string) => vi.setSystemTime(new Date(`2026-11-24T${time}Z`));
  at("09:12:00");
  // A debounce long enough that the capture before the AI write reliably comes first (see 10:31 below).
  const companion = await startCompanion({ vault: root, port: 0, tokenFile: path.join(work, "companion-token"), databaseFile: path.join(work, "revisions.sqlite"), debounceMs: 400 });
  try {
    const client = new CompanionClient({ baseUrl: companion.server.url.replace(/\/api\/v1$/, ""), token: companion.token, timeoutMs: 0 });
    const imported = importManuscript(new Uint8Array(await readFile(corpus)), { fileName: path.basename(corpus), title: TITLE, author: "Jane Austen" });
    const { chapterPaths } = await writeBookFolder(vault, TITLE, imported);
    const note = chapterPaths[0]!;
    const count = () => companion.store.list(note, { limit: 500 }).length;

    /** Waits until the companion has `expected` revisions of the chapter, and the watcher has gone quiet. */
    const kept = async (expected: number): Promise<void> => {
      for (let i = 0; i < 400 && count() < expected; i++) await sleep(25);
      await sleep(500);
      if (count() !== expected) throw new Error(`expected ${expected} revisions of ${note}, the companion has ${count()}`);
    };
    /**
     * The writer saves an edit (Obsidian writes the file in place, as here; Node 20's recursive watcher on
     * Linux stops reporting a file once something renames a new one over it, as NodeVault's atomic writes
     * do) and the watcher keeps it once the note has been quiet for the debounce.
     */
    const writeInPlace = async (text: string) => writeFile(path.join(root, ...note.split("/")), text, "utf8");
    const save = async (time: string, change: (text: string) => string, expected: number): Promise<void> => {
      at(time);
      await writeInPlace(change(await vault.read(note)));
      await kept(expected);
    };

    await kept(1); // The import itself.
    await save("09:47:10", (t) => edit(edit(t, "acknowledged, that a single man", "acknowledged that a single man"), "some one or other of their daughters", "one or other of their daughters"), 2);

    // The writer adds a sentence and, before the watcher has kept it, the queue starts an AI write: the
    // text it replaces is kept through the plugin's own path to the companion, with the writer's last words.
    at("10:30:52");
    await writeInPlace(edit(await vault.read(note), "Mr. Bennet replied that he had not.", "Mr. Bennet replied that he had not. He did not look up from his newspaper."));
    at("10:31:05");
    const revisions = new CompanionOrVaultRevisions({ companion: () => client, vault: new NoteRevisions(vault, TITLE) });
    const before = await revisions.save({ notePath: note, text: await vault.read(note), reason: "before-ai-write", jobId: "2026-11-24-5f3a9c1e/write/1", at: Date.now() });
    await kept(3);
    if (companion.store.get(before.id)?.source !== "plugin") throw new Error("the watcher kept the edit before the AI write's capture did");

    // The AI's line edit of the opening lands; the watcher keeps it.
    await save(
      "10:32:40",
      (t) =>
        edit(
          edit(
            t,
            "However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, that he is considered",
            "However little is known of such a man’s feelings or views when he first enters a neighbourhood, the truth is so firmly fixed in the minds of the families around him that he is considered",
          ),
          "cried his wife, impatiently.",
          "his wife cried, impatient now.",
        ),
      4,
    );

    const draft = companion.store.list(note, { limit: 1 })[0]!;

    // The writer touches up the draft, thinks better of it and restores the AI's version from the modal,
    // with the label the modal gives a restore. The draft's text is already kept, so only the restore is
    // new. (It comes last: the companion writes the note by renaming a new file over it, see writeInPlace.)
    await save("10:44:18", (t) => edit(t, "his wife cried, impatient now.", "his wife cried, quite impatient now."), 5);
    at("10:58:21");
    await client.restore(draft.id, companionRestoreLabel(revisionTime(draft.createdAt)));
    await kept(6);

    const list = await client.listRevisions(note, { limit: 200 });
    const diffs: Record<string, DiffResponse> = {};
    for (const revision of list.revisions) diffs[revision.id] = await client.diff(revision.id);
    return { bookFolder: TITLE, note, noteText: await vault.read(note), health: await client.health(), list, diffs };
  } finally {
    vi.useRealTimers();
    await companion.close();
    await rm(work, { recursive: true, force: true });
  }
}
