// A custom strategy: enough replicas to drain the backlog within `drain_seconds` while keeping up
// with new arrivals, for workers that each handle one message per `seconds_per_message`.
//
//   strategy: custom
//   custom: { module: ./strategy.mjs, options: { seconds_per_message: 0.5, drain_seconds: 60 } }
//
// docktor bounds the result (min/max_replicas, schedule windows), and applies behavior and
// cooldown after it. The types come from the docktor package.

/** @type {import('docktor').CustomStrategy['decide']} */
export const decide = (input, options) => {
  const perMessage = Number(options.seconds_per_message ?? 1);
  const drainSeconds = Number(options.drain_seconds ?? 60);
  const backlog = input.observations['queue.backlog'];
  const rateIn = input.observations['queue.rate_in'];
  if (backlog === undefined || rateIn === undefined) {
    // Never guess: hold, and say what is missing.
    return { target_replicas: input.current_replicas, reason: 'queue.backlog or queue.rate_in missing: holding' };
  }
  // Messages per second the workers must handle: arrivals plus the backlog spread over the drain time.
  const needed = rateIn + backlog / drainSeconds;
  const replicas = Math.ceil(needed * perMessage);
  return {
    target_replicas: replicas,
    reason: `${needed.toFixed(1)} msg/s to handle (rate_in ${rateIn}, backlog ${backlog} over ${drainSeconds} s) at ${perMessage} s each`,
    details: { needed_per_second: needed, seconds_per_message: perMessage, drain_seconds: drainSeconds },
  };
};
