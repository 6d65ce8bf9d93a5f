#!/usr/bin/env bash
# ctest smoke test of bench/: 5 customers for 2 s over SMS and over WeChat safe mode against a
# servicebot started by loadgen itself; passes when both runs complete dialogs with zero errors.
#   smoke_test.sh SERVICEBOT LOADGEN SOURCE_DIR
set -euo pipefail
servicebot=$1 loadgen=$2 src=$3
dir=$(mktemp -d /tmp/servicebot-bench-smoke.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# Below Linux's ephemeral range (32768+), so no outgoing connection of another process can hold
# the port when the server binds it.
port=$((20000 + RANDOM % 12000)); gw=$((port + 1))
mkdir -p "$dir/var"
cat >"$dir/servicebot.json" <<JSON
{
  "listen": { "address": "127.0.0.1", "port": $port },
  "public_base_url": "http://127.0.0.1:$port",
  "default_language": "en", "timezone": "UTC", "log_level": "warn",
  "store": { "driver": "sqlite", "path": "$dir/var/servicebot.db" },
  "limits": { "ip_per_second": 0, "max_connections": 20000 },
  "channels": {
    "sms": { "provider": "twilio", "account_sid": "AC00000000000000000000000000000001",
             "auth_token": "bench0auth0token0000000000000001", "from": "+15005550006",
             "api_base": "http://127.0.0.1:$gw" },
    "wechat": { "token": "benchtoken", "app_id": "wxbench000000000001", "app_secret": "bench-secret",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "api_base": "http://127.0.0.1:$gw" }
  },
  "catalog_file": "$src/demo/catalog.json", "staff_file": "$src/bench/data/staff.json", "rules_file": "$src/demo/rules.json"
}
JSON
check() {  # $1 = result line
  echo "$1"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); ok = r["errors_total"]==0 and r["dialogs_completed"]>0 and r["signature_check"]=="ok" and r["server"]["peak_rss_mb"]>0; sys.exit(0 if ok else 1)' "$1"
}
run() {  # $1 = channel, $2 = webhook path, $3 = script
  "$loadgen" --peer servicebot --channel "$1" --url "http://127.0.0.1:$port$2" --script "$src/bench/scripts/$3" \
    --gateway-listen "127.0.0.1:$gw" -c 5 -d 2 --warmup 0 --drain 5 --timeout 5 --wait-ready 10 \
    --spawn "$servicebot --config $dir/servicebot.json" --server-log "$dir/server-$1.log"
}
check "$(run sms /webhooks/sms/twilio servicebot-sms.json)" || { tail -20 "$dir/server-sms.log"; exit 1; }
check "$(run wechat-safe /webhooks/wechat servicebot-wechat.json)" || { tail -20 "$dir/server-wechat-safe.log"; exit 1; }
