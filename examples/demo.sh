#!/usr/bin/env bash
# The real-stack demo behind `make run`: the bundled sample feeds through Kafka, the faust worker
# and into Elasticsearch, then a few searches. Expects `deploy/local/stack up` (make run does it)
# and `newsmon` on PATH. Override NEWSMON_* variables to point it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS="${FEEDS:-examples/feeds.yaml}"
export NEWSMON_DATA_DIR="${NEWSMON_DATA_DIR:-.newsmon}"
ES="${NEWSMON_ES_URL:-http://127.0.0.1:9200}"
ALIAS="${NEWSMON_INDEX_ALIAS:-news-articles}"
LOGS="$NEWSMON_DATA_DIR/logs"
mkdir -p "$LOGS"

newsmon setup
newsmon process >"$LOGS/process.out" 2>&1 & PROCESS=$!
newsmon index >"$LOGS/index.out" 2>&1 & INDEX=$!
trap 'kill $PROCESS $INDEX 2>/dev/null; wait $PROCESS $INDEX 2>/dev/null || true' EXIT

newsmon poll --feeds "$FEEDS" --once
count() { curl -sf "$ES/$ALIAS/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'; }
expected=$(grep -c "<item>\|<entry>" examples/feeds/*.xml | awk -F: "{s+=\$2} END {print s}")
echo "waiting for the worker (spaCy) and the indexer..."
for _ in $(seq 1 120); do
  n=$(count || echo 0)
  [[ "${n:-0}" -ge "$expected" ]] && break
  sleep 1
done
echo "indexed: $(count) article(s) in $ES/$ALIAS"
echo
search() {
  echo "== $1"
  curl -sf -G "$ES/$ALIAS/_search" --data-urlencode "q=$1" \
    --data-urlencode "_source=title,topics,people" --data-urlencode "size=5" \
    | python3 -c 'import json,sys
for h in json.load(sys.stdin)["hits"]["hits"]:
    s = h["_source"]
    print("  -", s["title"]); print("    topics:", ", ".join(s["topics"]) or "-", "| people:", ", ".join(s["people"]) or "-")'
}
search 'topics:ceasefire'
search 'topics:"weapons-restrictions" AND entities:"Jens Stoltenberg"'
search 'topics:sanctions'
echo
echo "data: $NEWSMON_DATA_DIR (feed state, logs); index: $ES/$ALIAS"
echo "search it: curl -G '$ES/$ALIAS/_search' --data-urlencode 'q=topics:ceasefire AND entities:\"Vladimir Putin\"'"
