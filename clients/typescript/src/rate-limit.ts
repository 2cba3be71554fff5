/**
 * The rate-limit state a response announces (draft-ietf-httpapi-ratelimit-headers):
 *   RateLimit-Policy: "default";q=100;w=60;retrysafe-burst=20
 *   RateLimit: "default";r=42;t=1
 */
export interface RateLimitState {
  readonly policy: string;
  /** Requests allowed per window (q). */
  readonly quota: number | null;
  /** The window in seconds (w). */
  readonly windowSeconds: number | null;
  /** Burst allowance when it differs from the quota (retrysafe-burst). */
  readonly burst: number | null;
  /** Requests left now (r); null when the server could not tell. */
  readonly remaining: number | null;
  /** Seconds until the remaining count applies again (t). */
  readonly resetSeconds: number | null;
}

type Item = { name: string; parameters: ReadonlyMap<string, number> };

/** A Structured Field List of String items with integer parameters (RFC 9651), leniently: what does not parse is skipped. */
const parseList = (field: string | null): Item[] => {
  if (field === null) return [];
  const items: Item[] = [];
  for (const member of field.split(',')) {
    const [head, ...rest] = member.split(';').map((part) => part.trim());
    const name = /^"([^"]*)"$/.exec(head ?? '')?.[1];
    if (name === undefined) continue;
    const parameters = new Map<string, number>();
    for (const parameter of rest) {
      const match = /^([a-z*][a-z0-9_.*-]*)=(-?\d+)$/.exec(parameter);
      if (match?.[1] !== undefined && match[2] !== undefined) parameters.set(match[1], Number(match[2]));
    }
    items.push({ name, parameters });
  }
  return items;
};

/** The first policy the headers announce, with its current state; undefined when they announce none. */
export const parseRateLimit = (headers: Headers): RateLimitState | undefined => {
  const policies = parseList(headers.get('RateLimit-Policy'));
  const states = parseList(headers.get('RateLimit'));
  const name = policies[0]?.name ?? states[0]?.name;
  if (name === undefined) return undefined;
  const policy = policies.find((item) => item.name === name)?.parameters;
  const state = states.find((item) => item.name === name)?.parameters;
  return {
    policy: name,
    quota: policy?.get('q') ?? null,
    windowSeconds: policy?.get('w') ?? null,
    burst: policy?.get('retrysafe-burst') ?? null,
    remaining: state?.get('r') ?? null,
    resetSeconds: state?.get('t') ?? null,
  };
};
