import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queues, type QueueName, type QueueSpec } from '../lambdas/topology.js';
import { pascalCase } from './names.js';

export interface QueuePair {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

export interface WorkQueuesProps {
  readonly removalPolicy: RemovalPolicy;
}

/** SQS's maximum retention: a dead letter waits as long as possible for someone to redrive it. */
export const deadLetterRetention = Duration.days(14);

/** The settings every Retrysafe queue shares: encrypted at rest, reachable only over TLS. */
export const secureQueueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

/**
 * A dead-letter queue is the end of the line, so it has no redrive policy of its own; the
 * Serverless pack's SQSRedrivePolicy rule cannot tell it apart from a work queue.
 */
export const acknowledgeTerminalQueue = (queue: Queue): void => {
  Validations.of(queue.node.findChild('Resource')).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason:
      'A dead-letter queue is terminal: its messages wait up to 14 days for an operator to inspect and redrive them; a dead-letter queue of its own would only move the same problem.',
  });
};

/** Each topology queue with its dead-letter queue and redrive policy. */
export class WorkQueues extends Construct {
  readonly byName: Readonly<Record<QueueName, QueuePair>>;

  constructor(scope: Construct, id: string, props: WorkQueuesProps) {
    super(scope, id);
    const entries = (Object.entries(queues) as [QueueName, QueueSpec][]).map(([name, spec]) => {
      const deadLetterQueue = new Queue(this, `${pascalCase(name)}DeadLetters`, {
        ...secureQueueDefaults,
        retentionPeriod: deadLetterRetention,
        removalPolicy: props.removalPolicy,
      });
      acknowledgeTerminalQueue(deadLetterQueue);
      const queue = new Queue(this, pascalCase(name), {
        ...secureQueueDefaults,
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(spec.retentionSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
        removalPolicy: props.removalPolicy,
      });
      return [name, { queue, deadLetterQueue }] as const;
    });
    this.byName = Object.fromEntries(entries) as Record<QueueName, QueuePair>;
  }
}
