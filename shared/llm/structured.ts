/**
 * Structured replies (outlines, character sheets, check results) validated with zod.
 *
 * The request carries the schema (as a forced tool or `output_config.format`, see anthropic-llm.ts), but we
 * never trust the server to have honoured it: local servers may ignore tool_choice and the structured-output
 * options and answer in prose with JSON in it, models can send malformed tool JSON, and JSON Schema as the
 * API accepts it cannot say everything zod can (lengths, ranges, refinements). So the reply is found
 * wherever it is, validated here, and a failure gets exactly one repair call that shows the model its
 * reply and what was wrong with it. A second failure is an `invalid_output` error naming the fields.
 */
import * as z from "zod";
import { addUsage, LlmError, type Llm, type LlmMessage, type LlmRequest, type LlmResponse, type LlmTool, type LlmUsage } from "./llm";

export interface StructuredOptions {
  /** Letters, digits, `_` and `-`: the API's rule for tool names. */
  toolName: string;
  /** What the value is, for the model: "The outline of one chapter, scene by scene." */
  description: string;
}

export interface StructuredResult<T> {
  value: T;
  /** Summed over the first call and the repair call, if there was one. */
  usage: LlmUsage;
  /** Whether the value came from the repair call. */
  repaired: boolean;
  /** The reply the value came from. */
  response: LlmResponse;
}

/**
 * Asks for a value matching `schema` and returns it validated. One repair call on a reply that does not
 * validate; a second failure throws `LlmError("invalid_output")`. Transport errors (rate limits, cuts) are
 * thrown as they come: wrap `llm` with `retrying` (retry.ts) to retry each call.
 */
export async function completeStructured<S extends z.ZodType>(
  llm: Llm,
  request: Omit<LlmRequest, "tool">,
  schema: S,
  options: StructuredOptions,
): Promise<StructuredResult<z.output<S>>> {
  const tool = toolFor(schema, options);
  const first = await llm.complete({ ...request, tool });
  const firstTry = check(first, schema);
  if (firstTry.ok) return { value: firstTry.value, usage: first.usage, repaired: false, response: first };

  const repairMessages: LlmMessage[] = [
    ...request.messages,
    { role: "assistant", content: [{ text: firstTry.echo }] },
    { role: "user", content: [{ text: repairInstruction(firstTry.problem, options.toolName, tool) }] },
  ];
  const second = await llm.complete({ ...request, messages: repairMessages, tool });
  const usage = addUsage(first.usage, second.usage);
  const secondTry = check(second, schema);
  if (secondTry.ok) return { value: secondTry.value, usage, repaired: true, response: second };

  const cut = second.stopReason === "max_tokens" ? " The reply was cut off at the length limit; allow more output tokens." : "";
  throw new LlmError(
    "invalid_output",
    `The model's ${options.toolName} reply did not have the expected shape, even after one correction. ${secondTry.problem.summary}${cut}`,
    second.requestId ? { requestId: second.requestId } : {},
  );
}

/**
 * The tool for `schema`. JSON Schema of the schema's input side: what the model writes is parsed by zod,
 * so fields with defaults are optional for the model, not required.
 */
export function toolFor(schema: z.ZodType, options: StructuredOptions): LlmTool {
  const inputSchema = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  // The dialect marker constrains nothing, and not every server accepts keys it does not know.
  delete inputSchema.$schema;
  return { name: options.toolName, description: options.description, inputSchema };
}

/**
 * Validates a reply that was not obtained through {@link completeStructured} (a Message Batches result):
 * the value, or what was wrong with it in words for the writer. No repair call is made here; the caller
 * decides whether the item is worth a live call.
 */
export function validateStructured<S extends z.ZodType>(response: LlmResponse, schema: S): { ok: true; value: z.output<S> } | { ok: false; problem: string } {
  const checked = check(response, schema);
  return checked.ok ? { ok: true, value: checked.value } : { ok: false, problem: checked.problem.summary };
}

interface Problem {
  /** For the model: every issue with its path. */
  detail: string;
  /** For the writer and logs: which fields failed. */
  summary: string;
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: Problem; echo: string };

function check<S extends z.ZodType>(response: LlmResponse, schema: S): Checked<z.output<S>> {
  const found = candidateOf(response);
  if (!found.ok) {
    const echo = response.rawToolInput ?? response.text;
    return { ok: false, problem: found.problem, echo: echo.trim() === "" ? "(no reply)" : echo };
  }
  const parsed = schema.safeParse(found.value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problem: describeIssues(parsed.error), echo: JSON.stringify(found.value, null, 2) };
}

/** The JSON value of a reply: the tool input, or JSON in the text for a server that ignored the tool. */
function candidateOf(response: LlmResponse): { ok: true; value: unknown } | { ok: false; problem: Problem } {
  if (response.toolInput !== undefined) return { ok: true, value: response.toolInput };
  if (response.rawToolInput !== undefined) {
    const reason = jsonError(response.rawToolInput);
    return {
      ok: false,
      problem: { detail: `The tool input was not valid JSON (${reason}).`, summary: `Its JSON was malformed (${reason}).` },
    };
  }
  const fromText = jsonInText(response.text);
  if (fromText.found) return { ok: true, value: fromText.value };
  return {
    ok: false,
    problem: { detail: "The reply contained no JSON value and no tool call.", summary: "It contained no JSON at all." },
  };
}

/**
 * JSON somewhere in prose: the whole text, else a fenced block (```json or plain ```), else the span from the
 * first `{` to the last `}` (or `[` … `]`). Local models wrap JSON in explanations and code fences.
 */
export function jsonInText(text: string): { found: true; value: unknown } | { found: false } {
  const candidates: string[] = [text.trim()];
  for (const match of text.matchAll(/```[a-zA-Z0-9_-]*[^\S\n]*\n([\s\S]*?)```/g)) {
    if (match[1] !== undefined) candidates.push(match[1].trim());
  }
  for (const [open, close] of [["{", "}"], ["[", "]"]] as const) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  }
  for (const candidate of candidates) {
    if (candidate === "") continue;
    try {
      return { found: true, value: JSON.parse(candidate) as unknown };
    } catch {
      // Try the next way of finding it.
    }
  }
  return { found: false };
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return "no error";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function describeIssues(error: z.ZodError): Problem {
  const lines = error.issues.map((issue) => `- ${pathOf(issue.path)}: ${issue.message}`);
  const fields = [...new Set(error.issues.map((issue) => pathOf(issue.path)))];
  return {
    detail: `It failed validation:\n${lines.join("\n")}`,
    summary: `These fields were wrong: ${fields.join(", ")}.`,
  };
}

/** `beats[0].title`, or `(the whole value)` for the root. */
function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(the whole value)";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function repairInstruction(problem: Problem, toolName: string, tool: LlmTool): string {
  return [
    `Your ${toolName} reply above could not be used. ${problem.detail}`,
    "",
    `Send the whole ${toolName} value again, corrected, as JSON matching this schema (calling the ${toolName} tool if tools are available):`,
    JSON.stringify(tool.inputSchema),
  ].join("\n");
}
