import { RemovalPolicy } from 'aws-cdk-lib';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/**
 * Deployment settings read from CDK context (cdk.json, or `-c retrysafe:<key>=<value>` on the
 * command line, which always arrives as a string). Anything malformed fails the synth rather
 * than deploying a surprise.
 */
export interface StackConfig {
  readonly removalPolicy: RemovalPolicy.RETAIN | RemovalPolicy.DESTROY;
  readonly deletionProtection: boolean;
  readonly stageName: string;
  /** API Gateway stage throttling: steady requests per second and bucket size, across all clients. */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** WAF flood guard: requests one client IP may send per five minutes. */
  readonly wafRequestsPerIpPer5Minutes: number;
  readonly logRetention: RetentionDays;
  readonly logLevel: ApplicationLogLevel;
  /** Handler settings passed through as environment variables; absent keys leave the handlers' own defaults. */
  readonly handlerSettings: HandlerSettings;
}

export interface HandlerSettings {
  readonly IDEMPOTENCY_TTL_SECONDS?: string;
  readonly RATE_LIMIT_PER_MINUTE?: string;
  readonly RATE_LIMIT_BURST?: string;
  readonly RATE_LIMIT_FAIL_MODE?: string;
  readonly WEBHOOK_RETRY_SCHEDULE?: string;
  readonly WEBHOOK_TIMEOUT_MS?: string;
  readonly PROCESSOR_TIMEOUT_MS?: string;
}

export type HandlerSetting = keyof HandlerSettings;

const prefix = 'retrysafe:';

/** Normalises a setting's text, or returns undefined when the handlers would reject it. */
type SettingParser = (text: string) => string | undefined;

const nonNegativeInteger: SettingParser = (text) => (/^\d+$/.test(text) ? text : undefined);

const integerList: SettingParser = (text) => {
  const items = text.split(',').map((item) => item.trim());
  return items.every((item) => /^\d+$/.test(item)) ? items.join(',') : undefined;
};

const openOrClosed: SettingParser = (text) => (text === 'open' || text === 'closed' ? text : undefined);

/** Context key (after `retrysafe:`) → environment variable the handlers read. */
const handlerSettingKeys: Record<HandlerSetting, { readonly key: string; readonly expected: string; readonly parse: SettingParser }> = {
  IDEMPOTENCY_TTL_SECONDS: { key: 'idempotencyTtlSeconds', expected: 'a non-negative integer', parse: nonNegativeInteger },
  RATE_LIMIT_PER_MINUTE: { key: 'rateLimitPerMinute', expected: 'a non-negative integer', parse: nonNegativeInteger },
  RATE_LIMIT_BURST: { key: 'rateLimitBurst', expected: 'a non-negative integer', parse: nonNegativeInteger },
  RATE_LIMIT_FAIL_MODE: { key: 'rateLimitFailMode', expected: 'open or closed', parse: openOrClosed },
  WEBHOOK_RETRY_SCHEDULE: { key: 'webhookRetrySchedule', expected: 'comma-separated seconds', parse: integerList },
  WEBHOOK_TIMEOUT_MS: { key: 'webhookTimeoutMs', expected: 'a non-negative integer', parse: nonNegativeInteger },
  PROCESSOR_TIMEOUT_MS: { key: 'processorTimeoutMs', expected: 'a non-negative integer', parse: nonNegativeInteger },
};

export class ConfigError extends Error {
  constructor(key: string, expected: string, got: unknown) {
    super(`Context ${prefix}${key} must be ${expected}, got ${JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

const raw = (node: Node, key: string): unknown => node.tryGetContext(`${prefix}${key}`);

const integer = (node: Node, key: string, fallback: number, min: number): number => {
  const value = raw(node, key);
  if (value === undefined) return fallback;
  const parsed = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isSafeInteger(parsed) || parsed < min) {
    throw new ConfigError(key, `an integer of at least ${min}`, value);
  }
  return parsed;
};

const boolean = (node: Node, key: string, fallback: boolean): boolean => {
  const value = raw(node, key);
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, 'true or false', value);
};

const oneOf = <T extends string>(node: Node, key: string, allowed: readonly T[], fallback: T): T => {
  const value = raw(node, key) ?? fallback;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw new ConfigError(key, `one of ${allowed.join(', ')}`, value);
  return match;
};

const stageName = (node: Node, key: string, fallback: string): string => {
  const value = raw(node, key) ?? fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(value))
    throw new ConfigError(key, 'letters, digits and underscores', value);
  return value;
};

const finiteRetentions = new Map<number, RetentionDays>(
  Object.values(RetentionDays)
    .filter((value): value is RetentionDays => typeof value === 'number' && value !== RetentionDays.INFINITE)
    .map((value) => [value, value]),
);

/** One of the retention periods CloudWatch Logs offers, never "forever". */
const retentionDays = (node: Node, key: string, fallback: RetentionDays): RetentionDays => {
  const days = integer(node, key, fallback, 1);
  const match = finiteRetentions.get(days);
  if (match === undefined) throw new ConfigError(key, 'a finite CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30, ...)', days);
  return match;
};

const handlerSetting = (node: Node, setting: HandlerSetting): string | undefined => {
  const { key, expected, parse } = handlerSettingKeys[setting];
  const value = raw(node, key);
  if (value === undefined) return undefined;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const parsed = parse(text);
  if (parsed === undefined) throw new ConfigError(key, expected, value);
  return parsed;
};

export const readStackConfig = (node: Node): StackConfig => {
  const removalPolicy = oneOf(node, 'removalPolicy', ['retain', 'destroy'], 'retain');
  const logLevel = oneOf(node, 'logLevel', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'], 'INFO');
  const handlerSettings: Partial<Record<HandlerSetting, string>> = {};
  for (const setting of Object.keys(handlerSettingKeys) as HandlerSetting[]) {
    const value = handlerSetting(node, setting);
    if (value !== undefined) handlerSettings[setting] = value;
  }
  return {
    removalPolicy: removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    deletionProtection: boolean(node, 'deletionProtection', true),
    stageName: stageName(node, 'stageName', 'prod'),
    throttlingRateLimit: integer(node, 'throttlingRateLimit', 100, 1),
    throttlingBurstLimit: integer(node, 'throttlingBurstLimit', 200, 1),
    wafRequestsPerIpPer5Minutes: integer(node, 'wafRequestsPerIpPer5Minutes', 3000, 10),
    logRetention: retentionDays(node, 'logRetentionDays', RetentionDays.ONE_MONTH),
    logLevel: ApplicationLogLevel[logLevel],
    handlerSettings,
  };
};
