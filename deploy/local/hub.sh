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
# worker.log, and have pid files in data/run/. SERIALHUB_HTTP_PORT defaults to 18080.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HTTP_PORT=${SERIALHUB_HTTP_PORT:-18080}
READY_URL=http://127.0.0.1:$HTTP_PORT/readyz
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

# fail MESSAGE prints MESSAGE and both logs of this start, stops what was started, and exits.
fail() {
	echo "hub: $1" >&2
	last_run "$LOGS/serve.log" "$LOGS/worker.log" >&2
	cmd_stop >/dev/null
	exit 1
}

cmd_start() {
	local started role deadline
	[[ -n ${BINARY:-} ]] || die "usage: $0 start BINARY"
	[[ -x $BINARY ]] || die "$BINARY: not an executable file (make build?)"
	[[ -f $ENV_FILE ]] || die "$ENV_FILE missing: run deploy/local/stack.sh up first"
	BINARY=$(cd "$(dirname "$BINARY")" && pwd -P)/$(basename "$BINARY")
	started=$(now_ms)

	# A running hub may be of an older build: always start afresh.
	cmd_stop
	! port_busy "$HTTP_PORT" || die "port $HTTP_PORT is in use by another process; set SERIALHUB_HTTP_PORT"

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
	echo "hub: ready at http://127.0.0.1:$HTTP_PORT in $(since "$started"); logs in $LOGS"
}

cmd_status() {
	local role pid
	for role in serve worker; do
		if pid=$(pid_of "$role" "$(marker "$role")"); then
			printf '%-11s %-8s pid %-8s %s\n' "$role" running "$pid" "$(cat "$BINARY_FILE")"
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
