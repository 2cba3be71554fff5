import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { HttpResponse } from '@retrysafe/idempotency';

/** A proxy response whose headers are always a flat map: the one the idempotency engine stores and replays. */
export type { HttpResponse };

/** The API Gateway REST proxy event as Retrysafe's handlers see it. */
export type ApiGatewayEvent = APIGatewayProxyEvent;

export type LambdaContext = Context;

export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Case-insensitive header lookup: API Gateway passes header names as the client sent them. */
export const headerValue = (headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined => {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
};
