// Pickup times (seconds) in a fixed-size log-linear histogram, so a day of traffic needs no array
// of one number per message. Buckets are microseconds: exact below 2,048 µs, above that 1,024
// buckets per power of two (each at most 1/1,024 ≈ 0.1% wide). A percentile is the nearest rank
// (the k-th smallest pickup, k = ceil(p × n)); the histogram reports the largest pickup seen in
// that pickup's bucket, so it is never below the exact value and at most 0.1% above it (1 µs
// below 2 ms), and exact when the bucket holds one distinct value (deterministic runs).

const SUB_BITS = 11;
const SUB = 1 << SUB_BITS; // 2048
const HALF = SUB >> 1; // 1024
/** Enough powers of two for 2^53 µs (285 years). */
const MAX_SHIFT = 53 - SUB_BITS + 1;
const BUCKETS = SUB + MAX_SHIFT * HALF;

export class PickupHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  /** Largest value (seconds) recorded in each bucket. */
  private readonly largest = new Float64Array(BUCKETS);
  count = 0;
  max = 0;

  record(seconds: number): void {
    const i = bucketOf(seconds);
    this.counts[i]! += 1;
    if (seconds > this.largest[i]!) this.largest[i] = seconds;
    if (seconds > this.max) this.max = seconds;
    this.count += 1;
  }

  /** Nearest-rank percentile (p in 0..100) in seconds; null when nothing was recorded. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count - 1e-9));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return this.largest[i]!;
    }
    return this.max;
  }
}

function bucketOf(seconds: number): number {
  const us = seconds > 0 ? Math.round(seconds * 1e6) : 0;
  if (us < SUB) return us;
  let shift = Math.floor(Math.log2(us)) - SUB_BITS + 1;
  // log2 of a float can round across a power of two: correct so that us >> shift is in [HALF, SUB).
  while (Math.floor(us / 2 ** shift) >= SUB) shift++;
  while (shift > 1 && Math.floor(us / 2 ** shift) < HALF) shift--;
  if (shift > MAX_SHIFT) return BUCKETS - 1;
  return SUB + (shift - 1) * HALF + (Math.floor(us / 2 ** shift) - HALF);
}
