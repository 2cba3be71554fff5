import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { IdempotencyRecord } from '@retrysafe/idempotency';
import type { EventItem } from '../../lambdas/events/outbox.js';
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
import { merchantBalances } from '../../lambdas/payments/ledger.js';
import { chargeViewOf, equalityLine, paymentEqualities, refundViewOf } from '../../loadtest/counterparts.js';
import { json, ledgerEntries, sandbox, unbalancedTransactions, type Api } from '../payments/harness.js';
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
 * points runs the completer first): the equalities the load test also audits
 * (loadtest/counterparts.ts: processor charges and refunds = Retrysafe's = their events, one for
 * one, and the balance their sum), read here from the tables; besides, a key guard per charge
 * and refund, a balanced ledger, and no key IN_PROGRESS.
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
  const entries = await ledgerEntries(tenant.account);
  const balance = json<{ available: { currency: string; amount: number }[] }>(await options.api.get('/v1/balance', tenant));

  const equalities = paymentEqualities({
    processorCharges: atProcessor.map((charge) => ({
      id: charge.id,
      downstreamKey: charge.idempotencyKey,
      amount: charge.amount,
      currency: charge.currency,
      status: charge.status,
    })),
    processorRefunds: refundedAtProcessor.map((refund) => ({
      id: refund.id,
      downstreamKey: refund.idempotencyKey,
      processorChargeId: refund.processorChargeId,
      amount: refund.amount,
      currency: refund.currency,
    })),
    charges: charges.map(chargeViewOf),
    refunds: refunds.map(refundViewOf),
    events: events.map((item) => ({ type: item.event.type, objectId: String(item.event.data.object.id) })),
    ledgerBalance: merchantBalances(entries),
    balance: new Map(balance.available.map(({ currency, amount }) => [currency, amount])),
    balanceBefore: new Map(),
  });
  expect(
    equalities.flatMap((equality) => equality.failures),
    equalities.map(equalityLine).join('; '),
  ).toEqual([]);

  expect(sorted(guards.map((guard) => guard.resource.id)), 'key guards').toEqual(sorted([...charges, ...refunds].map(({ id }) => id)));
  expect(unbalancedTransactions(entries)).toEqual([]);

  expect(await inProgressRecords(tenant), 'keys still IN_PROGRESS: recovery points nobody finished').toEqual([]);

  return { charges: charges.length, succeeded: charges.filter((charge) => charge.status === 'succeeded').length, refunds: refunds.length };
};
