#!/usr/bin/env bash
# Runs one fuzz target briefly for the 'fuzz' test suite: TARGET SEEDS WORKDIR SECONDS [DICT].
set -euo pipefail

target="$1" seeds="$2" work="$3" seconds="$4" dict="${5:-}"

# New inputs go to a fresh copy of the seeds, so the run never edits the
# corpus in the source tree; crashes go to WORKDIR/artifacts/.
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"

echo "fuzz: running $(basename "$target") for ${seconds}s on $(ls "$work/corpus" | wc -l) seeds"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1"
dict_option=()
if [ -n "$dict" ] && [ -f "$dict" ]; then
    dict_option=(-dict="$dict")
fi
status=0
"$target" "$work/corpus" "${dict_option[@]}" \
    -max_total_time="$seconds" -runs=5000000 \
    -rss_limit_mb=2048 -timeout=10 -max_len=8192 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" || status=$?

# libFuzzer exits 77 on a crash by default, which meson reads as a
# skipped test, so every failure exits 1.
if [ "$status" -ne 0 ]; then
    echo "fuzz: $(basename "$target") failed with exit status $status;" \
        "reproduce with: $target $work/artifacts/<file>"
    ls -l "$work/artifacts"
    exit 1
fi
