# Shared by the daemon tests (bash): a private vmd on a private socket.
# Source after lib.sh. Every test gets its own socket, config and log.
VMD=${VMD:-$B/vmd}
SOCK=$TMP/vmd.sock
CONF=$TMP/vm.conf
VMD_LOG=$TMP/vmd.log
VMD_PID=
# A guest ignores the power button until it waits for it (early in boot a
# press is lost); tests wait for that, and vmd forces a stop after 10 s.
export VMD_STOP_TIMEOUT=10

# The unprivileged user vmd needs (the install step creates it too).
need_vmd_user() {
	id _vmd >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin _vmd
}

daemon_cleanup() {
	if [ -n "$VMD_PID" ] && kill -0 "$VMD_PID" 2>/dev/null; then
		kill -TERM "$VMD_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$VMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VMD_PID" 2>/dev/null
	fi
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap daemon_cleanup EXIT

# vmd_start [ARGS...]: start vmd in the foreground mode on $SOCK with
# $CONF (created empty if missing); waits until the socket answers.
vmd_start() {
	[ -f "$CONF" ] || : >"$CONF"
	"$VMD" -d -f "$CONF" -s "$SOCK" "$@" >>"$VMD_LOG" 2>&1 &
	VMD_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && "$VMCTL" -s "$SOCK" status >/dev/null 2>&1
		[ $? -le 1 ] && [ -S "$SOCK" ] && return 0
		kill -0 "$VMD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# vmd_term SECONDS: SIGTERM, and wait that long for vmd to end; $vmd_rc is
# its exit status, or 1 if it is still there (VMD_PID is then kept, for the
# cleanup to kill it).
vmd_term() {
	kill -TERM "$VMD_PID"
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$VMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	vmd_rc=1
	if ! kill -0 "$VMD_PID" 2>/dev/null; then
		wait "$VMD_PID"
		vmd_rc=$?
		VMD_PID=
	fi
}

# vmd_stop: SIGTERM and wait; sets $vmd_rc.
vmd_stop() {
	kill -TERM "$VMD_PID"
	wait "$VMD_PID"
	vmd_rc=$?
	VMD_PID=
}

vmctl() {
	"$VMCTL" -s "$SOCK" "$@"
}

# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq $((t * 20))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# status_field NAME COLUMN: one column (1-9) of NAME's status row.
status_field() {
	vmctl status 2>/dev/null | awk -v n="$1" -v c="$2" '$9 == n { print $c }'
}

# state_is NAME STATE: NAME's STATE column is STATE (for wait_for).
state_is() {
	[ "$(status_field "$1" 8)" = "$2" ]
}

# vm_gone NAME: NAME is not listed, or listed as stopped.
vm_gone() {
	local st
	st=$(status_field "$1" 8)
	[ -z "$st" ] || [ "$st" = stopped ]
}

show_log() {
	tail -20 "$VMD_LOG" | diag
}
