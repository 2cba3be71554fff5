import {
  decodeResponse,
  type IdempotencyEngine,
  type IdempotencyKey,
  type KeyState,
  parseKeyValue,
  type StoredResponse,
} from '@retrysafe/idempotency';
import type { RouteInput } from '../http/api-route.js';
import { problem, problemResponse } from '../http/problem.js';
import { jsonResponse, type HttpResponse } from '../http/types.js';
import { fieldProblem } from '../http/validation.js';
import { downstreamKey } from './key-guard.js';
import type { PaymentsStore } from './payments-store.js';
import type { KeyGuardItem } from './records.js';

/** What a request made, named by the kinds of object the API's POST routes answer with. */
const resourceKinds = ['charge', 'refund', 'webhook_endpoint'] as const;
type ResourceKind = (typeof resourceKinds)[number];

export interface IdempotencyKeyView {
  object: 'idempotency_key';
  key: string;
  status: 'in_progress' | 'in_recovery' | 'completed';
  /** Epoch seconds the key was first claimed. */
  created: number;
  /** Epoch seconds after which the key is forgotten; null while a recovery point or a key guard keeps it. */
  expires_at: number | null;
  /** Once completed: the status the request was answered with and the object it made, if any. */
  response: { status: number; resource: { object: ResourceKind; id: string } | null } | null;
}

const seconds = (epochMs: number): number => Math.floor(epochMs / 1000);

const isResource = (value: unknown): value is { object: ResourceKind; id: string } =>
  typeof value === 'object' &&
  value !== null &&
  resourceKinds.includes((value as { object?: unknown }).object as ResourceKind) &&
  typeof (value as { id?: unknown }).id === 'string';

/** The object an answer made: its body, or the charge a decline embeds. */
const resourceOf = (answer: StoredResponse): { object: ResourceKind; id: string } | null => {
  let body: unknown;
  try {
    body = JSON.parse(answer.isBase64Encoded === true ? Buffer.from(answer.body, 'base64').toString('utf8') : answer.body);
  } catch {
    return null;
  }
  const made = isResource(body) ? body : (body as { charge?: unknown } | null)?.charge;
  return isResource(made) ? { object: made.object, id: made.id } : null;
};

const statusNames = { 'in-progress': 'in_progress', 'in-recovery': 'in_recovery', completed: 'completed' } as const;

const recordView = (key: IdempotencyKey, state: Exclude<KeyState, { kind: 'unknown' }>): IdempotencyKeyView => ({
  object: 'idempotency_key',
  key,
  status: statusNames[state.kind],
  created: seconds(state.since),
  expires_at: state.expiresAt === undefined ? null : seconds(state.expiresAt),
  response: state.kind === 'completed' ? { status: state.response.statusCode, resource: resourceOf(state.response) } : null,
});

/** A charge's or refund's key after its 24-hour record expired: the permanent guard still knows what it made. */
const guardView = (key: IdempotencyKey, guard: KeyGuardItem): IdempotencyKeyView => ({
  object: 'idempotency_key',
  key,
  status: 'completed',
  created: seconds(guard.createdAt),
  expires_at: null,
  response: { status: decodeResponse(guard).statusCode, resource: resourceOf(decodeResponse(guard)) },
});

const keyNotFound = (): HttpResponse =>
  problemResponse(
    problem('not-found', {
      detail:
        'No request with this Idempotency-Key is known on this account: it never arrived, ended without an answer worth keeping (it may be sent again), or expired.',
    }),
  );

export interface IdempotencyKeyQueryDeps {
  readonly idempotency: IdempotencyEngine;
  readonly store: PaymentsStore;
}

/**
 * GET /v1/idempotency_keys/{key}: what became of a request, for a client that lost its answer
 * and should not have to POST again to find out. Keys are scoped by account, so another
 * account's key is simply unknown here: 404, like any key never sent.
 */
export const getIdempotencyKey = async (deps: IdempotencyKeyQueryDeps, { tenant, event }: RouteInput<undefined>): Promise<HttpResponse> => {
  const key = parseKeyValue(event.pathParameters?.key ?? '');
  if (key === undefined) throw fieldProblem('key', 'must be 1-255 printable ASCII characters');
  const state = await deps.idempotency.describe(tenant, key);
  if (state.kind !== 'unknown') return jsonResponse(200, recordView(key, state));
  const guard = await deps.store.findKeyGuard(tenant, downstreamKey(tenant, key));
  return guard === undefined ? keyNotFound() : jsonResponse(200, guardView(key, guard));
};
