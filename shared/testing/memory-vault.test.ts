import { describe, expect, it } from "vitest";
import { MemoryVault } from "./memory-vault";
import { describeVaultContract, isTrashedCopyName, trashFolderTexts } from "./vault-contract";

/**
 * A config folder as users set it (Obsidian lets each device pick its own dot-folder name), which is why
 * listings skip every dot-folder rather than one known name.
 */
const CONFIG_FOLDER = ".obsidian-mobile";

describeVaultContract("MemoryVault", async () => {
  const vault = new MemoryVault();
  return Promise.resolve({ vault, trashedTexts: trashFolderTexts(vault) });
});

/** A clock that moves only when told to, so mtimes are exact. */
function manualClock(start: number): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

describe("MemoryVault", () => {
  it("stamps mtimes from the injected clock", async () => {
    const clock = manualClock(1_000);
    const vault = new MemoryVault({ now: clock.now });
    await vault.write("a.md", "one");
    clock.advance(500);
    await vault.write("b.md", "two");
    expect((await vault.list()).map((f) => [f.path, f.mtime])).toEqual([
      ["a.md", 1_000],
      ["b.md", 1_500],
    ]);
  });

  it("leaves the mtime alone when process returns the same text, and moves it when the text changes", async () => {
    const clock = manualClock(1_000);
    const vault = new MemoryVault({ now: clock.now });
    await vault.write("a.md", "same");
    clock.advance(10);
    await vault.process("a.md", (s) => s);
    expect((await vault.stat("a.md"))?.mtime).toBe(1_000);
    await vault.process("a.md", (s) => `${s}!`);
    expect((await vault.stat("a.md"))?.mtime).toBe(1_010);
  });

  it("seeds text and bytes at normalised paths, making their folders", async () => {
    const vault = new MemoryVault().seed({ "Book\\a.md": "text", "Art/cover.bin": new Uint8Array([1, 2]) });
    expect(await vault.read("Book/a.md")).toBe("text");
    expect(await vault.readBinary("Art/cover.bin")).toEqual(new Uint8Array([1, 2]));
    expect(await vault.exists("Art")).toBe(true);
  });

  it("skips dot-files and dot-folders below the listed folder, but lists a dot-folder asked for by name", async () => {
    const vault = new MemoryVault().seed({
      "Book/a.md": "",
      "Book/.hidden.md": "",
      [`${CONFIG_FOLDER}/app.json`]: "{}",
      ".trash/old.md": "",
      ".git/HEAD": "",
    });
    expect((await vault.list()).map((f) => f.path)).toEqual(["Book/a.md"]);
    expect((await vault.list(".trash")).map((f) => f.path)).toEqual([".trash/old.md"]);
  });

  it("numbers trashed copies that share a name", async () => {
    const vault = new MemoryVault().seed({ "One/a.md": "1", "Two/a.md": "2", "Three/a.md": "3" });
    await Promise.all([vault.trash("One/a.md"), vault.trash("Two/a.md"), vault.trash("Three/a.md")]);
    const trashed = await vault.list(".trash");
    expect(trashed.map((f) => f.path)).toEqual([".trash/a 1.md", ".trash/a 2.md", ".trash/a.md"]);
    expect(await Promise.all(trashed.map((f) => vault.read(f.path)))).toEqual(["2", "3", "1"]);
  });

  it("keeps an empty folder after its last file is trashed, as a disk does", async () => {
    const vault = new MemoryVault().seed({ "Book/a.md": "" });
    await vault.trash("Book/a.md");
    expect(await vault.exists("Book")).toBe(true);
  });
});

describe("isTrashedCopyName", () => {
  it.each([
    ["a.md", "a.md", true],
    ["a 1.md", "a.md", true],
    ["a 12.md", "a.md", true],
    ["ab.md", "a.md", false],
    ["a 1.txt", "a.md", false],
    ["a.1.md", "a.md", false],
    ["README 2", "README", true],
    [".env 1", ".env", true],
  ])("%j is a copy of %j: %s", (candidate, name, expected) => {
    expect(isTrashedCopyName(candidate, name)).toBe(expected);
  });
});
