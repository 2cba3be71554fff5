import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventKey } from '../../lambdas/events/outbox.js';
import { OutboxStore } from '../../lambdas/events/outbox-store.js';
import { accountPartition } from '../../lambdas/shared/account-partition.js';
import { dynamo } from '../../lambdas/shared/dynamodb.js';
import { tableName } from '../../lambdas/shared/env.js';
import { eventSources, type EventSourceSpec } from '../../lambdas/topology.js';
import { invokesFunction, isTooOld, pollStream, type RunningPoller } from '../../local/event-sources.js';
import type { LambdaHandler } from '../../local/functions.js';
import { createTenant, waitFor, writeEvent } from '../webhooks/support.js';

const publisherSource = eventSources.find((source) => source.function === 'webhookPublisher') as EventSourceSpec;

const record = (eventName: DynamoDBRecord['eventName'], writtenSeconds: number): DynamoDBRecord => ({
  eventName,
  dynamodb: { ApproximateCreationDateTime: writtenSeconds, SequenceNumber: '1' },
});

describe('the local stream event source mapping', () => {
  const pollers: RunningPoller[] = [];
  afterAll(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
  });

  it('admits only the record kinds the topology lists for the source', () => {
    expect(publisherSource.eventNames).toEqual(['INSERT']);
    expect(invokesFunction(publisherSource, record('INSERT', 0))).toBe(true);
    expect(invokesFunction(publisherSource, record('MODIFY', 0))).toBe(false);
    expect(invokesFunction(publisherSource, record('REMOVE', 0))).toBe(false);
    expect(invokesFunction({ ...publisherSource, eventNames: undefined }, record('MODIFY', 0))).toBe(true);
  });

  it('ages records against the source’s maximum record age', () => {
    const maxAgeMs = (publisherSource.maxRecordAgeSeconds ?? 0) * 1000;
    const nowMs = 1_700_000_000_000;
    expect(isTooOld(publisherSource, record('INSERT', (nowMs - maxAgeMs) / 1000), nowMs)).toBe(false);
    expect(isTooOld(publisherSource, record('INSERT', (nowMs - maxAgeMs) / 1000 - 1), nowMs)).toBe(true);
    expect(isTooOld({ ...publisherSource, maxRecordAgeSeconds: undefined }, record('INSERT', 0), nowMs)).toBe(false);
  });

  it('never invokes the publisher with the published mark’s MODIFY or a removal, on the real stream', async () => {
    const tenant = await createTenant();
    const seen: DynamoDBRecord[] = [];
    const spy: LambdaHandler = (event) => {
      const ours = (event as DynamoDBStreamEvent).Records.filter(
        (streamed) => streamed.dynamodb?.Keys?.pk?.S === accountPartition(tenant.accountId),
      );
      seen.push(...ours);
      return Promise.resolve({ batchItemFailures: [] });
    };
    const streamArn = inject('streamArns').events ?? '';
    pollers.push(
      pollStream(streamArn, publisherSource, spy, (message, error) => {
        console.error(message, error);
      }),
    );

    const first = await writeEvent(tenant.accountId, 'charge.succeeded');
    await new OutboxStore(dynamo(), () => tableName('events')).markPublished(eventKey(tenant.accountId, first.id));
    await dynamo().send(new DeleteCommand({ TableName: tableName('events'), Key: eventKey(tenant.accountId, first.id) }));
    // The same partition key, so the same shard: once this one arrives, the three before it have been read.
    const second = await writeEvent(tenant.accountId, 'charge.refunded');
    await waitFor(async () => (seen.length >= 2 ? true : undefined), 'the second event');

    expect(seen.map((streamed) => [streamed.eventName, streamed.dynamodb?.NewImage?.event?.M?.id?.S])).toEqual([
      ['INSERT', first.id],
      ['INSERT', second.id],
    ]);
  });
});
