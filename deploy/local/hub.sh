#!/usr/bin/env bash
# Runs the hub itself (API server and Temporal worker) in the background against the local stack
# that stack.sh started.
#
#   deploy/local/hub.sh start BINARY   (re)start `BINARY serve` and `BINARY worker`, wait until
#                                      http://127.0.0.1:$SERIALHUB_HTTP_PORT/readyz says 200
#   deploy/local/hub.sh stop           stop the hub this script started
#   deploy/local/hub.sh status         one line per process
#
# The processes get the settings in deploy/local/data/env, log to data/logs/serve.log and
# worker.log, and have pid files in data/run/.
#
# SERIALHUB_HTTP_PORT: the API's port. When it is not set and 18080 is taken (say, by the hub of
# another clone), the next free port is used. Either way the port is written to
# deploy/local/data/env as SERIALHUB_HTTP_PORT, so that the CLI, the demo and the tests reach
# this hub and no other.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

READY_TIMEOUT=60
# The binary a running hub was started from, so that stop and status need no argument.
BINARY_FILE=$RUN/hub.binary

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# marker ROLE: what the command line of our `BINARY ROLE` process contains (see pid_of).
marker() {
	echo "$(cat "$BINARY_FILE" 2>/dev/null || echo "${BINARY:-/nonexistent}") $1"
}

cmd_stop() {
	# Worker first: it may still be reporting to the API while it drains.
	stop_pid worker "$(marker worker)" TERM
	stop_pid serve "$(marker serve)" TERM
}

ready() {
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$READY_URL") == 200 ]]
}

# set_env_port PORT writes SERIALHUB_HTTP_PORT=PORT into the env file (in place of an older one).
set_env_port() {
	{
		grep -v '^SERIALHUB_HTTP_PORT=' "$ENV_FILE" || true
		echo "SERIALHUB_HTTP_PORT=$1"
	} >"$ENV_FILE.new"
	chmod 600 "$ENV_FILE.new"
	mv "$ENV_FILE.new" "$ENV_FILE"
}

# fail MESSAGE prints MESSAGE and both logs of this start, stops what was started, and exits.
fail() {
	echo "hub: $1" >&2
	last_run "$LOGS/serve.log" "$LOGS/worker.log" >&2
	cmd_stop >/dev/null
	exit 1
}

cmd_start() {
	local started role deadline port
	[[ -n ${BINARY:-} ]] || die "usage: $0 start BINARY"
	[[ -x $BINARY ]] || die "$BINARY: not an executable file (make build?)"
	[[ -f $ENV_FILE ]] || die "$ENV_FILE missing: run deploy/local/stack.sh up first"
	BINARY=$(cd "$(dirname "$BINARY")" && pwd -P)/$(basename "$BINARY")
	started=$(now_ms)

	# A running hub may be of an older build: always start afresh.
	cmd_stop
	port=$(pick_port SERIALHUB_HTTP_PORT 18080)
	READY_URL=http://127.0.0.1:$port/readyz
	set_env_port "$port"

	echo "$BINARY" >"$BINARY_FILE"
	for role in serve worker; do
		# Settings from the env file, in a subshell so they do not leak into this script. From
		# the repository root, where the binary also looks for deploy/local/data/.
		(
			set -a
			# shellcheck source=/dev/null
			source "$ENV_FILE"
			set +a
			spawn "$role" "$LOGS/$role.log" "$REPO_ROOT" "$BINARY" "$role"
		)
	done

	deadline=$(($(now_ms) + READY_TIMEOUT * 1000))
	until ready; do
		for role in serve worker; do
			pid_of "$role" "$(marker "$role")" >/dev/null || fail "$role exited while starting"
		done
		(($(now_ms) < deadline)) || fail "$READY_URL did not answer 200 within $READY_TIMEOUT s"
		sleep 0.2
	done
	cmd_status
	echo "hub: ready at http://127.0.0.1:$port in $(since "$started"); logs in $LOGS"
}

cmd_status() {
	local role pid url=""
	url=http://127.0.0.1:$(grep -s '^SERIALHUB_HTTP_PORT=' "$ENV_FILE" | cut -d= -f2 || true)
	for role in serve worker; do
		if pid=$(pid_of "$role" "$(marker "$role")"); then
			[[ $role == serve ]] || url=""
			printf '%-11s %-8s %-23s pid %-8s %s\n' "$role" running "$url" "$pid" "$(cat "$BINARY_FILE")"
		else
			printf '%-11s %s\n' "$role" stopped
		fi
	done
}

BINARY=${2:-}
case ${1:-} in
start)
	take_lock hub
	cmd_start
	;;
stop)
	take_lock hub
	cmd_stop
	;;
status) cmd_status ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
