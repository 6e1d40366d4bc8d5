#!/usr/bin/env bash
# Starts throwaway PostgreSQL and Redis servers on loopback for the tests and
# exports LWP_TEST_DATABASE_URL and LWP_TEST_REDIS_URL (plus LWP_TEST_PG_CTL,
# LWP_TEST_PG_DATA and LWP_TEST_REDIS_SERVER for tests that start their own
# disposable instances). Sourced by .ci/run; developers can source it too:
#
#   source scripts/ci-services.sh && start_ci_services
#
# Idempotent: services that already answer are reused, not recreated, so
# sourcing it again in another shell does not pull data from under a running
# test, and stop_ci_services stops only what this shell started. Works as root (PostgreSQL then runs as the `postgres` user) or as an
# ordinary user.
CI_SERVICES_DIR="${CI_SERVICES_DIR:-/tmp/lwp-ci-services}"
CI_PG_PORT="${CI_PG_PORT:-55432}"
CI_REDIS_PORT="${CI_REDIS_PORT:-56379}"

# PostgreSQL refuses to run as root; run its tools as `postgres` when we are root.
_ci_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_ci_services() {
  mkdir -p "$CI_SERVICES_DIR"
  # Only what this shell started is stopped by stop_ci_services.
  CI_SERVICES_STARTED_PG="${CI_SERVICES_STARTED_PG:-}" CI_SERVICES_STARTED_REDIS="${CI_SERVICES_STARTED_REDIS:-}"
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pgbin" ] && command -v pg_ctl >/dev/null; then pgbin=$(dirname "$(command -v pg_ctl)"); fi
  if [ -n "$pgbin" ]; then
    local pgdata="$CI_SERVICES_DIR/pg"
    if ! _ci_as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
      rm -rf "$pgdata"
      mkdir -p "$pgdata"
      [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
      _ci_as_pg "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null || return 1
      # max_connections: the whole server suite runs against PostgreSQL, each
      # test server with its own pool, while several developers share this instance.
      _ci_as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/log" \
        -o "-p $CI_PG_PORT -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=300" -w start >/dev/null ||
        return 1
      CI_SERVICES_STARTED_PG=1
    fi
    export LWP_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$CI_PG_PORT/postgres"
    export LWP_TEST_PG_CTL="$pgbin/pg_ctl" LWP_TEST_PG_DATA="$pgdata"
  fi
  if command -v redis-server >/dev/null; then
    if ! redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" ping >/dev/null 2>&1; then
      redis-server --bind 127.0.0.1 --port "$CI_REDIS_PORT" --daemonize yes --save '' --appendonly no \
        --pidfile "$CI_SERVICES_DIR/redis.pid" --logfile "$CI_SERVICES_DIR/redis.log" || return 1
      CI_SERVICES_STARTED_REDIS=1
      local i
      for i in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p "$CI_REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
      done
    fi
    export LWP_TEST_REDIS_URL="redis://127.0.0.1:$CI_REDIS_PORT"
    export LWP_TEST_REDIS_SERVER
    LWP_TEST_REDIS_SERVER=$(command -v redis-server)
  fi
  return 0
}

# Stops the services start_ci_services started in this shell (not ones it found running).
stop_ci_services() {
  if [ -n "${CI_SERVICES_STARTED_PG:-}" ] && [ -n "${LWP_TEST_PG_DATA:-}" ]; then
    _ci_as_pg "$LWP_TEST_PG_CTL" -D "$LWP_TEST_PG_DATA" -m fast stop >/dev/null 2>&1
  fi
  if [ -n "${CI_SERVICES_STARTED_REDIS:-}" ] && [ -f "$CI_SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$CI_SERVICES_DIR/redis.pid")" 2>/dev/null
    rm -f "$CI_SERVICES_DIR/redis.pid"
  fi
  return 0
}
