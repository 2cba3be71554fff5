import type { Server } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiPipelineFromEnvironment } from '../../lambdas/http/api-route.js';
import type { Schedule } from '../../lambdas/http/deadline.js';
import type { HttpResponse } from '../../lambdas/http/types.js';
import { createAccountHandler } from '../../lambdas/payments/account-handler.js';
import { createChargesHandler } from '../../lambdas/payments/charges-handler.js';
import { merchantBalances, readLedgerEntries, type LedgerEntry } from '../../lambdas/payments/ledger.js';
import { paymentsStoreFromEnvironment } from '../../lambdas/payments/payments-store.js';
import type { CardProcessor } from '../../lambdas/payments/processor-client/card-processor.js';
import { sandboxProcessorClient } from '../../lambdas/payments/processor-client/sandbox-client.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { idempotencyEngineFor } from '../../lambdas/shared/idempotency-engine.js';
import { tableName } from '../../lambdas/shared/env.js';
import type { AccountId } from '../../lambdas/shared/ids.js';
import { startFunctionUrl } from '../../local/function-url.js';
import { freePort } from '../../local/ports.js';
import { restApiEvent } from '../../local/proxy-events.js';
import { assertDocumented } from '../support/contract.js';
import { lambdaContext } from '../support/events.js';
import type { TestTenant } from '../support/tenants.js';

/** The sandbox processor as a separate HTTP service, like the local stack runs it. */
export const startSandbox = async (): Promise<{ url: string; stop: () => void }> => {
  const port = await freePort();
  const server: Server = await startFunctionUrl('processor', port);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.closeAllConnections();
      server.close();
    },
  };
};

export interface Api {
  post(
    path: string,
    options: { tenant: TestTenant; key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<HttpResponse>;
  get(path: string, tenant: TestTenant, query?: Record<string, string>): Promise<HttpResponse>;
}

const templates = [
  '/v1/charges/{id}/refunds',
  '/v1/charges/{id}',
  '/v1/charges',
  '/v1/balance',
  '/v1/events',
  '/v1/idempotency_keys/{key+}',
];

const matchTemplate = (path: string): { resource: string; pathParameters?: Record<string, string> } => {
  for (const template of templates) {
    const [, name, greedy] = /\{(\w+)(\+?)\}/.exec(template) ?? [];
    const pattern = new RegExp(`^${template.replace(/\{\w+\+?\}/, greedy === '+' ? '(.+)' : '([^/]+)')}$`);
    const match = pattern.exec(path);
    if (match)
      return { resource: template, ...(name === undefined || match[1] === undefined ? {} : { pathParameters: { [name]: match[1] } }) };
  }
  throw new Error(`No route template for ${path}`);
};

/** Builds API Gateway events for the charges and account functions and invokes them in-process; every answer must be one openapi.json documents. */
export const api = (options: { processor: CardProcessor; now?: () => number; schedule?: Schedule }): Api => {
  const now = options.now ?? Date.now;
  const charges = createChargesHandler({
    api: apiPipelineFromEnvironment('charges', { now, ...(options.schedule === undefined ? {} : { schedule: options.schedule }) }),
    processor: options.processor,
    store: paymentsStoreFromEnvironment(),
    now,
  });
  const account = createAccountHandler({
    api: apiPipelineFromEnvironment('account', { now, ...(options.schedule === undefined ? {} : { schedule: options.schedule }) }),
    store: paymentsStoreFromEnvironment(),
    idempotency: idempotencyEngineFor('account', { now }),
  });
  const invoke = async (event: APIGatewayProxyEvent) => {
    const response = await (event.resource.startsWith('/v1/charges') ? charges(event, lambdaContext()) : account(event, lambdaContext()));
    assertDocumented(event.httpMethod, event.resource, { status: response.statusCode, headers: response.headers, body: response.body });
    return response;
  };
  return {
    post: (path, { tenant, key, body, headers }) =>
      invoke(
        restApiEvent({
          method: 'POST',
          path,
          ...matchTemplate(path),
          body,
          headers: { ...tenant.authorization, ...(key === undefined ? {} : { 'Idempotency-Key': key }), ...headers },
        }),
      ),
    get: (path, tenant, query) =>
      invoke(restApiEvent({ method: 'GET', path, ...matchTemplate(path), headers: tenant.authorization, ...(query ? { query } : {}) })),
  };
};

export const sandbox = (url: string, timeoutMs = 2_000): CardProcessor => sandboxProcessorClient({ baseUrl: url, timeoutMs });

/** Every ledger entry of an account, read straight from the ledger table. */
export const ledgerEntries = (account: AccountId): Promise<LedgerEntry[]> => readLedgerEntries(dynamo(), tableName('ledger'), account);

/** Every ledger transaction balances: per transaction and currency, debits equal credits. */
export const unbalancedTransactions = (entries: readonly LedgerEntry[]): string[] => {
  const sums = new Map<string, number>();
  for (const entry of entries) {
    const key = `${entry.transactionId}/${entry.currency}`;
    sums.set(key, (sums.get(key) ?? 0) + (entry.direction === 'debit' ? entry.amount : -entry.amount));
  }
  return [...sums].filter(([, sum]) => sum !== 0).map(([key]) => key);
};

export const ledgerBalance = async (account: AccountId): Promise<Record<string, number>> =>
  Object.fromEntries(merchantBalances(await ledgerEntries(account)));

// A typed view of a response body for assertions; the type parameter is the point.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export const json = <T = Record<string, unknown>>(response: HttpResponse): T => JSON.parse(response.body) as T;

/** How many charges the processor holds under one idempotency key, from its own listing. */
export const processorChargesFor = async (processorUrl: string, idempotencyKey: string, since: number): Promise<number> => {
  let count = 0;
  let cursor: string | undefined;
  do {
    const url = new URL('/charges', processorUrl);
    url.searchParams.set('since', String(since));
    url.searchParams.set('limit', '100');
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const page = (await (await fetch(url)).json()) as { data: { idempotency_key: string }[]; next_cursor: string | null };
    count += page.data.filter((charge) => charge.idempotency_key === idempotencyKey).length;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return count;
};
