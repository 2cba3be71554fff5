import { Aws, Duration, Fn } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { type IMetric, MathExpression, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { rateLimitFailModes, readSetting } from '../lambdas/settings.js';
import { metricNamespace, type MetricService, metricServices } from '../lambdas/shared/metric-names.js';
import { eventSources, functions, queues, type EventSourceSpec, type FunctionName, type QueueName } from '../lambdas/topology.js';
import { unpublishedAfterMs } from '../lambdas/webhooks/outbox-sweep.js';
import { maxSqsDelaySeconds } from '../lambdas/webhooks/retry-policy.js';
import type { HandlerSettings } from './config.js';
import type { StreamFailureQueue } from './event-source-mappings.js';
import { pascalCase } from './names.js';
import type { QueuePair } from './work-queues.js';
import { deployed } from './deployed.js';

/** What the alarms watch, as the stack built it. */
export interface AlarmSources {
  readonly functions: Readonly<Partial<Record<FunctionName, IFunction>>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly streamFailureQueues: readonly StreamFailureQueue[];
  readonly stage: Stage;
  readonly webAcl: CfnWebACL;
}

type Unit = 'count' | 'seconds' | 'milliseconds' | 'ratio';

/**
 * One alarm: the metric, the threshold it must stay at or under, and why that threshold. Every
 * alarm fires above its threshold, notifies the alarm topic, and treats missing data as
 * healthy: the counters are emitted only when something ran, and silence is what a quiet stack
 * looks like. The README's alarm table (`npm run docs`) is written from these declarations.
 */
export interface AlarmDeclaration {
  /** Construct id and alarm name, after the stack's name. */
  readonly id: string;
  /** Dashboard graph the alarm's metric is drawn on. */
  readonly group: string;
  readonly watches: string;
  readonly statistic: string;
  readonly period: Duration;
  /** Periods in a row above the threshold before the alarm fires. */
  readonly evaluationPeriods: number;
  readonly threshold: number;
  readonly unit: Unit;
  readonly reason: string;
  /** The function the alarm watches, if one: its alarm exists only where the function is deployed. */
  readonly function?: FunctionName;
  readonly metric: (sources: AlarmSources, options: MetricOptions) => IMetric;
}

const oneMinute = Duration.minutes(1);
const fiveMinutes = Duration.minutes(5);

/** A metric a Retrysafe function emits through Powertools, addressed by its service dimension. */
export const serviceMetric = <S extends MetricService>(
  service: S,
  name: keyof (typeof metricServices)[S]['metrics'],
  options: MetricOptions & { readonly dimensionsMap?: Record<string, string> } = {},
): Metric =>
  new Metric({
    ...options,
    namespace: metricNamespace,
    metricName: (metricServices[service].metrics as Record<typeof name, string>)[name],
    dimensionsMap: { service: metricServices[service].service, ...options.dimensionsMap },
  });

/** The web ACL's name: its Ref is `name|id|scope`, and naming it ourselves would replace it. */
export const webAclName = (webAcl: CfnWebACL): string => Fn.select(0, Fn.split('|', webAcl.ref));

export const wafBlockedRequests = (webAcl: CfnWebACL, options: MetricOptions): Metric =>
  new Metric({
    ...options,
    namespace: 'AWS/WAFV2',
    metricName: 'BlockedRequests',
    dimensionsMap: { WebACL: webAclName(webAcl), Region: Aws.REGION, Rule: 'ALL' },
  });

const functionNames = Object.keys(functions) as FunctionName[];
const queueNames = Object.keys(queues) as QueueName[];
const streamSources = (eventSources as readonly EventSourceSpec[]).filter((source) => source.source.kind === 'stream');

/** The webhook delivery queue's worst honest wait: the longest SQS delay, then five minutes to be taken. */
const deliveryQueueAgeSeconds = maxSqsDelaySeconds + 5 * 60;

/**
 * How far behind its stream the publisher may fall. A healthy stream is read within seconds;
 * a minute behind, batches are failing or the function is throttled, well before the sweeper
 * takes events over (lambdas/webhooks/outbox-sweep.ts) or the mapping drops records.
 */
const iteratorAgeMs = 60_000;

/**
 * The seeds' target: p99 under 200 ms. Three five-minute periods in a row, so one burst of cold
 * starts does not page anyone but a sustained breach of the target does.
 */
export const p99LatencyTargetMs = 200;

/**
 * Ten times the 0.1% of failed requests a 99.9% availability target allows: at this rate the
 * month's error budget is gone in three days. Overload answers (503) count too: they are the
 * capacity plan falling short.
 */
const serverErrorRate = 0.01;

/**
 * WAF blocks per five minutes that make a spike. An honest client never reaches the per-IP
 * limit or sends a body over 64 KiB, so a few blocks are probes; a hundred is a flood or a
 * client stuck in a loop, and someone should look at the WAF logs.
 */
const wafBlockedPerFiveMinutes = 100;

const deadLetterAlarms = queueNames.map((queue): AlarmDeclaration => ({
  id: `${pascalCase(queue)}DeadLetters`,
  group: 'Dead letters and stream failures',
  watches: `Messages in the dead-letter queue of \`${queue}\``,
  statistic: 'Maximum',
  period: oneMinute,
  evaluationPeriods: 1,
  threshold: 0,
  unit: 'count',
  reason: 'A message lands there only when its work failed for good or could not be read; nothing retries it until an operator redrives it',
  metric: (sources, options) => sources.queues[queue].deadLetterQueue.metricApproximateNumberOfMessagesVisible(options),
}));

const streamFailureAlarms = streamSources.map((source): AlarmDeclaration => ({
  id: `${pascalCase(source.function)}StreamFailures`,
  group: 'Dead letters and stream failures',
  watches: `Stream records \`${source.function}\` gave up on`,
  statistic: 'Maximum',
  period: oneMinute,
  evaluationPeriods: 1,
  threshold: 0,
  unit: 'count',
  reason:
    'A record lands there only after the mapping retried it until it was too old: the publisher failed one event for that long. The sweeper still publishes the event; why it failed needs a person',
  metric: (sources, options) => {
    const failures = sources.streamFailureQueues.find((candidate) => candidate.source === source);
    if (failures === undefined) throw new Error(`No stream failure queue for ${source.function}`);
    return failures.queue.metricApproximateNumberOfMessagesVisible(options);
  },
}));

const deliveryQueueAge: AlarmDeclaration = {
  id: 'WebhookDeliveriesOldestMessage',
  group: 'Webhook delivery',
  watches: 'Age of the oldest message on the `webhookDeliveries` queue',
  statistic: 'Maximum',
  period: oneMinute,
  evaluationPeriods: 1,
  threshold: deliveryQueueAgeSeconds,
  unit: 'seconds',
  reason: `A message waits at most ${maxSqsDelaySeconds} s of SQS delay and is taken within seconds once visible; five minutes more and the dispatcher is not draining the queue (throttled, failing, or its mapping disabled)`,
  metric: (sources, options) => sources.queues.webhookDeliveries.queue.metricApproximateAgeOfOldestMessage(options),
};

const iteratorAgeAlarms = streamSources.map((source): AlarmDeclaration => ({
  id: `${pascalCase(source.function)}IteratorAge`,
  group: 'Webhook delivery',
  watches: `\`IteratorAge\` of \`${source.function}\`, the stream reader`,
  statistic: 'Maximum',
  period: oneMinute,
  evaluationPeriods: 3,
  threshold: iteratorAgeMs,
  unit: 'milliseconds',
  reason: `A healthy stream is read within seconds; a minute behind for three minutes, batches are failing or the function is throttled, and events reach webhooks late (the sweeper takes over after ${unpublishedAfterMs / 60_000} min)`,
  function: source.function,
  metric: (sources, options) => deployed(sources.functions, source.function).metric('IteratorAge', options),
}));

const functionErrorAlarms = functionNames.map((name): AlarmDeclaration => ({
  id: `${pascalCase(name)}Errors`,
  group: 'Function errors',
  watches: `Errors of \`${name}\``,
  statistic: 'Sum',
  period: fiveMinutes,
  evaluationPeriods: 1,
  threshold: 0,
  unit: 'count',
  reason:
    'Handlers answer every expected failure themselves (problem+json, batch item failures, a sweep left for the next run), so an invocation error is an unhandled exception, a timeout or an out-of-memory: a defect or an outage',
  function: name,
  metric: (sources, options) => deployed(sources.functions, name).metricErrors(options),
}));

const functionThrottleAlarms = functionNames.map((name): AlarmDeclaration => ({
  id: `${pascalCase(name)}Throttles`,
  group: 'Function throttles',
  watches: `Throttles of \`${name}\``,
  statistic: 'Sum',
  period: fiveMinutes,
  evaluationPeriods: 1,
  threshold: 0,
  unit: 'count',
  reason:
    "A throttle means the account's (or the function's reserved) concurrency ran out: API clients got 503s, and stream and queue work waits. Any throttle is demand beyond the capacity plan",
  function: name,
  metric: (sources, options) => deployed(sources.functions, name).metricThrottles(options),
}));

const apiAlarms: readonly AlarmDeclaration[] = [
  {
    id: 'Api5xxRate',
    group: 'API 5XX rate',
    watches: 'Share of API requests answered 5XX',
    statistic: 'Average',
    period: fiveMinutes,
    evaluationPeriods: 1,
    threshold: serverErrorRate,
    unit: 'ratio',
    reason: 'Ten times the 0.1% a 99.9% availability target allows: the month’s error budget gone in three days. Overload 503s count',
    metric: (sources, options) => sources.stage.metricServerError(options),
  },
  {
    id: 'ApiLatencyP99',
    group: 'API p99 latency',
    watches: 'p99 latency of API requests',
    statistic: 'p99',
    period: fiveMinutes,
    evaluationPeriods: 3,
    threshold: p99LatencyTargetMs,
    unit: 'milliseconds',
    reason: 'The target: p99 under 200 ms. Fifteen minutes in a row, so a burst of cold starts does not page but a sustained breach does',
    metric: (sources, options) => sources.stage.metricLatency(options),
  },
];

const emittedAlarms: readonly AlarmDeclaration[] = [
  {
    id: 'RateLimitStoreUnavailable',
    group: 'Rate limiting',
    watches: '`RateLimitStoreUnavailable`, either fail mode',
    statistic: 'Sum',
    period: oneMinute,
    evaluationPeriods: 1,
    threshold: 0,
    unit: 'count',
    reason:
      'The rate-limit table could not be reached: failing open, the per-tenant limits are silently off; failing closed, tenants are refused with 503',
    metric: (_sources, options) =>
      new MathExpression({
        expression: rateLimitFailModes.join(' + '),
        label: 'Requests answered without the rate-limit table',
        period: options.period,
        usingMetrics: Object.fromEntries(
          rateLimitFailModes.map((failMode) => [
            failMode,
            serviceMetric('rateLimit', 'storeUnavailable', { ...options, dimensionsMap: { failMode } }),
          ]),
        ),
      }),
  },
  ...(['mismatched', 'unknown'] as const).map((kind): AlarmDeclaration => ({
    id: `Reconciliation${pascalCase(kind)}`,
    group: 'Recovery and reconciliation',
    watches: `\`${metricServices.reconciler.metrics[kind]}\``,
    statistic: 'Sum',
    period: fiveMinutes,
    evaluationPeriods: 1,
    threshold: 0,
    unit: 'count',
    reason:
      kind === 'mismatched'
        ? 'The processor and Retrysafe disagree about money; the reconciler changes nothing, a person must'
        : 'The processor holds an object Retrysafe did not ask for: another client of the account, or a lost key',
    metric: (_sources, options) => serviceMetric('reconciler', kind, options),
  })),
  {
    id: 'OutboxEventsUnpublished',
    group: 'Recovery and reconciliation',
    watches: `Outbox events the sweeper found unpublished after ${unpublishedAfterMs / 60_000} min`,
    statistic: 'Sum',
    period: fiveMinutes,
    evaluationPeriods: 1,
    threshold: 0,
    unit: 'count',
    reason:
      'The stream publishes an event within seconds; one the sweeper had to take over means the stream path failed it, and its webhooks are minutes late',
    metric: (_sources, options) => serviceMetric('webhookSweeper', 'outboxEventsUnpublished', options),
  },
  {
    id: 'WafBlockedRequests',
    group: 'WAF',
    watches: 'Requests WAF blocked (all rules)',
    statistic: 'Sum',
    period: fiveMinutes,
    evaluationPeriods: 1,
    threshold: wafBlockedPerFiveMinutes,
    unit: 'count',
    reason:
      'An honest client never reaches the per-IP limit or sends a body over 64 KiB, so a few blocks are probes; a hundred in five minutes is a flood or a client stuck in a loop',
    metric: (sources, options) => wafBlockedRequests(sources.webAcl, options),
  },
];

/** Stuck recovery points, at the same age the reconciler reports them stuck: one setting, deployed once. */
const recoveryPointsStuck = (settings: HandlerSettings): AlarmDeclaration => ({
  id: 'RecoveryPointsStuck',
  group: 'Recovery and reconciliation',
  watches: 'Age of the oldest unresolved recovery point (`OldestRecoveryPointAge`)',
  statistic: 'Maximum',
  period: fiveMinutes,
  evaluationPeriods: 1,
  threshold: readSetting('RECOVERY_STUCK_AFTER_SECONDS', settings),
  unit: 'seconds',
  reason:
    '`RECOVERY_STUCK_AFTER_SECONDS` as deployed (default 900): a point this old has outlived many completer runs, so the processor is down or the point fails every time',
  metric: (_sources, options) => serviceMetric('completer', 'oldestRecoveryPointAge', options),
});

/** Every alarm, its thresholds as the stack's context sets them (the README shows the defaults). */
export const alarmDeclarationsFor = (settings: HandlerSettings): readonly AlarmDeclaration[] => [
  ...deadLetterAlarms,
  ...streamFailureAlarms,
  deliveryQueueAge,
  ...iteratorAgeAlarms,
  ...functionErrorAlarms,
  ...functionThrottleAlarms,
  ...apiAlarms,
  ...emittedAlarms,
  recoveryPointsStuck(settings),
];

const unitText: Record<Unit, (value: number) => string> = {
  count: String,
  seconds: (value) => `${value} s`,
  milliseconds: (value) => `${value} ms`,
  ratio: (value) => `${value * 100}%`,
};

/** The condition in words, for the README: "> 0 (Maximum, 1 min)". */
export const alarmCondition = (alarm: AlarmDeclaration): string => {
  const minutes = alarm.period.toMinutes();
  const periods = alarm.evaluationPeriods > 1 ? `, ${alarm.evaluationPeriods} periods in a row` : '';
  return `> ${unitText[alarm.unit](alarm.threshold)} (${alarm.statistic}, ${minutes} min${periods})`;
};
