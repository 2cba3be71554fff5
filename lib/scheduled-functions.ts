import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { readSetting } from '../lambdas/settings.js';
import { schedules, type FunctionName, type IntervalSetting, type ScheduleSpec } from '../lambdas/topology.js';
import { ConfigError, settingContextKeyOf, type StackConfig } from './config.js';
import { pascalCase } from './names.js';
import { deployed } from './deployed.js';

export interface ScheduledFunctionsProps {
  readonly functions: Readonly<Partial<Record<FunctionName, LambdaFn>>>;
  readonly config: StackConfig;
}

export interface ScheduledFunction {
  readonly schedule: ScheduleSpec;
  readonly rule: Rule;
}

/** The interval the context gives the setting (or its default); EventBridge rates are whole minutes. */
const intervalOf = (setting: IntervalSetting, config: StackConfig): Duration => {
  const seconds = readSetting(setting, config.handlerSettings);
  if (seconds % 60 !== 0) {
    throw new ConfigError(
      settingContextKeyOf(setting),
      `must be a whole number of minutes (a multiple of 60) when deployed, since EventBridge runs a rule at most once a minute; got ${seconds}`,
    );
  }
  return Duration.seconds(seconds);
};

/** Why neither the rule nor the function keeps a failed run's event: it carries no work. */
const nothingToKeep =
  "A scheduled run's event carries no work: the job finds its work in the tables, so whatever a failed or missed run would have done, the next run (one interval later) finds and does.";

/**
 * One EventBridge rule per function the topology runs on a schedule, at the rate of its
 * interval setting. The rule's target adds the only invoke permission, for this rule alone.
 * Neither EventBridge nor Lambda retries a failed run: the next run is the retry, and a retry
 * would only overlap it.
 */
export class ScheduledFunctions extends Construct {
  readonly byFunction: readonly ScheduledFunction[];

  constructor(scope: Construct, id: string, props: ScheduledFunctionsProps) {
    super(scope, id);
    this.byFunction = schedules.map((schedule) => {
      const fn = deployed(props.functions, schedule.function);
      const interval = intervalOf(schedule.every, props.config);
      const rule = new Rule(this, `${pascalCase(schedule.function)}Schedule`, {
        description: `Runs the Retrysafe ${schedule.function} function every ${interval.toHumanString()} (${schedule.every})`,
        schedule: Schedule.rate(interval),
      });
      rule.addTarget(new LambdaFunction(fn, { retryAttempts: 0 }));
      fn.configureAsyncInvoke({ retryAttempts: 0 });
      Validations.of(rule.node.findChild('Resource')).acknowledge({ id: 'Serverless-EventBusDLQ', reason: nothingToKeep });
      Validations.of(fn.node.findChild('EventInvokeConfig').node.findChild('Resource')).acknowledge({
        id: 'Serverless-LambdaAsyncFailureDestination',
        reason: nothingToKeep,
      });
      return { schedule, rule };
    });
  }
}
