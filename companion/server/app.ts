/**
 * Builds the companion's HTTP app (Fastify with zod schemas from `shared/companion-api/api.ts`), without
 * listening: tests drive it with `app.inject()`, and `server.ts` listens on 127.0.0.1.
 *
 * Routes, all under `/api/v1`: `GET /health` (no token), `GET /revisions`, `POST /revisions`,
 * `GET /revisions/:id`, `GET /revisions/:id/diff`, `POST /revisions/:id/restore`, `GET /notes`,
 * `GET /events`. Every request passes the checks in `security.ts` before it reaches a route.
 */
import type { ServerResponse } from "node:http";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { API_PREFIX, MAX_BODY_BYTES } from "../../shared/companion-api/api";
import type { VaultFiles } from "../../shared/vault/vault-files";
import type { RevisionStore } from "../revisions/types";
import { installErrorHandling } from "./errors";
import { announceCaptures, RevisionEvents } from "./events";
import { eventRoutes } from "./routes/events";
import { healthRoutes } from "./routes/health";
import { noteRoutes } from "./routes/notes";
import { revisionRoutes } from "./routes/revisions";
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
}

export type CompanionApp = FastifyInstance & { readonly revisionEvents: RevisionEvents };

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
      await api.register(eventRoutes, { events, heartbeatMs: options.heartbeatMs ?? 15_000, streams });
    },
    { prefix: API_PREFIX },
  );

  return Object.assign(app, { revisionEvents: events });
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
