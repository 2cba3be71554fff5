import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbKeyOwnership, type KeyOwnership } from '@retrysafe/idempotency';
import { dynamo } from '../shared/dynamodb.js';
import { tableEnvVar } from '../topology.js';

/**
 * Where a multi-region deployment keeps each payment key's owner region: the keyOwners table,
 * the one MRSC global table (see lambdas/topology.ts). The stack names it in a function's
 * environment only when it deploys to several regions, so a single-region stack never pays the
 * extra write.
 */
const keyOwnersVariable = tableEnvVar('keyOwners');

let ownersClient: DynamoDBDocumentClient | undefined;

/**
 * Points the owners table at another DynamoDB than the process's own. Deployed, the MRSC replica
 * is in the function's own region and this is never called; the two-region simulation calls it
 * so that both simulated regions share one store, as MRSC makes them.
 */
export const setKeyOwnersClient = (client: DynamoDBDocumentClient): void => {
  ownersClient = client;
};

/** Whether this function runs in a deployment to several regions. */
export const multiRegion = (): boolean => (process.env[keyOwnersVariable] ?? '') !== '';

/** This region's key ownership, or undefined in a single-region deployment. */
export const keyOwnershipFromEnvironment = (): KeyOwnership | undefined => {
  const table = process.env[keyOwnersVariable];
  const region = process.env.AWS_REGION;
  if (table === undefined || table === '') return undefined;
  if (region === undefined || region === '') throw new Error(`${keyOwnersVariable} is set but AWS_REGION is not: key owners name regions`);
  return new DynamoDbKeyOwnership({ client: ownersClient ?? dynamo(), tableName: table, region });
};
