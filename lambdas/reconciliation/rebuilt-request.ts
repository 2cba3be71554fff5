import { requestFingerprint } from '@retrysafe/idempotency';
import { clientMetadataOf } from '../payments/processor-metadata.js';
import type { ProcessorChargeSnapshot, ProcessorRefundSnapshot } from '../payments/processor-client/card-processor.js';
import { createChargeSchema, type CreateChargeRequest, type CreateRefundRequest } from '../payments/requests.js';
import type { ChargeId } from '../shared/ids.js';
import type { RouteKey } from '../topology.js';

/**
 * The request a processor object was made for, rebuilt from what the processor kept of it, for
 * the reconciler to record it by the request's own decision. The client's exact body is gone
 * with its idempotency record, so the fingerprint its key guard keeps is that of the body in its
 * plainest form (no empty metadata, a refund's amount spelled out): a late retry sending that
 * body is replayed, one that spelled it otherwise is told the key was used for another request.
 */

const fingerprintOf = (route: RouteKey, pathParameters: Readonly<Record<string, string>> | null, body: object): string => {
  const [method, template] = route.split(' ') as [string, string];
  return requestFingerprint({ method, route: template, pathParameters, body });
};

/** Undefined when no request Retrysafe accepts could have made the charge (a currency it does not take, say). */
export const chargeRequestOf = (charge: ProcessorChargeSnapshot): CreateChargeRequest | undefined => {
  const metadata = clientMetadataOf(charge.metadata);
  const parsed = createChargeSchema.safeParse({
    amount: charge.amount,
    currency: charge.currency,
    source: charge.source,
    ...(charge.description === null ? {} : { description: charge.description }),
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  });
  return parsed.success ? parsed.data : undefined;
};

export const chargeFingerprint = (request: CreateChargeRequest): string => fingerprintOf('POST /v1/charges', null, request);

export const refundRequestOf = (refund: ProcessorRefundSnapshot): CreateRefundRequest => ({ amount: refund.amount });

export const refundFingerprint = (charge: ChargeId, request: CreateRefundRequest): string =>
  fingerprintOf('POST /v1/charges/{id}/refunds', { id: charge }, request);
