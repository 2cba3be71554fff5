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
  /** A repeated parameter is an array of its values, in the order sent. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
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

/**
 * Values grouped by name, built on a Map: a name is data, and a client may send `__proto__` or
 * `constructor`, which on a plain object would reach (or replace) Object.prototype.
 */
export const groupByName = (pairs: Iterable<readonly [string, string]>): Map<string, string[]> => {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const values = grouped.get(name);
    if (values === undefined) grouped.set(name, [value]);
    else values.push(value);
  }
  return grouped;
};

const entriesOf = (given: Readonly<Record<string, string | readonly string[]>>): [string, string][] =>
  Object.entries(given).flatMap(([name, value]) =>
    typeof value === 'string' ? [[name, value]] : value.map((one): [string, string] => [name, one]),
  );

/**
 * API Gateway's two views of repeated names: the single-value map keeps the last value, the
 * multi-value map all of them. Object.fromEntries defines each name as an own property, as the
 * JSON.parse of a deployed event does, so `__proto__` is a name like any other.
 */
const singleAndMultiValue = (grouped: ReadonlyMap<string, readonly string[]>) => ({
  single: Object.fromEntries([...grouped].map(([name, values]): [string, string] => [name, values.at(-1) ?? ''])),
  multi: Object.fromEntries([...grouped].map(([name, values]): [string, string[]] => [name, [...values]])),
});

const headerMaps = (input: HttpRequestInput) => {
  const given = entriesOf(input.headers ?? {});
  const hasContentType = given.some(([name]) => name.toLowerCase() === 'content-type');
  if (input.body !== undefined && typeof input.body !== 'string' && !hasContentType) given.push(['Content-Type', 'application/json']);
  const { single, multi } = singleAndMultiValue(groupByName(given));
  return { headers: single, multiValueHeaders: multi };
};

const filledPath = (resource: string, parameters: Readonly<Record<string, string>> | undefined): string =>
  resource.replace(/\{(\w+)\}/g, (template, name: string) => parameters?.[name] ?? template);

/** The REST API (v1) proxy integration event. */
export const restApiEvent = (input: RestApiEventInput = {}): APIGatewayProxyEvent => {
  const method = input.method ?? 'POST';
  const resource = input.resource ?? '/';
  const path = input.path ?? filledPath(resource, input.pathParameters);
  const stage = input.stage ?? 'local';
  const query = singleAndMultiValue(groupByName(entriesOf(input.query ?? {})));
  const hasQuery = Object.keys(query.single).length > 0;
  const { headers, multiValueHeaders } = headerMaps(input);
  return {
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query.single : null,
    multiValueQueryStringParameters: hasQuery ? query.multi : null,
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
  const lowerCased = groupByName(
    Object.entries(multiValueHeaders).flatMap(([name, values]) => values.map((value): [string, string] => [name.toLowerCase(), value])),
  );
  const headers = Object.fromEntries([...lowerCased].map(([name, values]) => [name, values.join(',')]));
  const body = bodyText(input.body);
  const query = [...groupByName(entriesOf(input.query ?? {}))];
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(entriesOf(input.query ?? {})).toString(),
    headers,
    // Payload 2.0 joins a repeated parameter's values with commas, as it does a header's.
    ...(query.length === 0 ? {} : { queryStringParameters: Object.fromEntries(query.map(([name, values]) => [name, values.join(',')])) }),
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
