/**
 * The token bucket as GCRA (Generic Cell Rate Algorithm, the "virtual scheduling" form of
 * ITU-T I.371): one number per bucket instead of a token count and a refill timestamp, so a
 * single conditional write both checks and consumes.
 *
 * Derivation. A bucket holds at most B tokens (the burst) and gains one every T microseconds
 * (the emission interval, T = 60 s / ratePerMinute). GCRA stores the theoretical arrival time
 * TAT: the moment the bucket will be full again if nothing else arrives. At time `now` the bucket
 * therefore holds (now + B·T − max(TAT, now)) / T tokens: B when TAT ≤ now, and one fewer for
 * every T that TAT runs ahead of now.
 *
 *   A request needs one token:  (now + B·T − max(TAT, now)) / T ≥ 1
 *                           ⇔   max(TAT, now) − now ≤ (B − 1)·T =: τ  (the burst tolerance)
 *   and consumes it:            TAT' = max(TAT, now) + T,   equivalently admitted ⇔ TAT' − now ≤ τ + T = B·T.
 *
 * τ is (B − 1)·T, not B·T: with B·T a drained-at-once bucket would admit B + 1 requests. Check:
 * k requests at the same instant on a full bucket leave TAT' = now + k·T, admitted while
 * k·T ≤ B·T, i.e. exactly B. Over any interval of length L at most B + ⌊L / T⌋ are admitted.
 *
 * The three cases become three states of the DynamoDB item, each decided by one condition:
 *   idle        TAT ≤ now              → TAT' = now + T
 *   busy        now < TAT ≤ now + τ    → TAT' = TAT + T
 *   over-limit  TAT > now + τ          → rejected; a token appears at TAT − τ
 * A condition expression cannot add τ to a stored value, so the item also stores the gate
 * TAT − τ and moves it with TAT: "busy" is `gate ≤ now`, "over-limit" is `gate > now`, and
 * Retry-After is gate − now. An idle bucket's new gate is now + T − τ, written as now + G.
 *
 * Times are integer epoch microseconds: DynamoDB adds decimals exactly but JavaScript does not,
 * and integers keep both sides agreeing on the boundary (1.8e15 µs is well inside 2^53).
 */

/** A limit as configured: requests per minute, and how many may arrive at once. */
export interface BucketPolicy {
  readonly ratePerMinute: number;
  readonly burst: number;
}

/** The policy in the units the conditional writes use. */
export interface BucketTiming {
  /** B: the most tokens the bucket holds. */
  readonly burst: number;
  /** T: microseconds between two tokens. */
  readonly intervalUs: number;
  /** τ = (B − 1)·T: how far TAT may run ahead of now and still admit a request. */
  readonly toleranceUs: number;
  /** G = T − τ: the gate of an idle bucket that has just admitted one request, relative to now. */
  readonly gateOffsetUs: number;
  /** B·T: the longest TAT can run ahead of now; bounds when a bucket is full again. */
  readonly capacityUs: number;
}

/** What a bucket item holds: TAT and its gate TAT − τ. */
export interface BucketState {
  readonly tatUs: number;
  readonly gateUs: number;
}

export type BucketBranch = 'idle' | 'busy' | 'over-limit';

const microsPerMinute = 60_000_000;
/** T is a whole number of microseconds, at least one. */
const maxRatePerMinute = microsPerMinute;

export const validRatePerMinute = (ratePerMinute: number): number => {
  if (!Number.isSafeInteger(ratePerMinute) || ratePerMinute < 1 || ratePerMinute > maxRatePerMinute) {
    throw new Error(`Rate limit must be a whole number of requests per minute in 1..${maxRatePerMinute}, got ${ratePerMinute}`);
  }
  return ratePerMinute;
};

export const validBurst = (burst: number): number => {
  if (!Number.isSafeInteger(burst) || burst < 1) throw new Error(`Rate limit burst must be a positive whole number, got ${burst}`);
  return burst;
};

export const validatePolicy = (policy: BucketPolicy): BucketPolicy => {
  validRatePerMinute(policy.ratePerMinute);
  validBurst(policy.burst);
  return policy;
};

/**
 * T is rounded to a whole microsecond: at 100 requests per minute it is exact (600,000 µs), and
 * for awkward rates the error is below one part in a million of the configured rate.
 *
 * A tenant spread over N shards gives each shard 1/N of the rate (N·T) and ⌈B/N⌉ of the burst,
 * rounded up so that a burst of B still fits; the whole tenant may then burst to N·⌈B/N⌉.
 */
export const timingOf = (policy: BucketPolicy, shards = 1): BucketTiming => {
  const burst = Math.ceil(policy.burst / shards);
  const intervalUs = Math.round(microsPerMinute / policy.ratePerMinute) * shards;
  const toleranceUs = (burst - 1) * intervalUs;
  return { burst, intervalUs, toleranceUs, gateOffsetUs: intervalUs - toleranceUs, capacityUs: burst * intervalUs };
};

export const toMicros = (epochMs: number): number => Math.round(epochMs * 1000);

export const branchOf = (state: BucketState | undefined, nowUs: number): BucketBranch => {
  if (state === undefined || state.tatUs <= nowUs) return 'idle';
  return state.gateUs <= nowUs ? 'busy' : 'over-limit';
};

/** Tokens left at `now`: (now + B·T − TAT) / T rounded down, where B·T − TAT = T − gate; at most B. */
export const remainingTokens = (state: BucketState, timing: BucketTiming, nowUs: number): number =>
  Math.min(timing.burst, Math.max(0, Math.floor((nowUs - state.gateUs) / timing.intervalUs) + 1));

/**
 * Microseconds until a bucket that has just been written gains its next token: for an
 * over-limit bucket the time to its gate, otherwise the rest of the current interval (a token
 * arrives whenever now − gate crosses a multiple of T).
 */
export const microsUntilNextToken = (state: BucketState, intervalUs: number, nowUs: number): number => {
  if (state.gateUs > nowUs) return state.gateUs - nowUs;
  const intoInterval = (nowUs - state.gateUs) % intervalUs;
  return intervalUs - intoInterval;
};

/** Whole seconds, rounded up so that a client waiting this long finds the token there. */
export const wholeSecondsCeil = (micros: number): number => Math.ceil(micros / 1_000_000);
