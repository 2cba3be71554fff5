import { performance } from 'node:perf_hooks';

/** Nearest-rank percentile: the smallest sample with at least p% of samples at or below it. */
const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
};

export interface LatencyFigures {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Requests completed per second of the time spent sending them. */
  readonly throughputPerSecond: number;
}

/** Latencies of one load pattern, possibly gathered over several timed blocks. */
export class LatencySamples {
  private readonly latenciesMs: number[] = [];
  private busyMs = 0;

  /** Sends `count` requests one after another. */
  async sendSequentially<T>(count: number, send: (index: number) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    for (let index = 0; index < count; index++) results.push(await this.sendOne(() => send(index)));
    return results;
  }

  /** Sends `count` requests with `concurrency` in flight, timing the whole block for throughput. */
  async sendConcurrently<T>(count: number, concurrency: number, send: (index: number) => Promise<T>): Promise<T[]> {
    const results: T[] = new Array<T>(count);
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      for (let index = next++; index < count; index = next++) {
        const begun = performance.now();
        results[index] = await send(index);
        this.latenciesMs.push(performance.now() - begun);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    this.busyMs += performance.now() - started;
    return results;
  }

  /** Times one request sent on its own; its latency is also the time it kept the sender busy. */
  async sendOne<T>(send: () => Promise<T>): Promise<T> {
    const begun = performance.now();
    const result = await send();
    const elapsed = performance.now() - begun;
    this.latenciesMs.push(elapsed);
    this.busyMs += elapsed;
    return result;
  }

  figures(): LatencyFigures {
    const requests = this.latenciesMs.length;
    return {
      requests,
      p50Ms: percentile(this.latenciesMs, 50),
      p99Ms: percentile(this.latenciesMs, 99),
      meanMs: requests === 0 ? Number.NaN : this.latenciesMs.reduce((total, value) => total + value, 0) / requests,
      throughputPerSecond: this.busyMs === 0 ? Number.NaN : (requests * 1000) / this.busyMs,
    };
  }
}
