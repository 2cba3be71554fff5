import { describe, expect, it } from 'vitest';
import {
  equalityLine,
  paymentEqualities,
  type ChargeView,
  type EqualityId,
  type PaymentState,
  type ProcessorChargeView,
  type ProcessorRefundView,
} from '../../loadtest/counterparts.js';

const processorCharge: ProcessorChargeView = {
  id: 'pch_1',
  downstreamKey: 'retrysafe_a',
  amount: 1000,
  currency: 'usd',
  status: 'succeeded',
};
const processorRefund: ProcessorRefundView = {
  id: 'pre_1',
  downstreamKey: 'retrysafe_r',
  processorChargeId: 'pch_1',
  amount: 300,
  currency: 'usd',
};
const charge: ChargeView = {
  id: 'ch_1',
  processorChargeId: 'pch_1',
  amount: 1000,
  currency: 'usd',
  status: 'succeeded',
  amountRefunded: 300,
};

/** One charge of 1,000 usd, refunded 300, on both sides, each with its event. */
const consistent = (): PaymentState => ({
  processorCharges: [processorCharge],
  processorRefunds: [processorRefund],
  charges: [charge],
  refunds: [{ id: 're_1', processorRefundId: 'pre_1', charge: 'ch_1', amount: 300, currency: 'usd' }],
  events: [
    { type: 'charge.succeeded', objectId: 'ch_1' },
    { type: 'charge.refunded', objectId: 're_1' },
  ],
  ledgerBalance: new Map([['usd', 700]]),
  balance: new Map([['usd', 700]]),
  balanceBefore: new Map(),
});

const broken = (state: PaymentState): EqualityId[] =>
  paymentEqualities(state)
    .filter((equality) => !equality.holds)
    .map((equality) => equality.id);

describe('the equalities between the processor and Retrysafe', () => {
  it('hold for a charge and its refund recorded once on each side, with their events, and the balance their sum', () => {
    const equalities = paymentEqualities(consistent());
    expect(equalities.map(({ id, holds }) => ({ id, holds }))).toEqual([
      { id: 'succeeded-charges', holds: true },
      { id: 'declined-charges', holds: true },
      { id: 'refunds', holds: true },
      { id: 'balance', holds: true },
    ]);
    expect(equalities.map(equalityLine)).toEqual([
      'succeeded processor charges 1 = succeeded Retrysafe charges 1 = charge.succeeded events 1',
      'declined processor charges 0 = failed Retrysafe charges 0 = charge.failed events 0',
      'processor refunds 1 = Retrysafe refunds 1 = charge.refunded events 1',
      'ledger 700 usd = GET /v1/balance 700 usd = succeeded charges less refunds 700 usd',
    ]);
  });

  it('break for a processor charge nobody recorded here, and for one recorded twice', () => {
    const state = consistent();
    const orphan = { id: 'pch_2', downstreamKey: 'retrysafe_b', amount: 500, currency: 'usd', status: 'succeeded' } as const;
    expect(broken({ ...state, processorCharges: [...state.processorCharges, orphan] })).toEqual(['succeeded-charges']);
    const twin = { ...charge, id: 'ch_2' };
    expect(
      broken({
        ...state,
        charges: [...state.charges, twin],
        events: [...state.events, { type: 'charge.succeeded', objectId: 'ch_2' }],
        ledgerBalance: new Map([['usd', 1700]]),
        balance: new Map([['usd', 1700]]),
      }),
    ).toEqual(['succeeded-charges']);
  });

  it('break for two processor charges under one downstream key, and for an amount that differs', () => {
    const state = consistent();
    const second = { id: 'pch_2', downstreamKey: 'retrysafe_a', amount: 1000, currency: 'usd', status: 'declined' } as const;
    expect(broken({ ...state, processorCharges: [...state.processorCharges, second] })).toEqual(['succeeded-charges', 'declined-charges']);
    expect(broken({ ...state, charges: [{ ...charge, amount: 999 }] })).toEqual(['succeeded-charges', 'balance']);
  });

  it('break for an outcome that differs: declined at the processor, succeeded here', () => {
    const state = consistent();
    expect(broken({ ...state, processorCharges: [{ ...processorCharge, status: 'declined' }] })).toEqual([
      'succeeded-charges',
      'declined-charges',
    ]);
  });

  it('break for a missing or doubled event', () => {
    const state = consistent();
    expect(broken({ ...state, events: state.events.slice(1) })).toEqual(['succeeded-charges']);
    expect(broken({ ...state, events: [...state.events, { type: 'charge.refunded', objectId: 're_1' }] })).toEqual(['refunds']);
  });

  it('break for a processor refund not recorded here, and for a refund here of another charge than the processor refunded', () => {
    const state = consistent();
    expect(broken({ ...state, refunds: [], events: state.events.slice(0, 1) })).toEqual(['succeeded-charges', 'refunds', 'balance']);
    const other = { id: 'pch_9', downstreamKey: 'retrysafe_z', amount: 1000, currency: 'usd', status: 'succeeded' } as const;
    expect(
      broken({
        ...state,
        processorCharges: [...state.processorCharges, other],
        processorRefunds: [{ ...processorRefund, processorChargeId: 'pch_9' }],
      }),
    ).toEqual(['succeeded-charges', 'refunds']);
  });

  it('break when the ledger, the balance endpoint and the sum of charges less refunds disagree', () => {
    const state = consistent();
    expect(broken({ ...state, balance: new Map([['usd', 1000]]) })).toEqual(['balance']);
    expect(broken({ ...state, ledgerBalance: new Map([['usd', 1000]]), balance: new Map([['usd', 1000]]) })).toEqual(['balance']);
    expect(broken({ ...state, balanceBefore: new Map([['usd', 50]]) })).toEqual(['balance']);
    expect(
      broken({
        ...state,
        ledgerBalance: new Map([
          ['usd', 700],
          ['eur', 0],
        ]),
      }),
    ).toEqual([]);
  });
});
