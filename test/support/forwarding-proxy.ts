import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../local/ports.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * What an interceptor decides for one request: forward it, answer it, drop the connection, or
 * forward it and then answer something else, as when the service applied a request and its
 * response was lost on the way back.
 */
export type Interception =
  | { readonly kind: 'forward' }
  | ({ readonly kind: 'answer' } & Answer)
  | { readonly kind: 'drop' }
  | ({ readonly kind: 'forward-then-answer' } & Answer);

export type Interceptor = (request: IncomingMessage, body: string) => Interception;

export interface ForwardingProxy {
  readonly endpoint: string;
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

const send = (target: string, request: IncomingMessage, body: string): Promise<Response> => {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length',
    ),
  );
  return fetch(`${target}${request.url ?? '/'}`, { method: request.method ?? 'POST', headers, body });
};

const forward = async (target: string, request: IncomingMessage, body: string, response: ServerResponse): Promise<void> => {
  const upstream = await send(target, request, body);
  response.writeHead(upstream.status, Object.fromEntries(upstream.headers));
  response.end(Buffer.from(await upstream.arrayBuffer()));
};

/**
 * Stands between an AWS SDK client and an emulator, so a test can make the service misbehave the
 * way the real one does (throttle, conflict, go away) while the code under test runs unchanged:
 * point the SDK's endpoint variable at the proxy before the client is created.
 */
export const startForwardingProxy = async (target: string, intercept: Interceptor): Promise<ForwardingProxy> => {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request);
      const decision = intercept(request, body);
      if (decision.kind === 'drop') {
        request.socket.destroy();
        return;
      }
      if (decision.kind === 'forward-then-answer') await (await send(target, request, body)).arrayBuffer();
      if (decision.kind === 'answer' || decision.kind === 'forward-then-answer') {
        response.writeHead(decision.status, decision.headers);
        response.end(decision.body);
        return;
      }
      await forward(target, request, body, response);
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};
