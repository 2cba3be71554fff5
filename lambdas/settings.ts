/**
 * Every setting a handler reads from its environment, declared once: the variable, the
 * handler's own parser, the default, who sets it, the functions that read it and what it means.
 * The CDK stack derives its context keys and each function's environment from this registry,
 * the local stack derives its environment, and `npm run docs` the README's tables.
 *
 * WHEN SETTINGS ARE READ. A handler module builds its collaborators once per container, on its
 * first invocation, in its `depsFromEnvironment()`, and reads its settings there through
 * `readSetting`; a changed value reaches new containers only. A malformed value would fail that
 * first invocation, but `cdk synth` and `npm start` run the very same parsers first and refuse
 * it there. `readSetting` itself looks at the environment when called, never at import, so one
 * process (the local stack, the tests) can host several functions and configurations.
 *
 * Lambda bundles import this module: it may import the handlers' parsers, never CDK.
 */
import { validBurst, validRatePerMinute } from './rate-limit/gcra.js';
import { absoluteUrl, oneOf, positiveWholeNumber, trueOrFalse, wholeNumber } from './shared/setting-parsers.js';
import { functions, schedules, type FunctionName, type FunctionSpec } from './topology.js';
import { maxAttemptTimeoutMs, validAttemptTimeoutMs } from './webhooks/attempt-timeout.js';
import { defaultRetrySchedule, parseRetrySchedule } from './webhooks/retry-policy.js';

/**
 * Who gives a deployed function a setting:
 *   context  CDK context `retrysafe:<camelCase>` (lib/config.ts), refused at synth by the parser
 *            the handler uses; under `npm start`, the shell's environment
 *   stack    the CDK stack itself, from the resources it creates; context cannot set it
 *   local    nobody: only the local stack sets it, so a deployed function always has the default
 */
type SettingSource = 'context' | 'stack' | 'local';

type SettingDefault<T, Name extends string = SettingName> =
  | { readonly value: T }
  /** Another setting's value, read from the same environment. */
  | { readonly sameAs: Name }
  /** None: the function cannot run without it. */
  | { readonly required: true };

/** A setting's type is what its parser returns; the other members follow it. */
interface SettingSpec<T, Name extends string = SettingName> {
  /** The handler's own rule: the value the (trimmed) text means, or a throw saying why it is refused. */
  readonly parse: (text: string) => T;
  /** Text that `parse` reads back as the same value: what a stack writes into an environment. */
  readonly format: (value: NoInfer<T>) => string;
  /** What an unset or blank variable means. */
  readonly default: SettingDefault<NoInfer<T>, Name>;
  readonly setBy: SettingSource;
  readonly readBy: readonly FunctionName[];
  /** Only with this card processor (CDK context `retrysafe:processor`): the stack sets it then, and its readers read it then alone. */
  readonly withProcessor?: ProcessorKind;
  readonly meaning: string;
}

/** Keeps each setting's own value type, and the literal name a `sameAs` default points to. */
const setting = <T, const Name extends string = never>(spec: SettingSpec<T, Name>): SettingSpec<T, Name> => spec;

/** The processor client runs wherever the topology says a function calls the processor. */
const processorCallers = (Object.entries(functions) as [FunctionName, FunctionSpec][])
  .filter(([, spec]) => spec.callsProcessor === true)
  .map(([name]) => name);

const functionNames = Object.keys(functions) as FunctionName[];

/** The functions serving authenticated routes: apiRoute rate-limits every one of them. */
const apiFunctions: readonly FunctionName[] = ['charges', 'account', 'webhookEndpoints'];

/** The functions the topology runs on a schedule: each ends a run before the next is due. */
const scheduledFunctions: readonly FunctionName[] = schedules.map((schedule) => schedule.function);

/** The card processors Retrysafe can call: its own sandbox, or Stripe (lambdas/payments/processor-client/). */
export const processorKinds = ['sandbox', 'stripe'] as const;
export type ProcessorKind = (typeof processorKinds)[number];

/** A Secrets Manager secret as its ARN (or name): what GetSecretValue takes as SecretId. */
const secretId = (text: string): string => {
  if (!/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/.test(text)) {
    throw new Error(`must be a Secrets Manager secret ARN or name, got "${text}"`);
  }
  return text;
};

/** What RATE_LIMIT_FAIL_MODE may say; the rate limiter's metric carries it as a dimension. */
export const rateLimitFailModes = ['open', 'closed'] as const;

export const settings = {
  IDEMPOTENCY_TTL_SECONDS: setting({
    parse: positiveWholeNumber,
    format: String,
    default: { value: 86_400 },
    setBy: 'context',
    readBy: functionNames.filter((name) => (functions[name] as FunctionSpec).tables.idempotency !== undefined),
    meaning: 'Seconds an idempotency record is remembered',
  }),
  RATE_LIMIT_PER_MINUTE: setting({
    parse: (text) => validRatePerMinute(wholeNumber(text)),
    format: String,
    default: { value: 100 },
    setBy: 'context',
    readBy: apiFunctions,
    meaning: 'Requests per minute per tenant (token refill rate)',
  }),
  RATE_LIMIT_BURST: setting({
    parse: (text) => validBurst(wholeNumber(text)),
    format: String,
    // An idle tenant may spend a whole minute's quota at once.
    default: { sameAs: 'RATE_LIMIT_PER_MINUTE' },
    setBy: 'context',
    readBy: apiFunctions,
    meaning: 'Bucket capacity: requests an idle tenant may send at once',
  }),
  RATE_LIMIT_FAIL_MODE: setting({
    parse: oneOf(rateLimitFailModes),
    format: String,
    default: { value: 'open' },
    setBy: 'context',
    readBy: apiFunctions,
    meaning: '`open` serves requests when the rate-limit table is unreachable; `closed` answers `503`',
  }),
  PROCESSOR_KIND: setting({
    parse: oneOf(processorKinds),
    format: String,
    default: { value: 'sandbox' },
    setBy: 'stack',
    readBy: processorCallers,
    meaning: 'The card processor the functions call: `sandbox` or `stripe` (context `retrysafe:processor`)',
  }),
  PROCESSOR_URL: setting({
    parse: absoluteUrl,
    format: String,
    default: { required: true },
    setBy: 'stack',
    readBy: processorCallers,
    withProcessor: 'sandbox',
    meaning: 'Base URL of the card processor (its function URL when deployed)',
  }),
  PROCESSOR_AUTH: setting({
    parse: oneOf(['iam', 'none']),
    format: String,
    default: { value: 'none' },
    setBy: 'stack',
    readBy: processorCallers,
    withProcessor: 'sandbox',
    meaning: '`iam` SigV4-signs processor calls for its AWS_IAM function URL; `none` sends them unsigned',
  }),
  PROCESSOR_TIMEOUT_MS: setting({
    parse: positiveWholeNumber,
    format: String,
    default: { value: 5_000 },
    setBy: 'context',
    readBy: processorCallers,
    meaning: 'Timeout of a processor call, body included; shorter than `SANDBOX_SLOW_RESPONSE_MS`, so the slow token is lost',
  }),
  STRIPE_API_KEY_SECRET_ARN: setting({
    parse: secretId,
    format: String,
    default: { required: true },
    setBy: 'stack',
    readBy: processorCallers,
    withProcessor: 'stripe',
    meaning:
      'Stripe: the Secrets Manager secret holding the Stripe secret key (context `retrysafe:stripeSecretArn`), read once per container; the key itself is never in the environment',
  }),
  SANDBOX_SLOW_RESPONSE_MS: setting({
    parse: wholeNumber,
    format: String,
    default: { value: 7_000 },
    setBy: 'context',
    readBy: ['processor'],
    meaning: 'Sandbox: how late `tok_timeout_after_charge` answers; longer than `PROCESSOR_TIMEOUT_MS`, so its answer is lost',
  }),
  WEBHOOK_RETRY_SCHEDULE: setting({
    parse: parseRetrySchedule,
    format: (schedule) => schedule.join(','),
    default: { value: defaultRetrySchedule },
    setBy: 'context',
    readBy: ['webhookDispatcher'],
    meaning:
      'Seconds between webhook attempts (n entries → n+1 attempts per round; a redrive starts a new round); each wait is drawn from [previous entry, this entry]',
  }),
  WEBHOOK_TIMEOUT_MS: setting({
    parse: (text) => validAttemptTimeoutMs(wholeNumber(text)),
    format: String,
    default: { value: 10_000 },
    setBy: 'context',
    readBy: ['webhookDispatcher'],
    meaning: `One webhook attempt, connect to the response's last byte (a body still arriving then fails the attempt); at most ${maxAttemptTimeoutMs}, well inside the dispatcher's own timeout`,
  }),
  RECOVERY_INTERVAL_SECONDS: setting({
    parse: positiveWholeNumber,
    format: String,
    default: { value: 60 },
    setBy: 'context',
    // The only interval setting so far (IntervalSetting), so every schedule runs on it.
    readBy: scheduledFunctions,
    meaning:
      'Seconds between runs of each recovery job (EventBridge runs them every whole minute at most, so a deployed value is a multiple of 60); a run stops taking on work when the next is due',
  }),
  RECOVERY_STUCK_AFTER_SECONDS: setting({
    parse: positiveWholeNumber,
    format: String,
    default: { value: 900 },
    setBy: 'context',
    readBy: ['reconciler'],
    // A request holds its key for seconds and the completer takes a point over a minute or two
    // later, so a point a quarter of an hour old has outlived fifteen completer runs: the
    // processor has been down that long, or the point fails every time. Either wants a person.
    meaning:
      'Seconds after its first claim that an unresolved recovery point is reported stuck by the reconciler (a quarter of an hour is many completer runs: an outage or a point that fails every time)',
  }),
  WEBHOOK_ALLOW_LOOPBACK: setting({
    parse: trueOrFalse,
    format: String,
    default: { value: false },
    setBy: 'local',
    readBy: ['webhookEndpoints', 'webhookDispatcher'],
    meaning: 'Allow loopback webhook URLs, and plain http to them',
  }),
};

export type SettingName = keyof typeof settings;

export type SettingValue<N extends SettingName> = (typeof settings)[N] extends SettingSpec<infer T, string> ? T : never;

/** The settings whose values have type T: what a `sameAs` default may name. */
type SettingsOfType<T> = {
  [N in SettingName]: [SettingValue<N>] extends [T] ? ([T] extends [SettingValue<N>] ? N : never) : never;
}[SettingName];

/**
 * The registry seen per name, so that reading one setting yields that setting's type; the
 * assignment also checks that every `sameAs` names a setting of the same type.
 */
const specs: { readonly [N in SettingName]: SettingSpec<SettingValue<N>, SettingsOfType<SettingValue<N>>> } = settings;

export const settingNames = Object.keys(settings) as SettingName[];

/** The settings the functions read with the processor PROCESSOR_KIND names: another processor's are nobody's business. */
export const settingsInUse = (environment: Readonly<Record<string, string | undefined>> = process.env): SettingName[] => {
  const processor = readSetting('PROCESSOR_KIND', environment);
  return settingNames.filter((name) => (specs[name].withProcessor ?? processor) === processor);
};

/** A value the handler would refuse, or a required setting that is missing. */
export class SettingError extends Error {
  constructor(
    readonly setting: SettingName,
    message: string,
  ) {
    super(message);
    this.name = 'SettingError';
  }
}

/** A blank variable means the same as an unset one: the default. */
export const isBlank = (text: string): boolean => text.trim() === '';

/** The handler's reading of a variable's text; the CDK stack calls this too, so synth refuses exactly what the handler would. */
export const parseSetting = <N extends SettingName>(name: N, text: string): SettingValue<N> => {
  try {
    return specs[name].parse(text.trim());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // Some parsers name the variable themselves (parseRetrySchedule); the message names it once.
    throw new SettingError(name, reason.includes(name) ? reason : `Environment variable ${name} is invalid: ${reason}`);
  }
};

export const formatSetting = <N extends SettingName>(name: N, value: SettingValue<N>): string => specs[name].format(value);

/** The text of a setting's own default value; undefined when it has none (required, or another setting's). */
// N ties the default to its own setting's format, which a plain SettingName could not.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export const formatDefault = <N extends SettingName>(name: N): string | undefined => {
  const fallback = specs[name].default;
  return 'value' in fallback ? specs[name].format(fallback.value) : undefined;
};

/** Some settings' values, each of its own type. */
export type SettingValues = { readonly [N in SettingName]?: SettingValue<N> };

/** The environment variables that give a function these values. */
export const settingsEnvironment = (values: SettingValues): Record<string, string> => {
  const environment: Record<string, string> = {};
  const add = <N extends SettingName>(name: N, value: SettingValues[N]): void => {
    if (value !== undefined) environment[name] = formatSetting(name, value);
  };
  for (const name of settingNames) add(name, values[name]);
  return environment;
};

type Environment = Readonly<Record<string, string | undefined>>;

/** The setting's value in the environment (the process's own unless given), or its default. */
export const readSetting = <N extends SettingName>(name: N, environment: Environment = process.env): SettingValue<N> => {
  const text = environment[name];
  if (text !== undefined && !isBlank(text)) return parseSetting(name, text);
  const fallback = specs[name].default;
  if ('value' in fallback) return fallback.value;
  // The declaration of specs checked that sameAs names a setting of this one's type.
  if ('sameAs' in fallback) return readSetting<SettingName>(fallback.sameAs, environment);
  throw new SettingError(name, `Environment variable ${name} is not set`);
};
