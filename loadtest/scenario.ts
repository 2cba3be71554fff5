import type { IdempotencyKey } from '@retrysafe/idempotency';
import type { CardToken, ChargeBody, KeyPlan, LoadCurrency } from './exchange.js';

/** The traffic mix, as shares of all charge requests (retries, changed bodies) or of new keys (tokens). */
export interface ScenarioMix {
  /** Share of requests that retry a key with its original body. */
  readonly retryShare: number;
  /** Share of requests that reuse an answered key with a different body. */
  readonly mismatchShare: number;
  /** Share of new keys charged with `tok_chargeDeclined` (402, stored and replayed). */
  readonly declineShare: number;
  /** Share of new keys charged with `tok_processor_error` (an injected 503 that charges nothing). */
  readonly faultShare: number;
  /** Share of new keys charged with `tok_timeout_after_charge` (charged, answered too late: 503, then the retry or the completer collects it). */
  readonly processorTimeoutShare: number;
  /**
   * Share of new keys whose client never comes back: it sends its request (`neverRetryCopies`
   * times at once) and, whatever the answer, never sends the key again. Only the completer can
   * then finish what the requests left unresolved.
   */
  readonly neverRetryShare: number;
  /** How many copies of its request a never-retrying client sends at once. */
  readonly neverRetryCopies: number;
}

export const defaultMix: ScenarioMix = {
  retryShare: 0.3,
  mismatchShare: 0.02,
  declineShare: 0.1,
  faultShare: 0.01,
  processorTimeoutShare: 0.002,
  neverRetryShare: 0,
  neverRetryCopies: 1,
};

/**
 * What one key goes through. Scripts marked "pursue" follow 409s and 429s (honouring
 * Retry-After) until the key has an answer, as a careful client would; the others send and
 * take whatever comes back.
 */
export type Script =
  /** One request, nothing more. */
  | { readonly kind: 'single'; readonly plan: KeyPlan }
  /** The first request and a duplicate at the same moment; pursue. */
  | { readonly kind: 'concurrent'; readonly plan: KeyPlan }
  /** The first request abandoned after a short client timeout, then retried at once; pursue. */
  | { readonly kind: 'lost-response'; readonly plan: KeyPlan }
  /** An injected-fault token: the first request gets 503 and is retried after Retry-After; pursue. */
  | { readonly kind: 'after-503'; readonly plan: KeyPlan }
  /** A retry of an earlier, answered key. */
  | { readonly kind: 'retry-later'; readonly plan: KeyPlan }
  /** An answered key with a changed body. */
  | { readonly kind: 'changed-body'; readonly plan: KeyPlan; readonly changed: ChargeBody }
  /** A client that never retries: `copies` requests at once, then never again, whatever they were answered. */
  | { readonly kind: 'never-retry'; readonly plan: KeyPlan; readonly copies: number };

/**
 * Follow-ups (after a 409 or 429, or the one retry after a 503) a pursuing script may send.
 * At saturation the first request of a key can take longer than a Retry-After of one second,
 * so a duplicate may meet 409 more than once.
 */
export const maxFollowUps = 6;

/** Requests a script sends before any follow-up (the retry after a 503 is one). */
export const plannedRequests = (script: Script): number => {
  switch (script.kind) {
    case 'concurrent':
    case 'lost-response':
      return 2;
    case 'never-retry':
      return script.copies;
    case 'single':
    case 'after-503':
    case 'retry-later':
    case 'changed-body':
      return 1;
  }
};

export const pursues = (script: Script): boolean =>
  script.kind === 'concurrent' || script.kind === 'lost-response' || script.kind === 'after-503';

/** The most requests a script can send: what the planner reserves from the budget for it. */
export const reservationOf = (script: Script): number => plannedRequests(script) + (pursues(script) ? maxFollowUps : 0);

/** mulberry32: a tiny seeded generator, so a run's plan (not its timing) can be reproduced with --seed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const currencies: readonly LoadCurrency[] = ['usd', 'eur', 'gbp'];

/**
 * Chooses the next script so that the realized mix tracks the target shares: a changed body or
 * a retry-bearing script whenever that kind has fallen a whole request behind its share,
 * otherwise a single request on a new key. Counts are of planned requests plus the follow-ups
 * the driver reports. A third of the retries replay an earlier answered key; the rest come
 * with a new key (a concurrent duplicate, or a retry after a lost response).
 */
export class ScenarioPlanner {
  private readonly random: () => number;
  private keyCount = 0;
  private firsts = 0;
  private retries = 0;
  private changedBodies = 0;

  constructor(
    private readonly mix: ScenarioMix,
    seed: number,
    private readonly runId: string,
  ) {
    this.random = seededRandom(seed);
  }

  /** The next script within `budget` requests, or undefined when none fits. */
  next(budget: number, answeredKeys: readonly KeyPlan[]): Script | undefined {
    if (budget < 1) return undefined;
    const total = this.firsts + this.retries + this.changedBodies + 1;
    const wantsRetry = this.mix.retryShare * total - this.retries >= 1;
    if (answeredKeys.length > 0 && this.mix.mismatchShare * total - this.changedBodies >= 1) {
      const plan = this.pick(answeredKeys);
      this.changedBodies += 1;
      return { kind: 'changed-body', plan, changed: { ...plan.body, amount: plan.body.amount + 1 } };
    }
    if (wantsRetry && answeredKeys.length > 0 && this.random() < 1 / 3) {
      this.retries += 1;
      return { kind: 'retry-later', plan: this.pick(answeredKeys) };
    }
    const fresh = this.newKey();
    // Rolled only when asked for, so that a seed's plan without never-retrying clients stays what it was.
    if (this.mix.neverRetryShare > 0 && this.random() < this.mix.neverRetryShare) return this.neverRetry(fresh, budget);
    if (fresh.body.source === 'tok_processor_error' || fresh.body.source === 'tok_timeout_after_charge') {
      // A retrying client's fault key always gets its retry, so the run measures a retry resuming a
      // recovery point (the never-retrying clients leave theirs to the completer). Short of budget, it charges a card instead.
      return (
        this.fits({ kind: 'after-503', plan: fresh }, budget) ?? this.single({ ...fresh, body: { ...fresh.body, source: 'tok_visa' } })
      );
    }
    if (wantsRetry) {
      const script: Script = this.random() < 0.5 ? { kind: 'concurrent', plan: fresh } : { kind: 'lost-response', plan: fresh };
      const fitting = this.fits(script, budget);
      if (fitting !== undefined) return fitting;
    }
    return this.single(fresh);
  }

  /** A follow-up the driver sent beyond the plan; it counts as a retry. */
  countFollowUp(): void {
    this.retries += 1;
  }

  private fits(script: Script, budget: number): Script | undefined {
    if (reservationOf(script) > budget) return undefined;
    this.firsts += 1;
    this.retries += plannedRequests(script) - 1;
    return script;
  }

  /** Its copies, as many as the budget still holds: a never-retrying client is never turned into a retrying one. */
  private neverRetry(plan: KeyPlan, budget: number): Script {
    const script: Script = { kind: 'never-retry', plan, copies: Math.min(this.mix.neverRetryCopies, budget) };
    this.firsts += 1;
    this.retries += script.copies - 1;
    return script;
  }

  private single(plan: KeyPlan): Script {
    this.firsts += 1;
    return { kind: 'single', plan };
  }

  private pick(keys: readonly KeyPlan[]): KeyPlan {
    const plan = keys[Math.floor(this.random() * keys.length)];
    if (plan === undefined) throw new Error('pick from an empty key list');
    return plan;
  }

  private newKey(): KeyPlan {
    this.keyCount += 1;
    const roll = this.random();
    const { declineShare, faultShare, processorTimeoutShare } = this.mix;
    const source: CardToken =
      roll < processorTimeoutShare
        ? 'tok_timeout_after_charge'
        : roll < processorTimeoutShare + faultShare
          ? 'tok_processor_error'
          : roll < processorTimeoutShare + faultShare + declineShare
            ? 'tok_chargeDeclined'
            : 'tok_visa';
    return {
      key: `lt-${this.runId}-${this.keyCount}` as IdempotencyKey,
      body: {
        amount: 100 + Math.floor(this.random() * 9_900),
        currency: currencies[Math.floor(this.random() * currencies.length)] ?? 'usd',
        source,
        description: `load test ${this.runId} #${this.keyCount}`,
      },
    };
  }
}
