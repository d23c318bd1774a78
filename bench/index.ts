/**
 * `npm run bench -- <name>`: benchmarks print ratios against a baseline measured in the same run, because
 * these machines are shared and absolute times mean little. They are not tests and never fail a build.
 */
import { runCompanionBench } from "./companion";
import { runExportBench } from "./export";
import { runPluginBench } from "./plugin";
import { runScanBench } from "./scan";
import { runScheduleBench } from "./schedule";
import { runTokensBench } from "./tokens";

const benches: Record<string, () => Promise<void>> = { scan: runScanBench, tokens: runTokensBench, schedule: runScheduleBench, plugin: runPluginBench, export: runExportBench, companion: runCompanionBench };

const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const selected = names.length > 0 ? names : Object.keys(benches);
for (const name of selected) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark '${name}'; expected one of: ${Object.keys(benches).join(", ")}`);
    process.exitCode = 1;
    continue;
  }
  await bench();
}
