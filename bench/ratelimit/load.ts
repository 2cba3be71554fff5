import { performance } from 'node:perf_hooks';
import type { Verdict } from './contenders.js';

export interface LoadResult {
  readonly requests: number;
  readonly admitted: number;
  readonly rejected: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly latenciesMs: readonly number[];
}

/** Runs the requests with at most `concurrency` in flight, timing each one. */
export const runLoad = async (requests: readonly (() => Promise<Verdict>)[], concurrency: number): Promise<LoadResult> => {
  const verdicts: Verdict[] = [];
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next];
      next += 1;
      if (request === undefined) return;
      const sent = performance.now();
      verdicts.push(await request());
      latenciesMs.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  const count = (verdict: Verdict) => verdicts.filter((v) => v === verdict).length;
  return {
    requests: requests.length,
    admitted: count('admitted'),
    rejected: count('rejected'),
    errors: count('error'),
    elapsedMs: performance.now() - started,
    latenciesMs,
  };
};

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
};

export const sleepUntil = (deadline: number): Promise<void> =>
  new Promise((resolveSleep) => setTimeout(resolveSleep, Math.max(0, deadline - Date.now())));
