import { createServer, type IncomingMessage, type Server } from 'node:http';
import { freePort } from '../../local/ports.js';

export type Fault = 'throttling' | 'transaction-conflict';

export interface FaultRule {
  /** The DynamoDB operation, as in the X-Amz-Target header (e.g. "TransactWriteItems"). */
  readonly operation: string;
  readonly fault: Fault;
  /** Fail every n-th first attempt of the operation (SDK retries pass through). */
  readonly every: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly injected: Record<Fault, number>;
  stop(): void;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      resolve(body);
    });
    request.on('error', reject);
  });

const errorBody = (fault: Fault, requestBody: string): { type: string; body: Record<string, unknown> } => {
  if (fault === 'throttling') {
    return { type: 'ThrottlingException', body: { message: 'Rate of requests exceeds the allowed throughput.' } };
  }
  const items = (JSON.parse(requestBody) as { TransactItems?: unknown[] }).TransactItems ?? [];
  return {
    type: 'TransactionCanceledException',
    body: {
      message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
      CancellationReasons: items.map((_, i) => (i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' })),
    },
  };
};

/**
 * Stands between the SDK and DynamoDB Local and answers some requests the way DynamoDB does
 * under load: throttling (which the SDK's retry strategy must absorb) and transaction
 * conflicts (which the idempotency store retries). Faults come from the server side, so the
 * code under test runs unchanged.
 */
export const startFaultProxy = async (target: string, rules: readonly FaultRule[]): Promise<FaultProxy> => {
  const seen = new Map<string, number>();
  const injected: Record<Fault, number> = { throttling: 0, 'transaction-conflict': 0 };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const firstAttempt = String(request.headers['amz-sdk-request'] ?? 'attempt=1').includes('attempt=1');
      const rule = rules.find((candidate) => candidate.operation === operation);
      if (rule !== undefined && firstAttempt) {
        const count = (seen.get(operation) ?? 0) + 1;
        seen.set(operation, count);
        if (count % rule.every === 0) {
          injected[rule.fault]++;
          const error = errorBody(rule.fault, body);
          const type = `com.amazonaws.dynamodb.v20120810#${error.type}`;
          response.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-ErrorType': type });
          response.end(JSON.stringify({ __type: type, ...error.body }));
          return;
        }
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length'),
      );
      const upstream = await fetch(`${target}${request.url ?? '/'}`, { method: request.method ?? 'POST', headers, body });
      response.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      response.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};
