// `docktor simulate`'s pure core: trace parsing, the discrete-event simulation, its figures and plot.
export { parseTrace, TRACE_FORMATS, type Trace, type TraceFormat, type TraceKind } from './trace';
export { simulate, DEFAULT_EPOCH, DEFAULT_SLA_SECONDS, type SimulationOptions } from './simulator';
export type { Simulation, SimulationFigures } from './result';
export type { Timeline } from './timeline';
export type { ServiceTimeDist } from './random';
