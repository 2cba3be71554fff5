import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpResponse } from '../lambdas/http/types.js';
import { problem, problemResponse } from '../lambdas/http/problem.js';

/** Why Node's parser refused a request, in the client's terms, by llhttp's error code. */
const parserRefusals: Readonly<Record<string, string>> = {
  HPE_INVALID_HEADER_TOKEN: 'A header name or value holds a character HTTP does not allow (a control character, for one).',
  HPE_INVALID_TRANSFER_ENCODING: 'Content-Length and Transfer-Encoding must not both be sent.',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length must be sent once.',
  HPE_INVALID_CONTENT_LENGTH: 'Content-Length must be a number.',
};

/** What the local API Gateway answers a request Node's parser refused, or undefined when nothing can be answered. */
export const clientErrorResponse = (code: string | undefined): HttpResponse | undefined => {
  if (code === 'ECONNRESET') return undefined;
  if (code === 'HPE_HEADER_OVERFLOW') return problemResponse(problem('headers-too-large'));
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return problemResponse(problem('request-timeout'));
  const detail = code === undefined ? undefined : Object.hasOwn(parserRefusals, code) ? parserRefusals[code] : undefined;
  return problemResponse(problem('malformed-request', detail === undefined ? {} : { detail }));
};

const serialize = (response: HttpResponse): Buffer => {
  const body = Buffer.from(response.body, 'utf8');
  const head = [
    `HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`,
    ...Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    // The parser's state is lost: nothing more can be read from this connection.
    'Connection: close',
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
};

/**
 * Node answers a request its parser refuses with an empty 400 or 431 before any handler runs. Its
 * 'clientError' event hands over the socket instead, so the answer can be the problem+json every
 * other refusal is. A socket already answering an earlier request on the connection cannot take
 * a second status line mid-response: it is closed, as Node itself would.
 */
export const answerClientError = (error: Error & { code?: string }, socket: Duplex): void => {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  const response = clientErrorResponse(error.code);
  if (response === undefined || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy(error);
    return;
  }
  socket.end(serialize(response));
};
