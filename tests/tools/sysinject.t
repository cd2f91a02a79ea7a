#!/bin/bash
# tests/tools/sysinject.c: one system call run inside another process.
# Targets built here: a process under another uid with a seccomp filter
# (getpriority -> EPERM, setpriority -> KILL_PROCESS) and a second thread,
# blocked in read, epoll_wait or nanosleep; then a real VM process of
# `vmctl run` (its main thread in epoll_wait, vCPUs in KVM_RUN).
. "$(dirname "$0")/../integ/lib.sh"
SI=$B/tests/tools/sysinject
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$SI" ] || skip_all "$SI not built (make tools)"
command -v cc >/dev/null || skip_all "no cc"
[ "$(uname -m)" = x86_64 ] || skip_all "x86-64 only"

TPIDS=
si_cleanup() {
	local p
	exec 7>&- 2>/dev/null
	for p in $TPIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $TPIDS; do
		wait "$p" 2>/dev/null
	done
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap si_cleanup EXIT
trap '' PIPE		# a target that died does not end the test
chmod 755 "$TMP"	# the target runs as nobody

cat >"$TMP/target.c" <<'EOF'
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* target MODE READY: setup, "pid" in READY, then block in MODE on stdin. */
static void *
target_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 ev;
	struct timespec		 ts = { 2, 0 };
	scmp_filter_ctx		 ctx;
	pthread_t		 t;
	char			 buf[64];
	ssize_t			 n;
	FILE			*f;
	uid_t			 u = 65534;
	int			 ep, r;

	if (argc != 3)
		return 64;
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((f = fopen(argv[2], "w")) == NULL)
		return 67;
	if (pthread_create(&t, NULL, target_thread, NULL) != 0 ||
	    setresgid(u, u, u) == -1 || setresuid(u, u, u) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return 65;
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(getpriority), 0) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS,
	    SCMP_SYS(setpriority), 0) != 0 || seccomp_load(ctx) != 0)
		return 66;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	if (strcmp(argv[1], "sleep") == 0) {
		r = nanosleep(&ts, NULL);
		printf("slept: %s\n", r == 0 ? "ok" : strerror(errno));
		return 0;
	}
	if (strcmp(argv[1], "epoll") == 0) {
		ep = epoll_create1(0);
		ev.events = EPOLLIN;
		ev.data.fd = 0;
		if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1)
			return 68;
		while ((n = epoll_wait(ep, &ev, 1, -1)) == -1 && errno == EINTR)
			printf("epoll_wait: EINTR\n");
		if (n != 1)
			return 69;
	}
	if ((n = read(0, buf, sizeof(buf) - 1)) < 0) {
		printf("read: %s\n", strerror(errno));
		return 1;
	}
	buf[n] = '\0';
	printf("got %s", buf);
	return 0;
}
EOF
cc -O1 -o "$TMP/target" "$TMP/target.c" -lseccomp -pthread 2>"$TMP/cc.err"
ok $? "target builds" || { diag <"$TMP/cc.err"; done_testing; exit; }

# start MODE: the target blocked in MODE, stdin a FIFO on fd 7; sets $tpid.
start() {
	rm -f "$TMP/fifo" "$TMP/ready" "$TMP/$1.out"
	mkfifo "$TMP/fifo"
	(cd "$TMP" && exec ./target "$1" "$TMP/ready") <"$TMP/fifo" \
	    >"$TMP/$1.out" 2>&1 &
	tpid=$!
	TPIDS="$TPIDS $tpid"
	exec 7>"$TMP/fifo"
	# Ready once its pid is written and the filter is in.
	for _ in $(seq 100); do
		[ -s "$TMP/ready" ] && break
		sleep 0.05
	done
	[ "$(cat "$TMP/ready" 2>/dev/null)" = "$tpid" ]
}

# finish: feed the target a line and reap it; sets $trc.
finish() {
	echo hello 2>/dev/null >&7
	exec 7>&-
	wait "$tpid"
	trc=$?
}

# The thread of $1 that is not its leader.
other_thread() {
	ls "/proc/$1/task" | grep -vx "$1" | head -1
}

start read
ok $? "a target in read(2), as nobody, under a seccomp filter"
out=$("$SI" "$tpid" getpid)
ok $? "getpid: exit 0"
[ "$out" = "$tpid" ]
ok $? "getpid returns the target's pid ($out)"
[ "$("$SI" "$tpid" getuid)" = 65534 ]
ok $? "getuid returns the target's uid, not ours"
tid=$(other_thread "$tpid")
[ -n "$tid" ] && [ "$("$SI" -t "$tid" "$tpid" gettid)" = "$tid" ] &&
    [ "$("$SI" -t "$tid" "$tpid" getpid)" = "$tpid" ]
ok $? "-t: gettid in the second thread is its tid, getpid the pid"
out=$("$SI" "$tpid" getpriority 0 0)
ok $? "a call the filter refuses: exit 0"
[ "$out" = -EPERM ]
ok $? "getpriority, refused by the filter: -EPERM ($out)"
echo text >"$TMP/file"
chmod 644 "$TMP/file"
fd=$("$SI" "$tpid" openat -100 "@str:$TMP/file" 0)
[ -n "$fd" ] && [ "$fd" -ge 0 ] 2>/dev/null &&
    [ "$(readlink "/proc/$tpid/fd/$fd")" = "$TMP/file" ]
ok $? "openat(AT_FDCWD, @str:path, O_RDONLY): the target holds fd $fd on it"
[ "$("$SI" "$tpid" read "$fd" @buf 100)" = 5 ]
ok $? "read(fd, @buf, 100) reads the file's 5 bytes"
[ "$("$SI" "$tpid" getcwd @buf 512)" = $(( ${#TMP} + 1 )) ]
ok $? "getcwd(@buf, 512): the length of the target's cwd"
[ "$("$SI" "$tpid" close 1000)" = -EBADF ]
ok $? "close(1000): -EBADF"
[ "$("$SI" "$tpid" 39)" = "$tpid" ]
ok $? "a system call by number (39, getpid)"
finish
[ "$trc" -eq 0 ] && grep -qx 'got hello' "$TMP/read.out"
ok $? "the target's read(2) carried on and got its line (exit $trc)"

start epoll
ok $? "a target in epoll_wait(2)"
[ "$("$SI" "$tpid" getpid)" = "$tpid" ] &&
    [ "$("$SI" "$tpid" getpid)" = "$tpid" ]
ok $? "getpid, twice, in a thread blocked in epoll_wait"
finish
[ "$trc" -eq 0 ] && grep -qx 'got hello' "$TMP/epoll.out"
ok $? "epoll_wait returned (EINTR at most) and the target carried on" ||
    diag <"$TMP/epoll.out"

start sleep
ok $? "a target in nanosleep(2)"
[ "$("$SI" "$tpid" getpid)" = "$tpid" ]
ok $? "getpid in a thread blocked in nanosleep"
finish
[ "$trc" -eq 0 ] && grep -qx 'slept: ok' "$TMP/sleep.out"
ok $? "its sleep resumed and ended normally" || diag <"$TMP/sleep.out"

start read
ok $? "a target in read(2) again"
out=$("$SI" "$tpid" setpriority 0 0 0)
rc=$?
[ "$rc" -eq 2 ] && [ "$out" = "killed by SIGSYS" ]
ok $? "a call its KILL_PROCESS filter refuses: killed by SIGSYS, exit 2 ($rc: $out)"
finish
[ "$trc" -eq $((128 + 31)) ]
ok $? "the target died of SIGSYS (wait status $trc)"

"$SI" 999999999 getpid >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "no such process: exit 1"
"$SI" $$ no_such_call >/dev/null 2>&1
[ $? -eq 1 ]
ok $? "unknown system call name: exit 1"

# A real VM process: vmctl run's, sandboxed as in the daemon (_vmd if it
# exists, chroot, no_new_privs, seccomp KILL_PROCESS).
if [ -c /dev/kvm ] && [ -w /dev/kvm ] && [ -f "$GUEST" ]; then
	timeout -s KILL 120 "$VMCTL" run -b "$GUEST" -m 64M -p 2 \
	    -k "tg.checks=none tg.end=hang" </dev/null >"$TMP/vm.out" \
	    2>"$TMP/vm.err" &
	vpid=$!
	TPIDS="$TPIDS $vpid"
	vm=
	# Sandboxed and running: a filter, and both vCPU threads blocked in KVM.
	for _ in $(seq 200); do
		ctl=$(pgrep -P "$vpid" -x vmctl)
		[ -n "$ctl" ] && vm=$(pgrep -P "$ctl" | head -1)
		[ -n "$vm" ] && grep -q '^Seccomp:	2' "/proc/$vm/status" &&
		    [ "$(grep -l kvm_vcpu "/proc/$vm"/task/*/wchan 2>/dev/null |
		    wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	vcpu=$(grep -l kvm_vcpu "/proc/$vm"/task/*/wchan 2>/dev/null |
	    head -1 | cut -d/ -f5)
	[ -n "$vm" ] && [ -n "$vcpu" ]
	ok $? "a VM process ($vm) runs its guest, sandboxed"
	[ "$("$SI" "$vm" getpid)" = "$vm" ]
	ok $? "VM main thread (epoll_wait): getpid is its pid"
	[ "$("$SI" -t "$vcpu" "$vm" gettid)" = "$vcpu" ]
	ok $? "VM vCPU thread (KVM_RUN): gettid is its tid"
	worker=$(grep -l '^kvm-' "/proc/$vm"/task/*/comm 2>/dev/null |
	    head -1 | cut -d/ -f5)
	if [ -n "$worker" ]; then
		"$SI" -t "$worker" "$vm" getpid >/dev/null 2>&1
		[ $? -eq 1 ]
		ok $? "KVM's kernel worker thread in the VM process is refused"
	fi
	# Still alive and working: a second round of calls answers.
	[ "$("$SI" "$vm" getpid)" = "$vm" ] &&
	    [ "$("$SI" -t "$vcpu" "$vm" getpid)" = "$vm" ] &&
	    grep -q '^State:	S' "/proc/$vm/status"
	ok $? "the VM process carries on (answers again, sleeping in its loop)"
	# Two SIGTERMs: the power button (ignored by tg.end=hang), then off.
	kill -TERM "$vm"
	for _ in $(seq 100); do
		grep -q 'pressing the power button' "$TMP/vm.err" && break
		sleep 0.05
	done
	kill -TERM "$vm"
	wait "$vpid"
	rc=$?
	[ "$rc" -lt 128 ] && ! grep -qi 'sanitizer\|segmentation\|killed by' \
	    "$TMP/vm.err"
	ok $? "the VM ends on SIGTERM, not by a crash (vmctl exit $rc)" ||
	    tail -5 "$TMP/vm.err" | diag
else
	echo "# no /dev/kvm or test guest: the real VM part is skipped"
fi
done_testing
