#!/bin/bash
# The sandbox, tried from the inside: a stray fd given to vmd reaches no
# child; every process holds only the fds its job needs; each VM process
# has a uid of its own; system calls run inside the real processes (by
# tests/tools/sysinject) are refused where the seccomp filters say, and a
# VM that tries cannot touch another; a VM that never reports started is
# killed; and a killed control or vmm ends vmd with every VM.
# asan_daemon: SIGSYS expected
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
INJ=$B/tests/tools/sysinject
[ -x "$INJ" ] || skip_all "no $INJ (make unit)"
need_vmd_user

# Victims: one VM per call that kills its process, started when needed.
VICTIMS="ursetup persist hwaddr ufo mmapx mprotx fork trunc falloc pwbig wdisk tgkill \
    kill affin open dump ptrace dupfd junk"
vmconf() {	# vmconf NAME [EXTRA]
	truncate -s 4M "$TMP/$1.img"
	printf 'vm "%s" {\n\tmemory 64M\n\tboot "%s"\n' "$1" "$GUEST"
	printf '\tcmdline "tg.end=wait-powerbutton"\n\tdisk "%s"\n' \
	    "$TMP/$1.img"
	printf '\tinterface\n%s\n}\n' "${2:-}"
}
{
	vmconf a
	vmconf b
	for v in $VICTIMS; do vmconf "$v" "	disable"; done
} >"$CONF"

echo "not for VMs" >"$TMP/secret"
exec 77<"$TMP/secret"
vmd_start
rc=$?
exec 77<&-
ok $rc "vmd starts with fd 77 open on a file"
wait_for 10 state_is a running && wait_for 10 state_is b running
ok $? "VMs a and b run"
pa=$(status_field a 2)
pb=$(status_field b 2)
child() {	# child NAME: the pid of vmd's privsep child, titled vmd: NAME
	ps -o pid=,args= --ppid "$VMD_PID" |
	    awk -v p="$1" '$2 == "vmd:" && $3 == p && NF == 3 { print $1 }'
}
pc=$(child control)
pm=$(child vmm)
pp=$(child priv)

# fds PID: one line per fd above 2, "N class" (a socket, pipe, anon inode
# kind or a path with numbers stripped from /dev/pts/N and vcpu N).
fds() {
	local f l
	for f in /proc/"$1"/fd/*; do
		[ "${f##*/}" -gt 2 ] || continue
		l=$(readlink "$f") || continue
		case $l in
		socket:*) l=socket ;;
		pipe:*) l=pipe ;;
		/dev/pts/*) l=/dev/pts ;;
		anon_inode:kvm-vcpu:*) l=anon_inode:kvm-vcpu ;;
		"/memfd:guest-ram (deleted)") l=memfd:guest-ram ;;
		esac
		echo "${f##*/} $l"
	done
}
# only PID CLASS...: every fd of PID above 2 is one of CLASS.
only() {
	local pid=$1 bad
	shift
	bad=$(fds "$pid" | awk '{ $1 = ""; sub(/^ /, ""); print }' |
	    sort -u | grep -vxF -f <(printf '%s\n' "$@"))
	[ -z "$bad" ] || { echo "$bad" | diag; return 1; }
}
LOOP="anon_inode:[eventpoll] anon_inode:[eventfd] anon_inode:[timerfd] pipe"

no_secret=0
for pid in "$VMD_PID" "$pc" "$pm" "$pp" "$pa" "$pb"; do
	if [ -e "/proc/$pid/fd/77" ] ||
	    fds "$pid" | grep -q " $TMP/secret\$"; then
		echo "pid $pid holds the stray fd" | diag
		no_secret=1
	fi
done
ok $no_secret "the stray fd 77 reached neither the parent nor any child"
# shellcheck disable=SC2086
only "$VMD_PID" socket /dev/kvm /dev/ptmx /dev/pts $LOOP
ok $? "parent: channels, /dev/kvm, the consoles' ptys (no disk, tap)"
# shellcheck disable=SC2086
only "$pc" socket $LOOP
ok $? "control: sockets and its event loop only"
# shellcheck disable=SC2086
only "$pm" socket $LOOP
ok $? "vmm: channels (to the parent and each VM) only"
# shellcheck disable=SC2086
only "$pp" socket /proc/sys/net/ipv4/ip_forward \
    /proc/sys/net/ipv6/conf/all/forwarding $LOOP
ok $? "priv: its channel and the forwarding sysctls only"
for v in a b; do
	pid=$(status_field $v 2)
	# shellcheck disable=SC2086
	# anon_inode:[io_uring]: its disk's ring (lib/disk/aio.c).
	only "$pid" socket /dev/kvm anon_inode:kvm-vm anon_inode:kvm-vcpu \
	    /dev/ptmx /dev/net/tun memfd:guest-ram "$TMP/$v.img" \
	    anon_inode:[io_uring] $LOOP &&
	    [ "$(fds "$pid" | grep -c ' socket$')" = 1 ] &&
	    [ "$(readlink "/proc/$pid/fd/3")" != "" ] &&
	    fds "$pid" | grep -q "^3 socket\$"
	ok $? "VM $v: its channel on fd 3, its own disk and tap, KVM (nothing of the other)"
done

# Credentials: a table for the log, and each VM's uid its own.
for n in parent:$VMD_PID control:$pc vmm:$pm priv:$pp vm-a:$pa vm-b:$pb; do
	pid=${n#*:}
	printf '%-8s uid %-10s caps %s nnp %s seccomp %s root %s\n' "${n%%:*}" \
	    "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" \
	    "$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")" \
	    "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status")" \
	    "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status")" \
	    "$(readlink "/proc/$pid/root")"
done | diag
ua=$(awk '/^Uid:/ { print $2 }' "/proc/$pa/status")
ub=$(awk '/^Uid:/ { print $2 }' "/proc/$pb/status")
vmd_uid=$(id -u _vmd)
[ "$ua" = $((0x7f000000 + pa)) ] && [ "$ub" = $((0x7f000000 + pb)) ] &&
    [ "$ua" != "$ub" ] && [ "$ua" != "$vmd_uid" ]
ok $? "each VM process runs as its own uid (0x7f000000 + pid), not _vmd's"
grep -q '^CapEff:	0000000000001000$' "/proc/$pp/status" &&
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pp/status")" = "$vmd_uid" ] &&
    grep -q '^NoNewPrivs:	1' "/proc/$pp/status" &&
    grep -q '^Seccomp:	2' "/proc/$pp/status"
ok $? "priv: _vmd with CAP_NET_ADMIN only, no_new_privs, seccomp"
grep -q '^Seccomp:	2' "/proc/$VMD_PID/status"
ok $? "parent: a seccomp filter"

# The kernel keeps VM uids apart: a process with a's uid cannot signal b.
setpriv --reuid="$ua" --regid="$ua" --clear-groups kill -0 "$pa" &&
    ! setpriv --reuid="$ua" --regid="$ua" --clear-groups kill -0 "$pb" \
    2>/dev/null &&
    ! setpriv --reuid="$ua" --regid="$ua" --clear-groups kill -0 "$pm" \
    2>/dev/null
ok $? "a's uid may signal a, not b or vmm"

# inj PID SYSCALL ARGS...: run it inside PID, output in $out, status $?.
inj() {
	out=$("$INJ" "$@" 2>&1)
}
# fd_of PID PATTERN: the fd number whose target matches PATTERN.
fd_of() {
	fds "$1" | awk -v p="$2" '$2 ~ p { print $1; exit }'
}
inj "$pa" getpid
[ "$out" = "$pa" ]
ok $? "sysinject runs getpid inside VM a"
inj "$pa" tgkill "$pa" "$pa" 0
[ "$out" = 0 ]
ok $? "VM a may signal its own threads (tgkill to itself)"
dfd=$(fd_of "$pa" "$TMP/a.img")
inj "$pa" pwrite64 "$dfd" @buf 512 4096
[ "$dfd" -ge 512 ] && [ "$out" = 512 ]
ok $? "VM a writes its disk inside the image (disk fd $dfd >= 512)"
inj "$pa" socket 2 1 0
[ "$out" = "-EPERM" ] && kill -0 "$pa"
ok $? "VM a: socket(2) refused with EPERM"
tfd=$(fd_of "$pa" /dev/net/tun)
inj "$pa" ioctl "$tfd" 0x400454d0 3
[ -n "$tfd" ] && [ "$out" = 0 ] && kill -0 "$pa"
ok $? "VM a may set its tap's checksum and TCP offloads (TUNSETOFFLOAD 3, fd ${tfd:-?})"

# refused NAME SYSCALL ARGS...: start victim NAME, run the call in it (with
# TAPFD and DISKFD and B replaced), expect SIGSYS, b and vmd unharmed.
refused() {
	local v=$1 pid tfd dfd args=() a
	shift
	vmctl start "$v" >/dev/null 2>&1 && wait_for 10 state_is "$v" running ||
	    return 1
	pid=$(status_field "$v" 2)
	tfd=$(fd_of "$pid" /dev/net/tun)
	dfd=$(fd_of "$pid" "$TMP/$v.img")
	tap=$(awk '/^iff:/ { print $2 }' "/proc/$pid/fdinfo/$tfd")
	for a in "$@"; do
		case $a in
		TAPFD) a=$tfd ;;
		DISKFD) a=$dfd ;;
		PIDB) a=$pb ;;
		esac
		args+=("$a")
	done
	inj "$pid" "${args[@]}"
	[ "$out" = "killed by SIGSYS" ] || { echo "$v: $out" | diag; return 1; }
	wait_for 10 vm_gone "$v" && kill -0 "$pb" && state_is b running
}
refused persist ioctl TAPFD 0x400454cb 1 &&
    wait_for 5 sh -c "! ip link show $tap"
ok $? "TUNSETPERSIST on the tap: killed, and the tap goes with the VM"
refused hwaddr ioctl TAPFD 0x8924 @buf
ok $? "SIOCSIFHWADDR on the tap: killed"
refused ufo ioctl TAPFD 0x400454d0 0x10
ok $? "TUNSETOFFLOAD asking for UDP fragmentation on the tap: killed"
refused mmapx mmap 0 4096 5 0x22 -1 0
ok $? "mmap with PROT_EXEC: killed"
refused mprotx mprotect 0x10000 4096 7
ok $? "mprotect with PROT_EXEC: killed"
refused fork clone 17 0 0 0 0
ok $? "clone of a process (not a thread): killed"
refused trunc ftruncate DISKFD 0x10000000000
ok $? "ftruncate of the disk: killed"
refused falloc fallocate DISKFD 0 0 0x40000000
ok $? "fallocate growing the disk (mode 0): killed"
refused pwbig pwrite64 DISKFD @buf 512 0x10000000000
ok $? "pwrite64 far beyond the disk's end: killed"
[ "$(stat -c %s "$TMP/pwbig.img")" = 4194304 ]
ok $? "and the image kept its size"
refused wdisk write DISKFD @buf 512
ok $? "write(2) at the disk's file position: killed"
refused tgkill tgkill PIDB PIDB 9
ok $? "tgkill of VM b's thread: killed, b runs on"
refused kill kill PIDB 9
ok $? "kill of VM b: killed, b runs on"
refused affin sched_setaffinity PIDB 8 @buf
ok $? "sched_setaffinity of VM b (a disk's ring thread may move only itself): killed, b runs on"
refused open openat -100 @str:/etc/passwd 0
ok $? "openat: killed"
refused dump prctl 4 1
ok $? "prctl(PR_SET_DUMPABLE): killed"
refused ptrace ptrace 16 PIDB 0 0
ok $? "ptrace of VM b: killed"
refused dupfd fcntl DISKFD 0 10
ok $? "fcntl(F_DUPFD) of the disk (to write it elsewhere): killed"
refused ursetup io_uring_setup 8 @buf
ok $? "io_uring_setup (a ring without the disk ring's restrictions): killed"

# Its channel leads to vmm only: junk there ends the VM, nothing else.
vmctl start junk >/dev/null 2>&1 && wait_for 10 state_is junk running
pj=$(status_field junk 2)
inj "$pj" write 3 @str:not-a-message-at-all 21
# (The parent may kill it before sysinject is done with it.)
{ [ "$out" = 21 ] || [ "$out" = "killed by SIGKILL" ]; } &&
    wait_for 10 vm_gone junk && ! kill -0 "$pj" 2>/dev/null &&
    grep -q 'vm junk (vm [0-9]*): its process broke the protocol, killing it' \
    "$VMD_LOG" && state_is a running && state_is b running
ok $? "a VM writing junk on its channel is killed; vmd, a and b carry on" ||
    { echo "sysinject: $out" | diag; show_log; }

# priv and the parent fail what their filters refuse with EPERM.
inj "$pp" socket 17 3 0
[ "$out" = "-EPERM" ]
ok $? "priv: a packet socket is refused (EPERM)"
inj "$pp" openat -100 @str:/etc/shadow 0
[ "$out" = "-EPERM" ]
ok $? "priv: openat is refused (EPERM)"
inj "$pp" mmap 0 4096 5 0x22 -1 0
[ "$out" = "-EPERM" ]
ok $? "priv: executable memory is refused (EPERM)"
inj "$VMD_PID" ptrace 16 "$pb" 0 0
[ "$out" = "-EPERM" ]
ok $? "parent: ptrace is refused (EPERM)"
inj "$VMD_PID" init_module 0 0 @str:
[ "$out" = "-EPERM" ]
ok $? "parent: init_module is refused (EPERM)"
vmctl status >/dev/null && state_is a running && state_is b running
ok $? "after all that, vmd answers and a and b run"

# A forbidden call in control or vmm kills it, and vmd ends with its VMs.
ends_vmd() {	# ends_vmd PID SYSCALL ARGS...
	inj "$@"
	[ "$out" = "killed by SIGSYS" ] || { echo "$out" | diag; return 1; }
	wait "$VMD_PID"
	VMD_PID=
	wait_for 10 sh -c "! kill -0 $pa 2>/dev/null && ! kill -0 $pb 2>/dev/null"
}
ends_vmd "$pc" execve @str:/bin/sh 0 0
ok $? "control: execve kills it; vmd ends, and its VMs with it"
vmd_start && wait_for 10 state_is a running && wait_for 10 state_is b running
pa=$(status_field a 2)
pb=$(status_field b 2)
pm=$(child vmm)
ends_vmd "$pm" kill "$pa" 9
ok $? "vmm: kill kills it; vmd ends, and its VMs with it"

# A VM that does not report started in time is killed and reported.
: >"$CONF"
VMD_START_TIMEOUT=2 vmd_start
pm=$(child vmm)
kill -STOP "$pm"
vmctl start -b "$GUEST" -m 64M -k "tg.end=wait-powerbutton" slow \
    >"$TMP/slow.out" 2>&1
rc=$?
kill -CONT "$pm"
[ $rc -ne 0 ] && grep -q 'did not start in time' "$TMP/slow.out" &&
    grep -q 'did not report started in 2 s, killing it' "$VMD_LOG" &&
    ! pgrep -P "$VMD_PID" -f -- '-V |^vmd: vm ' >/dev/null
ok $? "no start report in 2 s: the VM process is killed, start fails"
diag <"$TMP/slow.out"
vmctl start -b "$GUEST" -m 64M -k "tg.end=wait-powerbutton" slow \
    >/dev/null 2>&1 && wait_for 10 state_is slow running
ok $? "the next start runs"
vmd_stop
[ "$vmd_rc" = 0 ]
ok $? "vmd exits 0 on SIGTERM"
done_testing
