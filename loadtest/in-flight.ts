export interface InFlightFigures {
  readonly peak: number;
  /** Time-weighted mean from the start until the last script started: the steady phase. */
  readonly steadyMean: number;
  /** Time-weighted mean over the whole run, the drain at the end included. */
  readonly overallMean: number;
}

/** Counts requests in flight and integrates the count over time, so the mean is per unit of time, not per sample. */
export class InFlightGauge {
  private count = 0;
  private peak = 0;
  private area = 0;
  private lastChangeMs = 0;
  private steadyArea = 0;
  private steadyUntilMs = 0;

  constructor(private readonly clock: () => number) {}

  current(): number {
    return this.count;
  }

  increment(): void {
    this.advance();
    this.count += 1;
    this.peak = Math.max(this.peak, this.count);
  }

  decrement(): void {
    this.advance();
    this.count -= 1;
  }

  /** A script just started: the steady phase lasts at least until now. */
  markSteady(): void {
    this.advance();
    this.steadyArea = this.area;
    this.steadyUntilMs = this.lastChangeMs;
  }

  figures(): InFlightFigures {
    this.advance();
    return {
      peak: this.peak,
      steadyMean: this.steadyUntilMs > 0 ? this.steadyArea / this.steadyUntilMs : 0,
      overallMean: this.lastChangeMs > 0 ? this.area / this.lastChangeMs : 0,
    };
  }

  private advance(): void {
    const now = this.clock();
    this.area += this.count * (now - this.lastChangeMs);
    this.lastChangeMs = now;
  }
}
