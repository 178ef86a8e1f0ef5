#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster and a Redis server on loopback for tests.
# Usage: .ci/services.sh start|stop    Prints the URLs to export on start.
set -euo pipefail
root=${LIVEBRIDGE_SERVICES_DIR:-/tmp/livebridge-services}
pg_port=${LIVEBRIDGE_PG_PORT:-55432}
redis_port=${LIVEBRIDGE_REDIS_PORT:-56379}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
run_as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
  mkdir -p "$root"
  if [ "$(id -u)" = 0 ]; then chown postgres "$root"; fi
  if [ ! -f "$root/pg/PG_VERSION" ]; then
    run_as_postgres "$pg_bin/initdb" -D "$root/pg" -U livebridge --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! run_as_postgres "$pg_bin/pg_ctl" -D "$root/pg" status >/dev/null 2>&1; then
    run_as_postgres "$pg_bin/pg_ctl" -D "$root/pg" -l "$root/pg.log" -w \
      -o "-h 127.0.0.1 -p $pg_port -k $root -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null
  fi
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U livebridge -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='livebridge'" | grep -q 1 ||
    "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U livebridge livebridge
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --logfile "$root/redis.log" --dir "$root" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  echo "LIVEBRIDGE_TEST_POSTGRES_URL=postgresql+asyncpg://livebridge@127.0.0.1:$pg_port/livebridge"
  echo "LIVEBRIDGE_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
  ;;
stop)
  run_as_postgres "$pg_bin/pg_ctl" -D "$root/pg" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
