/** `GET /notes`: the notes that have revisions, sorted. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { NotesResponse } from "../../../shared/companion-api/api";
import type { RevisionStore } from "../../revisions/types";

export const noteRoutes: FastifyPluginAsyncZod<{ store: RevisionStore }> = async (app, { store }) => {
  app.get("/notes", { schema: { response: { 200: NotesResponse } } }, async () => ({ notes: store.notes() }));
};
