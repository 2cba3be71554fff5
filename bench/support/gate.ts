/**
 * Holds handlers inside their execution until released, so a second request with the same key
 * meets a claim that is certainly in progress: the collision is deterministic, not a race.
 */
export class Gate {
  private arrivals = 0;
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  /** Called by a handler: records its arrival and waits for the gate to open. */
  hold(): Promise<void> {
    this.arrivals++;
    for (const waiter of this.waiters) if (waiter.count <= this.arrivals) waiter.resolve();
    return this.opened;
  }

  /** Resolves once `count` handlers are held. */
  reached(count: number): Promise<void> {
    if (this.arrivals >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  open(): void {
    this.release();
  }
}
