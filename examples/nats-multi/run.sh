#!/usr/bin/env bash
# Runs the NATS example and docktor on it. With Docker and Compose: the whole stack in containers
# (runtime: compose, docktor.yaml). Without: the same producer and consumer as local Node processes
# (runtime: process, docktor.process.yaml), against NATS with JetStream on 127.0.0.1:4222.
# It says which one it took. Ctrl-C stops docktor (and, without Docker, the producer).
#
#   examples/nats-multi/run.sh            # pick automatically
#   DOCKTOR_EXAMPLE_RUNTIME=process examples/nats-multi/run.sh   # or compose
set -euo pipefail

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
    say "stack up: nats, producer, consumer, web. Stop it later with: docker compose -f $here/docker-compose.yaml down"
    exec node bin/docktor.js dev -c "$here/docktor.yaml"
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
    trap 'kill "$producer" 2>/dev/null || true' EXIT
    say "producer started (pid $producer): $RATE msg/s, bursts of $BURST_RATE msg/s for $BURST_SECONDS s every $BURST_EVERY s"
    node bin/docktor.js dev -c "$here/docktor.process.yaml"
    ;;
  *)
    say "DOCKTOR_EXAMPLE_RUNTIME must be compose or process, not '$runtime'"
    exit 2
    ;;
esac
