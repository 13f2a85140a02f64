// A policy: no scale-down while the queue is behind (its oldest message waits longer than
// `max_age_seconds`), whatever the strategy says.
//
//   policies: [{ module: ./policy.mjs, options: { max_age_seconds: 30 } }]
//
// A policy exports before(input) -> input and/or after(input, decision) -> decision; when it
// changes the result, the decision says so (limited_by: policy, and the reason names it).

/** @type {NonNullable<import('docktor').Policy['after']>} */
export const after = (input, decision, options) => {
  const maxAge = Number(options.max_age_seconds ?? 30);
  const oldest = input.observations['queue.oldest_age_s'];
  if (decision.target_replicas >= input.current_replicas || oldest === undefined || oldest <= maxAge) return decision;
  return {
    ...decision,
    target_replicas: input.current_replicas,
    reason: `no scale-down while the oldest message waits ${oldest} s > ${maxAge} s`,
  };
};
