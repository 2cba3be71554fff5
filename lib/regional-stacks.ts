import type { App } from 'aws-cdk-lib';
import { readRegionPlan } from './config.js';
import { RetrysafeStack } from './retrysafe-stack.js';

const description = 'Retrysafe: a payments API where a retry can never charge a customer twice';

/**
 * Retrysafe's stacks: one, `Retrysafe`, in the CLI's region; or one per region of
 * `retrysafe:regions`, `Retrysafe-<region>`. The first region's stack creates the global tables
 * with their replicas, so every other region's stack deploys after it, when its replicas exist.
 */
export const addRetrysafeStacks = (app: App): readonly RetrysafeStack[] => {
  const plan = readRegionPlan(app.node);
  if (plan.kind === 'single') return [new RetrysafeStack(app, 'Retrysafe', { description })];
  const [home, ...others] = plan.regions;
  const stackIn = (region: string): RetrysafeStack =>
    new RetrysafeStack(app, `Retrysafe-${region}`, {
      description: `${description} (${region})`,
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
    });
  const homeStack = stackIn(home);
  const otherStacks = others.map((region) => {
    const stack = stackIn(region);
    stack.addStackDependency(homeStack, `${home} creates the global tables whose ${region} replicas this stack uses`);
    return stack;
  });
  return [homeStack, ...otherStacks];
};
