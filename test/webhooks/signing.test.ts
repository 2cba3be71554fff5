import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretKey, sign, signedHeaders, type WebhookSecret } from '../../lambdas/webhooks/signing.js';
import { verifyWebhook } from '../../lambdas/webhooks/verify.js';

const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'charge.succeeded', created: 1, data: { object: { amount: 1999 } } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('webhook secrets', () => {
  it('are whsec_ followed by the standard base64 of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(secret)?.length).toBe(32);
    expect(generateSecret()).not.toBe(secret);
  });

  it('refuse to yield a key from something that is not base64', () => {
    expect(secretKey('whsec_')).toBeUndefined();
    expect(secretKey('whsec_not base64!')).toBeUndefined();
    // Three characters are too few for base64 without padding; five cannot be base64 at all.
    expect(secretKey('whsec_abc')).toBeUndefined();
    expect(secretKey('whsec_abcde')).toBeUndefined();
    expect(secretKey('whsec_ab=c')).toBeUndefined();
  });

  it('yield the key of any length of standard base64, with two, one or no padding characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        expect(secretKey(`whsec_${Buffer.from(bytes).toString('base64')}`)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuse to sign with a malformed stored secret or with none', () => {
    expect(() => sign('whsec_%%%' as WebhookSecret, 'dlv_1', 1, body)).toThrow(new Error('A stored webhook secret is malformed'));
    expect(() => signedHeaders([], 'dlv_1', 1, body)).toThrow(new Error('An endpoint has no valid signing secret'));
  });
});

describe('signing interoperates with the standardwebhooks package', () => {
  it('their verifier accepts our signature', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'dlv_abc', nowSeconds(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('our verifier accepts their signature', () => {
    const secret = generateSecret();
    const webhook = new Webhook(secret);
    const timestamp = new Date();
    const headers = {
      'webhook-id': 'msg_123',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': webhook.sign('msg_123', timestamp, body),
    };
    expect(verifyWebhook(secret, headers, body)).toEqual({ valid: true, id: 'msg_123', timestamp: Number(headers['webhook-timestamp']) });
  });

  // Standard Webhooks secrets are base64 of 24 to 64 bytes, and many need no padding: 24 bytes is 32 characters, no '='.
  it('sign the Standard Webhooks test vector, whose secret has no padding', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' as WebhookSecret;
    const payload = '{"test": 2432232314}';
    const headers = signedHeaders([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1_614_265_330, payload);
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(verifyWebhook(secret, headers, payload, { now: () => 1_614_265_330_000 }).valid).toBe(true);
  });

  it('verify both ways with a secret that has no padding', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}` as WebhookSecret;
    expect(secret).not.toContain('=');
    expect(new Webhook(secret).verify(body, signedHeaders([secret], 'dlv_abc', nowSeconds(), body))).toEqual(JSON.parse(body));
    const timestamp = new Date();
    const theirs = {
      'webhook-id': 'msg_123',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_123', timestamp, body),
    };
    expect(verifyWebhook(secret, theirs, body).valid).toBe(true);
  });

  it('agree on every secret length, padded or not (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.string(), (bytes, payload) => {
        const secret = `whsec_${Buffer.from(bytes).toString('base64')}` as WebhookSecret;
        expect(sign(secret, 'msg_1', 1_700_000_000, payload)).toBe(new Webhook(secret).sign('msg_1', new Date(1_700_000_000_000), payload));
      }),
    );
  });

  it('produce byte-identical signatures for the same input', () => {
    const secret = generateSecret();
    const timestamp = nowSeconds();
    const ours = signedHeaders([secret], 'dlv_same', timestamp, body)['webhook-signature'];
    expect(ours).toBe(new Webhook(secret).sign('dlv_same', new Date(timestamp * 1000), body));
  });
});

describe('verifyWebhook', () => {
  const secret = generateSecret();
  const signedNow = () => signedHeaders([secret], 'dlv_1', nowSeconds(), body);

  it('rejects a tampered body', () => {
    const tampered = body.replace('1999', '1');
    expect(verifyWebhook(secret, signedNow(), tampered)).toEqual({ valid: false, reason: 'no-matching-signature' });
    expect(() => new Webhook(secret).verify(tampered, signedNow())).toThrow();
  });

  it('rejects a tampered id or timestamp', () => {
    const headers = signedNow();
    expect(verifyWebhook(secret, { ...headers, 'webhook-id': 'dlv_2' }, body).valid).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }, body).valid).toBe(
      false,
    );
  });

  it('rejects a timestamp older than five minutes, and one more than five minutes ahead', () => {
    const signedAt = 1_700_000_000;
    const headers = signedHeaders([secret], 'dlv_1', signedAt, body);
    const at = (secondsLater: number) => ({ now: () => (signedAt + secondsLater) * 1000 });
    expect(verifyWebhook(secret, headers, body, at(300)).valid).toBe(true);
    expect(verifyWebhook(secret, headers, body, at(301))).toEqual({ valid: false, reason: 'timestamp-too-old' });
    expect(verifyWebhook(secret, headers, body, at(-300)).valid).toBe(true);
    expect(verifyWebhook(secret, headers, body, at(-301))).toEqual({ valid: false, reason: 'timestamp-too-new' });
    expect(verifyWebhook(secret, headers, body, { ...at(600), toleranceSeconds: 600 }).valid).toBe(true);
  });

  it('rejects a stale timestamp even when its signature is valid (a replayed capture)', () => {
    const headers = signedHeaders([secret], 'dlv_1', nowSeconds() - 3600, body);
    expect(verifyWebhook(secret, headers, body)).toEqual({ valid: false, reason: 'timestamp-too-old' });
    expect(() => new Webhook(secret).verify(body, headers)).toThrow(/too old/);
  });

  it('rejects a signature made with another secret', () => {
    const headers = signedHeaders([generateSecret()], 'dlv_1', nowSeconds(), body);
    expect(verifyWebhook(secret, headers, body)).toEqual({ valid: false, reason: 'no-matching-signature' });
  });

  it('accepts any one of several signatures, so both sides of a rotation verify', () => {
    const previous = generateSecret();
    const headers = signedHeaders([secret, previous], 'dlv_1', nowSeconds(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyWebhook(secret, headers, body).valid).toBe(true);
    expect(verifyWebhook(previous, headers, body).valid).toBe(true);
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(verifyWebhook(generateSecret(), headers, body).valid).toBe(false);
  });

  it('ignores unknown signature versions and malformed entries', () => {
    const headers = signedNow();
    const v1 = headers['webhook-signature'];
    const noise = `v2,${randomBytes(32).toString('base64')} v1 v1,short ${v1.replace('v1,', 'v1a,')}`;
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': noise }, body).valid).toBe(false);
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': `${noise} ${v1}` }, body).valid).toBe(true);
  });

  it('reports missing headers, a malformed timestamp and a malformed secret', () => {
    const headers = signedNow();
    expect(verifyWebhook(secret, { 'webhook-id': headers['webhook-id'] }, body)).toEqual({ valid: false, reason: 'missing-headers' });
    expect(verifyWebhook(secret, { ...headers, 'webhook-timestamp': '12.5' }, body)).toEqual({ valid: false, reason: 'invalid-timestamp' });
    expect(verifyWebhook('whsec_%%%', headers, body)).toEqual({ valid: false, reason: 'invalid-secret' });
  });

  it('reads headers case-insensitively from a plain object, a Headers instance or Node arrays, and verifies raw bytes', () => {
    const headers = signedNow();
    const shouting = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toUpperCase(), [value]]));
    expect(verifyWebhook(secret, shouting, Buffer.from(body)).valid).toBe(true);
    expect(verifyWebhook(secret, new Headers(headers), new TextEncoder().encode(body)).valid).toBe(true);
  });
});
