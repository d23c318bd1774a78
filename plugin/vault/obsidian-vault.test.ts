import { describe, expect, it, vi } from "vitest";
import { baseName, VaultError } from "../../shared/vault/vault-files";
import { describeVaultContract, isTrashedCopyName } from "../../shared/testing/vault-contract";
import { createStubApp, type StubApp } from "../../test/obsidian-stub/obsidian";
import { ObsidianVault } from "./obsidian-vault";

/** Texts the stand-in's "move to Obsidian trash" keeps for files named like `path`. */
function trashedTexts(app: StubApp): (path: string) => Promise<string[]> {
  const decoder = new TextDecoder();
  return async (path) => {
    await Promise.resolve();
    return [...app.vault.hidden]
      .filter(([slot]) => isTrashedCopyName(baseName(slot), baseName(path)))
      .map(([, data]) => decoder.decode(data));
  };
}

describeVaultContract("ObsidianVault over the Obsidian stand-in", async () => {
  const app = createStubApp();
  await Promise.resolve();
  return { vault: new ObsidianVault(app), trashedTexts: trashedTexts(app) };
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof VaultError ? error.code : `not a VaultError: ${String(error)}`;
}

describe("ObsidianVault", () => {
  it("reads with vault.read, never the possibly stale cachedRead", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "text");
    const cached = vi.spyOn(app.vault, "cachedRead");
    const read = vi.spyOn(app.vault, "read");
    await vault.read("a.md");
    await vault.process("a.md", (s) => `${s}!`);
    expect(cached).not.toHaveBeenCalled();
    expect(read).toHaveBeenCalledTimes(2);
  });

  it("writes through vault.process when the text changes, and not at all when it does not", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "same");
    const processSpy = vi.spyOn(app.vault, "process");
    const modify = vi.spyOn(app.vault, "modify");
    await vault.process("a.md", (s) => s);
    expect(processSpy).not.toHaveBeenCalled();
    await vault.process("a.md", (s) => `${s}!`);
    expect(processSpy).toHaveBeenCalledTimes(1);
    expect(modify).not.toHaveBeenCalled();
  });

  it("applies the update again to a note edited outside the port since it was read", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "1");
    const file = app.vault.getFileByPath("a.md");
    if (!file) throw new Error("a.md was not created");
    // The user's edit lands between our read and Obsidian's process, as an editor save can.
    const realProcess = app.vault.process.bind(app.vault);
    vi.spyOn(app.vault, "process").mockImplementationOnce(async (target, fn) => {
      await app.vault.modify(file, "10");
      return realProcess(target, fn);
    });
    expect(await vault.process("a.md", (n) => String(Number(n) + 1))).toBe("11");
    expect(await vault.read("a.md")).toBe("11");
  });

  it("creates with vault.create and createBinary, and replaces with modify and modifyBinary", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    const calls = (["create", "createBinary", "modify", "modifyBinary"] as const).map((name) => vi.spyOn(app.vault, name));
    await vault.write("a.md", "one");
    await vault.writeBinary("b.bin", new Uint8Array([1]));
    await vault.write("a.md", "two");
    await vault.writeBinary("b.bin", new Uint8Array([2]));
    expect(calls.map((spy) => spy.mock.calls.length)).toEqual([1, 1, 1, 1]);
  });

  it("creates missing folders one level at a time with createFolder", async () => {
    const app = createStubApp();
    const createFolder = vi.spyOn(app.vault, "createFolder");
    await new ObsidianVault(app).mkdir("Book/Parts/One");
    expect(createFolder.mock.calls.map(([path]) => path)).toEqual(["Book", "Book/Parts", "Book/Parts/One"]);
    expect(app.vault.getFolderByPath("Book/Parts")?.children.map((f) => f.path)).toEqual(["Book/Parts/One"]);
  });

  it("renames with fileManager.renameFile, so Obsidian updates links to the file", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "x");
    const realRenameFile = app.fileManager.renameFile.bind(app.fileManager);
    const seen: string[][] = [];
    // Paths as they were at the call: the stand-in, like Obsidian, updates the TFile in place.
    vi.spyOn(app.fileManager, "renameFile").mockImplementation(async (file, to) => {
      seen.push([file.path, to]);
      await realRenameFile(file, to);
    });
    await vault.rename("a.md", "Book/b.md");
    expect(seen).toEqual([["a.md", "Book/b.md"]]);
    expect(app.vault.getFileByPath("Book/b.md")).not.toBeNull();
  });

  it("trashes with fileManager.trashFile, which follows the user's deleted-files setting", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "x");
    const trashFile = vi.spyOn(app.fileManager, "trashFile");
    const vaultDelete = vi.spyOn(app.vault, "delete");
    await vault.trash("a.md");
    expect(trashFile).toHaveBeenCalledTimes(1);
    expect(vaultDelete).not.toHaveBeenCalled();
  });

  it("reports stat from TFile.stat", async () => {
    const app = createStubApp({ now: () => 1_234 });
    const vault = new ObsidianVault(app);
    await vault.write("Book/a.md", "é");
    expect(await vault.stat("Book/a.md")).toEqual({ path: "Book/a.md", size: 2, mtime: 1_234 });
    expect(await vault.list()).toEqual([{ path: "Book/a.md", size: 2, mtime: 1_234 }]);
  });

  it("turns an Obsidian failure into a VaultError io that names the path", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    await vault.write("a.md", "x");
    vi.spyOn(app.vault, "modify").mockRejectedValueOnce(new Error("EACCES: permission denied"));
    const error: unknown = await vault.write("a.md", "y").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({ code: "io", path: "a.md", message: "a.md: EACCES: permission denied" });
  });

  it("maps Obsidian's 'already exists' to exists when another writer wins a create race", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    vi.spyOn(app.vault, "create").mockRejectedValueOnce(new Error("File already exists."));
    expect(await codeOf(vault.write("a.md", "x"))).toBe("exists");
  });

  it("tolerates a folder created by someone else between its check and createFolder", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    const realCreateFolder = app.vault.createFolder.bind(app.vault);
    vi.spyOn(app.vault, "createFolder").mockImplementationOnce(async (path) => {
      await realCreateFolder(path);
      throw new Error("Folder already exists.");
    });
    await vault.write("Book/a.md", "x");
    expect(await vault.read("Book/a.md")).toBe("x");
  });

  it("matches Obsidian's NFC paths whatever form the caller used", async () => {
    const app = createStubApp();
    const vault = new ObsidianVault(app);
    const decomposed = "Cafe\u0301.md";
    await vault.write(decomposed, "x");
    expect(app.vault.getFileByPath("Caf\u00e9.md")).not.toBeNull();
    expect(await vault.read(decomposed)).toBe("x");
  });
});

describe("the Obsidian stand-in", () => {
  it("refuses to create over an existing file or in a missing folder, as Obsidian does", async () => {
    const app = createStubApp();
    await app.vault.create("a.md", "x");
    await expect(app.vault.create("a.md", "y")).rejects.toThrow("File already exists.");
    await expect(app.vault.create("Missing/a.md", "y")).rejects.toThrow(/ENOENT/);
  });

  it("throws for members it does not model rather than guessing", async () => {
    const app = createStubApp();
    await expect(app.vault.copy()).rejects.toThrow(/not part of the Obsidian stand-in/);
  });
});
