import {
  type AttributeValue,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { toLambdaRecord } from '../../../local/event-sources.js';

/** The two sides of an eventual (MREC) global table pair. */
export type Side = 'east' | 'west';

const sides: readonly Side[] = ['east', 'west'];
const otherSide = (side: Side): Side => (side === 'east' ? 'west' : 'east');

/** One replicated table: its physical name on each side. */
export interface ReplicatedTable {
  readonly table: string;
  readonly names: Readonly<Record<Side, string>>;
}

export interface ReplicatorOptions {
  readonly clients: Readonly<Record<Side, { readonly dynamodb: DynamoDBClient; readonly endpoint: string }>>;
  readonly tables: readonly ReplicatedTable[];
  readonly lagMs: number;
  readonly pollIntervalMs?: number;
}

export interface Replicator {
  setLag(lagMs: number): void;
  /** A partition: changes are still observed, and held until resume(). */
  pause(): void;
  resume(): void;
  /** Resolves once every change written before the call is applied on both sides and both sides agree (waits out a pause). */
  drain(timeoutMs?: number): Promise<void>;
  /** Items written into the other side so far, per topology table: what MREC bills as replicated writes. */
  replicatedWrites(): Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

type Image = Record<string, AttributeValue> | undefined;

/** Last writer wins by the time the replicator saw the write; the side breaks a tie, as a region does in MREC. */
interface Version {
  readonly at: number;
  readonly side: Side;
}

const newer = (a: Version, b: Version | undefined): boolean => b === undefined || a.at > b.at || (a.at === b.at && a.side > b.side);

interface Known {
  readonly version: Version;
  /** undefined: the item is deleted. */
  readonly image: Image;
  readonly canonical: string;
}

/** Attribute maps compared by content: key order and set order are not content. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries
      .map(([name, member]) =>
        ['SS', 'NS', 'BS'].includes(name) && Array.isArray(member)
          ? `${JSON.stringify(name)}:${canonical([...(member as string[])].sort())}`
          : `${JSON.stringify(name)}:${canonical(member)}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value);
};

const deletedMarker = 'deleted';

const shardDiscoveryIntervalMs = 1_000;

/** Gives every replicated table a stream carrying new images, the view the replicator copies. */
const ensureStream = async (dynamodb: DynamoDBClient, name: string): Promise<string> => {
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
  if (Table?.StreamSpecification?.StreamEnabled === true && Table.LatestStreamArn !== undefined) return Table.LatestStreamArn;
  const updated = await dynamodb.send(
    new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }),
  );
  const arn = updated.TableDescription?.LatestStreamArn;
  if (arn === undefined) throw new Error(`Enabling the stream of ${name} returned no stream ARN`);
  return arn;
};

interface StreamCursor {
  readonly side: Side;
  readonly table: string;
  readonly arn: string;
  readonly streams: DynamoDBStreamsClient;
  readonly iterators: Map<string, string | undefined>;
  readonly checkpoints: Map<string, string>;
  lastDiscoveryAt: number;
}

/**
 * An MREC global table pair between two DynamoDB Locals: each side's stream is read, and every
 * write is applied to the other side `lagMs` later, item by item (a transaction's items arrive
 * one at a time, as MREC delivers them). Conflicts resolve last writer wins: a change carries
 * the time the replicator saw it, and a side takes a remote change only if it is newer than
 * what the side holds. The replicator's own writes come back on the destination's stream; they
 * are recognised (by content) and not replicated again. When a local write slipped in before
 * the replicator's write but was seen after it, the side is given the newest state again, so
 * both sides converge.
 */
export const startReplicator = async (options: ReplicatorOptions): Promise<Replicator> => {
  let lagMs = options.lagMs;
  let paused = false;
  let stopped = false;
  let lastVersionAt = 0;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const known: Record<Side, Map<string, Known>> = { east: new Map(), west: new Map() };
  /** Per side and item, the states the replicator wrote and has not seen on the side's stream yet. */
  const pendingEchoes: Record<Side, Map<string, string[]>> = { east: new Map(), west: new Map() };
  const written = new Map<string, number>();
  const heldWhilePaused: (() => void)[] = [];
  let inFlight = 0;
  const timers = new Set<NodeJS.Timeout>();
  const errors: unknown[] = [];

  const namesByTable = new Map(options.tables.map((table) => [table.table, table.names]));
  const cursors: StreamCursor[] = [];
  for (const side of sides) {
    const { dynamodb, endpoint } = options.clients[side];
    const streams = new DynamoDBStreamsClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    for (const table of options.tables) {
      const arn = await ensureStream(dynamodb, table.names[side]);
      cursors.push({ side, table: table.table, arn, streams, iterators: new Map(), checkpoints: new Map(), lastDiscoveryAt: 0 });
    }
  }

  const nextVersion = (side: Side): Version => {
    lastVersionAt = Math.max(Date.now(), lastVersionAt + 1);
    return { at: lastVersionAt, side };
  };

  /** Removes one expected echo; false when none was expected. */
  const forgetEcho = (side: Side, id: string, state: string): boolean => {
    const echoes = pendingEchoes[side].get(id);
    const at = echoes?.indexOf(state) ?? -1;
    if (echoes === undefined || at === -1) return false;
    echoes.splice(at, 1);
    if (echoes.length === 0) pendingEchoes[side].delete(id);
    return true;
  };

  const write = async (side: Side, table: string, itemKey: Record<string, AttributeValue>, state: Known): Promise<void> => {
    const names = namesByTable.get(table);
    if (names === undefined) throw new Error(`Not a replicated table: ${table}`);
    const id = `${table}|${canonical(itemKey)}`;
    const echoes = pendingEchoes[side].get(id) ?? [];
    echoes.push(state.canonical);
    pendingEchoes[side].set(id, echoes);
    const { dynamodb } = options.clients[side];
    // A write that changes nothing (the item already so, or a delete of a missing item) leaves no
    // stream record, so its echo would never come: it is not made.
    const { Item } = await dynamodb.send(new GetItemCommand({ TableName: names[side], Key: itemKey, ConsistentRead: true }));
    if ((Item === undefined ? deletedMarker : canonical(Item)) === state.canonical) {
      forgetEcho(side, id, state.canonical);
      return;
    }
    await (state.image === undefined
      ? dynamodb.send(new DeleteItemCommand({ TableName: names[side], Key: itemKey }))
      : dynamodb.send(new PutItemCommand({ TableName: names[side], Item: state.image })));
    written.set(table, (written.get(table) ?? 0) + 1);
  };

  const track = (work: () => Promise<void>): void => {
    inFlight++;
    work()
      .catch((error: unknown) => errors.push(error))
      .finally(() => inFlight--);
  };

  /** Applies a change seen on the other side, unless the destination already holds something newer. */
  const apply = (destination: Side, table: string, itemKey: Record<string, AttributeValue>, change: Known): void => {
    if (paused) {
      heldWhilePaused.push(() => {
        apply(destination, table, itemKey, change);
      });
      return;
    }
    const id = `${table}|${canonical(itemKey)}`;
    if (!newer(change.version, known[destination].get(id)?.version)) return;
    known[destination].set(id, change);
    track(() => write(destination, table, itemKey, change));
  };

  const schedule = (work: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, lagMs);
    timers.add(timer);
  };

  const observe = (side: Side, table: string, itemKey: Record<string, AttributeValue>, image: Image): void => {
    const id = `${table}|${canonical(itemKey)}`;
    const seen = image === undefined ? deletedMarker : canonical(image);
    if (forgetEcho(side, id, seen)) {
      // A local write seen before this echo was overwritten by it: the side must hold the winner again.
      const winner = known[side].get(id);
      if (winner !== undefined && winner.canonical !== seen && (pendingEchoes[side].get(id)?.length ?? 0) === 0) {
        track(() => write(side, table, itemKey, winner));
      }
      return;
    }
    const change: Known = { version: nextVersion(side), image, canonical: seen };
    known[side].set(id, change);
    schedule(() => {
      apply(otherSide(side), table, itemKey, change);
    });
  };

  const discoverShards = async (cursor: StreamCursor): Promise<void> => {
    const description = await cursor.streams.send(new DescribeStreamCommand({ StreamArn: cursor.arn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || cursor.iterators.has(shardId)) continue;
      const checkpoint = cursor.checkpoints.get(shardId);
      const { ShardIterator } = await cursor.streams.send(
        new GetShardIteratorCommand(
          checkpoint === undefined
            ? { StreamArn: cursor.arn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }
            : { StreamArn: cursor.arn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint },
        ),
      );
      cursor.iterators.set(shardId, ShardIterator);
    }
  };

  /** Reads every shard of the stream once; returns how many records it saw. */
  const readOnce = async (cursor: StreamCursor): Promise<number> => {
    // Shards are few and long-lived: looking for new ones every round would keep DynamoDB Local busy for nothing.
    if (Date.now() - cursor.lastDiscoveryAt > shardDiscoveryIntervalMs || cursor.iterators.size === 0) {
      await discoverShards(cursor);
      cursor.lastDiscoveryAt = Date.now();
    }
    let seen = 0;
    for (const [shardId, iterator] of cursor.iterators) {
      if (iterator === undefined) continue;
      let page;
      try {
        page = await cursor.streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      } catch (error) {
        // DynamoDB Local sometimes reports a fresh iterator past its trim horizon: a new one, after the checkpoint, reads on.
        if (!(error instanceof TrimmedDataAccessException)) throw error;
        cursor.iterators.delete(shardId);
        continue;
      }
      // A closed shard keeps its undefined iterator, so discovery does not open it again.
      cursor.iterators.set(shardId, page.NextShardIterator);
      for (const raw of page.Records ?? []) {
        const record = toLambdaRecord(raw, cursor.arn);
        const itemKey = record.dynamodb?.Keys as Record<string, AttributeValue> | undefined;
        if (itemKey === undefined) continue;
        const image = record.eventName === 'REMOVE' ? undefined : (record.dynamodb?.NewImage as Image);
        observe(cursor.side, cursor.table, itemKey, image);
        if (record.dynamodb?.SequenceNumber !== undefined) cursor.checkpoints.set(shardId, record.dynamodb.SequenceNumber);
        seen++;
      }
    }
    return seen;
  };

  let rounds = 0;
  const roundWaiters: (() => void)[] = [];
  const loop = async () => {
    while (!stopped) {
      let seen = 0;
      for (const cursor of cursors) {
        try {
          seen += await readOnce(cursor);
        } catch (error) {
          errors.push(error);
        }
      }
      rounds++;
      for (const wake of roundWaiters.splice(0)) wake();
      if (seen === 0) await new Promise((wait) => setTimeout(wait, pollIntervalMs));
    }
  };
  const running = loop();

  /** Resolves after a whole read of every stream that started after this call. */
  const fullRound = (): Promise<void> => {
    const target = rounds + 2;
    return new Promise((resolveRound) => {
      const check = () => {
        if (rounds >= target || stopped) resolveRound();
        else roundWaiters.push(check);
      };
      check();
    });
  };

  const quiet = (): boolean =>
    timers.size === 0 && heldWhilePaused.length === 0 && inFlight === 0 && pendingEchoes.east.size === 0 && pendingEchoes.west.size === 0;

  return {
    setLag: (next) => {
      lagMs = next;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const held of heldWhilePaused.splice(0)) held();
    },
    drain: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      // Quiet twice in a row across a full read of every stream: nothing observed, held, or unconfirmed.
      for (let quietRounds = 0; quietRounds < 2;) {
        if (stopped) throw new Error('The replicator is stopped');
        if (errors.length > 0) throw new Error('The replicator failed', { cause: errors[0] });
        if (Date.now() > deadline) throw new Error(`The replicator did not drain within ${timeoutMs} ms`);
        await fullRound();
        quietRounds = quiet() ? quietRounds + 1 : 0;
        if (!quiet()) await new Promise((wait) => setTimeout(wait, pollIntervalMs));
      }
    },
    replicatedWrites: () => Object.fromEntries(written),
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      heldWhilePaused.length = 0;
      await running;
      for (const cursor of cursors) cursor.streams.destroy();
    },
  };
};
