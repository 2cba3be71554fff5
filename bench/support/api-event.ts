import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface PostInput {
  /** The route template, e.g. /v1/charges. */
  readonly resource: string;
  readonly idempotencyKey: string;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** A POST as API Gateway's REST proxy integration delivers it to a Lambda function. */
export const postEvent = (input: PostInput): APIGatewayProxyEvent => {
  const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': input.idempotencyKey, ...input.headers };
  return {
    resource: input.resource,
    path: input.resource,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: JSON.stringify(input.body),
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
};
