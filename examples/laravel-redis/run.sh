#!/usr/bin/env bash
# Runs the Laravel example: a producer with bursts and `docktor dev`, which starts and stops the
# PHP queue workers (`php worker.php`, runtime: process) to keep every job's pickup under 30 s.
# Needs Redis on 127.0.0.1:6379 and Debian's PHP packages (it says how to install them).
# Ctrl-C stops docktor, the producer and the workers docktor started: a demo should leave
# nothing behind. In production workers outlive docktor on purpose; --keep-replicas does that here.
#
#   examples/laravel-redis/run.sh                  # RATE=1 BURST=120 BURST_EVERY=120 by default
#   SCHEDULE=120 examples/laravel-redis/run.sh     # scheduler-style: a burst at every even minute
#   examples/laravel-redis/run.sh --keep-replicas  # leave the workers running
set -euo pipefail

keep_replicas=0
for arg in "$@"; do
  case "$arg" in
    --keep-replicas) keep_replicas=1 ;;
    *) printf 'laravel-redis: unknown argument %s (known: --keep-replicas)\n' "$arg" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { printf 'laravel-redis: %s\n' "$*" >&2; }

# The PHP side: Debian's Laravel 8.83 queue (Illuminate's Capsule manager) on phpredis.
packages=(php-cli php-redis php-illuminate-queue php-illuminate-redis php-illuminate-events)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v php >/dev/null 2>&1 || [ ${#missing[@]} -gt 0 ]; then
  say "missing Debian packages: ${missing[*]:-php-cli}; install them with:"
  say "  sudo apt-get update && sudo apt-get install -y ${packages[*]}"
  exit 1
fi
modules="$(php -m)"
for ext in redis pcntl; do
  if ! grep -qx "$ext" <<<"$modules"; then
    say "php has no '$ext' extension (php -m): install php-redis / Debian's php-cli (pcntl lets a worker finish its job on SIGTERM)"
    exit 1
  fi
done

if [ ! -f dist/src/cli/main.js ] || [ ! -f dist/examples/nats-multi/stop-replicas.js ]; then
  say "building docktor (npm run build)"
  npm run build --silent
fi

# Pushing nothing checks Redis and the PHP setup at once.
if ! out="$(cd "$here" && COUNT=0 php producer.php 2>&1)"; then
  say "the producer cannot push to Redis at ${REDIS_HOST:-127.0.0.1}:${REDIS_PORT:-6379} (start redis-server):"
  printf '%s\n' "$out" | tail -5 >&2
  exit 1
fi

export RATE="${RATE:-1}" BURST="${BURST:-120}" BURST_EVERY="${BURST_EVERY:-120}" BURST_AFTER="${BURST_AFTER:-20}"
(cd "$here" && exec php producer.php) &
producer=$!
on_exit() {
  kill "$producer" 2>/dev/null || true
  if [ "$keep_replicas" = 0 ]; then
    say "stopping the workers (--keep-replicas leaves them running)"
    # The NATS example's helper is generic: it scales every process service of a config to 0.
    node dist/examples/nats-multi/stop-replicas.js "$here/docktor.yaml" >&2 || true
  fi
}
trap on_exit EXIT
if [ -n "${SCHEDULE:-}" ]; then
  say "producer started (pid $producer): $RATE job/s, bursts of $BURST jobs at every wall-clock multiple of $SCHEDULE s; 0.5 s per job"
else
  say "producer started (pid $producer): $RATE job/s, bursts of $BURST jobs every $BURST_EVERY s (first after $BURST_AFTER s); 0.5 s per job"
fi
say "watch it: node bin/docktor.js explain -c $here/docktor.yaml   (or http://localhost:8233)"
node bin/docktor.js dev -c "$here/docktor.yaml"
