#!/usr/bin/env bash
# Chat with the running demo from a shell, as a WeChat customer would:
#   demo/chat.sh "洗衣机坏了"            # sends one signed text message, prints the bot's reply
#   demo/chat.sh                         # interactive: one line per message, Ctrl-D to end
# Env: SB_URL (default http://127.0.0.1:8080), SB_TOKEN (the config's channels.wechat.token,
# default "demotoken"), SB_OPENID (the customer's identity, default oDemoCustomer).
set -euo pipefail
url=${SB_URL:-http://127.0.0.1:8080}
token=${SB_TOKEN:-demotoken}
openid=${SB_OPENID:-oDemoCustomer}

send() {
  local text=$1 timestamp nonce signature msgid body reply
  timestamp=$(date +%s)
  nonce=$RANDOM$RANDOM
  msgid=$(date +%s%N)
  # signature = SHA-1 of token, timestamp and nonce, sorted and concatenated (WeChat's rule).
  signature=$(printf '%s\n' "$token" "$timestamp" "$nonce" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1)
  body="<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[$openid]]></FromUserName><CreateTime>$timestamp</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[$text]]></Content><MsgId>$msgid</MsgId></xml>"
  reply=$(curl -sS -X POST -H 'Content-Type: text/xml' --data-binary "$body" \
    "$url/webhooks/wechat?signature=$signature&timestamp=$timestamp&nonce=$nonce&openid=$openid")
  # Print the <Content> of the passive reply (or the raw answer when it is not a reply).
  if [[ $reply == *"<Content><![CDATA["* ]]; then
    reply=${reply#*<Content><![CDATA[}
    printf 'bot: %s\n' "${reply%%]]></Content>*}"
  else
    printf 'bot (raw): %s\n' "$reply"
  fi
}

if (($#)); then
  send "$*"
else
  while IFS= read -r -p "you: " line; do
    [ -n "$line" ] && send "$line"
  done
fi
