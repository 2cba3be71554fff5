import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { settings, type SettingName } from '../lambdas/settings.js';
import {
  deadLetterQueueUrlEnvVar,
  queueUrlEnvVar,
  tableEnvVar,
  type FunctionName,
  type FunctionSpec,
  type QueueName,
  type TableName,
} from '../lambdas/topology.js';
import type { StackConfig } from './config.js';
import type { QueuePair } from './work-queues.js';
import { deployed } from './deployed.js';

export interface FunctionEnvironmentProps {
  readonly tables: Readonly<Partial<Record<TableName, Table>>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly config: StackConfig;
}

const kebabCase = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A function's environment: the physical names of the tables and the URLs of the queues its
 * topology entry lists (and no others, so reaching for an undeclared resource fails loudly
 * instead of quietly lacking permissions), plus the handler settings the context sets, for the
 * functions that read them (lambdas/settings.ts).
 */
export const functionEnvironment = (name: FunctionName, spec: FunctionSpec, props: FunctionEnvironmentProps): Record<string, string> => {
  const environment: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: `retrysafe-${kebabCase(name)}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Retrysafe',
  };
  for (const table of Object.keys(spec.tables) as TableName[]) {
    environment[tableEnvVar(table)] = deployed(props.tables, table).tableName;
  }
  for (const queue of Object.keys(spec.queues ?? {}) as QueueName[]) {
    environment[queueUrlEnvVar(queue)] = props.queues[queue].queue.queueUrl;
    environment[deadLetterQueueUrlEnvVar(queue)] = props.queues[queue].deadLetterQueue.queueUrl;
  }
  for (const [setting, value] of Object.entries(props.config.handlerSettings) as [SettingName, string][]) {
    if (settings[setting].readBy.includes(name)) environment[setting] = value;
  }
  return environment;
};
