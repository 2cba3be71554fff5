import { Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routes, type FunctionName, type RouteSpec } from '../lambdas/topology.js';
import type { StackConfig } from './config.js';
import { addProblemGatewayResponses } from './gateway-responses.js';
import { deployed } from './deployed.js';

export interface HttpApiProps {
  readonly functions: Readonly<Partial<Record<FunctionName, IFunction>>>;
  readonly config: StackConfig;
}

/**
 * One JSON object per request. Only values API Gateway produces itself (ids, numbers, the
 * route template, its error type), never client-controlled text such as the raw path or
 * headers, which API Gateway does not escape and which could carry API keys or card data.
 */
const accessLogFields = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTimeEpoch: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  errorType: '$context.error.responseType',
  wafResponseCode: '$context.wafResponseCode',
  xrayTraceId: '$context.xrayTraceId',
};

const authenticationReason =
  "Clients authenticate with Retrysafe API keys (Authorization: Bearer), checked by the handlers' authenticate middleware against hashed keys in DynamoDB, exactly as in the local stack; GET /health is public by design. An API Gateway authorizer would check the same key twice.";

/**
 * The public REST API: every topology route with a Lambda proxy integration to its function,
 * on a regional stage with throttling, JSON access logs, execution error logs, metrics and
 * X-Ray tracing, and gateway errors answered as problem+json.
 */
export class HttpApi extends Construct {
  readonly restApi: RestApi;
  readonly executionLogs: LogGroup;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.config.logRetention,
      removalPolicy: props.config.removalPolicy,
    });
    this.restApi = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Retrysafe payments API',
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway writes execution and access logs through one role per account and region;
      // creating it here would replace whichever role another stack set, so only when asked.
      cloudWatchRole: props.config.apiGatewayCloudWatchRole,
      deployOptions: {
        stageName: props.config.stageName,
        throttlingRateLimit: props.config.throttlingRateLimit,
        throttlingBurstLimit: props.config.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
        // ERROR, not INFO, and no data trace: request and response bodies hold card data.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });

    const integrations = new Map<FunctionName, LambdaIntegration>();
    for (const route of routes as readonly RouteSpec[]) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        // No test-invoke permission: the console's test button is not worth a second
        // resource-policy statement per method.
        integration = new LambdaIntegration(deployed(props.functions, route.function), { allowTestInvoke: false });
        integrations.set(route.function, integration);
      }
      const method = this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizationType: AuthorizationType.NONE,
      });
      Validations.of(method.node.findChild('Resource')).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: authenticationReason },
        { id: 'AwsSolutions-COG4', reason: authenticationReason },
      );
    }

    this.executionLogs = executionLogGroup(this, this.restApi, props.config);

    addProblemGatewayResponses(this.restApi);
    // RestApi adds an output with a generated name; the stack exports the URL as ApiUrl instead.
    this.restApi.node.tryRemoveChild('Endpoint');
    acknowledgeApiFindings(this.restApi);
  }
}

/**
 * API Gateway writes execution logs to a group of a fixed name that it would create itself,
 * kept forever. Created here first, with the stack's retention, the stage depending on it so no
 * log line can arrive before it exists.
 */
const executionLogGroup = (scope: Construct, api: RestApi, config: StackConfig): LogGroup => {
  const logGroup = new LogGroup(scope, 'ExecutionLogs', {
    logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${config.stageName}`,
    retention: config.logRetention,
    removalPolicy: config.removalPolicy,
  });
  api.deploymentStage.node.addDependency(logGroup);
  return logGroup;
};

const acknowledgeApiFindings = (api: RestApi): void => {
  Validations.of(api.node.findChild('Resource')).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason:
      'Requests are validated in the handlers (zod body schemas, typed path and query parsing) so the deployed and local stacks reject bad input with the same field-level problem+json; API Gateway models would be a second copy of every schema to drift, and their 400s cannot name the offending field. Body size is enforced at the edge by WAF.',
  });
  const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole === undefined) return;
  Validations.of(cloudWatchRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'The account-level role API Gateway assumes to write execution and access logs; AWS maintains this managed policy for exactly that service role, and API Gateway creates the execution log groups itself, so their names are not known in advance.',
  });
};
