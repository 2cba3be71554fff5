import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { addRetrysafeStacks } from '../../lib/regional-stacks.js';
import { RetrysafeStack } from '../../lib/retrysafe-stack.js';
import type { FunctionName } from '../../lambdas/topology.js';

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: RetrysafeStack;
  readonly template: Template;
}

/**
 * The stack as `cdk synth` builds it, with cdk.json's context, but without running esbuild:
 * these tests read the template, and skipping the bundles keeps a synth well under a second.
 */
export const newApp = (context: Record<string, unknown> = {}): App =>
  new App({ context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] } });

export const synthesize = (context: Record<string, unknown> = {}): SynthesizedStack => {
  const app = newApp(context);
  const stack = new RetrysafeStack(app, 'Retrysafe');
  return { app, stack, template: Template.fromStack(stack) };
};

/** Every stack the app builds (one per region of `retrysafe:regions`), as `cdk synth` would, in the app's order. */
export const synthesizeApp = (context: Record<string, unknown> = {}): readonly SynthesizedStack[] => {
  const app = newApp(context);
  return addRetrysafeStacks(app).map((stack) => ({ app, stack, template: Template.fromStack(stack) }));
};

/** The logical id of a CloudFormation element, or of the resource an L2 construct wraps. */
export const logicalIdOf = (construct: IConstruct): string => {
  const resource = CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild;
  if (resource === undefined || !CfnElement.isCfnElement(resource))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(resource);
};

/** A function's environment variables, as the template gives them to it. */
export const environmentOf = ({ stack, template }: SynthesizedStack, name: FunctionName): Record<string, unknown> => {
  const resources = template.findResources('AWS::Lambda::Function') as Record<
    string,
    { Properties: { Environment: { Variables: Record<string, unknown> } } }
  >;
  const resource = resources[logicalIdOf(stack.functions.named(name))];
  if (resource === undefined) throw new Error(`No function resource for ${name}`);
  return resource.Properties.Environment.Variables;
};

export const arnOf = (construct: IConstruct): unknown => ({ 'Fn::GetAtt': [logicalIdOf(construct), 'Arn'] });

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

interface PolicyResource {
  readonly Properties: {
    readonly Roles: readonly { readonly Ref: string }[];
    readonly PolicyDocument: { readonly Statement: PolicyStatement[] };
  };
}

export const actionsOf = (statement: PolicyStatement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOf = (statement: PolicyStatement): unknown[] =>
  Array.isArray(statement.Resource) ? (statement.Resource as unknown[]) : [statement.Resource];

/** Every statement of every identity policy attached to the role. */
export const statementsOfRole = (template: Template, role: IConstruct): PolicyStatement[] => {
  const roleId = logicalIdOf(role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, PolicyResource>);
  return policies
    .filter((policy) => policy.Properties.Roles.some((ref) => ref.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
};

/** The actions the role may perform on one resource (compared as CloudFormation expressions). */
export const actionsOn = (statements: readonly PolicyStatement[], resource: unknown): string[] => {
  const target = JSON.stringify(resource);
  return statements
    .filter((statement) => statement.Effect === 'Allow' && resourcesOf(statement).some((candidate) => JSON.stringify(candidate) === target))
    .flatMap(actionsOf)
    .sort();
};
