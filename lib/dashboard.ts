import { Duration, Stack } from 'aws-cdk-lib';
import { AlarmStatusWidget, Dashboard, GraphWidget, type IMetric, type IWidget, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { metricNamespace, type MetricService, metricServices } from '../lambdas/shared/metric-names.js';
import { routes, type RouteSpec } from '../lambdas/topology.js';
import { type AlarmSources, serviceMetric } from './alarm-declarations.js';
import type { DeclaredAlarm } from './alarms.js';

export interface OperationsDashboardProps {
  readonly sources: AlarmSources;
  readonly alarms: readonly DeclaredAlarm[];
}

const fiveMinutes = Duration.minutes(5);
const sum = { statistic: 'Sum', period: fiveMinutes };

/** API Gateway's per-method count of one route; the stage has detailed metrics enabled. */
const routeRequests = (sources: AlarmSources, route: RouteSpec): IMetric =>
  new Metric({
    ...sum,
    namespace: 'AWS/ApiGateway',
    metricName: 'Count',
    label: `${route.method} ${route.path}`,
    dimensionsMap: {
      ApiName: sources.stage.restApi.restApiName,
      Stage: sources.stage.stageName,
      Method: route.method,
      Resource: route.path,
    },
  });

/**
 * A metric emitted with dimensions beyond its service (a route, an operation, an outcome), whose
 * series only a search finds: one line per series, or with `sum`, all of them added up.
 */
const searched = <S extends MetricService>(
  service: S,
  name: keyof (typeof metricServices)[S]['metrics'],
  dimensions: readonly string[],
  options: { readonly statistic: string; readonly label: string; readonly sum?: boolean },
): IMetric => {
  const metricName = (metricServices[service].metrics as Record<typeof name, string>)[name];
  const search = `SEARCH('{${[metricNamespace, 'service', ...dimensions].join(',')}} MetricName="${metricName}" service="${metricServices[service].service}"', '${options.statistic}', ${fiveMinutes.toSeconds()})`;
  return new MathExpression({
    expression: options.sum === true ? `SUM(${search})` : search,
    label: options.label,
    period: fiveMinutes,
    usingMetrics: {},
  });
};

const idempotencyOutcomes = Object.keys(metricServices.idempotency.metrics) as (keyof typeof metricServices.idempotency.metrics)[];

/** What Powertools users ask for: cached versus fresh, processor health, who is held back, webhook delivery. */
const trafficWidgets = (): IWidget[] => [
  new GraphWidget({
    title: 'Idempotency outcomes (all routes)',
    width: 6,
    left: idempotencyOutcomes.map((outcome) =>
      searched('idempotency', outcome, ['route'], { statistic: 'Sum', label: outcome, sum: true }),
    ),
  }),
  new GraphWidget({
    title: 'Processor calls by operation and outcome',
    width: 6,
    left: [searched('processor', 'calls', ['operation', 'outcome'], { statistic: 'Sum', label: '' })],
  }),
  new GraphWidget({
    title: 'Processor latency p99 (ms)',
    width: 6,
    left: [searched('processor', 'latency', ['operation', 'outcome'], { statistic: 'p99', label: '' })],
  }),
  new GraphWidget({
    title: 'Rate-limited requests and webhooks',
    width: 6,
    left: [
      searched('rateLimit', 'rateLimited', ['route'], { statistic: 'Sum', label: 'Rate limited (429)', sum: true }),
      serviceMetric('webhookDispatcher', 'attempts', { ...sum, label: 'Webhook attempts' }),
      serviceMetric('webhookDispatcher', 'delivered', { ...sum, label: 'Webhooks delivered' }),
      serviceMetric('webhookDispatcher', 'failedAttempts', { ...sum, label: 'Webhook attempts failed' }),
      searched('webhookDispatcher', 'failedDeliveries', ['reason'], { statistic: 'Sum', label: 'Webhook deliveries given up', sum: true }),
    ],
  }),
];

/** The money the API moved and what recovery and reconciliation did about the rest. */
const businessWidgets = (sources: AlarmSources): IWidget[] => [
  new GraphWidget({
    title: 'Charge and refund requests',
    width: 8,
    left: (routes as readonly RouteSpec[])
      .filter((route) => route.function === 'charges' && route.method === 'POST')
      .map((route) => routeRequests(sources, route)),
  }),
  new GraphWidget({
    title: 'API answers',
    width: 8,
    left: [
      sources.stage.metricCount({ ...sum, label: 'Requests' }),
      sources.stage.metricClientError({ ...sum, label: '4XX' }),
      sources.stage.metricServerError({ ...sum, label: '5XX' }),
    ],
  }),
  new GraphWidget({
    title: 'Recovered charges and refunds',
    width: 8,
    left: [
      serviceMetric('completer', 'committed', { ...sum, label: 'Completer: committed' }),
      serviceMetric('completer', 'notCharged', { ...sum, label: 'Completer: not charged' }),
      serviceMetric('completer', 'stillUnknown', { ...sum, label: 'Completer: still unknown' }),
      serviceMetric('reconciler', 'recovered', { ...sum, label: 'Reconciler: recovered' }),
      serviceMetric('reconciler', 'matched', { ...sum, label: 'Reconciler: matched' }),
    ],
  }),
];

/** One graph per alarm group, drawing each alarm's own metric, with the threshold when the group shares one. */
const alarmWidgets = (sources: AlarmSources, alarms: readonly DeclaredAlarm[]): IWidget[] => {
  const groups = new Map<string, DeclaredAlarm[]>();
  for (const entry of alarms) groups.set(entry.declaration.group, [...(groups.get(entry.declaration.group) ?? []), entry]);
  return [...groups].map(([title, members]) => {
    const thresholds = new Set(members.map((member) => member.declaration.threshold));
    const [threshold] = thresholds;
    return new GraphWidget({
      title,
      width: 12,
      left: members.map(({ declaration }) =>
        declaration.metric(sources, { statistic: declaration.statistic, period: declaration.period, label: declaration.id }),
      ),
      leftAnnotations: thresholds.size === 1 && threshold !== undefined ? [{ value: threshold, label: 'Alarm threshold' }] : [],
    });
  });
};

/** The operator's page: every alarm's state, the business metrics, then each alarm's metric. */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', width: 24, alarms: props.alarms.map((entry) => entry.alarm) })],
        businessWidgets(props.sources),
        trafficWidgets(),
        alarmWidgets(props.sources, props.alarms),
      ],
    });
  }
}
