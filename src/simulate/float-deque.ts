// A growable ring buffer of numbers: the FIFO queue of waiting messages (their arrival times) and
// the replicas still starting (their ready times). No allocation per element.

export class FloatDeque {
  private buf: Float64Array;
  private mask: number;
  private head = 0;
  length = 0;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.buf = new Float64Array(c);
    this.mask = c - 1;
  }

  pushBack(v: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[(this.head + this.length) & this.mask] = v;
    this.length++;
  }

  /** The oldest element; only when length > 0. */
  front(): number {
    return this.buf[this.head]!;
  }

  popFront(): number {
    const v = this.buf[this.head]!;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return v;
  }

  popBack(): number {
    this.length--;
    return this.buf[(this.head + this.length) & this.mask]!;
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) & this.mask]!;
    this.buf = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
