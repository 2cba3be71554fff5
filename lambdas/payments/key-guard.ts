import { createHash } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActiveIdempotency, IdempotencyKey } from '../idempotency/index.js';
import type { TransactItem } from '../shared/dynamodb.js';
import type { AccountId } from '../shared/ids.js';
import { keyGuardSortKey, type GuardedResource, type KeyGuardItem } from './records.js';
import { accountPartition } from '../shared/account-partition.js';

/**
 * The processor's idempotency key for a Retrysafe request: the same (tenant, Idempotency-Key)
 * always maps to the same downstream key, on a retry, on a lease takeover after a crash, or
 * a month later, so the processor itself refuses to charge twice. Hashing keeps tenants' keys
 * apart and keeps client-chosen text out of the processor's logs.
 */
export const downstreamKey = (tenant: AccountId, key: IdempotencyKey): string =>
  `retrysafe_${createHash('sha256').update(`${tenant}\n${key}`, 'utf8').digest('hex')}`;

/** The permanent guard written in the same transaction as the resource a key created. */
export const keyGuardPut = (
  table: string,
  tenant: AccountId,
  idempotency: ActiveIdempotency,
  resource: GuardedResource,
  nowMs: number,
): TransactItem => {
  const item: KeyGuardItem = {
    pk: accountPartition(tenant),
    sk: keyGuardSortKey(idempotency.key),
    resource,
    fingerprint: idempotency.fingerprint,
    createdAt: nowMs,
  };
  return { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
};

/**
 * Looks the key up after its 24-hour idempotency record has expired. Only a first execution
 * pays this read; an eventually consistent one suffices, because a guard is written together
 * with the idempotency record, and while that record lives the claim itself catches the retry.
 */
export const findKeyGuard = async (
  client: DynamoDBDocumentClient,
  table: string,
  tenant: AccountId,
  idempotency: ActiveIdempotency,
): Promise<KeyGuardItem | undefined> => {
  const result = await client.send(
    new GetCommand({ TableName: table, Key: { pk: accountPartition(tenant), sk: keyGuardSortKey(idempotency.key) } }),
  );
  return result.Item as KeyGuardItem | undefined;
};
