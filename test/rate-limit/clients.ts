import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { freePort } from '../../local/ports.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import type { AccountId } from '../../lambdas/shared/ids.js';

export interface CountingClient {
  readonly client: DynamoDBDocumentClient;
  /** DynamoDB operations sent so far, one entry per HTTP round trip. */
  readonly calls: () => number;
  readonly reset: () => void;
}

/** A document client on DynamoDB Local that counts the round trips it makes. */
export const countingClient = (): CountingClient => {
  const base = new DynamoDBClient({ maxAttempts: 1 });
  let calls = 0;
  base.middlewareStack.add(
    (next) => (args) => {
      calls += 1;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRoundTrips' },
  );
  return {
    client: createDocumentClient(base),
    calls: () => calls,
    reset: () => {
      calls = 0;
    },
  };
};

/** A client whose endpoint refuses connections: DynamoDB is down. */
export const unreachableClient = async (): Promise<DynamoDBDocumentClient> => {
  const port = await freePort();
  return createDocumentClient(new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }));
};

/** A client whose endpoint accepts connections and never answers: DynamoDB hangs. */
export const hangingClient = async (): Promise<{ client: DynamoDBDocumentClient; server: Server }> => {
  const server = createServer(() => undefined);
  const port = await new Promise<number>((resolvePort) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  return { client: createDocumentClient(new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 })), server };
};

export interface AnsweringClient {
  readonly client: DynamoDBDocumentClient;
  /** UpdateItems sent so far. */
  readonly writes: () => number;
}

/**
 * A DynamoDB that answers every UpdateItem the way the test says: succeeding with `item` as the
 * bucket it wrote, or failing with `error`.
 */
export const answeringClient = (answer: { item: Record<string, unknown> | undefined } | { error: Error }): AnsweringClient => {
  const client = createDocumentClient(new DynamoDBClient({ maxAttempts: 1 }));
  const stub = mockClient(client);
  if ('error' in answer) stub.on(UpdateCommand).rejects(answer.error);
  else stub.on(UpdateCommand).resolves({ Attributes: answer.item });
  return { client, writes: () => stub.commandCalls(UpdateCommand).length };
};

export const rateLimitTable = (): string => {
  const name = process.env.TABLE_RATE_LIMITS;
  if (name === undefined) throw new Error('TABLE_RATE_LIMITS is not set; the global setup provisions it');
  return name;
};

export const freshTenant = (): AccountId => `acct_${randomUUID()}` as AccountId;

export const readBucketItem = async (client: DynamoDBDocumentClient, key: string): Promise<Record<string, unknown> | undefined> =>
  (await client.send(new GetCommand({ TableName: rateLimitTable(), Key: { pk: key } }))).Item;
