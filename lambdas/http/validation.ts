import { z, type ZodError, type ZodType } from 'zod';
import { ProblemError } from './problem.js';
import type { ApiGatewayEvent } from './types.js';

/** A 400 validation-error naming the first offending field, from a zod failure. */
export const validationError = (error: ZodError, title: string): ProblemError => {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [...(issue?.path ?? []), ...(unknownKey === undefined ? [] : [unknownKey])].map(String).join('.');
  const message = unknownKey === undefined ? (issue?.message ?? 'invalid') : `unknown field "${unknownKey}"`;
  return new ProblemError({
    status: 400,
    slug: 'validation-error',
    title,
    detail: field === '' ? message : `${field}: ${message}`,
    ...(field === '' ? {} : { extensions: { field } }),
  });
};

export const parseQuery = <T>(schema: ZodType<T>, event: Pick<ApiGatewayEvent, 'queryStringParameters'>): T => {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) throw validationError(result.error, 'The query is invalid');
  return result.data;
};

/** A `limit` query parameter: digits only (no "1e2", no spaces), 1 to `max`. */
export const pageLimitParameter = (max: number) =>
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(max));
