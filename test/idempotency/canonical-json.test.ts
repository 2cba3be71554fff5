import { describe, expect, it } from 'vitest';
import { canonicalJson } from '@retrysafe/idempotency';

describe('canonicalJson', () => {
  // Stored records hold fingerprints of this text: another order, even a consistent one, would turn retries across a deploy into 422s.
  it('writes the RFC 8785 text: members sorted by UTF-16 code units at every depth, no whitespace', () => {
    const value = { b: [1, 2, { d: true, c: null }], a: 'x', '\u00e9': 1.5, Z: -0, '\uFB01': 'ligature', '\u{1F600}': 'smile' };
    // U+1F600 sorts before U+FB01: its first UTF-16 code unit is a surrogate, 0xD83D.
    expect(canonicalJson(value)).toBe('{"Z":0,"a":"x","b":[1,2,{"c":null,"d":true}],"\u00e9":1.5,"\u{1F600}":"smile","\uFB01":"ligature"}');
  });

  it('keeps array members apart, so [1,2] and [12] stay different bodies', () => {
    expect(canonicalJson([1, 2])).toBe('[1,2]');
    expect(canonicalJson([[1], [2, 3], []])).toBe('[[1],[2,3],[]]');
  });

  it('leaves out undefined members as JSON.stringify does, so a parsed body matches its text', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(JSON.stringify({ a: 1 }));
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s rather than writing it as null', (number) => {
    expect(() => canonicalJson({ amount: number })).toThrow(new TypeError('Non-finite numbers have no JSON form'));
  });

  it.each([
    [undefined, 'undefined'],
    [1n, 'bigint'],
    [() => 1, 'function'],
    [Symbol('s'), 'symbol'],
  ])('refuses %s rather than writing it as {}', (value, type) => {
    expect(() => canonicalJson(value)).toThrow(new TypeError(`${type} has no JSON form`));
  });
});
