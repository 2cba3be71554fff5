import { startForwardingProxy, type Interception } from './forwarding-proxy.js';

/**
 * 'lost-response': the request reaches DynamoDB and is applied, then the client gets a 500, so
 * the SDK retries a write that already happened.
 */
export type Fault = 'throttling' | 'transaction-conflict' | 'lost-response';

export interface FaultRule {
  /** The DynamoDB operation, as in the X-Amz-Target header (e.g. "TransactWriteItems"). */
  readonly operation: string;
  readonly fault: Fault;
  /** Fail every n-th first attempt of the operation (SDK retries pass through). */
  readonly every: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly injected: Record<Fault, number>;
  stop(): void;
}

const errorAnswer = (fault: Fault, requestBody: string): Interception => {
  if (fault === 'lost-response') {
    const qualified = 'com.amazonaws.dynamodb.v20120810#InternalServerError';
    return {
      kind: 'forward-then-answer',
      status: 500,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-ErrorType': qualified },
      body: JSON.stringify({ __type: qualified, message: 'Internal server error' }),
    };
  }
  const [type, body] =
    fault === 'throttling'
      ? ['ThrottlingException', { message: 'Rate of requests exceeds the allowed throughput.' }]
      : [
          'TransactionCanceledException',
          {
            message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]',
            CancellationReasons: ((JSON.parse(requestBody) as { TransactItems?: unknown[] }).TransactItems ?? []).map((_, i) =>
              i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' },
            ),
          },
        ];
  const qualified = `com.amazonaws.dynamodb.v20120810#${type}`;
  return {
    kind: 'answer',
    status: 400,
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-ErrorType': qualified },
    body: JSON.stringify({ __type: qualified, ...body }),
  };
};

/**
 * DynamoDB as it behaves under load: throttling (which the SDK's retry strategy must absorb)
 * and transaction conflicts (which the idempotency store retries), answered by a proxy in front
 * of DynamoDB Local.
 */
export const startFaultProxy = async (target: string, rules: readonly FaultRule[]): Promise<FaultProxy> => {
  const seen = new Map<string, number>();
  const injected: Record<Fault, number> = { throttling: 0, 'transaction-conflict': 0, 'lost-response': 0 };
  const proxy = await startForwardingProxy(target, (request, body) => {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const firstAttempt = String(request.headers['amz-sdk-request'] ?? 'attempt=1').includes('attempt=1');
    const rule = rules.find((candidate) => candidate.operation === operation);
    if (rule === undefined || !firstAttempt) return { kind: 'forward' };
    const count = (seen.get(operation) ?? 0) + 1;
    seen.set(operation, count);
    if (count % rule.every !== 0) return { kind: 'forward' };
    injected[rule.fault]++;
    return errorAnswer(rule.fault, body);
  });
  return { ...proxy, injected };
};
