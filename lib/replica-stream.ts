import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

export interface ReplicaStreamProps {
  readonly tableName: string;
  /** The replica's ARN in this stack's region. */
  readonly tableArn: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The stream ARN of this region's replica of a global table. It ends in the time DynamoDB
 * created the stream, which no stack knows beforehand (TableV2.replica() gives `stream/*`, which
 * an event source mapping refuses), so it is read from the replica itself, by DescribeTable, at
 * deployment, once this region's replica exists.
 */
export const replicaStreamArn = (scope: Construct, id: string, props: ReplicaStreamProps): string => {
  // A role of its own instead of the provider's default, which holds the AWSLambdaBasicExecutionRole
  // managed policy (write to every log group): this one writes to its own log group only.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Reads the stream ARN of the ${props.tableName} replica in its region, at deployment`,
  });
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
  logGroup.grantWrite(role);
  const lookup = new AwsCustomResource(scope, id, {
    onUpdate: {
      service: 'DynamoDB',
      action: 'DescribeTable',
      parameters: { TableName: props.tableName },
      // A new stream (the view type changed) is a new physical id, so the mapping follows it.
      physicalResourceId: PhysicalResourceId.fromResponse('Table.LatestStreamArn'),
      outputPaths: ['Table.LatestStreamArn'],
    },
    policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [props.tableArn] }),
    role,
    logGroup,
    memorySize: 256,
    installLatestAwsSdk: false,
  });
  acknowledgeProviderFindings(scope);
  return lookup.getResponseField('Table.LatestStreamArn');
};

/** The provider is one function per stack, whatever the number of lookups: CDK names it after this UUID. */
const acknowledgeProviderFindings = (scope: Construct): void => {
  const provider = Stack.of(scope).node.findChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  Validations.of(provider.node.findChild('Resource')).acknowledge(
    {
      id: 'Serverless-LambdaDLQ',
      reason:
        'Only CloudFormation invokes this function, for the custom resource, and waits for its answer: a failed lookup fails (and rolls back) the deployment, where it is seen. A dead-letter queue would only keep CloudFormation requests that nobody can replay.',
    },
    {
      id: 'Serverless-LambdaTracing',
      reason:
        'One DescribeTable call per deployment, reported in the CloudFormation events and its own log group; a trace would show nothing more.',
    },
  );
};
