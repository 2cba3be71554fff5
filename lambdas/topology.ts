/**
 * The one description of Retrysafe's resources: tables, queues, functions, routes and event
 * sources. The CDK stack (lib/) and the local stack (local/) both build from this module, so a
 * table, a queue or a route exists in both or in neither.
 *
 * This module is plain data with no imports: Lambda bundles include it to learn their
 * environment variable names without pulling in CDK.
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /**
   * What the index copies from each item; ALL when absent. KEYS_ONLY keeps the index out of
   * every write that leaves its keys alone, and its readers read the item itself.
   */
  readonly projection?: 'ALL' | 'KEYS_ONLY';
}

/**
 * How a table is kept when the stack is deployed to several regions (CDK context
 * `retrysafe:regions`); a single-region deployment ignores it.
 *
 * - strong: a multi-region strong consistency (MRSC) global table. A conditional write is
 *   checked against the latest version in every region before it returns, so a claim made in
 *   one region is a claim in all of them. MRSC supports no TTL, no transactions and no local
 *   secondary indexes, so only a table that needs none of them can be strong.
 * - eventual: a multi-region eventual consistency (MREC) global table: replicated
 *   asynchronously, last writer wins. Correct only for items with one writing region, which the
 *   design guarantees for every eventual table (see lambdas/regions/).
 * - regional: not replicated: each region has a table of its own.
 */
export type Replication = 'strong' | 'eventual' | 'regional';

export interface TableSpec {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry that DynamoDB's native TTL deletes on. */
  readonly ttlAttribute?: string;
  /** Stream view for consumers; absent when nothing consumes the table's changes. */
  readonly stream?: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES';
  readonly globalSecondaryIndexes?: readonly IndexSpec[];
  /** Deployed only with this card processor (CDK context `retrysafe:processor`); absent, always. */
  readonly onlyWithProcessor?: 'sandbox';
  readonly purpose: string;
}

/** One of Retrysafe's own tables: a table, and how it is kept across regions. */
export interface RetrysafeTableSpec extends TableSpec {
  readonly replication: Replication;
  /** Why the table is kept that way across regions: the README's multi-region table quotes it. */
  readonly replicationReason: string;
  /** Deployed only to several regions (CDK context `retrysafe:regions`); a single region never needs it. */
  readonly onlyMultiRegion?: true;
}

/**
 * The recovery sweeper's indexes are sparse: an item is in one only while it carries the
 * index's sort key, so a query reads exactly the work left over, never the table. Their
 * partition key is a small fixed shard number (lambdas/shared/sweep-index.ts) rather than one
 * value, so the index writes of a busy table spread over several partitions.
 */
const sweepShardKey = { name: 'sweepShard', type: 'N' } as const satisfies KeyAttribute;

/** Outbox events the publisher has not marked published yet, oldest first per shard. */
export const unpublishedEventsIndex = {
  indexName: 'unpublished',
  partitionKey: sweepShardKey,
  sortKey: { name: 'unpublishedSince', type: 'N' },
  projection: 'KEYS_ONLY',
} as const satisfies IndexSpec;

/** Pending webhook deliveries by when their next attempt is due; delivered and failed ones have no due time. */
export const pendingDeliveriesIndex = {
  indexName: 'pendingDeliveries',
  partitionKey: sweepShardKey,
  sortKey: { name: 'nextAttemptAt', type: 'N' },
  projection: 'KEYS_ONLY',
} as const satisfies IndexSpec;

/**
 * API keys by the account they authenticate, keys only: an account exists when it has a key,
 * which is how the reconciler tells a processor object naming a real tenant from one naming
 * nobody. Keys are hashed, so the index gives out nothing a key could be rebuilt from.
 */
export const apiKeysByAccountIndex = {
  indexName: 'byAccount',
  partitionKey: { name: 'accountId', type: 'S' },
  projection: 'KEYS_ONLY',
} as const satisfies IndexSpec;

export const tables = {
  apiKeys: {
    partitionKey: { name: 'keyHash', type: 'S' },
    globalSecondaryIndexes: [apiKeysByAccountIndex],
    replication: 'eventual',
    replicationReason:
      'Written only by `npm run keys`, one item per key; a new or revoked key reaches the other regions within the replication delay (about a second).',
    purpose: 'API keys, stored as SHA-256 hashes, mapped to the account they authenticate.',
  },
  idempotency: {
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [
      // Sparse: only unresolved recovery points carry the keys, so the completer reads nothing else.
      { indexName: 'recovery', partitionKey: { name: 'recoveryShard', type: 'S' }, sortKey: { name: 'recoverAt', type: 'N' } },
    ],
    replication: 'eventual',
    replicationReason:
      'Needs TTL and commits in the same transaction as the payment, neither of which MRSC allows. Each record is written only in the region that owns its key (keyOwners), so a replica is a read-only copy another region can replay from.',
    purpose: 'Idempotency records: claims, leases, stored responses, and recovery points of requests that reach the processor.',
  },
  rateLimits: {
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expiresAt',
    replication: 'regional',
    replicationReason:
      "Read and written on every request; replicated, two regions would overwrite each other's buckets. Each region limits on its own: a tenant may use its limit in each region, and the limit protects each region's capacity.",
    purpose: 'Token buckets (GCRA state) and per-tenant limit overrides.',
  },
  payments: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    replication: 'eventual',
    replicationReason:
      "Commits in one transaction with the ledger, the outbox and the key's record. Charges, refunds and key guards are created once, in the region that owns their key; balance shards are per region, so no two regions ever update the same item.",
    purpose: 'Charges, refunds, balances and permanent idempotency-key guards.',
  },
  ledger: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    replication: 'eventual',
    replicationReason: 'Append-only: every entry is created once, in the transaction of the charge or refund it records.',
    purpose: 'Append-only double-entry ledger entries.',
  },
  events: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
    stream: 'NEW_IMAGE',
    globalSecondaryIndexes: [unpublishedEventsIndex],
    replication: 'eventual',
    replicationReason:
      "Needs TTL and its stream, and is written in the payment's transaction. Each event names the region that wrote it, and only that region publishes it, though every replica's stream shows it.",
    purpose: 'The transactional outbox: events written with the change they describe.',
  },
  webhooks: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expiresAt',
    globalSecondaryIndexes: [pendingDeliveriesIndex],
    replication: 'eventual',
    replicationReason:
      'Needs TTL. Endpoints are configuration (the last change wins); a delivery is created and retried only by the region that published its event.',
    purpose: 'Webhook endpoints and the state of every delivery attempt.',
  },
  processor: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    onlyWithProcessor: 'sandbox',
    replication: 'regional',
    replicationReason:
      'The sandbox stands in for a processor in each region, as Stripe is one system of its own; a key executes in one region only, so it is asked in that region only.',
    purpose: "The sandbox card processor's own charges, keyed by its own idempotency key.",
  },
  reconciliation: {
    // One item per processor listing ('charges', 'refunds'): each is walked, and settles, on its own.
    partitionKey: { name: 'pk', type: 'S' },
    replication: 'regional',
    replicationReason: "Each region's reconciler walks its own processor listing from its own watermark.",
    purpose: "The reconciler's watermarks: how far it has matched the processor's charges and its refunds with Retrysafe's records.",
  },
  keyOwners: {
    // No TTL attribute: MRSC has no TTL, so an owner's expiry is an attribute the claim condition
    // compares itself (lambdas/regions/key-owners.ts).
    partitionKey: { name: 'pk', type: 'S' },
    replication: 'strong',
    replicationReason:
      'The one cross-region lock: a conditional put that succeeds in exactly one region, checked against every region before it returns. One item per key, no TTL, no transaction, no index: everything MRSC allows.',
    onlyMultiRegion: true,
    purpose: 'Which region owns each payment key: the only region that may execute it, complete it or record it.',
  },
} as const satisfies Record<string, RetrysafeTableSpec>;

export type TableName = keyof typeof tables;

export interface QueueSpec {
  /** Seconds a received message stays hidden; at least six times the consumer's timeout. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly retentionSeconds: number;
  readonly purpose: string;
}

export const queues = {
  webhookDeliveries: {
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 20,
    retentionSeconds: 14 * 24 * 3600,
    purpose: 'One message per (event, endpoint) delivery; each receive is one attempt.',
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof queues;

/**
 * What a function may do with a table; the CDK stack turns each into a least-privilege grant.
 * 'update' changes items that exist and nothing else: no reads, no puts, no deletes.
 */
export type TableAccess = 'read' | 'readwrite' | 'append' | 'update' | 'stream';

/** A function's access to one table: one level, or several that together say what it does. */
export type TableAccesses = TableAccess | readonly TableAccess[];

export const accessLevels = (accesses: TableAccesses): readonly TableAccess[] => (typeof accesses === 'string' ? [accesses] : accesses);
/**
 * What a function may do with a queue. 'send': enqueue. 'consume': an event source mapping
 * delivers its messages, and the consumer may re-enqueue (retries ride on SQS delays) and
 * park messages in the queue's dead-letter queue.
 */
export type QueueAccess = 'send' | 'consume';

/**
 * The settings (lambdas/settings.ts) that hold a schedule's interval in seconds. Every recovery
 * job (work an interrupted path left behind, found in the tables) shares one cadence.
 */
export type IntervalSetting = 'RECOVERY_INTERVAL_SECONDS';

export interface FunctionSpec {
  /** Module under lambdas/ exporting `handler`, relative to the repository root. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly tables: Partial<Record<TableName, TableAccesses>>;
  readonly queues?: Partial<Record<QueueName, QueueAccess>>;
  /** Needs to call the card processor (the sandbox or Stripe). */
  readonly callsProcessor?: boolean;
  /**
   * Invoked on a timer, every so many seconds as this setting says: an EventBridge rule when
   * deployed, a timer in the local stack. Its event carries no work; the function finds it.
   */
  readonly runsEvery?: IntervalSetting;
  /**
   * On the money path: the deployed stack may reserve concurrency for it (context
   * retrysafe:moneyPathReservedConcurrency), so no other function can take what a charge needs.
   */
  readonly moneyPath?: boolean;
  /** Deployed only with this card processor (CDK context `retrysafe:processor`); absent, always. */
  readonly onlyWithProcessor?: 'sandbox';
  readonly purpose: string;
}

export const functions = {
  health: {
    entry: 'lambdas/health/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 3,
    tables: {},
    purpose: 'The public routes, no authentication and no tables: liveness, and the OpenAPI contract.',
  },
  charges: {
    entry: 'lambdas/payments/charges-handler.ts',
    memoryMb: 1024,
    timeoutSeconds: 15,
    tables: {
      apiKeys: 'read',
      rateLimits: 'readwrite',
      idempotency: 'readwrite',
      // The system of record: read, created once (conditional puts) and updated in place (refunded
      // amounts, balance shards), never deleted or overwritten in batches.
      payments: ['read', 'append', 'update'],
      ledger: 'append',
      events: 'append',
      keyOwners: 'readwrite',
    },
    callsProcessor: true,
    moneyPath: true,
    purpose: 'Charges and refunds: the money-moving routes.',
  },
  account: {
    entry: 'lambdas/payments/account-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    tables: { apiKeys: 'read', rateLimits: 'readwrite', payments: 'read', events: 'read', idempotency: 'read' },
    purpose: 'Balance, event listing, and what became of a request by its Idempotency-Key.',
  },
  webhookEndpoints: {
    entry: 'lambdas/webhooks/endpoints-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    tables: { apiKeys: 'read', rateLimits: 'readwrite', idempotency: 'readwrite', webhooks: 'readwrite', keyOwners: 'readwrite' },
    queues: { webhookDeliveries: 'send' },
    purpose: 'Webhook endpoint management, delivery history and redrive.',
  },
  webhookPublisher: {
    entry: 'lambdas/webhooks/publisher-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    tables: { events: ['stream', 'update'], webhooks: 'readwrite' },
    queues: { webhookDeliveries: 'send' },
    purpose: 'Turns each new outbox event into one delivery per matching endpoint, then marks the event published.',
  },
  webhookDispatcher: {
    entry: 'lambdas/webhooks/dispatcher-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    tables: { webhooks: 'readwrite' },
    queues: { webhookDeliveries: 'consume' },
    purpose: 'Sends signed webhook requests and schedules retries.',
  },
  webhookSweeper: {
    entry: 'lambdas/webhooks/sweeper-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tables: { events: ['read', 'update'], webhooks: 'readwrite' },
    queues: { webhookDeliveries: 'send' },
    runsEvery: 'RECOVERY_INTERVAL_SECONDS',
    purpose: 'Recovery job: publishes outbox events the stream left unpublished, re-enqueues deliveries whose message was lost.',
  },
  completer: {
    entry: 'lambdas/payments/completer-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tables: {
      idempotency: 'readwrite',
      payments: ['read', 'append', 'update'],
      ledger: 'append',
      events: 'append',
      keyOwners: 'readwrite',
    },
    callsProcessor: true,
    runsEvery: 'RECOVERY_INTERVAL_SECONDS',
    purpose:
      'Recovery job: drives every charge and refund whose executor stopped before an answer to a final state, whether or not anybody retries.',
  },
  reconciler: {
    entry: 'lambdas/reconciliation/reconciler-handler.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tables: {
      // Accounts exist by their keys; recovery points are read, never taken over (the completer's job).
      apiKeys: 'read',
      idempotency: 'read',
      // What a recovered charge or refund writes, and nothing more: new items and updates, never a delete.
      payments: ['read', 'append', 'update'],
      ledger: 'append',
      events: 'append',
      reconciliation: 'readwrite',
    },
    callsProcessor: true,
    runsEvery: 'RECOVERY_INTERVAL_SECONDS',
    purpose:
      "Recovery job: walks the processor's charges and refunds, matches each with Retrysafe's records, records what Retrysafe lost and reports what disagrees.",
  },
  processor: {
    entry: 'lambdas/sandbox-processor/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    tables: { processor: 'readwrite' },
    moneyPath: true,
    onlyWithProcessor: 'sandbox',
    purpose: 'The sandbox card processor, a separate service with its own idempotency.',
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functions;

/** Whether a table or function is deployed with this card processor. */
export const deployedWithProcessor = (spec: { readonly onlyWithProcessor?: string }, processor: string): boolean =>
  spec.onlyWithProcessor === undefined || spec.onlyWithProcessor === processor;

/** Whether a table is deployed with this processor to this many regions. */
export const tableDeployed = (
  spec: RetrysafeTableSpec,
  deployment: { readonly processor: string; readonly multiRegion: boolean },
): boolean => deployedWithProcessor(spec, deployment.processor) && (spec.onlyMultiRegion === undefined || deployment.multiRegion);

export interface ScheduleSpec {
  readonly function: FunctionName;
  readonly every: IntervalSetting;
}

/** Every function that runs on a timer, with the setting holding its interval. */
export const schedules: readonly ScheduleSpec[] = (Object.entries(functions) as [FunctionName, FunctionSpec][]).flatMap(([name, spec]) =>
  spec.runsEvery === undefined ? [] : [{ function: name, every: spec.runsEvery }],
);

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway resource template; path parameters in braces, a greedy one (`{name+}`, may hold "/") last. */
  readonly path: string;
  readonly function: FunctionName;
}

export const routes = [
  { method: 'GET', path: '/health', function: 'health' },
  { method: 'GET', path: '/openapi.json', function: 'health' },
  { method: 'POST', path: '/v1/charges', function: 'charges' },
  { method: 'GET', path: '/v1/charges', function: 'charges' },
  { method: 'GET', path: '/v1/charges/{id}', function: 'charges' },
  { method: 'POST', path: '/v1/charges/{id}/refunds', function: 'charges' },
  { method: 'GET', path: '/v1/balance', function: 'account' },
  { method: 'GET', path: '/v1/events', function: 'account' },
  // Greedy ({key+}): a key may hold any printable character, "/" too.
  { method: 'GET', path: '/v1/idempotency_keys/{key+}', function: 'account' },
  { method: 'POST', path: '/v1/webhook_endpoints', function: 'webhookEndpoints' },
  { method: 'GET', path: '/v1/webhook_endpoints', function: 'webhookEndpoints' },
  { method: 'DELETE', path: '/v1/webhook_endpoints/{id}', function: 'webhookEndpoints' },
  { method: 'GET', path: '/v1/webhook_endpoints/{id}/deliveries', function: 'webhookEndpoints' },
  { method: 'POST', path: '/v1/webhook_endpoints/{id}/deliveries/redrive', function: 'webhookEndpoints' },
  { method: 'POST', path: '/v1/webhook_endpoints/{id}/rotate_secret', function: 'webhookEndpoints' },
] as const satisfies readonly RouteSpec[];

export type RouteKey = `${(typeof routes)[number]['method']} ${(typeof routes)[number]['path']}`;

/** POST routes honour an Idempotency-Key, so a function serving one claims keys. */
export const claimsIdempotencyKeys = (fn: FunctionName): boolean =>
  (routes as readonly RouteSpec[]).some((route) => route.function === fn && route.method === 'POST');

/** What a stream record reports about its item: created, changed, or deleted (by TTL, too). */
export type StreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

export interface EventSourceSpec {
  readonly function: FunctionName;
  readonly batchSize: number;
  /** Seconds to gather a batch before invoking; 0 invokes as soon as records arrive. */
  readonly maxBatchingWindowSeconds: number;
  readonly source: { readonly kind: 'queue'; readonly queue: QueueName } | { readonly kind: 'stream'; readonly table: TableName };
  /**
   * Stream only: the records that invoke the function, by eventName; the mapping drops the
   * others before any invocation. Absent, every record does.
   */
  readonly eventNames?: readonly StreamEventName[];
  /**
   * Stream only: attempts before a poison record is skipped (and reported to the failure queue);
   * -1 retries until the record is too old (maxRecordAgeSeconds).
   */
  readonly retryAttempts?: number;
  /**
   * Stream only: a record older than this is skipped (and reported to the failure queue)
   * instead of being delivered or retried; absent, only leaving the stream after 24 hours ends it.
   */
  readonly maxRecordAgeSeconds?: number;
  /**
   * Queue only: the most invocations the mapping runs at once (SQS allows 2 to 1,000); absent,
   * it scales with the queue's backlog until the account's concurrency runs out.
   */
  readonly maxConcurrency?: number;
}

export const eventSources = [
  {
    function: 'webhookPublisher',
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    source: { kind: 'stream', table: 'events' },
    // New events only: marking an event published (a MODIFY) and TTL expiry (a REMOVE) must not
    // invoke the publisher.
    eventNames: ['INSERT'],
    // The publisher reports only transient failures (malformed records are logged and skipped),
    // so a failing record is retried, but only for 15 minutes: the webhook sweeper re-publishes
    // every event left unpublished for a few minutes (lambdas/webhooks/outbox-sweep.ts), so a
    // record dropped at that age loses nothing, and a record that keeps failing holds up its
    // shard for 15 minutes instead of the stream's 24 hours. Well above the seconds a healthy
    // stream takes, so a backlog alone never makes the mapping drop records.
    retryAttempts: -1,
    maxRecordAgeSeconds: 15 * 60,
  },
  {
    function: 'webhookDispatcher',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    source: { kind: 'queue', queue: 'webhookDeliveries' },
    // An attempt may wait up to WEBHOOK_TIMEOUT_MS (10 s) on a slow receiver, so a backlog
    // against slow endpoints would otherwise grow the dispatcher towards the whole account's
    // concurrency and leave charges throttled. 20 invocations of up to 10 attempts each (sent
    // in parallel) hold at most 2% of the default 1,000, and still deliver at least 20 attempts
    // a second when every receiver hangs; what waits stays on the queue, which is cheap.
    maxConcurrency: 20,
  },
] as const satisfies readonly EventSourceSpec[];

/** Environment variable through which a function learns a table's physical name. */
export const tableEnvVar = (table: TableName): string => `TABLE_${screamingSnake(table)}`;

/** Environment variable through which a function learns a queue's URL. */
export const queueUrlEnvVar = (queue: QueueName): string => `QUEUE_URL_${screamingSnake(queue)}`;

/** Environment variable through which a function learns a queue's dead-letter queue URL. */
export const deadLetterQueueUrlEnvVar = (queue: QueueName): string => `DLQ_URL_${screamingSnake(queue)}`;

const screamingSnake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
