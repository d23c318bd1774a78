import { describe, expect, it } from "vitest";
import { MemoryVault } from "../testing/memory-vault";
import { fontRoleOf, pickFontFiles, readFontFolder } from "./font-files";

describe("fontRoleOf", () => {
  it.each([
    ["Garamond-Regular.ttf", "regular"],
    ["Garamond.ttf", "regular"],
    ["Garamond-Italic.ttf", "italic"],
    ["Lora-BoldItalic.otf", "boldItalic"],
    ["Crimson Pro Bold Italic.ttf", "boldItalic"],
    ["EBGaramond_400Regular.ttf", "regular"],
    ["EBGaramond_400Regular_Italic.ttf", "italic"],
    ["EBGaramond_700Bold.ttf", "bold"],
    ["EBGaramond_700Bold_Italic.ttf", "boldItalic"],
    ["SourceSerif-It.otf", "italic"],
    ["Lora-SemiBold.ttf", null],
    ["EBGaramond_800ExtraBold.ttf", null],
    ["Inter-Light.ttf", null],
    ["cover.jpg", null],
  ])("%s → %s", (name, role) => {
    expect(fontRoleOf(name)).toBe(role);
  });
});

describe("pickFontFiles", () => {
  it("picks one file per style and ignores other weights and files", () => {
    const picked = pickFontFiles("Fonts", ["Lora-Regular.ttf", "Lora-Italic.ttf", "Lora-Bold.ttf", "Lora-BoldItalic.ttf", "Lora-SemiBold.ttf", "OFL.txt"]);
    expect(picked).toEqual({ files: { regular: "Lora-Regular.ttf", italic: "Lora-Italic.ttf", bold: "Lora-Bold.ttf", boldItalic: "Lora-BoldItalic.ttf" } });
  });

  it("names the folder, the missing styles and what it found", () => {
    expect(pickFontFiles("Fonts", ["Lora-Regular.ttf", "Lora-Italic.ttf"])).toEqual({
      error: "Fonts: expected a regular, italic, bold and bold italic font file; missing bold, bold italic (found Lora-Regular.ttf, Lora-Italic.ttf)",
    });
    expect(pickFontFiles("Fonts", ["notes.md"])).toEqual({ error: "Fonts: expected a regular, italic, bold and bold italic font file; missing regular, italic, bold, bold italic (found no .ttf or .otf files)" });
  });

  it("refuses two files for one style", () => {
    const picked = pickFontFiles("Fonts", ["A-Regular.ttf", "B-Regular.ttf", "A-Italic.ttf", "A-Bold.ttf", "A-BoldItalic.ttf"]);
    expect(picked).toEqual({ error: "Fonts: more than one regular font (A-Regular.ttf, B-Regular.ttf); keep one per style in the folder" });
  });
});

describe("readFontFolder", () => {
  it("reads the four styles from a vault folder and names a folder that is missing or incomplete", async () => {
    const vault = new MemoryVault();
    for (const [name, byte] of [["Lora-Regular.ttf", 1], ["Lora-Italic.ttf", 2], ["Lora-Bold.ttf", 3], ["Lora-BoldItalic.ttf", 4], ["Extra/Other-Regular.ttf", 5]] as const) {
      await vault.writeBinary(`Fonts/${name}`, new Uint8Array([byte]));
    }
    const fonts = await readFontFolder(vault, "Fonts/");
    expect([fonts.regular, fonts.italic, fonts.bold, fonts.boldItalic].map((b) => b[0])).toEqual([1, 2, 3, 4]);
    await expect(readFontFolder(vault, "Nope")).rejects.toThrow("Print font folder Nope: no such folder in the vault");
    await expect(readFontFolder(vault, "Fonts/Lora-Regular.ttf")).rejects.toThrow("no such folder");
    await expect(readFontFolder(vault, "Fonts/Extra")).rejects.toThrow("Print font folder Fonts/Extra: expected a regular, italic, bold and bold italic font file; missing italic, bold, bold italic");
  });
});
