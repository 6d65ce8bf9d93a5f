#!/usr/bin/env bash
# Configures and builds servicebot into the directory $1 (default: build) with extra CMake
# arguments after it. Uses ccache when present (CMakeLists.txt picks it up).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
# Two jobs: Beast-heavy translation units need ~1 GiB each; this also bounds a 2-core machine.
cmake --build "$dir" -j "${SB_JOBS:-2}"
