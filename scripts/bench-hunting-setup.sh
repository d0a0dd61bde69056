# Sourced by the hunting benchmarks (bench-hunt.sh, bench-compressed.sh) from the repository's root: installs the
# tools they need when missing (with apt-get; needs root for that), finds the SigmaHQ cloud rules, makes a work folder
# removed on exit, and builds the CLI and the log generator in Release. Before sourcing, set `tools` to the packages to
# install when missing, as "command:package" pairs.
log() { printf '[bench] %s\n' "$*" >&2; }

missing=()
[ -x /usr/bin/time ] || missing+=(time)
for pair in "${tools[@]}"; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# The SigmaHQ rules are not part of the repository; look for them beside an ancestor, as the tests do.
if [ -z "${SIGMA_RULES:-}" ]; then
  dir=$(pwd)
  while [ "$dir" != "/" ]; do
    if [ -d "$dir/shared/data/sigma-cloud/rules/cloud" ]; then SIGMA_RULES="$dir/shared/data/sigma-cloud/rules/cloud"; break; fi
    dir=$(dirname "$dir")
  done
fi
rules_args=()
if [ -n "${SIGMA_RULES:-}" ]; then rules_args=(--rules "$SIGMA_RULES"); else log "SigmaHQ rules not found: built-in pack only"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/firebreak-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "building (Release)"
dotnet build src/Firebreak.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/Firebreak.LogGenerator -c Release -v q -nologo >/dev/null
firebreak=(dotnet src/Firebreak.Cli/bin/Release/net10.0/firebreak.dll)
generate=(dotnet bench/Firebreak.LogGenerator/bin/Release/net10.0/Firebreak.LogGenerator.dll)
