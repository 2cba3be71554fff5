import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { ProcessorChargeRequest } from '../../lambdas/payments/processor-client/card-processor.js';
import { stripeProcessorClient, stripeSdkConfig } from '../../lambdas/payments/processor-client/stripe-client.js';

/**
 * The Stripe adapter against Stripe's own test mode: the one test here that leaves the machine.
 * It runs only by hand, with a test key (`STRIPE_SECRET_KEY=sk_test_… npx vitest run
 * test/processor/stripe-live.test.ts`), never in CI and never with a live key; without the
 * variable it is skipped and sends nothing anywhere.
 */
const key = process.env.STRIPE_SECRET_KEY;
const enabled = key?.startsWith('sk_test_') === true && process.env.CI === undefined;

const freshKey = () => `retrysafe_${randomBytes(32).toString('hex')}`;

describe.skipIf(!enabled)('the Stripe adapter in Stripe test mode', () => {
  const processor = () => stripeProcessorClient({ stripe: new Stripe(key ?? '', stripeSdkConfig(20_000)) });
  const charge = (source: string): ProcessorChargeRequest => ({
    amount: 1_500,
    currency: 'usd',
    source,
    metadata: { retrysafe_account: 'acct_live_test' },
    idempotencyKey: freshKey(),
  });

  it('charges a card token and a PaymentMethod, replays under the key, refuses the key reused', async () => {
    const request = charge('tok_visa');
    const outcome = await processor().charge(request);
    expect(outcome).toMatchObject({ kind: 'succeeded', replayed: false });
    expect(await processor().charge(request)).toEqual({ ...outcome, replayed: true });
    expect(await processor().charge({ ...request, amount: 2_000 })).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
    expect(await processor().charge(charge('pm_card_visa'))).toMatchObject({ kind: 'succeeded' });
  });

  it('declines a declined card and one that needs 3-D Secure', async () => {
    expect(await processor().charge(charge('pm_card_chargeDeclined'))).toMatchObject({ kind: 'declined', declineCode: 'generic_decline' });
    expect(await processor().charge(charge('pm_card_authenticationRequired'))).toMatchObject({
      kind: 'declined',
      declineCode: 'authentication_required',
    });
  });

  it('refunds, and finds the charge and the refund by their keys', async () => {
    const request = charge('tok_visa');
    const outcome = await processor().charge(request);
    if (outcome.kind !== 'succeeded') throw new Error(`the charge was ${outcome.kind}`);
    const refundKey = freshKey();
    expect(
      await processor().refund({ processorChargeId: outcome.processorChargeId, amount: 500, idempotencyKey: refundKey }),
    ).toMatchObject({
      kind: 'succeeded',
    });
    expect(await processor().findCharge(request.idempotencyKey)).toMatchObject({
      kind: 'found',
      object: { id: outcome.processorChargeId, amountRefunded: 500, source: 'tok_visa' },
    });
    expect(await processor().findRefund(refundKey)).toMatchObject({ kind: 'found', object: { amount: 500 } });
    expect(await processor().findCharge(freshKey())).toEqual({ kind: 'absent' });
  });
});
