// The numeric guards and the count-noise bounds that several of the predictive steps share
// (docs/decide.md, "Numeric guards" and "Nothing here is fitted to a trace").

/** Trend samples kept per trend window (one per window/MAX_SAMPLES seconds); also caps in_service. */
export const MAX_SAMPLES = 60;
/**
 * A service-time reading needs at least this many acknowledgements in the metrics window: below
 * it, ack_pending (0 or 1 message) over rate_out is mostly noise ("30 s" for a 1 s job when one
 * message is in service and one ack came in 30 s). Ten acks make the count's noise about ±30%.
 */
export const MIN_ACKS_PER_READING = 10;
/**
 * Standard deviations of a Poisson count the in-service cap of the arrival rate allows for: the
 * mean of a count n is below (√(n + 1) + z/2)², within 10% of the exact one-sided 97.5% bound.
 */
export const IN_SERVICE_Z = 2;
/** Float noise allowance before rounding a replica need up. */
export const EPSILON = 1e-9;
/** A service time beyond a day is treated as a day (keeps every product finite). */
export const MAX_SERVICE_TIME_SECONDS = 86_400;
/** Arrival rates beyond this are treated as this (messages/s). */
export const MAX_RATE = 1e12;
