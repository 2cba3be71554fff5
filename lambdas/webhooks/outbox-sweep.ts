import type { Sweep } from '../shared/recovery-run.js';
import { acrossShards, type TableKey } from '../shared/sweep-index.js';
import { eventSources } from '../topology.js';
import { eventPublisher, outboxEventOf, type PublisherDeps } from './publisher.js';
import { writtenHere } from '../regions/origin.js';

/**
 * An event still unpublished this long after it was written is published by the sweeper. The
 * stream publishes an event within seconds and retries a failing one for a while; five minutes
 * is far beyond that, so the sweeper only takes over what the stream could not do (SQS down for
 * longer than the stream retries, a record it skipped as too old, a stream lost altogether).
 */
export const unpublishedAfterMs = 5 * 60_000;

// The stream must keep trying an event at least until the sweeper takes it over.
const streamMaxRecordAgeMs =
  (eventSources.find((source) => source.function === 'webhookPublisher')?.maxRecordAgeSeconds ?? Infinity) * 1000;
if (streamMaxRecordAgeMs <= unpublishedAfterMs) {
  throw new Error('The publisher stream drops records before the sweeper takes their events over');
}

/** The sweep's name in a run's report. */
export const unpublishedEventsSweep = 'unpublishedEvents';

/**
 * Outbox events left unpublished: each is published again through the publisher's own code,
 * which records and enqueues what is missing and nothing that exists. An item that is not an
 * event is logged once and taken out of the index, like the stream skips it.
 */
export const unpublishedEvents = (deps: PublisherDeps): Sweep<TableKey> => {
  const publish = eventPublisher(deps);
  return {
    name: unpublishedEventsSweep,
    candidates: (nowMs) => {
      const upToSeconds = Math.floor((nowMs - unpublishedAfterMs) / 1000);
      return acrossShards((shard) => deps.outbox.unpublished(shard, upToSeconds));
    },
    recover: async (key) => {
      const item = await deps.outbox.read(key);
      if (item?.unpublishedSince === undefined || !writtenHere(item)) return false;
      const event = outboxEventOf(item, { ...key });
      if (event === undefined) await deps.outbox.markPublished(key);
      else await publish(event);
      return true;
    },
  };
};
