// `npm version <patch|minor|major|x.y.z>` runs this (the `version` script) after it has written the new
// version into package.json and before it commits: manifest.json takes the new version, and versions.json
// maps it to the manifest's minAppVersion, so Obsidian older than that keeps being offered an older
// release. Raise minAppVersion in manifest.json by hand before bumping when the plugin needs a newer API.
import { readFileSync, writeFileSync } from "node:fs";

const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

const { version } = readJson("package.json");
const manifest = readJson("manifest.json");
if (typeof manifest.minAppVersion !== "string") throw new Error("manifest.json has no minAppVersion");
manifest.version = version;
writeJson("manifest.json", manifest);

// Every release gets its entry (the sample plugin adds one only when minAppVersion changes), so the
// release test can check that the current version is listed.
const versions = readJson("versions.json");
versions[version] = manifest.minAppVersion;
writeJson("versions.json", versions);
