#!/usr/bin/env bash
# Macro benchmark of the investigation workspace: generates EVENTS CloudTrail events with the attack
# simulator, imports them into one incident on SQLite and (when POSTGRES is set to a connection string
# of a server where a new database may be created) on PostgreSQL, then times timeline pages and
# principal pivots. Prints import rate, p50/p95/p99 and the load average.
#
#   scripts/bench-investigation.sh                      # 1,000,000 events, SQLite only
#   POSTGRES="Host=127.0.0.1;Port=5432;Username=postgres" scripts/bench-investigation.sh
#   EVENTS=100000 scripts/bench-investigation.sh        # smaller, for a quick look
#   SKIP_SQLITE=1 POSTGRES=... scripts/bench-investigation.sh   # PostgreSQL only
#   KEEP=~/bench-1m scripts/bench-investigation.sh      # keep logs and databases in that folder
#   KEEP=~/bench-1m BENCH_REUSE=1 scripts/bench-investigation.sh  # time the queries again, no new import
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-1000000}
log() { printf '[bench] %s\n' "$*" >&2; }
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP"
  work=$(cd "$KEEP" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/firebreak-investigation.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

dotnet build -c Release bench/Firebreak.LogGenerator >/dev/null
dotnet build -c Release bench/Firebreak.InvestigationBench >/dev/null
if [ -n "${BENCH_REUSE:-}" ] && [ -d "$work/logs" ]; then
  log "reusing the logs and databases in $work"
else
  rm -rf "$work/logs"
  log "generating $EVENTS events"
  dotnet bench/Firebreak.LogGenerator/bin/Release/net10.0/Firebreak.LogGenerator.dll "$work/logs" "$EVENTS" gz
fi

if [ -z "${SKIP_SQLITE:-}" ]; then
  log "SQLite"
  dotnet bench/Firebreak.InvestigationBench/bin/Release/net10.0/Firebreak.InvestigationBench.dll "$work/logs" "$work/sqlite"
fi

if [ -n "${POSTGRES:-}" ]; then
  if [ -n "${BENCH_REUSE:-}" ] && [ -f "$work/pg-database" ]; then db=$(cat "$work/pg-database"); else db="firebreak_bench_$(date +%s)"; fi
  echo "$db" > "$work/pg-database"
  log "PostgreSQL (database $db)"
  dotnet bench/Firebreak.InvestigationBench/bin/Release/net10.0/Firebreak.InvestigationBench.dll "$work/logs" "$work/pg" "$POSTGRES;Database=$db"
fi
