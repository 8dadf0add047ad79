#!/usr/bin/env bash
# Stops the throwaway PostgreSQL started by scripts/setup-test-deps.sh and
# removes its temp dir. Safe to run when nothing is running.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ART="$ROOT/artifacts"
STATE_FILE="$ART/test-pg.state"

log() { echo "[stop-test-deps] $*" >&2; }

if [ ! -f "$STATE_FILE" ]; then
  log "nothing to stop"
  exit 0
fi
# shellcheck disable=SC1090
. "$STATE_FILE"

if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi

if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
  if (cd "${PG_TMP:-/}" && as_pg "$PG_STATE_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop) >/dev/null 2>&1; then
    log "PostgreSQL on port ${PG_PORT:-?} stopped"
  else
    (cd / && as_pg "$PG_STATE_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop) >/dev/null 2>&1 || true
    log "PostgreSQL on port ${PG_PORT:-?} was not running or stopped forcibly"
  fi
fi
# Only ever remove a directory this project created.
if [ -n "${PG_TMP:-}" ] && [[ "$PG_TMP" == /tmp/recoflow-pg.* ]]; then rm -rf "$PG_TMP"; fi
rm -f "$STATE_FILE" "$ART/test-env.sh"
