#!/usr/bin/env bash
# Runs the NATS example and docktor on it. With Docker and Compose: the whole stack in containers
# (runtime: compose, docktor.yaml). Without: the same producer and consumer as local Node processes
# (runtime: process, docktor.process.yaml), against NATS with JetStream on 127.0.0.1:4222.
# It says which one it took. Ctrl-C stops docktor, the producer and the replicas docktor started
# (the consumers; with Compose, the whole stack): a demo should leave nothing behind. In
# production replicas outlive docktor on purpose; --keep-replicas does that here too.
#
#   examples/nats-multi/run.sh            # pick automatically
#   examples/nats-multi/run.sh --keep-replicas   # leave the replicas (and the stack) running
#   DOCKTOR_EXAMPLE_RUNTIME=process examples/nats-multi/run.sh   # or compose
set -euo pipefail

keep_replicas=0
for arg in "$@"; do
  case "$arg" in
    --keep-replicas) keep_replicas=1 ;;
    *) printf 'nats-multi: unknown argument %s (known: --keep-replicas)\n' "$arg" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { printf 'nats-multi: %s\n' "$*" >&2; }

if [ ! -f dist/src/cli/main.js ] || [ ! -f dist/examples/nats-multi/consumer.js ]; then
  say "building docktor and the example (npm run build)"
  npm run build --silent
fi

runtime="${DOCKTOR_EXAMPLE_RUNTIME:-}"
if [ -z "$runtime" ]; then
  if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    runtime=compose
  else
    runtime=process
    why="$( (docker info >/dev/null) 2>&1 | head -1 || true)"
    [ -n "$why" ] || why="docker compose is not installed"
  fi
fi

case "$runtime" in
  compose)
    say "Docker and Compose found: running the stack in containers (runtime: compose, $here/docktor.yaml)"
    docker compose -f "$here/docker-compose.yaml" up -d --build
    if [ "$keep_replicas" = 1 ]; then
      say "stack up: nats, producer, consumer, web. Stop it later with: docker compose -f $here/docker-compose.yaml down"
    else
      trap 'say "stopping the stack (--keep-replicas leaves it running)"; docker compose -f "$here/docker-compose.yaml" down' EXIT
      say "stack up: nats, producer, consumer, web; Ctrl-C stops docktor, then the stack"
    fi
    node bin/docktor.js dev -c "$here/docktor.yaml"
    ;;
  process)
    say "no Docker (${why:-chosen}): running the consumer as local processes (runtime: process, $here/docktor.process.yaml)"
    # The producer creates the stream on first use; failing here means NATS is not there.
    if ! COUNT=0 node dist/examples/nats-multi/producer.js >/dev/null 2>&1; then
      say "cannot reach NATS with JetStream at ${NATS_URL:-nats://127.0.0.1:4222}: start it with \`nats-server -js\` and run this again"
      exit 1
    fi
    # The compose file's demo load: one consumer keeps up, the bursts make a backlog.
    export RATE="${RATE:-4}" BURST_RATE="${BURST_RATE:-40}" BURST_SECONDS="${BURST_SECONDS:-30}" BURST_EVERY="${BURST_EVERY:-120}"
    node dist/examples/nats-multi/producer.js &
    producer=$!
    on_exit() {
      kill "$producer" 2>/dev/null || true
      if [ "$keep_replicas" = 0 ]; then
        say "stopping the consumer replicas (--keep-replicas leaves them running)"
        node dist/examples/nats-multi/stop-replicas.js "$here/docktor.process.yaml" >&2 || true
      fi
    }
    trap on_exit EXIT
    say "producer started (pid $producer): $RATE msg/s, bursts of $BURST_RATE msg/s for $BURST_SECONDS s every $BURST_EVERY s"
    node bin/docktor.js dev -c "$here/docktor.process.yaml"
    ;;
  *)
    say "DOCKTOR_EXAMPLE_RUNTIME must be compose or process, not '$runtime'"
    exit 2
    ;;
esac
