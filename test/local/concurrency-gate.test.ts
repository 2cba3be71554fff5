import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../lambdas/http/deadline.js';
import { ConcurrencyGate, type Release } from '../../local/concurrency-gate.js';
import { localConcurrency } from '../../local/settings.js';

/** A clock the test moves by hand, and the timers that go off when it passes them. */
const handClock = () => {
  let now = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const schedule: Schedule = (delayMs, fire) => {
    const timer = { at: now + delayMs, fire };
    timers.push(timer);
    return () => {
      timers.splice(timers.indexOf(timer), 1);
    };
  };
  const advanceTo = (ms: number) => {
    now = ms;
    for (const timer of timers.filter((candidate) => candidate.at <= ms)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.fire();
    }
  };
  return { now: () => now, schedule, advanceTo };
};

/** Settles the microtasks the gate resolves its promises in. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('the local concurrency gate', () => {
  it('runs up to its limit at once and queues the next in arrival order', async () => {
    const clock = handClock();
    const gate = new ConcurrencyGate({ limit: 2, assumedDurationMs: 100, ...clock });
    const first = await gate.enter(1_000);
    const second = await gate.enter(1_000);
    const order: string[] = [];
    const third = gate.enter(1_000).then((release) => (order.push('third'), release));
    const fourth = gate.enter(1_000).then((release) => (order.push('fourth'), release));
    await settled();
    expect(order).toEqual([]);

    first?.();
    await settled();
    expect(order).toEqual(['third']);
    second?.();
    expect(await fourth).toBeTypeOf('function');
    expect(await third).toBeTypeOf('function');
    expect(order).toEqual(['third', 'fourth']);
  });

  it('refuses at once a request the queue cannot start by its latest start', async () => {
    const clock = handClock();
    // Two slots, 100 ms an invocation: a slot frees every 50 ms.
    const gate = new ConcurrencyGate({ limit: 2, assumedDurationMs: 100, ...clock });
    await gate.enter(1_000);
    await gate.enter(1_000);
    const queued = [gate.enter(120), gate.enter(120)];
    // Third in line expects a slot at 150 ms, after its latest start.
    expect(await gate.enter(120)).toBeUndefined();
    await settled();
    expect(queued).toHaveLength(2);
  });

  it('refuses a waiting request when its latest start comes, so it never starts late', async () => {
    const clock = handClock();
    const gate = new ConcurrencyGate({ limit: 1, assumedDurationMs: 10, ...clock });
    const running = await gate.enter(1_000);
    const waiting = gate.enter(50);
    clock.advanceTo(50);
    expect(await waiting).toBeUndefined();
    running?.();
    // The slot went to nobody: the refused request is not started after all.
    expect(await gate.enter(1_000)).toBeTypeOf('function');
  });

  it('learns how long invocations take and refuses the waiting requests that can no longer start in time', async () => {
    const clock = handClock();
    const gate = new ConcurrencyGate({ limit: 1, assumedDurationMs: 10, ...clock });
    const running = (await gate.enter(10_000)) as Release;
    const waiting = [gate.enter(2_000), gate.enter(2_000), gate.enter(2_000)];
    // The first invocation took a whole second: the third in line would start at 3 s, past 2 s.
    clock.advanceTo(1_000);
    running();
    const [next, second, third] = waiting;
    expect(await third).toBeUndefined();
    const nextRelease = await next;
    expect(nextRelease).toBeTypeOf('function');
    nextRelease?.();
    expect(await second).toBeTypeOf('function');
  });

  it('reads LOCAL_CONCURRENCY, 100 by default, and refuses a value that is not a positive whole number', () => {
    expect(localConcurrency({})).toBe(100);
    expect(localConcurrency({ LOCAL_CONCURRENCY: '4' })).toBe(4);
    expect(() => localConcurrency({ LOCAL_CONCURRENCY: '0' })).toThrow(/LOCAL_CONCURRENCY=0/);
    expect(() => localConcurrency({ LOCAL_CONCURRENCY: 'many' })).toThrow(/LOCAL_CONCURRENCY=many/);
  });
});
