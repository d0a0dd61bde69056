#!/usr/bin/env bash
# Reading compressed CloudTrail: firebreak hunt over the same delivery files compressed with gzip, bzip2, xz and zstd
# (each file on its own, as log rotation and per-file compression leave them, and once more as one tarball of each),
# against jq behind the matching decompressor (zcat, bzcat, xzcat, zstdcat), in one run so all see the same machine load.
# Prints wall time, MB/s of uncompressed JSON, CPU share and peak RSS.
#
#   scripts/bench-compressed.sh                 # 100,000 events, about 110 MB of JSON
#   EVENTS=300000 scripts/bench-compressed.sh
#   SIGMA_RULES=path/to/sigma/rules/cloud scripts/bench-compressed.sh
#
# Installs jq, GNU time, bzip2, xz-utils and zstd with apt-get when missing (needs root for that).
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-100000}
tools=(jq:jq bzip2:bzip2 xz:xz-utils zstd:zstd)
source scripts/bench-hunting-setup.sh

log "generating $EVENTS events and compressing them four ways"
"${generate[@]}" "$work/plain" "$EVENTS" >&2
plain_bytes=$(find "$work/plain" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
declare -A tool=([gz]="gzip -6" [bz2]="bzip2 -9" [xz]="xz -6" [zst]="zstd -q --rm -3")
declare -A cat=([gz]=zcat [bz2]=bzcat [xz]=xzcat [zst]=zstdcat)
for k in gz bz2 xz zst; do
  cp -r "$work/plain" "$work/$k"
  find "$work/$k" -type f -print0 | xargs -0 ${tool[$k]}
  tar -C "$work/plain" -cf - . | ${tool[$k]%% *} -c > "$work/all.tar.$k"
done

# Runs a command under GNU time and prints one line: name, wall time, MB/s of the uncompressed JSON, CPU, peak RSS.
measure() { # name compressed_bytes output command...
  local name=$1 bytes=$2 out=$3; shift 3
  /usr/bin/time -v -o "$work/time.txt" "$@" >"$out" 2>"$out.err" || true
  awk -v n="$name" -v b="$plain_bytes" -v c="$bytes" -F': ' '
    /Elapsed \(wall clock\)/ {k=split($2,p,":"); s=0; for(i=1;i<=k;i++) s=s*60+p[i]}
    /Percent of CPU/ {cpu=$2}
    /Maximum resident set size/ {r=$2}
    END {printf "%-30s %7.2f s %8.1f MB/s %5s CPU %7.1f MB peak RSS  (%.1f MB compressed)\n", n, s, b/1048576/s, cpu, r/1024, c/1048576}' "$work/time.txt"
}

jq_filter='.Records[] | select(.eventName=="StopLogging")'
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores; $EVENTS events, $(awk -v b="$plain_bytes" 'BEGIN {printf "%.0f MB", b/1048576}') of JSON"
for k in gz bz2 xz zst; do
  bytes=$(find "$work/$k" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  measure "jq via ${cat[$k]}" "$bytes" "$work/jq.$k" bash -c "find '$work/$k' -type f -print0 | xargs -0 ${cat[$k]} | jq -c '$jq_filter'"
  measure "firebreak hunt, .$k files" "$bytes" "$work/fb.$k" "${firebreak[@]}" hunt "$work/$k" "${rules_args[@]}" --output jsonl
  measure "firebreak hunt, .tar.$k" "$(stat -c %s "$work/all.tar.$k")" "$work/fbt.$k" "${firebreak[@]}" hunt "$work/all.tar.$k" "${rules_args[@]}" --output jsonl
  echo "  hits: $(grep -c . "$work/fb.$k" || true) from the files, $(grep -c . "$work/fbt.$k" || true) from the tarball; jq: $(grep -c . "$work/jq.$k" || true)"
done
