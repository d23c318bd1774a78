/**
 * Longform interop: a Longform project's index note (frontmatter `longform:` with `scenes`) is read as a
 * book, its scenes as chapters in Longform's order. Bookwright never writes inside `longform:`.
 */
import { joinVaultPath, parentFolder } from "../vault/vault-files";

export interface LongformProject {
  title: string | undefined;
  format: "scenes" | "single";
  /** Vault-relative paths of the scene notes, in Longform's order (nested scenes flattened). */
  scenePaths: string[];
  /** Nesting level of each scene (0 = top), kept so exports can treat indented scenes as sections. */
  sceneDepths: number[];
}

/** Reads the `longform:` block of an index note; null when the note is not a Longform project. */
export function readLongform(indexPath: string, data: Record<string, unknown>): LongformProject | null {
  const block = data.longform;
  if (block === null || typeof block !== "object" || Array.isArray(block)) return null;
  const lf = block as Record<string, unknown>;
  const format = lf.format === "single" ? "single" : "scenes";
  const title = typeof lf.title === "string" ? lf.title : undefined;
  if (format === "single") return { title, format, scenePaths: [indexPath], sceneDepths: [0] };
  const sceneFolder = typeof lf.sceneFolder === "string" ? lf.sceneFolder : "/";
  const base = joinVaultPath(parentFolder(indexPath), sceneFolder === "/" ? "" : sceneFolder);
  const scenePaths: string[] = [];
  const sceneDepths: number[] = [];
  const walk = (items: unknown, depth: number): void => {
    if (!Array.isArray(items)) return;
    for (const item of items) {
      if (Array.isArray(item)) walk(item, depth + 1);
      else if (typeof item === "string" && item.trim() !== "") {
        scenePaths.push(joinVaultPath(base, `${item}.md`));
        sceneDepths.push(depth);
      }
    }
  };
  walk(lf.scenes, 0);
  return { title, format, scenePaths, sceneDepths };
}
