/**
 * Builds the companion's HTTP app (Fastify with zod schemas from `shared/companion-api/api.ts`), without
 * listening: tests drive it with `app.inject()`, and `server.ts` listens on 127.0.0.1.
 *
 * Routes, all under `/api/v1`: `GET /health` (no token), `GET /revisions`, `POST /revisions`,
 * `GET /revisions/:id`, `GET /revisions/:id/diff`, `POST /revisions/:id/restore`, `GET /notes`,
 * `GET /events`, and with `exports` set, `POST /exports`, `GET /exports`, `GET /exports/:id`,
 * `GET /exports/:id/download`, `DELETE /exports/:id`. Every request passes the checks in `security.ts`
 * before it reaches a route. With `series` set, the series index's routes are there too (routes/series.ts).
 */
import type { ServerResponse } from "node:http";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { API_PREFIX, MAX_BODY_BYTES } from "../../shared/companion-api/api";
import type { VaultFiles } from "../../shared/vault/vault-files";
import { ExportJobs, type ExportJobsOptions } from "../export/export-jobs";
import type { RevisionStore } from "../revisions/types";
import type { SeriesIndex } from "../series/series-index";
import { installErrorHandling } from "./errors";
import { announceCaptures, ExportEvents, RevisionEvents } from "./events";
import { eventRoutes } from "./routes/events";
import { exportRoutes } from "./routes/exports";
import { healthRoutes } from "./routes/health";
import { noteRoutes } from "./routes/notes";
import { revisionRoutes } from "./routes/revisions";
import { seriesRoutes } from "./routes/series";
import { installSecurity } from "./security";

export interface BuildAppOptions {
  store: RevisionStore;
  vault: VaultFiles;
  /** The vault folder on disk, reported by `/health`. */
  vaultPath: string;
  /** The bearer token every route but `/health` requires. */
  token: string;
  /** The port clients name in their Host header; 0 means whatever port the app ends up listening on. */
  port: number;
  version: string;
  /** Log requests and errors (as JSON lines, the Authorization header redacted). @default false */
  logger?: boolean;
  /** Where log lines go when `logger` is on. @default stdout */
  logStream?: { write(line: string): void };
  /** Captures are announced here (pass the same object to the watcher's store). @default a new one */
  events?: RevisionEvents;
  /** Milliseconds between heartbeat comments on `/events`. @default 15000 */
  heartbeatMs?: number;
  /**
   * Export jobs: the database their records go in and the folder their files go to (never the vault),
   * with retention (default 7 days) and the clock. Without it the `/exports` routes are not there.
   */
  exports?: Omit<ExportJobsOptions, "vaultPath" | "events">;
  /**
   * The series index (`GET /series`, `GET /series/:id`, `GET /series/:id/characters?name=`,
   * `GET /characters/:id/appearances`); whoever made it rebuilds and closes it. Without it those routes are not there.
   */
  series?: SeriesIndex;
}

export type CompanionApp = FastifyInstance & {
  readonly revisionEvents: RevisionEvents;
  readonly exportEvents: ExportEvents;
  /** The export queue, null without the `exports` option. */
  readonly exportJobs: ExportJobs | null;
};

export function buildApp(options: BuildAppOptions): CompanionApp {
  const events = options.events ?? new RevisionEvents();
  const store = announceCaptures(options.store, events);
  const app = Fastify({
    logger: loggerOptions(options),
    bodyLimit: MAX_BODY_BYTES,
    // HEAD routes would be one more way in for nothing the plugin needs.
    exposeHeadRoutes: false,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installErrorHandling(app);
  installSecurity(app, {
    token: options.token,
    port: () => (options.port !== 0 ? options.port : listeningPort(app)),
  });

  const exportEvents = new ExportEvents();
  const exportJobs = options.exports ? new ExportJobs({ ...options.exports, vaultPath: options.vaultPath, events: exportEvents }) : null;
  // Stops the running export's worker; the queue marks what it did not finish as failed.
  app.addHook("onClose", async () => {
    await exportJobs?.close();
  });

  const streams = new Set<ServerResponse>();
  // Event streams never end by themselves; close() would wait for them forever.
  app.addHook("preClose", async () => {
    for (const stream of streams) stream.end();
  });

  void app.register(
    async (api) => {
      await api.register(healthRoutes, { version: options.version, vaultPath: options.vaultPath });
      await api.register(revisionRoutes, { store, vault: options.vault });
      await api.register(noteRoutes, { store });
      await api.register(eventRoutes, { events, exportEvents, heartbeatMs: options.heartbeatMs ?? 15_000, streams });
      if (exportJobs) await api.register(exportRoutes, { jobs: exportJobs, vault: options.vault });
      if (options.series) await api.register(seriesRoutes, { index: options.series });
    },
    { prefix: API_PREFIX },
  );

  return Object.assign(app, { revisionEvents: events, exportEvents, exportJobs });
}

function listeningPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return address !== null && typeof address === "object" ? address.port : undefined;
}

function loggerOptions(options: BuildAppOptions): FastifyServerOptions["logger"] {
  if (options.logger !== true) return false;
  return {
    level: "info",
    // Fastify's request serializer leaves headers out; this keeps them out should that ever change.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", "headers.authorization"], censor: "[redacted]" },
    ...(options.logStream ? { stream: options.logStream } : {}),
  };
}
