/**
 * A writer's own print typeface: a folder of TrueType/OpenType files, one per style. Font files name their
 * style in many ways (`Garamond-Italic.ttf`, `Lora-BoldItalic.otf`, `Crimson Pro Bold Italic.ttf`,
 * `EBGaramond_400Regular.ttf`), so the style is read from the file name, and a folder that leaves a style
 * unclear is refused with the names it found rather than printed in the wrong face.
 */

import { baseName, joinVaultPath, normalizeVaultPath, type VaultFiles } from "../vault/vault-files";

export type FontRole = "regular" | "italic" | "bold" | "boldItalic";

export const FONT_ROLES: readonly FontRole[] = ["regular", "italic", "bold", "boldItalic"];

const FONT_FILE = /\.(ttf|otf)$/i;

/** The style a font file's name declares, or null for a weight a book does not use (Light, Black …). */
export function fontRoleOf(fileName: string): FontRole | null {
  if (!FONT_FILE.test(fileName)) return null;
  const name = fileName.replace(FONT_FILE, "").replace(/([a-z])([A-Z])/g, "$1 $2").replace(/([0-9])([A-Za-z])/g, "$1 $2").toLowerCase();
  const words = name.split(/[^a-z0-9]+/).filter(Boolean);
  const has = (w: string): boolean => words.includes(w);
  const italic = has("italic") || has("it") || has("oblique");
  const bold = has("bold") || has("700");
  const other = ["thin", "light", "extralight", "medium", "semibold", "extrabold", "black", "heavy", "100", "200", "300", "500", "600", "800", "900", "extra", "semi", "demi"].some(has);
  if (other && !bold) return null;
  if (has("extra") || has("semi") || has("demi")) return null;
  if (bold) return italic ? "boldItalic" : "bold";
  return italic ? "italic" : "regular";
}

/**
 * Picks one file per style from a folder's file names. Returns the chosen names, or a message naming the
 * folder and what is missing or ambiguous.
 */
export function pickFontFiles(folder: string, fileNames: string[]): { files: Record<FontRole, string> } | { error: string } {
  const byRole = new Map<FontRole, string[]>();
  for (const name of fileNames) {
    const role = fontRoleOf(name);
    if (role) byRole.set(role, [...(byRole.get(role) ?? []), name]);
  }
  const missing = FONT_ROLES.filter((r) => !byRole.has(r));
  if (missing.length > 0) {
    const fonts = fileNames.filter((n) => FONT_FILE.test(n));
    const found = fonts.length === 0 ? "no .ttf or .otf files" : fonts.join(", ");
    return { error: `${folder}: expected a regular, italic, bold and bold italic font file; missing ${missing.map(describeRole).join(", ")} (found ${found})` };
  }
  const ambiguous = FONT_ROLES.filter((r) => byRole.get(r)!.length > 1);
  if (ambiguous.length > 0) {
    const role = ambiguous[0]!;
    return { error: `${folder}: more than one ${describeRole(role)} font (${byRole.get(role)!.join(", ")}); keep one per style in the folder` };
  }
  return { files: Object.fromEntries(FONT_ROLES.map((r) => [r, byRole.get(r)![0]!])) as Record<FontRole, string> };
}

function describeRole(role: FontRole): string {
  return role === "boldItalic" ? "bold italic" : role;
}

/** The four styles from a vault folder of font files; throws naming the folder and what is wrong with it. */
export async function readFontFolder(vault: VaultFiles, folder: string): Promise<Record<FontRole, Uint8Array>> {
  const path = normalizeVaultPath(folder);
  if (path === "" || !(await vault.exists(path)) || (await vault.stat(path)) !== null) throw new Error(`Print font folder ${path || "(none)"}: no such folder in the vault`);
  const names = (await vault.list(path)).filter((f) => parentOf(f.path) === path).map((f) => baseName(f.path));
  const picked = pickFontFiles(path, names);
  if ("error" in picked) throw new Error(`Print font folder ${picked.error}`);
  const read = (role: FontRole): Promise<Uint8Array> => vault.readBinary(joinVaultPath(path, picked.files[role]));
  return { regular: await read("regular"), italic: await read("italic"), bold: await read("bold"), boldItalic: await read("boldItalic") };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}
