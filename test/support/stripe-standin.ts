import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { stripeSdkConfig } from '../../lambdas/payments/processor-client/stripe-client.js';

/**
 * A local stand-in for the handful of Stripe endpoints the Stripe adapter calls, for the real
 * SDK to talk to on 127.0.0.1: POST and GET /v1/payment_intents, GET /v1/payment_intents/search,
 * POST and GET /v1/refunds. It reads Stripe's form encoding (`metadata[key]=…`) and answers
 * Stripe's shapes: list objects with `has_more`, errors as `{ error: { type, code, decline_code,
 * message, param } }`, and idempotency as Stripe documents it: a replay of a key with the same
 * parameters answers the stored response with `Idempotent-Replayed: true`, the key with other
 * parameters 400 `idempotency_error`.
 *
 * Test payment methods mirror Stripe's (docs.stripe.com/testing), as `pm_card_<name>` or the
 * card token `tok_<name>`: visa succeeds; chargeDeclined, chargeDeclinedInsufficientFunds are
 * declined; authenticationRequired needs 3-D Secure. Anything else is no such PaymentMethod.
 */

type Params = { [key: string]: string | Params };

interface StoredError {
  readonly type: string;
  readonly code?: string;
  readonly decline_code?: string;
  readonly param?: string;
  readonly message: string;
  readonly payment_intent?: unknown;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Intent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  created: number;
  description: string | null;
  metadata: Record<string, string>;
  payment_method: string;
  latest_charge: string | null;
  last_payment_error: { code: string; decline_code?: string; message: string } | null;
  cancellation_reason: null;
  livemode: false;
  amountRefunded: number;
  seq: number;
}

interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  status: 'succeeded';
  created: number;
  metadata: Record<string, string>;
  payment_intent: string;
  seq: number;
}

/** What a test can make the next matching request suffer. */
export type Fault =
  /** Answer this status with a Stripe error body and these headers, doing nothing. */
  | { readonly kind: 'answer'; readonly status: number; readonly type: string; readonly headers?: Record<string, string> }
  /** Do the work, then hold the answer this long: the lost response when the client's timeout is shorter. */
  | { readonly kind: 'hold'; readonly ms: number };

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly params: Params;
  readonly rawBody: string;
}

export interface StripeStandIn {
  readonly port: number;
  /** A real SDK client for it, with the adapter's settings and this timeout. */
  readonly client: (timeoutMs?: number) => Stripe;
  readonly received: ReceivedRequest[];
  /** The next request to `method path` suffers `fault`. */
  readonly failNext: (method: string, path: string, fault: Fault) => void;
  /** While true, Search finds nothing, as when its index lags behind. */
  searchLags: boolean;
  readonly intents: () => readonly Intent[];
  readonly refunds: () => readonly Refund[];
  readonly stop: () => Promise<void>;
}

const id = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** `a[b][c]=v` pairs into nested objects, as Stripe reads them. */
const parseForm = (text: string): Params => {
  const result: Params = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const path = name.split(/\[|\]\[|\]/).filter((part) => part !== '');
    let target = result;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      target = typeof next === 'object' ? next : (target[part] = {});
    }
    const last = path.at(-1);
    if (last !== undefined) target[last] = value;
  }
  return result;
};

const str = (params: Params, key: string): string | undefined => {
  const value = params[key];
  return typeof value === 'string' ? value : undefined;
};

const obj = (params: Params, key: string): Params => {
  const value = params[key];
  return typeof value === 'object' ? value : {};
};

const values = (params: Params): string[] => Object.values(params).filter((value): value is string => typeof value === 'string');

const error = (status: number, body: StoredError, headers?: Record<string, string>): Answer => ({ status, body: { error: body }, headers });

const invalid = (message: string, param?: string, code = 'parameter_invalid_integer'): Answer =>
  error(400, { type: 'invalid_request_error', code, message, ...(param === undefined ? {} : { param }) });

/** Test payment methods by name, after `pm_card_` or `tok_`. */
const testCards: Record<
  string,
  { readonly outcome: 'succeeds' } | { readonly outcome: 'declined'; readonly declineCode: string } | { readonly outcome: '3ds' }
> = {
  visa: { outcome: 'succeeds' },
  mastercard: { outcome: 'succeeds' },
  chargeDeclined: { outcome: 'declined', declineCode: 'generic_decline' },
  chargeDeclinedInsufficientFunds: { outcome: 'declined', declineCode: 'insufficient_funds' },
  authenticationRequired: { outcome: '3ds' },
};

const cardName = (token: string): string | undefined => /^(?:pm_card_|tok_)(.+)$/.exec(token)?.[1];

const createdFilter = (params: Params) => {
  const range = obj(params, 'created');
  const bound = (key: string) => (str(range, key) === undefined ? undefined : Number(str(range, key)));
  const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')];
  return (created: number) =>
    (gte === undefined || created >= gte) &&
    (gt === undefined || created > gt) &&
    (lte === undefined || created <= lte) &&
    (lt === undefined || created < lt);
};

/** Stripe's list paging over objects newest first; a cursor marks a place in the whole list, filtered or not. */
const listOf = <T extends { id: string; created: number; seq: number }>(
  all: readonly T[],
  params: Params,
  url: string,
  render: (o: T) => unknown,
) => {
  const ordered = [...all].sort((a, b) => b.created - a.created || b.seq - a.seq);
  const included = createdFilter(params);
  const limit = Number(str(params, 'limit') ?? '10');
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  let data: T[];
  let hasMore: boolean;
  if (before !== undefined) {
    const newer = ordered
      .slice(
        0,
        Math.max(
          0,
          ordered.findIndex((o) => o.id === before),
        ),
      )
      .filter((o) => included(o.created));
    data = newer.slice(Math.max(0, newer.length - limit));
    hasMore = newer.length > limit;
  } else {
    const older = ordered.slice(after === undefined ? 0 : ordered.findIndex((o) => o.id === after) + 1).filter((o) => included(o.created));
    data = older.slice(0, limit);
    hasMore = older.length > limit;
  }
  return { object: 'list', url, has_more: hasMore, data: data.map(render) };
};

export const startStripeStandIn = async (options: { readonly now?: () => number } = {}): Promise<StripeStandIn> => {
  const now = options.now ?? Date.now;
  const seconds = () => Math.floor(now() / 1000);
  const intents: Intent[] = [];
  const refunds: Refund[] = [];
  const keys = new Map<string, { readonly fingerprint: string; readonly answer: Answer }>();
  const faults = new Map<string, Fault>();
  const received: ReceivedRequest[] = [];
  let seq = 0;

  const renderIntent = (intent: Intent, expandCharge: boolean) => {
    const { amountRefunded, seq: _seq, ...wire } = intent;
    return {
      ...wire,
      latest_charge:
        expandCharge && intent.latest_charge !== null
          ? { id: intent.latest_charge, object: 'charge', amount: intent.amount, amount_refunded: amountRefunded }
          : intent.latest_charge,
    };
  };
  const renderRefund = ({ seq: _seq, ...wire }: Refund) => wire;
  const expands = (params: Params, path: string) => values(obj(params, 'expand')).includes(path);

  const createIntent = (params: Params): Answer => {
    const amount = Number(str(params, 'amount'));
    const currency = str(params, 'currency');
    if (!Number.isSafeInteger(amount) || amount < 1) return invalid('Invalid positive integer', 'amount');
    if (currency === undefined) return invalid('Missing required param: currency.', 'currency', 'parameter_missing');
    if (str(params, 'confirm') !== 'true') return invalid('This stand-in only creates confirmed PaymentIntents.', 'confirm');
    const token = str(params, 'payment_method') ?? str(obj(obj(params, 'payment_method_data'), 'card'), 'token');
    const param = str(params, 'payment_method') === undefined ? 'payment_method_data[card][token]' : 'payment_method';
    const card = token === undefined ? undefined : testCards[cardName(token) ?? ''];
    if (card === undefined) return invalid(`No such PaymentMethod: '${token ?? ''}'`, param, 'resource_missing');
    const intent: Intent = {
      id: id('pi'),
      object: 'payment_intent',
      amount,
      currency,
      status: 'succeeded',
      created: seconds(),
      description: str(params, 'description') ?? null,
      metadata: Object.fromEntries(
        Object.entries(obj(params, 'metadata')).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      ),
      payment_method: id('pm'),
      latest_charge: id('ch'),
      last_payment_error: null,
      cancellation_reason: null,
      livemode: false,
      amountRefunded: 0,
      seq: seq++,
    };
    intents.push(intent);
    if (card.outcome === 'succeeds') return { status: 200, body: renderIntent(intent, false) };
    if (card.outcome === '3ds' && str(params, 'error_on_requires_action') !== 'true') {
      intent.status = 'requires_action';
      intent.latest_charge = null;
      return { status: 200, body: renderIntent(intent, false) };
    }
    const declineCode = card.outcome === 'declined' ? card.declineCode : 'authentication_required';
    const code = card.outcome === 'declined' ? 'card_declined' : 'authentication_required';
    const message =
      card.outcome === 'declined' ? 'Your card was declined.' : 'Your card was declined. This transaction requires authentication.';
    intent.status = 'requires_payment_method';
    intent.last_payment_error = { code, decline_code: declineCode, message };
    return error(402, { type: 'card_error', code, decline_code: declineCode, message, payment_intent: renderIntent(intent, false) });
  };

  const createRefund = (params: Params): Answer => {
    const intent = intents.find((candidate) => candidate.id === str(params, 'payment_intent'));
    if (intent === undefined) {
      return invalid(`No such payment_intent: '${str(params, 'payment_intent') ?? ''}'`, 'payment_intent', 'resource_missing');
    }
    if (intent.status !== 'succeeded') {
      return invalid(
        'This PaymentIntent does not have a successful charge to refund.',
        'payment_intent',
        'payment_intent_unexpected_state',
      );
    }
    const left = intent.amount - intent.amountRefunded;
    const amount = str(params, 'amount') === undefined ? left : Number(str(params, 'amount'));
    if (left === 0) return invalid(`Charge ${intent.latest_charge ?? ''} has already been refunded.`, undefined, 'charge_already_refunded');
    if (amount > left)
      return invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, 'amount', 'amount_too_large');
    intent.amountRefunded += amount;
    const refund: Refund = {
      id: id('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      status: 'succeeded',
      created: seconds(),
      metadata: Object.fromEntries(
        Object.entries(obj(params, 'metadata')).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      ),
      payment_intent: intent.id,
      seq: seq++,
    };
    refunds.push(refund);
    return { status: 200, body: renderRefund(refund) };
  };

  const search = (params: Params): Answer => {
    const match = /^metadata\['((?:[^'\\]|\\.)+)'\]:'((?:[^'\\]|\\.)*)'$/.exec(str(params, 'query') ?? '');
    if (match === null) return invalid('This stand-in searches one metadata key.', 'query', 'parameter_invalid');
    const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
    const [key, value] = [unescape(match[1] ?? ''), unescape(match[2] ?? '')];
    const data = searchLags ? [] : intents.filter((intent) => intent.metadata[key] === value);
    return {
      status: 200,
      body: {
        object: 'search_result',
        url: '/v1/payment_intents/search',
        has_more: false,
        next_page: null,
        data: data.map((intent) => renderIntent(intent, expands(params, 'data.latest_charge'))),
      },
    };
  };

  /** POSTs go through Stripe's idempotency: same key and parameters replay, other parameters are refused. */
  const idempotent = (key: string | undefined, route: string, params: Params, work: () => Answer): Answer => {
    if (key === undefined) return work();
    const fingerprint = createHash('sha256')
      .update(`${route}\n${JSON.stringify(params)}`)
      .digest('hex');
    const stored = keys.get(key);
    if (stored === undefined) {
      const answer = work();
      keys.set(key, { fingerprint, answer });
      return answer;
    }
    if (stored.fingerprint !== fingerprint) {
      return error(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    return { ...stored.answer, headers: { ...stored.answer.headers, 'idempotent-replayed': 'true' } };
  };

  const route = (method: string, path: string, params: Params, key: string | undefined): Answer => {
    switch (`${method} ${path}`) {
      case 'POST /v1/payment_intents':
        return idempotent(key, path, params, () => createIntent(params));
      case 'POST /v1/refunds':
        return idempotent(key, path, params, () => createRefund(params));
      case 'GET /v1/payment_intents':
        return {
          status: 200,
          body: listOf(intents, params, path, (intent) => renderIntent(intent, expands(params, 'data.latest_charge'))),
        };
      case 'GET /v1/payment_intents/search':
        return search(params);
      case 'GET /v1/refunds':
        return { status: 200, body: listOf(refunds, params, path, renderRefund) };
      default:
        return error(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const params = parseForm(method === 'GET' ? url.search.slice(1) : rawBody);
    const keyHeader = request.headers['idempotency-key'];
    const key = typeof keyHeader === 'string' ? keyHeader : undefined;
    received.push({ method, path: url.pathname, idempotencyKey: key, params, rawBody });
    const send = ({ status, body, headers }: Answer) => {
      if (response.destroyed) return;
      response.writeHead(status, {
        'content-type': 'application/json',
        'request-id': id('req'),
        ...(key === undefined ? {} : { 'idempotency-key': key }),
        ...headers,
      });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization?.startsWith('Bearer sk_test_') !== true) {
      send(error(401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' }));
      return;
    }
    const faultKey = `${method} ${url.pathname}`;
    const fault = faults.get(faultKey);
    faults.delete(faultKey);
    if (fault?.kind === 'answer') {
      send(error(fault.status, { type: fault.type, message: `Stand-in fault: HTTP ${fault.status}` }, fault.headers));
      return;
    }
    const answer = route(method, url.pathname, params, key);
    if (fault?.kind === 'hold') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    send(answer);
  };

  let searchLags = false;
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((failure: unknown) => {
      response.destroy(failure instanceof Error ? failure : new Error(String(failure)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const standIn: StripeStandIn = {
    port,
    client: (timeoutMs = 2_000) =>
      new Stripe('sk_test_standin', { ...stripeSdkConfig(timeoutMs), host: '127.0.0.1', port, protocol: 'http' }),
    received,
    failNext: (method, path, fault) => {
      faults.set(`${method} ${path}`, fault);
    },
    get searchLags() {
      return searchLags;
    },
    set searchLags(value: boolean) {
      searchLags = value;
    },
    intents: () => intents,
    refunds: () => refunds,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  return standIn;
};
