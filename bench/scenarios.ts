// The policy-quality benchmark's scenarios: the real traces of ../shared/traces, the service time
// and startup delay each is replayed with, and the four policies. One rule for every trace, and
// the same settings for every policy on a trace; nothing is tuned to one trace.
import { ServiceSchema, type ServiceConfig, type ServiceInput } from '../src/config/service';
import type { SpikyOptions } from '../src/simulate/spiky';
import type { TraceFormat } from '../src/simulate/trace';

export interface TraceSpec {
  /** Short name used in tables and file names. */
  name: string;
  file: string;
  format: TraceFormat;
  what: string;
  /** Seconds before a new replica serves. */
  startupDelay: number;
}

/** Relative to the repository root (the shared traces sit next to it; never copied in). */
export const TRACE_DIR = '../shared/traces';

export const TRACES: TraceSpec[] = [
  { name: 'bursty', file: 'autothrottle_bursty_1h_rps.txt', format: 'auto', what: 'autothrottle bursty, 1 h, requests/s', startupDelay: 10 },
  { name: 'diurnal', file: 'autothrottle_diurnal_1h_rps.txt', format: 'auto', what: 'autothrottle diurnal, 1 h, requests/s', startupDelay: 10 },
  { name: 'noisy', file: 'autothrottle_noisy_1h_rps.txt', format: 'auto', what: 'autothrottle noisy, 1 h, requests/s', startupDelay: 10 },
  { name: 'azure-llm', file: 'azure_llm_2023_conv.csv', format: 'requests', what: 'Azure LLM inference (conversation), 58 min, one row per request', startupDelay: 30 },
];

/**
 * Generated on/off traffic (src/simulate/spiky.ts), one hour each, seeded: bursts of 5–20× the
 * mean for 30–120 s, gaps of 1–10 min at 1% of the mean; two of them with 30 one-second spikes of
 * 20–60× the mean per hour. Only the seed differs between two traces of a kind.
 */
export interface SpikySpec {
  name: string;
  what: string;
  options: SpikyOptions;
}
export const SPIKY_TRACES: SpikySpec[] = [
  { name: 'spiky-1', what: 'generated on/off bursts, seed 1', options: { seed: 1, span: 3600, meanRate: 5 } },
  { name: 'spiky-2', what: 'generated on/off bursts, seed 2', options: { seed: 2, span: 3600, meanRate: 5 } },
  { name: 'spiky-spikes-3', what: 'generated on/off bursts + 30 one-second spikes/h, seed 3', options: { seed: 3, span: 3600, meanRate: 5, spikesPerHour: 30 } },
  { name: 'spiky-spikes-4', what: 'generated on/off bursts + 30 one-second spikes/h, seed 4', options: { seed: 4, span: 3600, meanRate: 5, spikesPerHour: 30 } },
];

/**
 * The issue-16 scenario, applied to every trace (real and generated) alike: arrivals rescaled so
 * the busiest minute averages 40 messages/s, 1 s per message, SLA 30 s, startup 10 s, a check
 * every 10 s, min 1, max 100 replicas, every other field default.
 */
export const BUSIEST_MINUTE_RATE = 40;
export const ISSUE_SCENARIO = { serviceTime: 1, startupDelay: 10, limits: { max_replicas: 100, check_interval: 10 } };

export const SLA_SECONDS = 30;
/** The service time makes the trace's MEAN load this many busy replicas. */
export const MEAN_BUSY_REPLICAS = 8;
/** max_replicas as a multiple of the mean load: room for every trace's peaks. */
export const MAX_REPLICAS_FACTOR = 5;
export const CHECK_INTERVAL = 5;
export const METRICS_WINDOW = 30;
/** Wait (s) the backlog thresholds of rules and target tracking aim at: a third of the SLA. */
export const TARGET_WAIT_SECONDS = 10;
export const CPU_TARGET_PCT = 70;

/** Two significant digits, so the chosen service time reads as a number a person picked. */
export function twoDigits(x: number): number {
  return Number(x.toPrecision(2));
}

/** Seconds per message such that the trace's mean arrival rate keeps MEAN_BUSY_REPLICAS busy. */
export function serviceTimeFor(totalMessages: number, spanSeconds: number): number {
  return twoDigits(MEAN_BUSY_REPLICAS / (totalMessages / spanSeconds));
}

export type PolicyName = 'rules' | 'target-backlog' | 'target-cpu' | 'predictive' | 'target-backlog-hpa' | 'target-cpu-hpa' | 'predictive-known-s' | 'predictive-threshold-0.9' | 'predictive-known-s-no-rates';
/** The four policies of the issue, with docktor's defaults (cooldown down 60 s, predictive's 0 s; no behavior). */
export const POLICIES: PolicyName[] = ['rules', 'target-backlog', 'target-cpu', 'predictive'];
/** Target tracking again, with the Kubernetes HPA's default behavior, as the HPA would run it. */
export const HPA_POLICIES: PolicyName[] = ['target-backlog-hpa', 'target-cpu-hpa'];
/**
 * Predictive told the service time (sla.service_time_seconds = S): what it spends once the
 * estimate has converged, without the cold start's (every trace starts with nothing known).
 */
export const KNOWN_S_POLICY: PolicyName = 'predictive-known-s';
/**
 * Predictive with sla.breach_threshold 0.9 instead of the default 0.8: what the default's margin
 * costs. Not a scenario rule either (the goal is measured on the defaults); an operator's choice.
 */
export const THRESHOLD_POLICY: PolicyName = 'predictive-threshold-0.9';
/**
 * predictive-known-s on a source without counters (issue 28): the same service, simulated with
 * `--no-rates` (queue.backlog and queue.ack_pending only, as Laravel's queue and plain Redis lists
 * report them). Such a source needs sla.service_time_seconds, hence known-s; compared with it.
 */
export const COUNTERLESS_POLICY: PolicyName = 'predictive-known-s-no-rates';
/** Issue 28: without counters, at most this many times the worker-seconds of the same policy with them. */
export const COUNTERLESS_COST_LIMIT = 1.25;
export const THRESHOLD_VARIANT = 0.9;
export const TARGET_POLICIES: PolicyName[] = ['target-backlog', 'target-cpu', 'target-backlog-hpa', 'target-cpu-hpa'];

/**
 * The HPA's defaults (autoscaling/v2): up without stabilization, by max(4 pods, 100%) per 15 s;
 * down to the highest recommendation of the last 300 s, by up to 100% per 15 s; no cooldown.
 */
export const HPA_DEFAULT_BEHAVIOR = {
  scale_up: { stabilization_window_seconds: 0, select_policy: 'max', policies: [{ type: 'pods', value: 4, period_seconds: 15 }, { type: 'percent', value: 100, period_seconds: 15 }] },
  scale_down: { stabilization_window_seconds: 300, select_policy: 'max', policies: [{ type: 'percent', value: 100, period_seconds: 15 }] },
} as const;

export const POLICY_TEXT: Record<PolicyName, string> = {
  rules: `strategy rules: +2 when queue.backlog > ${TARGET_WAIT_SECONDS} s of one replica's work (${TARGET_WAIT_SECONDS}/S messages), -1 when it is <= 1 s of it (1/S)`,
  'target-backlog': `strategy target, type average: queue.lag (KEDA's lag: backlog + in service) per replica = ${TARGET_WAIT_SECONDS}/S messages, i.e. about ${TARGET_WAIT_SECONDS} s of waiting; tolerance 0.1`,
  'target-cpu': `strategy target, type utilization: cpu.avg_pct = ${CPU_TARGET_PCT}; tolerance 0.1`,
  predictive: `strategy predictive: sla.max_pickup_seconds ${SLA_SECONDS}, sla.startup_seconds = the startup delay, every other field default (service time estimated from the queue)`,
  'target-backlog-hpa': 'target-backlog with the HPA default behavior (scale-down stabilization 300 s, rate limits of 100%/15 s down and max(4 pods, 100%)/15 s up) and no cooldown',
  'target-cpu-hpa': 'target-cpu with the HPA default behavior, likewise',
  'predictive-threshold-0.9': 'predictive with sla.breach_threshold 0.9 (the drain plans every pickup within 27 s of the 30 s SLA instead of 24 s), the service time estimated as for predictive: what the default threshold\'s margin costs',
  'predictive-known-s-no-rates': 'predictive-known-s on a queue without counters (`docktor simulate --no-rates`): the checks see queue.backlog, queue.ack_pending and queue.lag only, no rates and no oldest age, as on Laravel\'s Redis queue or a plain list; arrivals come from the backlog\'s history (docs/decide.md, predictive step 2)',
  'predictive-known-s': 'predictive told the service time (sla.service_time_seconds = S), as after its estimate has converged: the difference to predictive is what learning S from nothing at the start of the trace costs',
};

export interface Limits {
  max_replicas: number;
  check_interval: number;
}
/** The mean-load scenario's limits (section 1 of docs/benchmarks.md). */
export const MEAN_LIMITS: Limits = { max_replicas: MAX_REPLICAS_FACTOR * MEAN_BUSY_REPLICAS, check_interval: CHECK_INTERVAL };

/** The service config of one policy on one trace. */
export function policyService(policy: PolicyName, serviceTime: number, startupDelay: number, limits: Limits = MEAN_LIMITS): ServiceConfig {
  const perReplica = 1 / serviceTime; // messages/s one replica serves
  const common: ServiceInput = {
    name: 'bench',
    min_replicas: 1,
    max_replicas: limits.max_replicas,
    check_interval: limits.check_interval,
    metrics_window: METRICS_WINDOW,
    sla: { max_pickup_seconds: SLA_SECONDS },
  };
  const round = (x: number) => Math.max(1, Math.round(x));
  switch (policy) {
    case 'rules':
      return ServiceSchema.parse({
        ...common,
        strategy: 'rules',
        rules: {
          scale_up_when: [{ metric: 'queue.backlog', op: '>', value: round(TARGET_WAIT_SECONDS * perReplica) }],
          scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: round(perReplica) }],
          step: { up: 2, down: 1 },
        },
      });
    case 'target-backlog-hpa':
    case 'target-cpu-hpa': {
      const base = policyService(policy === 'target-backlog-hpa' ? 'target-backlog' : 'target-cpu', serviceTime, startupDelay, limits);
      return ServiceSchema.parse({ ...base, cooldown: { up: 0, down: 0 }, behavior: HPA_DEFAULT_BEHAVIOR });
    }
    case 'target-backlog':
      return ServiceSchema.parse({
        ...common,
        strategy: 'target',
        target: { metrics: [{ metric: 'queue.lag', type: 'average', value: round(TARGET_WAIT_SECONDS * perReplica) }] },
      });
    case 'target-cpu':
      return ServiceSchema.parse({
        ...common,
        strategy: 'target',
        target: { metrics: [{ metric: 'cpu.avg_pct', type: 'utilization', value: CPU_TARGET_PCT }] },
      });
    case 'predictive':
      return ServiceSchema.parse({ ...common, strategy: 'predictive', sla: { max_pickup_seconds: SLA_SECONDS, startup_seconds: startupDelay } });
    case 'predictive-threshold-0.9':
      return ServiceSchema.parse({ ...common, strategy: 'predictive', sla: { max_pickup_seconds: SLA_SECONDS, startup_seconds: startupDelay, breach_threshold: THRESHOLD_VARIANT } });
    case 'predictive-known-s':
    case 'predictive-known-s-no-rates':
      return ServiceSchema.parse({ ...common, strategy: 'predictive', sla: { max_pickup_seconds: SLA_SECONDS, startup_seconds: startupDelay, service_time_seconds: serviceTime } });
  }
}
