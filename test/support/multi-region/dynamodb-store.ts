import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../../../local/dynamodb-local.js';
import { freePort } from '../../../local/ports.js';
import { createDocumentClient } from '../../../lambdas/shared/dynamodb.js';

/** One DynamoDB Local standing in for one region's DynamoDB (or, in the strong model, for every region's). */
export interface DynamoDbStore {
  readonly endpoint: string;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/** Clients pointed at one endpoint, whatever AWS_ENDPOINT_URL_DYNAMODB the test process has. */
export const dynamoDbClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

export const startDynamoDbStore = async (): Promise<DynamoDbStore> => {
  const local = await startDynamoDbLocal(await freePort(), undefined);
  const dynamodb = dynamoDbClient(local.endpoint);
  return {
    endpoint: local.endpoint,
    dynamodb,
    documents: createDocumentClient(dynamodb),
    stop: async () => {
      dynamodb.destroy();
      await local.stop();
    },
  };
};
