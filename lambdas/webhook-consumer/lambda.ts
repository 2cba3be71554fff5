import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResponse } from '../http/types.js';
import type { ReceiveWebhook } from './consumer.js';

/** API Gateway's REST (v1) or HTTP API / function URL (v2) proxy event: both carry the same parts. */
export type ProxyEvent = Pick<APIGatewayProxyEvent | APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded'>;

/** The receiver as a Lambda handler behind API Gateway or a function URL. */
export const webhookLambda =
  (receive: ReceiveWebhook) =>
  (event: ProxyEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<HttpResponse> =>
    receive({
      headers: event.headers,
      // The signature covers the exact bytes sent, so a base64 body is verified decoded, never re-encoded text.
      body: event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : (event.body ?? ''),
      remainingMs: context.getRemainingTimeInMillis(),
    });
