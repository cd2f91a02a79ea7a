#!/bin/bash
# The daemon tests once more against vmd built with ASan and UBSan
# ($B/vmd-asan, `make vmd-asan`): each must pass, and no sanitizer report
# may appear in anything they wrote; no vmd-asan process may be killed by
# a seccomp filter (the runtimes' own calls are the harness's problem).
#
# The set: every test that sources daemon.sh, i.e. starts a daemon
# (daemon_*.t, net_daemon.t; nat.t does not start one, its unit binary is
# ASan-built already). Each runs with KEEP_TMP=1 in a private mount
# namespace whose /tmp is a directory of ours, so every log it wrote (vmd's
# stderr, where every process, sandboxed or not, reports: a log_path
# cannot be opened after chroot) is scanned, then removed.
#
# Runtime options, for every vmd process alike:
#   detect_leaks=0     LeakSanitizer's stop-the-world (a ptrace'ing clone)
#                      is refused by the filters; leaks at exit are noise.
#   symbolize=0        no symbolizer (fork+exec, file reads) in a chroot;
#                      frames are printed as (module+offset) and symbolized
#                      here with addr2line.
#   fast_unwind_on_fatal=1  frame pointers, not libgcc's unwinder (dlopen,
#                      futex).
#   color=never        no isatty(3) (an ioctl) on the report path.
#   use_sigaltstack=0  no per-thread signal stack to set and unset.
#   halt_on_error=1    UBSan findings end the process, like ASan's (the
#                      libcore-asan objects are built recoverable).
# tests/tools/asan_hook.c, linked into vmd-asan, does the rest before each
# chroot and filter (module list, maps cache, UBSan init, stack bounds).
#
# ASAN_DAEMON_TESTS="daemon_basic.t ..." runs only those. The tests see
# ASAN_DAEMON=1 and may skip, saying so, a part that starts no vmd.
# A test that makes vmd processes die of SIGSYS on purpose (sandbox tests)
# says so with a line "# asan_daemon: SIGSYS expected"; its kills are then
# listed, not failed.
. "$(dirname "$0")/lib.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
VMDA=$B/vmd-asan
[ -x "$VMDA" ] || skip_all "$VMDA not built (make vmd-asan)"
[ -f "$GUEST" ] || skip_all "no test guest"
command -v unshare >/dev/null && unshare -m true 2>/dev/null ||
    skip_all "cannot unshare a mount namespace"
id _vmd >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin _vmd

SAN_COMMON="symbolize=0:fast_unwind_on_fatal=1:color=never:use_sigaltstack=0"
SAN_COMMON="$SAN_COMMON:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=0:$SAN_COMMON"
export UBSAN_OPTIONS="print_stacktrace=1:$SAN_COMMON"
# What a sanitizer writes (and the hook's own warnings).
SAN_RE='ERROR: (Address|Leak)Sanitizer|runtime error:|UndefinedBehaviorSanitizer|AddressSanitizer:|Sanitizer CHECK failed|^vmd-asan: '

# Seconds since boot, as dmesg prints them.
uptime_now() {
	cut -d' ' -f1 /proc/uptime
}

# seccomp_kills SINCE: audit records of vmd-asan processes killed by a
# filter since SINCE, as "pid N syscall NAME (NR)".
seccomp_kills() {
	dmesg 2>/dev/null | perl -ne '
	    BEGIN { ($since, $exe) = @ARGV[0, 1]; @ARGV = ();
		%n = (0, "read", 1, "write", 2, "open", 3, "close", 9, "mmap",
		10, "mprotect", 11, "munmap", 13, "rt_sigaction", 16, "ioctl",
		39, "getpid", 56, "clone", 57, "fork", 59, "execve", 62, "kill",
		89, "readlink", 98, "getrusage", 101, "ptrace", 131,
		"sigaltstack", 157, "prctl", 186, "gettid", 200, "tkill",
		202, "futex", 234, "tgkill", 257, "openat", 435, "clone3") }
	    next unless /^\[\s*([\d.]+)\].*type=1326 .*\bpid=(\d+) .*exe="([^"]*)".*\bsyscall=(\d+)/;
	    next if $1 < $since || $3 ne $exe;
	    printf "pid %d syscall %s (%d)\n", $2, $n{$4} // "?", $4;
	' "$1" "$VMDA"
}

dmesg >/dev/null 2>&1 ||
    echo "# dmesg unreadable: seccomp kills of vmd-asan cannot be seen"

# symbolize: a report on stdin, each "(vmd-asan+0xOFF)" frame followed by
# its function and line.
symbolize() {
	local line off
	while IFS= read -r line; do
		echo "$line"
		off=$(echo "$line" | sed -n "s|.*(${VMDA}+\(0x[0-9a-f]*\)).*|\1|p")
		[ -n "$off" ] && addr2line -f -i -p -e "$VMDA" "$off" |
		    sed 's/^/        = /'
	done
}

# scan DIR: 0 if some file under DIR holds a sanitizer report (shown).
scan() {
	local f found=1
	for f in $(grep -rlE "$SAN_RE" "$1" 2>/dev/null); do
		echo "${f#"$1"/}:"
		grep -E -A40 "$SAN_RE" "$f" | head -60 | symbolize
		found=0
	done | diag
	grep -rqE "$SAN_RE" "$1" 2>/dev/null
}

# leftovers: pids of vmd-asan processes still running (then killed).
leftovers() {
	local p l=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$VMDA" ] &&
		    l="$l ${p#/proc/}"
	done
	[ -n "$l" ] && kill -KILL $l 2>/dev/null
	echo $l
}

# in_private_tmp DIR CMD...: CMD with DIR mounted on /tmp in a new mount
# namespace; the build and source trees keep their paths if under /tmp.
in_private_tmp() {
	local dir=$1 p
	shift
	for p in "$B" "$TOP"; do
		case "$p" in /tmp/*) mkdir -p "$dir/${p#/tmp/}" ;; esac
	done
	unshare -m --propagation private bash -c '
	    dir=$1; shift
	    for p in "$B" "$TOP"; do
		case "$p" in /tmp/*) mount --bind "$p" "$dir/${p#/tmp/}" ||
		    exit 125 ;; esac
	    done
	    mount --rbind "$dir" /tmp || exit 125
	    exec "$@"' in_private_tmp "$dir" "$@"
}
export B TOP

# 1. The harness sees a report from each process, sandboxed or not: a
# preloaded double free (or signed overflow) as each enters its event loop.
cat >"$TMP/probe.c" <<'EOF'
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct event_base;
static int	armed;
volatile int	probe_sink;

__attribute__((noinline)) static int
probe_add(int a, int b)
{
	return a + b;
}

__attribute__((constructor)) static void
probe_init(void)
{
	const char	*want = getenv("SANPROBE");
	char		 buf[4096], pat[64];
	ssize_t		 n, i;
	int		 fd;

	if (want == NULL || (fd = open("/proc/self/cmdline", O_RDONLY)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (strcmp(want, "parent") == 0)
		armed = strstr(buf, " -P ") == NULL && strstr(buf, " -V ") == NULL;
	else if (strcmp(want, "vm") == 0)
		armed = strstr(buf, " -V ") != NULL;
	else {
		snprintf(pat, sizeof(pat), " -P %s", want);
		armed = strstr(buf, pat) != NULL;
	}
}

int
event_base_dispatch(struct event_base *b)
{
	int	(*real)(struct event_base *);
	char	*volatile p;

	real = (int (*)(struct event_base *))dlsym(RTLD_NEXT,
	    "event_base_dispatch");
	if (armed && getenv("SANPROBE_UBSAN") != NULL)
		probe_sink = probe_add(probe_sink + 2147483647, 1);
	else if (armed) {
		p = malloc(16);
		free(p);
		free(p);
	}
	return real(b);
}
EOF
cc -shared -fPIC -O1 -fsanitize=undefined -fno-omit-frame-pointer \
    -o "$TMP/probe.so" "$TMP/probe.c" -ldl 2>"$TMP/probe.err"
ok $? "the probe library builds" || diag <"$TMP/probe.err"
chmod 755 "$TMP"	# VM processes, exec'd as _vmd, load it too

# probe PROC KIND: vmd-asan with the probe armed in PROC; the report lands
# in the log with frames in vmd-asan, and no process dies of SIGSYS.
probe() {
	local proc=$1 kind=$2 d=$TMP/probe-$1-$2 pid since kills want extra=
	mkdir "$d"
	cat >"$d/vm.conf" <<CONF
vm "p1" {
	memory 64M
	boot "$GUEST"
	cmdline "tg.checks=none tg.end=hang"
}
CONF
	since=$(uptime_now)
	want='ERROR: AddressSanitizer: attempting double-free'
	if [ "$kind" = UBSan ]; then
		want='runtime error: signed integer overflow'
		extra=SANPROBE_UBSAN=1
	fi
	env LD_PRELOAD="$TMP/probe.so" SANPROBE="$proc" $extra \
	    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
	    "$VMDA" -d -f "$d/vm.conf" -s "$d/sock" >"$d/log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		grep -q 'vmd-asan+0x' "$d/log" && grep -q "$want" "$d/log" &&
		    break
		sleep 0.05
	done
	sleep 0.3	# the rest of the report, and the process's end
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	kills=$(seccomp_kills "$since")
	grep -q "$want" "$d/log" && grep -q 'vmd-asan+0x' "$d/log" &&
	    [ -z "$kills" ] && scan "$d" >/dev/null
	ok $? "$proc: a report by $kind reaches the log whole, no SIGSYS" ||
	    { tail -30 "$d/log" | diag; echo "$kills" | diag; }
}
for p in parent control vmm priv vm; do
	probe "$p" ASan
done
probe control UBSan
probe vm UBSan
[ -z "$(leftovers)" ]
ok $? "no vmd-asan process left by the probes"

# 2. The daemon tests (ASAN_DAEMON_TESTS="a.t b.t" picks some).
if [ -n "$ASAN_DAEMON_TESTS" ]; then
	tests=$(for t in $ASAN_DAEMON_TESTS; do echo "$TOP/tests/integ/$t"; done)
else
	tests=$(grep -l '^\. .*daemon\.sh"$' "$TOP"/tests/integ/*.t)
fi
t_all0=$(date +%s)
for t in $tests; do
	name=$(basename "$t")
	d=$TMP/run-${name%.t}
	mkdir -p "$d/tmp"
	chmod 1777 "$d/tmp"
	since=$(uptime_now)
	t0=$(date +%s)
	in_private_tmp "$d/tmp" env VMD="$VMDA" KEEP_TMP=1 ASAN_DAEMON=1 \
	    timeout -k 30 900 "$t" >"$d/out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	left=$(leftovers)
	kills=$(seccomp_kills "$since")
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$d/out" | tail -1)
	# Its own TAP: exit 0, a plan, no "not ok".
	skip=$(sed -n 's/^1\.\.0 # SKIP \(.*\)/: skipped, \1/p' "$d/out")
	[ "$rc" -eq 0 ] && [ -n "$plan" ] && ! grep -q '^not ok' "$d/out"
	ok $? "$name under ASan+UBSan passes (${secs}s$skip)" || {
		grep -E '^not ok|^#' "$d/out" | head -30 | diag
		echo "exit $rc" | diag
	}
	! scan "$d"
	ok $? "$name: no sanitizer report"
	if [ -n "$kills" ] && grep -q '^# asan_daemon: SIGSYS expected' "$t"; then
		echo "$kills" | sed 's/^/expected: /' | diag
		kills=
	fi
	[ -z "$kills" ]
	ok $? "$name: no vmd-asan process killed by a seccomp filter" ||
	    echo "$kills" | diag
	[ -z "$left" ]
	ok $? "$name: no vmd-asan process left behind" ||
	    echo "killed:$left" | diag
	[ -n "$KEEP_TMP" ] || rm -rf "$d"
done
echo "# the daemon tests under ASan+UBSan took $(($(date +%s) - t_all0)) s"
done_testing
