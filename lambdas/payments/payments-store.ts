import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { encodeResponse, storedForm } from '@retrysafe/idempotency';
import { eventItem, eventKey, type EventItem, type EventType, type RetrysafeEvent } from '../events/outbox.js';
import type { HttpResponse } from '../http/types.js';
import { accountPartition } from '../shared/account-partition.js';
import { dynamo, queryAll, type TransactItem } from '../shared/dynamodb.js';
import { retrysafeStoredHeaders } from '../shared/idempotency-engine.js';
import type { AccountId, ChargeId, EventId, RefundId } from '../shared/ids.js';
import { anyBalanceShard, totalBalance, type Balance } from './balance.js';
import type { DownstreamKey } from './key-guard.js';
import { ledgerPuts, type LedgerEntry } from './ledger.js';
import type { Currency } from './money.js';
import {
  balanceShardSortKey,
  chargeFromItem,
  chargeSortKey,
  keyGuardSortKey,
  refundFromItem,
  refundSortKey,
  sortKeyPrefixes,
  type BalanceItem,
  type Charge,
  type ChargeItem,
  type GuardedResource,
  type KeyGuardItem,
  type Refund,
  type RefundItem,
} from './records.js';
import { paymentsTablesFromEnvironment, type PaymentsTables } from './tables.js';
import { originHere, type Originated } from '../regions/origin.js';

export interface ChargePage {
  readonly charges: readonly Charge[];
  readonly hasMore: boolean;
}

export interface EventPage {
  readonly events: readonly RetrysafeEvent[];
  readonly hasMore: boolean;
}

/** Every item is created once: ids are unique, and a write repeated by a retry must fail rather than overwrite. */
const createOnce = (table: string, item: object): TransactItem => ({
  Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

/**
 * The payments domain's tables: the payments table (charges, refunds, balance shards and key
 * guards, one partition per account; see records.ts), the append-only ledger, and the events
 * outbox. Reads are requests. Writes are never sent from here: each is a TransactItem that a
 * flow hands back with its response (withAtomicCommit), so everything one charge or refund
 * changes commits in one TransactWriteItems, together with the key's idempotency record.
 */
export class PaymentsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: PaymentsTables,
  ) {}

  /** Consistent, so a charge answered a moment ago, or refunded a moment ago, reads as committed. */
  async readCharge(tenant: AccountId, id: ChargeId): Promise<Charge | undefined> {
    const item = (await this.getItem(tenant, chargeSortKey(id))) as ChargeItem | undefined;
    return item === undefined ? undefined : chargeFromItem(item);
  }

  /** The region that made a charge, when the charge exists and names one. */
  async chargeOrigin(tenant: AccountId, id: ChargeId): Promise<Originated | undefined> {
    return await this.getItem(tenant, chargeSortKey(id));
  }

  async readRefund(tenant: AccountId, id: RefundId): Promise<Refund | undefined> {
    const item = (await this.getItem(tenant, refundSortKey(id))) as RefundItem | undefined;
    return item === undefined ? undefined : refundFromItem(item);
  }

  /**
   * Looks the key up after its 24-hour idempotency record has expired. Only a first execution
   * pays this read. Consistent: the completer or the reconciler may have created the guard a
   * moment ago, and a stale miss would ask the processor again for nothing.
   */
  async findKeyGuard(tenant: AccountId, key: DownstreamKey): Promise<KeyGuardItem | undefined> {
    return (await this.getItem(tenant, keyGuardSortKey(key))) as KeyGuardItem | undefined;
  }

  /** Newest first, because charge ids are ULIDs; one item beyond the page says whether there is more. */
  async listCharges(tenant: AccountId, page: { readonly limit: number; readonly after?: ChargeId }): Promise<ChargePage> {
    const partition = accountPartition(tenant);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tables.payments,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': sortKeyPrefixes.charge },
        ScanIndexForward: false,
        Limit: page.limit + 1,
        ...(page.after === undefined ? {} : { ExclusiveStartKey: { pk: partition, sk: chargeSortKey(page.after) } }),
      }),
    );
    const items = (result.Items ?? []) as ChargeItem[];
    return { charges: items.slice(0, page.limit).map(chargeFromItem), hasMore: items.length > page.limit };
  }

  /** Every shard of every currency, in one consistent Query. */
  async readBalance(tenant: AccountId): Promise<Balance> {
    const shards = await queryAll<BalanceItem>(this.client, {
      TableName: this.tables.payments,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPartition(tenant), ':prefix': sortKeyPrefixes.balance },
      ConsistentRead: true,
    });
    return totalBalance(shards);
  }

  /**
   * The tenant's events, newest first. A type filter is applied by DynamoDB after the key
   * condition, so pages are read until the limit is met or the partition ends.
   */
  async listEvents(
    tenant: AccountId,
    page: { readonly limit: number; readonly type?: EventType; readonly after?: EventId },
  ): Promise<EventPage> {
    const { limit, type, after } = page;
    const events: RetrysafeEvent[] = [];
    let startKey: Record<string, unknown> | undefined = after === undefined ? undefined : { ...eventKey(tenant, after) };
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tables.events,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': accountPartition(tenant), ...(type === undefined ? {} : { ':type': type }) },
          ...(type === undefined
            ? {}
            : { FilterExpression: '#event.#type = :type', ExpressionAttributeNames: { '#event': 'event', '#type': 'type' } }),
          ScanIndexForward: false,
          Limit: limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...((result.Items ?? []) as EventItem[]).map((item) => item.event));
      startKey = result.LastEvaluatedKey;
    } while (events.length <= limit && startKey !== undefined);
    return { events: events.slice(0, limit), hasMore: events.length > limit };
  }

  /** A new charge. Only a succeeded charge can be refunded, up to what it has not refunded yet. */
  chargePut(tenant: AccountId, charge: Charge): TransactItem {
    const item: ChargeItem = {
      ...charge,
      pk: accountPartition(tenant),
      sk: chargeSortKey(charge.id),
      amount_refundable: charge.status === 'succeeded' ? charge.amount - charge.amount_refunded : 0,
      // Its refunds are made where it was made: that region alone updates the item (refund-region.ts).
      ...originHere(),
    };
    return createOnce(this.tables.payments, item);
  }

  /**
   * Takes a refund the processor made off its charge. No condition on the amount: the processor,
   * which holds the money, has already bounded it; the charge must exist, or the refund has nothing to belong to.
   */
  refundApplied(tenant: AccountId, chargeId: ChargeId, amount: number): TransactItem {
    return {
      Update: {
        TableName: this.tables.payments,
        Key: { pk: accountPartition(tenant), sk: chargeSortKey(chargeId) },
        UpdateExpression: 'SET amount_refundable = amount_refundable - :amount, amount_refunded = amount_refunded + :amount',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':amount': amount },
      },
    };
  }

  refundPut(tenant: AccountId, refund: Refund): TransactItem {
    const item: RefundItem = { ...refund, pk: accountPartition(tenant), sk: refundSortKey(refund.id) };
    return createOnce(this.tables.payments, item);
  }

  /** The ledger is append-only: its entries are only ever created (see ledger.ts). */
  ledgerAppends(entries: readonly LedgerEntry[]): TransactItem[] {
    return ledgerPuts(this.tables.ledger, entries);
  }

  /** Adds a (possibly negative) amount to one shard of the balance; ADD creates the shard at 0. */
  balanceUpdate(tenant: AccountId, currency: Currency, amount: number): TransactItem {
    return {
      Update: {
        TableName: this.tables.payments,
        Key: { pk: accountPartition(tenant), sk: balanceShardSortKey(currency, anyBalanceShard()) },
        UpdateExpression: 'ADD available :amount SET currency = :currency',
        ExpressionAttributeValues: { ':amount': amount, ':currency': currency },
      },
    };
  }

  /** The outbox write (see outbox.ts), in the same transaction as the change the event describes. */
  eventPut(tenant: AccountId, event: RetrysafeEvent): TransactItem {
    return createOnce(this.tables.events, eventItem(tenant, event));
  }

  /**
   * The permanent guard, in the same transaction as the resource the key created, keeping the
   * answer the request got (compressed when large) for retries that come after the record expired.
   */
  keyGuardPut(guard: {
    readonly tenant: AccountId;
    readonly key: DownstreamKey;
    readonly fingerprint: string;
    readonly resource: GuardedResource;
    readonly answer: HttpResponse;
    readonly nowMs: number;
  }): TransactItem {
    const item: KeyGuardItem = {
      pk: accountPartition(guard.tenant),
      sk: keyGuardSortKey(guard.key),
      resource: guard.resource,
      fingerprint: guard.fingerprint,
      createdAt: guard.nowMs,
      ...encodeResponse(storedForm(guard.answer, retrysafeStoredHeaders)),
    };
    return createOnce(this.tables.payments, item);
  }

  private async getItem(tenant: AccountId, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tables.payments, Key: { pk: accountPartition(tenant), sk }, ConsistentRead: true }),
    );
    return result.Item;
  }
}

/** The store as deployed: the process's DynamoDB client, table names from the environment. */
export const paymentsStoreFromEnvironment = (): PaymentsStore => new PaymentsStore(dynamo(), paymentsTablesFromEnvironment());
