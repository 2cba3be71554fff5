import { z } from 'zod';

/**
 * The request that caused an event, as every Retrysafe event carries it: the API request id and
 * the SHA-256 of its Idempotency-Key. Both null when no request caused it (the reconciler found
 * the charge at the processor).
 */
export interface EventTrail {
  readonly id: string | null;
  readonly idempotency_key_sha256: string | null;
}

/** Event ids become part of downstream idempotency keys, so they are held to what a key may contain. */
const eventIdPattern = /^[\x21-\x7e]{1,128}$/;

const eventSchema = z.object({
  id: z.string().regex(eventIdPattern),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
  request: z.object({ id: z.string().nullable(), idempotency_key_sha256: z.string().nullable() }),
});

/** A Retrysafe event as a webhook body carries it; `data.object` is left for the work to read. */
export type ReceivedEvent = z.infer<typeof eventSchema>;

/** The event in a verified body, or undefined when the body is not one. */
export const parseEvent = (body: string): ReceivedEvent | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = eventSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
};
