/**
 * The webhook retry policy, all of it in one place: which outcome counts as delivered, how long
 * to wait before the next attempt, when to give up, and how a wait is carried by SQS.
 *
 * SCHEDULE. `WEBHOOK_RETRY_SCHEDULE` lists the seconds between attempts, so a schedule of n
 * entries allows n + 1 attempts per round (a redrive starts a new round). The default is the
 * Svix/Standard Webhooks schedule: 5s, 5m, 30m, 2h, 5h, 10h, 10h, eight attempts spread over
 * at most ~27 hours.
 *
 * JITTER. The wait before retry i (0-based) is drawn uniformly from [min(s[i-1], s[i]), s[i]],
 * with s[-1] = 0. That is full jitter with the schedule as its bounds: the first retry is
 * classic full jitter over [0, 5s]; every later wait spans the whole gap between the previous
 * step and this one. A plain [0, s[i]] would let a 10-hour step fire seconds after the last
 * failure and collapse the backoff; the previous step as the floor keeps every wait at least as
 * long as the one before, while deliveries that failed together (a receiver outage) are still
 * spread across the gap. A flat tail (10h, 10h) adds a constant, which preserves the spread the
 * earlier steps built up. The schedule entry is the ceiling, so a round never lasts longer than
 * the sum of the schedule.
 *
 * RETRY-AFTER. A 429 or 503 carrying Retry-After moves the next attempt to at least that far
 * out (capped at 24 hours, so a receiver cannot park a delivery indefinitely). It still counts
 * as an attempt. A 410 Gone disables the endpoint instead of burning the remaining attempts.
 *
 * SQS CARRIES THE WAIT BY RE-ENQUEUEING, not by ChangeMessageVisibility:
 * - Visibility is capped at 12 hours from the receive, and a message hidden for hours is
 *   in flight the whole time: a standard queue refuses receives beyond ~120,000 in-flight
 *   messages, which a long receiver outage reaches. Delayed messages do not count.
 * - Every receive counts towards the queue's maxReceiveCount (20), so parking a message
 *   through visibility spends the budget meant to catch crash loops.
 * So after a failed attempt the dispatcher sends a fresh message with DelaySeconds (at most
 * 900, SQS's limit) and deletes the one it received. A message that arrives before its
 * delivery is due (a wait longer than 15 minutes) is sent on again with the remaining delay,
 * without an attempt: a 10-hour wait is a chain of 40 cheap hops. Each hop is a new message,
 * so maxReceiveCount keeps meaning "this message crashed the consumer 20 times".
 *
 * DEAD LETTERS ARE SENT EXPLICITLY. After the last attempt the dispatcher sends the message to
 * the DLQ itself and marks the delivery failed, rather than letting maxReceiveCount move it:
 * that would take 20 receives of a message that was deliberately failed, and which attempt ends
 * up there would depend on timing. The queue's own redrive policy remains as the safety net for
 * messages that crash the dispatcher. A DLQ copy is inert by itself: see delivery-state.ts for
 * why moving it back cannot deliver anything twice.
 *
 * The attempt count lives in the delivery record in DynamoDB, never in SQS attributes: each
 * hop is a new message, and ApproximateReceiveCount is approximate (and not reliable locally).
 */

/** Seconds to wait between consecutive attempts of one round. */
export type RetrySchedule = readonly number[];

export const defaultRetrySchedule: RetrySchedule = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/** Bounds that catch a typo (milliseconds for seconds) rather than express a preference. */
const maxScheduleEntrySeconds = 86_400;
const maxScheduleEntries = 20;
const maxRetryAfterMs = 86_400_000;

/** SQS refuses a DelaySeconds above 15 minutes. */
export const maxSqsDelaySeconds = 900;

/** A message this close to its due time is treated as due: SQS delays are whole seconds. */
export const dueToleranceMs = 1_000;

export class RetryScheduleError extends Error {
  constructor(raw: string, reason: string) {
    super(`WEBHOOK_RETRY_SCHEDULE="${raw}" is invalid: ${reason}`);
    this.name = 'RetryScheduleError';
  }
}

export const parseRetrySchedule = (raw: string): RetrySchedule => {
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.length > maxScheduleEntries) throw new RetryScheduleError(raw, `at most ${maxScheduleEntries} entries`);
  return entries.map((entry) => {
    if (!/^\d+$/.test(entry)) throw new RetryScheduleError(raw, `"${entry}" is not a whole number of seconds`);
    const seconds = Number(entry);
    if (seconds < 1 || seconds > maxScheduleEntrySeconds) {
      throw new RetryScheduleError(raw, `each wait must be between 1 and ${maxScheduleEntrySeconds} seconds`);
    }
    return seconds;
  });
};

/** Attempts one round allows: the first one plus one per scheduled wait. */
export const attemptsPerRound = (schedule: RetrySchedule): number => schedule.length + 1;

/** The jittered wait before retry `retryIndex` (0-based); `random` returns a value in [0, 1). */
export const backoffDelayMs = (schedule: RetrySchedule, retryIndex: number, random: () => number): number => {
  const ceiling = schedule[retryIndex];
  if (ceiling === undefined) throw new RangeError(`The schedule has no wait at index ${retryIndex}`);
  const floor = Math.min(retryIndex === 0 ? 0 : (schedule[retryIndex - 1] ?? 0), ceiling);
  return Math.round((floor + random() * (ceiling - floor)) * 1000);
};

/** What one attempt came to, as the policy needs to see it. */
export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'error'; readonly error: string };

export type AttemptVerdict =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'exhausted' }
  | { readonly kind: 'endpoint-gone' };

const honoursRetryAfter = (status: number): boolean => status === 429 || status === 503;

/**
 * Decides what follows an attempt. `attemptsInRound` counts the attempt just made: 1 for the
 * first attempt of a round.
 */
export const decideAfterAttempt = (
  result: AttemptResult,
  attemptsInRound: number,
  schedule: RetrySchedule,
  random: () => number,
): AttemptVerdict => {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { kind: 'delivered' };
  if (result.kind === 'response' && result.status === 410) return { kind: 'endpoint-gone' };
  if (attemptsInRound >= attemptsPerRound(schedule)) return { kind: 'exhausted' };
  const backoff = backoffDelayMs(schedule, attemptsInRound - 1, random);
  const retryAfter =
    result.kind === 'response' && honoursRetryAfter(result.status) && result.retryAfterMs !== undefined
      ? Math.min(result.retryAfterMs, maxRetryAfterMs)
      : 0;
  return { kind: 'retry', delayMs: Math.max(backoff, retryAfter) };
};

/** The DelaySeconds that brings a message back at `dueAtMs`, or as close as SQS allows. */
export const sqsDelaySeconds = (dueAtMs: number, nowMs: number): number =>
  Math.min(maxSqsDelaySeconds, Math.max(0, Math.ceil((dueAtMs - nowMs) / 1000)));
