import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClassificationKind } from './classification.js';

/** The processor's two listings; each is walked, and settles, on its own. */
export type ProcessorListing = 'charges' | 'refunds';

export const processorListings: readonly ProcessorListing[] = ['charges', 'refunds'];

/**
 * The last run's counts, summed over both listings, kept beside the watermarks so `npm run ops --
 * status` can say how the last reconciliation went without the logs. A few numbers, never the
 * objects themselves: the item stays far below DynamoDB's 400 KB whatever a run found.
 */
export interface RunSummary {
  /** Epoch milliseconds the run ended. */
  readonly at: number;
  readonly counts: Readonly<Record<ClassificationKind, number>>;
  readonly failed: number;
  readonly stuck: number;
  /** Whether every listing was walked to its settled end. */
  readonly finished: boolean;
}

/** The item holding the last run's summary; no listing is called this. */
const lastRunKey = 'lastRun';

interface WatermarkItem {
  readonly pk: ProcessorListing;
  /** Epoch milliseconds, on the processor's clock: every object created before it has been judged. */
  readonly judgedBefore: number;
  readonly updatedAt: number;
}

/**
 * How far the reconciler has walked each processor listing, one item per listing. A watermark
 * only moves forward: two runs that overlap (the schedule and `npm run reconcile`) each move it
 * to where their own walk got, and the later of the two stands.
 */
export class WatermarkStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Undefined until a first walk of the listing has finished part of it. */
  async read(listing: ProcessorListing): Promise<number | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table, Key: { pk: listing }, ConsistentRead: true }));
    return (result.Item as WatermarkItem | undefined)?.judgedBefore;
  }

  /** Moves the watermark to `judgedBefore` unless it already stands there or later; true when it moved. */
  async advance(listing: ProcessorListing, judgedBefore: number, nowMs: number): Promise<boolean> {
    const item: WatermarkItem = { pk: listing, judgedBefore, updatedAt: nowMs };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR judgedBefore < :judgedBefore',
          ExpressionAttributeValues: { ':judgedBefore': judgedBefore },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Replaces the last run's summary: of two overlapping runs, the one that ends later is the last. */
  async recordRun(summary: RunSummary): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { pk: lastRunKey, ...summary } }));
  }

  /** Undefined until a run has ended. */
  async lastRun(): Promise<RunSummary | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.table, Key: { pk: lastRunKey }, ConsistentRead: true }));
    if (result.Item === undefined) return undefined;
    const { at, counts, failed, stuck, finished } = result.Item as RunSummary;
    return { at, counts, failed, stuck, finished };
  }
}
