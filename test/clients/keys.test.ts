import { describe, expect, it } from 'vitest';
import { deterministicKey, newIdempotencyKey } from '../../clients/typescript/src/index.js';

describe('idempotency keys', () => {
  it('derives the same UUIDv5 for the same operation, in any process', () => {
    expect(deterministicKey('order', 'ord_123')).toBe(deterministicKey('order', 'ord_123'));
    expect(deterministicKey('order', 'ord_123')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('derives different keys for different operations, however the parts are split', () => {
    const keys = [
      deterministicKey('order', 'ord_123'),
      deterministicKey('order', 'ord_124'),
      deterministicKey('refund', 'ord_123'),
      deterministicKey('order:a', 'b'),
      deterministicKey('order', 'a:b'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('makes a fresh random key otherwise', () => {
    expect(newIdempotencyKey()).not.toBe(newIdempotencyKey());
  });
});
