/** "PutItem + UpdateItem", or "2×PutItem + 0.01×GetItem": the calls one request made, on average. */
export const operationsSummary = (callsByOperation: Readonly<Record<string, number>>): string => {
  const parts = Object.entries(callsByOperation)
    .sort(([, a], [, b]) => b - a)
    .map(([operation, count]) => {
      const rounded = Math.round(count * 100) / 100;
      return rounded === 1 ? operation : `${rounded}×${operation}`;
    });
  return parts.length === 0 ? 'none' : parts.join(' + ');
};

/** The purposes of a charge's calls, in the order a request meets them. */
export const chargePurposeOrder: readonly string[] = ['auth', 'rate limit', 'idempotency', 'business', 'business & idempotency'];

/** "rate limit 1, idempotency 1, business 1": what the calls of one request were for, in `order`. */
export const categoriesSummary = (callsByCategory: Readonly<Record<string, number>>, order: readonly string[]): string => {
  const rank = (category: string) => (order.includes(category) ? order.indexOf(category) : order.length);
  const parts = Object.entries(callsByCategory)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([category, count]) => `${category} ${Math.round(count * 100) / 100}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
};
