import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { QueueName } from '../lambdas/topology.js';
import { localQueueNames } from '../local/provision.js';
import { readSettings } from '../local/settings.js';
import { localTableNames, openDynamo, openSqs } from '../cli/aws-clients.js';
import { opsTables, queueNames, type OpsTable, type OpsTargetOptions } from './options.js';

export interface QueueUrls {
  readonly url: string;
  readonly deadLetterUrl: string;
}

/** The stack `npm run ops` looks at, as it was told. */
export interface OpsTarget {
  readonly description: string;
  readonly local: boolean;
  readonly client: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly tables: Readonly<Record<OpsTable, string>>;
  /** The local stack's queue URLs are asked of its SQS; a deployed stack's come from the flags. */
  readonly queues: () => Promise<Readonly<Record<QueueName, QueueUrls>>>;
  /** A deployed stack's stream failure queues by label; the local stack has none. */
  readonly streamFailureQueues: Readonly<Record<string, string>>;
  close(): void;
}

const localQueueUrls = async (sqs: SQSClient): Promise<Record<QueueName, QueueUrls>> => {
  const urlOf = async (name: string): Promise<string> => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (QueueUrl === undefined) throw new Error(`SQS gave no URL for queue ${name}`);
    return QueueUrl;
  };
  const entries = await Promise.all(
    queueNames.map(async (queue) => {
      const names = localQueueNames(queue);
      return [queue, { url: await urlOf(names.main), deadLetterUrl: await urlOf(names.deadLetter) }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<QueueName, QueueUrls>;
};

export const openOpsTarget = (options: OpsTargetOptions): OpsTarget => {
  const place =
    options.kind === 'local-stack'
      ? ({ kind: 'local-stack', settings: readSettings([]) } as const)
      : ({ kind: 'remote', region: options.region, dynamodbEndpoint: options.dynamodbEndpoint, sqsEndpoint: options.sqsEndpoint } as const);
  const dynamo = openDynamo(place);
  const sqs = openSqs(place);
  return {
    description: options.kind === 'local-stack' ? 'the local stack' : `the stack of table ${options.tables.idempotency}`,
    local: options.kind === 'local-stack',
    client: dynamo.client,
    sqs,
    tables: options.kind === 'local-stack' ? localTableNames(opsTables) : options.tables,
    queues: options.kind === 'local-stack' ? () => localQueueUrls(sqs) : () => Promise.resolve(options.queues),
    streamFailureQueues: options.kind === 'local-stack' ? {} : options.streamFailureQueues,
    close: () => {
      dynamo.close();
      sqs.destroy();
    },
  };
};
