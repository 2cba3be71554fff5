import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * A Lambda context as the runtime builds one: a fresh request id, and a remaining-time clock
 * that starts at the function's configured timeout, which the idempotency lease is sized from.
 */
export const createLambdaContext = (functionName: string, timeoutSeconds: number, memoryMb: number): Context => {
  const deadline = Date.now() + timeoutSeconds * 1000;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `retrysafe-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:retrysafe-${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId,
    logGroupName: `/aws/lambda/retrysafe-${functionName}`,
    logStreamName: `local/${awsRequestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The Context type still requires the pre-promise callbacks; nothing calls them.
    /* eslint-disable @typescript-eslint/no-deprecated */
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
};

export class LambdaTimeoutError extends Error {
  constructor(functionName: string, timeoutSeconds: number) {
    super(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds (${functionName})`);
    this.name = 'LambdaTimeoutError';
  }
}

/**
 * Runs a handler under its function timeout. Lambda would freeze the sandbox at the deadline;
 * in one process the promise cannot be killed, but the caller sees the same outcome.
 */
export const invokeWithTimeout = async <T>(functionName: string, timeoutSeconds: number, run: () => Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new LambdaTimeoutError(functionName, timeoutSeconds));
    }, timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
};
