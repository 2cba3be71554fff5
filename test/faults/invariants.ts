import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { EventItem, EventType } from '../../lambdas/events/outbox.js';
import type { IdempotencyRecord } from '../../lambdas/idempotency/state-machine.js';
import type {
  ProcessorChargeSnapshot,
  ProcessorListCursor,
  ProcessorPage,
  ProcessorRefundSnapshot,
  ProcessorUnavailable,
} from '../../lambdas/payments/processor-client/card-processor.js';
import { sortKeyPrefixes, type ChargeItem, type KeyGuardItem, type RefundItem } from '../../lambdas/payments/records.js';
import { accountPartition } from '../../lambdas/shared/account-partition.js';
import { dynamo, queryAll } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { json, ledgerBalance, ledgerEntries, sandbox, unbalancedTransactions, type Api } from '../payments/harness.js';
import type { TestTenant } from '../support/tenants.js';

/** What the tenant holds once the invariants hold, so a test can also say how much it expects. */
export interface PaymentCounts {
  /** Charges, here and at the processor alike. */
  readonly charges: number;
  readonly succeeded: number;
  /** Refunds, here and at the processor alike. */
  readonly refunds: number;
}

type Page<T> = ProcessorPage<T> | ProcessorUnavailable;

/** Every object of a processor listing since `since`, page by page. */
const listAll = async <T>(list: (cursor: ProcessorListCursor | undefined) => Promise<Page<T>>): Promise<T[]> => {
  const objects: T[] = [];
  let cursor: ProcessorListCursor | undefined;
  do {
    const page = await list(cursor);
    if (page.kind !== 'page') throw new Error(`The processor's listing is unavailable: ${page.detail}`);
    objects.push(...page.objects);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return objects;
};

/** The tenant's partition of a table, or the part of it under a sort-key prefix. */
const tenantItems = <T>(table: 'payments' | 'events', account: TestTenant['account'], prefix?: string): Promise<T[]> =>
  queryAll<T>(dynamo(), {
    TableName: tableName(table),
    KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': accountPartition(account), ...(prefix === undefined ? {} : { ':prefix': prefix }) },
    ConsistentRead: true,
  });

const sorted = (values: Iterable<string>): string[] => [...values].sort();

/** Amounts per currency, a currency at zero left out, so "nothing" and "0 usd" compare equal. */
const amounts = (pairs: Iterable<readonly [string, number]>): Record<string, number> => {
  const sums = new Map<string, number>();
  for (const [currency, amount] of pairs) sums.set(currency, (sums.get(currency) ?? 0) + amount);
  return Object.fromEntries([...sums].filter(([, amount]) => amount !== 0));
};

const idsOfEvents = (events: readonly EventItem[], type: EventType): string[] =>
  sorted(events.filter((item) => item.event.type === type).map((item) => String(item.event.data.object.id)));

/** The tenant's IN_PROGRESS idempotency records, every page of the scan (its filter applies after each page's 1 MB). */
const inProgressRecords = async (tenant: TestTenant): Promise<IdempotencyRecord[]> => {
  const records: IdempotencyRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new ScanCommand({
        TableName: tableName('idempotency'),
        FilterExpression: 'begins_with(pk, :prefix) AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':prefix': `${tenant.account}#`, ':inProgress': 'IN_PROGRESS' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    records.push(...((page.Items ?? []) as IdempotencyRecord[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return records;
};

/**
 * What must hold for one tenant once nothing is left to recover (a test that leaves recovery
 * points runs the completer first): every processor charge has exactly one charge here and
 * every charge here its processor charge, at most one per downstream key, the two agreeing on
 * amount, currency and outcome; one charge.succeeded event per succeeded charge and one
 * charge.failed per failed one; the same one for one between processor refunds, refunds here and
 * charge.refunded events; a key guard per charge and refund; a balanced ledger whose balance is
 * the balance endpoint's and the sum of succeeded charges less refunds; no key IN_PROGRESS.
 */
export const assertPaymentInvariants = async (options: {
  api: Api;
  tenant: TestTenant;
  processorUrl: string;
  /** Epoch ms: the processor is listed from here; earlier than anything the test made. */
  since: number;
}): Promise<PaymentCounts> => {
  const { tenant } = options;
  const processor = sandbox(options.processorUrl);
  const ours = (object: { readonly metadata: Readonly<Record<string, string>> }) => object.metadata.retrysafe_account === tenant.account;
  const [processorCharges, processorRefunds, charges, refunds, guards, events] = await Promise.all([
    listAll<ProcessorChargeSnapshot>((cursor) =>
      processor.listCharges({ since: options.since, limit: 100, ...(cursor ? { cursor } : {}) }),
    ),
    listAll<ProcessorRefundSnapshot>((cursor) =>
      processor.listRefunds({ since: options.since, limit: 100, ...(cursor ? { cursor } : {}) }),
    ),
    tenantItems<ChargeItem>('payments', tenant.account, sortKeyPrefixes.charge),
    tenantItems<RefundItem>('payments', tenant.account, sortKeyPrefixes.refund),
    tenantItems<KeyGuardItem>('payments', tenant.account, sortKeyPrefixes.keyGuard),
    tenantItems<EventItem>('events', tenant.account),
  ]);
  const atProcessor = processorCharges.filter(ours);
  const refundedAtProcessor = processorRefunds.filter(ours);

  expect(sorted(charges.map((charge) => charge.processor_charge_id)), 'charges here, by processor charge').toEqual(
    sorted(atProcessor.map((charge) => charge.id)),
  );
  expect(new Set(atProcessor.map((charge) => charge.idempotencyKey)).size, 'processor charges per downstream key').toBe(atProcessor.length);
  const processorChargeById = new Map(atProcessor.map((charge) => [charge.id as string, charge]));
  for (const charge of charges) {
    const counterpart = processorChargeById.get(charge.processor_charge_id);
    expect({ amount: charge.amount, currency: charge.currency, status: charge.status }, `charge ${charge.id}`).toEqual({
      amount: counterpart?.amount,
      currency: counterpart?.currency,
      status: counterpart?.status === 'succeeded' ? 'succeeded' : 'failed',
    });
  }
  const succeeded = charges.filter((charge) => charge.status === 'succeeded');
  expect(idsOfEvents(events, 'charge.succeeded'), 'charge.succeeded events').toEqual(sorted(succeeded.map((charge) => charge.id)));
  expect(idsOfEvents(events, 'charge.failed'), 'charge.failed events').toEqual(
    sorted(charges.filter((charge) => charge.status === 'failed').map((charge) => charge.id)),
  );

  expect(sorted(refunds.map((refund) => refund.processor_refund_id)), 'refunds here, by processor refund').toEqual(
    sorted(refundedAtProcessor.map((refund) => refund.id)),
  );
  expect(new Set(refundedAtProcessor.map((refund) => refund.idempotencyKey)).size, 'processor refunds per downstream key').toBe(
    refundedAtProcessor.length,
  );
  expect(idsOfEvents(events, 'charge.refunded'), 'charge.refunded events').toEqual(sorted(refunds.map((refund) => refund.id)));

  expect(sorted(guards.map((guard) => guard.resource.id)), 'key guards').toEqual(sorted([...charges, ...refunds].map(({ id }) => id)));

  const entries = await ledgerEntries(tenant.account);
  expect(unbalancedTransactions(entries)).toEqual([]);
  const ledger = await ledgerBalance(tenant.account);
  expect(amounts(Object.entries(ledger)), 'the ledger’s balance').toEqual(
    amounts([
      ...succeeded.map((charge) => [charge.currency, charge.amount] as const),
      ...refunds.map((refund) => [refund.currency, -refund.amount] as const),
    ]),
  );
  const balance = json<{ available: { currency: string; amount: number }[] }>(await options.api.get('/v1/balance', tenant));
  expect(amounts(balance.available.map(({ currency, amount }) => [currency, amount] as const)), 'GET /v1/balance').toEqual(
    amounts(Object.entries(ledger)),
  );

  expect(await inProgressRecords(tenant), 'keys still IN_PROGRESS: recovery points nobody finished').toEqual([]);

  return { charges: charges.length, succeeded: succeeded.length, refunds: refunds.length };
};
