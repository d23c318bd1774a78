import type * as z from "zod";
import type { Diagnostic } from "./diagnostics";
import { lineOfKey, type FrontmatterBlock } from "./frontmatter";

/**
 * Validates frontmatter against a schema without letting one bad key sink the note: each invalid key is
 * reported (file, line, key, what was expected) and dropped, and the rest is validated again. `fallback`
 * fills required keys the note lacks, so the book still loads.
 */
export function validateLeniently<T extends z.ZodType>(
  schema: T,
  data: Record<string, unknown>,
  context: { path: string; text: string; block: FrontmatterBlock | null; fallback?: Record<string, unknown> },
): { value: z.infer<T> | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let candidate: Record<string, unknown> = { ...data };
  for (let attempt = 0; attempt < 8; attempt++) {
    const result = schema.safeParse(candidate);
    if (result.success) return { value: result.data, diagnostics };
    const dropped = new Set<string>();
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : undefined;
      const present = key !== undefined && key in candidate;
      const line = key !== undefined && context.block ? lineOfKey(context.text, context.block, key) : undefined;
      const got = present ? ` (got ${describe(candidate[key])})` : "";
      const keyPath = issue.path.map(String).join(".");
      diagnostics.push({
        severity: "error",
        path: context.path,
        ...(line === undefined ? {} : { line }),
        ...(key === undefined ? {} : { field: keyPath }),
        message: present ? `${plainMessage(issue)}${got}` : `missing required key '${keyPath}'; ${plainMessage(issue)}`,
      });
      if (key !== undefined) dropped.add(key);
    }
    const next: Record<string, unknown> = { ...candidate };
    for (const key of dropped) delete next[key];
    if (context.fallback) {
      for (const [key, value] of Object.entries(context.fallback)) if (!(key in next)) next[key] = value;
    }
    if (dropped.size === 0 && !context.fallback) break;
    candidate = next;
  }
  return { value: null, diagnostics };
}

/** zod's messages in a writer's words: "expected a number" rather than "Invalid input: expected number". */
function plainMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const names: Record<string, string> = { number: "a number", string: "text", array: "a list", object: "a map", boolean: "true or false" };
    return `expected ${names[issue.expected] ?? issue.expected}`;
  }
  return issue.message;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "a list";
  if (value === null) return "nothing";
  if (typeof value === "object") return "a map";
  return JSON.stringify(value) ?? "nothing";
}
