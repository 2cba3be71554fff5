import { afterAll, describe, expect, it } from 'vitest';
import type { IdempotencyKey } from '@retrysafe/idempotency';
import { downstreamKey } from '../../lambdas/payments/key-guard.js';
import { reconcilerTables } from '../../lambdas/reconciliation/reconciler-deps.js';
import { processorSettleMs } from '../../lambdas/shared/idempotency-engine.js';
import { main } from '../../reconcile/main.js';
import { tableFlag } from '../../cli/flags.js';
import { testClock } from '../support/completer-run.js';
import { uniqueKey } from '../support/events.js';
import { createTenant } from '../support/tenants.js';
import { chargeAtProcessorOnly, closeWorlds, openWorld, type World } from './world.js';

/** `npm run reconcile`, run in-process against a test world, its clock the world's. */
const clock = testClock();
afterAll(closeWorlds);

const run = async (argv: readonly string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (text) => out.push(text), err: (text) => err.push(text), now: clock.now });
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const flagsFor = (world: World, processorUrl = world.processorUrl): string[] => [
  '--processor-url',
  processorUrl,
  '--region',
  'us-east-1',
  '--dynamodb-endpoint',
  process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
  ...reconcilerTables.flatMap((table) => [`--${tableFlag(table)}`, world.tables[table]]),
];

const later = () => {
  clock.advance(processorSettleMs + 60_000);
};

describe('npm run reconcile', () => {
  it('exits 2 with the usage on a flag it does not know, or a value it refuses', async () => {
    const unknownFlag = await run(['--bogus']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.err).toContain("Unknown option '--bogus'");
    expect(unknownFlag.err).toContain('Usage: npm run reconcile');
    expect((await run(['--processor-url', 'http://127.0.0.1:1', '--processor-auth', 'basic'])).code).toBe(2);
    expect((await run(['--payments-table', 'x'])).err).toContain('only apply with --processor-url');
    expect((await run(['--since', 'yesterday'])).code).toBe(2);
  });

  it('exits 2, saying what it could not reach, when the processor is down', async () => {
    const world = await openWorld(clock);
    const result = await run(flagsFor(world, 'http://127.0.0.1:9'));
    expect(result.code).toBe(2);
    expect(result.err).toContain("Cannot list the processor's charges at http://127.0.0.1:9");
  });

  it('exits 0 after recovering what was lost, and 0 again when the second run finds it matched', async () => {
    const world = await openWorld(clock);
    const tenant = await createTenant();
    await chargeAtProcessorOnly(world, tenant, uniqueKey(), { amount: 700, currency: 'eur', source: 'tok_visa' });
    later();

    const first = await run(flagsFor(world));
    expect(first.code).toBe(0);
    expect(first.out).toContain('Recovered: recorded here from the processor (1)');
    expect(first.out).toContain('Clean.');
    const second = await run([...flagsFor(world), '--since', '0']);
    expect(second.code).toBe(0);
    expect(second.out).not.toContain('Recovered');
    expect(second.out).toMatch(/charges\s+1\s+0\s+0\s+0\s+0\s+0\s+yes/);
  });

  it('exits 1 when a processor object is not from Retrysafe, naming it', async () => {
    const world = await openWorld(clock);
    await world.processor.charge({
      amount: 100,
      currency: 'usd',
      source: 'tok_visa',
      metadata: { retrysafe_account: 'acct_nobody' },
      idempotencyKey: downstreamKey('acct_nobody' as Parameters<typeof downstreamKey>[0], 'k' as IdempotencyKey),
    });
    later();
    const result = await run(flagsFor(world));
    expect(result.code).toBe(1);
    expect(result.out).toContain('Unknown: not from Retrysafe (1)');
    expect(result.out).toContain('account-not-found');
    expect(result.out).toContain('Needs attention.');
  });
});
