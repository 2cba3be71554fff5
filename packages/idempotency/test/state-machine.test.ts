import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '../src/key-header.js';
import {
  classify,
  claimCondition,
  type CompletedRecord,
  type InProgressRecord,
  keyStateOf,
  retryAfterSeconds,
} from '../src/state-machine.js';
import { encodeResponse, type StoredResponse } from '../src/stored-response.js';

const now = 1_700_000_000_000;
const fingerprint = 'fp-same-request';

const inProgress = (overrides: Partial<InProgressRecord> = {}): InProgressRecord => ({
  pk: 'tenant-a#key-1',
  fingerprint,
  token: 'token-1',
  claimedAt: now - 2_000,
  expiresAt: now / 1000 + 86_400,
  status: 'IN_PROGRESS',
  leaseUntil: now + 10_000,
  ...overrides,
});

const stored: StoredResponse = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"ch_1"}' };
const completed = (overrides: Partial<CompletedRecord> = {}): CompletedRecord => ({
  pk: 'tenant-a#key-1',
  fingerprint,
  token: 'token-1',
  claimedAt: now - 60_000,
  expiresAt: now / 1000 + 86_400,
  status: 'COMPLETED',
  completedAt: now - 59_000,
  ...encodeResponse(stored),
  ...overrides,
});

describe('classify', () => {
  it('finds the key absent when there is no record', () => {
    expect(classify(undefined, fingerprint, now)).toEqual({ kind: 'absent' });
  });

  it('finds the key absent from the second its TTL passes, whatever the record holds (DynamoDB deletes lazily)', () => {
    const expiresAt = now / 1000;
    for (const record of [inProgress({ expiresAt }), completed({ expiresAt }), completed({ expiresAt, fingerprint: 'other' })]) {
      expect(classify(record, fingerprint, now)).toEqual({ kind: 'absent' });
    }
    expect(classify(completed({ expiresAt: expiresAt + 1 }), fingerprint, now).kind).toBe('completed');
  });

  it('agrees with the claim condition on expiry: a key it finds absent is one a claim may take', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }), fc.integer({ min: -2_500, max: 2_500 }), (expiresAt, offset) => {
        const at = expiresAt * 1000 + offset;
        const takeable = expiresAt <= claimCondition.values(at, fingerprint)[':nowSeconds'];
        expect(classify(completed({ expiresAt }), fingerprint, at).kind === 'absent').toBe(takeable);
      }),
    );
  });

  it("refuses a live record of another request, even one whose lease ran out, with that request's answer once it has one", () => {
    expect(classify(completed({ fingerprint: 'other' }), fingerprint, now)).toEqual({ kind: 'fingerprint-mismatch', original: stored });
    expect(classify(inProgress({ fingerprint: 'other', leaseUntil: now }), fingerprint, now)).toEqual({ kind: 'fingerprint-mismatch' });
  });

  it('replays the stored response of a completed record', () => {
    expect(classify(completed(), fingerprint, now)).toEqual({ kind: 'completed', response: stored });
  });

  it('lets the same request take over once the lease runs out, at its last millisecond', () => {
    expect(classify(inProgress({ leaseUntil: now }), fingerprint, now)).toEqual({ kind: 'lease-expired' });
    expect(classify(inProgress({ leaseUntil: now - 30_000 }), fingerprint, now)).toEqual({ kind: 'lease-expired' });
  });

  it('reports a claim under a live lease with the lease left and the claim age', () => {
    expect(classify(inProgress({ leaseUntil: now + 1 }), fingerprint, now)).toEqual({
      kind: 'in-progress',
      leaseRemainingMs: 1,
      ageMs: 2_000,
    });
    expect(classify(inProgress(), fingerprint, now)).toEqual({ kind: 'in-progress', leaseRemainingMs: 10_000, ageMs: 2_000 });
  });
});

describe('keyStateOf', () => {
  it('tells a running request from one that stopped before an answer, by its lease', () => {
    expect(keyStateOf(inProgress(), now)).toEqual({ kind: 'in-progress', since: now - 2_000, expiresAt: now + 86_400_000 });
    expect(keyStateOf(inProgress({ leaseUntil: now }), now)).toMatchObject({ kind: 'in-recovery' });
  });

  it('dates a recovery point from its first claim, whoever holds it now, and keeps it without expiry', () => {
    const point = inProgress({
      expiresAt: undefined,
      claimedAt: now - 1_000,
      leaseUntil: now - 1,
      recovery: { scope: 'tenant-a', key: 'key-1' as IdempotencyKey, request: {}, since: now - 3_600_000 },
    });
    expect(keyStateOf(point, now)).toEqual({ kind: 'in-recovery', since: now - 3_600_000, expiresAt: undefined });
  });

  it('gives a completed key its stored answer, and forgets it once expired or absent', () => {
    expect(keyStateOf(completed(), now)).toEqual({ kind: 'completed', since: now - 60_000, expiresAt: now + 86_400_000, response: stored });
    expect(keyStateOf(completed({ expiresAt: now / 1000 }), now)).toEqual({ kind: 'unknown' });
    expect(keyStateOf(undefined, now)).toEqual({ kind: 'unknown' });
  });
});

describe('retryAfterSeconds', () => {
  it('asks for one second for a young claim and grows with its age', () => {
    expect(retryAfterSeconds({ leaseRemainingMs: 30_000, ageMs: 0 })).toBe(1);
    expect(retryAfterSeconds({ leaseRemainingMs: 30_000, ageMs: 800 })).toBe(1);
    expect(retryAfterSeconds({ leaseRemainingMs: 30_000, ageMs: 4_500 })).toBe(5);
  });

  it('never asks a client to wait past the second in which the lease runs out', () => {
    expect(retryAfterSeconds({ leaseRemainingMs: 3_000, ageMs: 60_000 })).toBe(3);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 900_000 }), fc.integer({ min: 0, max: 3_600_000 }), (leaseRemainingMs, ageMs) => {
        const seconds = retryAfterSeconds({ leaseRemainingMs, ageMs });
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds * 1000).toBeLessThan(leaseRemainingMs + 1000);
      }),
    );
  });
});
