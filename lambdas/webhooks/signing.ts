import { createHmac, randomBytes } from 'node:crypto';
import type { Brand } from '../shared/ids.js';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signature is
 * `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")), where the key is
 * the base64-decoded part of a `whsec_` secret.
 */
export type WebhookSecret = Brand<string, 'WebhookSecret'>;

const secretPrefix = 'whsec_';
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** 32 random bytes: the full block of entropy HMAC-SHA256 can use. */
export const generateSecret = (): WebhookSecret => `${secretPrefix}${randomBytes(32).toString('base64')}` as WebhookSecret;

/** The HMAC key of a secret, or undefined when it is not `whsec_` + non-empty standard base64. */
export const secretKey = (secret: string): Buffer | undefined => {
  const encoded = secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret;
  if (encoded === '' || !base64Pattern.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64');
};

/** The raw HMAC over `id.timestamp.body`; the body is hashed as the exact bytes sent. */
export const signatureBytes = (key: Buffer, webhookId: string, timestampSeconds: number, body: string | Uint8Array): Buffer =>
  createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.`, 'utf8').update(body).digest();

export const sign = (secret: WebhookSecret, webhookId: string, timestampSeconds: number, body: string): string => {
  const key = secretKey(secret);
  if (key === undefined) throw new Error('A stored webhook secret is malformed');
  return `v1,${signatureBytes(key, webhookId, timestampSeconds, body).toString('base64')}`;
};

export type SignedHeaders = Readonly<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>>;

/**
 * One signature per currently valid secret, space-separated: during a rotation a receiver that
 * still holds the old secret and one that already has the new one both find a match.
 */
export const signedHeaders = (
  secrets: readonly WebhookSecret[],
  webhookId: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders => {
  if (secrets.length === 0) throw new Error('An endpoint has no valid signing secret');
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((secret) => sign(secret, webhookId, timestampSeconds, body)).join(' '),
  };
};
