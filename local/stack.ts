import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readSetting, settings as handlerSettings, settingsEnvironment, settingsInUse, type SettingName } from '../lambdas/settings.js';
import { createDocumentClient } from '../lambdas/shared/dynamodb.js';
import { eventSources, schedules, tableEnvVar } from '../lambdas/topology.js';
import { sourceConditionFlag } from '../workspace-conditions.js';
import { applyEnvironment, localAwsEnvironment } from './aws-env.js';
import { startApiGateway } from './api-gateway.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import { pollQueue, pollStream, type RunningPoller } from './event-sources.js';
import { loadHandler, repositoryRoot } from './functions.js';
import { assertPortFree, suggestFreePort } from './ports.js';
import { provision } from './provision.js';
import { runOnSchedule } from './schedules.js';
import { seedDemoTenants } from './seed.js';
import { accessLogEnabled, localHandlerSettings, localLibraryVariables, type LocalSettings, portVariables } from './settings.js';
import { startSqsLocal } from './sqs-local.js';
import { shutdownList, stopChild } from './shutdown.js';

export interface LocalStack {
  readonly apiUrl: string;
  readonly processorUrl: string;
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly variable: string,
    readonly suggestion: number,
  ) {
    super(
      `Port ${port} is already in use: set ${variable} to a free port (${variable}=${suggestion} npm start; ${suggestion} is free now).`,
    );
    this.name = 'PortInUseError';
  }
}

/** What every function gets locally, on top of the table names and queue URLs; the shell may override most of it. */
const localFunctionEnvironment = (settings: LocalSettings): Record<string, string> => {
  const environment: Record<string, string> = {};
  for (const [name, variable] of Object.entries(localLibraryVariables)) environment[name] = process.env[name] ?? variable.default;
  for (const [name, value] of Object.entries(settingsEnvironment(localHandlerSettings(settings))) as [SettingName, string][]) {
    // What the deployed stack sets itself, the local stack sets itself: the local processor, whatever the shell says.
    environment[name] = handlerSettings[name].setBy === 'stack' ? value : (process.env[name] ?? value);
  }
  return environment;
};

const startProcessor = (port: number): Promise<ChildProcess> =>
  new Promise((resolveChild, reject) => {
    const child = fork(resolve(repositoryRoot, 'local/processor-server.ts'), [], {
      execArgv: [sourceConditionFlag, '--import', 'tsx'],
      env: { ...process.env, PROCESSOR_PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', () => {
      resolveChild(child);
    });
    child.once('exit', (code) => {
      reject(new Error(`The sandbox processor exited with code ${code ?? 'null'} before it was ready`));
    });
  });

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolveClose) => {
    server.closeAllConnections();
    server.close(() => {
      resolveClose();
    });
  });

/**
 * The whole system on one machine: DynamoDB Local, an SQS emulator, every table and queue of
 * the topology, the sandbox processor as its own process, the event source mappings, the
 * scheduled functions' timers, and the API on a local API Gateway. Everything started is
 * stopped by `stop()`, also when start-up fails half way.
 */
export const startLocalStack = async (settings: LocalSettings, log: (line: string) => void = console.log): Promise<LocalStack> => {
  const ports = Object.keys(portVariables).map((key) => settings[key as keyof typeof portVariables]);
  for (const [key, variable] of Object.entries(portVariables) as [keyof typeof portVariables, string][]) {
    try {
      await assertPortFree(settings[key]);
    } catch {
      throw new PortInUseError(settings[key], variable, await suggestFreePort(settings[key], ports));
    }
  }

  const { stops, stop } = shutdownList('a local service');

  applyEnvironment({ ...localAwsEnvironment(settings), ...localFunctionEnvironment(settings) });
  // The functions read their settings on their first invocation; reading every one now refuses a
  // malformed value at start-up instead, as the synth does.
  for (const name of settingsInUse()) readSetting(name);
  try {
    const dynamodbLocal = await startDynamoDbLocal(settings.dynamodbPort, settings.dataDir && resolve(settings.dataDir, 'dynamodb'));
    stops.push(() => dynamodbLocal.stop());
    const sqsLocal = await startSqsLocal(settings.sqsPort);
    stops.push(() => sqsLocal.stop());

    const dynamodb = new DynamoDBClient({});
    const sqs = new SQSClient({});
    stops.push(() => {
      dynamodb.destroy();
      sqs.destroy();
      return Promise.resolve();
    });
    const resources = await provision(dynamodb, sqs);
    applyEnvironment(resources.environment);
    await seedDemoTenants(createDocumentClient(dynamodb), resources.environment[tableEnvVar('apiKeys')] ?? '');

    const processor = await startProcessor(settings.processorPort);
    stops.push(() => stopChild(processor));

    const pollers: RunningPoller[] = [];
    stops.push(async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
    });
    const warn = (message: string, error?: unknown) => {
      console.error(`[event source] ${message}${error instanceof Error ? `: ${error.message}` : ''}`);
    };
    for (const source of eventSources) {
      const handler = await loadHandler(source.function);
      if (source.source.kind === 'queue') {
        pollers.push(pollQueue(sqs, source, resources.queueUrls[source.source.queue], handler, warn));
      } else {
        const streamArn = resources.streamArns[source.source.table];
        if (streamArn === undefined) throw new Error(`Table ${source.source.table} has no stream`);
        pollers.push(pollStream(streamArn, source, handler, warn));
      }
    }
    for (const schedule of schedules) {
      pollers.push(runOnSchedule(schedule, await loadHandler(schedule.function), readSetting(schedule.every) * 1000, warn));
    }

    const api = await startApiGateway({ port: settings.apiPort, onRequest: accessLogEnabled() ? log : undefined });
    stops.push(() => closeServer(api));
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    apiUrl: `http://127.0.0.1:${settings.apiPort}`,
    processorUrl: `http://127.0.0.1:${settings.processorPort}`,
    stop,
  };
};
