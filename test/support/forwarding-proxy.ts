import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from '../../local/ports.js';

/** What an interceptor decides for one request: forward it, answer it, or drop the connection. */
export type Interception =
  | { readonly kind: 'forward' }
  | { readonly kind: 'answer'; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | { readonly kind: 'drop' };

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

const forward = async (target: string, request: IncomingMessage, body: string, response: ServerResponse): Promise<void> => {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host' && entry[0] !== 'content-length',
    ),
  );
  const upstream = await fetch(`${target}${request.url ?? '/'}`, { method: request.method ?? 'POST', headers, body });
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
      if (decision.kind === 'answer') {
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
