import { describe, expect, it } from 'vitest';
import { schedules } from '../../lambdas/topology.js';
import { ConfigError } from '../../lib/config.js';
import { arnOf, logicalIdOf, synthesize, type SynthesizedStack } from './synthesize.js';

const synthesized = synthesize();
const { stack, template } = synthesized;

interface Resource {
  readonly Properties: Record<string, unknown>;
}

const resources = (type: string, from = template): Resource[] => Object.values(from.findResources(type) as Record<string, Resource>);

const ruleOf = (fn: string, from: SynthesizedStack = synthesized): Record<string, unknown> => {
  const scheduled = from.stack.schedules.byFunction.find((entry) => entry.schedule.function === fn);
  if (scheduled === undefined) throw new Error(`No schedule for ${fn}`);
  const rule = (from.template.findResources('AWS::Events::Rule') as Record<string, Resource>)[logicalIdOf(scheduled.rule)];
  if (rule === undefined) throw new Error(`No rule resource for ${fn}`);
  return rule.Properties;
};

describe('scheduled functions', () => {
  it('gives every function the topology runs on a schedule one EventBridge rule, and nothing else one', () => {
    expect(schedules.map((schedule) => schedule.function)).toContain('webhookSweeper');
    template.resourceCountIs('AWS::Events::Rule', schedules.length);
  });

  it.each(schedules.map((schedule) => [schedule.function, schedule] as const))(
    'runs %s every RECOVERY_INTERVAL_SECONDS, a minute unless the context says otherwise, without retries',
    (name) => {
      const fn = stack.functions.named(name);
      expect(ruleOf(name)).toEqual({
        Description: expect.stringContaining(name) as unknown,
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [{ Arn: arnOf(fn), Id: 'Target0', RetryPolicy: { MaximumRetryAttempts: 0 } }],
      });
      const invokeConfigs = resources('AWS::Lambda::EventInvokeConfig').filter(
        (config) => JSON.stringify(config.Properties.FunctionName) === JSON.stringify({ Ref: logicalIdOf(fn) }),
      );
      expect(invokeConfigs.map((config) => config.Properties.MaximumRetryAttempts)).toEqual([0]);
    },
  );

  it('takes the rate from the context', () => {
    expect(ruleOf('webhookSweeper', synthesize({ 'retrysafe:recoveryIntervalSeconds': '300' })).ScheduleExpression).toBe('rate(5 minutes)');
  });

  it('refuses an interval EventBridge cannot run, naming the context key', () => {
    expect(() => synthesize({ 'retrysafe:recoveryIntervalSeconds': 90 })).toThrow(ConfigError);
    expect(() => synthesize({ 'retrysafe:recoveryIntervalSeconds': 90 })).toThrow(
      /retrysafe:recoveryIntervalSeconds .*whole number of minutes/,
    );
  });

  it('lets EventBridge invoke a scheduled function only through its own rule', () => {
    const permissions = resources('AWS::Lambda::Permission').filter(
      (permission) => permission.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions.map((permission) => permission.Properties)).toEqual(
      stack.schedules.byFunction.map(({ schedule, rule }) => ({
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(stack.functions.named(schedule.function)),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(rule),
      })),
    );
  });
});
