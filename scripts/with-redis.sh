#!/usr/bin/env bash
# Runs a command with REDIS_URL set. When REDIS_URL is unset it starts a
# throwaway redis-server on a free loopback port (64 databases, nothing on
# disk) and stops it afterwards.
set -euo pipefail
if [ -n "${REDIS_URL:-}" ]; then
  exec "$@"
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server not found: run 'make deps' (as root) or install the Debian package redis-server" >&2
  exit 1
fi
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for try in $(seq 1 20); do
  port=$(( 20000 + (RANDOM * 7 + try) % 30000 ))
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --databases 64 --dir "$dir" \
    --logfile "$dir/redis.log" &
  pid=$!
  for i in $(seq 1 50); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then break 2; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
done
if [ -z "$pid" ]; then
  echo "could not start redis-server on a free port; see $dir/redis.log" >&2
  exit 1
fi
export REDIS_URL="redis://127.0.0.1:$port/0"
echo "redis-server for the tests at $REDIS_URL"
"$@"
