# shellcheck shell=bash disable=SC2034 # the variables set here are used by the scripts
# Shared by stack.sh and hub.sh: where things live, and how we start, find and stop the
# processes we own. Only ever sourced.

# The repository root is two levels above this file, wherever the clone is and whatever the
# caller's working directory.
LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$LOCAL_DIR/../.." && pwd -P)

# Everything a running stack needs (data, logs, pid files, passwords, the env file) lives in one
# ignored folder, so deleting it resets the stack.
DATA=${SERIALHUB_DATA:-$REPO_ROOT/deploy/local/data}
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd -P)
RUN=$DATA/run
LOGS=$DATA/logs
ENV_FILE=$DATA/env
mkdir -p "$RUN" "$LOGS"

# go and the Temporal CLI fail without a home folder; some CI runners start with no HOME.
if [[ -z ${HOME:-} ]]; then
	HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
	export HOME
fi

# Tools we build (Temporal CLI, staticcheck) live outside the clone so that a fresh clone on
# the same machine does not rebuild them.
CACHE=${SERIALHUB_CACHE:-$HOME/.cache/serialhub}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# now_ms prints the wall clock in milliseconds, for "took N s" messages.
now_ms() {
	local us=${EPOCHREALTIME/./}
	echo $((us / 1000))
}

# since MS prints the seconds elapsed since now_ms returned MS, with one decimal.
since() {
	local ms=$(($(now_ms) - $1))
	printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

# pid_of NAME MARKER prints the pid recorded in $RUN/NAME.pid when that process is alive and its
# command line contains MARKER. The marker (a path in this clone) makes sure that a pid that
# the kernel recycled for an unrelated process, or a server of another clone, is never taken
# for ours. A zombie has an empty command line, so it counts as dead.
pid_of() {
	local file=$RUN/$1.pid pid cmdline
	[[ -s $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmdline == *"$2"* ]] || return 1
	echo "$pid"
}

# spawn NAME LOG DIR CMD... starts CMD in the background in DIR, in a session of its own (so a
# Ctrl-C in the terminal that ran `make demo` does not reach it), stdin closed, output appended
# to LOG, and waits until its pid is in $RUN/NAME.pid. The pid is written by the process itself
# just before exec, so it is the server's pid whether or not setsid had to fork. Descriptor 9
# (the lock take_lock holds) is closed, or the server would hold the lock for its lifetime.
spawn() {
	local name=$1 log=$2 dir=$3 pidfile=$RUN/$1.pid i
	shift 3
	rm -f "$pidfile"
	echo "=== $(date -u +%FT%TZ) starting: $*" >>"$log"
	# shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's
	(cd "$dir" && exec setsid bash -c 'echo $$ >"$0.new" && mv "$0.new" "$0" && exec "$@"' \
		"$pidfile" "$@" >>"$log" 2>&1 </dev/null 9>&-) &
	for ((i = 0; i < 50; i++)); do
		[[ -s $pidfile ]] && return 0
		sleep 0.1
	done
	die "$name did not start; see $log"
}

# alive PID succeeds while PID runs. A zombie (dead, not yet reaped by its parent, which may be
# a PID 1 that never reaps) counts as dead.
alive() {
	[[ -d /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# stop_pid NAME MARKER SIGNAL stops our process NAME with SIGNAL (the one that means "shut down
# cleanly" to it), waits up to 60 s, then kills it, so that `down` returns only once the ports
# and files are free. Prints what it did; silent when NAME was not running.
stop_pid() {
	local name=$1 marker=$2 signal=$3 pid i
	if ! pid=$(pid_of "$name" "$marker"); then
		rm -f "$RUN/$name.pid"
		return 0
	fi
	kill -s "$signal" "$pid" 2>/dev/null || true
	for ((i = 0; i < 600; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "$name: did not stop within 60 s, killing pid $pid"
		kill -KILL "$pid" 2>/dev/null || true
		while alive "$pid"; do sleep 0.1; done
	fi
	rm -f "$RUN/$name.pid"
	echo "$name: stopped (pid $pid)"
}

# wait_for SECONDS NAME MARKER LOG CMD... runs CMD every 0.2 s until it succeeds. Gives up early
# when our process NAME died (no point waiting for a crashed server), or after SECONDS, and
# then shows the end of every log file whose name starts with LOG.
wait_for() {
	local secs=$1 name=$2 marker=$3 log=$4 deadline
	shift 4
	deadline=$(($(now_ms) + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		if ! pid_of "$name" "$marker" >/dev/null; then
			echo "$name exited while starting; its log:" >&2
			last_run "$log"* >&2
			exit 1
		fi
		if (($(now_ms) > deadline)); then
			echo "$name did not answer within $secs s; its log:" >&2
			last_run "$log"* >&2
			exit 1
		fi
		sleep 0.2
	done
}

# last_run LOG... prints, for each LOG, its last 40 lines written since spawn last started a
# process with it (the "=== ... starting:" line), or all of its last 40 lines.
last_run() {
	local log
	for log in "$@"; do
		[[ -s $log ]] || continue
		echo "==> $log <=="
		awk '/^=== .* starting: /{n = 0} {line[n++] = $0} END {for (i = (n > 40 ? n - 40 : 0); i < n; i++) print line[i]}' "$log"
	done
}

# port_busy PORT succeeds when something accepts connections on 127.0.0.1:PORT.
port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_port VAR DEFAULT [CLAIMED...] prints the port to start a server on: VAR's value if set
# (it must be free), else DEFAULT, or the next free port above it when something else holds it.
# CLAIMED are ports picked for servers not started yet, which count as taken.
pick_port() {
	local var=$1 default=$2 p
	local claimed=" ${*:3} "
	if [[ -n ${!var:-} ]]; then
		! port_busy "${!var}" || die "$var=${!var}: that port is in use by another process"
		echo "${!var}"
		return
	fi
	for ((p = default; p < default + 100; p++)); do
		if [[ $claimed != *" $p "* ]] && ! port_busy "$p"; then
			((p == default)) || echo "note: port $default is taken, using $p (set $var to choose)" >&2
			echo "$p"
			return
		fi
	done
	die "no free port in $default-$((default + 99)); set $var"
}

# take_lock NAME: one stack.sh (or hub.sh) at a time per data folder (make -j, two terminals).
# The lock is held on descriptor 9 until the script exits; spawn keeps it from the servers.
take_lock() {
	exec 9>"$RUN/$1.lock"
	if ! flock -n 9; then
		echo "waiting for another $1 command on $DATA ..."
		flock 9
	fi
}
