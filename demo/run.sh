#!/usr/bin/env bash
# Command 1 of the README: install what is needed, build, and start servicebot on the embedded
# SQLite store with the demo config (listens on 127.0.0.1:8080; Ctrl-C stops it cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
bash .ci/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
mkdir -p var
exec ./build/bot/servicebot --config demo/servicebot.json
