import type { ChargeOutcome } from './charge.js';

/**
 * What each test card token does. The sandbox's outcomes are decided by the token alone, so a
 * charge is fully known before anything is written: claiming the key and storing the result
 * are one atomic write, with no "in flight" record in between.
 */
export type TokenBehaviour =
  /** Charge and answer at once. */
  | { readonly kind: 'charge'; readonly outcome: ChargeOutcome; readonly response: 'prompt' }
  /**
   * Charge (the result is stored first), then answer only after SANDBOX_SLOW_RESPONSE_MS,
   * longer than Retrysafe waits: the response is lost although the money moved.
   */
  | { readonly kind: 'charge'; readonly outcome: ChargeOutcome; readonly response: 'after-slow-delay' }
  /** Fail with 503 before charging; nothing is stored, so a retry meets the same failure. */
  | { readonly kind: 'fail-without-charging' };

const tokens = new Map<string, TokenBehaviour>([
  ['tok_visa', { kind: 'charge', outcome: { status: 'succeeded' }, response: 'prompt' }],
  ['tok_chargeDeclined', { kind: 'charge', outcome: { status: 'declined', declineCode: 'insufficient_funds' }, response: 'prompt' }],
  ['tok_timeout_after_charge', { kind: 'charge', outcome: { status: 'succeeded' }, response: 'after-slow-delay' }],
  ['tok_processor_error', { kind: 'fail-without-charging' }],
]);

export const testTokenNames: readonly string[] = [...tokens.keys()];

export const tokenBehaviour = (source: string): TokenBehaviour | undefined => tokens.get(source);
