import { z, type ZodError, type ZodType } from 'zod';
import { ProblemError } from './problem.js';

/** A 400 validation-error about one field, named in the detail and in the `field` member. */
export const fieldProblem = (field: string, message: string): ProblemError =>
  new ProblemError('validation-error', { detail: `${field}: ${message}`, extensions: { field } });

/** A 400 validation-error naming the first offending field of a zod failure. */
export const validationProblem = (error: ZodError): ProblemError => {
  const issue = error.issues[0];
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const field = [...(issue?.path ?? []), ...(unknownKey === undefined ? [] : [unknownKey])].map(String).join('.');
  const message = unknownKey === undefined ? (issue?.message ?? 'invalid') : `unknown field "${unknownKey}"`;
  return field === '' ? new ProblemError('validation-error', { detail: message }) : fieldProblem(field, message);
};

/** Validates a value with a schema, throwing the validation problem when it does not fit. */
export const parseWith = <T>(schema: ZodType<T>, value: unknown): T => {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error);
  return result.data;
};

/** The query string of a REST (null when empty) or HTTP API event (absent when empty). */
export const parseQuery = <T>(
  schema: ZodType<T>,
  event: { readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null },
): T => parseWith(schema, event.queryStringParameters ?? {});

/** A `limit` query parameter: digits only (no "1e2", no spaces), 1 to `max`. */
export const pageLimitParameter = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .meta({ description: `How many objects to return, 1 to ${max}.` });
