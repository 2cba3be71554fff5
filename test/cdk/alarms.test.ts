import { describe, expect, it } from 'vitest';
import { metricNamespace, metricServices } from '../../lambdas/shared/metric-names.js';
import { eventSources, functions, type FunctionName } from '../../lambdas/topology.js';
import { alarmDeclarationsFor } from '../../lib/alarm-declarations.js';
import { logicalIdOf, synthesize } from './synthesize.js';

const { stack, template } = synthesize();
const topicRef = { Ref: logicalIdOf(stack.alarms.topic) };

interface AlarmProperties {
  readonly AlarmName: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: readonly { Name: string; Value: unknown }[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Metrics?: readonly { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[];
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly TreatMissingData: string;
  readonly AlarmActions: unknown[];
  readonly OKActions: unknown[];
}

const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: AlarmProperties }>).map(
  (resource) => resource.Properties,
);

const alarmNamed = (id: string): AlarmProperties => {
  const alarm = alarms.find((candidate) => candidate.AlarmName === `Retrysafe-${id}`);
  if (alarm === undefined) throw new Error(`No alarm Retrysafe-${id}`);
  return alarm;
};

const dimensions = (alarm: AlarmProperties): Record<string, unknown> =>
  Object.fromEntries((alarm.Dimensions ?? []).map((dimension) => [dimension.Name, dimension.Value]));

const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const functionNames = Object.keys(functions) as FunctionName[];
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

describe('alarms', () => {
  it('creates exactly the declared alarms, each notifying the alarm topic when it fires and when it clears', () => {
    expect(alarms.map((alarm) => alarm.AlarmName).sort()).toEqual(
      alarmDeclarationsFor({})
        .map((alarm) => `Retrysafe-${alarm.id}`)
        .sort(),
    );
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.AlarmName).toEqual([topicRef]);
      expect(alarm.OKActions, alarm.AlarmName).toEqual([topicRef]);
      expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('gives every threshold its reason, in the alarm description a notification carries', () => {
    for (const declaration of alarmDeclarationsFor({})) {
      expect(declaration.reason.length, declaration.id).toBeGreaterThan(40);
      expect(alarmNamed(declaration.id).Threshold).toBe(declaration.threshold);
    }
  });

  it('watches the webhook dead-letter queue and the stream failure queue for a single message', () => {
    const deadLetters = alarmNamed('WebhookDeliveriesDeadLetters');
    expect(deadLetters).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    expect(dimensions(deadLetters)).toEqual({
      QueueName: { 'Fn::GetAtt': [logicalIdOf(stack.queues.byName.webhookDeliveries.deadLetterQueue), 'QueueName'] },
    });
    const [failures] = stack.eventSources.streamFailureQueues;
    if (failures === undefined) throw new Error('No stream failure queue');
    const streamFailures = alarmNamed('WebhookPublisherStreamFailures');
    expect(streamFailures).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    expect(dimensions(streamFailures)).toEqual({ QueueName: { 'Fn::GetAtt': [logicalIdOf(failures.queue), 'QueueName'] } });
  });

  it('watches the age of the oldest delivery message past the longest SQS delay plus five minutes', () => {
    const age = alarmNamed('WebhookDeliveriesOldestMessage');
    expect(age).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Threshold: 1200 });
    expect(dimensions(age)).toEqual({
      QueueName: { 'Fn::GetAtt': [logicalIdOf(stack.queues.byName.webhookDeliveries.queue), 'QueueName'] },
    });
  });

  it("watches each stream reader's IteratorAge", () => {
    for (const source of eventSources.filter((candidate) => candidate.source.kind === 'stream')) {
      const alarm = alarmNamed(`${pascal(source.function)}IteratorAge`);
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: 60_000 });
      expect(dimensions(alarm)).toEqual({ FunctionName: ref(stack.functions.named(source.function)) });
    }
  });

  it.each(functionNames)('alarms on any error or throttle of %s', (name) => {
    for (const metric of ['Errors', 'Throttles']) {
      const alarm = alarmNamed(`${pascal(name)}${metric}`);
      expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: metric, Statistic: 'Sum', Threshold: 0 });
      expect(dimensions(alarm)).toEqual({ FunctionName: ref(stack.functions.named(name)) });
    }
  });

  it('watches the API stage’s 5XX rate and p99 latency', () => {
    const stageDimensions = { ApiName: 'Retrysafe-api', Stage: ref(stack.http.restApi.deploymentStage) };
    const errors = alarmNamed('Api5xxRate');
    expect(errors).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Average', Threshold: 0.01 });
    expect(dimensions(errors)).toEqual(stageDimensions);
    const latency = alarmNamed('ApiLatencyP99');
    expect(latency).toMatchObject({ MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: 200, EvaluationPeriods: 3 });
    expect(dimensions(latency)).toEqual(stageDimensions);
  });

  it('alarms on RateLimitStoreUnavailable in either fail mode', () => {
    const alarm = alarmNamed('RateLimitStoreUnavailable');
    expect(alarm.Threshold).toBe(0);
    const stats = (alarm.Metrics ?? []).flatMap((metric) => (metric.MetricStat === undefined ? [] : [metric.MetricStat.Metric]));
    expect(stats).toEqual(
      ['open', 'closed'].map((failMode) => ({
        Namespace: metricNamespace,
        MetricName: metricServices.rateLimit.metrics.storeUnavailable,
        Dimensions: expect.arrayContaining([
          { Name: 'service', Value: metricServices.rateLimit.service },
          { Name: 'failMode', Value: failMode },
        ]) as unknown,
      })),
    );
    expect(alarm.Metrics?.find((metric) => metric.Expression !== undefined)?.Expression).toBe('open + closed');
  });

  it.each([
    ['RecoveryPointsStuck', 'completer', 'OldestRecoveryPointAge', 900],
    ['ReconciliationMismatched', 'reconciler', 'ReconciliationMismatched', 0],
    ['ReconciliationUnknown', 'reconciler', 'ReconciliationUnknown', 0],
    ['OutboxEventsUnpublished', 'webhookSweeper', 'OutboxEventsUnpublished', 0],
  ] as const)('%s watches the %s metric %s above %d', (id, service, metricName, threshold) => {
    const alarm = alarmNamed(id);
    expect(alarm).toMatchObject({ Namespace: metricNamespace, MetricName: metricName, Threshold: threshold });
    expect(dimensions(alarm)).toEqual({ service: metricServices[service].service });
  });

  it('calls a recovery point stuck at the age the reconciler does, as the context sets it', () => {
    const { template: overridden } = synthesize({ 'retrysafe:recoveryStuckAfterSeconds': 1800 });
    const stuck = Object.values(overridden.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: AlarmProperties }>).find(
      (resource) => resource.Properties.AlarmName === 'Retrysafe-RecoveryPointsStuck',
    );
    expect(stuck?.Properties.Threshold).toBe(1800);
  });

  it('alarms on a spike of requests WAF blocked', () => {
    const alarm = alarmNamed('WafBlockedRequests');
    expect(alarm).toMatchObject({ Namespace: 'AWS/WAFV2', MetricName: 'BlockedRequests', Statistic: 'Sum', Threshold: 100 });
    expect(dimensions(alarm)).toMatchObject({
      Rule: 'ALL',
      Region: { Ref: 'AWS::Region' },
      WebACL: { 'Fn::Select': [0, { 'Fn::Split': ['|', ref(stack.firewall.webAcl)] }] },
    });
  });
});

describe('alarm topic', () => {
  it('has no subscriber unless the context names an e-mail address', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const subscribed = synthesize({ 'retrysafe:alarmEmail': 'ops@example.com' });
    subscribed.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(subscribed.stack.alarms.topic) },
    });
  });

  it('refuses an address that is not one', () => {
    expect(() => synthesize({ 'retrysafe:alarmEmail': 'ops' })).toThrow(/retrysafe:alarmEmail must be an e-mail address/);
  });
});

describe('dashboard', () => {
  const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));

  it('shows every alarm’s state and metric', () => {
    // The dashboard body is JSON inside the template's JSON, so its quotes arrive escaped.
    for (const declaration of alarmDeclarationsFor({})) expect(body, declaration.id).toContain(`\\"label\\":\\"${declaration.id}\\"`);
    for (const { alarm } of stack.alarms.alarms) expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'] }));
  });

  it('shows the business metrics: charge requests and recovered charges', () => {
    expect(body).toContain('POST /v1/charges');
    for (const name of Object.values(metricServices.completer.metrics).filter((metric) => metric !== 'OldestRecoveryPointAge'))
      expect(body).toContain(name);
    expect(body).toContain(metricServices.reconciler.metrics.recovered);
  });

  it('shows every idempotency outcome, processor calls and latency, rate-limited requests and webhook deliveries', () => {
    for (const service of ['idempotency', 'processor', 'webhookDispatcher'] as const)
      for (const name of Object.values(metricServices[service].metrics)) expect(body, name).toContain(name);
    expect(body).toContain(metricServices.rateLimit.metrics.rateLimited);
    // Metrics with a route, operation or outcome dimension are drawn through searches, one series per value.
    expect(body).toContain(`{${metricNamespace},service,route} MetricName=`);
    expect(body).toContain(`{${metricNamespace},service,operation,outcome} MetricName=`);
  });
});
