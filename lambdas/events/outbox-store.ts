import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { sweepIndexKeys, type TableKey } from '../shared/sweep-index.js';
import { unpublishedEventsIndex } from '../topology.js';
import type { EventItem } from './outbox.js';

/** The outbox as its publishers see it: the published marker, and the events still without it. */
export class OutboxStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: () => string,
  ) {}

  /** Keys of the shard's events unpublished since `upToSeconds` or earlier, oldest first, a page at a time. */
  unpublished(shard: number, upToSeconds: number): AsyncGenerator<readonly TableKey[]> {
    return sweepIndexKeys(this.client, this.table(), unpublishedEventsIndex, shard, upToSeconds);
  }

  /** Consistent: the index may still list an event published a moment ago. */
  async read(key: TableKey): Promise<EventItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table(), Key: key, ConsistentRead: true }));
    return result.Item as EventItem | undefined;
  }

  /** Removes the marker, which takes the event out of the unpublished index; an event TTL deleted meanwhile stays deleted. */
  async markPublished(key: TableKey): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'REMOVE #unpublishedSince',
          ExpressionAttributeNames: { '#unpublishedSince': unpublishedEventsIndex.sortKey.name },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
