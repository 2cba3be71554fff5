import { realTimers, type Schedule } from '../lambdas/http/deadline.js';

/** Ends an invocation, freeing its slot for the request at the head of the queue. */
export type Release = () => void;

interface Waiter {
  readonly latestStart: number;
  readonly admit: (release: Release | undefined) => void;
  cancelTimer: () => void;
  waiting: boolean;
}

export interface ConcurrencyGateOptions {
  /** Invocations that may run at once: Lambda's concurrency. */
  readonly limit: number;
  /** What an invocation is assumed to take until one has ended. */
  readonly assumedDurationMs: number;
  readonly now?: () => number;
  readonly schedule?: Schedule;
}

/** Weight of the newest invocation in the running estimate of how long one takes. */
const smoothing = 0.1;

/**
 * Lambda's concurrency for the local API Gateway. At most `limit` invocations run at once; a
 * request beyond them waits in arrival order, but only while it can still start by its latest
 * start: a request the queue cannot serve in time is refused at once (on arrival, or as soon as
 * the estimate says so), and one still waiting at its latest start is refused then. It never
 * starts late, so no request runs into its function's timeout, nor API Gateway's, while queued.
 *
 * Slots free at `limit` per invocation duration, estimated from the invocations that ended.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private waiting = 0;
  private durationMs: number;
  private measured = false;
  private readonly now: () => number;
  private readonly schedule: Schedule;

  constructor(private readonly options: ConcurrencyGateOptions) {
    this.durationMs = options.assumedDurationMs;
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? realTimers;
  }

  /** A slot, now or once one frees before `latestStart`; undefined when none can: the request is throttled. */
  enter(latestStart: number): Promise<Release | undefined> {
    if (this.running < this.options.limit) return Promise.resolve(this.start());
    if (this.expectedStart(this.waiting) > latestStart) return Promise.resolve(undefined);
    return new Promise((admit) => {
      const waiter: Waiter = { latestStart, admit, cancelTimer: () => undefined, waiting: true };
      waiter.cancelTimer = this.schedule(latestStart - this.now(), () => {
        this.refuse(waiter);
      });
      this.queue.push(waiter);
      this.waiting += 1;
    });
  }

  private start(): Release {
    this.running += 1;
    const startedAt = this.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      this.observe(this.now() - startedAt);
      this.admitNext();
      this.refuseHopeless();
    };
  }

  private observe(durationMs: number): void {
    this.durationMs = this.measured ? this.durationMs + smoothing * (durationMs - this.durationMs) : durationMs;
    this.measured = true;
  }

  /** When the request behind `ahead` waiting ones can expect a slot. */
  private expectedStart(ahead: number): number {
    return this.now() + ((ahead + 1) * this.durationMs) / this.options.limit;
  }

  private admitNext(): void {
    while (this.running < this.options.limit && this.head < this.queue.length) {
      const waiter = this.queue[this.head];
      this.head += 1;
      if (waiter?.waiting !== true) continue;
      this.leave(waiter);
      waiter.admit(this.start());
    }
    this.compact();
  }

  /** Refuses, from the tail, the waiting requests the estimate says cannot start in time. */
  private refuseHopeless(): void {
    let ahead = this.waiting - 1;
    for (let index = this.queue.length - 1; index >= this.head && ahead >= 0; index--) {
      const waiter = this.queue[index];
      if (waiter?.waiting !== true) continue;
      if (this.expectedStart(ahead) <= waiter.latestStart) return;
      this.refuse(waiter);
      ahead -= 1;
    }
  }

  private refuse(waiter: Waiter): void {
    if (!waiter.waiting) return;
    this.leave(waiter);
    waiter.admit(undefined);
  }

  private leave(waiter: Waiter): void {
    waiter.waiting = false;
    waiter.cancelTimer();
    this.waiting -= 1;
  }

  /** Drops the queue's served head now and then, so a long run does not keep every waiter it ever had. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
