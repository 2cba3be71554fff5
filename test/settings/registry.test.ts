import { describe, expect, it } from 'vitest';
import { parseSetting, readSetting, SettingError } from '../../lambdas/settings.js';

describe('the settings registry', () => {
  it('reads a setting from the environment it is given, trimmed', () => {
    expect(readSetting('RATE_LIMIT_PER_MINUTE', { RATE_LIMIT_PER_MINUTE: ' 30 ' })).toBe(30);
    expect(readSetting('RATE_LIMIT_FAIL_MODE', { RATE_LIMIT_FAIL_MODE: 'closed' })).toBe('closed');
    expect(readSetting('WEBHOOK_ALLOW_LOOPBACK', { WEBHOOK_ALLOW_LOOPBACK: '1' })).toBe(true);
  });

  it('treats a blank variable as unset: the default', () => {
    expect(readSetting('WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '  ' })).toBe(10_000);
    expect(readSetting('WEBHOOK_RETRY_SCHEDULE', { WEBHOOK_RETRY_SCHEDULE: '' })).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
  });

  it('defaults RATE_LIMIT_BURST to the per-minute rate of the same environment', () => {
    expect(readSetting('RATE_LIMIT_BURST', {})).toBe(100);
    expect(readSetting('RATE_LIMIT_BURST', { RATE_LIMIT_PER_MINUTE: '30' })).toBe(30);
    expect(readSetting('RATE_LIMIT_BURST', { RATE_LIMIT_PER_MINUTE: '30', RATE_LIMIT_BURST: '5' })).toBe(5);
  });

  it('refuses a missing required setting, naming it', () => {
    expect(() => readSetting('PROCESSOR_URL', {})).toThrow(
      new SettingError('PROCESSOR_URL', 'Environment variable PROCESSOR_URL is not set'),
    );
  });

  it.each([
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['WEBHOOK_TIMEOUT_MS', '60000'],
    ['WEBHOOK_RETRY_SCHEDULE', '60,0'],
    ['PROCESSOR_AUTH', 'basic'],
    ['IDEMPOTENCY_TTL_SECONDS', '1e3'],
  ] as const)('refuses %s=%s, naming the variable once', (name, text) => {
    let message = '';
    try {
      parseSetting(name, text);
    } catch (error) {
      expect(error).toBeInstanceOf(SettingError);
      message = error instanceof Error ? error.message : '';
    }
    expect(message.split(name)).toHaveLength(2);
  });
});
