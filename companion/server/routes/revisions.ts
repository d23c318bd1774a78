/**
 * `/revisions`: list a note's revisions, capture one, read one, diff one, restore one.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { WordCounter } from "../../../shared/book/words";
import {
  CaptureRequest,
  CaptureResponse,
  DiffQuery,
  DiffResponse,
  ListRevisionsQuery,
  ListRevisionsResponse,
  RestoreRequest,
  RestoreResponse,
  RevisionParams,
  RevisionResponse,
} from "../../../shared/companion-api/api";
import { changedWords, diffWords } from "../../../shared/diff/word-diff";
import { VaultError, type VaultFiles } from "../../../shared/vault/vault-files";
import type { CaptureResult, Revision, RevisionStore } from "../../revisions/types";
import { fromVaultError, HttpError, notFound } from "../errors";

export interface RevisionRoutesOptions {
  store: RevisionStore;
  vault: VaultFiles;
}

const DEFAULT_LIST_LIMIT = 50;

export const revisionRoutes: FastifyPluginAsyncZod<RevisionRoutesOptions> = async (app, { store, vault }) => {
  const counter = new WordCounter("en");

  /** The note's text now, with vault failures as the client should see them. */
  const readNote = async (note: string, field?: string): Promise<string> => {
    try {
      return await vault.read(note);
    } catch (error) {
      throw clientVaultError(error, field);
    }
  };

  const revisionOr404 = (id: string, field = "params.id"): Revision => {
    const revision = store.get(id);
    if (!revision) throw notFound("revision", field);
    return revision;
  };

  app.get(
    "/revisions",
    { schema: { querystring: ListRevisionsQuery, response: { 200: ListRevisionsResponse } } },
    async (request) => {
      const { note, limit, before } = request.query;
      if (before !== undefined && store.get(before)?.note !== note) {
        throw new HttpError(400, "before must be the id of a revision of this note", "querystring.before");
      }
      return { note, revisions: store.list(note, { limit: limit ?? DEFAULT_LIST_LIMIT, ...(before !== undefined ? { before } : {}) }) };
    },
  );

  app.post(
    "/revisions",
    { schema: { body: CaptureRequest, response: { 200: CaptureResponse, 201: CaptureResponse } } },
    async (request, reply) => {
      const { note, text, label, idempotencyKey } = request.body;
      const result = store.capture({
        note,
        text: text ?? (await readNote(note, "body.note")),
        source: "plugin",
        ...(label !== undefined ? { label } : {}),
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );

  app.get(
    "/revisions/:id",
    { schema: { params: RevisionParams, response: { 200: RevisionResponse } } },
    async (request) => revisionOr404(request.params.id),
  );

  app.get(
    "/revisions/:id/diff",
    { schema: { params: RevisionParams, querystring: DiffQuery, response: { 200: DiffResponse } } },
    async (request) => {
      const revision = revisionOr404(request.params.id);
      const against = request.query.against ?? "current";
      const base = against === "current" ? await readNote(revision.note) : revisionOr404(against, "querystring.against").text;
      const ops = diffWords(base, revision.text);
      const count = (text: string): number => counter.countText(text);
      const { id, note, createdAt, source, words, wordDelta, bytes, label } = revision;
      return {
        revision: { id, note, createdAt, source, words, wordDelta, bytes, ...(label !== undefined ? { label } : {}) },
        against,
        ops,
        words: { against: count(base), revision: count(revision.text), ...changedWords(ops, count) },
      };
    },
  );

  app.post(
    "/revisions/:id/restore",
    { schema: { params: RevisionParams, body: RestoreRequest, response: { 200: RestoreResponse } } },
    async (request) => {
      const revision = revisionOr404(request.params.id);
      const { note, text } = revision;
      const kept: { before: CaptureResult | null } = { before: null };
      // Inside process() no other write through the vault can slip in between keeping the current text
      // and replacing it, and the store is synchronous, so the capture happens inside that window.
      const keepAndReplace = (current: string): string => {
        if (current !== text) {
          kept.before = store.capture({ note, text: current, source: "plugin", label: `before restoring revision ${revision.id}` });
        }
        return text;
      };
      try {
        await vault.process(note, keepAndReplace);
      } catch (error) {
        if (!(error instanceof VaultError && error.code === "not-found")) throw clientVaultError(error);
        // The note is gone: restoring brings it back. If it reappeared meanwhile, keep that text first.
        try {
          await vault.create(note, text);
        } catch (createError) {
          if (!(createError instanceof VaultError && createError.code === "exists")) throw clientVaultError(createError);
          await vault.process(note, keepAndReplace).catch((e: unknown) => {
            throw clientVaultError(e);
          });
        }
      }
      const label = request.body.label ?? `restored from revision ${revision.id} (${revision.createdAt})`;
      const restored = store.capture({ note, text, source: "restore", label });
      return { before: kept.before, restored };
    },
  );
};

/** A VaultError as a client error where it is one; anything else stays as it is (a 500). */
function clientVaultError(error: unknown, field?: string): Error {
  if (error instanceof VaultError) return fromVaultError(error, field) ?? error;
  return error instanceof Error ? error : new Error(String(error));
}
