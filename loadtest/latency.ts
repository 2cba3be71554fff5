import { injectedFaultTokens, outcomeOf, outcomes, type AnsweredExchange, type Outcome } from './exchange.js';
import type { LoadRun } from './driver.js';

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Nearest rank: the smallest sample with at least p% of the samples at or below it. */
export const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
};

export const summarize = (latenciesMs: readonly number[]): LatencySummary => {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    meanMs: sorted.length === 0 ? Number.NaN : sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
};

export interface LatencyReport {
  /** Sorted latencies per outcome, for the chart. */
  readonly samples: ReadonlyMap<Outcome, readonly number[]>;
  readonly byOutcome: ReadonlyMap<Outcome, LatencySummary>;
  /** Every answered request except the injected faults' 503s: what the service level is about. */
  readonly serviceLevel: LatencySummary;
  readonly all: LatencySummary;
  readonly answered: number;
  readonly requestsPerSecond: number;
  readonly firstExecutionsPerSecond: number;
}

const isInjectedFault = (run: LoadRun, exchange: AnsweredExchange): boolean => {
  const token = run.plans.get(exchange.key)?.body.source;
  return exchange.status === 503 && token !== undefined && injectedFaultTokens.has(token);
};

export const latencyReport = (run: LoadRun): LatencyReport => {
  const answered = run.exchanges.filter((exchange): exchange is AnsweredExchange => exchange.kind === 'answered');
  const samples = new Map<Outcome, number[]>();
  for (const exchange of answered) {
    const outcome = outcomeOf(exchange);
    const list = samples.get(outcome);
    if (list === undefined) samples.set(outcome, [exchange.latencyMs]);
    else list.push(exchange.latencyMs);
  }
  for (const list of samples.values()) list.sort((a, b) => a - b);
  const byOutcome = new Map(
    outcomes.filter((outcome) => samples.has(outcome)).map((outcome) => [outcome, summarize(samples.get(outcome) ?? [])]),
  );
  const seconds = run.durationMs / 1000;
  return {
    samples,
    byOutcome,
    serviceLevel: summarize(answered.filter((exchange) => !isInjectedFault(run, exchange)).map((exchange) => exchange.latencyMs)),
    all: summarize(answered.map((exchange) => exchange.latencyMs)),
    answered: answered.length,
    requestsPerSecond: run.exchanges.length / seconds,
    firstExecutionsPerSecond: (byOutcome.get('first-execution')?.count ?? 0) / seconds,
  };
};
