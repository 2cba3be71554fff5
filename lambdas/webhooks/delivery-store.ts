import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventId, WebhookEndpointId } from '../shared/ids.js';
import { sweepIndexKeys, type TableKey } from '../shared/sweep-index.js';
import { pendingDeliveriesIndex } from '../topology.js';
import {
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryItem,
  type DeliveryStatus,
  deliveryPartition,
  deliverySortKey,
  deliverySortKeyPrefix,
  expiresAtFor,
  type FailedDelivery,
  type FailureReason,
  maxStoredAttempts,
  type PendingDelivery,
} from './delivery-record.js';

/** How an attempt ends the record's current state. */
export type Settlement =
  | { readonly status: 'pending'; readonly nextAttemptAt: number }
  | { readonly status: 'delivered' }
  | { readonly status: 'failed'; readonly reason: FailureReason };

export interface DeliveryPage {
  readonly deliveries: readonly DeliveryItem[];
  readonly hasMore: boolean;
}

const filteredPageSize = 200;

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** The record is as it was read: same status, same attempt count, and nobody holding a live lease. */
const unchangedSince =
  '#status = :observedStatus AND attemptCount = :observedCount AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now)';

/**
 * Every state change of a delivery is one conditional write against the state it was decided
 * from, so concurrent dispatchers, publisher retries and redrives can interleave freely: the
 * write that finds the record changed does nothing and reports it.
 */
export class DeliveryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: () => string,
  ) {}

  /** Creates the record unless it exists; a duplicate publish gets the existing record back. */
  async create(
    delivery: PendingDelivery,
  ): Promise<{ readonly created: true } | { readonly created: false; readonly existing: DeliveryItem }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table(),
          Item: delivery,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The document client does not unmarshall the item carried by the exception.
      const existing = (error as ConditionalCheckFailedException).Item;
      if (existing === undefined) throw new Error('A conditional put failed without returning the existing delivery', { cause: error });
      return { created: false, existing: unmarshall(existing) as DeliveryItem };
    }
  }

  get(endpointId: WebhookEndpointId, eventId: EventId): Promise<DeliveryItem | undefined> {
    return this.read({ pk: deliveryPartition(endpointId), sk: deliverySortKey(eventId) });
  }

  /** Consistent, so a state decided from it is current (the pending deliveries index may lag behind). */
  async read(key: TableKey): Promise<DeliveryItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table(), Key: key, ConsistentRead: true }));
    return result.Item as DeliveryItem | undefined;
  }

  /** Keys of the shard's pending deliveries due at `upToMs` or earlier, longest overdue first, a page at a time. */
  due(shard: number, upToMs: number): AsyncGenerator<readonly TableKey[]> {
    return sweepIndexKeys(this.client, this.table(), pendingDeliveriesIndex, shard, upToMs);
  }

  /**
   * Makes an overdue delivery due now, for the message about to be sent for it again, so that
   * it is not found overdue again before that message had its chance. False when the record
   * changed since it was read: someone else is moving it along.
   */
  async requeue(observed: PendingDelivery, nowMs: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: { pk: observed.pk, sk: observed.sk },
      ConditionExpression: `${unchangedSince} AND nextAttemptAt = :observedDue`,
      UpdateExpression: 'SET nextAttemptAt = :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':observedStatus': observed.status,
        ':observedCount': observed.attemptCount,
        ':observedDue': observed.nextAttemptAt,
        ':now': nowMs,
      },
    });
  }

  /**
   * Takes the in-flight lease for the next attempt. A failed record is revived into a new round
   * in the same write (see delivery-state.ts). Undefined when the record changed since it was read.
   */
  async claim(
    observed: PendingDelivery | FailedDelivery,
    leaseToken: string,
    leaseUntil: number,
    nowMs: number,
  ): Promise<ClaimedDelivery | undefined> {
    const revive = observed.status === 'failed';
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: observed.pk, sk: observed.sk },
          ConditionExpression: unchangedSince,
          UpdateExpression: revive
            ? 'SET #status = :pending, leaseToken = :token, leaseUntil = :until, roundStart = attemptCount, nextAttemptAt = :now, expiresAt = :expiresAt REMOVE failedAt, failureReason'
            : 'SET leaseToken = :token, leaseUntil = :until, expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':observedStatus': observed.status,
            ':observedCount': observed.attemptCount,
            ':now': nowMs,
            ':token': leaseToken,
            ':until': leaseUntil,
            ':expiresAt': expiresAtFor(nowMs),
            ...(revive ? { ':pending': 'pending' } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as ClaimedDelivery;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Records the attempt and its consequence; false when the lease was lost (expired and retaken). */
  async settle(claimed: ClaimedDelivery, attempt: AttemptRecord, settlement: Settlement, nowMs: number): Promise<boolean> {
    const attempts = [...claimed.attempts, attempt].slice(-maxStoredAttempts);
    const values: Record<string, unknown> = {
      ':token': claimed.leaseToken,
      ':attempts': attempts,
      ':count': claimed.attemptCount + 1,
      ':status': settlement.status,
      ':expiresAt': expiresAtFor(nowMs),
    };
    let set = 'attempts = :attempts, attemptCount = :count, #status = :status, expiresAt = :expiresAt';
    let remove = 'leaseToken, leaseUntil';
    switch (settlement.status) {
      case 'pending':
        set += ', nextAttemptAt = :next';
        values[':next'] = settlement.nextAttemptAt;
        break;
      case 'delivered':
        set += ', deliveredAt = :now';
        values[':now'] = nowMs;
        remove += ', nextAttemptAt';
        break;
      case 'failed':
        set += ', failedAt = :now, failureReason = :reason';
        values[':now'] = nowMs;
        values[':reason'] = settlement.reason;
        remove += ', nextAttemptAt';
        break;
    }
    return this.conditionalUpdate({
      Key: { pk: claimed.pk, sk: claimed.sk },
      ConditionExpression: 'leaseToken = :token',
      UpdateExpression: `SET ${set} REMOVE ${remove}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    });
  }

  /** Fails a due delivery without an attempt (its endpoint is disabled); false when it changed meanwhile. */
  async failWithoutAttempt(observed: PendingDelivery | FailedDelivery, reason: FailureReason, nowMs: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: { pk: observed.pk, sk: observed.sk },
      ConditionExpression: unchangedSince,
      UpdateExpression:
        'SET #status = :failed, failedAt = :now, failureReason = :reason, expiresAt = :expiresAt REMOVE leaseToken, leaseUntil, nextAttemptAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':observedStatus': observed.status,
        ':observedCount': observed.attemptCount,
        ':now': nowMs,
        ':failed': 'failed',
        ':reason': reason,
        ':expiresAt': expiresAtFor(nowMs),
      },
    });
  }

  /** Moves a failed delivery into a new round (redrive); false when it is no longer that failed record. */
  async revive(failed: FailedDelivery, nowMs: number): Promise<boolean> {
    return this.conditionalUpdate({
      Key: { pk: failed.pk, sk: failed.sk },
      ConditionExpression: '#status = :failed AND attemptCount = :observedCount',
      UpdateExpression:
        'SET #status = :pending, roundStart = attemptCount, nextAttemptAt = :now, expiresAt = :expiresAt REMOVE failedAt, failureReason',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':failed': 'failed',
        ':pending': 'pending',
        ':observedCount': failed.attemptCount,
        ':now': nowMs,
        ':expiresAt': expiresAtFor(nowMs),
      },
    });
  }

  /**
   * An endpoint's deliveries, newest first, optionally of one status, after the event id of a
   * previous page's last delivery. The status is a filter on the endpoint's partition, so pages
   * are read until enough match.
   */
  async list(
    endpointId: WebhookEndpointId,
    options: { readonly status?: DeliveryStatus; readonly limit: number; readonly afterEventId?: EventId },
  ): Promise<DeliveryPage> {
    const found: DeliveryItem[] = [];
    let startKey: Record<string, unknown> | undefined =
      options.afterEventId === undefined ? undefined : { pk: deliveryPartition(endpointId), sk: deliverySortKey(options.afterEventId) };
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table(),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...(options.status === undefined
            ? {}
            : { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }),
          ExpressionAttributeValues: {
            ':pk': deliveryPartition(endpointId),
            ':prefix': deliverySortKeyPrefix,
            ...(options.status === undefined ? {} : { ':status': options.status }),
          },
          ScanIndexForward: false,
          // Unfiltered, read exactly what is missing; filtered, Limit counts items before the
          // filter, so read in larger pages.
          Limit: options.status === undefined ? options.limit + 1 - found.length : filteredPageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as DeliveryItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && found.length <= options.limit);
    return { deliveries: found.slice(0, options.limit), hasMore: found.length > options.limit };
  }

  private async conditionalUpdate(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<boolean> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.table(), ...input }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
