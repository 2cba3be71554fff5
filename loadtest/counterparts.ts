import type { EventType } from '../lambdas/events/outbox.js';

/**
 * The equalities that must hold between the processor and Retrysafe for one tenant once nothing
 * is left to recover: every processor charge and refund has exactly one Retrysafe counterpart
 * and one event, and the money adds up. Pure, over both sides reduced to what is compared, so
 * the load test (reading through the API and the processor's listing) and the fault tests
 * (reading the tables) check the very same rules.
 */

export interface ProcessorChargeView {
  readonly id: string;
  /** The idempotency key the charge was made under: Retrysafe's downstream key. */
  readonly downstreamKey: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: 'succeeded' | 'declined';
}

export interface ProcessorRefundView {
  readonly id: string;
  readonly downstreamKey: string;
  /** The processor charge it returns money from. */
  readonly processorChargeId: string;
  readonly amount: number;
  readonly currency: string;
}

export interface ChargeView {
  readonly id: string;
  readonly processorChargeId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: 'succeeded' | 'failed';
  readonly amountRefunded: number;
}

export interface RefundView {
  readonly id: string;
  readonly processorRefundId: string;
  /** The Retrysafe charge it refunds. */
  readonly charge: string;
  readonly amount: number;
  readonly currency: string;
}

/** A Retrysafe charge or refund as the API and the payments table both spell it. */
type ChargeFields = Pick<ChargeView, 'id' | 'amount' | 'currency' | 'status'> & {
  readonly processor_charge_id: string;
  readonly amount_refunded: number;
};
type RefundFields = Pick<RefundView, 'id' | 'charge' | 'amount' | 'currency'> & { readonly processor_refund_id: string };

export const chargeViewOf = (charge: ChargeFields): ChargeView => ({
  id: charge.id,
  processorChargeId: charge.processor_charge_id,
  amount: charge.amount,
  currency: charge.currency,
  status: charge.status,
  amountRefunded: charge.amount_refunded,
});

export const refundViewOf = (refund: RefundFields): RefundView => ({
  id: refund.id,
  processorRefundId: refund.processor_refund_id,
  charge: refund.charge,
  amount: refund.amount,
  currency: refund.currency,
});

export interface EventView {
  readonly type: EventType;
  /** The id of the charge or refund the event is about. */
  readonly objectId: string;
}

export type Amounts = ReadonlyMap<string, number>;

export interface PaymentState {
  readonly processorCharges: readonly ProcessorChargeView[];
  readonly processorRefunds: readonly ProcessorRefundView[];
  readonly charges: readonly ChargeView[];
  readonly refunds: readonly RefundView[];
  readonly events: readonly EventView[];
  /** What the ledger's merchant account holds. */
  readonly ledgerBalance: Amounts;
  /** What GET /v1/balance answers. */
  readonly balance: Amounts;
  /** The balance before the charges and refunds above (an existing tenant's history); empty for a fresh tenant. */
  readonly balanceBefore: Amounts;
}

export type EqualityId = 'succeeded-charges' | 'declined-charges' | 'refunds' | 'balance';

/** One side of an equality: how many objects it holds, or how much money per currency. */
export type EqualitySide = { readonly label: string } & (
  { readonly count: number } | { readonly amounts: Readonly<Record<string, number>> }
);

/** One equality across the sides, with each side's figure, and what breaks it. */
export interface Equality {
  readonly id: EqualityId;
  readonly sides: readonly EqualitySide[];
  readonly holds: boolean;
  readonly failures: readonly string[];
}

const formatCount = (n: number): string => n.toLocaleString('en-US');

/** Amounts per currency, a currency at zero left out, so "nothing" and "0 usd" compare equal. */
const sumByCurrency = (pairs: Iterable<readonly [string, number]>): Map<string, number> => {
  const sums = new Map<string, number>();
  for (const [currency, amount] of pairs) sums.set(currency, (sums.get(currency) ?? 0) + amount);
  return new Map([...sums].filter(([, amount]) => amount !== 0));
};

const sameAmounts = (a: Amounts, b: Amounts): boolean => {
  const [x, y] = [sumByCurrency(a), sumByCurrency(b)];
  return x.size === y.size && [...x].every(([currency, amount]) => y.get(currency) === amount);
};

export const formatAmounts = (amounts: Amounts): string => {
  const nonZero = sumByCurrency(amounts);
  return nonZero.size === 0
    ? 'nothing'
    : [...nonZero]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([currency, amount]) => `${amount} ${currency}`)
        .join(', ');
};

const tally = <T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
};

const grouped = <T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
};

interface Joinable {
  readonly id: string;
  readonly amount: number;
  readonly currency: string;
}

/**
 * Processor objects = Retrysafe objects = events, one for one: each processor object has exactly
 * one counterpart here (joined by the processor's id) agreeing on amount and currency, at most
 * one processor object per downstream key, each counterpart exactly one event, and nothing here
 * or among the events without its processor object.
 */
const oneForOne = <P extends Joinable & { readonly downstreamKey: string }, R extends Joinable>(input: {
  readonly id: EqualityId;
  readonly what: readonly [processor: string, here: string, events: string];
  readonly atProcessor: readonly P[];
  /** Every processor object of the kind, whatever its outcome: a downstream key is used once among them all. */
  readonly sameKind: readonly P[];
  readonly here: readonly R[];
  readonly processorIdOf: (object: R) => string;
  readonly events: readonly EventView[];
  readonly extraCheck?: (object: R, counterpart: P) => string | undefined;
}): Equality => {
  const failures: string[] = [];
  const hereByProcessorId = grouped(input.here, input.processorIdOf);
  const processorIds = new Set(input.atProcessor.map((object) => object.id));
  const eventsByObject = tally(input.events, (event) => event.objectId);
  const perKey = tally(input.sameKind, (object) => object.downstreamKey);
  for (const downstreamKey of new Set(input.atProcessor.map((object) => object.downstreamKey))) {
    const count = perKey.get(downstreamKey) ?? 0;
    if (count > 1) failures.push(`${count} processor objects under one downstream key ${downstreamKey}`);
  }
  for (const object of input.atProcessor) {
    const counterparts = hereByProcessorId.get(object.id) ?? [];
    const [counterpart] = counterparts;
    if (counterparts.length !== 1 || counterpart === undefined) {
      failures.push(`${input.what[0]} ${object.id} (${object.downstreamKey}) has ${counterparts.length} ${input.what[1]}`);
      continue;
    }
    if (counterpart.amount !== object.amount || counterpart.currency !== object.currency)
      failures.push(
        `${counterpart.id}: ${counterpart.amount} ${counterpart.currency}, its ${input.what[0]} ${object.id}: ${object.amount} ${object.currency}`,
      );
    const extra = input.extraCheck?.(counterpart, object);
    if (extra !== undefined) failures.push(extra);
  }
  const hereIds = new Set(input.here.map((object) => object.id));
  for (const object of input.here) {
    if (!processorIds.has(input.processorIdOf(object)))
      failures.push(`${object.id} names ${input.processorIdOf(object)}, which is not among the ${input.what[0]}`);
    const events = eventsByObject.get(object.id) ?? 0;
    if (events !== 1) failures.push(`${object.id} has ${events} ${input.what[2]}`);
  }
  for (const [objectId, count] of eventsByObject)
    if (!hereIds.has(objectId)) failures.push(`${count} ${input.what[2]} for ${objectId}, which is not among the ${input.what[1]}`);
  return {
    id: input.id,
    sides: [
      { label: input.what[0], count: input.atProcessor.length },
      { label: input.what[1], count: input.here.length },
      { label: input.what[2], count: input.events.length },
    ],
    holds: failures.length === 0,
    failures,
  };
};

const eventsOf = (state: PaymentState, type: EventType): EventView[] => state.events.filter((event) => event.type === type);

export const paymentEqualities = (state: PaymentState): Equality[] => {
  const charges = (status: ChargeView['status']) => state.charges.filter((charge) => charge.status === status);
  const succeeded = charges('succeeded');
  const refundsByCharge = grouped(state.refunds, (refund) => refund.charge);
  const processorChargeOf = new Map(state.charges.map((charge) => [charge.id, charge.processorChargeId]));
  const expected = sumByCurrency([
    ...state.balanceBefore,
    ...succeeded.map((charge) => [charge.currency, charge.amount] as const),
    ...state.refunds.map((refund) => [refund.currency, -refund.amount] as const),
  ]);
  const balanceFailures = [
    ...(sameAmounts(state.ledgerBalance, state.balance)
      ? []
      : [`the ledger holds ${formatAmounts(state.ledgerBalance)}, GET /v1/balance says ${formatAmounts(state.balance)}`]),
    ...(sameAmounts(state.balance, expected)
      ? []
      : [
          `the balance is ${formatAmounts(state.balance)}; succeeded charges less refunds (and what was there before) make ${formatAmounts(expected)}`,
        ]),
  ];
  return [
    oneForOne({
      id: 'succeeded-charges',
      what: ['succeeded processor charges', 'succeeded Retrysafe charges', 'charge.succeeded events'],
      atProcessor: state.processorCharges.filter((charge) => charge.status === 'succeeded'),
      sameKind: state.processorCharges,
      here: succeeded,
      processorIdOf: (charge) => charge.processorChargeId,
      events: eventsOf(state, 'charge.succeeded'),
      extraCheck: (charge) => {
        const refunded = (refundsByCharge.get(charge.id) ?? []).reduce((sum, refund) => sum + refund.amount, 0);
        return refunded === charge.amountRefunded
          ? undefined
          : `${charge.id}: amount_refunded ${charge.amountRefunded}, its refunds sum to ${refunded}`;
      },
    }),
    oneForOne({
      id: 'declined-charges',
      what: ['declined processor charges', 'failed Retrysafe charges', 'charge.failed events'],
      atProcessor: state.processorCharges.filter((charge) => charge.status === 'declined'),
      sameKind: state.processorCharges,
      here: charges('failed'),
      processorIdOf: (charge) => charge.processorChargeId,
      events: eventsOf(state, 'charge.failed'),
    }),
    oneForOne({
      id: 'refunds',
      what: ['processor refunds', 'Retrysafe refunds', 'charge.refunded events'],
      atProcessor: state.processorRefunds,
      sameKind: state.processorRefunds,
      here: state.refunds,
      processorIdOf: (refund) => refund.processorRefundId,
      events: eventsOf(state, 'charge.refunded'),
      extraCheck: (refund, atProcessor) =>
        processorChargeOf.get(refund.charge) === atProcessor.processorChargeId
          ? undefined
          : `${refund.id} refunds ${refund.charge}, its processor refund ${atProcessor.id} refunds ${atProcessor.processorChargeId}`,
    }),
    {
      id: 'balance',
      sides: [
        { label: 'ledger', amounts: Object.fromEntries(sumByCurrency(state.ledgerBalance)) },
        { label: 'GET /v1/balance', amounts: Object.fromEntries(sumByCurrency(state.balance)) },
        { label: 'succeeded charges less refunds', amounts: Object.fromEntries(expected) },
      ],
      holds: balanceFailures.length === 0,
      failures: balanceFailures,
    },
  ];
};

const formatSide = (side: EqualitySide): string =>
  'count' in side ? formatCount(side.count) : formatAmounts(new Map(Object.entries(side.amounts)));

/** An equality as one line: "a 12 = b 12 = c 12". */
export const equalityLine = (equality: Equality): string =>
  equality.sides.map((side) => `${side.label} ${formatSide(side)}`).join(equality.holds ? ' = ' : ' ≟ ');
