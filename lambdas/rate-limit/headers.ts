import type { BucketPolicy } from './gcra.js';
import type { RateLimitDecision } from './limiter.js';

/**
 * Response fields of draft-ietf-httpapi-ratelimit-headers-11 ("RateLimit header fields for
 * HTTP", 23 May 2026, https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/11/),
 * both Structured Field Lists (RFC 9651) of String items with parameters:
 *
 *   RateLimit-Policy: "default";q=100;w=60       §3: quota q per window w seconds
 *   RateLimit: "default";r=42;t=1                §4: r quota units available, effective window t
 *
 * The draft defines t as the seconds within which the client can use no more than r. For a
 * token bucket that is exactly the time until the next token arrives, so t is that, rounded up;
 * on a 429, r=0 and t equals Retry-After, which §6 asks not to precede the window's end.
 * q/w state the long-run rate; a burst that differs from the per-minute figure is added as the
 * vendor-prefixed parameter the draft asks for (§3.1), e.g. `;retrysafe-burst=20`.
 */
export const policyName = 'default';

export const rateLimitPolicyField = (policy: BucketPolicy): string =>
  `"${policyName}";q=${policy.ratePerMinute};w=60` + (policy.burst === policy.ratePerMinute ? '' : `;retrysafe-burst=${policy.burst}`);

const rateLimitField = (remaining: number, windowSeconds: number): string => `"${policyName}";r=${remaining};t=${windowSeconds}`;

/**
 * Without the store the current quota is unknown, so only the policy is sent: the draft lets a
 * server omit RateLimit (§6.2) and a guessed value could invite a client to burst.
 */
export const rateLimitHeaders = (decision: RateLimitDecision): Record<string, string> => {
  const headers: Record<string, string> = { 'RateLimit-Policy': rateLimitPolicyField(decision.policy) };
  if (decision.outcome === 'admitted') headers.RateLimit = rateLimitField(decision.remaining, decision.effectiveWindowSeconds);
  if (decision.outcome === 'rejected') headers.RateLimit = rateLimitField(0, decision.retryAfterSeconds);
  return headers;
};
