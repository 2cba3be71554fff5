import type { FingerprintInput } from './fingerprint.js';

/**
 * The parts of an API Gateway event (REST v1 or HTTP/function URL v2) idempotency reads: the
 * key header, the method and route, and the body as it arrived. Everything that knows where
 * those sit in an event is in this module.
 */
export interface IdempotentEvent {
  httpMethod?: string;
  resource?: string;
  routeKey?: string;
  path?: string;
  rawPath?: string;
  requestContext?: { http?: { method?: string } } | object;
  pathParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: unknown;
  /**
   * The body text as received, already decoded from base64. Set by body parsers that replace
   * `body` with a parsed value (a JSON body parser); when present it is the body.
   */
  rawBody?: unknown;
  isBase64Encoded?: boolean;
}

/**
 * Every value sent for a header, whatever its casing: repeated headers keep all their values,
 * also when their names differ in case (`Authorization` and `authorization` are one header).
 */
export const headerValues = (event: IdempotentEvent, name: string): string[] => {
  const wanted = name.toLowerCase();
  const named = <T>(map: Record<string, T | undefined> | null | undefined): T[] =>
    Object.entries(map ?? {}).flatMap(([key, value]) => (key.toLowerCase() === wanted && value !== undefined ? [value] : []));
  const repeated = named(event.multiValueHeaders).flat();
  return repeated.length > 0 ? repeated : named(event.headers);
};

export const methodOf = (event: IdempotentEvent): string =>
  (event.httpMethod ?? (event.requestContext as { http?: { method?: string } } | undefined)?.http?.method ?? '').toUpperCase();

const routeOf = (event: IdempotentEvent): string => event.resource ?? event.routeKey ?? event.path ?? event.rawPath ?? '';

/**
 * The body text exactly as the client sent it, decoded from base64 exactly once. A parser's
 * `rawBody` is already decoded: decoding it again would fold different bodies into one
 * fingerprint (base64 decoding skips the characters JSON is made of).
 */
export const bodyText = (event: IdempotentEvent): unknown => {
  if ('rawBody' in event) return event.rawBody;
  return typeof event.body === 'string' && event.isBase64Encoded === true ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

/** What identifies the request behind a key: method, route template, its parameters, the body. */
export const fingerprintInput = (event: IdempotentEvent): FingerprintInput => ({
  method: methodOf(event),
  route: routeOf(event),
  pathParameters: event.pathParameters,
  body: bodyText(event),
});
