import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import {
  type CommittableResponse,
  idempotency,
  type IdempotencyContext,
  IdempotencyEngine,
  type TransactItem,
  withAtomicCommit,
} from '@retrysafe/idempotency';
import { errorResponses } from '../../lambdas/http/error-responses.js';
import { retrysafeIdempotencyAnswers } from '../../lambdas/http/idempotency-problems.js';
import { answerOfThrown } from '../../lambdas/http/problem.js';
import { jsonResponse, type HttpResponse } from '../../lambdas/http/types.js';
import { createDocumentClient } from '../../lambdas/shared/dynamodb.js';
import { createLambdaContext } from '../../local/lambda-context.js';
import { meterCalls, type CallMeter } from './call-meter.js';
import { localDynamoDbClient } from './dynamodb.js';

export type Invoke = (event: APIGatewayProxyEvent) => Promise<HttpResponse>;

export type ContenderId = 'retrysafe' | 'powertools';

/** One idempotency library wrapped around the same trivial handler, on its own metered client. */
export interface Contender {
  readonly id: ContenderId;
  readonly label: string;
  readonly meter: CallMeter;
  /** How many times a handler body ran: a replay or a collision that runs it is a failure. */
  readonly handlerRuns: () => number;
  /** The trivial handler (201, small JSON body); `holdAt` keeps it executing until released. */
  trivial(holdAt?: () => Promise<void>): Invoke;
  /** The trivial handler plus one business write, done the way each library allows. */
  committing(): Invoke;
  destroy(): void;
}

/**
 * How many COMPLETED records a contender keeps in memory per container, for the warm-cache row;
 * absent, none: every replay reads DynamoDB, as in the other rows.
 */
export interface ContenderCache {
  readonly completedEntries?: number;
}

export interface ContenderTables {
  readonly retrysafe: string;
  readonly powertools: string;
  readonly business: string;
}

/** Every table a contender touches is either its idempotency store or the business table. */
const categoryOf = (tables: ContenderTables) => (table: string) => (table === tables.business ? 'business' : 'idempotency');

const keyOf = (event: APIGatewayProxyEvent): string => event.headers['Idempotency-Key'] ?? 'none';

const created = (event: APIGatewayProxyEvent): HttpResponse =>
  jsonResponse(
    201,
    { id: `thing_${keyOf(event)}`, object: 'thing', amount: 1000, currency: 'usd' },
    { Location: `/v1/things/thing_${keyOf(event)}` },
  );

const businessPut = (table: string, event: APIGatewayProxyEvent): TransactItem => ({
  Put: { TableName: table, Item: { pk: `thing#${keyOf(event)}`, amount: 1000 }, ConditionExpression: 'attribute_not_exists(pk)' },
});

const lambdaContext = (): Context => createLambdaContext('bench', 15, 128);

/** Counts handler runs; `holdAt` parks the handler mid-execution. */
const handlerCounter = () => {
  let runs = 0;
  return {
    runs: () => runs,
    run: async (holdAt: (() => Promise<void>) | undefined) => {
      runs++;
      await holdAt?.();
    },
  };
};

/**
 * Retrysafe: key from the Idempotency-Key header (required), fingerprint over method, route and
 * canonical body. One engine serves every handler of the contender, as one ApiPipeline serves a
 * deployed function's routes, so its completed-record cache is the container's.
 */
export const retrysafeContender = (endpoint: string, tables: ContenderTables, cache: ContenderCache = {}): Contender => {
  const client = localDynamoDbClient(endpoint);
  const documents = createDocumentClient(client);
  const meter = meterCalls(client, categoryOf(tables));
  const counter = handlerCounter();
  const engine = new IdempotencyEngine({
    tableName: tables.retrysafe,
    client: documents,
    functionTimeoutMs: 15_000,
    cacheEntries: cache.completedEntries,
    problems: retrysafeIdempotencyAnswers,
  });
  const wrap = (handler: (event: APIGatewayProxyEvent) => Promise<HttpResponse | CommittableResponse>): Invoke => {
    const wrapped = middy<APIGatewayProxyEvent, HttpResponse, Error, Context & IdempotencyContext>(handler)
      .use(idempotency<APIGatewayProxyEvent>({ engine, required: true, thrownOutcome: answerOfThrown }))
      .use(errorResponses());
    return (event) => wrapped(event, lambdaContext());
  };
  return {
    id: 'retrysafe',
    label: cache.completedEntries === undefined ? 'Retrysafe idempotency()' : 'Retrysafe idempotency(), warm cache',
    meter,
    handlerRuns: counter.runs,
    trivial: (holdAt) =>
      wrap(async (event) => {
        await counter.run(holdAt);
        return created(event);
      }),
    committing: () =>
      wrap(async (event) => {
        await counter.run(undefined);
        return withAtomicCommit(created(event), { writes: [businessPut(tables.business, event)] });
      }),
    destroy: () => {
      meter.detach();
      client.destroy();
    },
  };
};

/**
 * Powertools' errors as the same HTTP answers Retrysafe gives, so both sides return equal
 * responses. Nothing else is caught: an unexpected error ends the benchmark.
 */
const powertoolsAnswers = (): MiddlewareObj<APIGatewayProxyEvent, HttpResponse> => ({
  onError: (request) => {
    if (request.error?.name === 'IdempotencyAlreadyInProgressError')
      request.response = retrysafeIdempotencyAnswers({ kind: 'key-in-use', retryAfterSeconds: 1 });
    if (request.error?.name === 'IdempotencyValidationError') request.response = retrysafeIdempotencyAnswers({ kind: 'key-reused' });
  },
});

/**
 * Powertools, configured to protect what Retrysafe protects: the key is the Idempotency-Key
 * header (required, as `throwOnNoIdempotencyKey`), the payload validated is method, route
 * template, path parameters and the parsed body (`powertools_json` parses it and Powertools
 * sorts keys before hashing, like Retrysafe's canonical JSON), hashed with SHA-256, records
 * kept 24 hours. Local caching (`useLocalCache`, bounded by `maxLocalCacheSize`) is on exactly
 * when Retrysafe's cache is.
 */
const powertoolsConfig = (cache: ContenderCache): IdempotencyConfig =>
  new IdempotencyConfig({
    eventKeyJmesPath: 'headers."Idempotency-Key"',
    payloadValidationJmesPath: '[httpMethod, resource, pathParameters, powertools_json(body)]',
    throwOnNoIdempotencyKey: true,
    hashFunction: 'sha256',
    expiresAfterSeconds: 86_400,
    ...(cache.completedEntries === undefined ? {} : { useLocalCache: true, maxLocalCacheSize: cache.completedEntries }),
  });

/**
 * Powertools keeps its local cache in the persistence layer, which takes the configuration of
 * the first request it serves and ignores any later one: each contender has its own layer.
 */
export const powertoolsContender = (endpoint: string, tables: ContenderTables, cache: ContenderCache = {}): Contender => {
  const client = localDynamoDbClient(endpoint);
  const documents = createDocumentClient(client);
  const meter = meterCalls(client, categoryOf(tables));
  const counter = handlerCounter();
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: tables.powertools, awsSdkV3Client: client });
  const config = powertoolsConfig(cache);
  const wrap = (handler: (event: APIGatewayProxyEvent) => Promise<HttpResponse>): Invoke => {
    const wrapped = middy<APIGatewayProxyEvent, HttpResponse>(handler)
      .use(makeHandlerIdempotent({ persistenceStore, config, keyPrefix: 'bench' }) as MiddlewareObj<APIGatewayProxyEvent, HttpResponse>)
      .use(powertoolsAnswers());
    return (event) => wrapped(event, lambdaContext());
  };
  return {
    id: 'powertools',
    label: cache.completedEntries === undefined ? 'Powertools makeHandlerIdempotent' : 'Powertools makeHandlerIdempotent, warm cache',
    meter,
    handlerRuns: counter.runs,
    trivial: (holdAt) =>
      wrap(async (event) => {
        await counter.run(holdAt);
        return created(event);
      }),
    // Powertools cannot join the handler's writes to its record: the handler writes on its own.
    committing: () =>
      wrap(async (event) => {
        await counter.run(undefined);
        const { Put } = businessPut(tables.business, event);
        if (Put === undefined) throw new Error('The business write is a Put');
        await documents.send(new PutCommand(Put));
        return created(event);
      }),
    destroy: () => {
      meter.detach();
      client.destroy();
    },
  };
};
