#!/usr/bin/env bash
# Runs the NATS example and docktor on it. With Docker and Compose: the whole stack in containers
# (runtime: compose, docktor.yaml). Without: the same producer and consumer as local Node processes
# (runtime: process, docktor.process.yaml), against NATS with JetStream on 127.0.0.1:4222.
# It says which one it took. Ctrl-C stops docktor, the producer and the replicas docktor started
# (the consumers; with Compose, the whole stack): a demo should leave nothing behind. In
# production replicas outlive docktor on purpose; --keep-replicas does that here too.
# Each run starts clean: the scalers' history of the previous run (the dev server's database,
# .docktor/temporal.db here) and the messages it left in the stream are dropped, so the timeline and
# the first decisions are this run's. --resume continues the previous run instead (docktor's
# normal behaviour: state is durable).
#
#   examples/nats-multi/run.sh            # pick automatically
#   examples/nats-multi/run.sh --keep-replicas   # leave the replicas (and the stack) running
#   examples/nats-multi/run.sh --resume          # continue the previous run's scalers and queue
#   DOCKTOR_EXAMPLE_RUNTIME=process examples/nats-multi/run.sh   # or compose
set -euo pipefail

keep_replicas=0
resume=0
for arg in "$@"; do
  case "$arg" in
    --keep-replicas) keep_replicas=1 ;;
    --resume) resume=1 ;;
    *) printf 'nats-multi: unknown argument %s (known: --keep-replicas, --resume)\n' "$arg" >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

say() { printf 'nats-multi: %s\n' "$*" >&2; }

if [ ! -f dist/src/cli/main.js ] || [ ! -f dist/examples/nats-multi/consumer.js ] || [ ! -f dist/examples/nats-multi/reset-queue.js ]; then
  say "building docktor and the example (npm run build)"
  npm run build --silent
fi

# The dev server's state (both configs of this folder share it). A dev server a SIGKILLed run left
# on it is stopped by `docktor dev` (its pid file stays).
state="$here/.docktor"
if [ "$resume" = 1 ]; then
  say "resuming the previous run: the scalers continue their history ($state/temporal.db)"
elif compgen -G "$state/temporal.db*" >/dev/null; then
  rm -f "$state"/temporal.db*
  say "starting clean: dropped the previous run's scaler history ($state/temporal.db; --resume keeps it)"
fi
reset_arg=""   # unquoted below: empty is no argument (bash 3.2 has no empty arrays under set -u)
if [ "$resume" = 1 ]; then reset_arg=--resume; fi

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
    # The stack's NATS keeps its data in a volume: a rerun would find the last run's messages.
    if summary="$(NATS_URL="nats://127.0.0.1:${NATS_PORT:-4222}" WAIT_SECONDS=20 node dist/examples/nats-multi/reset-queue.js $reset_arg 2>&1)"; then
      say "$summary"
    else
      say "warning: could not look at the stack's stream: $summary"
    fi
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
    # Creates the stream when missing and drops what a previous run left (unless --resume);
    # failing here means NATS is not there.
    if ! summary="$(node dist/examples/nats-multi/reset-queue.js $reset_arg 2>&1)"; then
      say "cannot reach NATS with JetStream at ${NATS_URL:-nats://127.0.0.1:4222}: start it with \`nats-server -js\` and run this again ($summary)"
      exit 1
    fi
    say "$summary"
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
