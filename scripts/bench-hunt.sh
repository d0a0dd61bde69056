#!/usr/bin/env bash
# Macro benchmark of `firebreak hunt` against jq on the same CloudTrail delivery files, in one run so
# that both see the same machine load. Generates the files (plain, then gzipped) with the attack
# simulator, runs jq with one StopLogging filter and firebreak hunt with the built-in pack plus the
# SigmaHQ cloud rules (as JSON lines, and as the table and json outputs, which keep every hit), and
# prints wall time, events/s, MB/s, CPU use and peak RSS for each.
#
#   scripts/bench-hunt.sh                 # about 1 GB of JSON
#   EVENTS=200000 scripts/bench-hunt.sh   # smaller, for a quick look
#   SIGMA_RULES=path/to/sigma/rules/cloud scripts/bench-hunt.sh
#
# Installs jq and GNU time with apt-get when missing (needs root for that).
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-900000}
tools=(jq:jq)
source scripts/bench-hunting-setup.sh

log "generating $EVENTS events, plain and gzipped"
"${generate[@]}" "$work/plain" "$EVENTS" >&2
"${generate[@]}" "$work/gz" "$EVENTS" gz >&2
plain_bytes=$(find "$work/plain" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
gz_bytes=$(find "$work/gz" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

# Runs a command under GNU time; prints "seconds cpu% peak_kb".
measure() {
  local out=$1; shift
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$out" 2>"$out.err" || true
  local wall cpu rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time.txt")
  cpu=$(awk -F': ' '/Percent of CPU/ {gsub("%","",$2); print $2}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  echo "$wall $cpu $rss"
}

report() { # name seconds cpu rss bytes events
  awk -v n="$1" -v s="$2" -v c="$3" -v r="$4" -v b="$5" -v e="$6" 'BEGIN {
    printf "%-28s %8.2f s %12.0f events/s %8.1f MB/s %6s%% CPU %8.1f MB peak RSS\n", n, s, e/s, b/1048576/s, c, r/1024 }'
}

jq_filter='.Records[] | select(.eventName=="StopLogging")'
log "jq, plain"
read -r jq_s jq_cpu jq_rss < <(measure "$work/jq.out" bash -c "find '$work/plain' -type f -name '*.json' -print0 | xargs -0 jq -c '$jq_filter'")
log "jq, gzipped"
read -r jqz_s jqz_cpu jqz_rss < <(measure "$work/jqz.out" bash -c "find '$work/gz' -type f -name '*.json.gz' -print0 | xargs -0 zcat | jq -c '$jq_filter'")
log "firebreak hunt, plain"
read -r fb_s fb_cpu fb_rss < <(measure "$work/fb.out" "${firebreak[@]}" hunt "$work/plain" "${rules_args[@]}" --output jsonl)
log "firebreak hunt, gzipped"
read -r fbz_s fbz_cpu fbz_rss < <(measure "$work/fbz.out" "${firebreak[@]}" hunt "$work/gz" "${rules_args[@]}" --output jsonl)

# The outputs that need every hit before writing the first (sorted by time): the table (the default)
# and json. Their hits are kept on disk, so peak memory must not grow with the number of hits.
log "firebreak hunt, plain, table output"
read -r tab_s tab_cpu tab_rss < <(measure "$work/table.out" "${firebreak[@]}" hunt "$work/plain" "${rules_args[@]}")
log "firebreak hunt, plain, json output"
read -r js_s js_cpu js_rss < <(measure "$work/json.out" "${firebreak[@]}" hunt "$work/plain" "${rules_args[@]}" --output json)

# The jq query as the only rule: the same work as jq, and the raw pre-filter applies.
mkdir -p "$work/one-rule"
cat >"$work/one-rule/stop_logging.yml" <<'YAML'
title: StopLogging
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
YAML
log "firebreak hunt, plain, the jq query as the only rule"
read -r one_s one_cpu one_rss < <(measure "$work/one.out" "${firebreak[@]}" hunt "$work/plain" --no-builtin --rules "$work/one-rule" --output jsonl)

events=$(grep -oE '[0-9,]+ events in' "$work/fb.out.err" | tail -n 1 | tr -d ',' | grep -oE '^[0-9]+')
rules=$(grep -c . "$work/fb.out" || true)

echo
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "data: $events CloudTrail events, $(awk -v b="$plain_bytes" 'BEGIN {printf "%.0f MB", b/1048576}') plain, $(awk -v b="$gz_bytes" 'BEGIN {printf "%.0f MB", b/1048576}') gzipped"
echo "jq StopLogging matches: $(grep -c . "$work/jq.out" || true); firebreak hits: $rules"
report "jq (plain)" "$jq_s" "$jq_cpu" "$jq_rss" "$plain_bytes" "$events"
report "jq (gzip, via zcat)" "$jqz_s" "$jqz_cpu" "$jqz_rss" "$plain_bytes" "$events"
report "firebreak hunt (plain)" "$fb_s" "$fb_cpu" "$fb_rss" "$plain_bytes" "$events"
report "firebreak hunt (gzip)" "$fbz_s" "$fbz_cpu" "$fbz_rss" "$plain_bytes" "$events"
report "firebreak hunt (one rule)" "$one_s" "$one_cpu" "$one_rss" "$plain_bytes" "$events"
report "firebreak hunt (table)" "$tab_s" "$tab_cpu" "$tab_rss" "$plain_bytes" "$events"
report "firebreak hunt (json)" "$js_s" "$js_cpu" "$js_rss" "$plain_bytes" "$events"
awk -v a="$jq_s" -v b="$fb_s" -v c="$jqz_s" -v d="$fbz_s" 'BEGIN { printf "throughput vs jq: %.1fx plain, %.1fx gzip\n", a/b, c/d }'
awk -v a="$jq_s" -v b="$one_s" 'BEGIN { printf "throughput vs jq, same query: %.1fx\n", a/b }'
echo "firebreak summary (plain): $(tail -n 1 "$work/fb.out.err")"
echo "firebreak summary (one rule): $(tail -n 1 "$work/one.out.err")"
