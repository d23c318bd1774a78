import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RevisionCapturedEvent, type CaptureResponse } from "../../shared/companion-api/api";
import type { RevisionSummary } from "../revisions/types";
import { announceCaptures, RevisionEvents } from "./events";
import { MemoryRevisionStore } from "./memory-revision-store";
import { makeFixture, rawRequest, TOKEN, type Fixture } from "./test-support";

/** An open `GET /events` stream, collecting what arrives. */
interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): string;
  /** Resolves once the collected text satisfies `test`. */
  until(test: (text: string) => boolean): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

function openStream(port: number, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: "/api/v1/events", headers, setHost: false, agent: false }, (response) => {
      let received = "";
      const waiters: { test: (t: string) => boolean; done: (t: string) => void }[] = [];
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        received += chunk;
        for (const waiter of [...waiters]) {
          if (waiter.test(received)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.done(received);
          }
        }
      });
      const ended = new Promise<void>((done) => response.on("close", () => done()));
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => received,
        until: (test) => (test(received) ? Promise.resolve(received) : new Promise((done) => waiters.push({ test, done }))),
        ended,
        close: () => request.destroy(),
      });
    });
    request.on("error", reject);
    request.end();
  });
}

/** The `revision:captured` events in an SSE text. */
function capturedEvents(text: string): RevisionSummary[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("event: revision:captured\n"))
    .map((block) => {
      const data = block.split("\n").find((line) => line.startsWith("data: "))!.slice("data: ".length);
      return RevisionCapturedEvent.parse(JSON.parse(data)).revision;
    });
}

async function waitFor(test: () => boolean): Promise<void> {
  while (!test()) await sleep(5);
}

describe("GET /events", () => {
  let f: Fixture;
  let port: number;
  let host: string;

  beforeEach(async () => {
    f = await makeFixture({ port: 0, heartbeatMs: 40 });
    await f.app.listen({ host: "127.0.0.1", port: 0 });
    port = (f.app.server.address() as AddressInfo).port;
    host = `127.0.0.1:${port}`;
  });

  afterEach(async () => {
    await f.cleanup();
  });

  const capture = async (note: string, text: string): Promise<CaptureResponse> => {
    const response = await rawRequest(port, {
      method: "POST",
      path: "/api/v1/revisions",
      headers: { host, authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ note, text }),
    });
    return JSON.parse(response.body) as CaptureResponse;
  };

  it("streams a revision:captured event for every new revision, and heartbeats", async () => {
    const stream = await openStream(port, { host, authorization: `Bearer ${TOKEN}` });
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(stream.headers["cache-control"]).toContain("no-cache");
    await stream.until((t) => t.includes(": connected"));

    const first = await capture("a.md", "one");
    await capture("a.md", "one"); // deduplicated: no event
    const second = await capture("b.md", "two");
    const text = await stream.until((t) => capturedEvents(t).length >= 2);
    expect(capturedEvents(text)).toEqual([first.revision, second.revision]);
    expect(text).toContain(`id: ${first.revision.id}\n`);

    await stream.until((t) => (t.match(/^: heartbeat$/gm) ?? []).length >= 2);
    expect(capturedEvents(stream.text())).toHaveLength(2);
    stream.close();
  });

  it("carries the CORS headers for an allowed origin", async () => {
    const stream = await openStream(port, { host, authorization: `Bearer ${TOKEN}`, origin: "app://obsidian.md" });
    expect(stream.status).toBe(200);
    expect(stream.headers["access-control-allow-origin"]).toBe("app://obsidian.md");
    expect(stream.headers.vary).toMatch(/\bOrigin\b/);
    stream.close();
  });

  it("unsubscribes when the client goes away", async () => {
    const streams = await Promise.all([1, 2, 3].map(() => openStream(port, { host, authorization: `Bearer ${TOKEN}` })));
    await Promise.all(streams.map((s) => s.until((t) => t.includes(": connected"))));
    expect(f.app.revisionEvents.listenerCount).toBe(3);
    for (const s of streams) s.close();
    await waitFor(() => f.app.revisionEvents.listenerCount === 0);
    // Captures with nobody listening are fine.
    expect((await capture("c.md", "x")).created).toBe(true);
  });

  it("refuses a stream without the token", async () => {
    const stream = await openStream(port, { host });
    expect(stream.status).toBe(401);
    await stream.ended;
    expect(f.app.revisionEvents.listenerCount).toBe(0);
  });

  it("ends open streams when the app closes", async () => {
    const stream = await openStream(port, { host, authorization: `Bearer ${TOKEN}` });
    await stream.until((t) => t.includes(": connected"));
    await f.app.close();
    await stream.ended;
    expect(f.app.revisionEvents.listenerCount).toBe(0);
  });
});

describe("announceCaptures", () => {
  it("announces created revisions only, and keeps announcing when a listener throws", () => {
    const events = new RevisionEvents();
    const store = announceCaptures(new MemoryRevisionStore(), events);
    const heard: string[] = [];
    events.subscribe(() => {
      throw new Error("broken listener");
    });
    events.subscribe((r) => heard.push(r.id));
    const a = store.capture({ note: "a.md", text: "1", source: "watcher" });
    store.capture({ note: "a.md", text: "1", source: "watcher" });
    const b = store.capture({ note: "a.md", text: "2", source: "cli" });
    expect(heard).toEqual([a.revision.id, b.revision.id]);
    expect(events.listenerCount).toBe(1);
    expect(store.list("a.md").map((r) => r.id)).toEqual([b.revision.id, a.revision.id]);
    expect(store.notes()).toEqual(["a.md"]);
    expect(store.get(a.revision.id)?.text).toBe("1");
  });
});
