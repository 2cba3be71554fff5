import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RequestSigner } from '../lambdas/payments/processor-client/sigv4.js';
import type { Charge } from '../lambdas/payments/records.js';
import type { ProcessorCharge } from '../lambdas/sandbox-processor/charge.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { apiUrlOf } from './charge-client.js';

/** The sandbox processor's listing; a deployed function URL needs every request SigV4-signed. */
export interface ProcessorAccess {
  readonly url: string;
  readonly signRequest?: RequestSigner;
}

/** Where the audits read what the run left behind. */
export interface AuditSources {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly account: AccountId;
  readonly processor: ProcessorAccess;
  readonly dynamo: DynamoDBDocumentClient;
  readonly ledgerTable: string;
}

export type Amounts = ReadonlyMap<string, number>;

/** The audit's own reads may meet the tenant's rate limit; they wait as asked, this many times. */
const maxRateLimitedAttempts = 20;

const apiGet = async <T>(sources: AuditSources, path: string, query: Record<string, string> = {}): Promise<T> => {
  const url = apiUrlOf(sources.apiUrl, path);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${sources.apiKey}` } });
    const text = await response.text();
    if (response.status === 429 && attempt < maxRateLimitedAttempts) {
      await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
      continue;
    }
    if (response.status !== 200) throw new Error(`GET ${url.pathname}${url.search} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
};

/**
 * The tenant's charges through GET /v1/charges, newest first. With `sinceSeconds` the walk stops
 * at the first older charge (an existing tenant's history); without it, every charge is read.
 */
export const listCharges = async (sources: AuditSources, sinceSeconds?: number): Promise<Charge[]> => {
  const charges: Charge[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await apiGet<{ data: Charge[]; has_more: boolean }>(sources, '/v1/charges', {
      limit: '100',
      ...(startingAfter === undefined ? {} : { starting_after: startingAfter }),
    });
    for (const charge of page.data) {
      if (sinceSeconds !== undefined && charge.created < sinceSeconds) return charges;
      charges.push(charge);
    }
    startingAfter = page.data.at(-1)?.id;
    if (!page.has_more || startingAfter === undefined) return charges;
  }
};

export const readBalance = async (sources: AuditSources): Promise<Amounts> => {
  const balance = await apiGet<{ available: { currency: string; amount: number }[] }>(sources, '/v1/balance');
  return new Map(balance.available.map(({ currency, amount }) => [currency, amount]));
};

/** The processor's charges since `sinceMs` whose idempotency key is one of `downstreamKeys`. */
export const listProcessorCharges = async (
  processor: ProcessorAccess,
  sinceMs: number,
  downstreamKeys: ReadonlySet<string>,
): Promise<ProcessorCharge[]> => {
  const found: ProcessorCharge[] = [];
  const base = new URL(processor.url.endsWith('/') ? processor.url : `${processor.url}/`);
  let cursor: string | undefined;
  do {
    const url = new URL('charges', base);
    url.searchParams.set('since', String(sinceMs));
    url.searchParams.set('limit', '100');
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const headers = processor.signRequest === undefined ? {} : await processor.signRequest({ method: 'GET', url, headers: {}, body: '' });
    const response = await fetch(url, { headers });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`Processor GET ${url.pathname}${url.search} answered ${response.status}: ${text.slice(0, 300)}`);
    const page = JSON.parse(text) as { data: ProcessorCharge[]; next_cursor: string | null };
    for (const charge of page.data) if (downstreamKeys.has(charge.idempotency_key)) found.push(charge);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return found;
};
