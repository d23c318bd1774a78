/**
 * Starts the companion's HTTP API: builds the app and listens on 127.0.0.1, never on another interface
 * (the token is the only lock on the door, so the door stays inside this machine).
 */
import type { AddressInfo } from "node:net";
import { buildApp, type BuildAppOptions, type CompanionApp } from "./app";

export const COMPANION_HOST = "127.0.0.1";

export interface RunningServer {
  app: CompanionApp;
  /** The port listened on (the one asked for, or the one chosen when that was 0). */
  port: number;
  /** `http://127.0.0.1:<port>/api/v1` */
  url: string;
  close(): Promise<void>;
}

export async function startServer(options: BuildAppOptions): Promise<RunningServer> {
  const app = buildApp(options);
  await app.listen({ host: COMPANION_HOST, port: options.port });
  const { port } = app.server.address() as AddressInfo;
  return { app, port, url: `http://${COMPANION_HOST}:${port}/api/v1`, close: () => app.close() };
}
