import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface MeterReading {
  /** DynamoDB operations sent (each client runs with maxAttempts 1, so one per round trip). */
  readonly calls: number;
  readonly conditionalFailures: number;
  /** Capacity units DynamoDB reported through ReturnConsumedCapacity on successful calls. */
  readonly reportedCapacityUnits: number;
  /**
   * Write units a failed conditional write is billed in AWS (at least 1 for items under 1 KB:
   * the Developer Guide's read/write-capacity page says failed conditional writes still
   * consume WCUs), which no response reports because the call ends in an error.
   */
  readonly estimatedFailedWriteUnits: number;
}

export interface CallMeter {
  read(): MeterReading;
  reset(): void;
}

interface OperationOutput {
  readonly output?: { readonly ConsumedCapacity?: { readonly CapacityUnits?: number } };
}

/**
 * Counts every operation a client sends and asks DynamoDB for the capacity each consumed,
 * from the client's own middleware stack: both limiters are measured the same way without
 * touching their code.
 */
export const meterClient = (client: DynamoDBClient): CallMeter => {
  let calls = 0;
  let conditionalFailures = 0;
  let reportedCapacityUnits = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      calls += 1;
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        reportedCapacityUnits += (result as OperationOutput).output?.ConsumedCapacity?.CapacityUnits ?? 0;
        return result;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') conditionalFailures += 1;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchCallMeter', priority: 'high' },
  );
  return {
    read: () => ({ calls, conditionalFailures, reportedCapacityUnits, estimatedFailedWriteUnits: conditionalFailures }),
    reset: () => {
      calls = 0;
      conditionalFailures = 0;
      reportedCapacityUnits = 0;
    },
  };
};
