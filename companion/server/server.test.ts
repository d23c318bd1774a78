import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";
import { afterEach, expect, it } from "vitest";
import { NodeVault } from "../vault/node-vault";
import { MemoryRevisionStore } from "./memory-revision-store";
import { COMPANION_HOST, startServer, type RunningServer } from "./server";
import { rawRequest, TOKEN } from "./test-support";

let running: RunningServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await running?.close();
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
});

it("listens on 127.0.0.1 only and answers there", async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-serve-"));
  running = await startServer({ store: new MemoryRevisionStore(), vault: new NodeVault(dir), vaultPath: dir, token: TOKEN, port: 0, version: "1.2.3" });
  const address = running.app.server.address();
  expect(address).toMatchObject({ address: COMPANION_HOST, family: "IPv4", port: running.port });
  expect(running.url).toBe(`http://127.0.0.1:${running.port}/api/v1`);
  const health = await rawRequest(running.port, { path: "/api/v1/health", headers: { host: `localhost:${running.port}` } });
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toEqual({ ok: true, version: "1.2.3", vaultPath: dir });
});
