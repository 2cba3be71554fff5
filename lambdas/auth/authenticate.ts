import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { headerValues } from '@retrysafe/idempotency';
import { ProblemError } from '../http/problem.js';
import type { ApiGatewayEvent } from '../http/types.js';
import { dynamo } from '../shared/dynamodb.js';
import { tableName } from '../shared/env.js';
import type { AccountId } from '../shared/ids.js';
import { type ActiveKey, findActiveKey } from './api-keys.js';

/** The Lambda context once a request is authenticated: every later step is tenant-scoped. */
export interface TenantContext extends Context {
  tenant: AccountId;
}

export interface AuthenticateOptions {
  /** Resolves a presented key to its account while the key authenticates; defaults to the apiKeys table. */
  readonly lookup?: (apiKey: string) => Promise<ActiveKey | undefined>;
  /** How long a warm Lambda trusts a resolved key: a revocation takes effect within this time. */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

/** How long a warm Lambda trusts a key it resolved: the bound on how long a revoked key keeps working. */
export const defaultKeyCacheTtlMs = 60_000;

const unauthorized = (detail: string): ProblemError => new ProblemError('unauthorized', { detail });

const bearerPattern = /^Bearer\s+(\S+)\s*$/i;

/**
 * Resolves `Authorization: Bearer <key>` to the tenant. Successful look-ups are cached per warm
 * instance so the hot path does not pay a DynamoDB read for every request; unknown keys are not
 * cached, so a key created a moment ago works at once.
 */
export const authenticate = (options: AuthenticateOptions = {}): MiddlewareObj<ApiGatewayEvent, unknown, Error, TenantContext> => {
  const now = options.now ?? Date.now;
  const lookup = options.lookup ?? ((apiKey: string) => findActiveKey(dynamo(), tableName('apiKeys'), apiKey, now()));
  const cacheTtlMs = options.cacheTtlMs ?? defaultKeyCacheTtlMs;
  const cache = new Map<string, { account: AccountId; until: number }>();

  return {
    before: async (request) => {
      // API Gateway's single-value map keeps the last of repeated headers, where Node and many
      // proxies keep the first: two of them could authenticate as one key and be logged as the other.
      const [header, ...repeated] = headerValues(request.event, 'authorization');
      if (repeated.length > 0) throw new ProblemError('malformed-request', { detail: 'Send the Authorization header once.' });
      if (header === undefined) throw unauthorized('Send your API key as "Authorization: Bearer <key>".');
      const apiKey = bearerPattern.exec(header)?.[1];
      if (apiKey === undefined) throw unauthorized('The Authorization header must be "Bearer <key>".');

      const cached = cache.get(apiKey);
      if (cached !== undefined && cached.until > now()) {
        request.context.tenant = cached.account;
        return;
      }
      const active = await lookup(apiKey);
      if (active === undefined) throw unauthorized('The API key is not valid.');
      // A rotated key's grace period ends on time, cached or not.
      cache.set(apiKey, { account: active.account, until: Math.min(now() + cacheTtlMs, active.endsAtMs ?? Infinity) });
      request.context.tenant = active.account;
    },
  };
};
