#!/usr/bin/env bash
# Installs every Debian 12 package servicebot needs to build, run and test. Idempotent: it
# only calls apt-get when something is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates tzdata curl openssl
  libboost1.74-dev rapidjson-dev libssl-dev libsqlite3-dev sqlite3 libpugixml-dev
  libkainjow-mustache-dev libphonenumber-dev libhowardhinnant-date-dev libspdlog-dev
  catch2 libcurl4-openssl-dev libmysqlcppconn-dev prometheus-cpp-dev libjemalloc-dev
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
