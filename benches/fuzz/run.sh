#!/usr/bin/env bash
# The long fuzz runs: every target of host/fuzz for EXECUTIONS inputs
# (default 10,000,000) after its committed seeds, with a 10 s timeout per input
# and a 2 GiB RSS cap. Prints a table (target, executions, seconds, executions
# per second, peak RSS) and exits non-zero if any target crashed, timed out or
# ran out of memory; libFuzzer then names the input it saved.
#   benches/fuzz/run.sh [EXECUTIONS] [TARGET ...]
# Builds with cargo fuzz (installed under target/tools if missing), without a
# sanitizer: the server's code denies unsafe except in four modules (the Opus
# bindings, the two io_uring modules and the loading of compiled components), of
# which the targets reach only the Opus bindings. What a run looks for is
# panics, overflows, hangs and unbounded memory. Also without comparison
# tracing, where half of the SIP endpoint target's time went: coverage still
# guides the runs, and the seeds already hold the keywords the tracing would
# find. That build has a target directory of its own (target/fuzz-long, with the
# corpora, logs and crashing inputs), apart from the test suite's traced one
# (target/fuzz).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-10000000}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\([a-z0-9_]*\)"$/\1/p' host/fuzz/Cargo.toml | grep -v '^switchyard-fuzz$')
fi

version=0.13.2
tools=target/tools/cargo-fuzz-$version
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --locked --version "$version" --root "$tools"
fi
out=target/fuzz-long
"$tools/bin/cargo-fuzz" fuzz build --fuzz-dir host/fuzz --sanitizer none --no-trace-compares \
  --target-dir "$out"
bin=$out/$(rustc -vV | sed -n 's/^host: //p')/release

status=0
printf '| target | executions | seconds | executions/s | peak RSS MiB | result |\n|---|---:|---:|---:|---:|---|\n'
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  artifacts=$out/artifacts/$target/
  mkdir -p "$corpus" "$artifacts"
  log=$out/$target.log
  # The SIP parsers' seeds include RFC 4475's torture messages, kept with the
  # SIP crate's tests.
  extra=()
  [ "$target" = sip_message ] && extra=(host/sip/tests/rfc4475)
  started=$(date +%s%N)
  if "$bin/$target" "$corpus" "host/fuzz/seeds/$target" "${extra[@]}" -runs="$runs" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1; then
    result=clean
  else
    result="FAILED: see $log"
    status=1
  fi
  seconds=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  printf '| %s | %s | %.0f | %.0f | %s | %s |\n' "$target" "${executed:-?}" "$seconds" \
    "$(awk -v n="${executed:-0}" -v s="$seconds" 'BEGIN { printf "%d", n / s }')" "${rss:-?}" "$result"
done
exit $status
