/**
 * Times `task` against `baseline`, interleaved (task, baseline, task, baseline, …) after warm-up, and
 * returns the median of each and the median of the per-pair ratios. Pairing cancels slow drift and a
 * neighbour's burst of load on this shared machine; medians shrug off the outliers that remain.
 */
export { seededRandom } from "../shared/util/seeded-random";
export async function pairedRatio(task: () => Promise<unknown>, baseline: () => Promise<unknown>, { warmup = 3, runs = 25 } = {}): Promise<{ taskMs: number; baselineMs: number; ratio: number }> {
  for (let i = 0; i < warmup; i++) {
    await task();
    await baseline();
  }
  const taskTimes: number[] = [];
  const baselineTimes: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    let start = performance.now();
    await task();
    const t = performance.now() - start;
    start = performance.now();
    await baseline();
    const b = performance.now() - start;
    taskTimes.push(t);
    baselineTimes.push(b);
    ratios.push(t / b);
  }
  return { taskMs: median(taskTimes), baselineMs: median(baselineTimes), ratio: median(ratios) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

