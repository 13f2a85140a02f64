// A discovery's durable state and the pure functions over it, and what its listing activity is
// asked and answers (docs/discovery.md). Deterministic: shared by the workflow, the CLI and the
// activity; the Temporal surface is in src/workflows/discovery-definitions.ts.
import type { ServiceConfig } from '../config/service';
import type { DiscoverConfig } from '../config/discovered-service';

/** What `services:` already covers: discovery leaves these names and queues (queueKey) alone. */
export interface Reserved {
  names: string[];
  queues: string[];
}

export interface DiscoveryInput {
  project: string;
  compose_file?: string;
  /** Secrets masked, as every scaler's config (src/sources/secrets.ts). */
  entry: DiscoverConfig;
  reserved: Reserved;
  /** Whether the namespace has the Docktor* search attributes (scalers set them). */
  search_attributes: boolean;
  carried?: DiscoveryState;
}

export interface DiscoveredScaler {
  queue: string;
  service: string;
  workflow_id: string;
  /** Unix seconds: when this discovery started (or found running) the scaler. */
  since: number;
  /** Unix seconds: first listing the queue was missing from; null while it is listed. */
  missing_since: number | null;
}

export interface SkippedQueue {
  queue: string;
  reason: string;
}

export interface DiscoveryState {
  scalers: DiscoveredScaler[];
  /** Matching queues this discovery runs no scaler for, and why (last listing). */
  skipped: SkippedQueue[];
  /** Queues of the last successful listing that matched. */
  matched: number;
  listings: number;
  last_listed_at: number | null;
  next_listing_at: number | null;
  /** Why the last listing, or a scaler's start or stop, failed; null after a clean listing. */
  last_error: string | null;
}

export interface DiscoveryStatus extends DiscoveryState {
  /** The entry and reservations it runs under (secrets masked), for `docktor up` to compare. */
  entry: DiscoverConfig;
  reserved: Reserved;
  project: string;
  key: string;
  workflow_id: string;
  kind: string;
  match: string;
  interval: number;
  grace_period: number;
}

export interface SetDiscoveryArgs {
  entry: DiscoverConfig;
  reserved: Reserved;
}

export function initialDiscoveryState(): DiscoveryState {
  return { scalers: [], skipped: [], matched: 0, listings: 0, last_listed_at: null, next_listing_at: null, last_error: null };
}

/** What the listing activity is asked. */
export interface ListInput {
  project: string;
  entry: DiscoverConfig;
  reserved: Reserved;
  /** Queues that already have a scaler: no service is generated for them. */
  known: string[];
}

export interface ListResult {
  /** Matching queues this discovery scales (reserved ones left out). */
  queues: string[];
  skipped: SkippedQueue[];
  /** The services of matching queues not in `known`, validated, secrets masked. */
  added: Array<{ queue: string; service: ServiceConfig }>;
  /** Known queues whose service name `services:` now has: the scaler is that service's; forget it. */
  released: string[];
  /** Known queues that a `services:` entry of another name now scales: stop their scaler now. */
  retired: string[];
}

/**
 * Pure: the scalers after a listing that found `listed`: a listed queue is present again, a
 * missing one is marked from `now`, and those missing for at least `grace` seconds are due to stop.
 */
export function reconcile(scalers: DiscoveredScaler[], listed: ReadonlySet<string>, now: number, grace: number): { keep: DiscoveredScaler[]; stop: DiscoveredScaler[] } {
  const keep: DiscoveredScaler[] = [];
  const stop: DiscoveredScaler[] = [];
  for (const s of scalers) {
    const missing_since = listed.has(s.queue) ? null : (s.missing_since ?? now);
    const next = { ...s, missing_since };
    if (missing_since !== null && now - missing_since >= grace) stop.push(next);
    else keep.push(next);
  }
  return { keep, stop };
}
