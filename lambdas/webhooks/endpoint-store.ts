import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountId, WebhookEndpointId } from '../shared/ids.js';
import { type EndpointItem, endpointSortKey, endpointSortKeyPrefix, type SigningSecret } from './endpoint-record.js';
import { queryAll, type TransactItem } from '../shared/dynamodb.js';
import { accountPartition } from '../shared/account-partition.js';

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/** Webhook endpoints; every read and write is addressed through the owning account. */
export class EndpointStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly table: () => string,
  ) {}

  /** The creation write, handed to withAtomicCommit so it commits with the idempotency record. */
  createWrite(endpoint: EndpointItem): TransactItem {
    return { Put: { TableName: this.table(), Item: endpoint, ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  /** The rotation write: lost if another rotation committed since `endpoint` was read. */
  rotateWrite(endpoint: EndpointItem, secrets: readonly SigningSecret[]): TransactItem {
    return {
      Update: {
        TableName: this.table(),
        Key: { pk: endpoint.pk, sk: endpoint.sk },
        ConditionExpression: '#version = :read',
        UpdateExpression: 'SET secrets = :secrets, #version = :next',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':read': endpoint.version, ':next': endpoint.version + 1, ':secrets': secrets },
      },
    };
  }

  async get(account: AccountId, id: WebhookEndpointId): Promise<EndpointItem | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.table(), Key: { pk: accountPartition(account), sk: endpointSortKey(id) }, ConsistentRead: true }),
    );
    return result.Item as EndpointItem | undefined;
  }

  /** All of an account's endpoints, oldest first; consistent, so an endpoint created a moment ago is included. */
  async list(account: AccountId): Promise<EndpointItem[]> {
    return queryAll<EndpointItem>(this.client, {
      TableName: this.table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPartition(account), ':prefix': endpointSortKeyPrefix },
      ConsistentRead: true,
    });
  }

  /**
   * One page of an account's endpoints, newest first (ids are ULIDs); consistent, like `list`.
   * One item beyond the page says whether there is more.
   */
  async page(
    account: AccountId,
    page: { readonly limit: number; readonly after?: WebhookEndpointId },
  ): Promise<{ endpoints: EndpointItem[]; hasMore: boolean }> {
    const partition = accountPartition(account);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': endpointSortKeyPrefix },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: page.limit + 1,
        ...(page.after === undefined ? {} : { ExclusiveStartKey: { pk: partition, sk: endpointSortKey(page.after) } }),
      }),
    );
    const items = (result.Items ?? []) as EndpointItem[];
    return { endpoints: items.slice(0, page.limit), hasMore: items.length > page.limit };
  }

  /** The deleted endpoint, or undefined when the account has no such endpoint. */
  async delete(account: AccountId, id: WebhookEndpointId): Promise<EndpointItem | undefined> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.table(),
          Key: { pk: accountPartition(account), sk: endpointSortKey(id) },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes as EndpointItem | undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Disables after a 410; a deleted endpoint stays deleted (the update must not recreate it). */
  async disableAsGone(account: AccountId, id: WebhookEndpointId, nowMs: number): Promise<void> {
    await this.updateExisting(account, id, 'SET #status = :disabled, disabledReason = :gone, disabledAt = :now', {
      ':disabled': 'disabled',
      ':gone': 'gone',
      ':now': nowMs,
    });
  }

  /** Re-enables an endpoint; false when it no longer exists. */
  enable(account: AccountId, id: WebhookEndpointId): Promise<boolean> {
    return this.updateExisting(account, id, 'SET #status = :enabled REMOVE disabledReason, disabledAt', { ':enabled': 'enabled' });
  }

  /** An update of the endpoint's status that never recreates a deleted endpoint; false when there is none. */
  private async updateExisting(
    account: AccountId,
    id: WebhookEndpointId,
    update: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table(),
          Key: { pk: accountPartition(account), sk: endpointSortKey(id) },
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: update,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
