#!/usr/bin/env bash
# Runs a command with REDIS_CLUSTER set to the seed addresses of a Redis
# Cluster (host:port,host:port,host:port) and REDIS_CLUSTER_PASSWORD to its
# password. When REDIS_CLUSTER is unset it starts a throwaway cluster of 3
# masters from redis-server (no replicas, nothing kept on disk, a password
# as production clusters have) on free loopback ports and stops it
# afterwards.
set -euo pipefail
if [ -n "${REDIS_CLUSTER:-}" ]; then
  exec "$@"
fi
REDIS_CLUSTER_PASSWORD="cluster-$RANDOM$RANDOM"
export REDIS_CLUSTER_PASSWORD
export REDISCLI_AUTH="$REDIS_CLUSTER_PASSWORD"
for bin in redis-server redis-cli; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "$bin not found: run 'make deps' (as root) or install the Debian package redis-server" >&2
    exit 1
  fi
done
masters=3
dir=$(mktemp -d)
pids=()
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop; rm -rf "$dir"; }
trap cleanup EXIT

# port_free PORT: nothing listens on PORT nor on its cluster bus port.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$(($1 + 10000))") 2>/dev/null
}

started=""
for try in $(seq 1 20); do
  base=$(( 20000 + (RANDOM * 7 + try * 13) % 25000 ))
  ports=()
  ok=1
  for i in $(seq 0 $((masters - 1))); do
    p=$((base + i))
    if ! port_free "$p"; then ok=0; break; fi
    ports+=("$p")
  done
  [ "$ok" = 1 ] || continue
  for p in "${ports[@]}"; do
    mkdir -p "$dir/$p"
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 5000 \
      --requirepass "$REDIS_CLUSTER_PASSWORD" --masterauth "$REDIS_CLUSTER_PASSWORD" \
      --save "" --appendonly no --dir "$dir/$p" --logfile "$dir/$p/redis.log" &
    pids+=($!)
  done
  up=1
  for p in "${ports[@]}"; do
    for i in $(seq 1 50); do
      if redis-cli -p "$p" ping >/dev/null 2>&1; then continue 2; fi
      sleep 0.1
    done
    up=0
  done
  if [ "$up" = 1 ]; then started=1; break; fi
  stop
done
if [ -z "$started" ]; then
  echo "could not start redis-server cluster nodes on free ports; see $dir/*/redis.log" >&2
  exit 1
fi

addrs=()
for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || {
  echo "redis-cli --cluster create failed:" >&2
  cat "$dir/create.log" >&2
  exit 1
}
# Wait until every node agrees that all slots are served.
for p in "${ports[@]}"; do
  for i in $(seq 1 100); do
    if redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then continue 2; fi
    sleep 0.1
  done
  echo "redis cluster node on port $p did not reach cluster_state:ok; see $dir/$p/redis.log" >&2
  exit 1
done

REDIS_CLUSTER=$(IFS=,; echo "${addrs[*]}")
export REDIS_CLUSTER
echo "redis cluster for the tests at $REDIS_CLUSTER ($masters masters, with a password)"
"$@"
