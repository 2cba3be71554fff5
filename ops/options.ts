import { parseFlags, tableFlag, tableFlagUsage, tablesFromFlags, UsageError, urlFlag, wholeNumberFlag } from '../cli/flags.js';
import { readSetting } from '../lambdas/settings.js';
import { parseId, type WebhookEndpointId } from '../lambdas/shared/ids.js';
import { eventSources, type EventSourceSpec, queues, type QueueName, type TableName } from '../lambdas/topology.js';

/** The tables `npm run ops` reads: where stuck work, lag, the last reconciliation and the rate-limit store live. */
export const opsTables = ['idempotency', 'events', 'webhooks', 'rateLimits', 'reconciliation'] as const satisfies readonly TableName[];
export type OpsTable = (typeof opsTables)[number];

export const queueNames = Object.keys(queues) as QueueName[];

const kebab = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const pascal = (camel: string): string => `${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;

/** `--webhook-deliveries-queue-url` and `--webhook-deliveries-dead-letter-queue-url`, after the stack's outputs. */
const queueFlags = (queue: QueueName) => ({ main: `${kebab(queue)}-queue-url`, deadLetter: `${kebab(queue)}-dead-letter-queue-url` });
const queueOutputs = (queue: QueueName) => ({ main: `${pascal(queue)}QueueUrl`, deadLetter: `${pascal(queue)}DeadLetterQueueUrl` });

/**
 * Each stream mapping's failure queue, where a deployed stack puts the records it gave up on:
 * a dead-letter queue in all but name. The local stack's stream poller has none.
 */
export const streamFailureSources = (eventSources as readonly EventSourceSpec[]).flatMap((spec) =>
  spec.source.kind === 'stream' ? [{ function: spec.function, table: spec.source.table }] : [],
);
type StreamFailureSource = (typeof streamFailureSources)[number];
/** `--webhook-publisher-events-stream-failure-queue-url`, after the stack's `WebhookPublisherEventsStreamFailureQueueUrl` output. */
const streamFailureFlag = (source: StreamFailureSource) => `${kebab(source.function)}-${kebab(source.table)}-stream-failure-queue-url`;
const streamFailureOutput = (source: StreamFailureSource) => `${pascal(source.function)}${pascal(source.table)}StreamFailureQueueUrl`;
/** How the status names a stream's failure queue. */
export const streamFailureLabel = (source: StreamFailureSource) => `${source.function} stream failures (${source.table})`;

export const usage = `Usage: npm run ops -- <command> [options]

Commands:
  status                        what needs a human: stuck recovery points, dead-letter queues, outbox lag,
                                the last reconciliation, the rate-limit store
  redrive --endpoint <id>       resend a webhook endpoint's failed deliveries, as
                                POST /v1/webhook_endpoints/{id}/deliveries/redrive does
  reconcile [options]           npm run reconcile (see npm run reconcile -- --help)

Where (default: the running local stack, npm start, on DYNAMODB_PORT / SQS_PORT or 8000 / 9324):
${tableFlagUsage(opsTables)}
${queueNames
  .flatMap((queue) => {
    const [flags, outputs] = [queueFlags(queue), queueOutputs(queue)];
    return [
      `  --${flags.main} <url>`.padEnd(32) + ` the ${outputs.main} output`,
      `  --${flags.deadLetter} <url>`.padEnd(32) + ` the ${outputs.deadLetter} output`,
    ];
  })
  .join('\n')}
${streamFailureSources.map((source) => `  --${streamFailureFlag(source)} <url>`.padEnd(32) + ` the ${streamFailureOutput(source)} output`).join('\n')}
                                (any of these names a deployed stack: then give all of them)
  --region <region>             AWS region (default: AWS_REGION); credentials from the default provider chain
  --dynamodb-endpoint <url>     a DynamoDB endpoint other than AWS's
  --sqs-endpoint <url>          an SQS endpoint other than AWS's

status:
  --stuck-after-seconds <n>     a recovery point unresolved this long needs a human (default
                                RECOVERY_STUCK_AFTER_SECONDS, ${readSetting('RECOVERY_STUCK_AFTER_SECONDS', {})})
  --scan-claims                 also list ordinary claims IN_PROGRESS past their lease; they are not indexed,
                                so this reads the whole idempotency table

Exit status: 0 when nothing needs a human, 1 when something does (status) or the redrive failed,
2 for bad options or an unreachable DynamoDB or SQS.`;

export type OpsTargetOptions =
  | { readonly kind: 'local-stack' }
  | {
      readonly kind: 'remote';
      readonly region: string | undefined;
      readonly dynamodbEndpoint: string | undefined;
      readonly sqsEndpoint: string | undefined;
      readonly tables: Readonly<Record<OpsTable, string>>;
      readonly queues: Readonly<Record<QueueName, { readonly url: string; readonly deadLetterUrl: string }>>;
      /** Failure queue URLs by `streamFailureLabel`. */
      readonly streamFailureQueues: Readonly<Record<string, string>>;
    };

export type OpsCommand =
  | { readonly command: 'help' }
  /** Everything after `reconcile`, for the reconcile CLI to parse. */
  | { readonly command: 'reconcile'; readonly argv: readonly string[] }
  | {
      readonly command: 'status';
      readonly target: OpsTargetOptions;
      readonly stuckAfterMs: number | undefined;
      /** Also scan the idempotency table for ordinary claims past their lease. */
      readonly scanClaims: boolean;
    }
  | { readonly command: 'redrive'; readonly target: OpsTargetOptions; readonly endpoint: WebhookEndpointId };

const targetOf = (text: (flag: string) => string | undefined): OpsTargetOptions => {
  const placeFlags = [
    ...opsTables.map(tableFlag),
    ...queueNames.flatMap((queue) => Object.values(queueFlags(queue))),
    ...streamFailureSources.map(streamFailureFlag),
  ].filter((flag) => text(flag) !== undefined);
  const awsFlags = ['region', 'dynamodb-endpoint', 'sqs-endpoint'].filter((flag) => text(flag) !== undefined);
  if (placeFlags.length === 0) {
    if (awsFlags.length > 0)
      throw new UsageError(`--${awsFlags.join(', --')} only apply with the table and queue flags of a deployed stack`);
    return { kind: 'local-stack' };
  }
  const because = 'For a deployed stack';
  const tables = tablesFromFlags(opsTables, text, because);
  const missingQueues = queueNames.flatMap((queue) => {
    const [flags, outputs] = [queueFlags(queue), queueOutputs(queue)];
    return (['main', 'deadLetter'] as const)
      .filter((which) => text(flags[which]) === undefined)
      .map((which) => `--${flags[which]} (${outputs[which]})`);
  });
  missingQueues.push(
    ...streamFailureSources
      .filter((source) => text(streamFailureFlag(source)) === undefined)
      .map((source) => `--${streamFailureFlag(source)} (${streamFailureOutput(source)})`),
  );
  if (missingQueues.length > 0) throw new UsageError(`${because}, also give ${missingQueues.join(', ')}`);
  const urlOf = (flag: string): string => urlFlag(text(flag) ?? '', flag);
  const optionalUrl = (flag: string): string | undefined => (text(flag) === undefined ? undefined : urlOf(flag));
  return {
    kind: 'remote',
    region: text('region') ?? process.env.AWS_REGION,
    dynamodbEndpoint: optionalUrl('dynamodb-endpoint'),
    sqsEndpoint: optionalUrl('sqs-endpoint'),
    tables,
    queues: Object.fromEntries(
      queueNames.map((queue) => [queue, { url: urlOf(queueFlags(queue).main), deadLetterUrl: urlOf(queueFlags(queue).deadLetter) }]),
    ) as Record<QueueName, { url: string; deadLetterUrl: string }>,
    streamFailureQueues: Object.fromEntries(
      streamFailureSources.map((source) => [streamFailureLabel(source), urlOf(streamFailureFlag(source))]),
    ),
  };
};

/** The command and its checked flags. */
export const parseCommand = (argv: readonly string[]): OpsCommand => {
  const [command, ...rest] = argv;
  if (command === 'reconcile') return { command, argv: rest };
  if (command === undefined || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'status' && command !== 'redrive') throw new UsageError(`Unknown command "${command}"`);
  const { text, has } = parseFlags(rest, {
    help: { type: 'boolean', short: 'h' },
    ...Object.fromEntries(opsTables.map((table) => [tableFlag(table), { type: 'string' as const }])),
    ...Object.fromEntries(
      queueNames.flatMap((queue) => Object.values(queueFlags(queue)).map((flag) => [flag, { type: 'string' as const }])),
    ),
    ...Object.fromEntries(streamFailureSources.map((source) => [streamFailureFlag(source), { type: 'string' as const }])),
    region: { type: 'string' },
    'dynamodb-endpoint': { type: 'string' },
    'sqs-endpoint': { type: 'string' },
    ...(command === 'status'
      ? { 'stuck-after-seconds': { type: 'string' }, 'scan-claims': { type: 'boolean' } }
      : { endpoint: { type: 'string' } }),
  });
  if (has('help')) return { command: 'help' };
  const target = targetOf(text);
  if (command === 'status') {
    const stuckAfterSeconds = wholeNumberFlag(text('stuck-after-seconds'), 'stuck-after-seconds', 1);
    return {
      command,
      target,
      stuckAfterMs: stuckAfterSeconds === undefined ? undefined : stuckAfterSeconds * 1000,
      scanClaims: has('scan-claims'),
    };
  }
  const raw = text('endpoint');
  const endpoint = raw === undefined ? undefined : parseId('webhookEndpoint', raw);
  if (endpoint === undefined) throw new UsageError(`redrive needs --endpoint <id>, a webhook endpoint id (we_...), got ${raw ?? 'none'}`);
  return { command, target, endpoint };
};
