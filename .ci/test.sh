#!/usr/bin/env bash
# Command 2 of the README: install, build and run the whole test suite, then the same suite
# built with AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
# Private MariaDB for the store suite on the MySQL backend (docs/mysql.md); stopped on exit.
eval "$(bash .ci/mariadb.sh start)"
trap 'bash .ci/mariadb.sh stop' EXIT

echo "== build (RelWithDebInfo)"
bash .ci/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON
echo "== tests"
(cd build && ctest --output-on-failure --timeout 900)

if [ "${SB_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  bash .ci/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSERVICEBOT_SANITIZE=address,undefined -DBUILD_TESTING=ON
  echo "== tests under ASan + UBSan"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --timeout 900)
fi

# ---- fuzzing (issue 8; tests/fuzz/README.md) --------------------------------------------
# clang + libFuzzer + ASan/UBSan in build-fuzz: regression inputs replayed, then every target
# fuzzed for FUZZ_SECONDS (20 s each in CI, 2 at a time: about 90 s plus the clang build).
# SB_SKIP_FUZZ=1 skips it locally.
if [ "${SB_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing"
  FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash .ci/fuzz.sh
fi
