import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as nodePath from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { companionConfigDir, companionTokenFile, loadOrCreateToken } from "./token";

const posix = process.platform !== "win32";
let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), "bookwright-token-"));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateToken", () => {
  it("makes a 256-bit hex token in a file only its owner can read, then reuses it", async () => {
    const file = nodePath.join(dir, "config", "bookwright", "companion-token");
    const first = await loadOrCreateToken(file);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^[0-9a-f]{64}$/);
    expect(await fs.readFile(file, "utf8")).toBe(first.token);
    if (posix) {
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(nodePath.dirname(file))).mode & 0o077).toBe(0);
    }
    const second = await loadOrCreateToken(file);
    expect(second).toEqual({ token: first.token, created: false });
    // No temp files are left behind.
    expect(await fs.readdir(nodePath.dirname(file))).toEqual(["companion-token"]);
  });

  it("makes a different token in each new file", async () => {
    const a = await loadOrCreateToken(nodePath.join(dir, "a"));
    const b = await loadOrCreateToken(nodePath.join(dir, "b"));
    expect(a.token).not.toBe(b.token);
  });

  it("gives every racing caller the same token", async () => {
    const file = nodePath.join(dir, "companion-token");
    const results = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateToken(file)));
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("keeps 0600 under a permissive umask", async () => {
    if (!posix) return;
    const previous = process.umask(0);
    try {
      const file = nodePath.join(dir, "companion-token");
      await loadOrCreateToken(file);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o666, 0o700, 0o4600])("refuses an existing file with mode %s, saying what to do", async (mode) => {
    if (!posix) return;
    const file = nodePath.join(dir, "companion-token");
    await fs.writeFile(file, "a".repeat(64));
    await fs.chmod(file, mode);
    await expect(loadOrCreateToken(file)).rejects.toThrow(new RegExp(`mode ${mode.toString(8).padStart(4, "0")}, wider than 0600.*chmod 600`));
  });

  it("accepts an existing file with mode 0400", async () => {
    if (!posix) return;
    const file = nodePath.join(dir, "companion-token");
    await fs.writeFile(file, `${"b".repeat(64)}\n`);
    await fs.chmod(file, 0o400);
    expect(await loadOrCreateToken(file)).toEqual({ token: "b".repeat(64), created: false });
  });

  it("refuses a file that does not hold a token", async () => {
    const file = nodePath.join(dir, "companion-token");
    await fs.writeFile(file, "not a token", { mode: 0o600 });
    await expect(loadOrCreateToken(file)).rejects.toThrow(/does not hold a token/);
  });

  it("refuses a symbolic link", async () => {
    if (!posix) return;
    const target = nodePath.join(dir, "elsewhere");
    await fs.writeFile(target, "c".repeat(64), { mode: 0o600 });
    const file = nodePath.join(dir, "companion-token");
    await fs.symlink(target, file);
    await expect(loadOrCreateToken(file)).rejects.toThrow(/symbolic link/);
  });
});

describe("companionConfigDir", () => {
  it.each([
    ["Linux with XDG_CONFIG_HOME", { platform: "linux", env: { XDG_CONFIG_HOME: "/home/ann/.cfg" }, home: "/home/ann" }, "/home/ann/.cfg/bookwright"],
    ["Linux without it", { platform: "linux", env: {}, home: "/home/ann" }, "/home/ann/.config/bookwright"],
    ["Linux with a relative XDG_CONFIG_HOME (ignored, as the spec says)", { platform: "linux", env: { XDG_CONFIG_HOME: "cfg" }, home: "/home/ann" }, "/home/ann/.config/bookwright"],
    ["FreeBSD", { platform: "freebsd", env: {}, home: "/home/ann" }, "/home/ann/.config/bookwright"],
    ["macOS", { platform: "darwin", env: { XDG_CONFIG_HOME: "/x" }, home: "/Users/ann" }, "/Users/ann/Library/Application Support/Bookwright"],
    ["Windows", { platform: "win32", env: { APPDATA: "C:\\Users\\Ann\\AppData\\Roaming" }, home: "C:\\Users\\Ann" }, "C:\\Users\\Ann\\AppData\\Roaming\\Bookwright"],
    ["Windows without APPDATA", { platform: "win32", env: {}, home: "C:\\Users\\Ann" }, "C:\\Users\\Ann\\AppData\\Roaming\\Bookwright"],
  ] as const)("%s", (_name, from, expected) => {
    expect(companionConfigDir(from)).toBe(expected);
  });

  it("puts the token file inside it", () => {
    expect(companionTokenFile({ platform: "linux", env: {}, home: "/home/ann" })).toBe("/home/ann/.config/bookwright/companion-token");
    expect(companionTokenFile({ platform: "win32", env: { APPDATA: "C:\\A" }, home: "C:\\U" })).toBe("C:\\A\\Bookwright\\companion-token");
  });

  it("defaults to this machine", () => {
    expect(nodePath.isAbsolute(companionConfigDir())).toBe(true);
  });
});
