#!/usr/bin/env node
// The `bookwright` command. dist/cli.js is built by `npm install` (the prepare script) or `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
if (!existsSync(built)) {
  console.error("bookwright: dist/cli.js is missing; run `npm run build` in the Bookwright folder first.");
  process.exit(1);
}
await import(built);
