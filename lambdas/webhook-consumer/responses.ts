import type { HttpResponse } from '../http/types.js';

/**
 * A receiver's answers, as RFC 9457 problems without a catalogue of their own: the status is
 * what Retrysafe's dispatcher acts on (2xx delivered; anything else retried, a 503 no sooner
 * than its Retry-After), the detail is for whoever reads the delivery's attempts.
 */
const problemAnswer = (status: number, title: string, detail: string, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode: status,
  headers: { 'Content-Type': 'application/problem+json', ...headers },
  body: JSON.stringify({ type: 'about:blank', title, status, detail }),
});

export const unverifiedAnswer = (reason: string): HttpResponse =>
  problemAnswer(401, 'Unauthorized', `The webhook signature did not verify: ${reason}.`);

export const misconfiguredAnswer = (): HttpResponse =>
  problemAnswer(500, 'Internal Server Error', 'The receiver holds no valid webhook secret; the delivery is retried once it does.');

export const notAnEventAnswer = (detail: string): HttpResponse => problemAnswer(400, 'Bad Request', detail);

/** Another delivery of this webhook is being processed; the sender comes back for its result. */
export const inProgressAnswer = (retryAfterSeconds: number): HttpResponse =>
  problemAnswer(503, 'Service Unavailable', 'This webhook is being processed by an earlier delivery.', {
    'Retry-After': String(retryAfterSeconds),
  });

export const workFailedAnswer = (): HttpResponse =>
  problemAnswer(500, 'Internal Server Error', 'Processing the webhook failed; nothing is recorded, and a redelivery processes it again.');

export const receivedAnswer = (eventId: string): HttpResponse => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ received: true, event: eventId }),
});
