import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { capacityProblem } from '../../lambdas/http/capacity-problem.js';
import { maxBodyBytes } from '../../lambdas/http/json-body.js';
import { problemType, problemTypeBase } from '../../lambdas/http/problem-types.js';
import { routes, type RouteSpec } from '../../lambdas/topology.js';
import { wafLogGroupPrefix } from '../../lib/edge-firewall.js';
import { gatewayResponseBody } from '../../lib/gateway-responses.js';
import { logicalIdOf, synthesize } from './synthesize.js';

const { stack, template } = synthesize();
const apiId = logicalIdOf(stack.http.restApi);

interface ApiResource {
  readonly Properties: { readonly ParentId: unknown; readonly PathPart: string };
}
interface MethodResource {
  readonly Properties: {
    readonly HttpMethod: string;
    readonly ResourceId: { readonly Ref: string } | { readonly 'Fn::GetAtt': [string, string] };
    readonly AuthorizationType: string;
    readonly Integration: { readonly Type: string; readonly IntegrationHttpMethod: string; readonly Uri: unknown };
  };
}
interface GatewayResponseResource {
  readonly Properties: {
    readonly ResponseType: string;
    readonly StatusCode?: string;
    readonly ResponseParameters: Record<string, string>;
    readonly ResponseTemplates: Record<string, string>;
  };
}

const apiResources = template.findResources('AWS::ApiGateway::Resource') as Record<string, ApiResource>;

/** The full path of an API Gateway resource, rebuilt from its parent chain. */
const pathOf = (resourceId: MethodResource['Properties']['ResourceId']): string => {
  if ('Fn::GetAtt' in resourceId) return '';
  const resource = apiResources[resourceId.Ref];
  if (resource === undefined) throw new Error(`Unknown resource ${resourceId.Ref}`);
  return `${pathOf(resource.Properties.ParentId as MethodResource['Properties']['ResourceId'])}/${resource.Properties.PathPart}`;
};

const methods = Object.values(template.findResources('AWS::ApiGateway::Method') as Record<string, MethodResource>).map((method) => ({
  route: `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId)}`,
  properties: method.Properties,
}));

const gatewayResponses = Object.fromEntries(
  Object.values(template.findResources('AWS::ApiGateway::GatewayResponse') as Record<string, GatewayResponseResource>).map((response) => [
    response.Properties.ResponseType,
    response.Properties,
  ]),
);

/** What API Gateway does to a gateway response template: plain `$context` substitution. */
const renderGatewayBody = (template: string): unknown =>
  JSON.parse(
    template.replace('$context.error.messageString', JSON.stringify('Some "quoted" message')).replace('$context.requestId', 'req-1'),
  );

describe('REST API routes', () => {
  it('serves exactly the routes of the topology', () => {
    const topologyRoutes = (routes as readonly RouteSpec[]).map((route) => `${route.method} ${route.path}`);
    expect(methods.map((method) => method.route).sort()).toEqual(topologyRoutes.sort());
  });

  it.each((routes as readonly RouteSpec[]).map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is a Lambda proxy integration of its function',
    (key, route) => {
      const method = methods.find((candidate) => candidate.route === key);
      const functionArn = { 'Fn::GetAtt': [logicalIdOf(stack.functions.named(route.function)), 'Arn'] };
      expect(method?.properties.AuthorizationType).toBe('NONE');
      expect(method?.properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify(method?.properties.Integration.Uri)).toContain(JSON.stringify(functionArn));
    },
  );

  it('keeps the sandbox processor off the public API', () => {
    const processorArn = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack.functions.named('processor')), 'Arn'] });
    for (const method of methods) expect(JSON.stringify(method.properties.Integration.Uri)).not.toContain(processorArn);
  });
});

describe('REST API stage', () => {
  it('throttles, logs, traces and measures every method', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: apiId },
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        },
      ],
    });
  });

  it('writes one JSON access log line per request to a log group with a finite retention', () => {
    const stages = template.findResources('AWS::ApiGateway::Stage') as Record<
      string,
      { Properties: { AccessLogSetting: { Format: string } } }
    >;
    const format = Object.values(stages)[0]?.Properties.AccessLogSetting.Format ?? '';
    expect(JSON.parse(format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      errorType: '$context.error.responseType',
    });
    expect(format).not.toMatch(/header|requestBody|querystring/i);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('is named after its stack', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Retrysafe-api' });
  });

  it('keeps execution logs in a log group of the stack with a finite retention, created before the stage', () => {
    const logGroupId = logicalIdOf(stack.http.executionLogs);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/prod']] },
      RetentionInDays: 30,
    });
    const stage = (template.findResources('AWS::ApiGateway::Stage') as Record<string, { DependsOn?: string[] }>)[
      logicalIdOf(stack.http.restApi.deploymentStage)
    ];
    expect(stage?.DependsOn).toContain(logGroupId);
  });

  it("leaves the account's API Gateway logging role alone unless the context asks for one", () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(stack.http.restApi.node.tryFindChild('CloudWatchRole')).toBeUndefined();
    const withRole = synthesize({ 'retrysafe:apiGatewayCloudWatchRole': 'true' });
    withRole.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    withRole.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'apigateway.amazonaws.com' } }] },
    });
  });

  it('reads its throttling from the context', () => {
    const custom = synthesize({
      'retrysafe:throttlingRateLimit': '7',
      'retrysafe:throttlingBurstLimit': '9',
      'retrysafe:stageName': 'sandbox',
    });
    custom.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'sandbox',
      MethodSettings: [{ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 }],
    });
  });

  it('exports the API URL and the processor URL', () => {
    const { processorUrl } = stack.functions;
    if (processorUrl === undefined) throw new Error('The sandbox stack has no processor URL');
    template.hasOutput('ApiUrl', {});
    template.hasOutput('ProcessorUrl', { Value: { 'Fn::GetAtt': [logicalIdOf(processorUrl), 'FunctionUrl'] } });
  });
});

describe('gateway responses', () => {
  const expectProblem = (responseType: string, status: string | undefined, slug: string) => {
    const response = gatewayResponses[responseType];
    expect(response, responseType).toBeDefined();
    expect(response?.StatusCode).toBe(status);
    expect(response?.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
    const body = renderGatewayBody(response?.ResponseTemplates['application/json'] ?? '');
    expect(body).toMatchObject({ type: `${problemTypeBase}${slug}`, instance: 'req-1' });
    return body as Record<string, unknown>;
  };

  it('answers an unknown route with the 404 not-found problem the local stack gives', () => {
    expect(expectProblem('MISSING_AUTHENTICATION_TOKEN', '404', 'not-found')).toMatchObject({ status: 404 });
    expectProblem('RESOURCE_NOT_FOUND', '404', 'not-found');
  });

  it('answers stage throttling with a rate-limited problem and a Retry-After', () => {
    expect(expectProblem('THROTTLED', '429', 'rate-limited')).toMatchObject({ status: 429 });
    expect(gatewayResponses.THROTTLED?.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
  });

  it('answers an oversized request with a payload-too-large problem', () => {
    expect(expectProblem('REQUEST_TOO_LARGE', '413', 'payload-too-large')).toMatchObject({ status: 413 });
  });

  it.each(['INTEGRATION_FAILURE', 'INTEGRATION_TIMEOUT'])(
    'answers %s (a throttled or timed-out function) with the 503 service-unavailable problem and Retry-After the local stack gives',
    (responseType) => {
      expect(expectProblem(responseType, '503', 'service-unavailable')).toEqual({
        type: `${problemTypeBase}service-unavailable`,
        title: problemType('service-unavailable').title,
        status: 503,
        detail: capacityProblem.detail,
        instance: 'req-1',
      });
      expect(gatewayResponses[responseType]?.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    },
  );

  it('keeps the gateway status and message for the remaining 4xx and 5xx, as valid JSON', () => {
    expect(expectProblem('DEFAULT_4XX', undefined, 'validation-error')).toMatchObject({ detail: 'Some "quoted" message' });
    const internal = expectProblem('DEFAULT_5XX', undefined, 'internal-error');
    expect(internal).not.toHaveProperty('status');
  });

  it('renders every problem body as JSON whatever the gateway message holds', () => {
    for (const response of Object.values(gatewayResponses)) {
      expect(() => renderGatewayBody(response.ResponseTemplates['application/json'] ?? '')).not.toThrow();
    }
    expect(gatewayResponseBody({ slug: 'internal-error', statusVaries: true })).toContain('$context.error.messageString}');
  });
});

interface WebAclResource {
  readonly Properties: {
    readonly Rules: Record<string, unknown>[];
    readonly CustomResponseBodies: Record<string, { readonly Content: string }>;
  };
}

describe('WAF', () => {
  const webAclId = logicalIdOf(stack.firewall.webAcl);
  const acl = (template.findResources('AWS::WAFv2::WebACL') as Record<string, WebAclResource>)[webAclId];

  it('protects the API stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [webAclId, 'Arn'] },
      ResourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':apigateway:',
            { Ref: 'AWS::Region' },
            '::/restapis/',
            { Ref: apiId },
            '/stages/',
            { Ref: logicalIdOf(stack.http.restApi.deploymentStage) },
          ],
        ],
      },
    });
  });

  it('logs every request it inspects to an aws-waf-logs- group with a finite retention, without the API key', () => {
    const logGroupId = logicalIdOf(stack.firewall.logs);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `${wafLogGroupPrefix}Retrysafe`, RetentionInDays: 30 });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [webAclId, 'Arn'] },
      LogDestinationConfigs: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':log-group:', { Ref: logGroupId }])] })],
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
  });

  it('refuses bodies over the handlers’ 64 KiB limit with a payload-too-large problem', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } } },
    });
    const sizeRule = acl?.Properties.Rules.find((rule) => rule.Name === 'BodyOver64KiB');
    expect(sizeRule).toMatchObject({
      Statement: {
        SizeConstraintStatement: { FieldToMatch: { Body: { OversizeHandling: 'MATCH' } }, ComparisonOperator: 'GT', Size: maxBodyBytes },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'payloadTooLarge' } } },
    });
    expect(JSON.parse(acl?.Properties.CustomResponseBodies.payloadTooLarge?.Content ?? '')).toMatchObject({
      type: `${problemTypeBase}payload-too-large`,
      status: 413,
    });
  });

  it('limits each client IP with a rate-limited problem', () => {
    expect(acl?.Properties.Rules.find((rule) => rule.Name === 'RequestsPerIp')).toMatchObject({
      Statement: { RateBasedStatement: { Limit: 3000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rateLimited' } } },
    });
    expect(JSON.parse(acl?.Properties.CustomResponseBodies.rateLimited?.Content ?? '')).toMatchObject({
      type: `${problemTypeBase}rate-limited`,
      status: 429,
    });
  });
});
