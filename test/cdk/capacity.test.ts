import { describe, expect, it } from 'vitest';
import { eventSources, functions, type FunctionName, type FunctionSpec } from '../../lambdas/topology.js';
import { ConfigError } from '../../lib/config.js';
import { logicalIdOf, synthesize, type SynthesizedStack } from './synthesize.js';

interface Resource {
  readonly Properties: Record<string, unknown>;
}

const functionProperties = ({ stack, template }: SynthesizedStack, name: FunctionName): Record<string, unknown> => {
  const resource = (template.findResources('AWS::Lambda::Function') as Record<string, Resource>)[logicalIdOf(stack.functions.named(name))];
  if (resource === undefined) throw new Error(`No function resource for ${name}`);
  return resource.Properties;
};

const functionNames = Object.keys(functions) as FunctionName[];
const moneyPath = functionNames.filter((name) => (functions[name] as FunctionSpec).moneyPath === true);

describe('capacity and limits', () => {
  const defaults = synthesize();

  it("caps the webhook dispatcher's SQS mapping, so slow receivers cannot take the account's concurrency", () => {
    const dispatcher = eventSources.find((source) => source.function === 'webhookDispatcher');
    expect(dispatcher?.maxConcurrency).toBe(20);
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(defaults.stack.functions.named('webhookDispatcher')) },
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('reserves no concurrency by default', () => {
    for (const name of functionNames) expect(functionProperties(defaults, name)).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('reserves the context value for the money path, charges and processor, and nothing else', () => {
    expect(moneyPath).toEqual(['charges', 'processor']);
    const reserved = synthesize({ 'retrysafe:moneyPathReservedConcurrency': '150' });
    for (const name of functionNames) {
      const properties = functionProperties(reserved, name);
      if (moneyPath.includes(name)) expect(properties.ReservedConcurrentExecutions).toBe(150);
      else expect(properties).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });

  it('reads an empty value as none, and refuses anything but a positive whole number', () => {
    const empty = synthesize({ 'retrysafe:moneyPathReservedConcurrency': '' });
    expect(functionProperties(empty, 'charges')).not.toHaveProperty('ReservedConcurrentExecutions');
    for (const bad of ['0', '-5', '1.5', 'lots', true])
      expect(() => synthesize({ 'retrysafe:moneyPathReservedConcurrency': bad })).toThrow(ConfigError);
  });
});
