import type { IdempotencyKey } from '@retrysafe/idempotency';

/**
 * Sandbox card tokens the load mixes in. The last two are the injected faults: their 503s are
 * the only 5xx answers a healthy run may produce.
 */
export type CardToken = 'tok_visa' | 'tok_chargeDeclined' | 'tok_processor_error' | 'tok_timeout_after_charge';

export const injectedFaultTokens: ReadonlySet<CardToken> = new Set<CardToken>(['tok_processor_error', 'tok_timeout_after_charge']);

export type LoadCurrency = 'usd' | 'eur' | 'gbp';

export interface ChargeBody {
  readonly amount: number;
  readonly currency: LoadCurrency;
  readonly source: CardToken;
  readonly description: string;
}

/** One logical charge: an Idempotency-Key and the body every honest retry of it repeats. */
export interface KeyPlan {
  readonly key: IdempotencyKey;
  readonly body: ChargeBody;
}

/** Why a request was sent; every request but `first` and `changed-body` is a retry. */
export type RequestRole =
  | 'first'
  /** Sent at the same moment as the first request of its key. */
  | 'concurrent-duplicate'
  /** Sent after the client gave up on an earlier request of the key (the lost-response case). */
  | 'retry-after-timeout'
  | 'retry-after-409'
  | 'retry-after-429'
  | 'retry-after-503'
  /** A retry of a key whose earlier request was answered. */
  | 'retry-later'
  /** The key of an answered charge with a different body: must be refused with 422. */
  | 'changed-body';

interface ExchangeBase {
  readonly key: IdempotencyKey;
  readonly role: RequestRole;
  /** Milliseconds since the run started, when the request was sent. */
  readonly sentAtMs: number;
}

/** A request whose complete response arrived. */
export interface AnsweredExchange extends ExchangeBase {
  readonly kind: 'answered';
  readonly status: number;
  readonly replayed: boolean;
  readonly contentType: string | undefined;
  readonly location: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly body: Buffer;
  readonly latencyMs: number;
}

/** A request the client deliberately abandoned: it never learns whether it executed. */
export interface CutOffExchange extends ExchangeBase {
  readonly kind: 'cut-off';
}

/** A request that failed in transport without the client giving up on it: never expected. */
export interface FailedExchange extends ExchangeBase {
  readonly kind: 'transport-error';
  readonly message: string;
  readonly latencyMs: number;
}

export type Exchange = AnsweredExchange | CutOffExchange | FailedExchange;

export const isRetry = (role: RequestRole): boolean => role !== 'first' && role !== 'changed-body';

/** A stored answer: what the idempotency layer records and replays (a charge or a decline). */
export const isStoredAnswer = (exchange: Exchange): exchange is AnsweredExchange =>
  exchange.kind === 'answered' && ((exchange.status >= 200 && exchange.status < 300) || exchange.status === 402);

/** The `type` slug of a problem+json answer, or undefined for any other body. */
/**
 * The stack shedding load: 503 service-unavailable with Retry-After, the answer to more requests
 * than it can serve in time (at the gateway's concurrency gate or a function's deadline). It is
 * an answer, not a failure: the key is released or kept as a recovery point, and a retry is safe.
 */
export const isShedLoad = (exchange: AnsweredExchange): boolean =>
  exchange.status === 503 && exchange.retryAfterSeconds !== undefined && problemSlug(exchange) === 'service-unavailable';

export const problemSlug = (exchange: AnsweredExchange): string | undefined => {
  if (exchange.contentType?.startsWith('application/problem+json') !== true) return undefined;
  try {
    const parsed = JSON.parse(exchange.body.toString('utf8')) as { type?: unknown };
    return typeof parsed.type === 'string' ? parsed.type.slice(parsed.type.lastIndexOf('/') + 1) : undefined;
  } catch {
    return undefined;
  }
};

/** Outcome classes the latency report is broken down by. */
export type Outcome =
  'first-execution' | 'declined-402' | 'replay' | 'in-use-409' | 'key-reused-422' | 'rate-limited-429' | 'unavailable-503' | 'other';

export const outcomes: readonly Outcome[] = [
  'first-execution',
  'declined-402',
  'replay',
  'in-use-409',
  'key-reused-422',
  'rate-limited-429',
  'unavailable-503',
  'other',
];

export const outcomeOf = (exchange: AnsweredExchange): Outcome => {
  if (exchange.replayed) return 'replay';
  if (exchange.status >= 200 && exchange.status < 300) return 'first-execution';
  switch (exchange.status) {
    case 402:
      return 'declined-402';
    case 409:
      return 'in-use-409';
    case 422:
      return 'key-reused-422';
    case 429:
      return 'rate-limited-429';
    case 503:
      return 'unavailable-503';
    default:
      return 'other';
  }
};
