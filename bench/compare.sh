#!/usr/bin/env bash
# servicebot vs the Botkit SMS peer, side by side in one session (issue 7).
#
#   bench/compare.sh                     # 3 pairs: A B A B A B, 200 conversations, 3 s + 30 s each
#   PAIRS=5 CONVERSATIONS=200 DURATION=30 bench/compare.sh
#
# What it does: builds servicebot and bench/ in Release (BUILD, default build-bench), installs the
# peer's node modules when missing (npm ci, as its README says), then alternates servicebot (A)
# and Botkit (B) under the same generator (bench/loadgen) with the same load over Twilio SMS:
# server on CPU 0, generator on CPU 1 (taskset), fresh database and process every run. Each run
# is one JSON line in $OUT/runs.jsonl; the end prints the medians and the ratios.
#
# Knobs: PAIRS=3 CONVERSATIONS=200 DURATION=30 WARMUP=3 JOBS=2 PIN=1 LOG_LEVEL=info
#        SB_SCRIPT=bench/scripts/servicebot-sms.json BK_SCRIPT=bench/scripts/botkit-sms.json
#        OUT=/tmp/servicebot-compare-<stamp>  PEER_DIR=../shared/peers/botkit-sms
#        BUILD_TYPE=Release (an existing tree of another type is reused as it is, e.g. RelWithDebInfo)
#        SKIP_BUILD=1 (use the binaries in BUILD as they are)
#        SB_BEFORE=/path/to/an/older/servicebot: a third side, "servicebot-before", run in the same
#          rotation (A B C A B C ...), so a change is measured before and after in one session
#        PEER=0: no Botkit side (servicebot against SB_BEFORE and/or SB_TWIML only, e.g. to A/B a
#          change quickly); the summary then prints servicebot's ratio to servicebot-before
#        SB_TWIML=1: one more side, "servicebot-twiml": the same binary with channels.sms.reply
#          "twiml" (replies in the webhook's TwiML answer instead of the REST API; docs/config.md)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PAIRS=${PAIRS:-3}
CONVERSATIONS=${CONVERSATIONS:-200}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-3}
JOBS=${JOBS:-2}
PIN=${PIN:-1}
LOG_LEVEL=${LOG_LEVEL:-info}
BUILD=${BUILD:-$ROOT/build-bench}
BUILD_TYPE=${BUILD_TYPE:-Release}
SKIP_BUILD=${SKIP_BUILD:-0}
SB_BEFORE=${SB_BEFORE:-}
SB_TWIML=${SB_TWIML:-0}
PEER=${PEER:-1}
PEER_DIR=${PEER_DIR:-$ROOT/../shared/peers/botkit-sms}
SB_SCRIPT=${SB_SCRIPT:-$ROOT/bench/scripts/servicebot-sms.json}
BK_SCRIPT=${BK_SCRIPT:-$ROOT/bench/scripts/botkit-sms.json}
OUT=${OUT:-/tmp/servicebot-compare-$(date +%Y%m%d-%H%M%S)}
SB_PORT=${SB_PORT:-8080}
BK_PORT=${BK_PORT:-3000}
GW_PORT=${GW_PORT:-4010}
SID=AC00000000000000000000000000000001
TOKEN=bench0auth0token0000000000000001
mkdir -p "$OUT"

if [ "$SKIP_BUILD" != 1 ]; then
  echo "== build ($BUILD_TYPE, $BUILD)" >&2
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >"$OUT/cmake.log"
  cmake --build "$BUILD" -j"$JOBS" --target servicebot loadgen >"$OUT/build.log" || { tail -30 "$OUT/build.log" >&2; exit 1; }
fi

if [ "$PEER" = 1 ] && { [ ! -f "$PEER_DIR/node_modules/.package-lock.json" ] || ! (cd "$PEER_DIR" && node -e "require('better-sqlite3')" 2>/dev/null); }; then
  echo "== installing the peer's node modules (npm ci)" >&2
  (cd "$PEER_DIR" && npm_config_yes=true npm ci --no-audit --no-fund >&2)
fi

pin_server=""; pin_gen=()
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server="taskset -c 0 "; pin_gen=(taskset -c 1)
fi

# servicebot's config for one run (fresh database directory each time).
sb_config() {  # $1 = run directory, [$2 = reply mode rest|twiml]
  local reply=""  # "rest" is the default: left out, so an older binary (SB_BEFORE) reads the config too
  [ "${2:-rest}" != rest ] && reply=", \"reply\": \"$2\""
  cat >"$1/servicebot.json" <<EOF
{
  "listen": { "address": "127.0.0.1", "port": $SB_PORT },
  "public_base_url": "http://127.0.0.1:$SB_PORT",
  "default_language": "en",
  "timezone": "UTC",
  "log_level": "$LOG_LEVEL",
  "store": { "driver": "sqlite", "path": "$1/var/servicebot.db" },
  "limits": { "ip_per_second": 0, "max_connections": 20000 },
  "channels": {
    "sms": { "provider": "twilio", "account_sid": "$SID", "auth_token": "$TOKEN",
             "from": "+15005550006", "api_base": "http://127.0.0.1:$GW_PORT"$reply }
  },
  "catalog_file": "$ROOT/demo/catalog.json",
  "staff_file": "$ROOT/bench/data/staff.json",
  "rules_file": "$ROOT/demo/rules.json"
}
EOF
}

common=(--channel sms --auth-token "$TOKEN" --account-sid "$SID" --bot-number +15005550006
        --gateway-listen "127.0.0.1:$GW_PORT" -c "$CONVERSATIONS" -d "$DURATION" --warmup "$WARMUP")

run_servicebot() {  # $1 = run number, [$2 = binary, $3 = peer name, $4 = reply mode]
  local binary=${2:-$BUILD/bot/servicebot} peer=${3:-servicebot}
  local dir="$OUT/$peer-$1"; rm -rf "$dir"; mkdir -p "$dir/var"; sb_config "$dir" "${4:-rest}"
  "${pin_gen[@]}" "$BUILD/bench/loadgen" "${common[@]}" --peer "$peer" --script "$SB_SCRIPT" \
    --url "http://127.0.0.1:$SB_PORT/webhooks/sms/twilio" \
    --spawn "${pin_server}$binary --config $dir/servicebot.json" --server-log "$dir/server.log" \
    --json "$dir/result.json" >/dev/null
  local tickets; tickets=$(sqlite3 "$dir/var/servicebot.db" "SELECT COUNT(*) FROM tickets" 2>/dev/null || echo -1)
  python3 - "$dir/result.json" "$tickets" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r['tickets_db'] = int(sys.argv[2]); json.dump(r, open(sys.argv[1], 'w'))
PY
  cat "$dir/result.json" >>"$OUT/runs.jsonl"; echo >>"$OUT/runs.jsonl"
}

run_botkit() {  # $1 = run number
  local dir="$OUT/bk-$1"; rm -rf "$dir"; mkdir -p "$dir"
  "${pin_gen[@]}" "$BUILD/bench/loadgen" "${common[@]}" --peer botkit --script "$BK_SCRIPT" \
    --url "http://127.0.0.1:$BK_PORT/api/messages" \
    --server-dir "$PEER_DIR" --spawn "${pin_server}env PORT=$BK_PORT HOST=127.0.0.1 WEBHOOK_PATH=/api/messages \
TWILIO_ACCOUNT_SID=$SID TWILIO_AUTH_TOKEN=$TOKEN TWILIO_NUMBER=+15005550006 \
TWILIO_VALIDATION_URL=http://127.0.0.1:$BK_PORT/api/messages TWILIO_API_BASE_URL=http://127.0.0.1:$GW_PORT \
DB_PATH=$dir/tickets.db node server.js" --server-log "$dir/server.log" \
    --json "$dir/result.json" >/dev/null
  local tickets; tickets=$(sqlite3 "$dir/tickets.db" "SELECT COUNT(*) FROM tickets" 2>/dev/null || echo -1)
  python3 - "$dir/result.json" "$tickets" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r['tickets_db'] = int(sys.argv[2]); json.dump(r, open(sys.argv[1], 'w'))
PY
  cat "$dir/result.json" >>"$OUT/runs.jsonl"; echo >>"$OUT/runs.jsonl"
}

: >"$OUT/runs.jsonl"
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt" >&2
for i in $(seq 1 "$PAIRS"); do
  echo "== pair $i/$PAIRS: servicebot ($(cut -d' ' -f1 /proc/loadavg))" >&2; run_servicebot "$i"
  if [ "$PEER" = 1 ]; then
    echo "== pair $i/$PAIRS: botkit ($(cut -d' ' -f1 /proc/loadavg))" >&2; run_botkit "$i"
  fi
  if [ -n "$SB_BEFORE" ]; then
    echo "== pair $i/$PAIRS: servicebot-before ($(cut -d' ' -f1 /proc/loadavg))" >&2
    run_servicebot "$i" "$SB_BEFORE" servicebot-before
  fi
  if [ "$SB_TWIML" = 1 ]; then
    echo "== pair $i/$PAIRS: servicebot-twiml ($(cut -d' ' -f1 /proc/loadavg))" >&2
    run_servicebot "$i" "$BUILD/bot/servicebot" servicebot-twiml twiml
  fi
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

python3 - "$OUT/runs.jsonl" "$OUT/machine.txt" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(open(sys.argv[2]).read().strip().lstrip('= '))
def line(r):
    w = r['webhook_ms']; p = r['reply_ms']
    return (f"{r['peer']:<10} msgs/s {r['msgs_per_s']:>8.1f}  dialogs/s {r['dialogs_per_s']:>7.1f}  "
            f"webhook p50/p99 {w.get('p50',0):>7.2f}/{w.get('p99',0):>8.2f} ms  reply p50/p99 {p.get('p50',0):>7.2f}/{p.get('p99',0):>8.2f} ms  "
            f"errors {r['errors_total']}  tickets {r['tickets']} (db {r.get('tickets_db')})  "
            f"rss {r['server']['peak_rss_mb']:.1f} MB  cpu {r['server']['cpu_s_window']:.1f} s  sig {r['signature_check']}")
for r in runs: print(line(r))
def med(peer, f):
    values = [f(r) for r in runs if r['peer'] == peer]
    return statistics.median(values) if values else float('nan')
keys = {
    'msgs/s': lambda r: r['msgs_per_s'],
    'dialogs/s': lambda r: r['dialogs_per_s'],
    'webhook p99 ms': lambda r: r['webhook_ms'].get('p99', 0),
    'reply p99 ms': lambda r: r['reply_ms'].get('p99', 0),
    'peak RSS MB': lambda r: r['server']['peak_rss_mb'],
    'CPU ms per msg': lambda r: 1000 * r['server']['cpu_s_window'] / max(1, r['msgs_per_s'] * r['duration_s']),
}
print(f"\nmedians of {sum(r['peer']=='servicebot' for r in runs)} pairs")
# Further sides (servicebot-before, servicebot-twiml): their medians and their ratio to Botkit.
others = [p for p in ('servicebot-before', 'servicebot-twiml') if any(r['peer'] == p for r in runs)]
print(f"{'':<16}{'servicebot':>12}{'botkit':>12}{'ratio':>10}  target      " +
      "".join(f"{p[11:]:>12}{'ratio':>9}" for p in others))
targets = {'msgs/s': ('sb/bk', '>= 20'), 'webhook p99 ms': ('bk/sb', '>= 30'), 'reply p99 ms': ('bk/sb', '>= 30'),
           'peak RSS MB': ('bk/sb', '>= 5'), 'dialogs/s': ('sb/bk', ''), 'CPU ms per msg': ('bk/sb', '')}
def ratio(a, b, how):
    return (a / b if how == 'sb/bk' else b / a) if a and b else float('nan')
for k, f in keys.items():
    a, b = med('servicebot', f), med('botkit', f)
    how, target = targets[k]
    extra = "".join(f"{med(p, f):>12.2f}{ratio(med(p, f), b, how):>8.1f}x" for p in others)
    print(f"{k:<16}{a:>12.2f}{b:>12.2f}{ratio(a, b, how):>9.1f}x  ({how}) {target:<6}{extra}")
if 'servicebot-before' in others:
    print("\nservicebot vs servicebot-before (medians): " + ", ".join(
        f"{k} {med('servicebot', f) / med('servicebot-before', f):.2f}x" for k, f in keys.items()))
PY
echo "runs: $OUT/runs.jsonl" >&2
