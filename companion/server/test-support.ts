/**
 * Test support for the companion's HTTP API: an app over a real temp vault (NodeVault) and an in-memory
 * revision store, with a file beside the vault that no request may ever read or change, and export jobs
 * kept in an in-memory database with their files in `<root>/exports`.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import * as http from "node:http";
import * as os from "node:os";
import * as nodePath from "node:path";
import type { InjectOptions } from "fastify";
import { openDatabase, type SqliteDatabase } from "../db/database";
import { NodeVault } from "../vault/node-vault";
import { buildApp, type BuildAppOptions, type CompanionApp } from "./app";
import { MemoryRevisionStore } from "./memory-revision-store";

export const TOKEN = randomBytes(32).toString("hex");
/** The port inject() tests claim to be on (nothing listens there). */
export const PORT = 27_183;
export const HOST = `127.0.0.1:${PORT}`;
export const SECRET_TEXT = "TOP SECRET: this file lies outside the vault";

export interface Fixture {
  app: CompanionApp;
  store: MemoryRevisionStore;
  vault: NodeVault;
  /** The temp folder holding the vault folder and the secret file. */
  root: string;
  vaultPath: string;
  secretPath: string;
  /** Where export jobs put their files. */
  exportsFolder: string;
  /** The export jobs' database (in memory). */
  db: SqliteDatabase;
  cleanup(): Promise<void>;
}

export async function makeFixture(overrides: Partial<BuildAppOptions> = {}): Promise<Fixture> {
  const root = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-server-"));
  const vaultPath = nodePath.join(root, "vault");
  await fs.mkdir(vaultPath);
  const secretPath = nodePath.join(root, "secret.md");
  await fs.writeFile(secretPath, SECRET_TEXT);
  const vault = new NodeVault(vaultPath);
  const store = new MemoryRevisionStore();
  const exportsFolder = nodePath.join(root, "exports");
  const db = openDatabase(":memory:", { integrityCheck: "off" });
  const app = buildApp({ store, vault, vaultPath, token: TOKEN, port: PORT, version: "0.1.0-test", exports: { db, folder: exportsFolder }, ...overrides });
  return {
    app,
    store,
    vault,
    root,
    vaultPath,
    secretPath,
    exportsFolder,
    db,
    cleanup: async () => {
      await app.close();
      db.close();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** inject() with the right Host and token unless the test says otherwise; JSON bodies get their type. */
export function call(app: CompanionApp, options: InjectOptions & { url: string }) {
  const headers: Record<string, string> = { host: HOST, authorization: `Bearer ${TOKEN}` };
  if (options.payload !== undefined && typeof options.payload !== "string") headers["content-type"] = "application/json";
  return app.inject({ ...options, headers: { ...headers, ...(options.headers as Record<string, string> | undefined) } });
}

/** Every file below `folder`, as paths relative to it, sorted. */
export async function filesBelow(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => nodePath.relative(folder, nodePath.join(e.parentPath, e.name)))
    .sort();
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request over a real socket with exactly the headers given (Host included), so tests can send what
 * a browser or an attacker would. The path goes out as written, `..` and all.
 */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let failure: Error | undefined;
    const request = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {}, setHost: false, agent: false },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    // The server may answer (413, 401) and close before a large body is all sent; the answer is what
    // counts, so a broken pipe fails the request only when no answer came.
    request.on("error", (error: Error & { code?: string }) => {
      failure = error;
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    request.on("close", () => {
      if (!answered) reject(failure ?? new Error("the connection closed without an answer"));
    });
    request.end(options.body);
  });
}
