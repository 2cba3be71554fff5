import { timingSafeEqual } from 'node:crypto';
import { secretKey, signatureBytes } from './signing.js';

/**
 * Receiver-side verification of a Retrysafe webhook, interoperable with the `standardwebhooks`
 * package (either may sign, either may verify). Pass the raw body exactly as received: a body
 * parsed and re-serialised no longer matches its signature.
 *
 *   const result = verifyWebhook(process.env.WEBHOOK_SECRET, request.headers, rawBody);
 *   if (!result.valid) return reply(400, result.reason);
 *   // deduplicate on result.id: retries of one delivery carry the same webhook-id
 *
 * A receiver rotating its own secret passes several: a signature made with any of them counts.
 */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** Accepted distance between the timestamp and now, both ways; 5 minutes by default. */
  readonly toleranceSeconds?: number;
  /** Epoch milliseconds. */
  readonly now?: () => number;
}

export type VerificationFailure =
  'invalid-secret' | 'missing-headers' | 'invalid-timestamp' | 'timestamp-too-old' | 'timestamp-too-new' | 'no-matching-signature';

export type VerificationResult =
  | { readonly valid: true; readonly id: string; readonly timestamp: number }
  | { readonly valid: false; readonly reason: VerificationFailure };

export const defaultToleranceSeconds = 5 * 60;

const header = (headers: HeadersLike, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
};

const hmacSha256Bytes = 32;

/** The HMAC keys of every secret, or undefined when any is malformed: a typo in one must not pass silently. */
const secretKeys = (secrets: string | readonly string[]): Buffer[] | undefined => {
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).map(secretKey);
  return keys.length > 0 && keys.every((key) => key !== undefined) ? keys : undefined;
};

export const verifyWebhook = (
  secrets: string | readonly string[],
  headers: HeadersLike,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): VerificationResult => {
  const keys = secretKeys(secrets);
  if (keys === undefined) return { valid: false, reason: 'invalid-secret' };
  const id = header(headers, 'webhook-id');
  const timestampHeader = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampHeader || !signatures) return { valid: false, reason: 'missing-headers' };
  if (!/^\d{1,15}$/.test(timestampHeader)) return { valid: false, reason: 'invalid-timestamp' };

  // The timestamp is signed, so checking its age is what turns a captured request into one
  // that cannot be replayed later.
  const timestamp = Number(timestampHeader);
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? defaultToleranceSeconds;
  if (nowSeconds - timestamp > tolerance) return { valid: false, reason: 'timestamp-too-old' };
  if (timestamp - nowSeconds > tolerance) return { valid: false, reason: 'timestamp-too-new' };

  const expected = keys.map((key) => signatureBytes(key, id, timestamp, body));
  for (const versioned of signatures.split(' ')) {
    const [version, encoded] = versioned.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const candidate = Buffer.from(encoded, 'base64');
    // Every v1 signature is 32 bytes, so rejecting another length early reveals nothing; equal
    // lengths are compared in constant time so the comparison leaks no matching prefix.
    if (candidate.length !== hmacSha256Bytes) continue;
    if (expected.some((signature) => timingSafeEqual(candidate, signature))) return { valid: true, id, timestamp };
  }
  return { valid: false, reason: 'no-matching-signature' };
};
