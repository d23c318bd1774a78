/**
 * `GET /events`: server-sent events. A `revision:captured` event for every new revision (data:
 * {@link RevisionCapturedEvent}, id: the revision's id); `export:state`, `export:progress` (data:
 * {@link ExportJobEvent}) and `export:removed` (data: {@link ExportRemovedEvent}) for export jobs, without
 * an id, so a client's Last-Event-ID keeps naming the last revision; and a comment line every
 * `heartbeatMs` so proxies and the client can tell a quiet stream from a dead one. A closed connection
 * unsubscribes.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { clearInterval, setInterval } from "node:timers";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  EXPORT_PROGRESS_EVENT,
  EXPORT_REMOVED_EVENT,
  EXPORT_STATE_EVENT,
  ExportJobEvent,
  ExportRemovedEvent,
  REVISION_CAPTURED_EVENT,
  RevisionCapturedEvent,
} from "../../../shared/companion-api/api";
import type { RevisionSummary } from "../../revisions/types";
import type { ExportEvent, ExportEvents, RevisionEvents } from "../events";

export interface EventRoutesOptions {
  events: RevisionEvents;
  exportEvents: ExportEvents;
  heartbeatMs: number;
  /** Open streams, so the app can end them when it closes. */
  streams: Set<ServerResponse>;
}

/** A client that stops reading is dropped once this much is waiting to be sent to it. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export const eventRoutes: FastifyPluginAsyncZod<EventRoutesOptions> = async (app, { events, exportEvents, heartbeatMs, streams }) => {
  app.get("/events", async (_request, reply) => {
    reply.hijack();
    const res = reply.raw;
    // Hijacked, so the headers the security hook set (CORS, Vary) go out only if written here.
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    res.writeHead(200, {
      ...headers,
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    const write = (chunk: string): void => {
      if (res.destroyed || res.writableEnded) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
    };
    write(": connected\nretry: 3000\n\n");
    const unsubscribe = events.subscribe((revision: RevisionSummary) => {
      const data = JSON.stringify(RevisionCapturedEvent.parse({ revision }));
      write(`event: ${REVISION_CAPTURED_EVENT}\nid: ${revision.id}\ndata: ${data}\n\n`);
    });
    const unsubscribeExports = exportEvents.subscribe((event: ExportEvent) => {
      if (event.type === "removed") {
        write(`event: ${EXPORT_REMOVED_EVENT}\ndata: ${JSON.stringify(ExportRemovedEvent.parse({ id: event.id }))}\n\n`);
        return;
      }
      const name = event.type === "state" ? EXPORT_STATE_EVENT : EXPORT_PROGRESS_EVENT;
      write(`event: ${name}\ndata: ${JSON.stringify(ExportJobEvent.parse({ job: event.job }))}\n\n`);
    });
    const heartbeat = setInterval(() => write(": heartbeat\n\n"), heartbeatMs);
    streams.add(res);
    const cleanup = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      unsubscribeExports();
      streams.delete(res);
    };
    // The response's "close" fires when the client goes away (or the stream is ended); the request's own
    // "close" fires as soon as its (empty) body has been read, so it says nothing here.
    res.once("close", cleanup);
  });
};
