import { describe, expect, it } from 'vitest';
import { eventSources } from '../../lambdas/topology.js';
import { logicalIdOf, synthesize } from './synthesize.js';

describe('capacity and limits', () => {
  const defaults = synthesize();

  it("caps the webhook dispatcher's SQS mapping, so slow receivers cannot take the account's concurrency", () => {
    const dispatcher = eventSources.find((source) => source.function === 'webhookDispatcher');
    expect(dispatcher?.maxConcurrency).toBe(20);
    defaults.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(defaults.stack.functions.byName.webhookDispatcher) },
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });
});
