#!/bin/sh
# make load: build the server and the load generator, seed the load
# database (created and migrated if missing), start `server serve` on it,
# run the load for LOAD_DURATION, stop the server. The load generator's exit
# status is this script's: non-zero on any server error or lost write.
#
#   LOAD_DATABASE_URL  PostgreSQL database (default clinicgate_load on 127.0.0.1)
#   LOAD_DURATION      how long the mix runs (default 30s)
#   LOAD_LISTEN_ADDR   where the server listens (default 127.0.0.1:18080)
#   LOAD_READ_DATABASE_URLS  hot standbys of LOAD_DATABASE_URL for the
#                      server's READ_DATABASE_URLS (default none)
#   LOAD_CONCURRENCY, LOAD_MIX, LOAD_SEED_CLIENTS, LOAD_SEED_USERS, …: see bin/loadgen -h
set -eu

GO=${GO:-go}
: "${LOAD_DATABASE_URL:=postgres://postgres@127.0.0.1:5432/clinicgate_load?sslmode=disable}"
: "${LOAD_DURATION:=30s}"
: "${LOAD_LISTEN_ADDR:=127.0.0.1:18080}"
: "${LOAD_READ_DATABASE_URLS:=}"
export LOAD_DATABASE_URL LOAD_DURATION

$GO build -o bin/server ./cmd/server
$GO build -o bin/loadgen ./cmd/loadgen
bin/loadgen --seed-only

logs=$(mktemp -d)
# A fresh key each run: the only secrets sealed with it are the TOTP
# factors the load enrols, and it resets them every run. The server trusts
# X-Forwarded-For so that each simulated user signs in from an address of
# its own (the sign-in throttle allows 20 attempts a minute per address).
# LOG_LEVEL=warn leaves out the access log line of every request.
SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') \
DATABASE_URL=$LOAD_DATABASE_URL READ_DATABASE_URLS=$LOAD_READ_DATABASE_URLS LISTEN_ADDR=$LOAD_LISTEN_ADDR \
TRUST_PROXY_HEADERS=true LOG_LEVEL=warn GRAPHIQL=false \
	bin/server serve >"$logs/server.out" 2>"$logs/server.log" &
pid=$!
stop() {
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
trap stop EXIT INT TERM

ready=
for _ in $(seq 1 120); do
	if curl -sf "http://$LOAD_LISTEN_ADDR/readyz" >/dev/null 2>&1; then
		ready=1
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	sleep 0.5
done
if [ -z "$ready" ]; then
	echo "load: the server did not become ready; its log:" >&2
	tail -n 30 "$logs/server.log" >&2
	exit 2
fi

status=0
bin/loadgen --no-seed --server "http://$LOAD_LISTEN_ADDR" || status=$?
stop
trap - EXIT INT TERM
if grep -q '"level":"ERROR"' "$logs/server.log"; then
	echo "load: the server logged errors (first 10):" >&2
	grep '"level":"ERROR"' "$logs/server.log" | head -n 10 >&2
fi
rm -rf "$logs"
exit "$status"
