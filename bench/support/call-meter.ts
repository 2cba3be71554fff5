import type { MiddlewareStack } from '@smithy/types';

/** What one request cost, as the mean over the requests a reading covers. */
export interface CostPerRequest {
  /** Operations sent (GetItem, PutItem, TransactWriteItems, ...), including those that failed. */
  readonly calls: number;
  /** HTTP attempts: above `calls` only when the SDK retried. */
  readonly roundTrips: number;
  readonly callsByOperation: Readonly<Record<string, number>>;
  /** Calls by what they touched (see `classify`), e.g. `idempotency` or `business & idempotency`. */
  readonly callsByCategory: Readonly<Record<string, number>>;
  /** Read and write units as DynamoDB reported them through ReturnConsumedCapacity. */
  readonly reportedReadUnits: number;
  readonly reportedWriteUnits: number;
  readonly reportedUnitsByCategory: Readonly<Record<string, number>>;
  /** Conditional writes that failed: billed by DynamoDB, yet no response reports their capacity. */
  readonly conditionFailures: number;
  readonly canceledTransactions: number;
  /**
   * A floor on what AWS bills, from the documented rules the responses leave out: each failed
   * conditional write costs at least 1 WCU, and a transactional write at least 2 WCU per item
   * (DynamoDB Local reports a whole TransactWriteItems as if it were one item's write).
   */
  readonly billedUnitsEstimate: number;
}

export interface CallMeter {
  /** Everything sent since the last take (calls still in flight land in the next one). */
  take(): readonly CallRecord[];
  /** Takes the meter off the client. */
  detach(): void;
}

export interface CallRecord {
  readonly operation: string;
  readonly category: string;
  readonly attempts: number;
  readonly reported: readonly { readonly category: string; readonly units: number }[];
  readonly read: boolean;
  readonly conditionFailed: boolean;
  readonly canceled: boolean;
  readonly transactItems: number;
}

const readOperations = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const dataOperations = new Set([...readOperations, 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

interface ConsumedCapacity {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
}

interface MeteredInput {
  TableName?: string;
  TransactItems?: readonly Record<string, { TableName?: string } | undefined>[];
  RequestItems?: Record<string, unknown>;
  ReturnConsumedCapacity?: string;
}

interface MeteredOutput {
  readonly ConsumedCapacity?: ConsumedCapacity | readonly ConsumedCapacity[];
  readonly $metadata?: { readonly attempts?: number };
}

const tablesOf = (input: MeteredInput): string[] => {
  if (input.TableName !== undefined) return [input.TableName];
  if (input.TransactItems !== undefined) {
    return input.TransactItems.flatMap((item) =>
      Object.values(item).flatMap((operation) => (operation?.TableName === undefined ? [] : [operation.TableName])),
    );
  }
  return Object.keys(input.RequestItems ?? {});
};

/** Single-item operations report one entry, transactions and batches one per table. */
const capacityEntries = (consumed: MeteredOutput['ConsumedCapacity']): readonly ConsumedCapacity[] => {
  const entries: ConsumedCapacity[] = [];
  return entries.concat(consumed ?? []);
};

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

const tally = (entries: Iterable<[string, number]>): Record<string, number> => {
  const totals: Record<string, number> = {};
  for (const [key, value] of entries) totals[key] = (totals[key] ?? 0) + value;
  return totals;
};

const billedFloor = (call: CallRecord): number => {
  const reported = sum(call.reported.map((entry) => entry.units));
  if (call.conditionFailed) return 1;
  if (call.operation === 'TransactWriteItems' && !call.canceled) return Math.max(reported, 2 * call.transactItems);
  return reported;
};

let meterSequence = 0;

/**
 * Counts every command a client sends, by operation and by the tables it names, and asks
 * DynamoDB for the capacity each one consumed (ReturnConsumedCapacity: TOTAL is injected into
 * every data-plane input): the code under measurement is not touched. `classify` maps a table
 * name to a category such as "idempotency" or "business"; a transaction spanning several
 * categories is counted under their names joined by " & ".
 */
export const meterCalls = <Input extends object, Output extends object>(
  client: { readonly middlewareStack: MiddlewareStack<Input, Output> },
  classify: (table: string) => string = (table) => table,
): CallMeter => {
  let records: CallRecord[] = [];
  const name = `benchCallMeter${++meterSequence}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as MeteredInput;
      if (dataOperations.has(operation)) input.ReturnConsumedCapacity ??= 'TOTAL';
      const category = [...new Set(tablesOf(input).map(classify))].sort().join(' & ') || 'none';
      const record = (output: MeteredOutput | undefined, failure: Error | undefined) => {
        records.push({
          operation,
          category,
          attempts: output?.$metadata?.attempts ?? (failure as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1,
          reported: capacityEntries(output?.ConsumedCapacity).map((entry) => ({
            category: entry.TableName === undefined ? category : classify(entry.TableName),
            units: entry.CapacityUnits ?? 0,
          })),
          read: readOperations.has(operation),
          conditionFailed: failure?.name === 'ConditionalCheckFailedException',
          canceled: failure?.name === 'TransactionCanceledException',
          transactItems: input.TransactItems?.length ?? 0,
        });
      };
      try {
        const result = await next(args);
        record(result.output, undefined);
        return result;
      } catch (error) {
        record(undefined, error instanceof Error ? error : undefined);
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name },
  );

  return {
    take: () => {
      const taken = records;
      records = [];
      return taken;
    },
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
};

/** The mean cost of `requests` requests that together made `calls`. */
export const costPerRequest = (calls: readonly CallRecord[], requests: number): CostPerRequest => {
  const per = (value: number) => (requests === 0 ? 0 : value / requests);
  const perEach = (totals: Record<string, number>) => Object.fromEntries(Object.entries(totals).map(([key, value]) => [key, per(value)]));
  const reported = calls.flatMap((call) => call.reported.map((entry) => ({ ...entry, read: call.read })));
  return {
    calls: per(calls.length),
    roundTrips: per(sum(calls.map((call) => call.attempts))),
    callsByOperation: perEach(tally(calls.map((call) => [call.operation, 1]))),
    callsByCategory: perEach(tally(calls.map((call) => [call.category, 1]))),
    reportedReadUnits: per(sum(reported.filter((entry) => entry.read).map((entry) => entry.units))),
    reportedWriteUnits: per(sum(reported.filter((entry) => !entry.read).map((entry) => entry.units))),
    reportedUnitsByCategory: perEach(tally(reported.map((entry) => [entry.category, entry.units]))),
    conditionFailures: per(calls.filter((call) => call.conditionFailed).length),
    canceledTransactions: per(calls.filter((call) => call.canceled).length),
    billedUnitsEstimate: per(sum(calls.map(billedFloor))),
  };
};
