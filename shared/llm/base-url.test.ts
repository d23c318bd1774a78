import { describe, expect, it } from "vitest";
import { ANTHROPIC_BASE_URL, BASE_URL_PRESETS, BaseUrlError, normaliseBaseUrl } from "./base-url";

describe("normaliseBaseUrl", () => {
  it("gives nothing for an empty field, so the Anthropic API is used", () => {
    expect(normaliseBaseUrl()).toEqual({});
    expect(normaliseBaseUrl("")).toEqual({});
    expect(normaliseBaseUrl("   \t")).toEqual({});
  });

  it("keeps a correct address as typed, without warning", () => {
    expect(normaliseBaseUrl("https://api.anthropic.com")).toEqual({ baseURL: "https://api.anthropic.com" });
    expect(normaliseBaseUrl("http://localhost:11434")).toEqual({ baseURL: "http://localhost:11434" });
    // A proxy mounted under a path keeps its path.
    expect(normaliseBaseUrl("https://gateway.example.com/anthropic")).toEqual({ baseURL: "https://gateway.example.com/anthropic" });
  });

  it("trims spaces and trailing slashes silently", () => {
    expect(normaliseBaseUrl("  http://localhost:1234///  ")).toEqual({ baseURL: "http://localhost:1234" });
  });

  it.each([
    ["http://localhost:11434/v1", "http://localhost:11434", '"/v1"'],
    ["http://localhost:11434/v1/", "http://localhost:11434", '"/v1"'],
    [" http://localhost:8080/V1 ", "http://localhost:8080", '"/V1"'],
    ["http://localhost:8000/v1/messages", "http://localhost:8000", '"/v1/messages"'],
    ["https://gateway.example.com/anthropic/v1", "https://gateway.example.com/anthropic", '"/v1"'],
  ])("strips the /v1 the SDK adds itself from %j, naming what it removed", (input, baseURL, removed) => {
    const result = normaliseBaseUrl(input);
    expect(result.baseURL).toBe(baseURL);
    expect(result.warning).toContain(`Removed ${removed}`);
    expect(result.warning).toContain(`Using ${baseURL}.`);
  });

  it("explains the doubled path the writer would have hit", () => {
    expect(normaliseBaseUrl("http://localhost:11434/v1").warning).toContain("http://localhost:11434/v1/v1/messages");
  });

  it("does not mistake a host called v1 for the path", () => {
    expect(normaliseBaseUrl("https://v1")).toEqual({ baseURL: "https://v1" });
  });

  it.each(["localhost:11434", "api.anthropic.com", "ftp://example.com", "file:///etc/passwd", "ws://localhost:8080", "http://"])(
    "rejects %j with a clear error",
    (input) => {
      expect(() => normaliseBaseUrl(input)).toThrow(BaseUrlError);
    },
  );

  it("suggests the missing scheme", () => {
    expect(() => normaliseBaseUrl("localhost:11434")).toThrow('"http://localhost:11434"');
    expect(() => normaliseBaseUrl("ftp://example.com")).toThrow('not "ftp://"');
  });

  it("rejects query strings, fragments and credentials in the address", () => {
    expect(() => normaliseBaseUrl("https://example.com/?key=1")).toThrow(BaseUrlError);
    expect(() => normaliseBaseUrl("https://example.com/#x")).toThrow(BaseUrlError);
    expect(() => normaliseBaseUrl("https://user:pw@example.com")).toThrow(/API key field/);
  });

  it("warns when the key would travel unencrypted to another machine", () => {
    expect(normaliseBaseUrl("http://192.168.1.20:11434").warning).toMatch(/unencrypted to 192\.168\.1\.20/);
    expect(normaliseBaseUrl("http://127.0.0.1:8080").warning).toBeUndefined();
    expect(normaliseBaseUrl("http://[::1]:8080").warning).toBeUndefined();
  });
});

describe("BASE_URL_PRESETS", () => {
  it("lists the local servers at their default ports, each already normal", () => {
    const byId = Object.fromEntries(BASE_URL_PRESETS.map((p) => [p.id, p]));
    expect(byId.anthropic?.baseURL).toBe(ANTHROPIC_BASE_URL);
    expect(byId.ollama?.baseURL).toBe("http://localhost:11434");
    expect(byId["lm-studio"]?.baseURL).toBe("http://localhost:1234");
    expect(byId["llama-cpp"]?.baseURL).toBe("http://localhost:8080");
    expect(byId.vllm?.baseURL).toBe("http://localhost:8000");
    for (const preset of BASE_URL_PRESETS) {
      expect(normaliseBaseUrl(preset.baseURL)).toEqual({ baseURL: preset.baseURL });
      expect(preset.name).not.toBe("");
      expect(preset.local).toBe(preset.id !== "anthropic");
    }
  });
});
