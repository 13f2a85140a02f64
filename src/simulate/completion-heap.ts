// The messages in service: a binary min-heap on completion time, with each message's arrival time
// alongside (for the oldest unacknowledged message). One entry per busy replica, no allocation
// per message.

export class CompletionHeap {
  private done: Float64Array;
  private arrived: Float64Array;
  size = 0;

  constructor(capacity = 64) {
    this.done = new Float64Array(capacity);
    this.arrived = new Float64Array(capacity);
  }

  /** Earliest completion time; only when size > 0. */
  topDone(): number {
    return this.done[0]!;
  }

  push(done: number, arrived: number): void {
    if (this.size === this.done.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.done[parent]! <= done) break;
      this.done[i] = this.done[parent]!;
      this.arrived[i] = this.arrived[parent]!;
      i = parent;
    }
    this.done[i] = done;
    this.arrived[i] = arrived;
  }

  /** Removes the earliest completion. */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const done = this.done[n]!;
    const arrived = this.arrived[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.done[r]! < this.done[l]! ? r : l;
      if (this.done[c]! >= done) break;
      this.done[i] = this.done[c]!;
      this.arrived[i] = this.arrived[c]!;
      i = c;
    }
    this.done[i] = done;
    this.arrived[i] = arrived;
  }

  /** Service seconds still to run after `t`, over every message in service. */
  remainingAfter(t: number): number {
    let sum = 0;
    for (let i = 0; i < this.size; i++) if (this.done[i]! > t) sum += this.done[i]! - t;
    return sum;
  }

  /** Earliest arrival among the messages in service; Infinity when none. */
  oldestArrival(): number {
    let min = Infinity;
    for (let i = 0; i < this.size; i++) if (this.arrived[i]! < min) min = this.arrived[i]!;
    return min;
  }

  private grow(): void {
    const done = new Float64Array(this.done.length * 2);
    const arrived = new Float64Array(this.done.length * 2);
    done.set(this.done);
    arrived.set(this.arrived);
    this.done = done;
    this.arrived = arrived;
  }
}
