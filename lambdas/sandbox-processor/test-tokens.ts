import type { ChargeOutcome } from './charge.js';

/**
 * When the processor answers, once the outcome is stored: at once, or only after
 * SANDBOX_SLOW_RESPONSE_MS, longer than Retrysafe waits, so the response is lost although the
 * money moved.
 */
export type ResponseTiming = 'prompt' | 'after-slow-delay';

/**
 * What each test card token does. The sandbox's outcomes are decided by the token alone, so a
 * charge is fully known before anything is written: claiming the key and storing the result
 * are one atomic write, with no "in flight" record in between. As with Stripe's test cards, the
 * card a charge was made with also decides how its refunds behave.
 */
export type TokenBehaviour =
  | {
      readonly kind: 'charge';
      readonly outcome: ChargeOutcome;
      readonly response: ResponseTiming;
      /** How the processor answers each refund of the charge. */
      readonly refundResponse: ResponseTiming;
    }
  /** Fail with 503 before charging; nothing is stored, so a retry meets the same failure. */
  | { readonly kind: 'fail-without-charging' };

const succeeded: ChargeOutcome = { status: 'succeeded' };

const tokens = new Map<string, TokenBehaviour>([
  ['tok_visa', { kind: 'charge', outcome: succeeded, response: 'prompt', refundResponse: 'prompt' }],
  [
    'tok_chargeDeclined',
    { kind: 'charge', outcome: { status: 'declined', declineCode: 'insufficient_funds' }, response: 'prompt', refundResponse: 'prompt' },
  ],
  ['tok_timeout_after_charge', { kind: 'charge', outcome: succeeded, response: 'after-slow-delay', refundResponse: 'prompt' }],
  ['tok_timeout_after_refund', { kind: 'charge', outcome: succeeded, response: 'prompt', refundResponse: 'after-slow-delay' }],
  ['tok_processor_error', { kind: 'fail-without-charging' }],
]);

export const testTokenNames: readonly string[] = [...tokens.keys()];

export const tokenBehaviour = (source: string): TokenBehaviour | undefined => tokens.get(source);

/** How refunds of a charge made with `source` are answered; only a token that charged has refunds. */
export const refundTiming = (source: string): ResponseTiming => {
  const behaviour = tokens.get(source);
  return behaviour?.kind === 'charge' ? behaviour.refundResponse : 'prompt';
};
