/**
 * `/exports`: export jobs. `POST /exports` queues one (202), `GET /exports` lists them newest first,
 * `GET /exports/:id` reads one, `GET /exports/:id/download` sends a succeeded job's file (409 before),
 * `DELETE /exports/:id` cancels a queued or running job or removes a finished one with its file (204).
 * The work itself happens off the request path, in `companion/export/export-jobs.ts`.
 */
import { createReadStream } from "node:fs";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ExportJob, ExportParams, ListExportsResponse, StartExportRequest } from "../../../shared/companion-api/api";
import { parseFrontmatter } from "../../../shared/book/frontmatter";
import { readLongform } from "../../../shared/book/longform";
import type { ExportFormat } from "../../../shared/export/formats";
import { parentFolder, type VaultFiles } from "../../../shared/vault/vault-files";
import type { ExportJobs } from "../../export/export-jobs";
import { HttpError, notFound } from "../errors";

export interface ExportRoutesOptions {
  jobs: ExportJobs;
  vault: VaultFiles;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  manuscript: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  pdf: "application/pdf",
  epub: "application/epub+zip",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
};

/** An index note bigger than this is not a book's index (they are a few lines of properties). */
const MAX_INDEX_BYTES = 1024 * 1024;

export const exportRoutes: FastifyPluginAsyncZod<ExportRoutesOptions> = async (app, { jobs, vault }) => {
  const jobOr404 = (id: string): ExportJob => {
    const job = jobs.get(id);
    if (!job) throw notFound("export", "params.id");
    return job;
  };

  app.post("/exports", { schema: { body: StartExportRequest, response: { 202: ExportJob } } }, async (request, reply) => {
    const { book, format, options } = request.body;
    await requireBook(vault, book);
    return reply.code(202).send(jobs.create(book, format, options ?? {}));
  });

  app.get("/exports", { schema: { response: { 200: ListExportsResponse } } }, async () => ({ exports: jobs.list() }));

  app.get("/exports/:id", { schema: { params: ExportParams, response: { 200: ExportJob } } }, async (request) => jobOr404(request.params.id));

  app.get("/exports/:id/download", { schema: { params: ExportParams } }, async (request, reply) => {
    const found = jobs.download(request.params.id);
    switch (found.status) {
      case "not-found":
        throw notFound("export", "params.id");
      case "not-finished":
        throw new HttpError(409, `the export is ${found.job.state}; only a succeeded export can be downloaded`, "params.id");
      case "file-gone":
        throw new HttpError(404, "the export's file is gone from the companion's exports folder; export the book again", "params.id");
      case "ready": {
        const { job, path } = found;
        // The name is ours (the book's title and the format, made file-safe), never the request's.
        const fileName = job.result!.fileName;
        return reply
          .type(CONTENT_TYPES[job.format])
          .header("Content-Disposition", contentDisposition(fileName))
          .header("Content-Length", String(job.result!.bytes))
          .header("X-Content-Type-Options", "nosniff")
          .header("Cache-Control", "no-store")
          .send(createReadStream(path));
      }
    }
  });

  app.delete("/exports/:id", { schema: { params: ExportParams } }, async (request, reply) => {
    if ((await jobs.remove(request.params.id)) === "not-found") throw notFound("export", "params.id");
    return reply.code(204).send();
  });
};

/**
 * 404 unless `folder` is a folder holding a book's index note (`bookwright: book`, or a Longform index)
 * or a series note (`bookwright: series`: an omnibus export), found the way the scan finds one; only the
 * folder's own notes are read, so this stays quick.
 */
async function requireBook(vault: VaultFiles, folder: string): Promise<void> {
  const missing = (why: string): HttpError => new HttpError(404, `book not found: ${why}`, "body.book");
  if (!(await vault.exists(folder))) throw missing(`there is no folder '${folder}' in the vault`);
  if ((await vault.stat(folder)) !== null) throw missing(`'${folder}' is a file; give the book's folder`);
  const notes = (await vault.list(folder)).filter((f) => parentFolder(f.path) === folder && /\.md$/i.test(f.path) && f.size <= MAX_INDEX_BYTES);
  for (const note of notes) {
    const { data } = parseFrontmatter(note.path, await vault.read(note.path));
    if (data !== null && (data.bookwright === "book" || data.bookwright === "series" || readLongform(note.path, data) !== null)) return;
  }
  throw missing(`'${folder}' holds no note with 'bookwright: book' or 'bookwright: series' (or a Longform index)`);
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form (titles are often not ASCII). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
