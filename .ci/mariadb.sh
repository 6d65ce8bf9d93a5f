#!/usr/bin/env bash
# A private MariaDB server for the store tests: its own datadir, socket and port on 127.0.0.1,
# run as the current user, nothing shared with a system server (no Docker, no systemd).
#
#   eval "$(bash .ci/mariadb.sh start)"   # installs MariaDB if missing, starts the server, creates
#                                          # database sbtest and user sb/sb, prints
#                                          #   export SB_TEST_MYSQL='host=127.0.0.1;port=...;...'
#   ... run store_tests ...
#   bash .ci/mariadb.sh stop               # shuts the server down and removes its directory
#
# For failure tests (tests/e2e/mysql_outage_test.cpp), on a server of their own (own
# SB_MARIADB_DIR) so the shared one keeps running:
#   bash .ci/mariadb.sh pause              # shuts the server down, keeps datadir and port
#   eval "$(bash .ci/mariadb.sh resume)"   # starts it again on the same datadir and port,
#                                          # prints the same export line as start
#
# Only the export line goes to stdout (or `false` when start fails, so that the eval fails too);
# progress and errors go to stderr. A server that cannot be installed or started is an error
# (exit 1), never a silent skip.
#
# Environment:
#   SB_MARIADB_DIR   where the datadir, socket, pid and log live (default:
#                    /dev/shm/servicebot-mariadb-<uid>, else $TMPDIR/servicebot-mariadb-<uid>)
#   SB_MARIADB_PORT  TCP port (default: the first free one from 3307 up)
set -euo pipefail

# In memory when possible: the suite creates and drops a database per test case, and each
# CREATE / DROP TABLE syncs files; on tmpfs those syncs cost nothing (about 10x faster here).
if [ -z "${SB_MARIADB_DIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  base=/dev/shm/servicebot-mariadb-$(id -u)
else
  base=${SB_MARIADB_DIR:-${TMPDIR:-/tmp}/servicebot-mariadb-$(id -u)}
fi
datadir=$base/data
socket=$base/mariadb.sock
pidfile=$base/mariadb.pid
logfile=$base/mariadb.log
portfile=$base/port
database=sbtest
user=sb
password=sb

say() { echo "mariadb.sh: $*" >&2; }
die() {
  say "$*"
  # For `eval "$(bash .ci/mariadb.sh start)"`: eval ignores the status of the command
  # substitution, but not that of `false`, so a failed start fails a `set -e` caller too.
  echo false
  exit 1
}

# The root client over the private socket; --no-defaults keeps /etc/mysql/my.cnf out of it.
root_sql() { mariadb --no-defaults --protocol=socket --socket="$socket" -uroot "$@"; }

install_if_missing() {
  if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; then
    return
  fi
  say "installing MariaDB"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # The -core packages: the server and client binaries without the service scripts, so no system
  # server is started on port 3306 behind our back.
  $sudo apt-get update -qq >&2
  $sudo apt-get install -y -qq --no-install-recommends mariadb-server-core mariadb-client-core >&2
  command -v mariadbd >/dev/null || die "mariadbd is still missing after apt-get install"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the port to use; fails (in a command substitution, so no die here) when there is none.
pick_port() {
  if [ -n "${SB_MARIADB_PORT:-}" ]; then
    port_in_use "$SB_MARIADB_PORT" && return 1
    echo "$SB_MARIADB_PORT"
    return 0
  fi
  local p
  for p in $(seq 3307 3399); do
    if ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

server_pid() { [ -s "$pidfile" ] && cat "$pidfile"; }

# Shuts the server down (SIGTERM: a clean InnoDB shutdown), killing it after 30 s.
shutdown_server() {
  local pid
  pid=$(server_pid || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "server $pid did not stop in 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

stop_server() {
  shutdown_server
  rm -rf "$base"
}

# Runs mariadbd on the existing datadir and waits until root can log in over the socket.
launch_server() {
  local me port=$1
  me=$(id -un)
  say "starting on 127.0.0.1:$port"
  # --user is required to run as root at all; as another user it is a no-op.
  # The server speaks utf8mb4 with binary collation by default, like the schema expects.
  # innodb_flush_log_at_trx_commit=2 trades power-loss durability (irrelevant for a scratch
  # server) for fewer fsyncs when the datadir is on disk.
  mariadbd --no-defaults --user="$me" --datadir="$datadir" --socket="$socket" --pid-file="$pidfile" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$logfile" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2 \
    --performance-schema=OFF --skip-log-bin --max-connections=200 \
    </dev/null >/dev/null 2>&1 &
  local launcher=$!

  for _ in $(seq 1 600); do
    if root_sql -e 'SELECT 1' >/dev/null 2>&1; then break; fi
    if ! kill -0 "$launcher" 2>/dev/null; then
      die "mariadbd exited during start-up: $(tail -n 30 "$logfile" 2>/dev/null)"
    fi
    sleep 0.1
  done
  root_sql -e 'SELECT 1' >/dev/null 2>&1 || die "mariadbd did not answer within 60 s: $(tail -n 30 "$logfile")"
}

start() {
  install_if_missing
  # A server left over from an earlier run that never called stop: replace it.
  stop_server
  mkdir -p "$base"
  local me port
  me=$(id -un)
  port=$(pick_port) || die "no free port (SB_MARIADB_PORT=${SB_MARIADB_PORT:-unset}, else 3307..3399)"
  echo "$port" >"$portfile"

  say "initialising $datadir"
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal --skip-test-db \
    --datadir="$datadir" --user="$me" >"$base/install.log" 2>&1 ||
    die "mariadb-install-db failed: $(tail -n 20 "$base/install.log")"

  launch_server "$port"

  # Every test case creates its own database named sbtest_<...> (tests/store/mysql_backend.cpp),
  # hence the grant on the pattern rather than on sbtest alone.
  root_sql <<SQL || die "creating the database and user failed"
CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$database%\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$database%\`.* TO '$user'@'localhost';
SQL
  say "ready (log: $logfile)"
  echo "export SB_TEST_MYSQL='host=127.0.0.1;port=$port;user=$user;password=$password;database=$database'"
}

# The server of an earlier start, shut down by pause: same datadir, same port, so clients that
# kept the address (a running servicebot) find it again.
resume() {
  [ -d "$datadir" ] && [ -s "$portfile" ] || die "nothing to resume in $base (run start first)"
  local port pid
  port=$(cat "$portfile")
  pid=$(server_pid || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    say "already running (pid $pid)"
  else
    port_in_use "$port" && die "port $port is taken by another process"
    launch_server "$port"
  fi
  echo "export SB_TEST_MYSQL='host=127.0.0.1;port=$port;user=$user;password=$password;database=$database'"
}

case "${1:-}" in
  start) start ;;
  pause)
    shutdown_server
    say "paused (datadir kept in $base)"
    ;;
  resume) resume ;;
  stop)
    stop_server
    say "stopped"
    ;;
  *)
    echo "usage: $0 start|stop|pause|resume" >&2
    exit 2
    ;;
esac
