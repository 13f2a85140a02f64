// Arrival times from a trace, one at a time (no array of one number per message): each bin's
// arrivals spread evenly inside it, the k-th of n at start + k × width / n. `scale` multiplies the
// counts; fractions carry over from bin to bin (bin b gets floor(S_b) - floor(S_{b-1}) arrivals,
// S_b the scaled running total) so the total is floor(total × scale) and the run is deterministic.
// `start`/`end` cut the trace (trace seconds, end exclusive); times come out relative to `start`.
import type { Trace } from './trace';

/** Float noise allowance when flooring a scaled running total. */
const EPSILON = 1e-9;

export interface TraceCut {
  scale: number;
  /** Trace seconds where the run begins. */
  start: number;
  /** Trace seconds where arrivals stop (exclusive); Infinity for the whole trace. */
  end: number;
}

export class ArrivalStream {
  private bin = -1;
  private inBin = 0;
  private k = 0;
  private binStart = 0;
  private step = 0;
  private scaledTotal = 0;
  private emittedTotal = 0;
  private done = false;

  constructor(
    private readonly trace: Trace,
    private readonly cut: TraceCut,
  ) {}

  /** The next arrival, seconds after `start`; Infinity once the trace (or the cut) ends. */
  next(): number {
    for (;;) {
      if (this.k < this.inBin) {
        const t = this.binStart + this.k * this.step;
        this.k++;
        if (t < this.cut.start) continue;
        if (t >= this.cut.end) {
          this.done = true;
          return Infinity;
        }
        return t - this.cut.start;
      }
      if (this.done || !this.nextBin()) {
        this.done = true;
        return Infinity;
      }
    }
  }

  private nextBin(): boolean {
    const { times, counts, widths } = this.trace;
    for (;;) {
      this.bin++;
      if (this.bin >= times.length) return false;
      const b = this.bin;
      this.scaledTotal += counts[b]! * this.cut.scale;
      const upTo = Math.floor(this.scaledTotal + EPSILON);
      const n = upTo - this.emittedTotal;
      this.emittedTotal = upTo;
      const start = times[b]!;
      const width = widths[b]!;
      if (start >= this.cut.end) return false;
      // Whole bins before the cut: skip without walking their arrivals.
      if (n <= 0 || (width > 0 ? start + width <= this.cut.start : start < this.cut.start)) continue;
      this.binStart = start;
      this.inBin = n;
      this.step = width / n;
      this.k = 0;
      return true;
    }
  }
}
