// `recording:` what each check saw, kept on the worker's machine for `docktor tune` (issue 29,
// docs/recording.md). At the top of docktor.yaml for every service, or per service; the loader
// merges the two field by field (a service's own fields win), so each scaler carries its settings
// in its config. Every field is optional: what is left out takes RECORDING_DEFAULTS on the worker.
import { z } from 'zod';

/** `14d`, `12h`, `90m`, `1d12h`: whole or decimal numbers of days, hours, minutes or seconds. */
const DURATION = /^(\d+(\.\d+)?(d|h|m|s))+$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export const RecordingSchema = z.strictObject({
  /** On unless set to false. */
  enabled: z.boolean().optional(),
  /** Where recordings go; null or left out: `<state directory>/recordings` on the worker's machine. */
  dir: z.string().min(1).nullable().optional(),
  /** Files older than this are deleted. */
  retention: z
    .string()
    .refine((r) => durationSeconds(r) > 0, 'a duration like 14d, 12h')
    .describe('a duration: 14d, 12h, 1d12h (days, hours, minutes, seconds)')
    .optional(),
});
export type RecordingConfig = z.infer<typeof RecordingSchema>;

export const RECORDING_DEFAULTS = { enabled: true, dir: null, retention: '14d' } as const;

/** Seconds of a duration RecordingSchema accepts (NaN for anything else). */
export function durationSeconds(text: string): number {
  if (!DURATION.test(text)) return NaN;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(d|h|m|s)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

/** The top-level block under a service's own: a field the service sets wins. */
export function mergeRecording(top: RecordingConfig | undefined, own: RecordingConfig | undefined): RecordingConfig | undefined {
  if (!top) return own;
  if (!own) return top;
  const defined = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
  return { ...top, ...defined };
}

export interface EffectiveRecording {
  enabled: boolean;
  /** Absolute: the configured dir, else `default_root` (the state directory's `recordings`). */
  dir: string;
  retention: string;
  retention_s: number;
}

/** A service's recording settings with the defaults applied; `default_root` is this machine's. */
export function effectiveRecording(r: RecordingConfig | undefined, default_root: string): EffectiveRecording {
  const retention = r?.retention ?? RECORDING_DEFAULTS.retention;
  return { enabled: r?.enabled ?? RECORDING_DEFAULTS.enabled, dir: r?.dir ?? default_root, retention, retention_s: durationSeconds(retention) };
}
