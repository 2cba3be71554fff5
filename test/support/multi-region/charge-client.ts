import { setTimeout as sleep } from 'node:timers/promises';

export interface ChargeAnswer {
  readonly status: number;
  /** The charge the answer names, when it is one (201). */
  readonly chargeId: string | undefined;
}

export interface ChargeRequest {
  readonly apiUrl: string;
  readonly authorization: { Authorization: string };
  readonly key: string;
  readonly body: Record<string, unknown>;
}

/** Answers a client retries with the same key: the key is in use, or the processor did not answer in time. */
const retryable = new Set([409, 503]);

const postOnce = async (request: ChargeRequest): Promise<ChargeAnswer & { readonly retryAfterSeconds: number }> => {
  const response = await fetch(`${request.apiUrl}/v1/charges`, {
    method: 'POST',
    headers: { ...request.authorization, 'Idempotency-Key': request.key, 'Content-Type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  const answer = (await response.json()) as { id?: string };
  return {
    status: response.status,
    chargeId: response.status === 201 ? answer.id : undefined,
    retryAfterSeconds: Number(response.headers.get('Retry-After') ?? '1'),
  };
};

/**
 * POST /v1/charges as a well-behaved client does: the same request under the same key again
 * after a 409 or 503, as Retry-After says (at most a second here), until another answer or the
 * deadline. What the first attempt met is not the question of the tests that use it: what the
 * key finally came to is.
 */
export const postChargeUntilAnswered = async (request: ChargeRequest, deadlineMs = 20_000): Promise<ChargeAnswer> => {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await postOnce(request);
    if (!retryable.has(answer.status) || Date.now() > deadline) return { status: answer.status, chargeId: answer.chargeId };
    await sleep(Math.min(answer.retryAfterSeconds, 1) * 1000);
  }
};
