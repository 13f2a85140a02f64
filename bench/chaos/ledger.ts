// What the replicas processed: each writes the ids it finished to `<ledger dir>/<pid>.log` before
// it acks. Read at the end and compared with what the producer had acknowledged.
import fs from 'node:fs';
import path from 'node:path';

export interface LedgerCount {
  /** Times each id was processed. */
  seen: Map<string, number>;
  /** The replica pids that processed an id more than once, for the ids processed more than once. */
  twice: Map<string, number[]>;
  lines: number;
}

export function readLedger(dir: string): LedgerCount {
  const seen = new Map<string, number>();
  const by = new Map<string, number[]>();
  let lines = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.log')) continue;
    const pid = Number(f.slice(0, -4));
    // A line is `<id> <unix ms>` (the time, for reading duplicates against the fault log).
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const id = line.split(' ')[0];
      if (!id) continue;
      lines++;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      by.set(id, [...(by.get(id) ?? []), pid]);
    }
  }
  const twice = new Map([...by].filter(([id]) => (seen.get(id) ?? 0) > 1));
  return { seen, twice, lines };
}

export interface LedgerTally {
  published: number;
  processed: number;
  lost: string[];
  /** Extra deliveries: processed lines beyond one per distinct id. */
  duplicates: number;
  /** Of those, ids one of whose processors was SIGKILLed (its ack could not be sent). */
  duplicatesAfterSigkill: number;
}

export function tally(published: ReadonlySet<string>, ledger: LedgerCount, sigkilled: ReadonlySet<number>): LedgerTally {
  const lost = [...published].filter((id) => !ledger.seen.has(id));
  let afterKill = 0;
  for (const pids of ledger.twice.values()) if (pids.some((p) => sigkilled.has(p))) afterKill += pids.length - 1;
  return { published: published.size, processed: ledger.seen.size, lost, duplicates: ledger.lines - ledger.seen.size, duplicatesAfterSigkill: afterKill };
}
