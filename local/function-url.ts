import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { functions, type FunctionName } from '../lambdas/topology.js';
import { type LambdaHandler, loadHandler } from './functions.js';
import { createLambdaContext, invokeWithTimeout } from './lambda-context.js';
import { functionUrlEvent, groupByName } from './proxy-events.js';

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolveBody(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });

/**
 * A Lambda function URL (payload format 2.0) in front of one function. The deployed URL uses
 * IAM auth; locally the loopback interface is the boundary. `load` gives the handler: the
 * function's own module unless a test hosts an instance built with its own dependencies.
 */
export const startFunctionUrl = (
  name: FunctionName,
  port: number,
  load: () => Promise<LambdaHandler> = () => loadHandler(name),
): Promise<Server> => {
  const spec = functions[name];
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const body = await readBody(request);
      const event = functionUrlEvent({
        method: request.method ?? 'GET',
        path: url.pathname,
        headers: Object.fromEntries(
          Object.entries(request.headers).flatMap(([header, value]) => (value === undefined ? [] : [[header, value]])),
        ),
        query: Object.fromEntries(groupByName(url.searchParams)),
        ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
        domainName: `127.0.0.1:${port}`,
      });
      const handler = await load();
      const context = createLambdaContext(name, spec.timeoutSeconds, spec.memoryMb);
      const result = (await invokeWithTimeout(name, spec.timeoutSeconds, () =>
        handler(event, context),
      )) as APIGatewayProxyStructuredResultV2;
      const payload = Buffer.from(result.body ?? '', result.isBase64Encoded === true ? 'base64' : 'utf8');
      response.writeHead(result.statusCode ?? 200, {
        ...(result.headers as Record<string, string> | undefined),
        'Content-Length': String(payload.length),
      });
      response.end(payload);
    })().catch((error: unknown) => {
      console.error(`${name} failed: ${(error as Error).message}`);
      if (!response.headersSent) {
        response.writeHead(502, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal Server Error' }));
      }
    });
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolveServer(server);
    });
  });
};
