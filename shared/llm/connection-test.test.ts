/**
 * testConnection against the fake Anthropic server: a pass, and each failure a writer meets while setting
 * up (no key, a refused key, nothing listening, a wrong path, a wrong model, CORS, limits), each named
 * with a fix. Faults the fake cannot produce (it accepts any key and any model) come from a wrapped fetch.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeAnthropic, type FakeAnthropic } from "../../test/fake-anthropic/server";
import { testConnection, type ConnectionReport, type ConnectionTestOptions } from "./connection-test";

let server: FakeAnthropic;

beforeEach(async () => {
  server = await startFakeAnthropic();
});

afterEach(async () => {
  await server.close();
});

function test(options: Partial<ConnectionTestOptions> = {}): Promise<ConnectionReport> {
  return testConnection({ baseURL: server.url, apiKey: "sk-test", model: "claude-haiku-4-5", ...options });
}

/** A fetch that answers every request with this status and JSON body, as the Anthropic API words errors. */
function answering(status: number, body: unknown, headers: Record<string, string> = {}): typeof fetch {
  return () => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } }));
}

function problem(report: ConnectionReport): Extract<ConnectionReport, { ok: false }> {
  if (report.ok) throw new Error(`expected a problem, got ${JSON.stringify(report)}`);
  return report;
}

describe("testConnection", () => {
  it("passes with the model's name and the time it took, sending the smallest request", async () => {
    let clock = 1_000;
    const report = await test({ now: () => (clock += 120) });
    expect(report).toEqual({ ok: true, model: "claude-haiku-4-5", latencyMs: 120 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toMatchObject({ model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: [{ type: "text", text: "ping" }] }] });
  });

  it("passes on a base URL ending in /v1, and says what it removed", async () => {
    const report = await test({ baseURL: `${server.url}/v1` });
    expect(report.ok).toBe(true);
    expect(report.ok && report.warning).toMatch(/Removed "\/v1"/);
  });

  it("sends a placeholder key to a local server when none is chosen", async () => {
    const report = await test({ apiKey: "" });
    expect(report.ok).toBe(true);
  });

  it("asks for a key before calling the Anthropic API without one", async () => {
    let called = false;
    const report = problem(
      await test({
        baseURL: "",
        apiKey: " ",
        fetch: () => {
          called = true;
          return Promise.reject(new Error("should not be called"));
        },
      }),
    );
    expect(report.kind).toBe("no_key");
    expect(report.fix).toMatch(/API key/);
    expect(called).toBe(false);
  });

  it("names a refused key (401) and says where to fix it", async () => {
    const report = problem(
      await test({ baseURL: "", fetch: answering(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }) }),
    );
    expect(report.kind).toBe("auth");
    expect(report.problem).toMatch(/refused the API key.*401.*invalid x-api-key/);
    expect(report.fix).toMatch(/Anthropic Console/);
  });

  it("names a key without permission (403)", async () => {
    const report = problem(await test({ fetch: answering(403, { type: "error", error: { type: "permission_error", message: "not allowed" } }) }));
    expect(report.kind).toBe("forbidden");
    expect(report.problem).toMatch(/claude-haiku-4-5/);
  });

  it("names a port where nothing listens", async () => {
    const closed = await startFakeAnthropic();
    const url = closed.url;
    await closed.close();
    const report = problem(await test({ baseURL: url }));
    expect(report.kind).toBe("unreachable");
    expect(report.problem).toContain(`Nothing answered at 127.0.0.1:${new URL(url).port}`);
    expect(report.problem).toMatch(/refused/);
    expect(report.fix).toMatch(/Start the server/);
  });

  it("names a wrong path (404) and says to keep only the address", async () => {
    const report = problem(await test({ baseURL: `${server.url}/api` }));
    expect(report.kind).toBe("wrong_address");
    expect(report.problem).toContain(`${server.url}/api/v1/messages`);
    expect(report.fix).toMatch(/Remove the path/);
  });

  it("names a model the server does not have", async () => {
    const report = problem(await test({ model: "claude-nope", fetch: answering(404, { type: "error", error: { type: "not_found_error", message: "model: claude-nope" } }) }));
    expect(report.kind).toBe("model_not_found");
    expect(report.problem).toMatch(/does not have the model "claude-nope"/);
    expect(report.fix).toMatch(/Models/);
  });

  it("names a local model that is not pulled, with the Ollama command", async () => {
    const report = problem(
      await test({
        baseURL: "http://localhost:11434",
        model: "qwen3:8b",
        fetch: answering(404, { type: "error", error: { type: "not_found_error", message: "model 'qwen3:8b' not found" } }),
      }),
    );
    expect(report.kind).toBe("model_not_found");
    expect(report.problem).toMatch(/^Ollama does not have/);
    expect(report.fix).toMatch(/ollama pull/);
  });

  it("names a CORS refusal in a browser, with the origin to allow (Ollama)", async () => {
    const report = problem(
      await test({ baseURL: "http://localhost:11434", origin: "app://obsidian.md", fetch: () => Promise.reject(new TypeError("Failed to fetch")) }),
    );
    expect(report.kind).toBe("cors");
    expect(report.problem).toMatch(/CORS/);
    expect(report.problem).toMatch(/app:\/\/obsidian\.md/);
    expect(report.fix).toContain("OLLAMA_ORIGINS=app://obsidian.md*");
  });

  it("uses the mobile origin and generic advice for other servers", async () => {
    const report = problem(
      await test({ baseURL: "http://192.168.1.20:9000", origin: "capacitor://localhost", fetch: () => Promise.reject(new TypeError("Load failed")) }),
    );
    expect(report.kind).toBe("cors");
    expect(report.fix).toContain("Access-Control-Allow-Origin: capacitor://localhost");
  });

  it("tells CORS from a stopped server when it can ask outside the browser", async () => {
    const blocked = () => Promise.reject(new TypeError("Failed to fetch"));
    const up = problem(await test({ baseURL: "http://localhost:1234", fetch: blocked, reachable: () => Promise.resolve(true) }));
    expect(up.kind).toBe("cors");
    expect(up.problem).toMatch(/^LM Studio answers/);
    expect(up.fix).toMatch(/Enable CORS/);
    const down = problem(await test({ baseURL: "http://localhost:1234", fetch: blocked, reachable: () => Promise.resolve(false) }));
    expect(down.kind).toBe("unreachable");
    expect(down.fix).toMatch(/Start LM Studio/);
  });

  it("treats a browser failure to reach the Anthropic API as the network, not CORS", async () => {
    const report = problem(await test({ baseURL: "", fetch: () => Promise.reject(new TypeError("Failed to fetch")) }));
    expect(report.kind).toBe("unreachable");
    expect(report.fix).toMatch(/internet connection/);
  });

  it("names a server that does not answer in time", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("This operation was aborted", "AbortError")));
      });
    const report = problem(await test({ baseURL: "http://localhost:11434", fetch: hanging, timeoutMs: 30 }));
    expect(report.kind).toBe("timeout");
    expect(report.fix).toMatch(/loading the model/);
  });

  it("names rate limits, spend limits and overload apart", async () => {
    server.inject({ kind: "rate_limit", retryAfterSeconds: 20 });
    const limited = problem(await test());
    expect(limited.kind).toBe("rate_limited");
    expect(limited.fix).toMatch(/about 20 seconds/);

    server.inject({ kind: "spend_limit" });
    const spent = problem(await test());
    expect(spent.kind).toBe("spend_limit");
    expect(spent.fix).toMatch(/spend limit/);

    server.inject({ kind: "overloaded" });
    expect(problem(await test()).kind).toBe("overloaded");
  });

  it("names a server that answers with something other than the Messages API", async () => {
    const page: typeof fetch = () => Promise.resolve(new Response("<html>Open WebUI</html>", { status: 200, headers: { "content-type": "text/html" } }));
    const report = problem(await test({ fetch: page }));
    expect(report.kind).toBe("wrong_address");
    expect(report.problem).toMatch(/not as an Anthropic-compatible Messages API/);
  });

  it("names an address that is not a web address", async () => {
    const report = problem(await test({ baseURL: "localhost:11434" }));
    expect(report.kind).toBe("base_url");
    expect(report.problem).toMatch(/not a web address/);
  });
});
