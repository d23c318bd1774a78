/**
 * The fake Anthropic server as a standalone process, for trying the CLI by hand without a key:
 *
 *   npx tsx test/fake-anthropic/serve.ts [--port 8787] [--tokens-per-second 400] [--first-token-ms 50]
 *   BOOKWRIGHT_BASE_URL=http://127.0.0.1:8787 ANTHROPIC_API_KEY=test npx bookwright generate <book> --chapters 1-3
 */
import { parseArgs } from "node:util";
import { startFakeAnthropic } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "tokens-per-second": { type: "string" },
    "first-token-ms": { type: "string", default: "0" },
  },
});
const tokensPerSecond = values["tokens-per-second"] === undefined ? Infinity : Number(values["tokens-per-second"]);
const server = await startFakeAnthropic({
  port: Number(values.port),
  latency: { firstTokenMs: Number(values["first-token-ms"]), tokensPerSecond },
});
console.log(server.url);
const close = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", close);
process.on("SIGTERM", close);
