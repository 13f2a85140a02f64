// What the fleet benchmark and its worker processes (bench/fleet-worker.ts) say to each other over
// fork()'s IPC channel.
import { z } from 'zod';

export const FleetWorkerArgs = z.object({ address: z.string(), namespace: z.string(), taskQueue: z.string() });
export type FleetWorkerArgs = z.infer<typeof FleetWorkerArgs>;
/** The environment variable that carries FleetWorkerArgs as JSON. */
export const FLEET_WORKER_ENV = 'DOCKTOR_FLEET_WORKER';

export const FleetWorkerRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reads'), from: z.number() }),
  z.object({ type: z.literal('stop') }),
]);
export type FleetWorkerRequest = z.infer<typeof FleetWorkerRequest>;

export const FleetWorkerReply = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** Per service, the unix times its checks began at or after `from`. */
  z.object({ type: z.literal('reads'), reads: z.record(z.string(), z.array(z.number())) }),
  z.object({ type: z.literal('failed'), error: z.string() }),
]);
export type FleetWorkerReply = z.infer<typeof FleetWorkerReply>;
