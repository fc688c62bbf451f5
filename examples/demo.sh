#!/usr/bin/env bash
# The real-stack demo behind `make run`: the bundled sample feeds through Kafka, the faust worker
# and into Elasticsearch, then a few searches, and the alerts of a subscription. Expects
# `deploy/local/stack up` (make run does it) and `newsmon` on PATH. Override NEWSMON_* variables
# to point it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS="${FEEDS:-examples/feeds.yaml}"
export NEWSMON_DATA_DIR="${NEWSMON_DATA_DIR:-.newsmon}"
ES="${NEWSMON_ES_URL:-http://127.0.0.1:9200}"
ALIAS="${NEWSMON_INDEX_ALIAS:-news-articles}"
LOGS="$NEWSMON_DATA_DIR/logs"
# the local stack's percolator node (see deploy/local/README.md); unset on a full 8.x cluster
export NEWSMON_PERCOLATOR_URL="${NEWSMON_PERCOLATOR_URL-http://127.0.0.1:9201}"
API_PORT="${NEWSMON_API_PORT:-8700}"
mkdir -p "$LOGS"

newsmon setup
newsmon subscriptions add --replace --id demo-ceasefire --name "Ceasefires (demo)" --owner demo \
  --query 'topics:ceasefire AND NOT topics:sport' --kafka-topic demo.alerts
newsmon process >"$LOGS/process.out" 2>&1 & PROCESS=$!
newsmon index >"$LOGS/index.out" 2>&1 & INDEX=$!
newsmon alert >"$LOGS/alert.out" 2>&1 & ALERT=$!
newsmon notify >"$LOGS/notify.out" 2>&1 & NOTIFY=$!
newsmon api >"$LOGS/api.out" 2>&1 & API=$!
PIDS="$PROCESS $INDEX $ALERT $NOTIFY $API"
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null || true' EXIT

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
echo "== alerts of subscription demo-ceasefire (one per story; GET /alerts on newsmon api)"
for _ in $(seq 1 30); do
  curl -sf "http://127.0.0.1:$API_PORT/alerts?subscription_id=demo-ceasefire" -o "$LOGS/alerts.json" \
    && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)' "$LOGS/alerts.json" \
    && break
  sleep 1
done
python3 - "$LOGS/alerts.json" <<'EOF'
import json, sys
alerts = json.load(open(sys.argv[1]))
for a in alerts:
    art = a["article"] or {}
    print(f"  - {art.get('title')}  ({a['version']} version(s), sources: {', '.join(a['sources'])})")
    for c in a["clauses"]:
        print(f"      {'✓' if c['matched'] else '✗'} {c['clause']}  {', '.join(c['hits'][:2])}")
    for t in a["topics"][:1]:
        if t["evidence"]:
            print(f"      evidence: {t['evidence'][0]['sentence'][:110]}")
print(f"  {len(alerts)} alert(s)")
EOF
echo
echo "data: $NEWSMON_DATA_DIR (feed state, logs); index: $ES/$ALIAS"
echo "search it: curl -G '$ES/$ALIAS/_search' --data-urlencode 'q=topics:ceasefire AND entities:\"Vladimir Putin\"'"
