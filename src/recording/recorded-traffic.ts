// Reads a service's recording (docs/recording.md) into what `docktor tune` replays: the arrival
// trace and the service model (./traffic-model.ts). A line that is not a row (torn by a crash,
// corrupt, of another version) is skipped and counted, never fatal.
import fs from 'node:fs';
import path from 'node:path';
import { OperationError } from '../errors';
import type { Trace } from '../simulate/trace';
import { parseRow, type Row } from './row';
import { dayFiles, dayStart, defaultRecordingRoot, serviceRecordingDir } from './store';
import { trafficModel } from './traffic-model';

export interface RecordedTrafficOptions {
  /** The recordings' root (`<root>/<project>/<service>/`), or a service's own directory of day files. Default: this machine's (the state directory's `recordings`). */
  dir?: string | null;
  project: string;
  service: string;
  /** Unix seconds: rows before are left out (default: all). */
  since?: number;
  /** Unix seconds: rows after are left out (default: all). */
  now?: number;
}

export interface RecordedTraffic {
  /** One bin per stretch between two checks (`kind: 'counts'`), `epoch` the first check's time. */
  trace: Trace;
  /** Mean seconds a job is in service (Little's law), null when it cannot be estimated. */
  service_time_s: number | null;
  /** Median seconds from a scale-up decision to its replicas being ready, null when none was seen. */
  startup_delay_s: number | null;
  /** Arrivals come from the source's counters (or rates); false: estimated from the backlog. */
  counted: boolean;
  /** Rows read (checks and applies) within the range. */
  rows: number;
  /** Lines that were not rows (torn or corrupt). */
  skipped_lines: number;
  /** Unix seconds of the first and the last check. */
  from: number;
  to: number;
}

/** The directory of a service's day files: `<dir>/<project>/<service>`, or `dir` itself when it holds them. */
export function recordingDirOf(o: Pick<RecordedTrafficOptions, 'dir' | 'project' | 'service'>): string {
  const root = o.dir ?? defaultRecordingRoot();
  const own = serviceRecordingDir(root, o.project, o.service);
  if (!fs.existsSync(own) && dayFiles(root).length > 0) return root;
  return own;
}

/** Every row of a service's recording within [since, now], and the lines skipped. */
export function readRows(dir: string, since = -Infinity, now = Infinity): { rows: Row[]; skipped_lines: number } {
  const rows: Row[] = [];
  let skipped_lines = 0;
  for (const name of dayFiles(dir)) {
    const start = dayStart(name)!;
    if (start + 86400 <= since || start > now) continue;
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch (e) {
      // Pruned by a worker since it was listed.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const row = parseRow(line);
      if (!row) skipped_lines++;
      else if (row.t >= since && row.t <= now) rows.push(row);
    }
  }
  return { rows, skipped_lines };
}

/** The recorded traffic of one service; OperationError when there are fewer than two checks to build it from. */
export function readRecordedTraffic(o: RecordedTrafficOptions): RecordedTraffic {
  const dir = recordingDirOf(o);
  const { rows, skipped_lines } = readRows(dir, o.since, o.now);
  const model = trafficModel(rows);
  if (!model) {
    const range = o.since !== undefined ? ` since ${new Date(o.since * 1000).toISOString()}` : '';
    throw new OperationError(
      `no recording of ${o.project}/${o.service} to read in ${dir}${range}: ${rows.length} row(s)${skipped_lines ? `, ${skipped_lines} unreadable line(s)` : ''}; ` +
        'a worker records each check there while the scaler runs (recording.enabled, recording.dir; docs/recording.md)',
    );
  }
  return { ...model, rows: rows.length, skipped_lines };
}
