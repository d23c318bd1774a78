/**
 * Schedule benchmark: 30 chapters at concurrency 3 through the QueueRunner against the fake Anthropic
 * server with a latency model (time to first token + tokens per second, scaled so the whole run takes
 * well under a minute). For each mode it computes the ideal makespan of that job graph for that
 * concurrency and latency (the larger of the critical path and total work / concurrency), and prints
 * `schedule-overhead: X` = measured / ideal, the worse mode's (target ≤ 1.10), and the plan-ahead vs
 * sequential wall-time ratio.
 */
import { startFakeAnthropic } from "../test/fake-anthropic/server";
import { DEFAULT_REPLY_MAX_TOKENS } from "../test/fake-anthropic/default-reply";
import { buildBatch, idealMakespan, listScheduleMakespan } from "../shared/queue/graph";
import { MemoryJobStore } from "../shared/queue/job-store";
import type { Job, JobKind } from "../shared/queue/jobs";
import { QueueRunner } from "../shared/queue/runner";
import { AnthropicLlm } from "../shared/llm/anthropic-llm";

const CHAPTERS = 30;
const CONCURRENCY = 3;
const LATENCY = { firstTokenMs: 100, tokensPerSecond: 12_000 };
const MAX_TOKENS: Record<JobKind, number> = { brief: 600, write: 4_000, continuity: 600, characters: 600, timeline: 600, seam: 600 };

/** What the fake server takes for a job: first token, then 90% of max_tokens at the modelled speed. */
function expectedMs(job: Job): number {
  const tokens = Math.max(1, Math.floor(Math.min(MAX_TOKENS[job.kind], DEFAULT_REPLY_MAX_TOKENS) * 0.9));
  return LATENCY.firstTokenMs + (tokens / LATENCY.tokensPerSecond) * 1000;
}

export async function runScheduleBench(): Promise<void> {
  const server = await startFakeAnthropic({ latency: LATENCY, recordRequests: false });
  try {
    const llm = new AnthropicLlm({ apiKey: "bench", baseURL: server.url, maxRetries: 0 });
    const wall: Record<string, number> = {};
    let worst = 0;
    for (const mode of ["sequential", "plan-ahead"] as const) {
      const state = buildBatch({ batchId: `bench-${mode}`, bookFolder: "Bench", deviceId: "bench", chapters: Array.from({ length: CHAPTERS }, (_, i) => i + 1), mode, now: 0 });
      const applied = new Set<string>();
      const runner = new QueueRunner({
        store: new MemoryJobStore(),
        deviceId: "bench",
        concurrency: CONCURRENCY,
        now: () => Date.now(),
        executor: {
          execute: async (job, context) => {
            const reply = await llm.complete({
              model: "claude-sonnet-4-6",
              maxTokens: MAX_TOKENS[job.kind],
              system: [{ text: "Benchmark." }],
              messages: [{ role: "user", content: [{ text: `${job.kind} for chapter ${job.chapter}` }] }],
              signal: context.signal,
              onText: (_delta, received) => context.onProgress({ tokens: Math.round(received / 4) }),
            });
            return { output: reply.text, usage: reply.usage };
          },
          apply: (job) => {
            applied.add(job.idempotencyKey);
            return Promise.resolve();
          },
        },
      });
      const start = performance.now();
      const finished = await runner.run(state);
      const measured = performance.now() - start;
      const done = finished.jobs.filter((j) => j.state === "succeeded").length;
      if (done !== state.jobs.length) throw new Error(`${mode}: only ${done} of ${state.jobs.length} jobs succeeded`);
      const ideal = idealMakespan(state, { concurrency: CONCURRENCY, durationOf: expectedMs });
      const greedy = listScheduleMakespan(state, { concurrency: CONCURRENCY, durationOf: expectedMs });
      const overhead = measured / ideal;
      worst = Math.max(worst, overhead);
      wall[mode] = measured;
      console.log(`${mode}: ${state.jobs.length} jobs at concurrency ${CONCURRENCY}; measured ${(measured / 1000).toFixed(2)} s, ideal ${(ideal / 1000).toFixed(2)} s (greedy with known durations ${(greedy / 1000).toFixed(2)} s), overhead ${overhead.toFixed(3)}; ${applied.size} outputs applied`);
    }
    console.log(`plan-ahead vs sequential wall time: ${((wall["plan-ahead"] ?? NaN) / (wall.sequential ?? NaN)).toFixed(3)}`);
    console.log(`schedule-overhead: ${worst.toFixed(3)}`);
  } finally {
    await server.close();
  }
}
