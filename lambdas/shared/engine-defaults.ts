import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyEngineOptions } from '@retrysafe/idempotency';
import { retrysafeIdempotencyAnswers } from '../http/idempotency-problems.js';
import { dynamo } from './dynamodb.js';
import { createLogger } from './logger.js';

/**
 * What every engine of Retrysafe's shares, whatever its table: the process's DynamoDB client,
 * Retrysafe's logger, and Retrysafe's problem answers (problem-types.ts) in place of the engine's
 * generic ones.
 */
export const retrysafeEngineDefaults = (
  client: DynamoDBDocumentClient = dynamo(),
): Pick<IdempotencyEngineOptions, 'client' | 'logger' | 'problems'> => ({
  client,
  logger: createLogger('idempotency'),
  problems: retrysafeIdempotencyAnswers,
});
