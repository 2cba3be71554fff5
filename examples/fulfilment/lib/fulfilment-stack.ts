import { resolve } from 'node:path';
import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { sourceCondition } from '../../../workspace-conditions.js';
import { type FulfilmentTable, fulfilmentTableEnvVar, fulfilmentTables } from '../tables.js';

const exampleRoot = resolve(import.meta.dirname, '..');
const repositoryRoot = resolve(exampleRoot, '../..');

/** ESM for Node.js 22; some bundled CommonJS dependencies call `require`, which the banner provides. */
const bundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  sourceMap: true,
  banner: "import { createRequire as __exampleCreateRequire } from 'node:module'; const require = __exampleCreateRequire(import.meta.url);",
  // In this repository @retrysafe/idempotency bundles from its sources; an installed copy needs no flag.
  esbuildArgs: { '--conditions': sourceCondition },
};

/** The receiver's notifier attempts (3 of at most 3 s, with backoff) fit well inside its timeout. */
const receiverTimeout = Duration.seconds(30);
const notifierTimeout = Duration.seconds(10);

/**
 * The fulfilment example, deployable on its own: B receives Retrysafe's webhooks at
 * POST /webhooks/retrysafe and calls C at POST /notifications, both behind one HTTP API.
 * The webhook secrets are a NoEcho parameter, so they never appear in the template.
 */
export class FulfilmentStack extends Stack {
  readonly tables: Readonly<Record<FulfilmentTable, Table>>;
  readonly receiver: NodejsFunction;
  readonly notifier: NodejsFunction;
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const secrets = new CfnParameter(this, 'WebhookSecrets', {
      type: 'String',
      noEcho: true,
      description: "The Retrysafe endpoint's whsec_ secret; during a rotation, the old and the new one, space-separated.",
    });

    this.tables = Object.fromEntries(
      (Object.entries(fulfilmentTables) as [FulfilmentTable, (typeof fulfilmentTables)[FulfilmentTable]][]).map(([name, spec]) => [
        name,
        new Table(this, name, {
          partitionKey: { name: spec.partitionKey.name, type: AttributeType.STRING },
          billingMode: BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          ...('ttlAttribute' in spec ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      ]),
    ) as Record<FulfilmentTable, Table>;
    const tableEnvironment = (names: readonly FulfilmentTable[]) =>
      Object.fromEntries(names.map((name) => [fulfilmentTableEnvVar(name), this.tables[name].tableName]));

    this.api = new HttpApi(this, 'Api', { description: 'The fulfilment example: Retrysafe webhooks in, notifications out.' });

    this.notifier = this.exampleFunction(
      'Notifier',
      'notifier/handler.ts',
      notifierTimeout,
      tableEnvironment(['notifierIdempotency', 'notifications']),
    );
    this.tables.notifierIdempotency.grantReadWriteData(this.notifier);
    this.tables.notifications.grantReadWriteData(this.notifier);

    this.receiver = this.exampleFunction('Receiver', 'receiver/handler.ts', receiverTimeout, {
      ...tableEnvironment(['webhookReceipts', 'fulfilments']),
      WEBHOOK_SECRETS: secrets.valueAsString,
      NOTIFIER_URL: `${this.api.apiEndpoint}/notifications`,
    });
    this.tables.webhookReceipts.grantReadWriteData(this.receiver);
    this.tables.fulfilments.grantReadWriteData(this.receiver);

    this.api.addRoutes({
      path: '/webhooks/retrysafe',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('ReceiverIntegration', this.receiver),
    });
    this.api.addRoutes({
      path: '/notifications',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('NotifierIntegration', this.notifier),
    });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.api.apiEndpoint}/webhooks/retrysafe`,
      description: 'Register this URL as a Retrysafe webhook endpoint for charge.succeeded.',
    });
  }

  private exampleFunction(id: string, entry: string, timeout: Duration, environment: Record<string, string>): NodejsFunction {
    return new NodejsFunction(this, id, {
      entry: resolve(exampleRoot, entry),
      handler: 'handler',
      projectRoot: repositoryRoot,
      depsLockFilePath: resolve(repositoryRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling,
    });
  }
}
