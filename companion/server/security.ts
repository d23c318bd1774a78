/**
 * The companion's front door, one `onRequest` hook that runs before any route (and before the 404
 * handler), in this order:
 *
 * 1. Host allow-list: exactly `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`, else 403. A web
 *    page that rebinds its own name to 127.0.0.1 (DNS rebinding) still sends its own name as Host.
 * 2. CORS preflight (OPTIONS): 204 with the CORS headers for an allowed origin, 403 for any other.
 * 3. Writes (POST, PUT, PATCH, DELETE) must be `application/json`, else 415: an HTML form can only send
 *    `text/plain`, `multipart/form-data` or `application/x-www-form-urlencoded` across sites.
 * 4. An `Origin` header, when sent, must be an allowed origin (`Origin: null`, a sandboxed or file page,
 *    is refused), else 403; an allowed one is reflected (never `*`), with `Vary: Origin` on every response.
 * 5. `Authorization: Bearer <token>` on every route but those marked `config: { public: true }`, compared
 *    in constant time (SHA-256 digests of both, `timingSafeEqual`), else 401.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Reachable without the bearer token (the Host and Origin checks still apply). */
    public?: boolean;
  }
}

/** Where the plugin's requests come from: Obsidian desktop, Obsidian mobile (iOS, Android). */
export const ALLOWED_ORIGINS: ReadonlySet<string> = new Set(["app://obsidian.md", "capacitor://localhost", "http://localhost"]);

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
// DELETE: cancelling or removing an export job (`DELETE /exports/:id`).
const ALLOWED_METHODS = "GET, POST, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID";

export interface SecurityOptions {
  token: string;
  /** The port clients must name in Host; read when each request arrives (the port may be chosen at listen time). */
  port: () => number | undefined;
}

/** The exact Host values accepted for `port`. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  if (!/^[\x21-\x7e]{32,}$/.test(options.token)) throw new Error("The companion token must be at least 32 visible ASCII characters.");
  const expected = digest(options.token);

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("Vary", "Origin");

    const port = options.port();
    const host = request.headers.host?.toLowerCase();
    if (port === undefined || host === undefined || !allowedHosts(port).includes(host)) {
      return refuse(reply, 403, "forbidden: unexpected Host header");
    }

    const origin = request.headers.origin;
    const originAllowed = origin !== undefined && ALLOWED_ORIGINS.has(origin);

    if (request.method === "OPTIONS") {
      if (!originAllowed) return refuse(reply, 403, "forbidden: origin not allowed");
      void reply
        .header("Access-Control-Allow-Origin", origin)
        .header("Access-Control-Allow-Methods", ALLOWED_METHODS)
        .header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
        .header("Access-Control-Max-Age", "600");
      // Chrome's Private Network Access asks before a public-looking origin may reach 127.0.0.1.
      if (request.headers["access-control-request-private-network"] === "true") {
        void reply.header("Access-Control-Allow-Private-Network", "true");
      }
      return reply.code(204).send();
    }

    if (WRITE_METHODS.has(request.method) && mediaType(request) !== "application/json") {
      return refuse(reply, 415, "writes must be sent as application/json");
    }

    if (origin !== undefined) {
      if (!originAllowed) return refuse(reply, 403, "forbidden: origin not allowed");
      void reply.header("Access-Control-Allow-Origin", origin);
    }

    if (request.routeOptions.config.public !== true && !tokenMatches(request.headers.authorization, expected)) {
      void reply.header("WWW-Authenticate", 'Bearer realm="bookwright"');
      return refuse(reply, 401, "a valid bearer token is required");
    }
    return undefined;
  });
}

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ error: message });
}

/** The request's media type, lower-cased, without parameters (`application/json; charset=utf-8` → `application/json`). */
function mediaType(request: FastifyRequest): string {
  const header = request.headers["content-type"];
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Equal-length digests, so the comparison takes the same time whatever the token sent. */
function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), expected);
}
