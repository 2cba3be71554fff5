import type { z } from 'zod';
import type {
  CardProcessor,
  ProcessorChargeOutcome,
  ProcessorListQuery,
  ProcessorLookup,
  ProcessorPage,
  ProcessorRefundOutcome,
  ProcessorRejected,
  ProcessorUnavailable,
  RefundRejection,
} from './card-processor.js';
import { httpExchange, type ProcessorRequest, type ReceivedResponse, type SandboxClientOptions } from './http-exchange.js';
import { unavailable, unavailableFor } from './unavailable.js';
import { chargeOutcomeBody, chargeSnapshot, listBody, parseJson, problemOf, type ReceivedProblem, refundSnapshot } from './wire-objects.js';

export type { SandboxClientOptions } from './http-exchange.js';

const replayedOf = (headers: Headers): boolean => headers.get('idempotent-replayed') === 'true';

const rejected = <Reason extends string>(reason: Reason, problem: ReceivedProblem): ProcessorRejected<Reason> => ({
  kind: 'rejected',
  reason,
  detail: problem.detail,
  ...(problem.field === undefined ? {} : { field: problem.field }),
});

/** The outcome a charge response stands for; the charge object, not the status, decides success. */
const chargeOutcomeOf = (received: ReceivedResponse): ProcessorChargeOutcome => {
  const { status, headers, text } = received;
  if ((status >= 200 && status < 300) || status === 402) {
    const charge = chargeOutcomeBody.safeParse(parseJson(text));
    if (!charge.success) return unavailable('invalid-response', `HTTP ${status} without a processor_charge body`);
    const { id: processorChargeId } = charge.data;
    const replayed = replayedOf(headers);
    return charge.data.status === 'succeeded'
      ? { kind: 'succeeded', processorChargeId, replayed }
      : { kind: 'declined', processorChargeId, declineCode: charge.data.decline_code, replayed };
  }
  if (status === 400 || status === 422)
    return rejected(status === 422 ? 'idempotency-key-reused' : 'invalid-request', problemOf(status, text));
  return unavailableFor(received);
};

/**
 * A 404 is the charge's absence only when the problem names the `charge` field: a 404 without
 * it is a route the processor does not have, which says nothing about the charge.
 */
const refundRejection = (status: number, problem: ReceivedProblem): RefundRejection | undefined => {
  if (status === 422) return 'idempotency-key-reused';
  if (status === 404) return problem.field === 'charge' ? 'charge-not-found' : undefined;
  if (status !== 400) return undefined;
  return problem.slug === 'amount-too-large' || problem.slug === 'charge-not-refundable' ? problem.slug : 'invalid-request';
};

const refundOutcomeOf = (received: ReceivedResponse): ProcessorRefundOutcome => {
  const { status, headers, text } = received;
  if (status >= 200 && status < 300) {
    const refund = refundSnapshot.safeParse(parseJson(text));
    if (!refund.success) return unavailable('invalid-response', `HTTP ${status} without a processor_refund body`);
    return { kind: 'succeeded', processorRefundId: refund.data.id, replayed: replayedOf(headers) };
  }
  const problem = problemOf(status, text);
  const reason = refundRejection(status, problem);
  return reason === undefined ? unavailableFor(received) : rejected(reason, problem);
};

/** Only a 200 list is an answer; anything else, a 409 for a key still in progress included, is not. */
const listOf = <T>(item: z.ZodType<T>, received: ReceivedResponse) => {
  if (received.status !== 200) return unavailableFor(received);
  const list = listBody(item).safeParse(parseJson(received.text));
  return list.success ? list.data : unavailable('invalid-response', 'HTTP 200 without a list body');
};

/** The one object created under `key`, trusted only when it says it was created under that key. */
const lookupOf =
  <T extends { readonly idempotencyKey: string }>(item: z.ZodType<T>, key: string) =>
  (received: ReceivedResponse): ProcessorLookup<T> => {
    const list = listOf(item, received);
    if ('kind' in list) return list;
    const [object, ...others] = list.data;
    if (object === undefined) return { kind: 'absent' };
    if (others.length > 0 || object.idempotencyKey !== key) {
      return unavailable('invalid-response', `the lookup of one key answered ${list.data.length} objects, or another key's`);
    }
    return { kind: 'found', object };
  };

const pageOf =
  <T>(item: z.ZodType<T>) =>
  (received: ReceivedResponse): ProcessorPage<T> | ProcessorUnavailable => {
    const list = listOf(item, received);
    if ('kind' in list) return list;
    const nextCursor = list.has_more ? list.next_cursor : undefined;
    if (nextCursor === null) return unavailable('invalid-response', 'HTTP 200 with has_more but no next_cursor');
    return { kind: 'page', objects: list.data, nextCursor };
  };

const pageQuery = ({ since, cursor, limit }: ProcessorListQuery): Record<string, string> => ({
  ...(since === undefined ? {} : { since: String(since) }),
  ...(cursor === undefined ? {} : { cursor }),
  limit: String(limit),
});

/** Retrysafe's client for the sandbox processor: every call one signed exchange (http-exchange.ts). */
export const sandboxProcessorClient = (options: SandboxClientOptions): CardProcessor => {
  const exchange = httpExchange(options);
  const call = async <T>(
    request: ProcessorRequest,
    signal: AbortSignal | undefined,
    interpret: (received: ReceivedResponse) => T,
  ): Promise<T | ProcessorUnavailable> => {
    const received = await exchange(request, signal);
    return 'kind' in received ? received : interpret(received);
  };
  return {
    // JSON leaves out the optional fields that are undefined.
    charge: ({ idempotencyKey, amount, currency, source, description, metadata }, signal) =>
      call(
        { method: 'POST', path: 'charges', post: { idempotencyKey, body: { amount, currency, source, description, metadata } } },
        signal,
        chargeOutcomeOf,
      ),
    refund: ({ idempotencyKey, processorChargeId, amount, metadata }, signal) =>
      call(
        { method: 'POST', path: 'refunds', post: { idempotencyKey, body: { charge: processorChargeId, amount, metadata } } },
        signal,
        refundOutcomeOf,
      ),
    findCharge: (key, signal) =>
      call({ method: 'GET', path: 'charges', query: { idempotency_key: key } }, signal, lookupOf(chargeSnapshot, key)),
    findRefund: (key, signal) =>
      call({ method: 'GET', path: 'refunds', query: { idempotency_key: key } }, signal, lookupOf(refundSnapshot, key)),
    listCharges: (query, signal) => call({ method: 'GET', path: 'charges', query: pageQuery(query) }, signal, pageOf(chargeSnapshot)),
    listRefunds: (query, signal) => call({ method: 'GET', path: 'refunds', query: pageQuery(query) }, signal, pageOf(refundSnapshot)),
  };
};
