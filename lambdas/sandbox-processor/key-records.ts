import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  classify,
  type IdempotencyKey,
  type IdempotencyRecord,
  recordId,
  retryAfterSeconds,
  type StoredResponse,
} from '@retrysafe/idempotency';
import { sandboxRecordSortKey } from './processor-table.js';

/** What a key's idempotency record says, for a caller asking what happened under the key. */
export type KeyState =
  /** No request holds the key or has finished under it (a released key, e.g. after a 503, is free). */
  | { readonly kind: 'free' }
  /** A request under the key is still executing: what it comes to is not known yet. */
  | { readonly kind: 'in-progress'; readonly retryAfterSeconds: number }
  | { readonly kind: 'answered'; readonly response: StoredResponse };

export interface KeyRecords {
  state(scope: string | undefined, key: IdempotencyKey): Promise<KeyState>;
}

/**
 * Reads the engine's record with the engine's own rules (state-machine.ts): an expired record
 * is free, and so is a claim whose lease ran out, since the lease outlives the executor's
 * Lambda, which can therefore no longer commit. The engine offers no read of a record by key,
 * so this reads its item directly.
 */
export const dynamoKeyRecords = (client: DynamoDBDocumentClient, table: () => string, now: () => number): KeyRecords => ({
  state: async (scope, key) => {
    const { Item } = await client.send(
      new GetCommand({
        TableName: table(),
        Key: { pk: recordId(scope, key), [sandboxRecordSortKey.attribute]: sandboxRecordSortKey.value },
        ConsistentRead: true,
      }),
    );
    const record = Item as IdempotencyRecord | undefined;
    // Classified against its own fingerprint: a lookup asks about the key, not about a request.
    const verdict = classify(record, record?.fingerprint ?? '', now());
    if (verdict.kind === 'completed') return { kind: 'answered', response: verdict.response };
    if (verdict.kind === 'in-progress') return { kind: 'in-progress', retryAfterSeconds: retryAfterSeconds(verdict) };
    return { kind: 'free' };
  },
});
