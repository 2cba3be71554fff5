import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/shared/dynamodb.js';
import type { TableName } from '../lambdas/topology.js';
import { localTableName } from '../local/provision.js';
import type { LocalSettings } from '../local/settings.js';

/** Where an operator command's AWS calls go: the running local stack, or a region (and perhaps endpoints) of AWS. */
export type AwsPlace =
  | { readonly kind: 'local-stack'; readonly settings: LocalSettings }
  | {
      readonly kind: 'remote';
      /** --region, or AWS_REGION; credentials come from the default provider chain. */
      readonly region: string | undefined;
      readonly dynamodbEndpoint: string | undefined;
      readonly sqsEndpoint?: string | undefined;
    };

/** The local emulators accept any credentials; these keep the SDK from looking for real ones. */
const localConfig = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

const remoteConfig = (region: string | undefined, endpoint: string | undefined): DynamoDBClientConfig => ({
  ...(region === undefined ? {} : { region }),
  ...(endpoint === undefined ? {} : { endpoint }),
});

export interface DynamoConnection {
  readonly client: DynamoDBDocumentClient;
  readonly close: () => void;
}

export const openDynamo = (place: AwsPlace): DynamoConnection => {
  const dynamodb =
    place.kind === 'local-stack'
      ? new DynamoDBClient({ ...localConfig, endpoint: `http://127.0.0.1:${place.settings.dynamodbPort}` })
      : new DynamoDBClient(remoteConfig(place.region, place.dynamodbEndpoint));
  return {
    client: createDocumentClient(dynamodb),
    close: () => {
      dynamodb.destroy();
    },
  };
};

export const openSqs = (place: AwsPlace): SQSClient =>
  place.kind === 'local-stack'
    ? new SQSClient({ ...localConfig, endpoint: `http://127.0.0.1:${place.settings.sqsPort}` })
    : new SQSClient(remoteConfig(place.region, place.sqsEndpoint));

/** `npm start`'s physical table names. */
export const localTableNames = <T extends TableName>(tables: readonly T[]): Record<T, string> =>
  Object.fromEntries(tables.map((table) => [table, localTableName(table)])) as Record<T, string>;
