/**
 * The shapes of setting text that several settings share. Each parser returns the value the
 * text means or throws saying what it expected; lambdas/settings.ts names the variable.
 */

export const wholeNumber = (text: string): number => {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new Error(`must be a whole number, got "${text}"`);
  return value;
};

export const positiveWholeNumber = (text: string): number => {
  const value = wholeNumber(text);
  if (value < 1) throw new Error(`must be at least 1, got ${value}`);
  return value;
};

export const trueOrFalse = (text: string): boolean => {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new Error(`must be true or false, got "${text}"`);
};

export const oneOf =
  <const T extends string>(choices: readonly T[]) =>
  (text: string): T => {
    const match = choices.find((choice) => choice === text);
    if (match === undefined) throw new Error(`must be one of ${choices.join(', ')}, got "${text}"`);
    return match;
  };

export const absoluteUrl = (text: string): string => {
  if (!URL.canParse(text)) throw new Error(`must be an absolute URL, got "${text}"`);
  return text;
};
