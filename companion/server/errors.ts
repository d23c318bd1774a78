/**
 * How failures reach the client: `{ error, field? }` with a message a person can act on for 4xx, and
 * exactly `{ error: "internal error" }` for 5xx (the details go to the log, never to the client).
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { MAX_BODY_BYTES, type ApiError } from "../../shared/companion-api/api";
import { VaultError } from "../../shared/vault/vault-files";

/** A refusal with a status and a message meant for the client. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function notFound(what: string, field?: string): HttpError {
  return new HttpError(404, `${what} not found`, field);
}

/** A VaultError from reading or writing `field`'s note, as the client should see it. */
export function fromVaultError(error: VaultError, field?: string): HttpError | null {
  switch (error.code) {
    case "not-found":
      return new HttpError(404, "note not found", field);
    case "invalid-path":
      return new HttpError(400, "note path must stay inside the vault", field);
    case "is-folder":
      return new HttpError(400, "note path names a folder, not a note", field);
    case "exists":
      return new HttpError(409, "a file or folder is in the way", field);
    case "io":
      return null;
  }
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ error: "not found" } satisfies ApiError);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = clientError(error);
    if (body) return reply.code(body.status).send(body.error);
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({ error: "internal error" } satisfies ApiError);
  });
}

function httpErrorBody(error: HttpError): { status: number; error: ApiError } {
  return { status: error.statusCode, error: { error: error.message, ...(error.field !== undefined ? { field: error.field } : {}) } };
}

function clientError(error: FastifyError): { status: number; error: ApiError } | null {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? "request";
    const issues = error.validation.map((issue) => {
      const path = [where, ...issue.instancePath.split("/").filter((s) => s !== "")].join(".");
      return { path, message: issue.message ?? "is invalid" };
    });
    const first = issues[0]!;
    return {
      status: 400,
      error: { error: `invalid ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, field: first.path },
    };
  }
  if (error instanceof HttpError) return httpErrorBody(error);
  if (error instanceof VaultError) {
    const mapped = fromVaultError(error);
    return mapped ? httpErrorBody(mapped) : null;
  }
  const status = error.statusCode;
  if (typeof status !== "number" || status < 400 || status >= 500) return null;
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status, error: { error: `request body is larger than ${MAX_BODY_BYTES / (1024 * 1024)} MiB` } };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status, error: { error: "the body must be a JSON object (send {} for no fields)" } };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status, error: { error: "unsupported content type" } };
    default:
      // JSON parse failures carry the parser's message, which quotes the client's own body back.
      if (error instanceof SyntaxError) return { status: 400, error: { error: "the body is not valid JSON" } };
      if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY") return { status: 400, error: { error: "the body is not valid JSON" } };
      return { status, error: { error: error.message } };
  }
}
