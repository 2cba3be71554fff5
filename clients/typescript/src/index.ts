export {
  Retrysafe,
  type Balance,
  type Charge,
  type ChargeLookup,
  type CreateChargeParams,
  type CreateRefundParams,
  type CreateWebhookEndpointParams,
  type IdempotencyKeyState,
  type ListDeliveriesParams,
  type ListChargesParams,
  type ListEventsParams,
  type ListWebhookEndpointsParams,
  type Refund,
  type RetrysafeClientOptions,
  type RetrysafeEvent,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './client.js';
export type { CallOptions, CreateOptions, RetrysafeResult, Sleep } from './call.js';
export {
  isProblem,
  RetrysafeAbortError,
  RetrysafeConnectionError,
  RetrysafeError,
  RetrysafeProblemError,
  RetrysafeRetriesExhaustedError,
  type CallContext,
} from './errors.js';
export { deterministicKey, newIdempotencyKey } from './keys.js';
export {
  problemSlugs,
  problemTypeBase,
  type ContractProblemSlug,
  type KnownProblemSlug,
  type Problem,
  type ProblemDetails,
  type ProblemSlug,
} from './problems.js';
export type { RateLimitState } from './rate-limit.js';
export type { RetryOptions } from './retry.js';
export type { components, paths } from './schema.js';
