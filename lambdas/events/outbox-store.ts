import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TableKey } from '../shared/sweep-index.js';
import { unpublishedEventsIndex } from '../topology.js';

/** The outbox as its publishers see it: the published marker. */
export class OutboxStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: () => string,
  ) {}

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
