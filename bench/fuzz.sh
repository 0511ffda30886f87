#!/usr/bin/env bash
# Runs plusk's fuzz targets (fuzz/, cargo-fuzz + libFuzzer), one after the other.
#
#   bench/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
#   SECONDS_PER_TARGET  how long each target fuzzes (libFuzzer -max_total_time); default 60
#   TARGET...           any of: classify handle_topic cursor canonical_json import_line;
#                       default all of them
#
# Examples:  bench/fuzz.sh                 # every target, 60 s each
#            bench/fuzz.sh 300 cursor      # one target, 5 minutes
#
# Needs a nightly toolchain (cargo-fuzz builds with -Zsanitizer flags); cargo-fuzz itself is
# installed from crates.io if missing. Environment:
#   FUZZ_TOOLCHAIN   rustup toolchain to build with (default: nightly)
#   FUZZ_SANITIZER   address, leak, memory, thread or none (default: none; plusk is safe Rust,
#                    so what the targets look for is panics, and without ASan a run executes
#                    several times more inputs and builds faster)
#   FUZZ_FLAGS       extra libFuzzer flags, e.g. "-max_len=8192"
#   CARGO_TARGET_DIR where to build (default: fuzz/target)
# Builds and runs are niced, and one fuzzer process runs at a time (--jobs 1).
#
# Corpora grow under fuzz/corpus/<target> (git-ignored), starting from the committed seeds in
# fuzz/seeds/<target> (the classify corpus also gets every line of the tuning corpus in
# tests/data); fuzz/dicts/<target>.dict, where present, is passed as a libFuzzer dictionary.
# Crashing inputs are written to fuzz/artifacts/<target>/ and each run's log to
# fuzz/logs/<target>.log. Reproduce a crash with
#   cargo +nightly fuzz run --sanitizer none <target> fuzz/artifacts/<target>/crash-...
# and shrink it with `cargo +nightly fuzz tmin --sanitizer none <target> <file>`; then add it to
# tests/fuzz_regressions.rs.
#
# Prints one summary line per target (runs executed, crashes) and exits non-zero if any target
# crashed or failed to run.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/fuzz"
all_targets=(classify handle_topic cursor canonical_json import_line)

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    if ! printf '%s\n' "${all_targets[@]}" | grep -qx -- "$t"; then
        echo "unknown target '$t' (known: ${all_targets[*]})" >&2
        exit 2
    fi
done

toolchain="${FUZZ_TOOLCHAIN:-nightly}"
sanitizer="${FUZZ_SANITIZER:-none}"
read -r -a extra_flags <<<"${FUZZ_FLAGS:-}"

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    nice -n 10 cargo install cargo-fuzz --locked
fi

cd "$fuzz"
echo "== building fuzz targets (toolchain $toolchain, sanitizer $sanitizer)"
nice -n 10 cargo "+$toolchain" fuzz build --sanitizer "$sanitizer"

mkdir -p logs
# The tuning sentences, one file each, make a good start for the classifier.
seed_classify() {
    local dir="$fuzz/corpus/classify" line name
    for f in "$root"/tests/data/written/*-tuning.tsv; do
        [ -f "$f" ] || continue
        while IFS=$'\t' read -r _ line; do
            [ -n "$line" ] || continue
            name="tsv-$(printf '%s' "$line" | sha1sum | cut -c1-16)"
            [ -e "$dir/$name" ] || printf '%s' "$line" >"$dir/$name"
        done <"$f"
    done
}

status=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    [ "$t" != classify ] || seed_classify
    before="$(ls "artifacts/$t" | sort)"
    log="logs/$t.log"
    echo "== fuzzing $t for ${seconds}s (log: fuzz/$log)"
    dict=()
    [ ! -f "dicts/$t.dict" ] || dict=("-dict=dicts/$t.dict")
    rc=0
    # First corpus directory: where new inputs go; the seeds are only read.
    nice -n 10 cargo "+$toolchain" fuzz run --sanitizer "$sanitizer" --jobs 1 "$t" \
        "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 "${dict[@]}" "${extra_flags[@]}" \
        >"$log" 2>&1 || rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
    [ -n "$runs" ] || runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n1)"
    new="$(comm -13 <(printf '%s\n' "$before") <(ls "artifacts/$t" | sort) | grep -v '^$' || true)"
    crashes="$(printf '%s' "$new" | grep -c . || true)"
    line="$t: ${seconds}s, ${runs:-?} runs, $crashes crashes, corpus $(ls "corpus/$t" | wc -l) files"
    if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
        status=1
        line="$line, exit $rc"
        for a in $new; do line="$line"$'\n'"    fuzz/artifacts/$t/$a"; done
        # The panic message, if any, for the summary.
        msg="$(grep -m1 -A1 "panicked at" "$log" | tail -n1 || true)"
        [ -z "$msg" ] || line="$line"$'\n'"    $msg"
    fi
    echo "$line"
    summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
