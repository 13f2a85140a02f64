// An invariant that did not hold, with when (for the fault log around it) and what was seen.
export interface Violation {
  invariant: number;
  at: number;
  what: string;
}

export class Violations {
  readonly list: Violation[] = [];
  constructor(private readonly onViolation: (v: Violation) => void) {}

  add(invariant: number, what: string, at = Date.now()): void {
    const v = { invariant, at, what };
    this.list.push(v);
    this.onViolation(v);
  }
}
