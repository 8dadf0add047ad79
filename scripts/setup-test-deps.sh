#!/usr/bin/env bash
# Prepares what the test suite needs and writes the environment for it.
#   - Debian's PostgreSQL (installed if missing) and a throwaway server on a
#     free loopback port, data in a temp dir, trust auth, user postgres.
#   - Debian's chromium (installed if missing) at /usr/bin/chromium.
# Writes artifacts/test-env.sh (sourced/parsed by build.ps1) and prints it.
# Idempotent: a second run reuses the running server and installs nothing.
# Stop the server with scripts/stop-test-deps.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ART="$ROOT/artifacts"
ENV_FILE="$ART/test-env.sh"
STATE_FILE="$ART/test-pg.state"
CHROMIUM=/usr/bin/chromium
mkdir -p "$ART"

log() { echo "[setup-test-deps] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

# ---------------------------------------------------------------- packages
find_pg_bin() {
  # Highest installed PostgreSQL major version (Debian layout).
  local d best="" bestv=0 v
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || continue
    v="$(basename "$(dirname "$d")")"
    v="${v%%.*}"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -gt "$bestv" ]; then bestv="$v"; best="$d"; fi
  done
  echo "$best"
}

PG_BIN="$(find_pg_bin)"
missing=()
[ -n "$PG_BIN" ] || missing+=(postgresql)
[ -x "$CHROMIUM" ] || missing+=(chromium)

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]} (log: artifacts/setup-apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}"; } \
        </dev/null >"$ART/setup-apt.log" 2>&1; then
    tail -n 40 "$ART/setup-apt.log" >&2 || true
    die "apt-get failed for: ${missing[*]}"
  fi
  PG_BIN="$(find_pg_bin)"
  [ -n "$PG_BIN" ] || die "PostgreSQL installed but no /usr/lib/postgresql/*/bin/initdb found"
  [ -x "$CHROMIUM" ] || die "chromium installed but $CHROMIUM is missing"
fi
PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"

# ---------------------------------------------------------------- server
# Run a PostgreSQL command as the postgres user when root, else as ourselves.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "user postgres does not exist (the postgresql package creates it)"
  as_pg() { runuser -u postgres -- "$@"; }
  PG_OWNER=postgres
else
  as_pg() { "$@"; }
  PG_OWNER="$(id -un)"
fi

write_env() {
  local port="$1" tmp
  tmp="$(mktemp "$ART/.test-env.XXXXXX")"
  cat >"$tmp" <<ENV
# Written by scripts/setup-test-deps.sh; read by build.ps1 (test target).
export RECOFLOW_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
export RECOFLOW_TEST_PG_PORT="$port"
export RECOFLOW_CHROMIUM="$CHROMIUM"
ENV
  mv -f "$tmp" "$ENV_FILE"
  cat "$ENV_FILE" | grep '^export'
}

pg_ready() { # port sockdir
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -t 2 >/dev/null 2>&1
}

# Reuse a server started by an earlier run if it is still up.
if [ -f "$STATE_FILE" ]; then
  # shellcheck disable=SC1090
  . "$STATE_FILE"
  if [ -n "${PG_DATA:-}" ] && [ -d "${PG_DATA}" ] \
     && as_pg "${PG_STATE_BIN:-$PG_BIN}/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 \
     && pg_ready "$PG_PORT"; then
    log "PostgreSQL $PG_MAJOR already running on 127.0.0.1:$PG_PORT (data $PG_DATA)"
    write_env "$PG_PORT"
    exit 0
  fi
  log "stale state from an earlier run; starting a new server"
  if [ -n "${PG_DATA:-}" ] && [ -d "${PG_DATA}" ]; then
    as_pg "${PG_STATE_BIN:-$PG_BIN}/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "${PG_TMP:-}" ] && [[ "$PG_TMP" == */recoflow-pg.* ]]; then rm -rf "$PG_TMP"; fi
  rm -f "$STATE_FILE"
fi

port_in_use() { # true if some socket on this machine listens on TCP port $1
  local hex line
  hex="$(printf '%04X' "$1")"
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    # local_address is field 2 (ADDR:PORT); any socket on the port counts as taken
    if awk -v p="$hex" 'NR>1 { split($2, a, ":"); if (a[2] == p) { found=1 } } END { exit !found }' "$f"; then
      return 0
    fi
  done
  return 1
}

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 30000 ))
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  die "no free TCP port found"
}

PG_TMP="$(mktemp -d /tmp/recoflow-pg.XXXXXX)"
PG_DATA="$PG_TMP/data"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TMP"; fi
chmod 700 "$PG_TMP"

log "initdb ($PG_BIN) into $PG_DATA"
if ! (cd "$PG_TMP" && as_pg "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 --no-sync) \
      >"$PG_TMP/initdb.log" 2>&1; then
  cat "$PG_TMP/initdb.log" >&2
  die "initdb failed"
fi

started=""
for attempt in 1 2 3 4 5; do
  PG_PORT="$(free_port)"
  if (cd "$PG_TMP" && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_TMP/server.log" -w -t 60 \
        -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start) >"$PG_TMP/pg_ctl.log" 2>&1; then
    started=1; break
  fi
  log "start on port $PG_PORT failed (attempt $attempt); retrying on another port"
  tail -n 5 "$PG_TMP/server.log" >&2 2>/dev/null || true
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
done
[ -n "$started" ] || { cat "$PG_TMP/pg_ctl.log" "$PG_TMP/server.log" >&2 2>/dev/null || true; die "could not start PostgreSQL"; }

for _ in $(seq 1 100); do
  pg_ready "$PG_PORT" && break
  sleep 0.1
done
pg_ready "$PG_PORT" || { cat "$PG_TMP/server.log" >&2 || true; die "PostgreSQL did not become ready on port $PG_PORT"; }

cat >"$STATE_FILE" <<STATE
PG_TMP='$PG_TMP'
PG_DATA='$PG_DATA'
PG_PORT='$PG_PORT'
PG_STATE_BIN='$PG_BIN'
STATE
log "PostgreSQL $PG_MAJOR running on 127.0.0.1:$PG_PORT (data $PG_DATA, socket dir $PG_TMP)"
write_env "$PG_PORT"
