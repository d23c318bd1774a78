/**
 * Puts an exported file in the book's `Exports/` folder without ever leaving half of one there: the
 * content goes to a hidden `.<name>.partial` file first and is renamed into place once it is complete.
 * The VaultFiles port has no atomic replace, but `rename` refuses a taken name in one step, which is
 * also how a free numbered name is claimed when two exports race.
 */
import { safeFileName, safeFileNameWithSuffix } from "../book/safe-name";
import { baseName, joinVaultPath, normalizeVaultPath, numberedName, VaultError, type VaultFiles } from "../vault/vault-files";

export const EXPORTS_FOLDER = "Exports";

export type ExportContent = { text: string } | { bytes: Uint8Array };

export type WriteExportOptions = ExportContent & {
  /** The format's name, shown in the file name: `Tides (manuscript).docx`. */
  format: string;
  /** The file extension, without its dot. @default format */
  extension?: string;
  /** The title the file is named after. @default the book folder's name */
  name?: string;
  /** Replace an export of the same name instead of numbering the new one. @default false */
  overwrite?: boolean;
};

/** A taken name is numbered `… 1`, `… 2`; past this many, something else is wrong. */
const MAX_NUMBERED = 1000;

/**
 * An export's file name, `<Title> (<format>).<extension>`, safe on every file system: the one place it is
 * made, so the companion's downloads and the plugin's writes of them get the name an export in place gets.
 */
export function exportFileName(title: string, format: string, extension = format): string {
  return `${safeFileNameWithSuffix(title.trim() || "Book", ` (${format})`)}.${extension}`;
}

/** Writes the export and returns its vault path: `<book>/Exports/<Title> (<format>).<extension>`. */
export async function writeExport(vault: VaultFiles, bookFolder: string, options: WriteExportOptions): Promise<string> {
  const folder = joinVaultPath(normalizeVaultPath(bookFolder), EXPORTS_FOLDER);
  const title = options.name?.trim() || baseName(normalizeVaultPath(bookFolder)) || "Book";
  const fileName = exportFileName(title, options.format, options.extension ?? options.format);
  const target = joinVaultPath(folder, fileName);
  // Hidden (a leading dot), so neither Obsidian's file list nor a VaultFiles listing shows it meanwhile.
  const partial = joinVaultPath(folder, `.${safeFileName(fileName)}.partial`);
  await vault.mkdir(folder);
  try {
    if ("text" in options) await vault.write(partial, options.text);
    else await vault.writeBinary(partial, options.bytes);
    return options.overwrite ? await replace(vault, partial, target) : await claimFreeName(vault, partial, target);
  } catch (error) {
    await removeQuietly(vault, partial);
    throw error;
  }
}

async function claimFreeName(vault: VaultFiles, partial: string, target: string): Promise<string> {
  const name = baseName(target);
  const folder = target.slice(0, target.length - name.length);
  for (let i = 0; i <= MAX_NUMBERED; i++) {
    const candidate = `${folder}${numberedName(name, i)}`;
    try {
      await vault.rename(partial, candidate);
      return candidate;
    } catch (error) {
      if (!(error instanceof VaultError && error.code === "exists")) throw error;
    }
  }
  throw new Error(`${target}: ${MAX_NUMBERED} exports of this name already exist; move some out of ${folder.replace(/\/$/, "")}`);
}

/**
 * The old export is moved aside before the new one is renamed in, and put back if that fails, so at
 * every moment the name holds either the old file or the new one. The old one goes to the vault's trash.
 */
async function replace(vault: VaultFiles, partial: string, target: string): Promise<string> {
  if (!(await vault.exists(target))) return claimFreeName(vault, partial, target);
  const aside = `${partial}.old`;
  await removeQuietly(vault, aside);
  await vault.rename(target, aside);
  try {
    await vault.rename(partial, target);
  } catch (error) {
    await vault.rename(aside, target).catch(() => undefined);
    throw error;
  }
  await vault.trash(aside);
  return target;
}

/** Clean-up after a failure must not hide the failure itself. */
async function removeQuietly(vault: VaultFiles, path: string): Promise<void> {
  try {
    if (await vault.exists(path)) await vault.trash(path);
  } catch {
    // The original error is the one worth reporting; a leftover hidden file is harmless.
  }
}
