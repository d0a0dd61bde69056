#!/usr/bin/env bash
# Alert intake and alert list benchmarks against a Release `firebreak serve` on SQLite and then on a
# throwaway PostgreSQL cluster, driven by bench/Firebreak.LoadGen over loopback only. Every step is bounded
# in time or count and the script cleans up after itself. Figures go to stdout; see docs/benchmarks.md.
#
#   scripts/bench-alerts.sh                     # both databases, 15 s per timed step, 1,000,000 alerts for the list
#   BENCH_DATABASES=sqlite BENCH_SECONDS=5 BENCH_LIST_ALERTS=100000 scripts/bench-alerts.sh   # a quick look
#   BENCH_SINGLE_CONNECTIONS=48 scripts/bench-alerts.sh   # more concurrent single-alert senders (default 16)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${BENCH_SECONDS:-15}
list_alerts=${BENCH_LIST_ALERTS:-1000000}
baseline_rows=${BENCH_BASELINE_ROWS:-200000}
databases=${BENCH_DATABASES:-sqlite postgres}
single_connections=${BENCH_SINGLE_CONNECTIONS:-16}

log() { printf '\n[bench] %s (load average %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)"; }
free_port() {
  local port=$1
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

log "building Release"
dotnet build src/Firebreak.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/Firebreak.LoadGen -c Release -v q -nologo >/dev/null
firebreak=src/Firebreak.Cli/bin/Release/net10.0/firebreak
loadgen=bench/Firebreak.LoadGen/bin/Release/net10.0/firebreak-loadgen

work=$(mktemp -d /tmp/firebreak-bench.XXXXXX)
server_pid=""
pgroot=""
pgbin=""
as_pg=()
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -n "$pgroot" ]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgroot/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgroot"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB memory, $(dotnet --version) SDK, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"

start_server() { # database options...
  local port
  port=$(free_port 15080)
  url="http://127.0.0.1:$port"
  # The default per-caller rate limit protects the API from one noisy person; a benchmark measures the engine.
  # The API-key cache is off by default (revocations apply at once); the measured figures had it at 5 s.
  "$firebreak" serve --urls "$url" "$@" \
    --Firebreak:RateLimit:RequestsPerSecond=1000000 --Firebreak:RateLimit:Burst=1000000 \
    --Firebreak:Identity:ApiKeyCacheSeconds=5 \
    --Logging:LogLevel:Default=Warning >"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fs "$url/health/live" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; return 1; }
    sleep 0.2
  done
  echo "firebreak serve did not come up" >&2
  return 1
}

failures=0
# A failed step (a 5xx, a time-out) is reported with the server's own log and the run goes on to the next step.
step() {
  if ! "$loadgen" "$@"; then
    failures=$((failures + 1))
    echo "[bench] step failed; the server's log ends with:" >&2
    tail -n 60 "$work/serve.log" >&2
  fi
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_database() { # name, baseline options, firebreak database options...
  local name=$1 baseline=$2
  shift 2
  log "$name: bootstrap and API key"
  "$firebreak" admin bootstrap --tenant Bench --email bench@bench.example "$@" >/dev/null
  key=$("$firebreak" admin create-api-key --name bench --role responder "$@" | awk '/Key:/ {print $2}')
  export FIREBREAK_API_KEY=$key
  start_server "$@"

  log "$name: plain INSERT baseline (no dedup, no HTTP, no ORM), $baseline_rows rows, 2,000 per commit"
  # shellcheck disable=SC2086
  step baseline $baseline --count "$baseline_rows" --batch-size 2000 --label "$name baseline plain INSERT"

  for batch in 1000 2000 5000; do
    log "$name: batch intake, 4 connections, $batch alerts per request, 20% repeats, ${seconds} s"
    step batch --url "$url" --server-pid "$server_pid" --connections 4 --batch-size "$batch" --repeat-share 0.2 --seconds "$seconds" --label "$name batch $batch"
  done
  log "$name: batch intake without repeats (2,000 per request) for the cost of deduplicating vs inserting"
  step batch --url "$url" --server-pid "$server_pid" --connections 4 --batch-size 2000 --repeat-share 0 --seconds "$seconds" --label "$name batch 2000 no repeats"

  log "$name: single-alert POSTs, $single_connections connections, 20% repeats, ${seconds} s"
  step single --url "$url" --server-pid "$server_pid" --connections "$single_connections" --repeat-share 0.2 --seconds "$seconds" --label "$name single"

  log "$name: loading $list_alerts unique alerts through the batch endpoint (10,000 per request, 2 connections)"
  step load --url "$url" --server-pid "$server_pid" --connections 2 --batch-size 10000 --count "$list_alerts" --label "$name load"

  log "$name: alert list, new and high or worse, random page 1-20 of 50, 4 connections, ${seconds} s"
  step list --url "$url" --server-pid "$server_pid" --connections 4 --pages 20 --seconds "$seconds" --label "$name list"
  step list --url "$url" --server-pid "$server_pid" --connections 4 --pages 20 --seconds "$seconds" --text "Tor exit" --label "$name list q=Tor exit"
  stop_server
}

for database in $databases; do
  case "$database" in
    sqlite)
      mkdir -p "$work/sqlite"
      run_database SQLite "--sqlite $work/sqlite/firebreak.db" --data-dir "$work/sqlite"
      ;;
    postgres)
      pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
      [ -x "$pgbin/initdb" ] || { echo "PostgreSQL server binaries are missing: apt-get install postgresql" >&2; exit 2; }
      pgroot=$(mktemp -d /tmp/firebreak-bench-pg.XXXXXX)
      if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$pgroot"
        as_pg=(runuser -u postgres --)
      fi
      pgport=$(free_port 56500)
      "${as_pg[@]}" "$pgbin/initdb" -D "$pgroot/data" -U postgres -A trust >/dev/null
      # Durable defaults (fsync and synchronous_commit on): an acknowledged alert must survive a crash here too.
      "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgroot/data" -l "$pgroot/server.log" -w \
        -o "-p $pgport -k $pgroot -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_connections=200" start >/dev/null
      run_database PostgreSQL "--postgres Host=127.0.0.1;Port=$pgport;Username=postgres;Database=firebreak" \
        --postgres "Host=127.0.0.1;Port=$pgport;Username=postgres;Database=firebreak"
      ;;
    *) echo "unknown database '$database' (sqlite, postgres)" >&2; exit 2 ;;
  esac
done
log "done, $failures failed step(s)"
[ "$failures" -eq 0 ]
