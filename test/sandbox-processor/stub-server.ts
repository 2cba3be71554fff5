import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freePort } from '../../local/ports.js';

export interface CapturedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface StubResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
  /** Send the status and headers at once but never the body: a response lost mid-way. */
  readonly withholdBody?: boolean;
}

export interface StubServer {
  readonly url: string;
  readonly requests: CapturedRequest[];
  /** Sets what every following request is answered with. */
  answer(response: StubResponse): void;
  close(): Promise<void>;
}

/** A processor stand-in answering fixed responses, for statuses the sandbox never produces on demand. */
export const startStubServer = async (): Promise<StubServer> => {
  const requests: CapturedRequest[] = [];
  let next: StubResponse = { status: 500, body: '' };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(next.status, next.headers);
      if (next.withholdBody === true) response.flushHeaders();
      else response.end(next.body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (response) => {
      next = response;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
};
