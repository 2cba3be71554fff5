import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { IdempotencyEngine } from '@retrysafe/idempotency';
import { errorResponses } from '../http/error-responses.js';
import type { HttpResponse } from '../http/types.js';
import { dynamo } from '../shared/dynamodb.js';
import { retrysafeEngineDefaults } from '../shared/engine-defaults.js';
import { readSetting } from '../settings.js';
import { tableName } from '../shared/env.js';
import { onFirstInvocation } from '../shared/first-invocation.js';
import { functions } from '../topology.js';
import { sandboxProcessorApp } from './app.js';
import { dynamoChargeStore } from './charge-store.js';
import { dynamoKeyRecords } from './key-records.js';
import { dynamoListing } from './listing.js';
import { refundKind, sandboxRecordSortKey } from './processor-table.js';
import type { ProcessorRefund } from './refund.js';
import type { SandboxDeps } from './sandbox-deps.js';

/** The sandbox keeps its keys for ten years, for practical purposes forever: a late retry never charges twice. */
const keyRetentionSeconds = 10 * 365 * 24 * 3600;

const processorTable = (): string => tableName('processor');

/** Retrysafe's idempotency engine on the processor's own table, its records beside the charges and refunds. */
export const sandboxEngine = (client: DynamoDBDocumentClient): IdempotencyEngine =>
  new IdempotencyEngine({
    ...retrysafeEngineDefaults(client),
    tableName: processorTable,
    sortKey: sandboxRecordSortKey,
    ttlSeconds: keyRetentionSeconds,
    functionTimeoutMs: functions.processor.timeoutSeconds * 1000,
  });

export const depsFromEnvironment = (): SandboxDeps => {
  const client = dynamo();
  return {
    engine: sandboxEngine(client),
    charges: dynamoChargeStore(client, processorTable),
    refunds: dynamoListing<ProcessorRefund>(client, processorTable, refundKind),
    keys: dynamoKeyRecords(client, processorTable, Date.now),
    now: Date.now,
    slowResponseMs: readSetting('SANDBOX_SLOW_RESPONSE_MS'),
    sleep: async (ms) => {
      await sleep(ms);
    },
  };
};

/** The sandbox card processor behind a Lambda function URL (payload format 2.0). */
export const createSandboxProcessorHandler = (deps: SandboxDeps) => {
  const app = sandboxProcessorApp(deps);
  return middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(errorResponses())
    .handler((event, context) => app(event, context));
};

export const handler = onFirstInvocation(() => createSandboxProcessorHandler(depsFromEnvironment()));
