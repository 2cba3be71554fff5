import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { functions, routes, type RouteSpec } from '../lambdas/topology.js';
import { capacityProblem } from '../lambdas/http/capacity-problem.js';
import { problem, problemResponse } from '../lambdas/http/problem.js';
import { answerClientError } from './client-errors.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { loadHandler } from './functions.js';
import { createLambdaContext, invokeWithTimeout } from './lambda-context.js';
import { groupByName, restApiEvent } from './proxy-events.js';
import { localConcurrency } from './settings.js';

/** API Gateway's own payload limit for REST APIs. */
const maxPayloadBytes = 10 * 1024 * 1024;

/** API Gateway's integration timeout for REST APIs: a request is answered by then, queued or not. */
const integrationTimeoutMs = 29_000;

/**
 * Connections the kernel may hold for the server before it accepts them. Node's default, 511,
 * overflowed under a burst of 10,000 connections: the kernel dropped handshakes, and clients saw
 * resets and connect timeouts. Linux caps it at net.core.somaxconn (4,096 on current kernels).
 */
const listenBacklog = 65_535;

const longestFunctionTimeoutMs =
  Math.max(...(routes as readonly RouteSpec[]).map((route) => functions[route.function].timeoutSeconds)) * 1000;

interface CompiledRoute {
  readonly route: RouteSpec;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

const compile = (route: RouteSpec): CompiledRoute => {
  const parameterNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const [, parameter, greedy] = /^\{(\w+)(\+?)\}$/.exec(segment) ?? [];
      if (parameter === undefined) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter);
      return greedy === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}/?$`), parameterNames };
};

const compiledRoutes = (routes as readonly RouteSpec[]).map(compile);

const readBody = (request: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxPayloadBytes) chunks.push(chunk);
    });
    request.on('end', () => {
      resolveBody(size > maxPayloadBytes ? 'too-large' : Buffer.concat(chunks));
    });
    request.on('error', reject);
  });

/** Header values by name as the client sent them (rawHeaders keeps its casing, as API Gateway does). */
const clientHeaders = (request: IncomingMessage): Record<string, string[]> => {
  const pairs: [string, string][] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) pairs.push([request.rawHeaders[i] ?? '', request.rawHeaders[i + 1] ?? '']);
  return Object.fromEntries(groupByName(pairs));
};

const isProxyResult = (value: unknown): value is APIGatewayProxyResult =>
  typeof value === 'object' && value !== null && typeof (value as { statusCode?: unknown }).statusCode === 'number';

const send = (response: ServerResponse, result: APIGatewayProxyResult): void => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8');
  response.writeHead(result.statusCode, { ...headers, 'Content-Length': String(body.length) });
  response.end(body);
};

const gatewayError = (statusCode: number, message: string): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ message }),
});

export interface ApiGatewayOptions {
  readonly port: number;
  readonly stage?: string;
  readonly onRequest?: (line: string) => void;
  /** Invocations at once; LOCAL_CONCURRENCY when absent. */
  readonly concurrency?: number;
}

/**
 * A local stand-in for API Gateway's REST proxy integration: it matches the topology's route
 * templates, builds the same event API Gateway would, invokes the deployed handler module
 * with a Lambda-like context under the function's timeout, and maps failures the way API
 * Gateway does (502 for a crashed or timed-out function). Invocations pass a concurrency gate,
 * as Lambda's concurrency limit: a request that cannot be invoked in time gets the 503 the
 * deployed stack's INTEGRATION_FAILURE response gives a throttled invocation.
 */
export const startApiGateway = (options: ApiGatewayOptions): Promise<Server> => {
  const stage = options.stage ?? 'local';
  // Until an invocation has ended, assume each takes the longest timeout: promise no more than the worst case.
  const gate = new ConcurrencyGate({ limit: options.concurrency ?? localConcurrency(), assumedDurationMs: longestFunctionTimeoutMs });
  // Node's own refusal of a request without Host is an empty 400; the handler answers it instead.
  const server = createServer({ requireHostHeader: false }, (request, response) => {
    const started = Date.now();
    void (async () => {
      const method = request.method ?? 'GET';
      const target = requestTarget(request);
      const result = typeof target === 'string' ? malformed(target) : await handle(request, target, method, stage, gate, started);
      send(response, result);
      options.onRequest?.(`${method} ${request.url ?? ''} ${result.statusCode} ${Date.now() - started}ms`);
    })().catch((error: unknown) => {
      console.error('Local API Gateway failed to answer', error);
      if (!response.headersSent) send(response, gatewayError(500, 'Internal server error'));
    });
  });
  server.on('clientError', answerClientError);
  server.keepAliveTimeout = 65_000;
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: '127.0.0.1', backlog: listenBacklog }, () => {
      server.off('error', reject);
      resolveServer(server);
    });
  });
};

const malformed = (detail: string): APIGatewayProxyResult => problemResponse(problem('malformed-request', { detail }));

/** The request's URL and its decoded path, or why they cannot be read. */
const requestTarget = (request: IncomingMessage): { readonly url: URL; readonly path: string } | string => {
  if (request.httpVersion === '1.1' && request.headers.host === undefined) return 'HTTP/1.1 requests must send a Host header.';
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return 'The request target is not a valid URL.';
  }
  try {
    return { url, path: decodeURIComponent(url.pathname) };
  } catch {
    return 'The path has malformed percent-encoding: each % must begin a UTF-8 sequence of %XX escapes.';
  }
};

const handle = async (
  request: IncomingMessage,
  { url, path }: { readonly url: URL; readonly path: string },
  method: string,
  stage: string,
  gate: ConcurrencyGate,
  arrivedAt: number,
): Promise<APIGatewayProxyResult> => {
  const matches = compiledRoutes.filter((compiled) => compiled.pattern.test(path));
  const matched = matches.find((compiled) => compiled.route.method === method);
  if (matched === undefined) {
    const allowed = matches.map((compiled) => compiled.route.method);
    return problemResponse(
      problem('not-found', {
        detail:
          allowed.length > 0
            ? `${method} is not supported here; try ${allowed.join(', ')}.`
            : `${method} ${path} is not a route of this API.`,
      }),
    );
  }
  const body = await readBody(request);
  if (body === 'too-large') return gatewayError(413, 'Request Too Long');

  const values = matched.pattern.exec(path)?.slice(1) ?? [];
  const pathParameters = Object.fromEntries(matched.parameterNames.map((name, i) => [name, values[i] ?? '']));
  const event = restApiEvent({
    method,
    resource: matched.route.path,
    path,
    headers: clientHeaders(request),
    query: Object.fromEntries(groupByName(url.searchParams)),
    ...(matched.parameterNames.length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    stage,
  });

  const spec = functions[matched.route.function];
  // Started by then, even an invocation that runs to its timeout is answered within API Gateway's.
  const release = await gate.enter(arrivedAt + integrationTimeoutMs - spec.timeoutSeconds * 1000);
  if (release === undefined) return problemResponse(problem(capacityProblem.slug, { detail: capacityProblem.detail }));
  // The function's clock starts when it is invoked, as Lambda's does, not while the request waited.
  const context = createLambdaContext(matched.route.function, spec.timeoutSeconds, spec.memoryMb);
  try {
    const handler = await loadHandler(matched.route.function);
    const result = await invokeWithTimeout(matched.route.function, spec.timeoutSeconds, () => handler(event, context));
    if (!isProxyResult(result)) {
      console.error(`${matched.route.function} returned a malformed proxy response`, result);
      return gatewayError(502, 'Internal server error');
    }
    return result;
  } catch (error) {
    console.error(`${matched.route.function} failed: ${(error as Error).message}`);
    return gatewayError(502, 'Internal server error');
  } finally {
    release();
  }
};
