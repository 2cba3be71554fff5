import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from '@retrysafe/idempotency';

const base = { method: 'POST', route: '/v1/charges' };

/** Round-trips through JSON so generated values are exactly what a parsed body can be. */
const jsonValue = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);

const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const rotated = entries.length === 0 ? entries : [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)];
    return Object.fromEntries(rotated.reverse().map(([key, member]) => [key, shuffleKeys(member, seed + 1)]));
  }
  return value;
};

describe('canonical JSON fingerprints', () => {
  it('ignore member order and whitespace', () => {
    const a = requestFingerprint({ ...base, body: '{"amount":100,"currency":"usd","metadata":{"b":"2","a":"1"}}' });
    const b = requestFingerprint({ ...base, body: '{\n  "currency": "usd",\n  "metadata": {"a": "1", "b": "2"},\n  "amount": 100\n}' });
    expect(a).toBe(b);
  });

  it('do not depend on whether a parser already turned the body into an object', () => {
    expect(requestFingerprint({ ...base, body: '{"a":[1,2,{"c":true}]}' })).toBe(
      requestFingerprint({ ...base, body: { a: [1, 2, { c: true }] } }),
    );
  });

  it('differ by method and by route template', () => {
    const body = '{"amount":1}';
    expect(requestFingerprint({ ...base, body })).not.toBe(requestFingerprint({ ...base, method: 'PATCH', body }));
    expect(requestFingerprint({ ...base, body })).not.toBe(requestFingerprint({ ...base, route: '/v1/refunds', body }));
  });

  it('differ by path parameters, so one key cannot replay a refund of another charge', () => {
    const refund = { method: 'POST', route: '/v1/charges/{id}/refunds', body: '{}' };
    expect(requestFingerprint({ ...refund, pathParameters: { id: 'ch_a' } })).not.toBe(
      requestFingerprint({ ...refund, pathParameters: { id: 'ch_b' } }),
    );
  });

  it('treat a request without a body (HTTP API v2 omits the field) like an empty or blank one', () => {
    const capture = (body: unknown) =>
      requestFingerprint({ method: 'POST', route: '/v1/charges/{id}/capture', pathParameters: { id: 'ch_1' }, body });
    for (const body of [null, '', ' \n\t']) expect(capture(body)).toBe(capture(undefined));
    expect(capture('{}')).not.toBe(capture(undefined));
  });

  it('keep array members apart: [1,2] and [12] are different requests, a 422 and not a replay', () => {
    expect(requestFingerprint({ ...base, body: '{"items":[1,2]}' })).not.toBe(requestFingerprint({ ...base, body: '{"items":[12]}' }));
  });

  it('compare numbers JSON.parse overflows to Infinity byte for byte, not as null', () => {
    const overflowing = requestFingerprint({ ...base, body: '{"amount":1e400}' });
    expect(overflowing).not.toBe(requestFingerprint({ ...base, body: '{"amount":null}' }));
    expect(overflowing).not.toBe(requestFingerprint({ ...base, body: '{"amount":2e400}' }));
  });

  it('match a parsed body whose undefined members its JSON text leaves out', () => {
    expect(requestFingerprint({ ...base, body: { amount: 1, description: undefined } })).toBe(
      requestFingerprint({ ...base, body: '{"amount":1}' }),
    );
  });

  // Records store the digest: a change of format turns every retry in flight across a deploy into a 422.
  it('are the SHA-256 of method, route, path parameters and canonical body, the method in upper case', () => {
    const refund = { route: '/v1/charges/{id}/refunds', pathParameters: { id: 'ch_1' }, body: '{"amount": 500, "reason": "duplicate"}' };
    // sha256('POST\n/v1/charges/{id}/refunds\n{"id":"ch_1"}\njson:{"amount":500,"reason":"duplicate"}')
    const digest = 'a9e3a4167fac1c33b61d0244db76776444afb18bcaa9eda2ccf73d1abe9bc74a';
    expect(requestFingerprint({ ...refund, method: 'POST' })).toBe(digest);
    expect(requestFingerprint({ ...refund, method: 'post' })).toBe(digest);
  });

  it('compare bodies that are not JSON byte for byte', () => {
    expect(requestFingerprint({ ...base, body: 'a=1' })).toBe(requestFingerprint({ ...base, body: 'a=1' }));
    expect(requestFingerprint({ ...base, body: 'a=1' })).not.toBe(requestFingerprint({ ...base, body: 'a=2' }));
  });

  it('are equal exactly when the parsed bodies are equal (property)', () => {
    fc.assert(
      fc.property(jsonValue, jsonValue, fc.nat(), (a, b, seed) => {
        const textA = JSON.stringify(a);
        const textB = JSON.stringify(shuffleKeys(b, seed), null, seed % 3);
        const same = requestFingerprint({ ...base, body: textA }) === requestFingerprint({ ...base, body: textB });
        expect(same).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('are invariant under reordering and re-spacing (property)', () => {
    fc.assert(
      fc.property(jsonValue, fc.nat(), (value, seed) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(shuffleKeys(value, seed), null, 2)))).toBe(canonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });
});
