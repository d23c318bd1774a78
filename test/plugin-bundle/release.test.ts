/**
 * The release check: a community-plugin release is main.js, manifest.json and styles.css from the
 * repository root, and Obsidian picks the release to offer from manifest.json and versions.json. These
 * must agree with package.json (which `npm version` bumps, running version-bump.mjs), or users get the
 * wrong build, or none. The manifest's keys and wording are checked here with the rules of
 * eslint-plugin-obsidianmd's validate-manifest, which ESLint itself never applies (it lints .ts files only).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildPluginInMemory, repoRoot } from "./build-plugin";

/** SecretStorage and SecretComponent, which hold the API key, arrived in Obsidian 1.11.4. */
const OLDEST_SUPPORTED_OBSIDIAN = "1.11.4";

async function readJson(file: string, root = repoRoot): Promise<unknown> {
  return JSON.parse(await readFile(path.join(root, file), "utf8")) as unknown;
}

interface Manifest {
  id: string;
  name: string;
  version: string;
  minAppVersion: string;
  description: string;
  author: string;
  isDesktopOnly: boolean;
}

const manifest = (await readJson("manifest.json")) as Manifest;
const versions = (await readJson("versions.json")) as Record<string, string>;
const pkg = (await readJson("package.json")) as { version: string; scripts: Record<string, string> };

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

/** Compares plain x.y.z versions (releases carry no pre-release tags: Obsidian compares them this way). */
function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => {
    const match = SEMVER.exec(v);
    if (!match) throw new Error(`'${v}' is not a plain x.y.z version`);
    return match.slice(1).map(Number);
  });
  for (let i = 0; i < 3; i++) if (pa![i] !== pb![i]) return pa![i]! - pb![i]!;
  return 0;
}

describe("release files", () => {
  it("manifest.json names the plugin, runs on mobile and carries package.json's version", () => {
    expect(manifest).toMatchObject({ id: "bookwright", name: "Bookwright", isDesktopOnly: false });
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.version).toMatch(SEMVER);
  });

  it("manifest.json has the community-plugin keys, types and wording", () => {
    const required = { id: "string", name: "string", version: "string", minAppVersion: "string", description: "string", author: "string", isDesktopOnly: "boolean" };
    const optional = ["authorUrl", "fundingUrl"];
    const raw = manifest as unknown as Record<string, unknown>;
    for (const [key, type] of Object.entries(required)) expect(typeof raw[key], key).toBe(type);
    expect(Object.keys(raw).filter((key) => !(key in required) && !optional.includes(key))).toEqual([]);
    for (const key of ["id", "name", "description"] as const) expect(manifest[key], key).not.toMatch(/obsidian|plugin/i);
    expect(manifest.id).toMatch(/^[a-z0-9-]+$/);
    // Ten to 250 characters, a capital first, a period last, letters, digits and plain punctuation only.
    expect(manifest.description).toMatch(/^[A-Z][A-Za-z0-9\s.,!?'"-]{8,248}\.$/);
  });

  it("minAppVersion is an Obsidian with every API the plugin uses", () => {
    expect(compareVersions(manifest.minAppVersion, OLDEST_SUPPORTED_OBSIDIAN)).toBeGreaterThanOrEqual(0);
  });

  it("versions.json maps the current version to the manifest's minAppVersion", () => {
    expect(versions[pkg.version]).toBe(manifest.minAppVersion);
    expect(Object.values(versions)).toContain(manifest.minAppVersion);
  });

  it("versions.json lists plain versions whose minAppVersion never goes down", () => {
    const entries = Object.entries(versions).sort(([a], [b]) => compareVersions(a, b));
    for (const [version, minApp] of entries) {
      expect(version).toMatch(SEMVER);
      expect(minApp).toMatch(SEMVER);
    }
    for (let i = 1; i < entries.length; i++) {
      const [[before, minBefore], [after, minAfter]] = [entries[i - 1]!, entries[i]!];
      expect(compareVersions(minAfter, minBefore), `${after} needs Obsidian ${minAfter}, older than ${before}'s ${minBefore}`).toBeGreaterThanOrEqual(0);
    }
  });

  it("styles.css exists, and every class it styles is Bookwright's own", async () => {
    expect(existsSync(path.join(repoRoot, "styles.css"))).toBe(true);
    const css = (await readFile(path.join(repoRoot, "styles.css"), "utf8")).replace(/\/\*[\s\S]*?\*\//g, "");
    const classes = [...css.matchAll(/\.(-?[_a-zA-Z][\w-]*)/g)].map((m) => m[1]);
    expect(classes.length).toBeGreaterThan(0);
    expect(classes.filter((c) => !c!.startsWith("bookwright-"))).toEqual([]);
  });

  it("the production build writes main.js at the root and nothing else (no source map, no CSS)", async () => {
    const { files } = await buildPluginInMemory();
    expect(files.map((f) => path.relative(repoRoot, f.path))).toEqual(["main.js"]);
  });
});

describe("npm version", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("runs version-bump.mjs, then stages manifest.json and versions.json", () => {
    expect(pkg.scripts.version).toBe("node version-bump.mjs && git add manifest.json versions.json");
  });

  it("version-bump.mjs writes package.json's new version into manifest.json and versions.json", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "bookwright-version-"));
    dirs.push(dir);
    for (const file of ["manifest.json", "versions.json", "version-bump.mjs"]) await copyFile(path.join(repoRoot, file), path.join(dir, file));
    const next = nextPatch(pkg.version);
    // As `npm version patch` leaves it when it runs the script: package.json already bumped.
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ ...pkg, version: next }, null, 2));
    await promisify(execFile)(process.execPath, ["version-bump.mjs"], { cwd: dir });
    const bumped = (await readJson("manifest.json", dir)) as Manifest;
    expect(bumped).toEqual({ ...manifest, version: next });
    expect(await readJson("versions.json", dir)).toEqual({ ...versions, [next]: manifest.minAppVersion });
  });
});

function nextPatch(version: string): string {
  const [major, minor, patch] = version.split(".").map(Number);
  return `${major}.${minor}.${patch! + 1}`;
}
