import { RemovalPolicy } from 'aws-cdk-lib';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import {
  formatSetting,
  isBlank,
  parseSetting,
  type ProcessorKind,
  processorKinds,
  SettingError,
  settingNames,
  settings,
  type SettingName,
} from '../lambdas/settings.js';

/**
 * Deployment settings read from CDK context (cdk.json, or `-c retrysafe:<key>=<value>` on the
 * command line, which always arrives as a string). Anything malformed fails the synth rather
 * than deploying a surprise: the stack's own keys by the rules below, the handler settings by
 * the very parsers the handlers run (lambdas/settings.ts).
 */
export interface StackConfig {
  readonly removalPolicy: RemovalPolicy.RETAIN | RemovalPolicy.DESTROY;
  readonly deletionProtection: boolean;
  readonly stageName: string;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly wafRequestsPerIpPer5Minutes: number;
  readonly logRetention: RetentionDays;
  readonly logLevel: ApplicationLogLevel;
  readonly apiGatewayCloudWatchRole: boolean;
  /** Reserved concurrency of each money-path function; undefined reserves none. */
  readonly moneyPathReservedConcurrency: number | undefined;
  /** Where the alarm topic e-mails; undefined subscribes nobody. */
  readonly alarmEmail: string | undefined;
  /** Handler settings the context sets, as environment text; absent ones leave the handlers' own defaults. */
  readonly handlerSettings: HandlerSettings;
  readonly processor: ProcessorChoice;
  readonly regions: RegionPlan;
  /** The API's custom domain and how Route 53 spreads it over the regions; undefined, none. */
  readonly domain: CustomDomain | undefined;
}

/** The card processor the functions call; Stripe's secret key stays in the secret, which the stack only names. */
export type ProcessorChoice =
  { readonly kind: Extract<ProcessorKind, 'sandbox'> } | { readonly kind: Extract<ProcessorKind, 'stripe'>; readonly secret: string };

export type HandlerSettings = Readonly<Partial<Record<SettingName, string>>>;

const prefix = 'retrysafe:';

export class ConfigError extends Error {
  constructor(
    /** The full context key, `retrysafe:` included. */
    readonly key: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`Context ${key} ${problem}`, options);
    this.name = 'ConfigError';
  }
}

/** How the stack reads one of its own keys: the value, or undefined when the context value is malformed. */
interface ContextRule<T> {
  readonly expected: string;
  readonly parse: (value: unknown) => T | undefined;
}

interface StackContextKey<T> {
  readonly rule: ContextRule<T>;
  readonly default: NoInfer<T>;
  readonly meaning: string;
}

const integerAtLeast = (min: number): ContextRule<number> => ({
  expected: `an integer of at least ${min}`,
  parse: (value) => {
    const parsed = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    return typeof parsed === 'number' && Number.isSafeInteger(parsed) && parsed >= min ? parsed : undefined;
  },
});

const trueOrFalse: ContextRule<boolean> = {
  expected: 'true or false',
  parse: (value) => (value === true || value === 'true' ? true : value === false || value === 'false' ? false : undefined),
};

const oneOf = <const T extends string>(allowed: readonly T[]): ContextRule<T> => ({
  expected: `one of ${allowed.join(', ')}`,
  parse: (value) => allowed.find((candidate) => candidate === value),
});

const stageNameRule: ContextRule<string> = {
  expected: 'letters, digits and underscores',
  parse: (value) => (typeof value === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(value) ? value : undefined),
};

const finiteRetentions = new Map<number, RetentionDays>(
  Object.values(RetentionDays)
    .filter((value): value is RetentionDays => typeof value === 'number' && value !== RetentionDays.INFINITE)
    .map((value) => [value, value]),
);

/** One of the retention periods CloudWatch Logs offers, never "forever". */
const retentionDays: ContextRule<RetentionDays> = {
  expected: 'a finite CloudWatch Logs retention in days (1, 3, 5, 7, 14, 30, ...)',
  parse: (value) => {
    const days = integerAtLeast(1).parse(value);
    return days === undefined ? undefined : finiteRetentions.get(days);
  },
};

/** An address for the alarm topic's e-mail subscription, or empty for none. */
const emailOrNothing: ContextRule<string> = {
  expected: 'an e-mail address, or empty for none',
  parse: (value) => (typeof value === 'string' && (value === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) ? value : undefined),
};

/** A positive whole number, or empty for none. */
const positiveIntegerOrNothing: ContextRule<number | ''> = {
  expected: 'a whole number of at least 1, or empty for none',
  parse: (value) => (value === '' ? '' : integerAtLeast(1).parse(value)),
};

/** A Secrets Manager secret's ARN or name (what GetSecretValue takes), or empty for none. */
const secretOrNothing: ContextRule<string> = {
  expected: 'a Secrets Manager secret ARN or name, or empty for none',
  parse: (value) =>
    typeof value === 'string' && /^((arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512})?$/.test(value)
      ? value
      : undefined,
};

const nonEmpty = <T>(value: T | ''): T | undefined => (value === '' ? undefined : value);

/**
 * The regions a multi-region strong consistency (MRSC) table may span: its replicas and witness
 * must all come from one of these sets (DynamoDB's own rule), so every region Retrysafe deploys
 * to must too, the keyOwners table being MRSC.
 */
export const mrscRegionSets = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
} as const;

export type MrscRegionSet = keyof typeof mrscRegionSets;
export type Region = (typeof mrscRegionSets)[MrscRegionSet][number];

const regionSetOf = (region: string): MrscRegionSet | undefined =>
  (Object.keys(mrscRegionSets) as MrscRegionSet[]).find((set) => (mrscRegionSets[set] as readonly string[]).includes(region));

const regionNamePattern = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Region names in a comma-separated list, or empty for one region: which ones may go together is readRegionPlan's to say. */
const regionListOrNothing: ContextRule<readonly string[] | ''> = {
  expected: 'a comma-separated list of AWS region names, or empty for one region',
  parse: (value) => {
    if (value === '') return '';
    if (typeof value !== 'string') return undefined;
    const regions = value.split(',').map((region) => region.trim());
    return regions.every((region) => regionNamePattern.test(region)) ? regions : undefined;
  },
};

const regionOrNothing: ContextRule<string> = {
  expected: 'an AWS region name, or empty for none',
  parse: (value) => (typeof value === 'string' && (value === '' || regionNamePattern.test(value)) ? value : undefined),
};

/** A DNS name such as api.example.com (no trailing dot), or empty for none. */
const domainNameOrNothing: ContextRule<string> = {
  expected: 'a DNS name such as api.example.com, or empty for none',
  parse: (value) =>
    typeof value === 'string' && (value === '' || /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(value))
      ? value
      : undefined,
};

const hostedZoneIdOrNothing: ContextRule<string> = {
  expected: 'a Route 53 hosted zone id (Z…), or empty for none',
  parse: (value) => (typeof value === 'string' && (value === '' || /^Z[A-Z0-9]{1,32}$/.test(value)) ? value : undefined),
};

const contextKey = <T>(spec: StackContextKey<T>): StackContextKey<T> => spec;

/** The stack's own context keys, after `retrysafe:`; the README's context table lists them in this order. */
export const stackContextKeys = {
  removalPolicy: contextKey({
    rule: oneOf(['retain', 'destroy']),
    default: 'retain',
    meaning: '`destroy` deletes tables and queues with the stack (non-production)',
  }),
  deletionProtection: contextKey({
    rule: trueOrFalse,
    default: true,
    meaning: 'DynamoDB deletion protection; unset, it is off with `removalPolicy` `destroy`, and `true` with `destroy` is refused',
  }),
  stageName: contextKey({ rule: stageNameRule, default: 'prod', meaning: 'API Gateway stage' }),
  throttlingRateLimit: contextKey({
    rule: integerAtLeast(1),
    default: 100,
    meaning: 'Stage throttling: steady requests per second, across all clients',
  }),
  throttlingBurstLimit: contextKey({ rule: integerAtLeast(1), default: 200, meaning: 'Stage throttling: bucket size, across all clients' }),
  wafRequestsPerIpPer5Minutes: contextKey({
    rule: integerAtLeast(10),
    default: 3000,
    meaning: 'WAF flood guard: requests one client IP may send per five minutes',
  }),
  logRetentionDays: contextKey({
    rule: retentionDays,
    default: RetentionDays.ONE_MONTH,
    meaning: 'Retention of function, API Gateway access and execution, and WAF logs',
  }),
  logLevel: contextKey({
    rule: oneOf(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']),
    default: 'INFO',
    meaning: "Functions' application log level",
  }),
  moneyPathReservedConcurrency: contextKey({
    rule: positiveIntegerOrNothing,
    default: '',
    meaning:
      'Reserved concurrency of each money-path function (`charges`, `processor`): guaranteed to them, and taken from every other function in the account; empty reserves none (see the capacity plan)',
  }),
  alarmEmail: contextKey({
    rule: emailOrNothing,
    default: '',
    meaning: 'E-mail address subscribed to the alarm topic (it must confirm the subscription); empty, the topic has no subscriber',
  }),
  processor: contextKey({
    rule: oneOf(processorKinds),
    default: 'sandbox',
    meaning:
      'The card processor: `sandbox` deploys the sandbox processor (function and table); `stripe` deploys none and calls Stripe, its key read from `stripeSecretArn`',
  }),
  stripeSecretArn: contextKey({
    rule: secretOrNothing,
    default: '',
    meaning:
      'With `processor` `stripe`, and only then: the Secrets Manager secret (ARN or name) holding the Stripe secret key as plain text; the processor callers may read it, and their environment names it',
  }),
  apiGatewayCloudWatchRole: contextKey({
    rule: trueOrFalse,
    default: false,
    meaning:
      "`true` creates the role API Gateway writes logs through and sets it as the account's (one per account and region, replacing any other); the stage's logging needs one, so set it for the first stack in an account that has none",
  }),
  regions: contextKey({
    rule: regionListOrNothing,
    default: '',
    meaning:
      "Regions to deploy to, one stack each (`Retrysafe-<region>`), the first owning the global tables: three regions of one MRSC region set (US `us-east-1,us-east-2,us-west-2`; EU `eu-west-1,eu-west-2,eu-west-3,eu-central-1`; AP `ap-northeast-1,ap-northeast-2,ap-northeast-3`), or two with `witnessRegion`; empty, one stack (`Retrysafe`) in the CLI's region",
  }),
  witnessRegion: contextKey({
    rule: regionOrNothing,
    default: '',
    meaning:
      'With two `regions`, and only then: the third region of their MRSC set, holding a witness of the keyOwners table (no replica, no stack), so ownership claims survive the loss of either region',
  }),
  domain: contextKey({
    rule: domainNameOrNothing,
    default: '',
    meaning:
      'Custom domain of the API (e.g. `api.example.com`), served by every region, and `<region>.<domain>` by each; needs `hostedZoneId` and `hostedZoneName`; empty, only the API Gateway URLs',
  }),
  hostedZoneId: contextKey({
    rule: hostedZoneIdOrNothing,
    default: '',
    meaning: 'With `domain`: the Route 53 public hosted zone holding it',
  }),
  hostedZoneName: contextKey({
    rule: domainNameOrNothing,
    default: '',
    meaning: 'With `domain`: the name of that hosted zone (e.g. `example.com`)',
  }),
  routing: contextKey({
    rule: oneOf(['latency', 'failover']),
    default: 'latency',
    meaning:
      'With `domain` and several `regions`: `latency` sends each client to its nearest region; `failover` sends everyone to the first region, and to the second when the first fails its health check (`https://<region>.<domain>/health`)',
  }),
};

export type StackContextName = keyof typeof stackContextKeys;
type StackContextValue<K extends StackContextName> = (typeof stackContextKeys)[K] extends StackContextKey<infer T> ? T : never;

/** The keys seen per name, so that reading one yields its own type. */
const stackContextSpecs: { readonly [K in StackContextName]: StackContextKey<StackContextValue<K>> } = stackContextKeys;

export const stackContextKeyOf = (name: StackContextName): string => `${prefix}${name}`;

/** The key's value as the context gives it; undefined when the context does not. */
const readExplicitStackContext = <K extends StackContextName>(node: Node, name: K): StackContextValue<K> | undefined => {
  const spec = stackContextSpecs[name];
  const value: unknown = node.tryGetContext(stackContextKeyOf(name));
  if (value === undefined) return undefined;
  const parsed = spec.rule.parse(value);
  if (parsed === undefined) throw new ConfigError(stackContextKeyOf(name), `must be ${spec.rule.expected}, got ${JSON.stringify(value)}`);
  return parsed;
};

const readStackContext = <K extends StackContextName>(node: Node, name: K): StackContextValue<K> =>
  readExplicitStackContext(node, name) ?? stackContextSpecs[name].default;

/**
 * A stack whose tables are to be destroyed with it cannot keep them protected: CloudFormation
 * would fail `cdk destroy` on the first table. So `destroy` turns protection off unless the
 * context says otherwise, and asking for both is refused here rather than discovered at destroy.
 */
const readDeletionProtection = (node: Node, removalPolicy: 'retain' | 'destroy'): boolean => {
  const explicit = readExplicitStackContext(node, 'deletionProtection');
  if (explicit === true && removalPolicy === 'destroy') {
    throw new ConfigError(
      stackContextKeyOf('deletionProtection'),
      `cannot be true with ${stackContextKeyOf('removalPolicy')}=destroy: cdk destroy would fail on the protected tables`,
    );
  }
  return explicit ?? removalPolicy === 'retain';
};

const camelCase = (screamingSnake: string): string =>
  screamingSnake.toLowerCase().replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** The context key of a handler setting: IDEMPOTENCY_TTL_SECONDS → retrysafe:idempotencyTtlSeconds. */
export const settingContextKeyOf = (setting: SettingName): string => `${prefix}${camelCase(setting)}`;

/** cdk.json delivers JSON values, the command line strings; either becomes the text a handler would read. */
const settingText = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** The setting's environment text, parsed by the handler's own parser; undefined leaves the handler's default. */
const readHandlerSetting = (node: Node, setting: SettingName): string | undefined => {
  const key = settingContextKeyOf(setting);
  const value: unknown = node.tryGetContext(key);
  if (value === undefined) return undefined;
  const { setBy } = settings[setting];
  if (setBy !== 'context') {
    const reason = setBy === 'stack' ? 'the stack sets it itself' : 'only the local stack sets it';
    throw new ConfigError(key, `cannot be set: ${reason}`);
  }
  const text = settingText(value);
  if (text === undefined) throw new ConfigError(key, `must be text or a number, got ${JSON.stringify(value)}`);
  if (isBlank(text)) return undefined;
  try {
    return formatSetting(setting, parseSetting(setting, text));
  } catch (error) {
    if (!(error instanceof SettingError)) throw error;
    throw new ConfigError(key, `would fail the functions that read it: ${error.message}`, { cause: error });
  }
};

const readHandlerSettings = (node: Node): HandlerSettings => {
  const handlerSettings: Partial<Record<SettingName, string>> = {};
  for (const setting of settingNames) {
    const text = readHandlerSetting(node, setting);
    if (text !== undefined) handlerSettings[setting] = text;
  }
  return handlerSettings;
};

/** Stripe needs its secret, and the sandbox none: a secret named for the sandbox is a mistake, refused rather than ignored. */
const readProcessorChoice = (node: Node): ProcessorChoice => {
  const secret = nonEmpty(readStackContext(node, 'stripeSecretArn'));
  switch (readStackContext(node, 'processor')) {
    case 'sandbox':
      if (secret !== undefined) {
        throw new ConfigError(stackContextKeyOf('stripeSecretArn'), `is only for ${stackContextKeyOf('processor')}=stripe`);
      }
      return { kind: 'sandbox' };
    case 'stripe':
      if (secret === undefined) {
        throw new ConfigError(
          stackContextKeyOf('stripeSecretArn'),
          `must name the secret holding the Stripe key with ${stackContextKeyOf('processor')}=stripe`,
        );
      }
      return { kind: 'stripe', secret };
  }
};

/**
 * Where the stacks go: one stack in the CLI's region (today's deployment), or one stack per
 * region, the first owning the global tables. The keyOwners table is MRSC, so the regions follow
 * MRSC's rules: three replicas, or two and a witness, all in one region set.
 */
export type RegionPlan =
  | { readonly kind: 'single' }
  | { readonly kind: 'multi'; readonly regions: readonly [Region, Region, ...Region[]]; readonly witness: Region | undefined };

const setsText = (Object.entries(mrscRegionSets) as [MrscRegionSet, readonly Region[]][])
  .map(([set, regions]) => `${set} (${regions.join(', ')})`)
  .join('; ');

const checkedRegion = (key: string, region: string): Region => {
  if (regionSetOf(region) === undefined) {
    throw new ConfigError(
      key,
      `names ${region}, which is in no MRSC region set: DynamoDB offers strong consistency only within ${setsText}`,
    );
  }
  return region as Region;
};

export const readRegionPlan = (node: Node): RegionPlan => {
  const regionsKey = stackContextKeyOf('regions');
  const witnessKey = stackContextKeyOf('witnessRegion');
  const listed = nonEmpty(readStackContext(node, 'regions'));
  const witnessName = nonEmpty(readStackContext(node, 'witnessRegion'));
  if (listed === undefined) {
    if (witnessName !== undefined) throw new ConfigError(witnessKey, `is only for a deployment to two ${regionsKey}`);
    return { kind: 'single' };
  }
  const duplicate = listed.find((region, index) => listed.indexOf(region) !== index);
  if (duplicate !== undefined) throw new ConfigError(regionsKey, `names ${duplicate} twice`);
  const regions = listed.map((region) => checkedRegion(regionsKey, region));
  const witness = witnessName === undefined ? undefined : checkedRegion(witnessKey, witnessName);
  if (witness !== undefined && regions.includes(witness)) {
    throw new ConfigError(witnessKey, `${witness} is one of ${regionsKey}: a witness is the region without a replica`);
  }
  const members = witness === undefined ? regions : [...regions, witness];
  const sets = [...new Set(members.map((region) => regionSetOf(region)))];
  if (sets.length > 1) {
    throw new ConfigError(
      witness === undefined ? regionsKey : `${regionsKey} and ${witnessKey}`,
      `mix the MRSC region sets ${sets.join(' and ')}: the replicas and witness of a strongly consistent table must come from one of ${setsText}`,
    );
  }
  const [first, second, ...rest] = regions;
  if (first === undefined || second === undefined) {
    const problem = witness === undefined ? '' : '; a witness only completes two regions';
    throw new ConfigError(regionsKey, `names one region: leave it empty for a single-region deployment${problem}`);
  }
  if (witness === undefined && regions.length !== 3) {
    throw new ConfigError(
      regionsKey,
      `names ${regions.length} regions: a strongly consistent table needs exactly three, or two and ${witnessKey}`,
    );
  }
  if (witness !== undefined && regions.length !== 2) {
    throw new ConfigError(witnessKey, `needs exactly two ${regionsKey}, not ${regions.length}: three replicas take no witness`);
  }
  return { kind: 'multi', regions: [first, second, ...rest], witness };
};

export interface CustomDomain {
  readonly name: string;
  readonly hostedZoneId: string;
  readonly hostedZoneName: string;
  readonly routing: 'latency' | 'failover';
}

/** The API's own name, or undefined for the API Gateway URLs alone. */
const readCustomDomain = (node: Node, regions: RegionPlan): CustomDomain | undefined => {
  const name = nonEmpty(readStackContext(node, 'domain'));
  const hostedZoneId = nonEmpty(readStackContext(node, 'hostedZoneId'));
  const hostedZoneName = nonEmpty(readStackContext(node, 'hostedZoneName'));
  const routing = readExplicitStackContext(node, 'routing');
  const domainKey = stackContextKeyOf('domain');
  if (name === undefined) {
    const stray = (['hostedZoneId', 'hostedZoneName', 'routing'] as const).find((key) => readExplicitStackContext(node, key) !== undefined);
    if (stray !== undefined) throw new ConfigError(stackContextKeyOf(stray), `is only for a deployment with ${domainKey}`);
    return undefined;
  }
  if (hostedZoneId === undefined)
    throw new ConfigError(stackContextKeyOf('hostedZoneId'), `must name the hosted zone of ${domainKey}=${name}`);
  if (hostedZoneName === undefined)
    throw new ConfigError(stackContextKeyOf('hostedZoneName'), `must name the hosted zone of ${domainKey}=${name}`);
  if (name !== hostedZoneName && !name.endsWith(`.${hostedZoneName}`)) {
    throw new ConfigError(domainKey, `${name} is not in the hosted zone ${hostedZoneName}`);
  }
  if (routing === 'failover' && regions.kind === 'single') {
    throw new ConfigError(stackContextKeyOf('routing'), `failover needs a second region to fail over to (${stackContextKeyOf('regions')})`);
  }
  return { name, hostedZoneId, hostedZoneName, routing: routing ?? stackContextKeys.routing.default };
};

export const readStackConfig = (node: Node): StackConfig => {
  const regions = readRegionPlan(node);
  const removalPolicy = readStackContext(node, 'removalPolicy');
  return {
    removalPolicy: removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    deletionProtection: readDeletionProtection(node, removalPolicy),
    stageName: readStackContext(node, 'stageName'),
    throttlingRateLimit: readStackContext(node, 'throttlingRateLimit'),
    throttlingBurstLimit: readStackContext(node, 'throttlingBurstLimit'),
    wafRequestsPerIpPer5Minutes: readStackContext(node, 'wafRequestsPerIpPer5Minutes'),
    logRetention: readStackContext(node, 'logRetentionDays'),
    logLevel: ApplicationLogLevel[readStackContext(node, 'logLevel')],
    apiGatewayCloudWatchRole: readStackContext(node, 'apiGatewayCloudWatchRole'),
    moneyPathReservedConcurrency: nonEmpty(readStackContext(node, 'moneyPathReservedConcurrency')),
    alarmEmail: nonEmpty(readStackContext(node, 'alarmEmail')),
    handlerSettings: readHandlerSettings(node),
    processor: readProcessorChoice(node),
    regions,
    domain: readCustomDomain(node, regions),
  };
};
