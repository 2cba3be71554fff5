import { describe, expect, it } from 'vitest';
import { defaultRecoveryTimeoutSeconds, parseOptions, UsageError, type LoadTestOptions } from '../../loadtest/options.js';
import { defaultMix, ScenarioPlanner, type Script } from '../../loadtest/scenario.js';

const options = (...argv: string[]): LoadTestOptions => {
  const parsed = parseOptions(argv);
  if (parsed.help) throw new Error('help');
  return parsed.options;
};

const remote = [
  '--base-url',
  'https://api.example.test/prod',
  '--processor-url',
  'https://processor.example.test',
  '--ledger-table',
  'Ledger',
  '--api-key',
  'sk_test_x',
  '--account',
  'acct_x',
];

describe('npm run loadtest options', () => {
  it('have no never-retrying clients by default, and wait up to the default deadline for the completer', () => {
    const parsed = options();
    expect(parsed.mix.neverRetryShare).toBe(0);
    expect(parsed.mix.neverRetryCopies).toBe(1);
    expect(parsed.recoveryTimeoutMs).toBe(defaultRecoveryTimeoutSeconds * 1000);
  });

  it('read the never-retry share, the copies such a client sends and the recovery deadline', () => {
    const parsed = options('--never-retry-share', '1', '--never-retry-copies', '4', '--recovery-timeout-s', '90');
    expect(parsed.mix).toEqual({ ...defaultMix, neverRetryShare: 1, neverRetryCopies: 4 });
    expect(parsed.recoveryTimeoutMs).toBe(90_000);
  });

  it('refuse a share outside 0..1, copies below one, and copies without never-retrying clients', () => {
    expect(() => options('--never-retry-share', '1.5')).toThrow(UsageError);
    expect(() => options('--never-retry-share', '')).toThrow(UsageError);
    expect(() => options('--never-retry-share', '0.5', '--never-retry-copies', '0')).toThrow(UsageError);
    expect(() => options('--never-retry-copies', '4')).toThrow(/--never-retry-share/);
    expect(() => options('--recovery-timeout-s', '-1')).toThrow(UsageError);
  });

  it('need the outbox and idempotency tables of a deployed stack, for the audit after recovery', () => {
    expect(() => options(...remote)).toThrow(/--events-table .*--idempotency-table/);
    const parsed = options(...remote, '--events-table', 'Events', '--idempotency-table', 'Idempotency');
    expect(parsed.target).toMatchObject({ kind: 'remote', eventsTable: 'Events', idempotencyTable: 'Idempotency' });
    expect(() => options('--idempotency-table', 'Idempotency')).toThrow(/only apply with --base-url/);
  });
});

describe('the scenario of clients that never retry', () => {
  const scripts = (mix: typeof defaultMix, requests: number): Script[] => {
    const planner = new ScenarioPlanner(mix, 7, 'unit');
    const planned: Script[] = [];
    for (let budget = requests; ;) {
      // A never-retrying client's key is never offered for a later retry or a changed body (the driver keeps it out).
      const script = planner.next(budget, []);
      if (script === undefined) return planned;
      planned.push(script);
      budget -= script.kind === 'never-retry' ? script.copies : 1;
    }
  };

  it('sends every key of a never-retrying client as its copies at once, and nothing else when every client is one', () => {
    const planned = scripts({ ...defaultMix, neverRetryShare: 1, neverRetryCopies: 4 }, 10_000);
    expect(planned).toHaveLength(2_500);
    expect(planned.every((script) => script.kind === 'never-retry' && script.copies === 4)).toBe(true);
    expect(new Set(planned.map((script) => script.plan.key)).size).toBe(2_500);
  });

  it('sends fewer copies rather than more requests than the budget', () => {
    const planned = scripts({ ...defaultMix, neverRetryShare: 1, neverRetryCopies: 4 }, 10);
    expect(planned.map((script) => (script.kind === 'never-retry' ? script.copies : 0))).toEqual([4, 4, 2]);
  });

  it('mixes never-retrying clients in at about their share of new keys', () => {
    const planned = scripts({ ...defaultMix, retryShare: 0, mismatchShare: 0, neverRetryShare: 0.25 }, 4_000);
    const share = planned.filter((script) => script.kind === 'never-retry').length / planned.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });
});
