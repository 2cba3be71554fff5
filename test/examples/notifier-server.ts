import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotifierHandler } from '../../examples/fulfilment/notifier/service.js';
import { functionUrlEvent } from '../../local/proxy-events.js';
import { lambdaContext } from '../support/events.js';

/** What goes wrong on the first request C receives under a key. */
export type NotifierFault =
  /** Answers 503 without acting. */
  | 'unavailable'
  /** Acts, then drops the connection: the caller never learns it acted. */
  | 'drop-after-acting'
  /** Acts, then never answers: the caller times out. */
  | 'hang-after-acting';

export interface ReceivedRequest {
  readonly key: string | undefined;
  readonly body: string;
}

export interface NotifierServer {
  readonly url: string;
  readonly received: readonly ReceivedRequest[];
  close(): Promise<void>;
}

const bodyOf = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** C over real HTTP on 127.0.0.1, with a fault injected on the first request of each key in `faults`. */
export const startNotifierServer = async (
  handler: NotifierHandler,
  faults: ReadonlyMap<string, NotifierFault>,
): Promise<NotifierServer> => {
  const pending = new Map(faults);
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const key = request.headers['idempotency-key'];
      const keyValue = typeof key === 'string' ? key : undefined;
      received.push({ key: keyValue, body });
      const fault = keyValue === undefined ? undefined : pending.get(keyValue);
      if (keyValue !== undefined) pending.delete(keyValue);
      if (fault === 'unavailable') {
        response.writeHead(503, { 'Content-Type': 'application/problem+json' }).end('{"status":503}');
        return;
      }
      const event = functionUrlEvent({
        method: request.method ?? 'POST',
        path: new URL(request.url ?? '/', 'http://127.0.0.1').pathname,
        headers: Object.fromEntries(
          Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])),
        ),
        body,
      });
      const result = await handler(event, lambdaContext());
      if (fault === 'drop-after-acting') {
        request.socket.destroy();
        return;
      }
      if (fault === 'hang-after-acting') return;
      response.writeHead(result.statusCode, result.headers).end(result.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notifications`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
};
