import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { fingerprintInput, headerValues, type IdempotencyKey, parseIdempotencyKeyHeader, requestFingerprint } from '@retrysafe/idempotency';
import { ProblemError } from '../http/problem.js';
import { decodeJson } from '../http/json-body.js';
import { headerValue } from '../http/types.js';

/** What every POST to the processor carries before its own fields are read. */
export interface IdempotentPost {
  readonly idempotencyKey: IdempotencyKey;
  /** Identifies the request behind the key, as Retrysafe's own idempotency does. */
  readonly fingerprint: string;
  /** The body, decoded but not yet validated. */
  readonly json: unknown;
}

/** The route and body a POST's problems name, e.g. `/charges` and `{amount, currency, source}`. */
export interface PostRoute {
  readonly path: string;
  readonly bodyShape: string;
}

const idempotencyKeyOf = (event: APIGatewayProxyEventV2, { path }: PostRoute): IdempotencyKey => {
  const header = parseIdempotencyKeyHeader(headerValues(event, 'idempotency-key'));
  if (header.kind === 'absent') {
    throw new ProblemError('idempotency-key-missing', {
      detail: `Every POST ${path} must carry an Idempotency-Key header so a retry can never move money twice.`,
    });
  }
  if (header.kind === 'invalid')
    throw new ProblemError('idempotency-key-invalid', { detail: `The Idempotency-Key is invalid: ${header.reason}.` });
  return header.key;
};

const jsonOf = (event: APIGatewayProxyEventV2, { bodyShape }: PostRoute): unknown => {
  const text = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.trim() === '') throw new ProblemError('validation-error', { detail: `A JSON body ${bodyShape} is required.` });
  return decodeJson(text, headerValue(event.headers, 'content-type'), headerValue(event.headers, 'content-encoding'));
};

/** Reads the key and the body; nothing is claimed yet, so a rejection here leaves no trace. */
export const readIdempotentPost = (event: APIGatewayProxyEventV2, route: PostRoute): IdempotentPost => ({
  idempotencyKey: idempotencyKeyOf(event, route),
  fingerprint: requestFingerprint(fingerprintInput(event)),
  json: jsonOf(event, route),
});
