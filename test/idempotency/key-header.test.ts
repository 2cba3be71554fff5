import { describe, expect, it } from 'vitest';
import { parseIdempotencyKeyHeader } from '@retrysafe/idempotency';

describe('Idempotency-Key header', () => {
  it.each([
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['  spaced  ', 'spaced'],
    ['"with \\"quotes\\" and \\\\"', 'with "quotes" and \\'],
    ['a', 'a'],
    ['x'.repeat(255), 'x'.repeat(255)],
    [`"${'y'.repeat(255)}"`, 'y'.repeat(255)],
    ['~', '~'],
    ['"~"', '~'],
    ["!#$%&'()*+,-./:;<=>?@[]^_`{|}~", "!#$%&'()*+,-./:;<=>?@[]^_`{|}~"],
  ])('accepts %s', (header, key) => {
    expect(parseIdempotencyKeyHeader([header])).toEqual({ kind: 'present', key });
  });

  it('treats the bare and the structured-field form as the same key', () => {
    expect(parseIdempotencyKeyHeader(['"abc"'])).toEqual(parseIdempotencyKeyHeader(['abc']));
  });

  it.each([
    ['', 'empty'],
    ['""', 'empty'],
    ['x'.repeat(256), 'longer than 255'],
    ['caf\u00e9', 'printable ASCII'],
    ['tab\there', 'printable ASCII'],
    ['"unterminated', 'no closing quote'],
    ['"a"b', 'nothing may follow'],
    ['"bad \\n escape"', 'escaped'],
    ['del\u007f', 'printable ASCII'],
    ['"tab\there"', 'printable ASCII'],
    ['"caf\u00e9"', 'printable ASCII'],
    ['"nul\u0000"', 'printable ASCII'],
  ])('refuses %j (%s)', (header, reason) => {
    const parsed = parseIdempotencyKeyHeader([header]);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.reason).toContain(reason);
  });

  it('is absent when no header was sent', () => {
    expect(parseIdempotencyKeyHeader([])).toEqual({ kind: 'absent' });
  });

  it('refuses repeated headers with different keys but accepts identical repeats', () => {
    expect(parseIdempotencyKeyHeader(['a', 'b'])).toEqual({
      kind: 'invalid',
      reason: 'the Idempotency-Key header was sent more than once with different values',
    });
    expect(parseIdempotencyKeyHeader(['a', '"a"'])).toEqual({ kind: 'present', key: 'a' });
  });

  it('reports what is wrong with a malformed key even when the header is repeated', () => {
    expect(parseIdempotencyKeyHeader(['"open', '"open'])).toEqual({ kind: 'invalid', reason: 'the quoted key has no closing quote' });
  });
});
