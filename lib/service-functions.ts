import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type FunctionUrl,
  FunctionUrlAuthType,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { formatSetting } from '../lambdas/settings.js';
import {
  accessLevels,
  deployedWithProcessor,
  functions,
  tables as tableSpecs,
  type FunctionName,
  type FunctionSpec,
  type QueueAccess,
  type QueueName,
  type TableName,
} from '../lambdas/topology.js';
import { sourceCondition } from '../workspace-conditions.js';
import type { ProcessorChoice, StackConfig } from './config.js';
import { deployed, deployedTablesOf } from './deployed.js';
import { functionEnvironment } from './function-environment.js';
import { pascalCase } from './names.js';
import { grantQueueAccess } from './queue-grants.js';
import { grantTableAccess } from './table-grants.js';
import type { QueuePair } from './work-queues.js';

const repositoryRoot = resolve(fileURLToPath(import.meta.url), '../..');

/** The sandbox card processor: reached through its IAM-authenticated function URL, never through API Gateway. */
const processorFunction: FunctionName = 'processor';

export interface ServiceFunctionsProps {
  readonly tables: Readonly<Partial<Record<TableName, ITable>>>;
  readonly queues: Readonly<Record<QueueName, QueuePair>>;
  readonly config: StackConfig;
}

/**
 * The function bundles: ESM for Node.js 22 with the AWS SDK inside, so the deployed code runs
 * exactly the SDK version the tests ran rather than whatever the runtime ships. Some bundled
 * CommonJS dependencies still call `require`, which an ESM bundle lacks; the banner provides it.
 */
const bundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  minify: true,
  // Class and function names survive minification, so logged errors read as in the sources.
  keepNames: true,
  sourceMap: true,
  sourcesContent: false,
  banner:
    "import { createRequire as __retrysafeCreateRequire } from 'node:module'; const require = __retrysafeCreateRequire(import.meta.url);",
  // Workspace packages (@retrysafe/idempotency) bundle from their sources: nothing is built first.
  esbuildArgs: { '--conditions': sourceCondition },
};

/**
 * One Lambda function per topology function, each with its own role holding exactly the
 * grants its topology entry lists, its own log group (JSON logs, finite retention) and X-Ray
 * tracing.
 */
export class ServiceFunctions extends Construct {
  /** The functions deployed with the chosen processor: all but the sandbox's own when it is Stripe. */
  readonly byName: Readonly<Partial<Record<FunctionName, NodejsFunction>>>;
  /** The sandbox processor's function URL; none with Stripe. */
  readonly processorUrl: FunctionUrl | undefined;
  /** The secret holding the Stripe key; none with the sandbox. */
  readonly stripeSecret: ISecret | undefined;

  constructor(scope: Construct, id: string, props: ServiceFunctionsProps) {
    super(scope, id);
    const { processor } = props.config;
    const entries = (Object.entries(functions) as [FunctionName, FunctionSpec][])
      .filter(([, spec]) => deployedWithProcessor(spec, processor.kind))
      .map(([name, spec]) => [name, this.createFunction(name, spec, props)] as const);
    this.byName = Object.fromEntries(entries);

    const callers = (Object.entries(functions) as [FunctionName, FunctionSpec][])
      .filter(([, spec]) => spec.callsProcessor === true)
      .map(([name]) => this.named(name));
    for (const caller of callers) caller.addEnvironment('PROCESSOR_KIND', formatSetting('PROCESSOR_KIND', processor.kind));
    const connection = this.connectProcessor(processor, callers);
    this.processorUrl = connection.url;
    this.stripeSecret = connection.secret;
  }

  named(name: FunctionName): NodejsFunction {
    return deployed(this.byName, name);
  }

  /** Points every caller at the processor, with the one grant that lets it call: the function URL's, or the secret's. */
  private connectProcessor(
    processor: ProcessorChoice,
    callers: readonly NodejsFunction[],
  ): { readonly url?: FunctionUrl; readonly secret?: ISecret } {
    switch (processor.kind) {
      case 'sandbox': {
        const url = this.named(processorFunction).addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
        for (const caller of callers) {
          caller.addEnvironment('PROCESSOR_URL', url.url);
          // Tells the processor client to sign its requests with SigV4 for the function URL.
          caller.addEnvironment('PROCESSOR_AUTH', 'iam');
          url.grantInvokeUrl(caller);
        }
        return { url };
      }
      case 'stripe': {
        const secret = importedSecret(this, processor.secret);
        for (const caller of callers) {
          // The secret's name or ARN only: the key is read at run time, never written into the template.
          caller.addEnvironment('STRIPE_API_KEY_SECRET_ARN', processor.secret);
          secret.grantRead(caller.role as IRole);
        }
        return { secret };
      }
    }
  }

  private createFunction(name: FunctionName, spec: FunctionSpec, props: ServiceFunctionsProps): NodejsFunction {
    const id = pascalCase(name);
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Retrysafe ${name} function: ${spec.purpose}`,
    });
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: props.config.logRetention,
      removalPolicy: props.config.removalPolicy,
    });
    // Written here instead of the AWSLambdaBasicExecutionRole managed policy, which allows
    // writing to every log group in the account.
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, id, {
      description: spec.purpose,
      entry: resolve(repositoryRoot, spec.entry),
      handler: 'handler',
      projectRoot: repositoryRoot,
      depsLockFilePath: resolve(repositoryRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: props.config.logLevel,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: spec.moneyPath === true ? props.config.moneyPathReservedConcurrency : undefined,
      environment: {
        ...functionEnvironment(name, spec, props),
        // Stack traces in the logs point into the TypeScript sources rather than the minified bundle.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling,
    });

    for (const [table, accesses] of deployedTablesOf(spec, props.config)) {
      grantTableAccess(role, deployed(props.tables, table), tableSpecs[table], accessLevels(accesses));
    }
    for (const [queue, access] of Object.entries(spec.queues ?? {}) as [QueueName, QueueAccess][]) {
      grantQueueAccess(role, props.queues[queue], access);
    }

    acknowledgeFunctionFindings(fn, role, spec);
    return fn;
  }
}

/**
 * The secret as the context names it. A complete ARN ends in the six characters Secrets Manager
 * appends; a partial ARN or a name is granted with that suffix as a wildcard.
 */
const importedSecret = (scope: Construct, secret: string): ISecret => {
  if (!secret.startsWith('arn:')) return Secret.fromSecretNameV2(scope, 'StripeSecret', secret);
  return /:secret:.+-[A-Za-z0-9]{6}$/.test(secret)
    ? Secret.fromSecretCompleteArn(scope, 'StripeSecret', secret)
    : Secret.fromSecretPartialArn(scope, 'StripeSecret', secret);
};

/** Acknowledged on the CfnFunction and the role's policy themselves, so nothing else inherits them. */
const acknowledgeFunctionFindings = (fn: NodejsFunction, role: Role, spec: FunctionSpec): void => {
  const runtimeReason =
    'Retrysafe standardises on the Node.js 22 Lambda runtime: the bundles target node22 and the project is developed and tested on Node 20+; moving to Node.js 24 is a deliberate upgrade to test first, not a lint fix.';
  Validations.of(fn.node.findChild('Resource')).acknowledge(
    { id: 'AwsSolutions-L1', reason: runtimeReason },
    { id: 'Serverless-LambdaLatestVersion', reason: runtimeReason },
    {
      id: 'Serverless-LambdaDLQ',
      reason:
        spec.runsEvery === undefined
          ? 'This function is not invoked asynchronously, and a DeadLetterConfig only catches failed asynchronous invocations. API Gateway and the function URL invoke synchronously (the caller sees the error); the SQS mapping fails over to the queue redrive policy and the stream mapping to its on-failure queue.'
          : "Only its EventBridge schedule invokes this function asynchronously, and a schedule's event carries no work: the job finds its work in the tables, so the next run redoes whatever a failed run left undone. A dead-letter queue would only collect empty schedule events.",
    },
  );
  Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only actions without resource-level permissions use *: xray:PutTraceSegments and xray:PutTelemetryRecords for active tracing, and (for the stream consumer) dynamodb:ListStreams, which lists stream ARNs and reads no data. Every DynamoDB data action and every SQS action names its table, index, stream or queue; test/cdk asserts it.',
  });
};
