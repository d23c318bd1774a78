import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { VaultError } from "../../shared/vault/vault-files";
import { describeVaultContract, trashFolderTexts } from "../../shared/testing/vault-contract";
import { NodeVault } from "./node-vault";

/**
 * A config folder as users set it (Obsidian lets each device pick its own dot-folder name), which is why
 * listings skip every dot-folder rather than one known name.
 */
const CONFIG_FOLDER = ".obsidian-mobile";

async function tempFolder(): Promise<string> {
  return fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-vault-"));
}

describeVaultContract("NodeVault", async () => {
  const root = await tempFolder();
  const vault = new NodeVault(root);
  return { vault, trashedTexts: trashFolderTexts(vault), cleanup: () => fs.rm(root, { recursive: true, force: true }) };
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof VaultError ? error.code : `not a VaultError: ${String(error)}`;
}

/** Every file below `folder` on disk, dot-files included, as paths relative to it. */
async function everyFile(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => nodePath.relative(folder, nodePath.join(e.parentPath, e.name)).split(nodePath.sep).join("/"))
    .sort();
}

describe("NodeVault on disk", () => {
  let base: string;
  let root: string;
  let outside: string;
  let vault: NodeVault;

  beforeEach(async () => {
    base = await tempFolder();
    root = nodePath.join(base, "vault");
    outside = nodePath.join(base, "outside");
    await fs.mkdir(root);
    await fs.mkdir(outside);
    await fs.writeFile(nodePath.join(outside, "secret.md"), "secret");
    vault = new NodeVault(root);
  });

  afterEach(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });

  it("needs an absolute root", () => {
    expect(() => new NodeVault("relative/vault")).toThrow(/absolute/);
  });

  describe("symbolic links", () => {
    beforeEach(async () => {
      await fs.symlink(outside, nodePath.join(root, "escape"), "dir");
      await fs.symlink(nodePath.join(outside, "secret.md"), nodePath.join(root, "leak.md"), "file");
      await fs.writeFile(nodePath.join(root, "real.md"), "inside");
      await fs.mkdir(nodePath.join(root, "Book"));
      await fs.symlink(nodePath.join(root, "real.md"), nodePath.join(root, "Book", "alias.md"), "file");
      // A link back up the tree: listing must not loop.
      await fs.symlink(root, nodePath.join(root, "Book", "loop"), "dir");
    });

    it("lists links that stay inside the vault and skips those that leave it", async () => {
      expect((await vault.list()).map((f) => f.path)).toEqual(["Book/alias.md", "real.md"]);
    });

    it("refuses to read or stat through a link out of the vault", async () => {
      expect(await codeOf(vault.read("escape/secret.md"))).toBe("invalid-path");
      expect(await codeOf(vault.read("leak.md"))).toBe("invalid-path");
      expect(await codeOf(vault.stat("leak.md"))).toBe("invalid-path");
      expect(await codeOf(vault.exists("escape"))).toBe("invalid-path");
    });

    it("refuses to write, rename or trash through a link out of the vault, leaving the outside alone", async () => {
      expect(await codeOf(vault.write("escape/new.md", "x"))).toBe("invalid-path");
      expect(await codeOf(vault.write("leak.md", "x"))).toBe("invalid-path");
      expect(await codeOf(vault.process("leak.md", () => "x"))).toBe("invalid-path");
      expect(await codeOf(vault.rename("real.md", "escape/real.md"))).toBe("invalid-path");
      expect(await codeOf(vault.trash("leak.md"))).toBe("invalid-path");
      expect(await codeOf(vault.mkdir("escape/sub"))).toBe("invalid-path");
      expect(await everyFile(outside)).toEqual(["secret.md"]);
      expect(await fs.readFile(nodePath.join(outside, "secret.md"), "utf8")).toBe("secret");
    });

    it("refuses a trash folder that is a link out of the vault", async () => {
      await fs.symlink(outside, nodePath.join(root, ".trash"), "dir");
      expect(await codeOf(vault.trash("real.md"))).toBe("invalid-path");
      expect(await vault.read("real.md")).toBe("inside");
      expect(await everyFile(outside)).toEqual(["secret.md"]);
    });

    it("stops trusting a folder that became a link out of the vault once the vault lists again", async () => {
      await fs.mkdir(nodePath.join(root, "Swap"));
      await fs.writeFile(nodePath.join(root, "Swap", "secret.md"), "mine");
      expect(await vault.read("Swap/secret.md")).toBe("mine"); // the folder is trusted for reads now
      await fs.rm(nodePath.join(root, "Swap"), { recursive: true });
      await fs.symlink(outside, nodePath.join(root, "Swap"), "dir");
      await vault.list();
      expect(await codeOf(vault.read("Swap/secret.md"))).toBe("invalid-path");
      expect(await codeOf(vault.readBinary("Swap/secret.md"))).toBe("invalid-path");
    });

    it("trusts a folder for reads only briefly, even without a new listing", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        await fs.mkdir(nodePath.join(root, "Swap"));
        await fs.writeFile(nodePath.join(root, "Swap", "secret.md"), "mine");
        expect(await vault.read("Swap/secret.md")).toBe("mine");
        await fs.rm(nodePath.join(root, "Swap"), { recursive: true });
        await fs.symlink(outside, nodePath.join(root, "Swap"), "dir");
        vi.setSystemTime(Date.now() + 2_500);
        expect(await codeOf(vault.read("Swap/secret.md"))).toBe("invalid-path");
      } finally {
        vi.useRealTimers();
      }
    });

    it("reads and writes through a link that stays inside", async () => {
      expect(await vault.read("Book/alias.md")).toBe("inside");
      await vault.process("Book/alias.md", (s) => `${s}!`);
      expect(await vault.read("Book/alias.md")).toBe("inside!");
    });
  });

  it("works when the root itself is reached through a link", async () => {
    const link = nodePath.join(base, "link-to-vault");
    await fs.symlink(root, link, "dir");
    const linked = new NodeVault(link);
    await linked.write("Book/a.md", "x");
    expect(await fs.readFile(nodePath.join(root, "Book", "a.md"), "utf8")).toBe("x");
    expect((await linked.list()).map((f) => f.path)).toEqual(["Book/a.md"]);
  });

  it("skips dot-files and dot-folders when listing", async () => {
    for (const path of [`${CONFIG_FOLDER}/app.json`, ".trash/old.md", ".git/HEAD", "Book/.draft.md", "Book/a.md"]) {
      await fs.mkdir(nodePath.dirname(nodePath.join(root, path)), { recursive: true });
      await fs.writeFile(nodePath.join(root, path), "");
    }
    expect((await vault.list()).map((f) => f.path)).toEqual(["Book/a.md"]);
  });

  describe("atomic writes", () => {
    it("leaves only the target file behind after many writes", async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => vault.write("Book/a.md", `version ${i}`)));
      await Promise.all(Array.from({ length: 20 }, () => vault.process("Book/a.md", (s) => `${s}.`)));
      expect(await everyFile(root)).toEqual(["Book/a.md"]);
    });

    it("removes its temp file when the final rename fails", async () => {
      // The target is a folder, so the temp file is written and flushed but cannot be renamed over it.
      await fs.mkdir(nodePath.join(root, "Book", "a.md"), { recursive: true });
      expect(await codeOf(vault.write("Book/a.md", "x"))).toBe("is-folder");
      expect(await fs.readdir(nodePath.join(root, "Book"))).toEqual(["a.md"]);
    });

    it("never shows a reader half a file", async () => {
      const first = "a".repeat(2_000_000);
      const second = "b".repeat(2_500_000);
      await vault.write("big.md", first);
      const write = vault.write("big.md", second);
      const seen = await Promise.all(Array.from({ length: 30 }, () => vault.read("big.md")));
      await write;
      for (const text of seen) expect(text === first || text === second).toBe(true);
      expect(await vault.read("big.md")).toBe(second);
    });

    it("keeps the permissions of the file it replaces", async () => {
      const file = nodePath.join(root, "private.md");
      await fs.writeFile(file, "x");
      await fs.chmod(file, 0o600);
      await vault.write("private.md", "y");
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    });

    it("refuses to write the vault folder itself, creating nothing beside it", async () => {
      expect(await codeOf(vault.write("", "x"))).toBe("is-folder");
      expect((await fs.readdir(base)).sort()).toEqual(["outside", "vault"]);
    });
  });

  it("keeps trashed files in .trash with unique names", async () => {
    await vault.write("One/a.md", "1");
    await vault.write("Two/a.md", "2");
    await vault.trash("One/a.md");
    await vault.trash("Two/a.md");
    expect(await everyFile(nodePath.join(root, ".trash"))).toEqual(["a 1.md", "a.md"]);
    expect(await fs.readFile(nodePath.join(root, ".trash", "a.md"), "utf8")).toBe("1");
  });

  it("stores text as UTF-8 with the BOM and line ends untouched", async () => {
    await vault.write("a.md", "\uFEFFone\r\ntwo");
    expect(await fs.readFile(nodePath.join(root, "a.md"))).toEqual(Buffer.from("\uFEFFone\r\ntwo", "utf8"));
  });

  it("reports a missing root as not-found rather than crashing", async () => {
    const gone = new NodeVault(nodePath.join(base, "no-such-vault"));
    expect(await codeOf(gone.list())).toBe("not-found");
  });
});
