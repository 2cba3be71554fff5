import { describe, expect, it } from 'vitest';
import { readSetting, SettingError, settingNames, settings, type SettingName } from '../../lambdas/settings.js';
import { functions, type FunctionName } from '../../lambdas/topology.js';
import { ConfigError, settingContextKeyOf } from '../../lib/config.js';
import { environmentOf, synthesize } from './synthesize.js';

interface ContextCase {
  /** A value the handler's parser refuses. */
  readonly refused: string;
  /** A value it accepts, as cdk.json or the command line may give it... */
  readonly accepted: string | number;
  /** ...and the environment text the functions that read it get. */
  readonly environment: string;
}

/** One case per setting the context may set; the first test keeps this list complete. */
const cases: Partial<Record<SettingName, ContextCase>> = {
  IDEMPOTENCY_TTL_SECONDS: { refused: '0', accepted: '3600', environment: '3600' },
  RATE_LIMIT_PER_MINUTE: { refused: '0', accepted: 120, environment: '120' },
  RATE_LIMIT_BURST: { refused: '0', accepted: '40', environment: '40' },
  RATE_LIMIT_FAIL_MODE: { refused: 'sometimes', accepted: 'closed', environment: 'closed' },
  PROCESSOR_TIMEOUT_MS: { refused: '5s', accepted: '4000', environment: '4000' },
  SANDBOX_SLOW_RESPONSE_MS: { refused: '-1', accepted: '9000', environment: '9000' },
  WEBHOOK_RETRY_SCHEDULE: { refused: '60,0,300', accepted: '60, 300,1800', environment: '60,300,1800' },
  WEBHOOK_TIMEOUT_MS: { refused: '60000', accepted: '5000', environment: '5000' },
  RECOVERY_INTERVAL_SECONDS: { refused: '0', accepted: 300, environment: '300' },
  RECOVERY_STUCK_AFTER_SECONDS: { refused: '-5', accepted: '1800', environment: '1800' },
};

const contextSettings = settingNames.filter((name) => settings[name].setBy === 'context');
const otherSettings = settingNames.filter((name) => settings[name].setBy !== 'context');
const caseEntries = Object.entries(cases) as [SettingName, ContextCase][];
const functionNames = Object.keys(functions) as FunctionName[];

const synthError = (context: Record<string, unknown>): unknown => {
  try {
    synthesize(context);
  } catch (error) {
    return error;
  }
  throw new Error(`Synth accepted ${JSON.stringify(context)}`);
};

describe('handler settings from CDK context', () => {
  it('has a case for every setting the context may set', () => {
    expect(Object.keys(cases).sort()).toEqual([...contextSettings].sort());
  });

  it.each(caseEntries)('refuses %s at synth exactly as its handler would', (name, { refused }) => {
    expect(() => readSetting(name, { [name]: refused })).toThrow(SettingError);
    const key = settingContextKeyOf(name);
    const error = synthError({ [key]: refused });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ key, message: expect.stringContaining(key) as unknown });
  });

  it.each(otherSettings)('refuses context for %s, which only the stacks set', (name) => {
    expect(synthError({ [settingContextKeyOf(name)]: 'true' })).toBeInstanceOf(ConfigError);
  });

  it('passes a valid value to exactly the functions that read it', () => {
    const configured = synthesize(Object.fromEntries(caseEntries.map(([name, { accepted }]) => [settingContextKeyOf(name), accepted])));
    for (const fn of functionNames) {
      const environment = environmentOf(configured, fn);
      for (const [name, { environment: text }] of caseEntries) {
        if (settings[name].readBy.includes(fn)) expect(environment[name], `${name} of ${fn}`).toBe(text);
        else expect(environment, `${name} of ${fn}`).not.toHaveProperty(name);
      }
      for (const name of otherSettings) {
        // This stack calls the sandbox: a setting of another processor's is set nowhere.
        const spec: { readonly setBy: string; readonly readBy: readonly FunctionName[]; readonly withProcessor?: string } = settings[name];
        const setByStack = spec.setBy === 'stack' && spec.readBy.includes(fn) && (spec.withProcessor ?? 'sandbox') === 'sandbox';
        expect(name in environment, `${name} of ${fn}`).toBe(setByStack);
      }
    }
  });
});
