// The discrete-event simulation of a queue-fed service (CONTRACT §5): arrivals from a trace, one
// FIFO queue, replicas that serve one message at a time, and the REAL decision engine deciding
// every check_interval from simulated observations, its state handed back as the workflow does
// (src/workflows/service-scaler.ts): decision.state is the next input's state, `now` is Unix
// seconds, paused false, metric_failures 0, and a target different from the current count is
// applied at once (not in dry_run).
//
// Model:
// - the run starts at time 0 with min_replicas ready (idle) replicas and lasts the trace's span
//   (or --duration); checks at 0, I, 2I, … before the end;
// - events at the same instant (within a nanosecond, for float noise): completions, then replicas
//   becoming ready, then arrivals, then the check (a check sees the arrivals of its instant);
// - a new replica serves after startup_delay; worker-seconds count from its creation;
// - a scale-down removes starting replicas first (newest first), then idle ones, then busy ones,
//   which finish their message and then go (the next busy ones to finish); worker-seconds count
//   until they go;
// - breach: while the queue's head is older than the SLA, counted exactly between dequeues.
// Hot path: one arrival stream, a ring buffer queue and a heap of completions; no allocation per
// message. Pickups go to a fixed-size histogram (pickup-histogram.ts).
import type { ServiceConfig } from '../config/service';
import { decide, type Decision, type DecisionInput, type EngineState } from '../decide/index';
import { ArrivalStream } from './arrivals';
import { CompletionHeap } from './completion-heap';
import { FloatDeque } from './float-deque';
import { ObservationBuilder } from './observations';
import { PickupHistogram } from './pickup-histogram';
import { serviceTimes, type ServiceTimeDist } from './random';
import { r6, type Simulation } from './result';
import { appendRow, emptyTimeline } from './timeline';
import type { Trace } from './trace';

/** `now` of time 0 for traces without real times (2023-11-14T22:13:20Z). */
export const DEFAULT_EPOCH = 1_700_000_000;
/**
 * Events less than this apart count as simultaneous: a completion computed as arrival + service
 * time can land a float rounding after the arrival it should free a replica for.
 */
const TIE = 1e-9;
/** SLA when the service has none (CONTRACT §5). */
export const DEFAULT_SLA_SECONDS = 30;

export interface SimulationOptions {
  service: ServiceConfig;
  /** Seconds per message (the mean with `exp`). */
  serviceTime: number;
  serviceTimeDist?: ServiceTimeDist;
  /** Seconds before a new replica serves. */
  startupDelay: number;
  /** Multiplies the trace's arrivals (default 1). */
  scale?: number;
  /** Trace seconds skipped at the start (default 0). */
  start?: number;
  /** Seconds replayed (default: to the trace's end). */
  duration?: number;
  /**
   * Seconds after the run's start (after `start`) from which the figures count (default 0): the
   * run before it is a warm-up whose replicas, estimates and queue carry over, as a service that
   * was already running (`docktor tune` judges a held-out later part this way). The timeline
   * keeps every check.
   */
  figuresFrom?: number;
  /**
   * Simulate a source without counters (Laravel, plain Redis lists): queue.backlog and
   * queue.ack_pending only, no queue.rate_in/rate_out and no queue.oldest_age_s (default false).
   */
  noRates?: boolean;
  /** Seed of the service-time generator (default 1). */
  seed?: number;
  /** Unix seconds of time 0 (default: the trace's own time, else DEFAULT_EPOCH, plus start). */
  epoch?: number;
  /**
   * Replaces the decision engine: replicas.current to have after check number `check` (0, 1, …),
   * within min..max_replicas. For offline references (clairvoyant.ts), not for policies.
   */
  schedule?: (check: number) => number;
  /** Called with every decision input and its decision (tests, debugging). */
  onDecision?: (input: DecisionInput, decision: Decision) => void;
}

/** The pure engine's simulation: built-in strategies only (a custom strategy holds, see decide). */
export function simulate(trace: Trace, o: SimulationOptions): Simulation {
  const run = simulation(trace, o);
  let step = run.next();
  while (!step.done) step = run.next(decide(step.value));
  return step.value;
}

/**
 * The simulation with another decide step, e.g. one that runs custom strategy and policy modules
 * (src/extend/decide-step.ts): `docktor simulate` on a service that has them.
 */
export async function simulateWith(trace: Trace, o: SimulationOptions, decideAsync: (input: DecisionInput) => Promise<Decision>): Promise<Simulation> {
  const run = simulation(trace, o);
  let step = run.next();
  while (!step.done) step = run.next(await decideAsync(step.value));
  return step.value;
}

/** The run as a coroutine: it yields each check's decision input and takes its decision back. */
function* simulation(trace: Trace, o: SimulationOptions): Generator<DecisionInput, Simulation, Decision> {
  const service = o.service;
  const interval = service.check_interval;
  const sla = service.sla?.max_pickup_seconds ?? DEFAULT_SLA_SECONDS;
  const start = o.start ?? 0;
  const cutEnd = o.duration !== undefined ? start + o.duration : Infinity;
  const end = Math.max(0, Math.min(trace.span, cutEnd) - start);
  const epoch = o.epoch ?? (trace.epoch ?? DEFAULT_EPOCH) + start;
  const startupDelay = o.startupDelay;
  const drawServiceTime = serviceTimes(o.serviceTime, o.serviceTimeDist ?? 'fixed', o.seed ?? 1);

  const arrivals = new ArrivalStream(trace, { scale: o.scale ?? 1, start, end: cutEnd });
  const queue = new FloatDeque(1024); // arrival times of waiting messages
  const starting = new FloatDeque(16); // ready times of starting replicas
  const inService = new CompletionHeap(Math.max(16, service.max_replicas));
  let pickups = new PickupHistogram();
  const observe = new ObservationBuilder(epoch, service.metrics_window, !o.noRates);
  const timeline = emptyTimeline(Math.ceil(end / interval) + 1);

  let nextArrival = arrivals.next();
  let idle = service.min_replicas;
  let retiring = 0;
  let alive = idle;
  let peakReplicas = alive;
  let aliveSeconds = 0;
  let aliveSince = 0;
  let serviceHandedOut = 0;
  let arrived = 0;
  let completed = 0;
  let pickedUp = 0;
  let breach = 0;
  let lastDequeue = -Infinity;
  let maxBacklog = 0;
  let checks = 0;
  let nextCheck = 0;
  let scaleEvents = 0;
  let engine: EngineState | undefined;
  // Since the previous check, for the timeline.
  let sinceArrived = 0;
  let sinceMaxBacklog = 0;
  let sinceMaxPickup = 0;
  let lastCheckAt = 0;
  let breachAtLastCheck = 0;
  // The figures' baseline at figuresFrom (all zero when it is 0).
  const measureFrom = Math.min(end, Math.max(0, o.figuresFrom ?? 0));
  let measured = measureFrom === 0;
  const base = { aliveSeconds: 0, breach: 0, arrived: 0, pickedUp: 0, work: 0, scaleEvents: 0, checks: 0 };

  const setAlive = (t: number, n: number) => {
    aliveSeconds += alive * (t - aliveSince);
    aliveSince = t;
    alive = n;
    if (n > peakReplicas) peakReplicas = n;
  };

  /** A free replica takes the queue's head at `t`. */
  const serveHead = (t: number) => {
    const a = queue.popFront();
    const pickup = t - a;
    pickups.record(pickup);
    if (pickup > sinceMaxPickup) sinceMaxPickup = pickup;
    const breachFrom = a + sla > lastDequeue ? a + sla : lastDequeue;
    if (t > breachFrom) breach += t - breachFrom;
    lastDequeue = t;
    const s = drawServiceTime();
    serviceHandedOut += s;
    inService.push(t + s, a);
    pickedUp++;
  };

  /** A check's observations and decision input (before the decision). */
  const observeCheck = (t: number) => {
    const ready = idle + inService.size - retiring;
    const current = starting.length + ready;
    const queueHead = queue.length > 0 ? queue.front() : Infinity;
    const oldestInService = inService.oldestArrival();
    aliveSeconds += alive * (t - aliveSince);
    aliveSince = t;
    const observations = observe.build({
      at: t,
      arrived,
      acked: completed,
      backlog: queue.length,
      inService: inService.size,
      oldestUnackedArrival: queueHead < oldestInService ? queueHead : oldestInService,
      replicasCurrent: current,
      replicasReady: ready,
      alive,
      aliveSeconds,
      busySeconds: serviceHandedOut - inService.remainingAfter(t),
    });
    const input: DecisionInput = {
      now: epoch + t,
      service,
      current_replicas: current,
      observations,
      ...(engine ? { state: engine } : {}),
      paused: false,
      metric_failures: 0,
    };
    return { current, ready, input };
  };

  /** Applies a check's target and books the check. */
  const finishCheck = (t: number, current: number, ready: number, target: number) => {
    if (target !== current && !service.dry_run) {
      scaleEvents++;
      if (target > current) {
        for (let i = current; i < target; i++) starting.pushBack(t + startupDelay);
        setAlive(t, alive + (target - current));
      } else {
        let remove = current - target;
        let gone = 0;
        while (remove > 0 && starting.length > 0) {
          starting.popBack();
          remove--;
          gone++;
        }
        const idleGone = Math.min(idle, remove);
        idle -= idleGone;
        remove -= idleGone;
        gone += idleGone;
        retiring += remove; // busy: they go when their message is done
        setAlive(t, alive - gone);
      }
    }
    // Breach so far, including the part of the current head's wait not yet counted at a dequeue.
    const headBreachFrom = queue.length > 0 ? Math.max(queue.front() + sla, lastDequeue) : Infinity;
    const breachSoFar = breach + (t > headBreachFrom ? t - headBreachFrom : 0);
    appendRow(timeline, {
      at: t,
      arrivalRate: t > lastCheckAt ? sinceArrived / (t - lastCheckAt) : sinceArrived,
      maxBacklog: sinceMaxBacklog,
      replicas: starting.length + idle + inService.size - retiring,
      ready,
      maxPickup: sinceMaxPickup,
      breach: breachSoFar - breachAtLastCheck,
    });
    breachAtLastCheck = breachSoFar;
    sinceArrived = 0;
    sinceMaxBacklog = queue.length;
    sinceMaxPickup = 0;
    lastCheckAt = t;
    checks++;
    nextCheck = checks * interval;
  };

  /** Starts the figures at measureFrom: what came before is the warm-up. */
  const startFigures = () => {
    measured = true;
    const t = measureFrom;
    aliveSeconds += alive * (t - aliveSince);
    aliveSince = t;
    const headBreachFrom = queue.length > 0 ? Math.max(queue.front() + sla, lastDequeue) : Infinity;
    Object.assign(base, {
      aliveSeconds,
      breach: breach + (t > headBreachFrom ? t - headBreachFrom : 0),
      arrived,
      pickedUp,
      // Service handed out and not yet done by t belongs to the warm-up's messages.
      work: serviceHandedOut,
      scaleEvents,
      checks,
    });
    pickups = new PickupHistogram();
    maxBacklog = queue.length;
    peakReplicas = alive;
  };

  for (;;) {
    const tDone = inService.size > 0 ? inService.topDone() : Infinity;
    const tReady = starting.length > 0 ? starting.front() : Infinity;
    if (!measured && Math.min(tDone, tReady, nextArrival, nextCheck) >= measureFrom) startFigures();
    if (tDone <= tReady && tDone <= nextArrival + TIE && tDone <= nextCheck) {
      if (tDone > end) break;
      inService.pop();
      completed++;
      if (retiring > 0) {
        retiring--;
        setAlive(tDone, alive - 1);
      } else if (queue.length > 0) serveHead(tDone);
      else idle++;
    } else if (tReady <= nextArrival + TIE && tReady <= nextCheck) {
      if (tReady > end) break;
      starting.popFront();
      if (queue.length > 0) serveHead(tReady);
      else idle++;
    } else if (nextArrival <= nextCheck) {
      const t = nextArrival;
      if (t > end) break;
      arrived++;
      sinceArrived++;
      if (idle > 0) {
        idle--;
        pickups.record(0);
        const s = drawServiceTime();
        serviceHandedOut += s;
        inService.push(t + s, t);
        pickedUp++;
      } else {
        queue.pushBack(t);
        if (queue.length > sinceMaxBacklog) {
          sinceMaxBacklog = queue.length;
          if (sinceMaxBacklog > maxBacklog) maxBacklog = sinceMaxBacklog;
        }
      }
      nextArrival = arrivals.next();
    } else {
      if (nextCheck >= end) break;
      const t = nextCheck;
      const { current, ready, input } = observeCheck(t);
      let target: number;
      if (o.schedule) target = Math.min(service.max_replicas, Math.max(service.min_replicas, o.schedule(checks)));
      else {
        const decision = yield input;
        o.onDecision?.(input, decision);
        engine = decision.state;
        target = decision.target_replicas;
      }
      finishCheck(t, current, ready, target);
    }
  }

  // Close the books at the end of the run.
  if (!measured) startFigures();
  setAlive(end, alive);
  if (queue.length > 0) {
    const a = queue.front();
    const breachFrom = a + sla > lastDequeue ? a + sla : lastDequeue;
    if (end > breachFrom) breach += end - breachFrom;
  }
  const p = (q: number) => {
    const v = pickups.percentile(q);
    return v === null ? null : r6(v);
  };
  const span = end - measureFrom;
  const workerSeconds = aliveSeconds - base.aliveSeconds;
  return {
    figures: {
      messages: arrived - base.arrived,
      duration_s: r6(span),
      sla_seconds: sla,
      breach_seconds: r6(breach - base.breach),
      pickup_p50_s: p(50),
      pickup_p95_s: p(95),
      pickup_p99_s: p(99),
      max_backlog: maxBacklog,
      worker_seconds: r6(workerSeconds),
      mean_replicas: span > 0 ? r6(workerSeconds / span) : alive,
      scale_events: scaleEvents - base.scaleEvents,
      picked_up: pickedUp - base.pickedUp,
      waiting_at_end: queue.length,
      pickup_max_s: pickups.count > 0 ? r6(pickups.max) : null,
      work_seconds: r6(serviceHandedOut - base.work),
      peak_replicas: peakReplicas,
      checks: checks - base.checks,
    },
    timeline,
  };
}
