import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { createLambdaContext } from '../../local/lambda-context.js';

/** A Lambda context whose remaining time counts down from the given timeout. */
export const lambdaContext = (timeoutMs = 15_000): Context => createLambdaContext('test', timeoutMs / 1000, 128);

export const uniqueKey = (): string => `key-${randomUUID()}`;
