import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyEngine, type IdempotencyEngineOptions, type IdempotencyKey, parseIdempotencyKeyHeader } from '@retrysafe/idempotency';
import type { HttpResponse } from '../http/types.js';
import { retrysafeEngineDefaults } from '../shared/engine-defaults.js';
import { createLogger } from '../shared/logger.js';
import { type HeadersLike, verifyWebhook } from '../webhooks/verify.js';
import { downstreamKeyFor } from './downstream-key.js';
import { parseEvent, type ReceivedEvent } from './event.js';
import {
  inProgressAnswer,
  misconfiguredAnswer,
  notAnEventAnswer,
  receivedAnswer,
  unverifiedAnswer,
  workFailedAnswer,
} from './responses.js';

/** One HTTP delivery, as any server hands it over: the body exactly as received. */
export interface WebhookDelivery {
  readonly headers: HeadersLike;
  readonly body: string | Uint8Array;
  /** How much longer this invocation may run; the claim's lease covers it. Unknown: the engine's function timeout. */
  readonly remainingMs?: number;
}

/** What every log line about one delivery carries, so one charge is followed from the API request (A) to here (B) and on (C). */
export interface DeliveryLogContext {
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The Retrysafe API request that caused the event, and its Idempotency-Key's SHA-256 (the event's `request`). */
  readonly causedByRequestId: string | null;
  readonly causedByIdempotencyKeySha256: string | null;
}

export interface WorkContext {
  readonly webhookId: string;
  /** The Idempotency-Key to send downstream for `purpose`: derived from the event, the same on every redelivery. */
  readonly downstreamKey: (purpose: string) => IdempotencyKey;
  /** Logs with the delivery's log context. */
  readonly logger: Logger;
  readonly logContext: DeliveryLogContext;
}

/**
 * What the receiver does with an event, at most once per webhook-id while it succeeds: it runs
 * again only after it threw (or its invocation died), so whatever it writes must tolerate finding
 * its own earlier write, and whatever it calls must take the key `downstreamKey` gives.
 */
export type ConsumerWork = (event: ReceivedEvent, context: WorkContext) => Promise<void>;

export type WebhookConsumerOptions = ConsumerOptions &
  (
    | {
        /** The consumer table: `tableName` at least. */
        readonly idempotency: IdempotencyEngineOptions;
        readonly engine?: undefined;
      }
    | {
        /** An engine several consumers in one container share. */
        readonly engine: IdempotencyEngine;
      }
  );

interface ConsumerOptions {
  /** The endpoint's `whsec_` secret; during the receiver's own rotation, the old and the new one. */
  readonly secrets: string | readonly string[] | (() => string | readonly string[]);
  readonly work: ConsumerWork;
  /** Partitions the table between consumers sharing it, so one's webhook-ids never meet another's. */
  readonly scope?: string;
  readonly toleranceSeconds?: number;
  /** Epoch ms, for both the signature's age and the claim's lease; tests move it. */
  readonly now?: () => number;
}

export type ReceiveWebhook = (delivery: WebhookDelivery) => Promise<HttpResponse>;

const logger = createLogger('webhook-consumer');

/**
 * How long a processed webhook-id is remembered unless `idempotency.ttlSeconds` says otherwise:
 * well past a delivery's whole round of retries (defaultRetrySchedule adds up to ~28 hours), with
 * room for an operator's redrive in the days after. Forgotten sooner, a late redelivery would run
 * the work again.
 */
export const defaultReceiptTtlSeconds = 7 * 24 * 3600;

const textOf = (body: string | Uint8Array): string => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));

/** The body identifies the delivery: the same webhook-id with another body is not a redelivery. */
const fingerprintOf = (body: string | Uint8Array): string => createHash('sha256').update(body).digest('hex');

const logContextOf = (webhookId: string, event: ReceivedEvent): DeliveryLogContext => ({
  webhookId,
  eventId: event.id,
  eventType: event.type,
  causedByRequestId: event.request.id,
  causedByIdempotencyKeySha256: event.request.idempotency_key_sha256,
});

/**
 * An idempotent Standard Webhooks receiver: verify the signature, claim the webhook-id in the
 * consumer's own table (Retrysafe's idempotency engine: a conditional put, a lease, a TTL), run
 * the work, then record the answer, so a redelivery replays it. A delivery arriving while another
 * holds the claim answers 503 with Retry-After, which the sender retries; work that throws gives
 * the claim back and answers 500, so a redelivery runs it again.
 */
export const webhookConsumer = (options: WebhookConsumerOptions): ReceiveWebhook => {
  const now = options.now ?? Date.now;
  const engine =
    options.engine ??
    new IdempotencyEngine({ ...retrysafeEngineDefaults(), now, ttlSeconds: defaultReceiptTtlSeconds, ...options.idempotency });
  const given = options.secrets;
  const secrets = typeof given === 'function' ? given : () => given;

  return async ({ headers, body, remainingMs }) => {
    const verified = verifyWebhook(secrets(), headers, body, {
      now,
      ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
    });
    if (!verified.valid) {
      if (verified.reason === 'invalid-secret') {
        logger.error('No valid webhook secret is configured');
        return misconfiguredAnswer();
      }
      logger.warn('Rejected a webhook whose signature did not verify', { reason: verified.reason });
      return unverifiedAnswer(verified.reason);
    }
    const key = parseIdempotencyKeyHeader([verified.id]);
    if (key.kind !== 'present')
      return notAnEventAnswer(`The webhook-id cannot key a delivery: ${key.kind === 'invalid' ? key.reason : 'empty'}.`);
    const event = parseEvent(textOf(body));
    if (event === undefined) return notAnEventAnswer('The body is not a Retrysafe event.');

    const logContext = logContextOf(verified.id, event);
    const log = logger.createChild({ persistentKeys: { ...logContext } });
    const acquired = await engine.acquire({
      scope: options.scope,
      key: key.key,
      fingerprint: fingerprintOf(body),
      remainingMs: remainingMs ?? Number.POSITIVE_INFINITY,
    });
    if (acquired.kind === 'key-in-use') {
      log.info('Webhook is being processed by another delivery');
      return inProgressAnswer(acquired.retryAfterSeconds);
    }
    if (acquired.kind !== 'claimed') {
      log.info('Webhook already processed', { outcome: acquired.kind });
      return engine.answerFor(acquired);
    }

    const downstreamKey = (purpose: string): IdempotencyKey => {
      const derived = downstreamKeyFor(event.id, purpose);
      log.info('Downstream key derived from the event', { purpose, downstreamKey: derived });
      return derived;
    };
    try {
      await options.work(event, { webhookId: verified.id, downstreamKey, logger: log, logContext });
    } catch (error) {
      log.error('Webhook work failed; the claim is released for a redelivery', { error });
      await engine.release(acquired.claim);
      return workFailedAnswer();
    }
    log.info('Webhook processed');
    return engine.finish(acquired.claim, receivedAnswer(event.id));
  };
};
