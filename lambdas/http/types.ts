import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** A REST API (v1) proxy response whose headers are always a flat map. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

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
