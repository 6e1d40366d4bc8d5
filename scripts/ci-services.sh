#!/usr/bin/env bash
# Starts throwaway PostgreSQL and Redis servers on loopback for the tests and
# exports LWP_TEST_DATABASE_URL and LWP_TEST_REDIS_URL. Sourced by .ci/run;
# developers can source it too.
CI_SERVICES_DIR="${CI_SERVICES_DIR:-/tmp/lwp-ci-services}"
CI_PG_PORT="${CI_PG_PORT:-55432}"
CI_REDIS_PORT="${CI_REDIS_PORT:-56379}"

start_ci_services() {
  mkdir -p "$CI_SERVICES_DIR"
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$pgbin" ]; then
    local pgdata="$CI_SERVICES_DIR/pg"
    rm -rf "$pgdata"
    mkdir -p "$pgdata"
    chown postgres "$pgdata" 2>/dev/null || true
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust >/dev/null
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/log" \
      -o "-p $CI_PG_PORT -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=on" -w start >/dev/null
    export LWP_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$CI_PG_PORT/postgres"
    export LWP_TEST_PG_CTL="$pgbin/pg_ctl" LWP_TEST_PG_DATA="$pgdata"
  fi
  if command -v redis-server >/dev/null; then
    redis-server --port "$CI_REDIS_PORT" --daemonize yes --save '' --appendonly no \
      --pidfile "$CI_SERVICES_DIR/redis.pid" --logfile "$CI_SERVICES_DIR/redis.log"
    export LWP_TEST_REDIS_URL="redis://127.0.0.1:$CI_REDIS_PORT"
  fi
}

stop_ci_services() {
  [ -n "${LWP_TEST_PG_DATA:-}" ] && runuser -u postgres -- "$LWP_TEST_PG_CTL" -D "$LWP_TEST_PG_DATA" -m fast stop >/dev/null 2>&1
  [ -f "$CI_SERVICES_DIR/redis.pid" ] && kill "$(cat "$CI_SERVICES_DIR/redis.pid")" 2>/dev/null
  return 0
}
