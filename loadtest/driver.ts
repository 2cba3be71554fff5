import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { chargeClient } from './charge-client.js';
import {
  isStoredAnswer,
  outcomeOf,
  type AnsweredExchange,
  isShedLoad,
  type ChargeBody,
  type Exchange,
  type KeyPlan,
  type Outcome,
  type RequestRole,
} from './exchange.js';
import { InFlightGauge, type InFlightFigures } from './in-flight.js';
import { ScenarioPlanner, reservationOf, type ScenarioMix, type Script } from './scenario.js';

export interface DriverSettings {
  readonly apiUrl: string;
  readonly apiKey: string;
  /** Charge requests to send in all, follow-ups included. */
  readonly requests: number;
  /** Requests kept in flight: a new script starts whenever fewer are outstanding. */
  readonly concurrency: number;
  readonly mix: ScenarioMix;
  readonly seed: number;
  /** How long the lost-response script waits before abandoning its first request. */
  readonly clientTimeoutMs: number;
  /** Transport timeout of every request that is not deliberately abandoned. */
  readonly requestTimeoutMs: number;
  /** The longest a Retry-After may hold a follow-up back. */
  readonly retryAfterCapMs: number;
}

export type ScriptCounts = Record<Script['kind'], number>;

export interface LoadRun {
  /** Prefix of every key of this run. */
  readonly runId: string;
  readonly startedAtEpochMs: number;
  readonly durationMs: number;
  /** Every key the run used, with the body its honest requests carried. */
  readonly plans: ReadonlyMap<IdempotencyKey, KeyPlan>;
  /** Every request, in the order they completed. */
  readonly exchanges: readonly Exchange[];
  readonly scripts: ScriptCounts;
  readonly inFlight: InFlightFigures;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly budget: number;
  readonly inFlight: number;
  readonly completed: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly cutOff: number;
  readonly transportErrors: number;
}

export interface RunningLoad {
  progress(): Progress;
  readonly finished: Promise<LoadRun>;
}

/** The budget a script reserved; each request it sends spends one unit. */
interface Ticket {
  left: number;
}

const emptyOutcomes = (): Record<Outcome, number> => ({
  'first-execution': 0,
  'declined-402': 0,
  replay: 0,
  'in-use-409': 0,
  'key-reused-422': 0,
  'rate-limited-429': 0,
  'unavailable-503': 0,
  other: 0,
});

/**
 * Drives the scenario: starts scripts while fewer than `concurrency` requests are in flight
 * and the budget has room for the script's worst case, so the run sends exactly `requests`
 * charge requests when the last scripts are single ones (they are, once the budget is short).
 */
export const startLoad = (settings: DriverSettings): RunningLoad => {
  const runId = randomBytes(4).toString('hex');
  const client = chargeClient({
    apiUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    connections: settings.concurrency * 2,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
  const planner = new ScenarioPlanner(settings.mix, settings.seed, runId);
  const started = performance.now();
  const startedAtEpochMs = Date.now();
  const elapsed = () => performance.now() - started;
  const gauge = new InFlightGauge(elapsed);

  const plans = new Map<IdempotencyKey, KeyPlan>();
  const answeredKeys: KeyPlan[] = [];
  /** Keys that got a stored answer, or whose client will never send them again: no later retry or changed body picks them. */
  const answered = new Set<IdempotencyKey>();
  const exchanges: Exchange[] = [];
  const outcomes = emptyOutcomes();
  const scripts: ScriptCounts = {
    single: 0,
    concurrent: 0,
    'lost-response': 0,
    'after-503': 0,
    'retry-later': 0,
    'changed-body': 0,
    'never-retry': 0,
  };
  let cutOff = 0;
  let transportErrors = 0;
  let sent = 0;
  /** Requests taken from a reservation: sent, or follow-ups waiting out a Retry-After. */
  let committed = 0;
  /** What running scripts may still send. */
  let reserved = 0;

  let wake: () => void = () => undefined;
  const changed = () =>
    new Promise<void>((resolveChange) => {
      wake = resolveChange;
    });

  const record = (plan: KeyPlan, body: ChargeBody, exchange: Exchange): void => {
    exchanges.push(exchange);
    if (exchange.kind === 'cut-off') cutOff += 1;
    else if (exchange.kind === 'transport-error') transportErrors += 1;
    else {
      outcomes[outcomeOf(exchange)] += 1;
      // The first stored answer makes the key eligible for later retries and changed bodies.
      if (body === plan.body && isStoredAnswer(exchange) && !answered.has(plan.key)) {
        answered.add(plan.key);
        answeredKeys.push(plan);
      }
    }
  };

  /**
   * Takes one request from the script's reservation, before any wait, so that the two requests
   * of a concurrent script cannot both count on the last unit. False when it is used up.
   */
  const spend = (ticket: Ticket): boolean => {
    if (ticket.left < 1) return false;
    ticket.left -= 1;
    reserved -= 1;
    committed += 1;
    return true;
  };

  const send = async (plan: KeyPlan, body: ChargeBody, role: RequestRole, cutOffMs?: number): Promise<Exchange> => {
    sent += 1;
    gauge.increment();
    const exchange = await client.send(plan, body, { role, sentAtMs: elapsed(), ...(cutOffMs === undefined ? {} : { cutOffMs }) });
    gauge.decrement();
    record(plan, body, exchange);
    wake();
    return exchange;
  };

  const followUpRole = (answer: AnsweredExchange, retriedAfter503: boolean): RequestRole | undefined => {
    if (answer.status === 409) return 'retry-after-409';
    if (answer.status === 429) return 'retry-after-429';
    // Load shed is retried for as long as the budget lasts; a processor fault once, as it may persist.
    if (isShedLoad(answer)) return 'retry-after-503';
    if (answer.status === 503 && !retriedAfter503) return 'retry-after-503';
    return undefined;
  };

  /** Follows 409s, 429s, shed load and one processor 503 the way a careful client does, honouring Retry-After up to the cap. */
  const pursue = async (ticket: Ticket, plan: KeyPlan, first: Exchange): Promise<void> => {
    let last = first;
    let retriedAfter503 = false;
    while (last.kind === 'answered') {
      const role = followUpRole(last, retriedAfter503);
      if (role === undefined || !spend(ticket)) return;
      retriedAfter503 ||= role === 'retry-after-503';
      await sleep(Math.min((last.retryAfterSeconds ?? 1) * 1000, settings.retryAfterCapMs));
      planner.countFollowUp();
      last = await send(plan, plan.body, role);
    }
  };

  /** A request the script planned: its reservation always has room for it. */
  const planned = (ticket: Ticket, plan: KeyPlan, body: ChargeBody, role: RequestRole, cutOffMs?: number): Promise<Exchange> => {
    if (!spend(ticket)) throw new Error(`A planned ${role} request found its script's reservation used up`);
    return send(plan, body, role, cutOffMs);
  };

  const run = async (script: Script, ticket: Ticket): Promise<void> => {
    const { plan } = script;
    plans.set(plan.key, plan);
    switch (script.kind) {
      case 'single':
        await planned(ticket, plan, plan.body, 'first');
        return;
      case 'retry-later':
        await planned(ticket, plan, plan.body, 'retry-later');
        return;
      case 'changed-body':
        await planned(ticket, plan, script.changed, 'changed-body');
        return;
      case 'after-503':
        await pursue(ticket, plan, await planned(ticket, plan, plan.body, 'first'));
        return;
      case 'concurrent':
        await Promise.all([
          planned(ticket, plan, plan.body, 'first').then((answer) => pursue(ticket, plan, answer)),
          planned(ticket, plan, plan.body, 'concurrent-duplicate').then((answer) => pursue(ticket, plan, answer)),
        ]);
        return;
      case 'never-retry':
        answered.add(plan.key);
        await Promise.all(
          Array.from({ length: script.copies }, (_, copy) =>
            planned(ticket, plan, plan.body, copy === 0 ? 'first' : 'concurrent-duplicate'),
          ),
        );
        return;
      case 'lost-response': {
        const first = await planned(ticket, plan, plan.body, 'first', settings.clientTimeoutMs);
        // Answered before the cut-off (a fast server): the retry is then a plain later retry.
        const role = first.kind === 'cut-off' ? 'retry-after-timeout' : 'retry-later';
        await pursue(ticket, plan, await planned(ticket, plan, plan.body, role));
        return;
      }
    }
  };

  const drive = async (): Promise<LoadRun> => {
    const running = new Set<Promise<void>>();
    const failures: unknown[] = [];
    for (;;) {
      while (gauge.current() < settings.concurrency) {
        const script = planner.next(settings.requests - committed - reserved, answeredKeys);
        if (script === undefined) break;
        scripts[script.kind] += 1;
        const ticket: Ticket = { left: reservationOf(script) };
        reserved += ticket.left;
        gauge.markSteady();
        const task: Promise<void> = run(script, ticket)
          .catch((error: unknown) => {
            failures.push(error);
          })
          .finally(() => {
            reserved -= ticket.left;
            ticket.left = 0;
            running.delete(task);
            wake();
          });
        running.add(task);
      }
      if (running.size === 0) break;
      await changed();
    }
    await client.close();
    if (failures.length > 0) throw new AggregateError(failures, 'The load driver failed');
    return { runId, startedAtEpochMs, durationMs: elapsed(), plans, exchanges, scripts, inFlight: gauge.figures() };
  };

  return {
    progress: () => ({
      elapsedMs: elapsed(),
      sent,
      budget: settings.requests,
      inFlight: gauge.current(),
      completed: exchanges.length,
      outcomes: { ...outcomes },
      cutOff,
      transportErrors,
    }),
    finished: drive(),
  };
};

/** A random 31-bit seed, for runs that do not ask for a particular plan. */
export const randomSeed = (): number => randomInt(2 ** 31);
