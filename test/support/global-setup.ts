import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TestProject } from 'vitest/node';
import { applyEnvironment, localAwsEnvironment } from '../../local/aws-env.js';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { portOrFree } from '../../local/settings.js';
import { provision } from '../../local/provision.js';
import { startSqsLocal } from '../../local/sqs-local.js';

/**
 * One DynamoDB Local (the real jar) and one SQS emulator for the whole run, on ports the OS
 * picks so a running `npm start` is never disturbed. Every table and queue of the topology is
 * created once; the environment the workers inherit points the SDK at them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamodbPort = await portOrFree('TEST_DYNAMODB_PORT');
  const sqsPort = await portOrFree('TEST_SQS_PORT');
  applyEnvironment({
    ...localAwsEnvironment({ dynamodbPort, sqsPort }),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const dynamodbLocal = await startDynamoDbLocal(dynamodbPort, undefined);
  const sqsLocal = await startSqsLocal(sqsPort);
  const dynamodb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  const resources = await provision(dynamodb, sqs, 'test');
  dynamodb.destroy();
  sqs.destroy();
  applyEnvironment(resources.environment);
  project.provide('streamArns', resources.streamArns);
  project.provide('queues', resources.queueUrls);

  return async () => {
    await sqsLocal.stop();
    await dynamodbLocal.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    streamArns: Awaited<ReturnType<typeof provision>>['streamArns'];
    queues: Awaited<ReturnType<typeof provision>>['queueUrls'];
  }
}
