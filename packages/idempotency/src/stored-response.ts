import { gunzipSync, gzipSync } from 'node:zlib';
import type { HttpResponse } from './http-response.js';

/** The part of a response that a replay reproduces. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded?: boolean;
}

/** How a stored response sits in the record: plain JSON text, or gzip when that saves space. */
export type EncodedResponse = { readonly response: string } | { readonly responseGzip: Uint8Array };

/** Below this, gzip's header and CPU cost more than they save. */
const compressAboveBytes = 2048;

/**
 * DynamoDB items stop at 400 KB including attribute names and the other record fields; this
 * leaves room for those so the write itself never fails on size.
 */
export const maxEncodedResponseBytes = 350 * 1024;

export class ResponseTooLargeError extends Error {
  constructor(readonly encodedBytes: number) {
    super(`The response is ${encodedBytes} bytes even compressed; idempotency records hold at most ${maxEncodedResponseBytes}.`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Response headers stored and replayed alongside status and body, unless a caller names others. */
export const defaultStoredHeaders = ['Content-Type', 'Content-Language', 'Location', 'Link'] as const;

const selectStoredHeaders = (headers: Record<string, string>, allowed: readonly string[]): Record<string, string> => {
  const wanted = new Set(allowed.map((name) => name.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => wanted.has(name.toLowerCase())));
};

/** What of a response a replay reproduces: status, body and the headers worth replaying. */
export const storedForm = (response: HttpResponse, storedHeaders: readonly string[] = defaultStoredHeaders): StoredResponse => ({
  statusCode: response.statusCode,
  headers: selectStoredHeaders(response.headers, storedHeaders),
  body: response.body,
  ...(response.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
});

export const encodeResponse = (response: StoredResponse): EncodedResponse => {
  const json = JSON.stringify(response);
  const size = Buffer.byteLength(json, 'utf8');
  if (size <= compressAboveBytes) return { response: json };
  const compressed = gzipSync(json);
  if (compressed.length > maxEncodedResponseBytes) throw new ResponseTooLargeError(compressed.length);
  return compressed.length < size ? { responseGzip: compressed } : { response: json };
};

export const decodeResponse = (encoded: Partial<{ response: string; responseGzip: Uint8Array }>): StoredResponse => {
  const json = encoded.responseGzip === undefined ? encoded.response : gunzipSync(encoded.responseGzip).toString('utf8');
  if (json === undefined) throw new Error('Idempotency record has no stored response');
  return JSON.parse(json) as StoredResponse;
};

export const replayResponse = (stored: StoredResponse): HttpResponse => ({
  statusCode: stored.statusCode,
  headers: { ...stored.headers, 'Idempotent-Replayed': 'true' },
  body: stored.body,
  ...(stored.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
});
