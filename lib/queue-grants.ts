import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { QueueAccess } from '../lambdas/topology.js';
import type { QueuePair } from './work-queues.js';

/**
 * The SQS permissions behind each topology access level.
 *
 * 'consume' is more than receiving: Retrysafe's consumer carries its retry waits by
 * re-enqueueing a message with a delay (see lambdas/webhooks/retry-policy.ts) and parks
 * undeliverable messages in the dead-letter queue itself, with the reason attached. So a
 * consumer may also send to the queue and to its dead-letter queue; it never receives from the
 * dead-letter queue, which only operators drain.
 */
export const grantQueueAccess = (grantee: IGrantable, queues: QueuePair, access: QueueAccess): void => {
  queues.queue.grantSendMessages(grantee);
  if (access === 'consume') {
    queues.queue.grantConsumeMessages(grantee);
    queues.deadLetterQueue.grantSendMessages(grantee);
  }
};
