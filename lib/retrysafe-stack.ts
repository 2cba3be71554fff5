import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { QueueName, TableName } from '../lambdas/topology.js';
import { readStackConfig } from './config.js';
import type { AlarmSources } from './alarm-declarations.js';
import { OperationsAlarms } from './alarms.js';
import { OperationsDashboard } from './dashboard.js';
import { ApiDomain } from './api-domain.js';
import { DataTables } from './data-tables.js';
import { EdgeFirewall } from './edge-firewall.js';
import { EventSourceMappings, mappingId } from './event-source-mappings.js';
import { HttpApi } from './http-api.js';
import { pascalCase } from './names.js';
import { ScheduledFunctions } from './scheduled-functions.js';
import { ServiceFunctions } from './service-functions.js';
import { WorkQueues } from './work-queues.js';

/**
 * Retrysafe on AWS, generated from lambdas/topology.ts: the same tables, queues, functions,
 * routes, event sources and schedules the local stack runs, so neither can grow a resource the
 * other lacks.
 */
export class RetrysafeStack extends Stack {
  readonly tables: DataTables;
  readonly queues: WorkQueues;
  readonly functions: ServiceFunctions;
  readonly eventSources: EventSourceMappings;
  readonly schedules: ScheduledFunctions;
  readonly http: HttpApi;
  /** The API's custom domain in this region; none without `retrysafe:domain`. */
  readonly domain: ApiDomain | undefined;
  readonly firewall: EdgeFirewall;
  readonly alarms: OperationsAlarms;
  readonly dashboard: OperationsDashboard;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const config = readStackConfig(this.node);
    if (config.regions.kind === 'multi' && !(config.regions.regions as readonly string[]).includes(this.region)) {
      throw new Error(
        `${id} is in ${this.region}, which is not one of the regions it is deployed to (${config.regions.regions.join(', ')})`,
      );
    }

    this.tables = new DataTables(this, 'Tables', {
      removalPolicy: config.removalPolicy,
      deletionProtection: config.deletionProtection,
      processor: config.processor.kind,
      regions: config.regions,
      logRetention: config.logRetention,
    });
    this.queues = new WorkQueues(this, 'Queues', { removalPolicy: config.removalPolicy });
    this.functions = new ServiceFunctions(this, 'Functions', { tables: this.tables.byName, queues: this.queues.byName, config });
    this.eventSources = new EventSourceMappings(this, 'EventSources', {
      functions: this.functions.byName,
      tables: this.tables.byName,
      queues: this.queues.byName,
      removalPolicy: config.removalPolicy,
    });
    this.schedules = new ScheduledFunctions(this, 'Schedules', { functions: this.functions.byName, config });
    this.http = new HttpApi(this, 'Http', { functions: this.functions.byName, config });
    this.domain =
      config.domain === undefined
        ? undefined
        : new ApiDomain(this, 'Domain', { domain: config.domain, regions: config.regions, api: this.http.restApi });
    this.firewall = new EdgeFirewall(this, 'Firewall', {
      stage: this.http.restApi.deploymentStage,
      requestsPerIpPer5Minutes: config.wafRequestsPerIpPer5Minutes,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const sources: AlarmSources = {
      functions: this.functions.byName,
      queues: this.queues.byName,
      streamFailureQueues: this.eventSources.streamFailureQueues,
      stage: this.http.restApi.deploymentStage,
      webAcl: this.firewall.webAcl,
    };
    this.alarms = new OperationsAlarms(this, 'Alarms', { sources, email: config.alarmEmail, settings: config.handlerSettings });
    this.dashboard = new OperationsDashboard(this, 'Dashboard', { sources, alarms: this.alarms.alarms });
    this.addOutputs();
  }

  private addOutputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.http.restApi.url, description: 'Base URL of the Retrysafe API stage' });
    if (this.domain !== undefined) {
      new CfnOutput(this, 'RegionalApiUrl', {
        value: `https://${this.domain.regionalName}/`,
        description: "The API through its custom domain, in this stack's region",
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'SNS topic every alarm notifies' });
    if (this.functions.processorUrl !== undefined) {
      new CfnOutput(this, 'ProcessorUrl', {
        value: this.functions.processorUrl.url,
        description: 'Function URL of the sandbox card processor (AWS_IAM auth)',
      });
    }
    for (const name of Object.keys(this.tables.byName) as TableName[]) {
      new CfnOutput(this, `${pascalCase(name)}TableName`, { value: this.tables.named(name).tableName });
    }
    for (const [name, pair] of Object.entries(this.queues.byName) as [QueueName, (typeof this.queues.byName)[QueueName]][]) {
      new CfnOutput(this, `${pascalCase(name)}QueueUrl`, { value: pair.queue.queueUrl });
      new CfnOutput(this, `${pascalCase(name)}DeadLetterQueueUrl`, { value: pair.deadLetterQueue.queueUrl });
    }
    for (const { source, queue } of this.eventSources.streamFailureQueues) {
      new CfnOutput(this, `${mappingId(source)}StreamFailureQueueUrl`, {
        value: queue.queueUrl,
        description: `Stream records ${source.function} gave up on after its retries`,
      });
    }
  }
}
