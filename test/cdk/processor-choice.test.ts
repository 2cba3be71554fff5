import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { functions, type FunctionName, type FunctionSpec } from '../../lambdas/topology.js';
import { actionsOf, environmentOf, logicalIdOf, type PolicyStatement, resourcesOf, statementsOfRole, synthesize } from './synthesize.js';

/** The card processor as CDK context chooses it: the sandbox deployed or not, Stripe's secret granted and only named. */
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:retrysafe/stripe-AbCdEf';
const stripe = synthesize({ 'retrysafe:processor': 'stripe', 'retrysafe:stripeSecretArn': secretArn });
const sandbox = synthesize();

const callers = (Object.entries(functions) as [FunctionName, FunctionSpec][]).filter(([, spec]) => spec.callsProcessor === true);

type Synthesized = ReturnType<typeof synthesize>;

const secretStatements = ({ stack, template }: Synthesized, name: FunctionName): PolicyStatement[] =>
  statementsOfRole(template, stack.functions.named(name).role ?? stack).filter((statement) =>
    actionsOf(statement).some((action) => action.startsWith('secretsmanager:')),
  );

const synthError = (context: Record<string, unknown>): unknown => {
  try {
    synthesize(context);
    return undefined;
  } catch (error) {
    return error;
  }
};

describe('retrysafe:processor=sandbox (the default)', () => {
  it('deploys the sandbox processor, its table and its function URL, and no secret grant', () => {
    expect(sandbox.stack.functions.byName.processor).toBeDefined();
    expect(sandbox.stack.tables.byName.processor).toBeDefined();
    sandbox.template.resourceCountIs('AWS::Lambda::Url', 1);
    for (const [name] of callers) {
      expect(environmentOf(sandbox, name)).toMatchObject({ PROCESSOR_KIND: 'sandbox', PROCESSOR_AUTH: 'iam' });
      expect(environmentOf(sandbox, name)).not.toHaveProperty('STRIPE_API_KEY_SECRET_ARN');
      expect(secretStatements(sandbox, name)).toEqual([]);
    }
  });
});

describe('retrysafe:processor=stripe', () => {
  it('deploys no sandbox processor: no function, table, function URL, alarm or output of it', () => {
    expect(stripe.stack.functions.byName.processor).toBeUndefined();
    expect(stripe.stack.tables.byName.processor).toBeUndefined();
    stripe.template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(Object.keys(stripe.template.findOutputs('ProcessorUrl'))).toEqual([]);
    expect(Object.keys(stripe.template.findOutputs('ProcessorTableName'))).toEqual([]);
    const alarmNames = stripe.stack.alarms.alarms.map(({ declaration }) => declaration.id);
    expect(alarmNames.filter((id) => id.startsWith('Processor'))).toEqual([]);
    expect(alarmNames).toContain('ChargesErrors');
    expect(stripe.template.toJSON()).not.toHaveProperty(['Resources', logicalIdOf(sandbox.stack.functions.named('processor'))]);
  });

  it('names the secret in the callers, grants them alone to read it, and never puts a key in the template', () => {
    for (const [name, spec] of Object.entries(functions) as [FunctionName, FunctionSpec][]) {
      if (name === 'processor') continue;
      const environment = environmentOf(stripe, name);
      const statements = secretStatements(stripe, name);
      if (spec.callsProcessor === true) {
        expect(environment).toMatchObject({ PROCESSOR_KIND: 'stripe', STRIPE_API_KEY_SECRET_ARN: secretArn });
        expect(environment).not.toHaveProperty('PROCESSOR_URL');
        expect(statements.flatMap(actionsOf).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
        expect(statements.flatMap(resourcesOf)).toEqual([secretArn]);
      } else {
        expect(environment).not.toHaveProperty('STRIPE_API_KEY_SECRET_ARN');
        expect(statements).toEqual([]);
      }
    }
    expect(JSON.stringify(stripe.template.toJSON())).not.toMatch(/[sr]k_(live|test)_/);
  });

  it('grants a secret named without its suffix with the suffix as a wildcard', () => {
    const byName = synthesize({ 'retrysafe:processor': 'stripe', 'retrysafe:stripeSecretArn': 'retrysafe/stripe' });
    expect(environmentOf(byName, 'charges')).toMatchObject({ STRIPE_API_KEY_SECRET_ARN: 'retrysafe/stripe' });
    expect(JSON.stringify(secretStatements(byName, 'charges').flatMap(resourcesOf))).toContain('secret:retrysafe/stripe-??????');
  });

  it.each([
    ['an ARN', stripe],
    ['a name', synthesize({ 'retrysafe:processor': 'stripe', 'retrysafe:stripeSecretArn': 'retrysafe/stripe' })],
  ])('leaves cdk-nag without findings, the secret given as %s', (_, synthesized) => {
    const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
      pack
        .validateScope(synthesized.app)
        .violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`),
    );
    expect(findings).toEqual([]);
  });

  it('is refused without a secret, and a secret is refused for the sandbox', () => {
    expect(synthError({ 'retrysafe:processor': 'stripe' })).toMatchObject({ key: 'retrysafe:stripeSecretArn' });
    expect(synthError({ 'retrysafe:stripeSecretArn': secretArn })).toBeInstanceOf(ConfigError);
    expect(synthError({ 'retrysafe:processor': 'adyen' })).toBeInstanceOf(ConfigError);
    expect(synthError({ 'retrysafe:processor': 'stripe', 'retrysafe:stripeSecretArn': 'sk_live_not a secret' })).toBeInstanceOf(
      ConfigError,
    );
  });
});
