import { type QueueName, type TableName, queueUrlEnvVar, tableEnvVar, deadLetterQueueUrlEnvVar } from '../topology.js';

/**
 * Environment lookups, read at call time rather than import time so one process (the local
 * stack, the test suite) can host several functions and point them at different resources.
 */
export const requireEnv = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set`);
  }
  return value;
};

export const tableName = (table: TableName): string => requireEnv(tableEnvVar(table));

export const queueUrl = (queue: QueueName): string => requireEnv(queueUrlEnvVar(queue));

export const deadLetterQueueUrl = (queue: QueueName): string => requireEnv(deadLetterQueueUrlEnvVar(queue));
