import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { synthesize } from './synthesize.js';

describe('stack configuration from CDK context', () => {
  it.each([
    ['retrysafe:removalPolicy', 'snapshot'],
    ['retrysafe:deletionProtection', 'maybe'],
    ['retrysafe:throttlingRateLimit', '-5'],
    ['retrysafe:throttlingBurstLimit', 'lots'],
    ['retrysafe:logRetentionDays', '31'],
    ['retrysafe:logLevel', 'LOUD'],
    ['retrysafe:stageName', 'prod/v2'],
    ['retrysafe:idempotencyTtlSeconds', '1.5'],
    ['retrysafe:webhookRetrySchedule', '60,soon'],
    ['retrysafe:rateLimitFailMode', 'sometimes'],
  ])('refuses %s=%s at synth instead of deploying it', (key, value) => {
    expect(() => synthesize({ [key]: value })).toThrow(ConfigError);
  });

  it('accepts command-line strings and cdk.json values alike', () => {
    const fromCli = synthesize({ 'retrysafe:logRetentionDays': '90', 'retrysafe:deletionProtection': 'false' });
    fromCli.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    fromCli.template.allResourcesProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    const fromJson = synthesize({ 'retrysafe:logRetentionDays': 90, 'retrysafe:deletionProtection': false });
    expect(fromJson.template.toJSON()).toEqual(fromCli.template.toJSON());
  });
});
