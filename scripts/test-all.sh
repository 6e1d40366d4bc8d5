#!/usr/bin/env bash
# Everything the test suite needs, from a fresh clone: Debian packages
# (Chromium, Redis, wrk for the benchmark; PostgreSQL 15 binaries are
# expected or installed),
# npm dependencies, throwaway PostgreSQL and Redis servers on loopback, then
# `npm test`. Run as root (or with sudo available) on Debian/Ubuntu.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v redis-server >/dev/null || need+=(redis-server)
# The web app's notification test shows and clicks notifications through a stand-in desktop notification daemon on D-Bus.
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)
/usr/bin/python3 -c "import dbus, gi" >/dev/null 2>&1 || need+=(python3-dbus python3-gi)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# Not for the tests: the load generator `npm run bench -- server` uses where it is installed.
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# shellcheck source=scripts/ci-services.sh
source scripts/ci-services.sh
start_ci_services
trap stop_ci_services EXIT

npm test
