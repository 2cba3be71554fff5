import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The Lambda events Retrysafe's functions receive, built one way for the local API Gateway, the
 * local function URL, the tests and the benchmarks: whatever invokes a handler hands it the
 * shape AWS would.
 */
export interface HttpRequestInput {
  readonly method?: string;
  /** The request path; for a REST API event, defaults to the resource with its parameters filled in. */
  readonly path?: string;
  /** Header names keep the client's casing; a repeated header is an array of its values. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly query?: Readonly<Record<string, string>>;
  /** Text as received, or a value sent as JSON (Content-Type is then set unless given). */
  readonly body?: unknown;
  readonly isBase64Encoded?: boolean;
  readonly sourceIp?: string;
}

export interface RestApiEventInput extends HttpRequestInput {
  /** The route template API Gateway matched, e.g. /v1/charges/{id}. */
  readonly resource?: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly stage?: string;
}

const bodyText = (body: unknown): string | undefined =>
  body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body);

const headerMaps = (input: HttpRequestInput) => {
  const given = { ...input.headers };
  const hasContentType = Object.keys(given).some((name) => name.toLowerCase() === 'content-type');
  if (input.body !== undefined && typeof input.body !== 'string' && !hasContentType) given['Content-Type'] = 'application/json';
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(given)) {
    const values = typeof value === 'string' ? [value] : [...value];
    multiValueHeaders[name] = values;
    // API Gateway's single-value map keeps the last value of a repeated header.
    headers[name] = values.at(-1) ?? '';
  }
  return { headers, multiValueHeaders };
};

const filledPath = (resource: string, parameters: Readonly<Record<string, string>> | undefined): string =>
  resource.replace(/\{(\w+)\}/g, (template, name: string) => parameters?.[name] ?? template);

/** The REST API (v1) proxy integration event. */
export const restApiEvent = (input: RestApiEventInput = {}): APIGatewayProxyEvent => {
  const method = input.method ?? 'POST';
  const resource = input.resource ?? '/';
  const path = input.path ?? filledPath(resource, input.pathParameters);
  const stage = input.stage ?? 'local';
  const query = input.query === undefined || Object.keys(input.query).length === 0 ? null : { ...input.query };
  const { headers, multiValueHeaders } = headerMaps(input);
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters:
      query === null ? null : Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]])),
    pathParameters: input.pathParameters === undefined ? null : { ...input.pathParameters },
    stageVariables: null,
    body: bodyText(input.body) ?? null,
    isBase64Encoded: input.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      path: `/${stage}${path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: resource,
      resourcePath: resource,
    },
  };
};

/** The function URL (payload format 2.0) event; headers arrive lower-cased, repeated ones comma-joined. */
export const functionUrlEvent = (input: HttpRequestInput & { readonly domainName?: string } = {}): APIGatewayProxyEventV2 => {
  const method = input.method ?? 'GET';
  const path = input.path ?? '/';
  const { multiValueHeaders } = headerMaps(input);
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name.toLowerCase(), values.join(',')]));
  const body = bodyText(input.body);
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    ...(input.query === undefined || Object.keys(input.query).length === 0 ? {} : { queryStringParameters: { ...input.query } }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: input.domainName ?? 'localhost',
      domainPrefix: (input.domainName ?? 'localhost').split('.')[0] ?? 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: input.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
};
