#!/usr/bin/env bash
# The other figures of docs/performance.md (issue 7), each measured in one session:
#
#   bench/figures.sh                       # every section
#   SECTIONS="ceiling scaling" bench/figures.sh
#
#   ceiling   full path vs bench/ceiling_server (signature check + empty TwiML + REST reply,
#             no dialog, no store), SMS, alternating A B, PAIRS pairs
#   scaling   WeChat (passive replies) at 1, 10, 100, 1000, 10000 concurrent conversations
#   history   intake over SMS on an empty store vs one seeded with HISTORY tickets
#             (bench/seed_history; seeded once, copied for each run)
#   live      peak RSS with LIVE open conversations (each customer stops after 2 turns)
#
# Knobs: PAIRS=3 DURATION=20 WARMUP=3 CONVERSATIONS=200 HISTORY=1000000 LIVE=100000 JOBS=2 PIN=1
#        LOG_LEVEL=info BUILD=build-bench OUT=/tmp/servicebot-figures-<stamp>
#        BUILD_TYPE=Release (an existing tree of another type is reused as it is) SKIP_BUILD=1
#        HISTORY_NOINDEX=1: in history, a third round on the seeded store with schema version 3's
#          indexes dropped (what the store looked like before them)
#        SEED=path/to/servicebot.db: a seeded store to reuse (copied, never written)
#        STORE=mysql: servicebot on a private MariaDB (.ci/mariadb.sh, SB_MARIADB_DIR defaults to
#          /tmp/servicebot-bench-mariadb; mariadbd itself is not pinned), a fresh database per run;
#          the history section needs SQLite (seed_history writes a SQLite file) and is skipped
#        SCALE_LEVELS="1 10 100 1000 10000" (empty: none) SCALE_THINK=1 (0: not the typing run)
#        SMS_REPLY=twiml: servicebot answers SMS in TwiML (channels.sms.reply); CEILING_TWIML=1 runs
#          both modes in the ceiling section
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECTIONS=${SECTIONS:-ceiling scaling history live}
SMS_REPLY=${SMS_REPLY:-rest}        # channels.sms.reply of every servicebot run over SMS (rest | twiml)
CEILING_TWIML=${CEILING_TWIML:-0}   # 1: the ceiling section also runs servicebot with reply "twiml"
STORE=${STORE:-sqlite}              # sqlite | mysql
SCALE_LEVELS=${SCALE_LEVELS-1 10 100 1000 10000}  # scaling: concurrent conversations, back to back
SCALE_THINK=${SCALE_THINK:-1}       # scaling: also 10 000 customers typing ~10 s per message
PAIRS=${PAIRS:-3}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-3}
CONVERSATIONS=${CONVERSATIONS:-200}
HISTORY=${HISTORY:-1000000}
LIVE=${LIVE:-100000}
JOBS=${JOBS:-2}
PIN=${PIN:-1}
LOG_LEVEL=${LOG_LEVEL:-info}
BUILD=${BUILD:-$ROOT/build-bench}
BUILD_TYPE=${BUILD_TYPE:-Release}
SKIP_BUILD=${SKIP_BUILD:-0}
OUT=${OUT:-/tmp/servicebot-figures-$(date +%Y%m%d-%H%M%S)}
PORT=${PORT:-8080}
GW_PORT=${GW_PORT:-4010}
SID=AC00000000000000000000000000000001
TOKEN=bench0auth0token0000000000000001
mkdir -p "$OUT"

if [ "$SKIP_BUILD" != 1 ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >"$OUT/cmake.log"
  cmake --build "$BUILD" -j"$JOBS" --target servicebot loadgen ceiling_server seed_history >"$OUT/build.log" \
    || { tail -30 "$OUT/build.log" >&2; exit 1; }
fi
LOADGEN=$BUILD/bench/loadgen

if [ "$STORE" = mysql ]; then
  export SB_MARIADB_DIR=${SB_MARIADB_DIR:-/tmp/servicebot-bench-mariadb}
  eval "$(bash "$ROOT/.ci/mariadb.sh" start)"
  # Stopped at the end: a server left running takes CPU from the next measurements.
  trap 'bash "$ROOT/.ci/mariadb.sh" stop >/dev/null 2>&1 || true' EXIT
  # SB_TEST_MYSQL is "host=..;port=..;user=..;password=..;database=.."; the user may create
  # databases named after that one.
  IFS=';' read -r -a dsn_parts <<<"$SB_TEST_MYSQL"
  declare -A dsn
  for part in "${dsn_parts[@]}"; do dsn[${part%%=*}]=${part#*=}; done
fi
store_block() {  # $1 = run directory: SQLite there, or a fresh (dropped and created) MariaDB database
  if [ "$STORE" != mysql ]; then
    echo "{ \"driver\": \"sqlite\", \"path\": \"$1/var/servicebot.db\" }"
    return
  fi
  local db="${dsn[database]}_bench"
  mariadb --protocol=tcp -h "${dsn[host]}" -P "${dsn[port]}" -u "${dsn[user]}" -p"${dsn[password]}" \
    -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" >&2
  echo "{ \"driver\": \"mysql\", \"host\": \"${dsn[host]}\", \"port\": ${dsn[port]}, \"user\": \"${dsn[user]}\", \"password\": \"${dsn[password]}\", \"database\": \"$db\", \"pool_size\": 4 }"
}
pin_server=""; pin_gen=()
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server="taskset -c 0 "; pin_gen=(taskset -c 1)
fi
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt"

sb_config() {  # $1 = run directory; the database is $1/var/servicebot.db; [$2 = SMS reply mode]
  mkdir -p "$1/var"
  local mode=${2:-$SMS_REPLY} reply=""
  [ "$mode" != rest ] && reply=", \"reply\": \"$mode\""
  cat >"$1/servicebot.json" <<EOF
{
  "listen": { "address": "127.0.0.1", "port": $PORT },
  "public_base_url": "http://127.0.0.1:$PORT",
  "default_language": "en", "timezone": "UTC", "log_level": "$LOG_LEVEL",
  "store": $(store_block "$1"),
  "limits": { "ip_per_second": 0, "max_connections": 200000 },
  "channels": {
    "sms": { "provider": "twilio", "account_sid": "$SID", "auth_token": "$TOKEN", "from": "+15005550006",
             "api_base": "http://127.0.0.1:$GW_PORT"$reply },
    "wechat": { "token": "benchtoken", "app_id": "wxbench000000000001", "app_secret": "bench-secret",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "api_base": "http://127.0.0.1:$GW_PORT" }
  },
  "catalog_file": "$ROOT/demo/catalog.json", "staff_file": "$ROOT/bench/data/staff.json",
  "rules_file": "$ROOT/demo/rules.json"
}
EOF
}

# loadgen against a fresh servicebot in $1 (config written unless it exists); extra args follow.
run_sb() {
  local dir=$1; shift
  [ -f "$dir/servicebot.json" ] || sb_config "$dir"
  "${pin_gen[@]}" "$LOADGEN" --peer servicebot --gateway-listen "127.0.0.1:$GW_PORT" --auth-token "$TOKEN" \
    --account-sid "$SID" --spawn "${pin_server}$BUILD/bot/servicebot --config $dir/servicebot.json" \
    --server-log "$dir/server.log" --wait-ready 120 "$@"
}

sms=(--channel sms --url "http://127.0.0.1:$PORT/webhooks/sms/twilio" --script "$ROOT/bench/scripts/servicebot-sms.json")
wechat=(--channel wechat --url "http://127.0.0.1:$PORT/webhooks/wechat" --script "$ROOT/bench/scripts/servicebot-wechat.json")

for section in $SECTIONS; do
  # A reused OUT must not mix an earlier session's runs into this one's medians.
  rm -f "$OUT/$section.jsonl"
  case $section in
  ceiling)
    echo "== ceiling: full path vs ceiling_server, SMS, $CONVERSATIONS conversations, ${DURATION} s"
    for i in $(seq 1 "$PAIRS"); do
      rm -rf "$OUT/ceil-sb-$i"
      run_sb "$OUT/ceil-sb-$i" "${sms[@]}" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" \
        | tee -a "$OUT/ceiling.jsonl"
      if [ "$CEILING_TWIML" = 1 ]; then  # the same with channels.sms.reply "twiml"
        rm -rf "$OUT/ceil-twiml-$i"; sb_config "$OUT/ceil-twiml-$i" twiml
        run_sb "$OUT/ceil-twiml-$i" "${sms[@]}" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" \
          --peer servicebot-twiml | tee -a "$OUT/ceiling.jsonl"
      fi
      "${pin_gen[@]}" "$LOADGEN" --peer ceiling "${sms[@]}" --no-ticket-check --gateway-listen "127.0.0.1:$GW_PORT" \
        -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" --server-log "$OUT/ceiling-$i.log" \
        --spawn "${pin_server}$BUILD/bench/ceiling_server --port $PORT --api-base http://127.0.0.1:$GW_PORT" \
        | tee -a "$OUT/ceiling.jsonl"
    done
    ;;
  scaling)
    echo "== scaling: WeChat passive replies, ${DURATION} s each"
    for c in $SCALE_LEVELS; do
      rm -rf "$OUT/scale-$c"
      run_sb "$OUT/scale-$c" "${wechat[@]}" -c "$c" -d "$DURATION" --warmup "$WARMUP" --timeout 30 --drain 30 \
        | tee -a "$OUT/scaling.jsonl"
    done
    # Real customers type: 10 000 of them at one message per ~10 s offer ~1 000 msgs/s.
    [ "$SCALE_THINK" = 1 ] || continue
    rm -rf "$OUT/scale-10000-think"
    run_sb "$OUT/scale-10000-think" "${wechat[@]}" -c 10000 --think 10 -d "$DURATION" --warmup 12 --timeout 30 \
      --drain 30 | tee -a "$OUT/scaling.jsonl"
    ;;
  history)
    if [ "$STORE" = mysql ]; then echo "== history: skipped (seed_history writes SQLite only)"; continue; fi
    echo "== history: SMS intake on an empty store vs $HISTORY stored tickets"
    seed=${SEED:-$OUT/seed/var/servicebot.db}
    if [ ! -f "$seed" ]; then
      mkdir -p "$OUT/seed/var"
      /usr/bin/time -f "seeded in %e s, max RSS %M KB" "$BUILD/bench/seed_history" --db "$seed" --tickets "$HISTORY" 2>&1 \
        | tail -3
    fi
    for i in $(seq 1 "$PAIRS"); do
      rm -rf "$OUT/hist-empty-$i" "$OUT/hist-full-$i"
      run_sb "$OUT/hist-empty-$i" "${sms[@]}" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" --peer empty-store \
        | tee -a "$OUT/history.jsonl"
      sb_config "$OUT/hist-full-$i"; cp "$seed" "$OUT/hist-full-$i/var/servicebot.db"
      run_sb "$OUT/hist-full-$i" "${sms[@]}" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" --peer "history-$HISTORY" \
        | tee -a "$OUT/history.jsonl"
      if [ "${HISTORY_NOINDEX:-0}" = 1 ]; then
        # Before schema version 3: its indexes dropped (the version stays 3, so nothing re-adds them).
        rm -rf "$OUT/hist-noindex-$i"; sb_config "$OUT/hist-noindex-$i"; cp "$seed" "$OUT/hist-noindex-$i/var/servicebot.db"
        sqlite3 "$OUT/hist-noindex-$i/var/servicebot.db" \
          "DROP INDEX IF EXISTS tickets_open_by_assignee; DROP INDEX IF EXISTS tickets_by_customer"
        run_sb "$OUT/hist-noindex-$i" "${sms[@]}" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP" \
          --peer "history-$HISTORY-without-v3-indexes" | tee -a "$OUT/history.jsonl"
      fi
    done
    ;;
  live)
    echo "== live: RSS with $LIVE open conversations (WeChat, 2 turns each, 1000 at a time)"
    rm -rf "$OUT/live"
    run_sb "$OUT/live" "${wechat[@]}" -c 1000 -d 3600 --warmup 0 --abandon-after 2 --total-dialogs "$LIVE" \
      --timeout 30 | tee -a "$OUT/live.jsonl"
    ;;
  *) echo "unknown section $section" >&2; exit 64 ;;
  esac
done

python3 - "$OUT" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    return [json.loads(l) for l in open(p) if l.strip().startswith('{')] if os.path.exists(p) else []
def med(rs, f): return statistics.median(f(r) for r in rs) if rs else float('nan')
c = load('ceiling.jsonl')
if c:
    full = [r for r in c if r['peer'] == 'servicebot']; ceil = [r for r in c if r['peer'] == 'ceiling']
    a, b = med(full, lambda r: r['msgs_per_s']), med(ceil, lambda r: r['msgs_per_s'])
    print(f"ceiling: full path {a:.0f} msgs/s, ceiling {b:.0f} msgs/s -> {100*a/b:.0f} % of the ceiling (target >= 50 %); "
          f"p99 {med(full, lambda r: r['webhook_ms']['p99']):.2f} vs {med(ceil, lambda r: r['webhook_ms']['p99']):.2f} ms")
for r in load('scaling.jsonl'):
    print(f"scaling: c={r['conversations']:>5} think={r.get('think_s', 0):>4} s  {r['msgs_per_s']:>8.1f} msgs/s  webhook p50 {r['webhook_ms'].get('p50',0):8.2f} "
          f"p99 {r['webhook_ms'].get('p99',0):8.2f} ms  errors {r['errors_total']}  rss {r['server']['peak_rss_mb']:.0f} MB")
h = load('history.jsonl')
if h:
    e = [r for r in h if r['peer'] == 'empty-store']
    a = med(e, lambda r: r['msgs_per_s'])
    for peer in sorted({r['peer'] for r in h} - {'empty-store'}):
        f = [r for r in h if r['peer'] == peer]
        b = med(f, lambda r: r['msgs_per_s'])
        print(f"history: empty {a:.0f} msgs/s, {peer} {b:.0f} msgs/s -> {100*b/a:.0f} % (target >= 80 %); "
              f"p99 {med(e, lambda r: r['webhook_ms'].get('p99', 0)):.2f} vs {med(f, lambda r: r['webhook_ms'].get('p99', 0)):.2f} ms, "
              f"errors {sum(r['errors_total'] for r in f)}")
for r in load('live.jsonl'):
    print(f"live: {r['dialogs_abandoned']} conversations left open, peak RSS {r['server']['peak_rss_mb']:.1f} MB, "
          f"errors {r['errors_total']}")
PY
echo "results: $OUT"
