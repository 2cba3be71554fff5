import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { addComplianceChecks } from '../../lib/compliance.js';
import { RetrysafeStack } from '../../lib/retrysafe-stack.js';
import { newApp, synthesize } from './synthesize.js';

const unacknowledgedFindings = (app: ReturnType<typeof newApp>): string[] =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(app).violations.map((violation) => {
      const paths = violation.violatingResources.map((resource) => resource.constructPath).join(', ');
      return `${violation.ruleName} (${violation.severity ?? '?'}) at ${paths}`;
    }),
  );

const { app: synthesized } = synthesize();

describe('cdk-nag', () => {
  it('leaves no AWS Solutions or Serverless finding unacknowledged, error or warning', () => {
    expect(unacknowledgedFindings(synthesized)).toEqual([]);
  });

  it('lets `cdk synth` pass with the checks bin/retrysafe.ts registers', () => {
    const app = newApp();
    new RetrysafeStack(app, 'Retrysafe');
    addComplianceChecks(app);
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const app = newApp();
    const stack = new RetrysafeStack(app, 'Retrysafe');
    new Queue(stack, 'QueueWithoutDeadLetterQueue');
    addComplianceChecks(app);
    expect(unacknowledgedFindings(app)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^AwsSolutions-SQS3 \(error\) at Retrysafe\/QueueWithoutDeadLetterQueue/)]),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });

  it('gives every acknowledgement a reason a reviewer can check', () => {
    const acknowledgements = synthesized.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledgements) expect(reason.length, rule).toBeGreaterThan(60);
  });
});
