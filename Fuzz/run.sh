#!/usr/bin/env bash
# Fuzzes RefreshCore's parsers with libFuzzer, each harness for a bounded time.
#
#   Fuzz/run.sh HARNESS SECONDS [LIBFUZZER-OPTION...]   one harness
#   Fuzz/run.sh all SECONDS                              every harness, one after the other,
#                                                        then a table of the figures
#   Fuzz/run.sh build                                    build only
#
# Harnesses: policy scenario snap-yaml test-file proc snap-path. New inputs go to
# .work/corpus/HARNESS (the committed seeds in Corpus/HARNESS are only read), crashes, timeouts
# and out-of-memory inputs to .work/artifacts/, logs to .work/logs/. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")"

harnesses=(policy scenario snap-yaml test-file proc snap-path)
# Instrument every module, Swift and C (libyaml): coverage for libFuzzer, AddressSanitizer for
# memory errors.
# - `--sanitize fuzzer` tells SwiftPM that libFuzzer supplies main(), so it links the
#   harnesses as they are (it would otherwise point main at a `<module>_main` that
#   -parse-as-library never emits).
# - `-Xswiftc -sanitize=fuzzer,address` comes after SwiftPM's own -sanitize= flags: swiftc
#   keeps the instrumentation of the last one only, and `--sanitize address` as well would leave
#   the Swift code without coverage (libyaml's alone would guide the fuzzer).
# - `-Xcc -fsanitize=address` adds AddressSanitizer to libyaml.
# - `-enable-testing` lets the harnesses reach internal parsers (@testable import).
build_flags=(-c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address -Xswiftc -enable-testing)

usage() {
    echo "usage: $0 HARNESS SECONDS [LIBFUZZER-OPTION...] | all SECONDS | build" >&2
    echo "harnesses: ${harnesses[*]}" >&2
    exit 2
}

build() {
    echo "== building the harnesses (release, fuzzer + address sanitizers)" >&2
    swift build "${build_flags[@]}" >&2
    # snap-path calls no C code: coverage on its seeds means the Swift code is instrumented.
    local bin output
    bin="$(swift build "${build_flags[@]}" --show-bin-path)"
    output=$(ASAN_OPTIONS=detect_leaks=0 "$bin/fuzz-snap-path" -runs=0 Corpus/snap-path 2>&1 || true)
    if ! grep -q 'INITED cov: [1-9]' <<<"$output"; then
        echo "error: the Swift code is not instrumented for coverage; check the -sanitize= flags" >&2
        exit 1
    fi
}

# The longest input each harness is given: the YAML parsers refuse files over 1 MiB anyway;
# shorter inputs keep executions fast, and structure matters more than size here.
max_len() {
    case "$1" in
        proc|snap-path) echo 4096 ;;
        *) echo 16384 ;;
    esac
}

run() {
    local harness=$1 seconds=$2
    shift 2
    local binary
    binary="$(swift build "${build_flags[@]}" --show-bin-path)/fuzz-$harness"
    [[ -x $binary ]] || { echo "error: $binary is not built" >&2; exit 2; }
    mkdir -p ".work/corpus/$harness" .work/artifacts .work/logs
    local dict=()
    case "$harness" in proc|snap-path) ;; *) dict=(-dict=yaml.dict) ;; esac
    echo "== fuzz-$harness for ${seconds}s" >&2
    # -timeout: an input that takes longer than 5 s is saved as a timeout (a parser is meant to
    # be linear); -rss_limit_mb: one that needs more than 2 GiB as an out-of-memory input.
    # ASan's leak check is off: Swift's runtime caches (metadata, strings) look like leaks.
    ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$binary" \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len="$(max_len "$harness")" \
        -print_final_stats=1 -report_slow_units=1 "${dict[@]}" \
        -artifact_prefix=".work/artifacts/$harness-" "$@" \
        ".work/corpus/$harness" "Corpus/$harness" 2>&1 | tee ".work/logs/$harness.log"
}

summary() {
    printf '%-10s %12s %8s %6s %7s %6s %s\n' harness executions exec/s cov features corpus "crashes/timeouts/ooms"
    for harness in "${harnesses[@]}"; do
        local log=".work/logs/$harness.log"
        [[ -f $log ]] || continue
        local runs rate cov ft corp found
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        found=$(find .work/artifacts -name "$harness-*" | sed 's|.*/||' | sed "s/^$harness-//; s/-.*//" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
        printf '%-10s %12s %8s %6s %7s %6s %s\n' "$harness" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${found:-none}"
    done
}

[[ $# -ge 1 ]] || usage
case "$1" in
    build)
        build ;;
    all)
        [[ $# -eq 2 ]] || usage
        build
        for harness in "${harnesses[@]}"; do
            run "$harness" "$2" || echo "== fuzz-$harness stopped: see .work/logs/$harness.log and .work/artifacts/" >&2
        done
        summary ;;
    *)
        [[ $# -ge 2 ]] || usage
        [[ " ${harnesses[*]} " == *" $1 "* ]] || usage
        build
        run "$@" || { echo "== fuzz-$1 stopped: see .work/artifacts/" >&2; summary; exit 1; }
        summary ;;
esac
