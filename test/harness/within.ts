// A promise raced against a deadline, the deadline's timer cleared once the race is decided. A bare
// `Promise.race([p, sleep(ms)])` leaves its timer running after `p` wins, and the test file's
// process cannot exit before it fires (it kept dev-leftover's process alive 84 s past its test).

/** `p`'s value, or `fallback` if `p` has not settled within `ms`. */
export function within<T, U>(p: Promise<T>, ms: number, fallback: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<U>((resolve) => {
    timer = setTimeout(resolve, ms, fallback);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
