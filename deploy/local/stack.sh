#!/usr/bin/env bash
# The local stack for development, tests and the demo: PostgreSQL, ClickHouse and the Temporal
# dev server, each listening on 127.0.0.1 only, with their data in deploy/local/data/ (ignored
# by git). Works from any clone location, as root (CI) or as the owner of the clone.
#
#   deploy/local/stack.sh install  install what is missing: apt packages, Temporal CLI, staticcheck
#   deploy/local/stack.sh up       install, start what is not running, write deploy/local/data/env
#   deploy/local/stack.sh down     stop the servers this script started (nothing else)
#   deploy/local/stack.sh status   one line per server
#   deploy/local/stack.sh logs     where the logs are
#
# Beside the servers it runs the partner simulators, built from this clone: the DSCSA trading
# partner (cmd/partnersim: HTTPS, EPCIS capture, AS2) and the EU Hub (cmd/euhubsim). `up`
# rebuilds them (a second each when nothing changed) and restarts one whose binary changed.
#
# Settings (environment):
#   SERIALHUB_PG_PORT=15432  SERIALHUB_CH_PORT=19000  SERIALHUB_CH_HTTP_PORT=18123
#   SERIALHUB_TEMPORAL_PORT=17233  SERIALHUB_TEMPORAL_UI_PORT=18233
#   SERIALHUB_PARTNERSIM_PORT=18443  SERIALHUB_EUHUBSIM_PORT=18444
#     A port left at its default moves up to the next free one when something else holds it
#     (say, the stack of another clone); a port set explicitly must be free.
#   SERIALHUB_DATA   the data folder (default deploy/local/data)
#   SERIALHUB_CACHE  where built tools are kept across clones (default ~/.cache/serialhub)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(postgresql clickhouse-server clickhouse-client libxml2-utils xmlsec1 curl)
# v1.5.1 is the last Temporal CLI that `go install pkg@version` can build; later ones cannot.
TEMPORAL_PKG=github.com/temporalio/cli/cmd/temporal@v1.5.1
STATICCHECK_PKG=honnef.co/go/tools/cmd/staticcheck@latest
TEMPORAL=$CACHE/bin/temporal
INSTALL_LOG=$LOGS/install.log

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------------------------
# install

cmd_install() {
	install_apt
	install_go_tool temporal "$TEMPORAL_PKG" "about 5 minutes"
	install_go_tool staticcheck "$STATICCHECK_PKG" "about a minute"
}

install_apt() {
	local missing=() installed p
	# One dpkg-query for all: it prints only the packages it knows of.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null || true)
	for p in "${APT_PACKAGES[@]}"; do
		[[ $'\n'$installed$'\n' == *$'\n'"$p installed"$'\n'* ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages: ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}"

	echo "=== $(date -u +%FT%TZ) apt-get install ${missing[*]}" >>"$INSTALL_LOG"
	if ! (
		# The packages would start their own system services; we run our own instances instead.
		# policy-rc.d is Debian's switch for "do not start services", unless the machine has one.
		if [[ ! -e /usr/sbin/policy-rc.d ]]; then
			trap 'rm -f /usr/sbin/policy-rc.d' EXIT
			printf '#!/bin/sh\n# serialhub stack.sh: no service starts during apt-get install\nexit 101\n' \
				>/usr/sbin/policy-rc.d
			chmod 755 /usr/sbin/policy-rc.d
		fi
		# (Chained with &&: set -e does not apply inside an `if` condition.)
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq &&
			apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
	) >>"$INSTALL_LOG" 2>&1; then
		tail -n 20 "$INSTALL_LOG" >&2
		die "apt-get install failed; see $INSTALL_LOG"
	fi
	# Nor should they start at boot, where systemd runs (only units we just installed).
	if [[ -d /run/systemd/system ]]; then
		for p in "${missing[@]}"; do
			case $p in
			postgresql | clickhouse-server)
				systemctl disable --now --quiet "$p" >>"$INSTALL_LOG" 2>&1 || true
				;;
			esac
		done
	fi
	for p in "${missing[@]}"; do
		echo "installed: $p (apt)"
	done
}

# install_go_tool NAME PACKAGE@VERSION ETA builds a Go tool into $CACHE/bin once per machine.
install_go_tool() {
	local name=$1 pkg=$2 eta=$3 go started lock
	[[ -x $CACHE/bin/$name ]] && return 0
	mkdir -p "$CACHE/bin"
	# Two clones installing at once build once: the second waits here and then finds the tool.
	exec {lock}>"$CACHE/install.lock"
	flock "$lock"
	if [[ ! -x $CACHE/bin/$name ]]; then
		go=$(command -v go || echo /usr/local/go/bin/go)
		[[ -x $go ]] || die "Go is needed to build $name; put go on PATH"
		echo "installing: $name ($pkg, $eta; log $INSTALL_LOG)"
		echo "=== $(date -u +%FT%TZ) go install $pkg" >>"$INSTALL_LOG"
		started=$(now_ms)
		# Built outside any module or workspace, with no inherited flags, so the repo's own
		# go.mod or a GOFLAGS=-mod=vendor cannot get in the way.
		if ! (cd "$CACHE" && GOBIN=$CACHE/bin GOFLAGS='' GOWORK=off "$go" install "$pkg") >>"$INSTALL_LOG" 2>&1; then
			tail -n 20 "$INSTALL_LOG" >&2
			die "go install $pkg failed; see $INSTALL_LOG"
		fi
		echo "installed: $name in $CACHE/bin ($(since "$started"))"
	fi
	exec {lock}>&-
}

# ---------------------------------------------------------------------------------------------
# shared by the servers

# secret NAME prints the password kept in $DATA/secrets/NAME, made at random on first use.
secret() {
	local file=$DATA/secrets/$1
	if [[ ! -s $file ]]; then
		mkdir -p "$DATA/secrets"
		chmod 700 "$DATA/secrets"
		(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file")
	fi
	cat "$file"
}

# The ports a server was started with are kept beside its pid file, so that a later `up` or
# `status` reports the ports it really listens on, whatever the environment says now.
save_ports() { # save_ports NAME KEY=VALUE...
	printf '%s\n' "${@:2}" >"$RUN/$1.ports"
}
load_ports() { # load_ports NAME: sets the KEY=VALUE variables saved for NAME
	local line
	[[ -f $RUN/$1.ports ]] || return 0
	while IFS= read -r line; do
		[[ $line =~ ^[A-Z_]+=[0-9]+$ ]] && printf -v "${line%%=*}" '%s' "${line#*=}"
	done <"$RUN/$1.ports"
}

declare -A STATE # what `up` did with each server: started or running

# ---------------------------------------------------------------------------------------------
# PostgreSQL
#
# PostgreSQL refuses to run as root, so under root it runs as the system user postgres, which
# must reach its data folder. A clone under /root (mode 700) is out of its reach: then the data
# lives under /var/lib/serialhub/<hash of the data folder path>/pg and $DATA/pg is a symlink to
# it. The unix socket (only used by this script, as the database superuser) is always in that
# outside folder: socket paths may not exceed 107 bytes, and a deep clone path would.

PG_PORT=
pg_paths() {
	local key
	key=$(printf '%s' "$DATA" | sha256sum | cut -c1-12)
	if ((EUID == 0)); then
		PG_OUTSIDE=/var/lib/serialhub/$key
		PG_SUPERUSER=postgres
	else
		PG_OUTSIDE=${TMPDIR:-/tmp}/serialhub-$EUID-$key
		PG_SUPERUSER=$(id -un)
	fi
	PG_OUTSIDE=$(readlink -m "$PG_OUTSIDE")
	PG_SOCKET_DIR=$PG_OUTSIDE/socket
	# Resolved, symlinks and all, as PostgreSQL has it (see pg_lock_pid).
	PGDATA=$(readlink -m "$DATA/pg")
}

# as_pg CMD... runs CMD as the user that owns the cluster, from / (the caller's working
# directory may be out of that user's reach).
as_pg() {
	if ((EUID == 0)); then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

pg_bin() {
	PGBIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	[[ -n $PGBIN && -x $PGBIN/postgres ]] || die "PostgreSQL not found in /usr/lib/postgresql; run: $0 install"
}

# pg_pid prints the pid of our running postmaster. PostgreSQL keeps its own pid file
# (postmaster.pid); it is mirrored in $RUN/postgres.pid so that status and down treat every
# server alike.
pg_pid() {
	local pid
	pid=$(pg_lock_pid "$PGDATA/postmaster.pid") || return 1
	echo "$pid" >"$RUN/postgres.pid"
	echo "$pid"
}

pg_init() {
	local pid
	[[ -s $PGDATA/PG_VERSION ]] && return 0
	if [[ ! -e $DATA/pg ]] && ((EUID == 0)) && ! runuser -u postgres -- test -x "$DATA"; then
		PGDATA=$PG_OUTSIDE/pg
		ln -sfn "$PGDATA" "$DATA/pg"
	fi
	# What is there is no usable cluster (an initdb that was cut off), or the cluster of a data
	# folder that was deleted (to start afresh): remove it, unless a server still runs on it.
	if pid=$(pg_lock_pid "$PGDATA/postmaster.pid"); then
		die "a PostgreSQL server (pid $pid) still runs on $PGDATA; stop it first"
	fi
	case $PGDATA in
	"$DATA"/* | "$PG_OUTSIDE"/*) rm -rf "$PGDATA" ;;
	*) [[ ! -e $PGDATA ]] || die "$PGDATA holds no PostgreSQL cluster; remove it or $DATA/pg" ;;
	esac
	mkdir -p "$PGDATA"
	chmod 700 "$PGDATA"
	((EUID != 0)) || chown postgres:postgres "$PGDATA"
	echo "=== $(date -u +%FT%TZ) initdb $PGDATA" >>"$LOGS/postgresql.log"
	as_pg "$PGBIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" -E UTF8 --no-locale \
		--auth-local=peer --auth-host=scram-sha-256 >>"$LOGS/postgresql.log" 2>&1 ||
		die "initdb failed; see $LOGS/postgresql.log"
	echo "include_if_exists = 'serialhub.conf'" >>"$PGDATA/postgresql.conf"
}

# pg_lock_pid LOCKFILE prints the pid in a lock file of PostgreSQL (first line) when it is a
# process of a server running on $PGDATA: every such process has the data folder as working
# directory. A lock file left by a killed server names a dead pid, a zombie, or a pid the kernel
# has since given to another process; PostgreSQL itself would only see through the first.
pg_lock_pid() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(head -n 1 "$1")
	alive "$pid" && [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$PGDATA" ]] || return 1
	echo "$pid"
}

# pg_check finds our running server, or else picks the ports to start one on.
pg_check() {
	pg_paths
	pg_bin
	if pg_pid >/dev/null; then
		load_ports postgres
		STATE[postgres]=running
	else
		PG_PORT=$(pick_port SERIALHUB_PG_PORT 15432)
	fi
}

pg_start() {
	local lock i
	[[ ${STATE[postgres]:-} != running ]] || return 0
	pg_init
	mkdir -p "$PG_SOCKET_DIR"
	((EUID != 0)) || chown postgres:postgres "$PG_SOCKET_DIR"
	cat >"$PGDATA/serialhub.conf" <<-EOF
		# Written by deploy/local/stack.sh before every start: edits here are lost.
		listen_addresses = '127.0.0.1'
		port = $PG_PORT
		unix_socket_directories = '$PG_SOCKET_DIR'
		cluster_name = 'serialhub'
		max_connections = 200
		# Sized for a development machine with a few GB to spare (docs/intake.md, Speed): a
		# 1M-serial upload writes several GB of WAL, and with 1 GB of max_wal_size checkpoints
		# (and the full-page writes after each) fell inside every run.
		shared_buffers = 1GB
		max_wal_size = 8GB
		min_wal_size = 1GB
		checkpoint_timeout = 15min
		timezone = 'UTC'
		log_timezone = 'UTC'
	EOF
	((EUID != 0)) || chown postgres:postgres "$PGDATA/serialhub.conf"

	# A server killed with kill -9 leaves its lock files behind: postmaster.pid and one beside
	# the socket. We know no server of ours runs, so any such file is stale.
	for lock in "$PGDATA/postmaster.pid" "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT.lock"; do
		pg_lock_pid "$lock" >/dev/null || rm -f "$lock"
	done
	# The server inherits our redirection, so its log can be in a folder its user cannot open;
	# not our lock (descriptor 9), which it would otherwise hold for its lifetime.
	# After a kill -9 the old server's children hold its shared memory for a moment; retry.
	for ((i = 1; ; i++)); do
		if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -t 60 start >>"$LOGS/postgresql.log" 2>&1 9>&-; then
			break
		fi
		if ((i == 10)); then
			tail -n 20 "$LOGS/postgresql.log" >&2
			die "PostgreSQL did not start; see $LOGS/postgresql.log"
		fi
		sleep 1
	done
	pg_pid >/dev/null || die "PostgreSQL started but its pid is not in $PGDATA/postmaster.pid"
	save_ports postgres "PG_PORT=$PG_PORT"
	STATE[postgres]=started
}

# pg_setup creates the role and database the hub uses, and sets the role's password from
# $DATA/secrets on every up, so that the two never disagree.
pg_setup() {
	local pw
	pw=$(secret pg_password)
	if ! as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
		-U "$PG_SUPERUSER" -d postgres >/dev/null <<-EOF; then
			SELECT 'CREATE ROLE serialhub' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'serialhub') \gexec
			ALTER ROLE serialhub LOGIN CREATEDB PASSWORD '$pw';
			SELECT 'CREATE DATABASE serialhub OWNER serialhub' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'serialhub') \gexec
		EOF
		die "creating the serialhub role and database failed"
	fi
	# What the hub will do: log in over TCP with the password.
	PGPASSWORD=$pw "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U serialhub -d serialhub \
		-c 'SELECT 1' >/dev/null || die "cannot log in to PostgreSQL as serialhub over TCP"
}

# ---------------------------------------------------------------------------------------------
# ClickHouse (Debian's 18.16). Our own config.xml and users.xml, everything under
# $DATA/clickhouse, run as the calling user (root is fine for it).

CH_DIR=$DATA/clickhouse
CH_MARKER=--config-file=$CH_DIR/etc/config.xml
CH_PORT=
CH_HTTP_PORT=

ch_check() {
	if pid_of clickhouse "$CH_MARKER" >/dev/null; then
		load_ports clickhouse
		STATE[clickhouse]=running
	else
		CH_PORT=$(pick_port SERIALHUB_CH_PORT 19000)
		CH_HTTP_PORT=$(pick_port SERIALHUB_CH_HTTP_PORT 18123)
	fi
}

ch_start() {
	local bin
	[[ ${STATE[clickhouse]:-} != running ]] || return 0
	bin=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
	[[ -x $bin ]] || die "clickhouse-server not found; run: $0 install"
	mkdir -p "$CH_DIR"/{etc,data,tmp,user_files,format_schemas}
	ch_config >"$CH_DIR/etc/config.xml"
	ch_users >"$CH_DIR/etc/users.xml"
	chmod 600 "$CH_DIR/etc/users.xml"
	spawn clickhouse "$LOGS/clickhouse-server.out" "$CH_DIR" "$bin" "$CH_MARKER"
	save_ports clickhouse "CH_PORT=$CH_PORT" "CH_HTTP_PORT=$CH_HTTP_PORT"
	STATE[clickhouse]=started
}

# Element names as in the /etc/clickhouse-server/config.xml that 18.16 ships. No
# interserver_http_port: a single server has no replicas to talk to.
ch_config() {
	cat <<-EOF
		<?xml version="1.0"?>
		<!-- Written by deploy/local/stack.sh before every start: edits here are lost. -->
		<yandex>
		    <logger>
		        <level>warning</level>
		        <log>$LOGS/clickhouse-server.log</log>
		        <errorlog>$LOGS/clickhouse-server.err.log</errorlog>
		        <size>100M</size>
		        <count>3</count>
		    </logger>
		    <listen_host>127.0.0.1</listen_host>
		    <tcp_port>$CH_PORT</tcp_port>
		    <http_port>$CH_HTTP_PORT</http_port>
		    <path>$CH_DIR/data/</path>
		    <tmp_path>$CH_DIR/tmp/</tmp_path>
		    <user_files_path>$CH_DIR/user_files/</user_files_path>
		    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
		    <users_config>users.xml</users_config>
		    <default_profile>default</default_profile>
		    <default_database>default</default_database>
		    <!-- Same answers on every machine, whatever its time zone. -->
		    <timezone>UTC</timezone>
		    <max_connections>1024</max_connections>
		    <max_concurrent_queries>100</max_concurrent_queries>
		    <mark_cache_size>536870912</mark_cache_size>
		    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
		    <!-- Tests drop what they create, whatever its size. -->
		    <max_table_size_to_drop>0</max_table_size_to_drop>
		    <max_partition_size_to_drop>0</max_partition_size_to_drop>
		</yandex>
	EOF
}

ch_users() {
	local hash
	hash=$(printf '%s' "$(secret ch_password)" | sha256sum | cut -d' ' -f1)
	cat <<-EOF
		<?xml version="1.0"?>
		<!-- Written by deploy/local/stack.sh before every start: edits here are lost. -->
		<yandex>
		    <profiles>
		        <default>
		            <max_memory_usage>4000000000</max_memory_usage>
		            <!-- A query may use every core. 18.16's default is the number of physical
		                 cores it detects, which on some virtual machines is 1 of 2. -->
		            <max_threads>$(nproc)</max_threads>
		        </default>
		    </profiles>
		    <users>
		        <default>
		            <password_sha256_hex>$hash</password_sha256_hex>
		            <networks>
		                <ip>127.0.0.1</ip>
		                <ip>::1</ip>
		            </networks>
		            <profile>default</profile>
		            <quota>default</quota>
		        </default>
		    </users>
		    <quotas>
		        <default>
		            <interval>
		                <duration>3600</duration>
		                <queries>0</queries>
		                <errors>0</errors>
		                <result_rows>0</result_rows>
		                <read_rows>0</read_rows>
		                <execution_time>0</execution_time>
		            </interval>
		        </default>
		    </quotas>
		</yandex>
	EOF
}

ch_ping() {
	[[ $(curl -fsS --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/ping") == Ok. ]]
}

# ch_query SQL runs SQL over HTTP; curl reads the password from stdin, not the command line.
ch_query() {
	curl -fsS --max-time 30 --config - <<-EOF
		url = "http://127.0.0.1:$CH_HTTP_PORT/"
		user = "default:$(secret ch_password)"
		data = "$1"
	EOF
}

ch_wait() {
	wait_for 60 clickhouse "$CH_MARKER" "$LOGS/clickhouse-server." ch_ping
	ch_query 'CREATE DATABASE IF NOT EXISTS serialhub' >/dev/null ||
		die "creating the ClickHouse database serialhub failed"
}

# ---------------------------------------------------------------------------------------------
# Temporal dev server (SQLite in $DATA/temporal)

TEMPORAL_DB=$DATA/temporal/temporal.db
TEMPORAL_PORT=
TEMPORAL_UI_PORT=

temporal_check() {
	if pid_of temporal "$TEMPORAL_DB" >/dev/null; then
		load_ports temporal
		STATE[temporal]=running
	else
		TEMPORAL_PORT=$(pick_port SERIALHUB_TEMPORAL_PORT 17233)
		TEMPORAL_UI_PORT=$(pick_port SERIALHUB_TEMPORAL_UI_PORT 18233)
	fi
}

temporal_start() {
	[[ ${STATE[temporal]:-} != running ]] || return 0
	[[ -x $TEMPORAL ]] || die "$TEMPORAL not found; run: $0 install"
	mkdir -p "$DATA/temporal"
	# The "default" namespace is always created; its HTTP API and metrics ports are picked
	# free at random and, like everything else, bound to --ip.
	spawn temporal "$LOGS/temporal.log" "$DATA/temporal" "$TEMPORAL" server start-dev \
		--ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
		--db-filename "$TEMPORAL_DB" --log-level warn
	save_ports temporal "TEMPORAL_PORT=$TEMPORAL_PORT" "TEMPORAL_UI_PORT=$TEMPORAL_UI_PORT"
	STATE[temporal]=started
}

# Ready for a worker: the frontend says SERVING and the default namespace is there.
temporal_ready() {
	local addr=127.0.0.1:$TEMPORAL_PORT
	[[ $("$TEMPORAL" operator cluster health --address "$addr" --command-timeout 5s) == *SERVING* ]] &&
		"$TEMPORAL" operator namespace describe -n default --address "$addr" --command-timeout 5s >/dev/null
}

temporal_wait() {
	wait_for 60 temporal "$TEMPORAL_DB" "$LOGS/temporal.log" temporal_ready
}

# ---------------------------------------------------------------------------------------------
# Simulators: the DSCSA trading partner and the EU Hub, loopback only, built from this clone
# into $DATA/bin. Their identities (TLS and AS2 certificates) and bearer tokens are kept in
# $DATA/sims and $DATA/secrets, so a restarted simulator is still the partner the hub trusts.
# The partner checks signatures against the hub's certificate (DATA/gateway-signing.crt),
# which the hub's worker makes on its first start; until then it answers 503.

SIM_BIN=$DATA/bin
SIM_DIR=$DATA/sims
PARTNERSIM_PORT=
EUHUBSIM_PORT=
XSD=$REPO_ROOT/../shared/vectors/epcis-1.2/xsd/EPCglobal-epcis-1_2.xsd

# sims_build builds both simulators into $SIM_BIN/new and moves each over the old binary only
# when it changed (a rename: a running simulator keeps its file). Sets CHANGED[name]=1 for those.
# When the build fails and an earlier one exists, that one runs.
declare -A CHANGED
sims_build() {
	local go name
	go=$(command -v go || echo /usr/local/go/bin/go)
	[[ -x $go ]] || die "Go is needed to build the simulators; put go on PATH"
	mkdir -p "$SIM_BIN/new"
	if ! (cd "$REPO_ROOT" && "$go" build -buildvcs=false -o "$SIM_BIN/new/" ./cmd/partnersim ./cmd/euhubsim) >>"$LOGS/sims-build.log" 2>&1; then
		tail -n 20 "$LOGS/sims-build.log" >&2
		# A tree in the middle of an edit should not keep the servers from starting.
		[[ -x $SIM_BIN/partnersim && -x $SIM_BIN/euhubsim ]] ||
			die "building the simulators failed; see $LOGS/sims-build.log"
		echo "note: building the simulators failed; running the previous build" >&2
		return 0
	fi
	for name in partnersim euhubsim; do
		if cmp -s "$SIM_BIN/new/$name" "$SIM_BIN/$name"; then
			rm -f "$SIM_BIN/new/$name"
		else
			mv "$SIM_BIN/new/$name" "$SIM_BIN/$name"
			CHANGED[$name]=1
		fi
	done
}

sims_check() {
	local name
	sims_build
	for name in partnersim euhubsim; do
		if pid_of "$name" "$SIM_BIN/$name" >/dev/null; then
			if [[ -n ${CHANGED[$name]:-} ]]; then
				stop_pid "$name" "$SIM_BIN/$name" TERM >/dev/null
				echo "$name: rebuilt, restarting"
			else
				load_ports "$name"
				STATE[$name]=running
				continue
			fi
		fi
		case $name in
		partnersim) PARTNERSIM_PORT=$(pick_port SERIALHUB_PARTNERSIM_PORT 18443) ;;
		euhubsim) EUHUBSIM_PORT=$(pick_port SERIALHUB_EUHUBSIM_PORT 18444 "$PARTNERSIM_PORT") ;;
		esac
	done
}

sims_start() {
	local xsd=()
	mkdir -p "$SIM_DIR"
	[[ -f $XSD ]] && xsd=(--xsd "$XSD")
	if [[ ${STATE[partnersim]:-} != running ]]; then
		# The bearer token travels in the environment, never on a command line.
		PARTNERSIM_TOKEN=$(secret partnersim_token) spawn partnersim "$LOGS/partnersim.log" "$SIM_DIR" \
			"$SIM_BIN/partnersim" --addr "127.0.0.1:$PARTNERSIM_PORT" \
			--tls-cert "$SIM_DIR/partnersim-tls.crt" --tls-key "$SIM_DIR/partnersim-tls.key" \
			--trust "$DATA/gateway-signing.crt" --as2-sender "$DATA/gateway-signing.crt" \
			--as2-cert "$SIM_DIR/partnersim-as2.crt" --as2-key "$SIM_DIR/partnersim-as2.key" "${xsd[@]}"
		save_ports partnersim "PARTNERSIM_PORT=$PARTNERSIM_PORT"
		STATE[partnersim]=started
	fi
	if [[ ${STATE[euhubsim]:-} != running ]]; then
		EUHUBSIM_TOKEN=$(secret euhubsim_token) spawn euhubsim "$LOGS/euhubsim.log" "$SIM_DIR" \
			"$SIM_BIN/euhubsim" --addr "127.0.0.1:$EUHUBSIM_PORT"
		save_ports euhubsim "EUHUBSIM_PORT=$EUHUBSIM_PORT"
		STATE[euhubsim]=started
	fi
}

# sim_answers URL succeeds when URL answers HTTP at all (the partner's 503 "not ready" too).
sim_answers() {
	curl -sk -o /dev/null --max-time 2 "$1"
}

sims_wait() {
	local name
	wait_for 20 partnersim "$SIM_BIN/partnersim" "$LOGS/partnersim" sim_answers "https://127.0.0.1:$PARTNERSIM_PORT/sim/received"
	wait_for 20 euhubsim "$SIM_BIN/euhubsim" "$LOGS/euhubsim" sim_answers "http://127.0.0.1:$EUHUBSIM_PORT/sim/state"
	# Something else may have answered on the port (taken between pick and start): ours must live.
	for name in partnersim euhubsim; do
		pid_of "$name" "$SIM_BIN/$name" >/dev/null || {
			last_run "$LOGS/$name.log" >&2
			die "$name exited while starting"
		}
	done
}

# ---------------------------------------------------------------------------------------------
# commands

write_env() {
	local pg_pw ch_pw
	pg_pw=$(secret pg_password)
	ch_pw=$(secret ch_password)
	install -m 600 /dev/null "$ENV_FILE.new"
	cat >"$ENV_FILE.new" <<-EOF
		# Connection settings of the local stack, written by deploy/local/stack.sh up.
		# Sourced by the Makefile; read by the serialhub binary and the tests (deploy/local/localenv).
		SERIALHUB_PG_DSN=postgres://serialhub:$pg_pw@127.0.0.1:$PG_PORT/serialhub?sslmode=disable
		SERIALHUB_PG_ADMIN_DSN=postgres://serialhub:$pg_pw@127.0.0.1:$PG_PORT/postgres?sslmode=disable
		SERIALHUB_CH_ADDR=127.0.0.1:$CH_PORT
		SERIALHUB_CH_HTTP=127.0.0.1:$CH_HTTP_PORT
		SERIALHUB_CH_DATABASE=serialhub
		SERIALHUB_CH_USER=default
		SERIALHUB_CH_PASSWORD=$ch_pw
		SERIALHUB_TEMPORAL_ADDR=127.0.0.1:$TEMPORAL_PORT
		SERIALHUB_TEMPORAL_NAMESPACE=default
		SERIALHUB_TEMPORAL_UI=http://127.0.0.1:$TEMPORAL_UI_PORT
		# The simulators (the demo finds them here): the partner's TLS certificate is a root the
		# hub trusts for partner endpoints; tokens are credentials references (file:PATH).
		SERIALHUB_PARTNER_CA=$SIM_DIR/partnersim-tls.crt
		SERIALHUB_PARTNERSIM_URL=https://127.0.0.1:$PARTNERSIM_PORT
		SERIALHUB_PARTNERSIM_TOKEN=file:$DATA/secrets/partnersim_token
		SERIALHUB_PARTNERSIM_AS2_CERT=$SIM_DIR/partnersim-as2.crt
		SERIALHUB_EUHUBSIM_URL=http://127.0.0.1:$EUHUBSIM_PORT
		SERIALHUB_EUHUBSIM_TOKEN=file:$DATA/secrets/euhubsim_token
		# A local hub retries a submission after 1 s (doubling) and polls a capture job after 1 s,
		# so an outage in the demo heals in seconds (production: 10 s and 5 s).
		SERIALHUB_SUBMISSION_RETRY=1s
		SERIALHUB_SUBMISSION_POLL=1s
	EOF
	# hub.sh adds the port the hub listens on (see there): keep it.
	grep -s '^SERIALHUB_HTTP_PORT=' "$ENV_FILE" >>"$ENV_FILE.new" || true
	mv "$ENV_FILE.new" "$ENV_FILE"
}

cmd_up() {
	local started
	started=$(now_ms)
	cmd_install
	take_lock stack
	# Find what runs and pick ports for the rest first, so that a port problem stops us
	# before anything was started. Then start all, and wait for each: the slow starts overlap.
	pg_check
	ch_check
	temporal_check
	sims_check
	ch_start
	temporal_start
	sims_start
	pg_start
	pg_setup
	ch_wait
	temporal_wait
	sims_wait
	write_env
	cmd_status
	echo "stack: up in $(since "$started"); settings in $ENV_FILE"
}

cmd_down() {
	take_lock stack
	pg_paths
	pg_pid >/dev/null || true
	# Shut-down signals: PostgreSQL's "fast" shutdown is SIGINT (SIGTERM would wait for every
	# client to leave); the others stop cleanly on SIGTERM.
	stop_pid partnersim "$SIM_BIN/partnersim" TERM
	stop_pid euhubsim "$SIM_BIN/euhubsim" TERM
	stop_pid temporal "$TEMPORAL_DB" TERM
	stop_pid clickhouse "$CH_MARKER" TERM
	stop_pid postgres "$PGDATA" INT
}

# status_line NAME PID ADDRESS [MORE]
status_line() {
	local state=${STATE[$1]:-running}
	if [[ -n $2 ]]; then
		printf '%-11s %-8s %-16s pid %-8s %s\n' "$1" "$state" "$3" "$2" "${4:-}"
	else
		printf '%-11s %s\n' "$1" stopped
	fi
}

cmd_status() {
	local pid
	pg_paths
	load_ports postgres
	load_ports clickhouse
	load_ports temporal
	pid=$(pg_pid) || pid=
	status_line postgres "$pid" "127.0.0.1:$PG_PORT" "data $PGDATA"
	pid=$(pid_of clickhouse "$CH_MARKER") || pid=
	status_line clickhouse "$pid" "127.0.0.1:$CH_PORT" "http://127.0.0.1:$CH_HTTP_PORT"
	pid=$(pid_of temporal "$TEMPORAL_DB") || pid=
	status_line temporal "$pid" "127.0.0.1:$TEMPORAL_PORT" "ui http://127.0.0.1:$TEMPORAL_UI_PORT"
	load_ports partnersim
	load_ports euhubsim
	pid=$(pid_of partnersim "$SIM_BIN/partnersim") || pid=
	status_line partnersim "$pid" "127.0.0.1:$PARTNERSIM_PORT" "https: /dscsa /capture /as2, faults /sim/faults"
	pid=$(pid_of euhubsim "$SIM_BIN/euhubsim") || pid=
	status_line euhubsim "$pid" "127.0.0.1:$EUHUBSIM_PORT" "http: /soap, faults /sim/faults"
}

cmd_logs() {
	echo "logs: $LOGS"
	ls -l "$LOGS"
}

case ${1:-} in
install) cmd_install ;;
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
logs) cmd_logs ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
