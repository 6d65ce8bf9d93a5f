#!/usr/bin/env bash
# Fuzzing (issue 8, tests/fuzz/README.md): builds the libFuzzer targets with clang and
# ASan + UBSan in build-fuzz, replays every regression input, then runs each target for
# FUZZ_SECONDS (default 60; CI uses 20) on its seed corpus, FUZZ_PARALLEL (default 2) at a time.
# A crash leaves its input in build-fuzz/artifacts/<target>/ and fails the script: fix the code,
# then copy the input into tests/fuzz/regressions/<target>/ so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
parallel=${FUZZ_PARALLEL:-2}
dir=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(wechat_xml wechat_decrypted form multipart mailgun twilio config staff_json dialog)

echo "== fuzz: build (clang, -fsanitize=fuzzer,address,undefined) in $dir"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSERVICEBOT_FUZZ=ON -DBUILD_TESTING=OFF -DSERVICEBOT_BENCH=OFF >/dev/null
cmake --build "$dir" -j "${SB_JOBS:-2}" --target fuzz_targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/fuzz/ubsan.supp}

echo "== fuzz: replay regressions"
for t in "${targets[@]}"; do
  mapfile -t files < <(find "tests/fuzz/regressions/$t" -type f ! -name .keep 2>/dev/null | sort)
  if ((${#files[@]})); then
    "$dir/tests/fuzz/fuzz_$t" "${files[@]}" >"$dir/replay_$t.log" 2>&1 ||
      { cat "$dir/replay_$t.log"; echo "fuzz: regression input of $t fails again"; exit 1; }
    echo "   $t: ${#files[@]} inputs ok"
  fi
done

run_one() {
  local t=$1 dir=$2 seconds=$3
  local work="$dir/corpus/$t" artifacts="$dir/artifacts/$t"
  mkdir -p "$work" "$artifacts"
  # New inputs go to the build dir's corpus (first directory); the repo's seeds stay untouched.
  if "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
       -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$work" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" >"$dir/fuzz_$t.log" 2>&1; then
    echo "   $t: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz_$t.log" | grep -o '[0-9]*$') runs)"
  else
    tail -n 60 "$dir/fuzz_$t.log"
    echo "   $t: FAILED — input in $artifacts/ (fix, then add it to tests/fuzz/regressions/$t/)"
    return 1
  fi
}
export -f run_one

echo "== fuzz: ${seconds}s per target, $parallel at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$parallel" -I{} bash -c 'run_one "$@"' _ {} "$dir" "$seconds"
echo "== fuzz: done"
