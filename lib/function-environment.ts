import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
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
import { deployed, deployedTablesOf } from './deployed.js';
import { kebabCase } from './names.js';

export interface FunctionEnvironmentProps {
  readonly tables: Readonly<Partial<Record<TableName, ITable>>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly config: StackConfig;
}

/**
 * A function's environment: the physical names of the tables (those deployed) and the URLs of
 * the queues its topology entry lists (and no others, so reaching for an undeclared resource fails loudly
 * instead of quietly lacking permissions), plus the handler settings the context sets, for the
 * functions that read them (lambdas/settings.ts).
 */
export const functionEnvironment = (name: FunctionName, spec: FunctionSpec, props: FunctionEnvironmentProps): Record<string, string> => {
  const environment: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: `retrysafe-${kebabCase(name)}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Retrysafe',
  };
  for (const [table] of deployedTablesOf(spec, props.config)) {
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
