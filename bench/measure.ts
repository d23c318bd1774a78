/**
 * Medians of timed runs of several tasks, interleaved (a, b, a, b, …) after warm-up, so a neighbour's
 * burst of load or a slow drift hits every task alike; the median shrugs off the outliers.
 */
export async function interleavedMediansMs(tasks: (() => Promise<unknown>)[], { warmup = 3, runs = 15 } = {}): Promise<number[]> {
  for (let i = 0; i < warmup; i++) for (const task of tasks) await task();
  const times = tasks.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [t, task] of tasks.entries()) {
      const start = performance.now();
      await task();
      times[t]!.push(performance.now() - start);
    }
  }
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)]!;
  });
}

/** Median of several timed runs after warm-up; the median shrugs off a neighbour's burst of load. */
export async function medianMs(run: () => Promise<unknown>, { warmup = 2, runs = 9 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Deterministic PRNG (mulberry32), so synthetic fixtures are the same in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
