import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  deadLetterQueueUrlEnvVar,
  queueUrlEnvVar,
  tableEnvVar,
  type FunctionName,
  type FunctionSpec,
  type QueueName,
  type TableName,
} from '../lambdas/topology.js';
import type { HandlerSetting, StackConfig } from './config.js';
import type { QueuePair } from './work-queues.js';

export interface FunctionEnvironmentProps {
  readonly tables: Readonly<Record<TableName, Table>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly config: StackConfig;
}

/** Which functions a handler setting concerns, read off the resources the function touches. */
const settingConcerns: Record<HandlerSetting, (spec: FunctionSpec) => boolean> = {
  IDEMPOTENCY_TTL_SECONDS: (spec) => spec.tables.idempotency !== undefined,
  RATE_LIMIT_PER_MINUTE: (spec) => spec.tables.rateLimits !== undefined,
  RATE_LIMIT_BURST: (spec) => spec.tables.rateLimits !== undefined,
  RATE_LIMIT_FAIL_MODE: (spec) => spec.tables.rateLimits !== undefined,
  WEBHOOK_RETRY_SCHEDULE: (spec) => spec.queues?.webhookDeliveries !== undefined,
  WEBHOOK_TIMEOUT_MS: (spec) => spec.queues?.webhookDeliveries === 'consume',
  PROCESSOR_TIMEOUT_MS: (spec) => spec.callsProcessor === true,
};

const kebabCase = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A function's environment: the physical names of the tables and the URLs of the queues its
 * topology entry lists (and no others, so reaching for an undeclared resource fails loudly
 * instead of quietly lacking permissions), plus the handler settings that concern it.
 * WEBHOOK_ALLOW_LOOPBACK is never set here: only the local stack may deliver to loopback.
 */
export const functionEnvironment = (name: FunctionName, spec: FunctionSpec, props: FunctionEnvironmentProps): Record<string, string> => {
  const environment: Record<string, string> = {
    POWERTOOLS_SERVICE_NAME: `retrysafe-${kebabCase(name)}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Retrysafe',
  };
  for (const table of Object.keys(spec.tables) as TableName[]) {
    environment[tableEnvVar(table)] = props.tables[table].tableName;
  }
  for (const queue of Object.keys(spec.queues ?? {}) as QueueName[]) {
    environment[queueUrlEnvVar(queue)] = props.queues[queue].queue.queueUrl;
    environment[deadLetterQueueUrlEnvVar(queue)] = props.queues[queue].deadLetterQueue.queueUrl;
  }
  for (const [setting, value] of Object.entries(props.config.handlerSettings) as [HandlerSetting, string][]) {
    if (settingConcerns[setting](spec)) environment[setting] = value;
  }
  return environment;
};
