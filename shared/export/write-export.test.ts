import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { VaultError, type VaultFiles } from "../vault/vault-files";
import { writeExport } from "./write-export";

describe("writeExport", () => {
  it("lands in the book's Exports folder, named after the title and format", async () => {
    const vault = new MemoryVault();
    const path = await writeExport(vault, "Tides", { format: "txt", name: "Tides: a novel?", text: "Hello\n" });
    expect(path).toBe("Tides/Exports/Tides a novel (txt).txt");
    expect(await vault.read(path)).toBe("Hello\n");
    expect(await vault.exists("Tides/Exports/.Tides a novel (txt).txt.partial")).toBe(false);
  });

  it("numbers the name when it is taken, unless asked to overwrite", async () => {
    const vault = new MemoryVault();
    const write = (text: string, overwrite = false) => writeExport(vault, "Tides", { format: "md", name: "Tides", text, overwrite });
    expect(await write("one")).toBe("Tides/Exports/Tides (md).md");
    expect(await write("two")).toBe("Tides/Exports/Tides (md) 1.md");
    expect(await write("three")).toBe("Tides/Exports/Tides (md) 2.md");
    expect(await write("four", true)).toBe("Tides/Exports/Tides (md).md");
    expect(await vault.read("Tides/Exports/Tides (md).md")).toBe("four");
    expect((await vault.list("Tides/Exports")).map((f) => f.path)).toEqual([
      "Tides/Exports/Tides (md) 1.md",
      "Tides/Exports/Tides (md) 2.md",
      "Tides/Exports/Tides (md).md",
    ]);
  });

  it("writes bytes and names the file after the folder when no name is given", async () => {
    const vault = new MemoryVault();
    const path = await writeExport(vault, "Books/Tides", { format: "txt", bytes: new TextEncoder().encode("x") });
    expect(path).toBe("Books/Tides/Exports/Tides (txt).txt");
  });

  it.each(["write", "rename"] as const)("leaves nothing behind when the %s fails", async (failing) => {
    const memory = new MemoryVault();
    const vault: VaultFiles = Object.create(memory) as VaultFiles;
    vault[failing] = async (path: string, other: string) => {
      // A write that dies halfway: part of the file is on disk when the error comes.
      if (failing === "write") await memory.write(path, other.slice(0, 2));
      throw new VaultError("io", path, "disk full");
    };
    await expect(writeExport(vault, "Tides", { format: "txt", name: "Tides", text: "Hello\n" })).rejects.toThrow("disk full");
    expect(await memory.exists("Tides/Exports/Tides (txt).txt")).toBe(false);
    expect(await memory.exists("Tides/Exports/.Tides (txt).txt.partial")).toBe(false);
    expect(await memory.list("Tides")).toEqual([]);
  });
});
