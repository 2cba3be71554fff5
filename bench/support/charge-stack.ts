import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { storeApiKey } from '../../lambdas/auth/api-keys.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { sandboxProcessorClient } from '../../lambdas/payments/processor-client/sandbox-client.js';
import { apiPipelineFromEnvironment } from '../../lambdas/http/api-route.js';
import { createChargesHandler } from '../../lambdas/payments/charges-handler.js';
import { PaymentsStore } from '../../lambdas/payments/payments-store.js';
import { paymentsTablesFromEnvironment } from '../../lambdas/payments/tables.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { tableEnvVar, type TableName } from '../../lambdas/topology.js';
import { localAwsEnvironment } from '../../local/aws-env.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { freePort } from '../../local/ports.js';
import { provision } from '../../local/provision.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { startSqsLocal } from '../../local/sqs-local.js';
import { meterCalls, type CallMeter } from './call-meter.js';
import { overrideEnvironment } from './environment.js';
import type { Gate } from './gate.js';

/** What a DynamoDB call of the charge path is for, from the table it names. */
export type ChargeCallCategory = 'auth' | 'rate limit' | 'idempotency' | 'business' | 'processor' | 'other';

const categoryByTable: Record<TableName, ChargeCallCategory> = {
  apiKeys: 'auth',
  rateLimits: 'rate limit',
  idempotency: 'idempotency',
  payments: 'business',
  ledger: 'business',
  events: 'business',
  processor: 'processor',
  webhooks: 'other',
  reconciliation: 'other',
  // The cross-region claim is part of idempotency: a multi-region charge pays it before the regional claim.
  keyOwners: 'idempotency',
};

export interface ChargeStack {
  /** POST /v1/charges as the tenant, through the whole handler chain. */
  charge(idempotencyKey: string): Promise<HttpResponse>;
  /** Every DynamoDB call of the process: the API's and the in-process sandbox processor's. */
  readonly meter: CallMeter;
  /** While set, charges wait at the gate just before calling the processor, their key claimed. */
  holdBeforeProcessor(gate: Gate | undefined): void;
  stop(): Promise<void>;
}

/**
 * Limits far above what a benchmark sends: the point is to measure what an admitted request
 * costs, not to be refused. api-route builds its limiter from these when it is first imported.
 */
const generousRateLimit = { RATE_LIMIT_PER_MINUTE: '60000000', RATE_LIMIT_BURST: '1000000' };

const holdingProcessor = (inner: CardProcessor, gate: () => Gate | undefined): CardProcessor => ({
  ...inner,
  charge: async (request, signal) => {
    await gate()?.hold();
    return inner.charge(request, signal);
  },
});

/**
 * The charges function in-process, as the local stack runs it: every table of the topology
 * provisioned on the given DynamoDB Local, the sandbox processor behind its function URL, an
 * authenticated tenant. Handler code reads tables and endpoints from the environment, so this
 * sets it, and `stop` restores it. The process-wide DynamoDB client `dynamo()` is the one the
 * handlers use; it keeps the endpoint it was first created with.
 */
export const startChargeStack = async (dynamodbEndpoint: string): Promise<ChargeStack> => {
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne();
    stops.length = 0;
  };
  try {
    const sqsPort = await freePort();
    const sqs = await startSqsLocal(sqsPort);
    stops.push(() => sqs.stop());
    stops.push(
      overrideEnvironment({
        ...localAwsEnvironment({ dynamodbPort: Number(new URL(dynamodbEndpoint).port), sqsPort }),
        AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodbEndpoint,
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...generousRateLimit,
      }),
    );

    const dynamodbAdmin = new DynamoDBClient({});
    const sqsAdmin = new SQSClient({});
    const prefix = `bench-${randomUUID().slice(0, 8)}`;
    const resources = await provision(dynamodbAdmin, sqsAdmin, prefix).finally(() => {
      dynamodbAdmin.destroy();
      sqsAdmin.destroy();
    });
    stops.push(overrideEnvironment(resources.environment));
    const tableCategory = new Map(
      (Object.entries(categoryByTable) as [TableName, ChargeCallCategory][]).map(([table, category]) => [
        resources.environment[tableEnvVar(table)],
        category,
      ]),
    );

    const client = dynamo();
    const meter = meterCalls(client, (table) => tableCategory.get(table) ?? 'other');
    stops.push(() => {
      meter.detach();
    });

    const processorPort = await freePort();
    const processorServer: Server = await startFunctionUrl('processor', processorPort);
    stops.push(
      () =>
        new Promise<void>((resolveClose) => {
          processorServer.closeAllConnections();
          processorServer.close(() => {
            resolveClose();
          });
        }),
    );

    const account = `acct_bench${randomUUID().replaceAll('-', '').slice(0, 16)}` as AccountId;
    const apiKey = `sk_test_bench_${randomUUID()}`;
    await storeApiKey(client, tableName('apiKeys'), apiKey, account);

    let gate: Gate | undefined;
    const processor = holdingProcessor(
      sandboxProcessorClient({ baseUrl: `http://127.0.0.1:${processorPort}`, timeoutMs: 5_000 }),
      () => gate,
    );
    const handler = createChargesHandler({
      api: apiPipelineFromEnvironment('charges'),
      processor,
      store: new PaymentsStore(client, paymentsTablesFromEnvironment()),
      now: Date.now,
    });

    return {
      charge: (idempotencyKey) =>
        handler(
          restApiEvent({
            resource: '/v1/charges',
            body: { amount: 1000, currency: 'usd', source: 'tok_visa', description: 'bench' },
            headers: { Authorization: `Bearer ${apiKey}`, 'Idempotency-Key': idempotencyKey },
          }),
          createLambdaContext('charges', 15, 1024),
        ),
      meter,
      holdBeforeProcessor: (next) => {
        gate = next;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
