import type { Server } from 'node:http';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { setKeyOwnersClient } from '../../../lambdas/regions/key-owners.js';
import { readSetting, settingsInUse } from '../../../lambdas/settings.js';
import { createDocumentClient } from '../../../lambdas/shared/dynamodb.js';
import { eventSources, queueUrlEnvVar, routes, schedules, tableEnvVar } from '../../../lambdas/topology.js';
import { startApiGateway } from '../../../local/api-gateway.js';
import { pollQueue, pollStream, type RunningPoller } from '../../../local/event-sources.js';
import { loadHandler } from '../../../local/functions.js';
import { runOnSchedule } from '../../../local/schedules.js';
import { shutdownList } from '../../../local/shutdown.js';

/**
 * One simulated region's compute, as its own process (run with `node --conditions=retrysafe-source
 * --import tsx`): the API Gateway with every route's function, the event source mappings and the
 * scheduled recovery jobs. The region's services (DynamoDB, SQS, the sandbox processor) belong
 * to the harness (regions.ts), so killing this process is a region's compute dying mid-request
 * while its data, queues and the processor live on, as they do in AWS.
 *
 * The harness gives it the functions' whole environment (AWS_REGION, endpoints, table names,
 * queue URLs, settings) and these variables of its own:
 *   SIM_API_PORT                    the API Gateway's port
 *   SIM_STRONG_DYNAMODB_ENDPOINT    optional: the DynamoDB holding the strong (MRSC) keyOwners table
 * It sends { ready: true } over IPC once it serves, and stops cleanly on SIGTERM.
 */

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

const apiPort = Number(required('SIM_API_PORT'));

/** The one place a region learns where the strong store is: both regions share it, as MRSC makes them. */
const useStrongStoreForKeyOwners = (endpoint: string): void => {
  setKeyOwnersClient(createDocumentClient(new DynamoDBClient({ endpoint, maxAttempts: 5 })));
};

const { stops, stop: stopAll } = shutdownList(`region ${process.env.AWS_REGION ?? '?'}`);

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => {
      resolveClose();
    });
  });

const warn = (message: string, error?: unknown) => {
  console.error(`[${process.env.AWS_REGION ?? '?'} event source] ${message}${error instanceof Error ? `: ${error.message}` : ''}`);
};

const start = async (): Promise<void> => {
  // Refuses a malformed setting now rather than at the first request, as the local stack does.
  for (const name of settingsInUse()) readSetting(name);
  const strongEndpoint = process.env.SIM_STRONG_DYNAMODB_ENDPOINT;
  if (strongEndpoint !== undefined && strongEndpoint !== '') useStrongStoreForKeyOwners(strongEndpoint);

  const dynamodb = new DynamoDBClient({});
  const sqs = new SQSClient({});
  stops.push(() => {
    dynamodb.destroy();
    sqs.destroy();
    return Promise.resolve();
  });

  const pollers: RunningPoller[] = [];
  stops.push(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
  });
  for (const source of eventSources) {
    const handler = await loadHandler(source.function);
    if (source.source.kind === 'queue') {
      const url = required(queueUrlEnvVar(source.source.queue));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
      pollers.push(pollQueue(sqs, source, { url, arn: Attributes?.QueueArn ?? '' }, handler, warn));
    } else {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: required(tableEnvVar(source.source.table)) }));
      if (Table?.LatestStreamArn === undefined) throw new Error(`Table ${source.source.table} has no stream`);
      pollers.push(pollStream(Table.LatestStreamArn, source, handler, warn));
    }
  }
  for (const schedule of schedules) {
    pollers.push(runOnSchedule(schedule, await loadHandler(schedule.function), readSetting(schedule.every) * 1000, warn));
  }
  // Loaded before the region reports ready, so the first requests do not pay for the imports.
  for (const route of routes) await loadHandler(route.function);

  const api = await startApiGateway({ port: apiPort });
  stops.push(() => closeServer(api));
};

const shutdown = () => {
  void stopAll().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
// The harness talks to this process over IPC: the channel closing means the harness is gone.
process.on('disconnect', shutdown);

try {
  await start();
  process.send?.({ ready: true });
} catch (error) {
  console.error(`[${process.env.AWS_REGION ?? '?'}] the region did not start`, error);
  await stopAll();
  process.exit(1);
}
