/** `GET /health`: the one route that needs no token, so the plugin can tell "not running" from "wrong token". */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { HealthResponse } from "../../../shared/companion-api/api";

export interface HealthRoutesOptions {
  version: string;
  vaultPath: string;
}

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { version, vaultPath }) => {
  app.get("/health", { config: { public: true }, schema: { response: { 200: HealthResponse } } }, async () => ({
    ok: true as const,
    version,
    vaultPath,
  }));
};
