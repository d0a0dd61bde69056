#!/usr/bin/env bash
# Runs every test of Firebreak. Installs PostgreSQL, Chromium and poppler-utils when they are missing (needs root for
# that), starts a throwaway PostgreSQL cluster on a free loopback port, runs the whole solution's
# tests, and ends with one line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test] %s\n' "$*"; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
bin=$(pg_bin)
{ [ -n "$bin" ] && [ -x "$bin/initdb" ]; } || missing+=(postgresql)
# The report tests render PDFs to text and images with poppler.
command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing ${missing[*]}: run as root so this script can install them, or install them yourself." >&2
    exit 2
  fi
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  bin=$(pg_bin)
fi

# A private cluster, thrown away afterwards. initdb refuses root, so run it as postgres then.
pgroot=$(mktemp -d /tmp/firebreak-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$pgroot"
  as_pg=(runuser -u postgres --)
fi
port=55432
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$pgroot/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgroot"
}
trap cleanup EXIT
"${as_pg[@]}" "$bin/initdb" -D "$pgroot/data" -U postgres -A trust --no-sync >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$pgroot/data" -l "$pgroot/server.log" -w \
  -o "-p $port -k $pgroot -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
export FIREBREAK_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Timeout=30"
log "PostgreSQL on 127.0.0.1:$port"

out=$(mktemp)
set +e
dotnet test Firebreak.slnx 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e

# The test platform ends with "total: N / failed: N / succeeded: N / skipped: N".
value() { grep -E "^\s*$1:\s*[0-9]+" "$out" | tail -n 1 | grep -oE '[0-9]+' || true; }
failed=$(value failed)
passed=$(value succeeded)
skipped=$(value skipped)
rm -f "$out"
if [ -z "$passed" ]; then
  echo "The tests did not run (build failure?)." >&2
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi
line="$passed passed, ${failed:-0} failed"
[ "${skipped:-0}" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
exit "$status"
