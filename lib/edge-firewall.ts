import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { maxBodyBytes } from '../lambdas/http/json-body.js';
import { problemType } from '../lambdas/http/problem-types.js';
import { type EdgeProblem, problemMembers } from './problem-document.js';

export interface EdgeFirewallProps {
  readonly stage: Stage;
  readonly requestsPerIpPer5Minutes: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** WAF only writes to a log group whose name starts so. */
export const wafLogGroupPrefix = 'aws-waf-logs-';

/**
 * Request headers WAF must not copy into its logs: Authorization carries the client's API key.
 * (WAF logs never hold the body, where card data travels.)
 */
export const redactedHeaders = ['authorization'] as const;

const payloadTooLarge: EdgeProblem = { slug: 'payload-too-large', detail: `Bodies are limited to ${maxBodyBytes} bytes.` };

const rateLimited: EdgeProblem = {
  slug: 'rate-limited',
  detail: 'This client is sending requests faster than the API accepts; slow down and retry.',
};

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * A regional WAF web ACL on the API stage: what can be refused before a request costs a
 * Lambda invocation.
 *
 * - Bodies over 64 KiB. The handlers enforce the same limit (lambdas/http/json-body.ts), but
 *   API Gateway alone accepts up to 10 MB and would hand all of it to a function. WAF only sees
 *   the first part of a body, so the inspection window for API Gateway is raised to 64 KB
 *   (extra WAF charges apply above 16 KB) and any body beyond the window counts as a match.
 * - A per-IP rate limit, a flood guard well above any honest client; the per-tenant limits are
 *   the handlers' token buckets, and stage throttling caps the total.
 *
 * WAF's custom responses can only be labelled application/json, so these problems arrive
 * with that content type rather than application/problem+json; the body is the same RFC 9457
 * document. No managed rule groups: their blocks cannot be given a problem body without
 * overriding each rule by name, and generic body rules misfire on payment payloads.
 */
export class EdgeFirewall extends Construct {
  readonly webAcl: CfnWebACL;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: EdgeFirewallProps) {
    super(scope, id);
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Retrysafe API: body size and per-IP rate limits',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('RetrysafeApi'),
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      customResponseBodies: {
        payloadTooLarge: { contentType: 'APPLICATION_JSON', content: JSON.stringify(problemMembers(payloadTooLarge)) },
        rateLimited: { contentType: 'APPLICATION_JSON', content: JSON.stringify(problemMembers(rateLimited)) },
      },
      rules: [
        {
          name: 'RequestsPerIp',
          priority: 0,
          statement: {
            rateBasedStatement: { limit: props.requestsPerIpPer5Minutes, evaluationWindowSec: 300, aggregateKeyType: 'IP' },
          },
          action: {
            block: { customResponse: { responseCode: problemType(rateLimited.slug).status, customResponseBodyKey: 'rateLimited' } },
          },
          visibilityConfig: visibility('RequestsPerIp'),
        },
        {
          name: 'BodyOver64KiB',
          priority: 1,
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: maxBodyBytes,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          action: {
            block: { customResponse: { responseCode: problemType(payloadTooLarge.slug).status, customResponseBodyKey: 'payloadTooLarge' } },
          },
          visibilityConfig: visibility('BodyOver64KiB'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.logs = this.logRequests(props);
  }

  /** Every request WAF inspects, with the rule that matched it: why a client was blocked. */
  private logRequests(props: EdgeFirewallProps): LogGroup {
    const stack = Stack.of(this);
    const logs = new LogGroup(this, 'Logs', {
      logGroupName: `${wafLogGroupPrefix}${stack.stackName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the group's ARN without the `:*` that CloudFormation's Arn attribute ends in.
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: redactedHeaders.map((name) => ({ singleHeader: { Name: name } })),
    });
    return logs;
  }
}
