import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errorResponses } from '../http/error-responses.js';
import type { HttpResponse } from '../http/types.js';
import { intEnv } from '../shared/env.js';
import { sandboxProcessorApp } from './app.js';
import { dynamoChargeStore } from './charge-store.js';
import type { CreateChargeDependencies } from './create-charge.js';

/** Longer than Retrysafe's default PROCESSOR_TIMEOUT_MS (5000), so the first answer is lost. */
export const defaultSlowResponseMs = 7000;

export const slowResponseMsFromEnvironment = (): number => intEnv('SANDBOX_SLOW_RESPONSE_MS', defaultSlowResponseMs);

/** The sandbox card processor behind a Lambda function URL (payload format 2.0). */
export const sandboxProcessorHandler = (dependencies: CreateChargeDependencies) => {
  const app = sandboxProcessorApp(dependencies);
  return middy<APIGatewayProxyEventV2, HttpResponse>()
    .use(errorResponses())
    .handler((event) => app(event));
};

export const handler = sandboxProcessorHandler({
  store: dynamoChargeStore(),
  now: Date.now,
  slowResponseMs: slowResponseMsFromEnvironment,
  sleep: async (ms) => {
    await sleep(ms);
  },
});
