import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EventItem, RetrysafeEvent } from '../lambdas/events/outbox.js';
import type { RequestSigner } from '../lambdas/payments/processor-client/sigv4.js';
import { downstreamKey } from '../lambdas/payments/key-guard.js';
import { readLedgerEntries, type LedgerEntry } from '../lambdas/payments/ledger.js';
import type { Charge } from '../lambdas/payments/records.js';
import type { ProcessorCharge } from '../lambdas/sandbox-processor/charge.js';
import type { ProcessorRefund } from '../lambdas/sandbox-processor/refund.js';
import { accountPartition } from '../lambdas/shared/account-partition.js';
import { queryAll } from '../lambdas/shared/dynamodb.js';
import type { AccountId } from '../lambdas/shared/ids.js';
import { apiUrlOf } from './charge-client.js';
import type { Amounts } from './counterparts.js';
import type { LoadRun } from './driver.js';

/** The sandbox processor's listing; a deployed function URL needs every request SigV4-signed. */
export interface ProcessorAccess {
  readonly url: string;
  readonly signRequest?: RequestSigner;
}

/** What the run left behind on the server, read once the completer had resolved every recovery point. */
export interface ServerSnapshot {
  /** The run's Retrysafe charges (all of a fresh tenant's charges). */
  readonly charges: readonly Charge[];
  /** The processor's charges under the run's downstream keys. */
  readonly processorCharges: readonly ProcessorCharge[];
  /** The processor's refunds of those charges. */
  readonly processorRefunds: readonly ProcessorRefund[];
  /** The run's events (all of a fresh tenant's events). */
  readonly events: readonly RetrysafeEvent[];
  /** The tenant's whole ledger partition. */
  readonly ledger: readonly LedgerEntry[];
  readonly balanceBefore: Amounts;
  readonly balanceAfter: Amounts;
}

/** Where the audits read what the run left behind. */
export interface AuditSources {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly account: AccountId;
  readonly processor: ProcessorAccess;
  readonly dynamo: DynamoDBDocumentClient;
  readonly ledgerTable: string;
  /** The outbox: the API lists events a page of 100 at most, without a cursor. */
  readonly eventsTable: string;
}

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

/** Every object of one of the processor's listings created since `sinceMs`, page by page. */
const listProcessor = async <T>(processor: ProcessorAccess, path: 'charges' | 'refunds', sinceMs: number): Promise<T[]> => {
  const found: T[] = [];
  const base = new URL(processor.url.endsWith('/') ? processor.url : `${processor.url}/`);
  let cursor: string | undefined;
  do {
    const url = new URL(path, base);
    url.searchParams.set('since', String(sinceMs));
    url.searchParams.set('limit', '100');
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const headers = processor.signRequest === undefined ? {} : await processor.signRequest({ method: 'GET', url, headers: {}, body: '' });
    const response = await fetch(url, { headers });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`Processor GET ${url.pathname}${url.search} answered ${response.status}: ${text.slice(0, 300)}`);
    const page = JSON.parse(text) as { data: T[]; next_cursor: string | null };
    found.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return found;
};

/** The processor's charges since `sinceMs` whose idempotency key is one of `downstreamKeys`. */
export const listProcessorCharges = async (
  processor: ProcessorAccess,
  sinceMs: number,
  downstreamKeys: ReadonlySet<string>,
): Promise<ProcessorCharge[]> =>
  (await listProcessor<ProcessorCharge>(processor, 'charges', sinceMs)).filter((charge) => downstreamKeys.has(charge.idempotency_key));

/** The processor's refunds since `sinceMs` of one of `processorChargeIds`. */
export const listProcessorRefunds = async (
  processor: ProcessorAccess,
  sinceMs: number,
  processorChargeIds: ReadonlySet<string>,
): Promise<ProcessorRefund[]> =>
  (await listProcessor<ProcessorRefund>(processor, 'refunds', sinceMs)).filter((refund) => processorChargeIds.has(refund.charge));

/** The tenant's events, read from the outbox table, strongly consistent. */
export const readEvents = async (sources: AuditSources): Promise<RetrysafeEvent[]> =>
  (
    await queryAll<EventItem>(sources.dynamo, {
      TableName: sources.eventsTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': accountPartition(sources.account) },
      ConsistentRead: true,
    })
  ).map((item) => item.event);

/** Margin before the run's start for the processor listing, against clock skew with a deployed processor. */
const processorSinceMarginMs = 60_000;

export interface SnapshotOptions {
  readonly balanceBefore: Amounts;
  /** Set for an existing tenant: only charges and events created from this epoch second on are the run's. */
  readonly sinceSeconds?: number;
}

export const readSnapshot = async (run: LoadRun, sources: AuditSources, options: SnapshotOptions): Promise<ServerSnapshot> => {
  const downstreamKeys = new Set([...run.plans.keys()].map((key) => downstreamKey(sources.account, key)));
  const processorSince = run.startedAtEpochMs - processorSinceMarginMs;
  const [charges, processorCharges, events, ledger, balanceAfter] = await Promise.all([
    listCharges(sources, options.sinceSeconds),
    listProcessorCharges(sources.processor, processorSince, downstreamKeys),
    readEvents(sources),
    readLedgerEntries(sources.dynamo, sources.ledgerTable, sources.account),
    readBalance(sources),
  ]);
  const processorRefunds = await listProcessorRefunds(sources.processor, processorSince, new Set(processorCharges.map(({ id }) => id)));
  const since = options.sinceSeconds;
  return {
    charges,
    processorCharges,
    processorRefunds,
    events: since === undefined ? events : events.filter((event) => event.created >= since),
    ledger,
    balanceBefore: options.balanceBefore,
    balanceAfter,
  };
};
