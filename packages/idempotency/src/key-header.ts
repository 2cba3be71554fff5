declare const validated: unique symbol;

/** A validated Idempotency-Key: 1-255 printable ASCII characters, quotes and escapes removed. */
export type IdempotencyKey = string & { readonly [validated]: 'IdempotencyKey' };

export type KeyHeader =
  | { readonly kind: 'absent' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'present'; readonly key: IdempotencyKey };

export const maxKeyLength = 255;

const printable = (code: number): boolean => code >= 0x20 && code <= 0x7e;

/**
 * draft-ietf-httpapi-idempotency-key-header defines the field as an RFC 8941 sf-string
 * (`Idempotency-Key: "8e03978e-..."`), while most clients (and Stripe's) send a bare token.
 * Both spellings name the same key, so a client that switches form mid-retry still matches.
 */
const parseStructuredString = (value: string): string | { error: string } => {
  let key = '';
  for (let i = 1; i < value.length; i++) {
    const char = value.charAt(i);
    if (char === '\\') {
      const next = value.charAt(i + 1);
      if (next !== '"' && next !== '\\') return { error: 'only \\" and \\\\ may be escaped inside a quoted key' };
      key += next;
      i++;
    } else if (char === '"') {
      if (i !== value.length - 1) return { error: 'nothing may follow the closing quote' };
      return key;
    } else if (!printable(char.charCodeAt(0))) {
      return { error: 'the key must be printable ASCII' };
    } else {
      key += char;
    }
  }
  return { error: 'the quoted key has no closing quote' };
};

/** A key given as its plain value rather than a header field, as a path names it: no quoting, nothing trimmed. */
export const parseKeyValue = (value: string): IdempotencyKey | undefined =>
  value.length >= 1 && value.length <= maxKeyLength && Array.from(value).every((char) => printable(char.charCodeAt(0)))
    ? (value as IdempotencyKey)
    : undefined;

/** Reads the header value(s) a client sent; differing repeated headers are ambiguous and refused. */
export const parseIdempotencyKeyHeader = (values: readonly string[]): KeyHeader => {
  if (values.length === 0) return { kind: 'absent' };
  const parsed = values.map((value) => parseOne(value.trim()));
  const first = parsed[0];
  if (first === undefined) return { kind: 'absent' };
  if (first.kind !== 'present') return first;
  for (const other of parsed.slice(1)) {
    if (other.kind !== 'present' || other.key !== first.key) {
      return { kind: 'invalid', reason: 'the Idempotency-Key header was sent more than once with different values' };
    }
  }
  return first;
};

const parseOne = (value: string): KeyHeader => {
  if (value === '') return { kind: 'invalid', reason: 'the key is empty' };
  let key: string;
  if (value.startsWith('"')) {
    const result = parseStructuredString(value);
    if (typeof result !== 'string') return { kind: 'invalid', reason: result.error };
    key = result;
  } else {
    for (let i = 0; i < value.length; i++) {
      if (!printable(value.charCodeAt(i))) return { kind: 'invalid', reason: 'the key must be printable ASCII' };
    }
    key = value;
  }
  if (key.length === 0) return { kind: 'invalid', reason: 'the key is empty' };
  if (key.length > maxKeyLength) return { kind: 'invalid', reason: `the key is longer than ${maxKeyLength} characters` };
  return { kind: 'present', key: key as IdempotencyKey };
};
