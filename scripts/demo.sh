#!/usr/bin/env bash
# The demo: builds the driver and the local HubDB sandbox, starts the sandbox with its sample
# tables, registers the driver and a DSN in .demo/ (nothing outside the checkout changes) and
# shows HubDB rows in isql.
#   scripts/demo.sh          run the demo; the sandbox keeps running for you to explore
#   scripts/demo.sh stop     stop the sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
dsn="HubDB Demo"
token="pat-na1-00000000-demo-0000-0000-000000000000"
query="${DEMO_QUERY:-SELECT Id, store_name, region, open_sundays, opened_on FROM store_locations ORDER BY Id LIMIT 5}"

stop_sandbox() {
  if [ -f "$demo/sandbox.pid" ]; then
    kill "$(cat "$demo/sandbox.pid")" 2>/dev/null || true
    rm -f "$demo/sandbox.pid"
  fi
}

if [ "${1:-}" = "stop" ]; then
  stop_sandbox
  echo "sandbox stopped"
  exit 0
fi

scripts/setup.sh --odbc-only
cargo build -q -p hubdb-odbc -p hubdb-sandbox -p hubdb-installer
build=${CARGO_TARGET_DIR:-$root/target}/debug
mkdir -p "$demo"
stop_sandbox

# --port 0: the sandbox picks a free port and prints its base URL as the first line.
"$build/hubdb-sandbox" --port 0 >"$demo/sandbox.out" 2>"$demo/sandbox.log" &
sandbox_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(head -n 1 "$demo/sandbox.out" 2>/dev/null || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  kill "$sandbox_pid" 2>/dev/null || true
  echo "the sandbox did not start; see $demo/sandbox.log" >&2
  exit 1
fi
echo "$sandbox_pid" >"$demo/sandbox.pid"

installer=$build/hubdb-odbc-install
"$installer" driver --dir "$demo" --library "$build/libhubdb_odbc.so" >/dev/null
"$installer" dsn "$dsn" --dir "$demo" AuthScheme=PrivateApp "PrivateAppToken=$token" \
  "APIBaseURL=$url" >/dev/null

export ODBCSYSINI=$demo ODBCINSTINI=odbcinst.ini ODBCINI=$demo/odbc.ini
echo "HubDB sandbox at $url; driver and DSN \"$dsn\" registered in $demo"
echo "> $query"
# -m30: isql sizes each column by its declared size (TEXT is 10,000 characters), so the
# display width is capped to keep the table readable.
echo "$query" | isql -b -v -m30 "$dsn"
cat <<MSG

Explore on your own (the sandbox keeps running until 'scripts/demo.sh stop'):
  export ODBCSYSINI=$demo ODBCINSTINI=odbcinst.ini ODBCINI=$demo/odbc.ini
  isql -v -m30 "$dsn"
MSG
