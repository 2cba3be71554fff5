import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CardProcessor,
  ProcessorChargeId,
  ProcessorChargeRequest,
  ProcessorListCursor,
} from '../../lambdas/payments/processor-client/card-processor.js';
import { stripeProcessorClient } from '../../lambdas/payments/processor-client/stripe-client.js';
import { accountNamedBy, clientMetadataOf, downstreamKeyNamedBy } from '../../lambdas/payments/processor-metadata.js';
import { startStripeStandIn, type StripeStandIn } from '../support/stripe-standin.js';

/** The Stripe adapter, on the real SDK, against the local stand-in: no network beyond 127.0.0.1. */
let stripe: StripeStandIn;
let processor: CardProcessor;
let clock = Date.now();
const now = () => clock;

beforeAll(async () => {
  stripe = await startStripeStandIn({ now });
  processor = stripeProcessorClient({ stripe: stripe.client(), now });
});
afterAll(async () => {
  await stripe.stop();
});

let keys = 0;
const freshKey = () => `retrysafe_${(++keys).toString(16).padStart(64, '0')}`;

const charge = (source: string, overrides: Partial<ProcessorChargeRequest> = {}): ProcessorChargeRequest => ({
  amount: 1_500,
  currency: 'usd',
  source,
  metadata: { retrysafe_account: 'acct_test', order: '42' },
  idempotencyKey: freshKey(),
  ...overrides,
});

const lastRequest = () => {
  const request = stripe.received.at(-1);
  if (request === undefined) throw new Error('no request reached the stand-in');
  return request;
};

describe('a charge', () => {
  it('is a PaymentIntent created and confirmed under the downstream key, the key, token and tenant in its metadata', async () => {
    const request = charge('tok_visa', { description: 'order 42' });
    const outcome = await processor.charge(request);
    expect(outcome).toEqual({ kind: 'succeeded', processorChargeId: expect.stringMatching(/^pi_/) as string, replayed: false });
    const sent = lastRequest();
    expect(sent).toMatchObject({ method: 'POST', path: '/v1/payment_intents', idempotencyKey: request.idempotencyKey });
    expect(sent.params).toMatchObject({
      payment_method_data: { type: 'card', card: { token: 'tok_visa' } },
      amount: '1500',
      currency: 'usd',
      confirm: 'true',
      error_on_requires_action: 'true',
      description: 'order 42',
      metadata: { retrysafe_account: 'acct_test', order: '42', retrysafe_key: request.idempotencyKey, retrysafe_source: 'tok_visa' },
    });
  });

  it('sends a PaymentMethod as payment_method', async () => {
    expect(await processor.charge(charge('pm_card_visa'))).toMatchObject({ kind: 'succeeded' });
    expect(lastRequest().params).toMatchObject({ payment_method: 'pm_card_visa' });
  });

  it('retried under its key is the same PaymentIntent, replayed', async () => {
    const request = charge('tok_visa');
    const first = await processor.charge(request);
    const again = await processor.charge(request);
    expect(again).toEqual({ ...first, replayed: true });
    expect(stripe.intents().filter((intent) => intent.metadata.retrysafe_key === request.idempotencyKey)).toHaveLength(1);
  });

  it('declined is a declined outcome with the PaymentIntent and its decline code, replayed the same', async () => {
    const request = charge('pm_card_chargeDeclinedInsufficientFunds');
    const outcome = await processor.charge(request);
    expect(outcome).toEqual({
      kind: 'declined',
      processorChargeId: expect.stringMatching(/^pi_/) as string,
      declineCode: 'insufficient_funds',
      replayed: false,
    });
    expect(await processor.charge(request)).toEqual({ ...outcome, replayed: true });
  });

  it('needing 3-D Secure is declined with authentication_required, never a success', async () => {
    expect(await processor.charge(charge('tok_authenticationRequired'))).toMatchObject({
      kind: 'declined',
      declineCode: 'authentication_required',
    });
  });

  it('with its key reused for other parameters is rejected as idempotency-key-reused, and nothing is charged', async () => {
    const request = charge('tok_visa');
    await processor.charge(request);
    const count = stripe.intents().length;
    expect(await processor.charge({ ...request, amount: 2_000 })).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
    expect(stripe.intents()).toHaveLength(count);
  });

  it('with an unknown token is rejected, naming the source', async () => {
    expect(await processor.charge(charge('tok_nonsense'))).toMatchObject({ kind: 'rejected', reason: 'invalid-request', field: 'source' });
  });

  it.each([
    [429, 'invalid_request_error', {}, 'throttled'],
    [409, 'idempotency_error', {}, 'conflict'],
    [500, 'api_error', {}, 'server-error'],
    [503, 'api_error', { 'stripe-should-retry': 'false' }, 'server-error'],
    [400, 'invalid_request_error', { 'stripe-should-retry': 'true' }, 'server-error'],
    [401, 'invalid_request_error', {}, 'server-error'],
  ] as const)('answered %i (%s) is unavailable(%s): no final answer about the charge', async (status, type, headers, reason) => {
    stripe.failNext('POST', '/v1/payment_intents', { kind: 'answer', status, type, headers: { ...headers, 'retry-after': '3' } });
    expect(await processor.charge(charge('tok_visa'))).toMatchObject({ kind: 'unavailable', reason, retryAfterSeconds: 3 });
  });

  it('whose answer is lost after Stripe charged is unavailable(timeout), and found by its key afterwards', async () => {
    const impatient = stripeProcessorClient({ stripe: stripe.client(100), now });
    const request = charge('tok_visa');
    stripe.failNext('POST', '/v1/payment_intents', { kind: 'hold', ms: 600 });
    expect(await impatient.charge(request)).toMatchObject({ kind: 'unavailable', reason: 'timeout' });
    const found = await processor.findCharge(request.idempotencyKey);
    expect(found).toMatchObject({ kind: 'found', object: { status: 'succeeded', amount: 1_500, source: 'tok_visa' } });
  });

  it('on a refused connection is unavailable(network)', async () => {
    const { stripeSdkConfig } = await import('../../lambdas/payments/processor-client/stripe-client.js');
    const { default: Stripe } = await import('stripe');
    const closed = await startStripeStandIn();
    const port = closed.port;
    await closed.stop();
    const nowhere = stripeProcessorClient({
      stripe: new Stripe('sk_test_x', { ...stripeSdkConfig(1_000), host: '127.0.0.1', port, protocol: 'http' }),
    });
    expect(await nowhere.charge(charge('tok_visa'))).toMatchObject({ kind: 'unavailable', reason: 'network' });
  });

  it('rejects with the reason of its aborted signal, the deadline of the request', async () => {
    const controller = new AbortController();
    stripe.failNext('POST', '/v1/payment_intents', { kind: 'hold', ms: 300 });
    const pending = processor.charge(charge('tok_visa'), controller.signal);
    const reason = new Error('out of time');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('a refund', () => {
  const succeeded = async () => {
    const outcome = await processor.charge(charge('tok_visa'));
    if (outcome.kind !== 'succeeded') throw new Error('the charge did not succeed');
    return outcome.processorChargeId;
  };

  it('is a Stripe refund of the PaymentIntent under its own key, with its metadata', async () => {
    const processorChargeId = await succeeded();
    const idempotencyKey = freshKey();
    const outcome = await processor.refund({ processorChargeId, amount: 500, metadata: { retrysafe_charge: 'ch_x' }, idempotencyKey });
    expect(outcome).toEqual({ kind: 'succeeded', processorRefundId: expect.stringMatching(/^re_/) as string, replayed: false });
    expect(lastRequest()).toMatchObject({
      path: '/v1/refunds',
      idempotencyKey,
      params: { payment_intent: processorChargeId, amount: '500', metadata: { retrysafe_charge: 'ch_x', retrysafe_key: idempotencyKey } },
    });
    expect(await processor.refund({ processorChargeId, amount: 500, metadata: { retrysafe_charge: 'ch_x' }, idempotencyKey })).toEqual({
      ...outcome,
      replayed: true,
    });
    expect(await processor.findRefund(idempotencyKey)).toMatchObject({ kind: 'found', object: { processorChargeId, amount: 500 } });
  });

  it('is rejected as Stripe refuses it: too large, an unknown or declined charge, a reused key', async () => {
    const processorChargeId = await succeeded();
    const refund = (overrides: object) => processor.refund({ processorChargeId, amount: 100, idempotencyKey: freshKey(), ...overrides });
    expect(await refund({ amount: 1_501 })).toMatchObject({ kind: 'rejected', reason: 'amount-too-large' });
    expect(await refund({ processorChargeId: 'pi_unknown' as ProcessorChargeId })).toMatchObject({
      kind: 'rejected',
      reason: 'charge-not-found',
    });
    const declined = await processor.charge(charge('tok_chargeDeclined'));
    if (declined.kind !== 'declined') throw new Error('the charge was not declined');
    expect(await refund({ processorChargeId: declined.processorChargeId })).toMatchObject({
      kind: 'rejected',
      reason: 'charge-not-refundable',
    });
    const idempotencyKey = freshKey();
    await refund({ idempotencyKey });
    expect(await refund({ idempotencyKey, amount: 200 })).toMatchObject({ kind: 'rejected', reason: 'idempotency-key-reused' });
  });
});

describe('looking a charge up by its key', () => {
  it('finds it by Search, as a snapshot of the request that made it', async () => {
    const request = charge('tok_visa', { description: 'by search' });
    const outcome = await processor.charge(request);
    const found = await processor.findCharge(request.idempotencyKey);
    expect(found).toEqual({
      kind: 'found',
      object: {
        id: outcome.kind === 'succeeded' ? outcome.processorChargeId : '',
        amount: 1_500,
        currency: 'usd',
        amountRefunded: 0,
        source: 'tok_visa',
        description: 'by search',
        metadata: expect.objectContaining({ order: '42' }) as object,
        idempotencyKey: request.idempotencyKey,
        createdAtMs: expect.any(Number) as number,
        status: 'succeeded',
      },
    });
    if (found.kind !== 'found') return;
    expect(clientMetadataOf(found.object.metadata)).toEqual({ order: '42' });
    expect(accountNamedBy(found.object.metadata)).toBe('acct_test');
    expect(lastRequest().path).toBe('/v1/payment_intents/search');
  });

  it('finds a declined one as declined', async () => {
    const request = charge('tok_chargeDeclined');
    await processor.charge(request);
    expect(await processor.findCharge(request.idempotencyKey)).toMatchObject({
      kind: 'found',
      object: { status: 'declined', declineCode: 'generic_decline' },
    });
  });

  it('while Search lags, finds it by listing recent PaymentIntents; absent only when neither has it', async () => {
    const request = charge('tok_visa');
    await processor.charge(request);
    stripe.searchLags = true;
    try {
      expect(await processor.findCharge(request.idempotencyKey)).toMatchObject({
        kind: 'found',
        object: { idempotencyKey: request.idempotencyKey },
      });
      expect(await processor.findCharge(freshKey())).toEqual({ kind: 'absent' });
      const hurried = stripeProcessorClient({ stripe: stripe.client(), now, scanPages: 1 });
      for (let i = 0; i < 100; i++) await processor.charge(charge('tok_visa'));
      expect(await hurried.findCharge(freshKey())).toMatchObject({ kind: 'unavailable' });
    } finally {
      stripe.searchLags = false;
    }
  });

  it('is unavailable, never absent, when Stripe cannot answer', async () => {
    stripe.failNext('GET', '/v1/payment_intents/search', { kind: 'answer', status: 500, type: 'api_error' });
    expect(await processor.findCharge(freshKey())).toMatchObject({ kind: 'unavailable', reason: 'server-error' });
  });
});

describe('listing for the reconciler', () => {
  it('walks PaymentIntents oldest first from `since`, page by page, each once', async () => {
    clock += 3_600_000;
    const since = clock;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock += 1_000;
      const outcome = await processor.charge(charge('tok_visa'));
      if (outcome.kind === 'succeeded') made.push(outcome.processorChargeId);
    }
    const walked: string[] = [];
    let cursor: ProcessorListCursor | undefined;
    do {
      const page = await processor.listCharges({ since, limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      if (page.kind !== 'page') throw new Error(page.detail);
      walked.push(...page.objects.map((object) => object.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(walked).toEqual(made);
  });

  it('walks from the very first object when nothing is older than `since`', async () => {
    const walked: string[] = [];
    let cursor: ProcessorListCursor | undefined;
    do {
      const page = await processor.listCharges({ since: 0, limit: 4, ...(cursor === undefined ? {} : { cursor }) });
      if (page.kind !== 'page') throw new Error(page.detail);
      walked.push(...page.objects.map((object) => object.id));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const oldestFirst = [...stripe.intents()].sort((a, b) => a.created - b.created || a.seq - b.seq);
    expect(walked).toEqual(oldestFirst.map((intent) => intent.id));
  });

  it('lists refunds oldest first, with their keys and PaymentIntents', async () => {
    clock += 3_600_000;
    const since = clock;
    const outcome = await processor.charge(charge('tok_visa'));
    if (outcome.kind !== 'succeeded') throw new Error('the charge did not succeed');
    const keysMade = [freshKey(), freshKey()];
    for (const idempotencyKey of keysMade) {
      clock += 1_000;
      await processor.refund({ processorChargeId: outcome.processorChargeId, amount: 100, idempotencyKey });
    }
    const page = await processor.listRefunds({ since, limit: 10 });
    if (page.kind !== 'page') throw new Error(page.detail);
    expect(page.objects.map((refund) => [refund.idempotencyKey, refund.processorChargeId])).toEqual(
      keysMade.map((key) => [key, outcome.processorChargeId]),
    );
    expect(page.nextCursor).toBeUndefined();
    expect(page.objects.every((refund) => downstreamKeyNamedBy(refund.metadata) === refund.idempotencyKey)).toBe(true);
  });
});
