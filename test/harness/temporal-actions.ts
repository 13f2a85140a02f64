// The Temporal server's own count of billable actions: its Prometheus counter `action` (labels
// `namespace`, `action_type`: command_StartTimer, command_RecordMarker, command_ScheduleActivityTask,
// grpc_RecordActivityTaskHeartbeat, activity_retry, ...), what Temporal Cloud bills. Read from a
// dev server started with `metricsPort` (src/dev/temporal-server.ts).
//
// The server counts a workflow task's markers twice: each as command_RecordMarker and, once per
// task, command_BatchMarkers ("depending on the pricing model, ignore one of them"). Temporal
// Cloud bills the local activities of one workflow task as one action, so `total` counts the
// batch and leaves command_RecordMarker out; `byType` has both.

export interface ActionCount {
  total: number;
  byType: Record<string, number>;
}

const DOUBLE_COUNTED = new Set(['command_RecordMarker']);

/** The exporter writes label values with every character but letters, digits and "_" as "_". */
const asLabel = (namespace: string) => namespace.replace(/[^A-Za-z0-9_]/g, '_');

export async function scrapeActions(metricsUrl: string, namespace: string): Promise<ActionCount> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`${metricsUrl}: HTTP ${res.status}`);
  const byType: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^action\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (labels.namespace !== asLabel(namespace)) continue;
    const type = labels.action_type ?? 'unknown';
    byType[type] = (byType[type] ?? 0) + Number(m[2]);
  }
  const total = Object.entries(byType).reduce((sum, [type, n]) => sum + (DOUBLE_COUNTED.has(type) ? 0 : n), 0);
  return { total, byType };
}

/** b - a, per type. */
export function actionsBetween(a: ActionCount, b: ActionCount): ActionCount {
  const byType: Record<string, number> = {};
  for (const [type, n] of Object.entries(b.byType)) {
    const d = n - (a.byType[type] ?? 0);
    if (d !== 0) byType[type] = d;
  }
  const total = b.total - a.total;
  return { total, byType };
}
