import { SQSClient } from '@aws-sdk/client-sqs';

let sharedClient: SQSClient | undefined;

/** One SQS client per process, created on first use so the endpoint variable is read after set-up. */
export const sqs = (): SQSClient => (sharedClient ??= new SQSClient({}));
