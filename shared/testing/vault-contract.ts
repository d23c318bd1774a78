/**
 * The behaviour every {@link VaultFiles} implementation must share, as one vitest suite. Memory, Node and
 * Obsidian vaults each run it (see their *.test.ts), so code in shared/ that is tested against the memory
 * vault behaves the same on disk and inside Obsidian.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { baseName, VaultError, type VaultErrorCode, type VaultFiles } from "../vault/vault-files";

export interface VaultFixture {
  vault: VaultFiles;
  cleanup?: () => Promise<void>;
  /**
   * Texts of every trashed copy of a file that was at `path`. Given when the implementation can show
   * that `trash` is recoverable; memory and Node vaults use {@link trashFolderTexts}. Without it the
   * suite still checks that trashed files leave their path, and skips the recovery checks.
   */
  trashedTexts?: (path: string) => Promise<string[]>;
}

/**
 * Reads trashed copies back through the port from `.trash/`, where the memory and Node vaults keep them
 * under the file's own name, or `name 1.ext`, `name 2.ext`… when that name is taken.
 */
export function trashFolderTexts(vault: VaultFiles): (path: string) => Promise<string[]> {
  return async (path) => {
    const copies = (await vault.list(".trash")).filter((f) => isTrashedCopyName(baseName(f.path), baseName(path)));
    return Promise.all(copies.map((f) => vault.read(f.path)));
  };
}

/** True when `candidate` is `name` or one of its numbered variants (`a.md`, `a 1.md`, `a 2.md`…). */
export function isTrashedCopyName(candidate: string, name: string): boolean {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : "";
  return new RegExp(`^${escapeRegExp(stem)}( \\d+)?${escapeRegExp(extension)}$`).test(candidate);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Byte-for-byte equality with a useful failure (length, or the first differing offset); vitest's deep
 * equality walks a large array element by element and takes seconds on the large-file case.
 */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual.length, "byte length").toBe(expected.length);
  const first = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(first === -1 ? null : { offset: first, byte: actual[first], expected: expected[first] }).toBeNull();
}

/** Lets the wall clock move on by `ms`, so a write after it would show a newer mtime. */
async function pause(ms: number): Promise<void> {
  const until = Date.now() + ms;
  await vi.waitUntil(() => Date.now() >= until, { interval: 5, timeout: ms + 1_000 });
}

/** Awaits `promise`, expects it to reject with a VaultError whose code is one of `codes`, and returns it. */
async function rejection(promise: Promise<unknown>, ...codes: VaultErrorCode[]): Promise<VaultError> {
  const outcome = await promise.then(
    (value: unknown) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a VaultError (${codes.join(" or ")}), but it resolved`);
  expect(outcome.error).toBeInstanceOf(VaultError);
  const error = outcome.error as VaultError;
  expect(codes, `unexpected code '${error.code}': ${error.message}`).toContain(error.code);
  return error;
}

/** Files for the listing tests, written out of order; `Book 2` and `Bookish.md` share `Book` as a prefix. */
const LIST_FILES = [
  "top.md",
  "Book/notes.md",
  "Bookish.md",
  "Book/Chapters/02 Calm.md",
  "Book 2/other.md",
  "Book/Chapters/01 Storm.md",
  "Book/Chapters/Scenes/a.md",
];

const sorted = (paths: string[]): string[] => [...paths].sort();

const LIST_CASES: [string, string | undefined, string[]][] = [
  ["the whole vault when omitted", undefined, sorted(LIST_FILES)],
  ["the whole vault for ''", "", sorted(LIST_FILES)],
  ["a folder, recursively, not its prefix siblings", "Book", sorted(LIST_FILES.filter((p) => p.startsWith("Book/")))],
  ["a folder spelled with a trailing slash", "Book/", sorted(LIST_FILES.filter((p) => p.startsWith("Book/")))],
  ["a nested folder", "Book/Chapters", sorted(LIST_FILES.filter((p) => p.startsWith("Book/Chapters/")))],
  ["a folder whose name has a space", "Book 2", ["Book 2/other.md"]],
  ["nothing for a missing folder", "Missing", []],
  ["nothing for a file path", "Book/notes.md", []],
];

const TEXT_CASES: [string, string][] = [
  ["plain ASCII", "Chapter one.\n"],
  ["UTF-8 with accents, CJK and emoji", "Café — 日本語 — 🌩️ storm 👩‍👩‍👧\n"],
  ["CRLF line ends", "line one\r\nline two\r\n\r\n"],
  ["a BOM with CRLF", "\uFEFF---\r\ntitle: Storm\r\n---\r\nText\r\n"],
  ["an empty file", ""],
  ["a large file", "All work and no play. ".repeat(20_000)],
];

const BAD_PATHS = ["../x", "a/../../x", "C:/x", "c:\\x", "..", "a/..", "a\0b"];

type Call = (vault: VaultFiles, path: string) => Promise<unknown>;

const EVERY_METHOD: [string, Call][] = [
  ["list", (v, p) => v.list(p)],
  ["read", (v, p) => v.read(p)],
  ["readBinary", (v, p) => v.readBinary(p)],
  ["write", (v, p) => v.write(p, "x")],
  ["writeBinary", (v, p) => v.writeBinary(p, new Uint8Array([1]))],
  ["process", (v, p) => v.process(p, (s) => `${s}!`)],
  ["stat", (v, p) => v.stat(p)],
  ["exists", (v, p) => v.exists(p)],
  ["mkdir", (v, p) => v.mkdir(p)],
  ["rename (from)", (v, p) => v.rename(p, "renamed.md")],
  ["rename (to)", (v, p) => v.rename("Book/a.md", p)],
  ["trash", (v, p) => v.trash(p)],
];

const PATH_SAFETY_CASES = BAD_PATHS.flatMap((path) => EVERY_METHOD.map(([method, call]) => [method, JSON.stringify(path), path, call] as const));

const SPELLINGS = ["Book//a.md", "Book\\a.md", "./Book/a.md", "/Book/a.md", "Book/./a.md", "Book/a.md/"];

export function describeVaultContract(name: string, makeVault: () => Promise<VaultFixture>): void {
  describe(`VaultFiles contract: ${name}`, () => {
    let fixture: VaultFixture;
    let vault: VaultFiles;

    beforeEach(async () => {
      fixture = await makeVault();
      vault = fixture.vault;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    describe("list", () => {
      it.each(LIST_CASES)("lists %s", async (_, folder, expected) => {
        for (const path of LIST_FILES) await vault.write(path, path);
        const listed = await vault.list(folder);
        expect(listed.map((f) => f.path)).toEqual(expected);
      });

      it("reports each file's size in bytes and mtime, as stat does", async () => {
        await vault.write("Book/a.md", "é🌩");
        await vault.writeBinary("Book/b.bin", new Uint8Array(300));
        const listed = await vault.list("Book");
        expect(listed).toEqual([await vault.stat("Book/a.md"), await vault.stat("Book/b.bin")]);
        expect(listed.map((f) => f.size)).toEqual([6, 300]);
      });

      it("lists nothing in an empty vault", async () => {
        expect(await vault.list()).toEqual([]);
      });
    });

    describe("read and write", () => {
      it.each(TEXT_CASES)("round-trips %s byte for byte", async (_, text) => {
        await vault.write("Book/a.md", text);
        expect(await vault.read("Book/a.md")).toBe(text);
        const stored = await vault.readBinary("Book/a.md");
        expectSameBytes(stored, bytes(text));
        expect((await vault.stat("Book/a.md"))?.size).toBe(stored.length);
      });

      it("keeps a BOM that was on disk, so a rewrite of the text keeps it", async () => {
        const onDisk = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes("Title\r\n")]);
        await vault.writeBinary("a.md", onDisk);
        const text = await vault.read("a.md");
        expect(text).toBe("\uFEFFTitle\r\n");
        await vault.write("a.md", text);
        expect(await vault.readBinary("a.md")).toEqual(onDisk);
      });

      it("reads invalid UTF-8 with U+FFFD in place of the bad bytes", async () => {
        await vault.writeBinary("a.md", new Uint8Array([0x61, 0xff, 0x62, 0xc3]));
        expect(await vault.read("a.md")).toBe("a\uFFFDb\uFFFD");
      });

      it("replaces the whole file, leaving nothing of a longer old text", async () => {
        await vault.write("a.md", "a long first draft");
        await vault.write("a.md", "short");
        expect(await vault.read("a.md")).toBe("short");
        expect((await vault.stat("a.md"))?.size).toBe(5);
      });

      it("creates missing parent folders", async () => {
        await vault.write("a/b/c/d.md", "deep");
        expect(await vault.read("a/b/c/d.md")).toBe("deep");
        for (const folder of ["a", "a/b", "a/b/c"]) expect(await vault.exists(folder)).toBe(true);
      });

      it("rejects reading a missing file with not-found", async () => {
        await vault.write("Book/a.md", "x");
        await rejection(vault.read("Book/missing.md"), "not-found");
        await rejection(vault.read("Nowhere/missing.md"), "not-found");
      });
    });

    describe("readBinary and writeBinary", () => {
      it("round-trips every byte value", async () => {
        const data = Uint8Array.from({ length: 256 }, (_, i) => i);
        await vault.writeBinary("Art/cover.bin", data);
        expect(await vault.readBinary("Art/cover.bin")).toEqual(data);
        expect((await vault.stat("Art/cover.bin"))?.size).toBe(256);
      });

      it("keeps its own copy of the bytes", async () => {
        const data = new Uint8Array([1, 2, 3]);
        await vault.writeBinary("a.bin", data);
        data[0] = 9;
        const read = await vault.readBinary("a.bin");
        read[1] = 9;
        expect(await vault.readBinary("a.bin")).toEqual(new Uint8Array([1, 2, 3]));
      });

      it("writes only the viewed bytes of a subarray", async () => {
        const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
        await vault.writeBinary("a.bin", backing.subarray(2, 4));
        expect(await vault.readBinary("a.bin")).toEqual(new Uint8Array([2, 3]));
      });

      it("replaces a text file and creates missing parent folders", async () => {
        await vault.write("a.md", "text");
        await vault.writeBinary("a.md", new Uint8Array([0x68, 0x69]));
        expect(await vault.read("a.md")).toBe("hi");
        await vault.writeBinary("x/y/z.bin", new Uint8Array([7]));
        expect(await vault.exists("x/y")).toBe(true);
      });

      it("reads a text file as its UTF-8 bytes", async () => {
        await vault.write("a.md", "é");
        expect(await vault.readBinary("a.md")).toEqual(new Uint8Array([0xc3, 0xa9]));
      });

      it("rejects reading a missing file with not-found", async () => {
        await rejection(vault.readBinary("missing.bin"), "not-found");
      });
    });

    describe("create", () => {
      it("creates a new file with its parent folders", async () => {
        await vault.create("Book/Revisions/a.md", "new");
        expect(await vault.read("Book/Revisions/a.md")).toBe("new");
      });

      it("refuses a taken path with `exists` and leaves what is there", async () => {
        await vault.write("Book/a.md", "mine");
        await expect(vault.create("Book/a.md", "theirs")).rejects.toMatchObject({ code: "exists" });
        await expect(vault.create("Book", "x")).rejects.toMatchObject({ code: "exists" });
        expect(await vault.read("Book/a.md")).toBe("mine");
      });

      it("lets exactly one of many racing creates win", async () => {
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => vault.create("Book/race.md", `writer ${i}`)));
        const won = results.filter((r) => r.status === "fulfilled");
        expect(won).toHaveLength(1);
        expect(results.filter((r) => r.status === "rejected").map((r) => (r.reason as { code?: string }).code)).toEqual(Array(9).fill("exists"));
        expect(await vault.read("Book/race.md")).toMatch(/^writer \d$/);
      });

      it("refuses paths that leave the vault", async () => {
        await expect(vault.create("../out.md", "x")).rejects.toMatchObject({ code: "invalid-path" });
      });
    });

    describe("process", () => {
      it("stores the returned text and resolves to it", async () => {
        await vault.write("a.md", "draft");
        const seen: string[] = [];
        const result = await vault.process("a.md", (current) => {
          seen.push(current);
          return `${current}, revised`;
        });
        expect(result).toBe("draft, revised");
        expect(seen).toEqual(["draft"]);
        expect(await vault.read("a.md")).toBe("draft, revised");
      });

      it("writes nothing when the text comes back unchanged", async () => {
        await vault.write("a.md", "same");
        const before = await vault.stat("a.md");
        // Long enough for any clock or file system to show a new mtime had the file been written.
        await pause(30);
        expect(await vault.process("a.md", (current) => current)).toBe("same");
        expect(await vault.stat("a.md")).toEqual(before);
        expect(await vault.read("a.md")).toBe("same");
      });

      it("gives a changed file a newer mtime", async () => {
        await vault.write("a.md", "old");
        const before = await vault.stat("a.md");
        await pause(30);
        await vault.process("a.md", () => "new");
        expect((await vault.stat("a.md"))?.mtime).toBeGreaterThan(before?.mtime ?? Number.POSITIVE_INFINITY);
      });

      it("serialises concurrent calls on one path so no update is lost", async () => {
        await vault.write("counter.md", "0");
        const results = await Promise.all(
          Array.from({ length: 50 }, () => vault.process("counter.md", (n) => String(Number(n) + 1))),
        );
        expect(await vault.read("counter.md")).toBe("50");
        expect([...results].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
      });

      it("queues writes to the same path behind pending updates, in call order", async () => {
        await vault.write("counter.md", "0");
        const increment = (): Promise<string> => vault.process("counter.md", (n) => String(Number(n) + 1));
        await Promise.all([
          ...Array.from({ length: 10 }, increment),
          vault.write("counter.md", "100"),
          ...Array.from({ length: 10 }, increment),
        ]);
        expect(await vault.read("counter.md")).toBe("110");
      });

      it("keeps a BOM and CRLF when the update edits the middle", async () => {
        await vault.write("a.md", "\uFEFFone\r\ntwo\r\n");
        await vault.process("a.md", (text) => text.replace("two", "2"));
        expect(await vault.readBinary("a.md")).toEqual(bytes("\uFEFFone\r\n2\r\n"));
      });

      it("rejects a missing file with not-found, without calling update or creating it", async () => {
        let calls = 0;
        await rejection(
          vault.process("missing.md", (s) => {
            calls++;
            return s;
          }),
          "not-found",
        );
        expect(calls).toBe(0);
        expect(await vault.exists("missing.md")).toBe(false);
      });

      it("passes on an error thrown by update, leaves the file alone and keeps serving the path", async () => {
        await vault.write("a.md", "kept");
        const failure = new Error("update failed");
        await expect(
          vault.process("a.md", () => {
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await vault.read("a.md")).toBe("kept");
        expect(await vault.process("a.md", (s) => `${s}!`)).toBe("kept!");
      });
    });

    describe("stat", () => {
      it("is null for a missing file and for a folder", async () => {
        await vault.write("Book/a.md", "x");
        expect(await vault.stat("Book/missing.md")).toBeNull();
        expect(await vault.stat("Book")).toBeNull();
      });

      it("gives the normalised path, the size in bytes and an mtime in epoch milliseconds", async () => {
        const before = Date.now();
        await vault.write("Book/a.md", "é🌩");
        const stat = await vault.stat("Book//a.md");
        expect(stat?.path).toBe("Book/a.md");
        expect(stat?.size).toBe(6);
        expect(Number.isFinite(stat?.mtime)).toBe(true);
        // A minute either way catches seconds-for-milliseconds mix-ups without depending on clock skew.
        expect(Math.abs((stat?.mtime ?? 0) - before)).toBeLessThan(60_000);
      });
    });

    describe("exists", () => {
      const cases: [string, string, boolean][] = [
        ["a file", "Book/Chapters/01.md", true],
        ["its folder", "Book/Chapters", true],
        ["a top folder", "Book", true],
        ["the vault root", "", true],
        ["an empty folder made by mkdir", "Empty", true],
        ["a missing file in an existing folder", "Book/missing.md", false],
        ["a missing folder", "Nowhere", false],
        ["a prefix of a folder name", "Boo", false],
      ];

      it.each(cases)("is right about %s", async (_, path, expected) => {
        await vault.write("Book/Chapters/01.md", "x");
        await vault.mkdir("Empty");
        expect(await vault.exists(path)).toBe(expected);
      });
    });

    describe("mkdir", () => {
      it("creates nested folders and their parents", async () => {
        await vault.mkdir("a/b/c");
        for (const folder of ["a", "a/b", "a/b/c"]) expect(await vault.exists(folder)).toBe(true);
        expect(await vault.stat("a/b/c")).toBeNull();
        expect(await vault.list("a")).toEqual([]);
      });

      it("is idempotent and leaves files in the folder alone", async () => {
        await vault.write("Book/a.md", "x");
        await vault.mkdir("Book");
        await vault.mkdir("Book");
        await vault.mkdir("Book/New");
        await vault.mkdir("Book/New");
        expect(await vault.read("Book/a.md")).toBe("x");
        expect(await vault.exists("Book/New")).toBe(true);
      });

      it("accepts the vault root", async () => {
        await vault.mkdir("");
        expect(await vault.exists("")).toBe(true);
      });

      it("refuses a path taken by a file with exists", async () => {
        await vault.write("Book/a.md", "x");
        await rejection(vault.mkdir("Book/a.md"), "exists");
        await rejection(vault.mkdir("Book/a.md/sub"), "exists");
        expect(await vault.read("Book/a.md")).toBe("x");
      });
    });

    describe("rename", () => {
      it("moves a file with its content", async () => {
        await vault.write("Book/draft.md", "\uFEFFtext\r\n");
        await vault.rename("Book/draft.md", "Book/01 Storm.md");
        expect(await vault.readBinary("Book/01 Storm.md")).toEqual(bytes("\uFEFFtext\r\n"));
        expect(await vault.exists("Book/draft.md")).toBe(false);
        await rejection(vault.read("Book/draft.md"), "not-found");
        expect((await vault.list()).map((f) => f.path)).toEqual(["Book/01 Storm.md"]);
      });

      it("creates missing parent folders of the target", async () => {
        await vault.write("a.md", "x");
        await vault.rename("a.md", "Book/Drafts/Old/a.md");
        expect(await vault.read("Book/Drafts/Old/a.md")).toBe("x");
        expect(await vault.exists("Book/Drafts")).toBe(true);
      });

      it("refuses a target that is taken with exists, changing neither file", async () => {
        await vault.write("a.md", "a");
        await vault.write("b.md", "b");
        const error = await rejection(vault.rename("a.md", "b.md"), "exists");
        expect(error.path).toContain("b.md");
        expect(await vault.read("a.md")).toBe("a");
        expect(await vault.read("b.md")).toBe("b");
      });

      it("rejects a missing source with not-found", async () => {
        await rejection(vault.rename("missing.md", "b.md"), "not-found");
        expect(await vault.exists("b.md")).toBe(false);
      });
    });

    describe("trash", () => {
      it("takes the file off its path and leaves its neighbours", async () => {
        await vault.write("Book/a.md", "doomed");
        await vault.write("Book/b.md", "kept");
        await vault.trash("Book/a.md");
        expect(await vault.exists("Book/a.md")).toBe(false);
        expect(await vault.stat("Book/a.md")).toBeNull();
        await rejection(vault.read("Book/a.md"), "not-found");
        expect((await vault.list()).map((f) => f.path)).toEqual(["Book/b.md"]);
        expect(await vault.read("Book/b.md")).toBe("kept");
      });

      it("keeps a trashed file recoverable", async (context) => {
        if (!fixture.trashedTexts) context.skip("this vault's trash is the host's to show");
        await vault.write("Book/a.md", "recover me");
        await vault.trash("Book/a.md");
        expect(await fixture.trashedTexts?.("Book/a.md")).toEqual(["recover me"]);
      });

      it("keeps both of two trashed files with one name", async (context) => {
        if (!fixture.trashedTexts) context.skip("this vault's trash is the host's to show");
        await vault.write("One/a.md", "first");
        await vault.write("Two/a.md", "second");
        await vault.trash("One/a.md");
        await vault.trash("Two/a.md");
        expect([...((await fixture.trashedTexts?.("a.md")) ?? [])].sort()).toEqual(["first", "second"]);
      });

      it("rejects a missing file with not-found", async () => {
        await rejection(vault.trash("missing.md"), "not-found");
      });
    });

    describe("path safety", () => {
      it.each(PATH_SAFETY_CASES)("%s refuses %s with invalid-path", async (_, __, path, call) => {
        await vault.write("Book/a.md", "x");
        await rejection(call(vault, path), "invalid-path");
        expect((await vault.list()).map((f) => f.path)).toEqual(["Book/a.md"]);
        expect(await vault.read("Book/a.md")).toBe("x");
      });

      it.each(SPELLINGS)("normalises %j to Book/a.md", async (spelling) => {
        await vault.write(spelling, "x");
        expect(await vault.read("Book/a.md")).toBe("x");
        expect(await vault.read(spelling)).toBe("x");
        expect((await vault.list()).map((f) => f.path)).toEqual(["Book/a.md"]);
      });
    });

    describe("folders are not files", () => {
      beforeEach(async () => {
        await vault.write("Book/a.md", "x");
      });

      it.each(["Book", ""])("refuses to read the folder %j", async (folder) => {
        await rejection(vault.read(folder), "is-folder", "not-found");
        await rejection(vault.readBinary(folder), "is-folder", "not-found");
        await rejection(vault.process(folder, (s) => s), "is-folder", "not-found");
      });

      it("refuses to write over a folder with is-folder, keeping what is in it", async () => {
        await rejection(vault.write("Book", "x"), "is-folder");
        await rejection(vault.writeBinary("Book", new Uint8Array([1])), "is-folder");
        expect(await vault.read("Book/a.md")).toBe("x");
      });

      it("refuses to rename or trash a folder", async () => {
        await rejection(vault.rename("Book", "Other"), "is-folder", "not-found");
        await rejection(vault.trash("Book"), "is-folder", "not-found");
        expect(await vault.read("Book/a.md")).toBe("x");
      });
    });
  });
}
