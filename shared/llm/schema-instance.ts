/**
 * A JSON value that validates against a JSON Schema: what a stand-in "model" puts in a forced tool call or a
 * structured-output reply. Two use it: the fake Anthropic server of the tests (test/fake-anthropic/, a
 * minimal value when the test script gives none) and the offline simulator (simulated-llm.ts, which picks
 * plausible values through `choose`). It lives here rather than beside the fake server because the
 * simulator ships in the product and shared/ may not import test code.
 *
 * It covers the subset that z.toJSONSchema emits and the Messages API accepts (objects, arrays, tuples,
 * enums, consts, unions, $ref/$defs, string formats, numeric bounds). A `pattern` without a known `format`
 * is met only if one of a few candidate strings happens to match; general regex inversion is out of scope.
 */

type Schema = Record<string, unknown>;

/** Where a value sits: property names and array indexes from the root, e.g. `["beats", 0, "summary"]`. */
export type InstancePath = readonly (string | number)[];

/**
 * Values a caller wants at given places instead of the generic ones. Each may return undefined to leave
 * the place to the generic rule. What they return is fitted to the schema, so a choice can never make the
 * value invalid: a string to its length bounds (and dropped when it misses a pattern), a count to
 * minItems/maxItems, a number dropped when it is out of bounds or not an integer where one is needed.
 */
export interface InstanceChoices {
  string?: (path: InstancePath) => string | undefined;
  /** How many items an array gets (the generic rule gives one). */
  count?: (path: InstancePath) => number | undefined;
  number?: (path: InstancePath) => number | undefined;
  /** Whether an optional property is filled in (the generic rule leaves them all out). */
  optional?: (path: InstancePath) => boolean;
}

export interface InstanceOptions {
  /**
   * Strings to use for string values, in turn (e.g. the names from the request), so end-to-end tests can see
   * data flow from prompt to structured reply. Falls back to "example".
   */
  words?: readonly string[];
  /** For `date`/`date-time` formats. */
  now?: number;
  choose?: InstanceChoices;
}

/** Why the generator gave up: a schema it cannot satisfy (e.g. `false`, an empty enum, a `$ref` it cannot resolve). */
export class UnsatisfiableSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsatisfiableSchemaError";
  }
}

export function instanceOf(schema: unknown, options: InstanceOptions = {}): unknown {
  const generator = new Generator(isSchema(schema) ? schema : {}, options);
  return generator.value(schema, 0, []);
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Recursive schemas (a tree of beats) terminate because optional properties are skipped and arrays stop growing past this depth. */
const MAX_DEPTH = 12;

class Generator {
  private wordIndex = 0;

  constructor(
    private readonly root: Schema,
    private readonly options: InstanceOptions,
  ) {}

  value(schema: unknown, depth: number, path: InstancePath): unknown {
    if (schema === true || schema === undefined) return null;
    if (schema === false) throw new UnsatisfiableSchemaError("schema `false` has no instances");
    if (!isSchema(schema)) throw new UnsatisfiableSchemaError(`not a schema: ${JSON.stringify(schema)}`);
    if (depth > MAX_DEPTH * 4) throw new UnsatisfiableSchemaError("schema recursion too deep");

    if (typeof schema.$ref === "string") return this.value(this.resolve(schema.$ref), depth + 1, path);
    if ("const" in schema) return schema.const;
    if (Array.isArray(schema.enum)) {
      if (schema.enum.length === 0) throw new UnsatisfiableSchemaError("empty enum");
      return schema.enum[0] as unknown;
    }
    const union = asArray(schema.anyOf ?? schema.oneOf);
    if (union.length > 0) {
      // A non-null branch shows more of the reply's shape than `null` does; otherwise the first branch.
      const branch = union.find((b) => !(isSchema(b) && b.type === "null")) ?? union[0];
      return this.value(isSchema(branch) ? { ...withoutKeys(schema, ["anyOf", "oneOf"]), ...branch } : branch, depth + 1, path);
    }
    if (Array.isArray(schema.allOf)) {
      return this.value(mergeAll(withoutKeys(schema, ["allOf"]), schema.allOf), depth + 1, path);
    }

    switch (this.typeOf(schema)) {
      case "object":
        return this.object(schema, depth, path);
      case "array":
        return this.array(schema, depth, path);
      case "string":
        return this.string(schema, path);
      case "integer":
        return numberIn(schema, true, this.options.choose?.number?.(path));
      case "number":
        return numberIn(schema, false, this.options.choose?.number?.(path));
      case "boolean":
        return false;
      case "null":
        return null;
      default:
        return null;
    }
  }

  private typeOf(schema: Schema): string | undefined {
    const type = schema.type;
    if (typeof type === "string") return type;
    if (Array.isArray(type)) {
      const types = type.filter((t): t is string => typeof t === "string");
      return types.find((t) => t !== "null") ?? types[0];
    }
    if (isSchema(schema.properties)) return "object";
    if (schema.items !== undefined || schema.prefixItems !== undefined) return "array";
    return undefined;
  }

  private object(schema: Schema, depth: number, path: InstancePath): Record<string, unknown> {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : [];
    const result: Record<string, unknown> = {};
    for (const key of required) {
      const propertySchema = key in properties ? properties[key] : isSchema(schema.additionalProperties) ? schema.additionalProperties : true;
      result[key] = this.value(propertySchema, depth + 1, [...path, key]);
    }
    const minProperties = typeof schema.minProperties === "number" ? schema.minProperties : 0;
    const wantsOptional = this.options.choose?.optional;
    for (const key of Object.keys(properties)) {
      if (key in result) continue;
      if (Object.keys(result).length < minProperties || wantsOptional?.([...path, key]) === true) {
        result[key] = this.value(properties[key], depth + 1, [...path, key]);
      }
    }
    return result;
  }

  private array(schema: Schema, depth: number, path: InstancePath): unknown[] {
    const prefix = Array.isArray(schema.prefixItems) ? (schema.prefixItems as unknown[]) : [];
    const min = typeof schema.minItems === "number" ? schema.minItems : 0;
    const max = typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    // "Arrays one item" so the reply exercises the item schema, unless the schema forbids it or we are deep in recursion.
    const chosen = depth > MAX_DEPTH ? undefined : this.options.choose?.count?.(path);
    const preferred = chosen !== undefined && Number.isInteger(chosen) && chosen >= 0 ? chosen : depth > MAX_DEPTH ? 0 : 1;
    const wanted = Math.min(max, Math.max(min, prefix.length, preferred));
    const result: unknown[] = [];
    for (let i = 0; i < wanted; i++) {
      if (i < prefix.length) {
        result.push(this.value(prefix[i], depth + 1, [...path, i]));
      } else if (schema.items === false) {
        break;
      } else {
        result.push(this.value(schema.items ?? {}, depth + 1, [...path, i]));
      }
    }
    if (result.length < min) throw new UnsatisfiableSchemaError("array cannot reach minItems");
    return result;
  }

  private string(schema: Schema, path: InstancePath): string {
    const min = typeof schema.minLength === "number" ? schema.minLength : 0;
    const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
    const formatted = this.formatted(typeof schema.format === "string" ? schema.format : undefined);
    if (formatted !== undefined) return formatted;
    const chosen = this.options.choose?.string?.(path);
    const words = this.options.words ?? [];
    const word = words.length > 0 ? (words[this.wordIndex++ % words.length] ?? "example") : "example";
    const pattern = typeof schema.pattern === "string" ? safeRegExp(schema.pattern) : undefined;
    const candidates = [...(chosen !== undefined ? [chosen] : []), word, "example", "a", "A", "0", "a1", "example-1", ""];
    for (const candidate of candidates) {
      const fitted = fitLength(candidate, min, max);
      if (!pattern || pattern.test(fitted)) return fitted;
    }
    return fitLength(word, min, max);
  }

  private formatted(format: string | undefined): string | undefined {
    const iso = new Date(this.options.now ?? 0).toISOString().replace(/\.\d{3}Z$/, "Z");
    switch (format) {
      case "date-time":
        return iso;
      case "date":
        return iso.slice(0, 10);
      case "time":
        return iso.slice(11);
      case "duration":
        return "PT1M";
      case "email":
        return "writer@example.com";
      case "uri":
      case "url":
        return "https://example.com/";
      case "hostname":
        return "example.com";
      case "ipv4":
        return "192.0.2.1";
      case "ipv6":
        return "2001:db8::1";
      case "uuid":
        return "00000000-0000-4000-8000-000000000000";
      default:
        return undefined;
    }
  }

  private resolve(ref: string): unknown {
    if (ref === "#") return this.root;
    if (!ref.startsWith("#/")) throw new UnsatisfiableSchemaError(`cannot resolve external $ref ${ref}`);
    let node: unknown = this.root;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isSchema(node) || !(key in node)) throw new UnsatisfiableSchemaError(`cannot resolve $ref ${ref}`);
      node = node[key];
    }
    return node;
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function withoutKeys(schema: Schema, keys: string[]): Schema {
  const copy: Schema = { ...schema };
  for (const key of keys) delete copy[key];
  return copy;
}

/** allOf as one schema: properties and required lists united, other keywords from the last part that has them. */
function mergeAll(base: Schema, parts: unknown[]): Schema {
  const merged: Schema = { ...base };
  for (const part of parts) {
    if (!isSchema(part)) continue;
    const properties = { ...(isSchema(merged.properties) ? merged.properties : {}), ...(isSchema(part.properties) ? part.properties : {}) };
    const required = [...asArray(merged.required), ...asArray(part.required)];
    Object.assign(merged, part, { properties, required: [...new Set(required)] });
  }
  if (Object.keys(merged.properties as Schema).length === 0) delete merged.properties;
  return merged;
}

/**
 * Bounds the SDK moved out of a strict `output_config` schema into the description ("…\n\n{exclusiveMinimum:
 * 0, maximum: 9007199254740991}"): a real model reads them there, so the fake does too.
 */
function describedBounds(schema: Schema): Record<string, number> {
  const description = typeof schema.description === "string" ? schema.description : "";
  const block = /\{([^{}]*)\}\s*$/.exec(description)?.[1];
  const out: Record<string, number> = {};
  if (!block) return out;
  for (const part of block.split(",")) {
    const match = /^\s*(minimum|exclusiveMinimum|maximum|exclusiveMaximum|multipleOf)\s*:\s*(-?[\d.eE+]+)\s*$/.exec(part);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

/** The generic number within the schema's bounds, or `chosen` when it is a valid one. */
function numberIn(schema: Schema, integer: boolean, chosen?: number): number {
  const hints = describedBounds(schema);
  const num = (key: string): number | undefined => (typeof schema[key] === "number" ? schema[key] : hints[key]);
  // Just inside an exclusive bound: the next integer, or a nudge big enough to survive floating point.
  const inside = (bound: number, direction: 1 | -1): number =>
    integer ? (direction > 0 ? Math.floor(bound) + 1 : Math.ceil(bound) - 1) : bound + direction * Math.max(1e-9, Math.abs(bound) * 1e-9);
  let low = num("minimum");
  const exclusiveLow = num("exclusiveMinimum");
  if (exclusiveLow !== undefined && (low === undefined || exclusiveLow >= low)) low = inside(exclusiveLow, 1);
  let high = num("maximum");
  const exclusiveHigh = num("exclusiveMaximum");
  if (exclusiveHigh !== undefined && (high === undefined || exclusiveHigh <= high)) high = inside(exclusiveHigh, -1);
  const multipleOf = num("multipleOf");
  if (
    chosen !== undefined &&
    Number.isFinite(chosen) &&
    (!integer || Number.isInteger(chosen)) &&
    (low === undefined || chosen >= low) &&
    (high === undefined || chosen <= high) &&
    (multipleOf === undefined || multipleOf <= 0 || Number.isInteger(chosen / multipleOf))
  ) {
    return chosen;
  }
  let value = low !== undefined ? low : high !== undefined && high < 0 ? high : 0;
  if (integer) value = Math.ceil(value);
  if (multipleOf !== undefined && multipleOf > 0) value = Math.ceil(value / multipleOf) * multipleOf;
  if (high !== undefined && value > high) throw new UnsatisfiableSchemaError("no number within bounds");
  return value;
}

function fitLength(text: string, min: number, max: number): string {
  let result = Array.from(text);
  while (result.length < min) result = result.concat(Array.from(text.length > 0 ? ` ${text}` : "x"));
  return result.slice(0, Math.max(min, Math.min(max, result.length))).join("");
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return undefined;
  }
}
