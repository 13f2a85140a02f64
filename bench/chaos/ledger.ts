// What the replicas processed: each writes the ids it finished to `<ledger dir>/<pid>.log` before
// it acks. Read at the end and compared with what the producer had acknowledged.
import fs from 'node:fs';
import path from 'node:path';

export interface LedgerCount {
  /** Times each id was processed. */
  seen: Map<string, number>;
  lines: number;
}

export function readLedger(dir: string): LedgerCount {
  const seen = new Map<string, number>();
  let lines = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.log')) continue;
    for (const id of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!id) continue;
      lines++;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  return { seen, lines };
}

export interface LedgerTally {
  published: number;
  processed: number;
  lost: string[];
  /** Extra deliveries: processed lines beyond one per distinct id. */
  duplicates: number;
}

export function tally(published: ReadonlySet<string>, ledger: LedgerCount): LedgerTally {
  const lost = [...published].filter((id) => !ledger.seen.has(id));
  return { published: published.size, processed: ledger.seen.size, lost, duplicates: ledger.lines - ledger.seen.size };
}
