#!/bin/bash
# vmctl as users meet it (issue 10): sizes read as vm.conf reads them,
# messages that say what is wrong (no daemon, a missing -b, a size out of
# range), the README's foreground example, a console that leaves at the end
# of its input and restores the terminal, one console per VM, and the man
# pages as they render.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user

C1_PID=
ux_cleanup() {
	[ -z "$C1_PID" ] || kill -KILL "$C1_PID" 2>/dev/null
	daemon_cleanup
}
trap ux_cleanup EXIT
# A console that already left must fail our writes, not kill the test.
trap '' PIPE

# expect NAME RC PATTERN CMD...: CMD exits RC and its stderr has PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
	[ "$rc" -eq "$want" ] && grep -q -- "$pat" "$TMP/$name.err"
	ok $? "$name: exit $want, says '$pat'"
	if [ $? -ne 0 ]; then
		echo "exit $rc" | diag
		diag <"$TMP/$name.err"
	fi
}

# No daemon: say so, naming the socket.
expect nodaemon 1 "^vmctl: vmd is not running (no daemon on $TMP/none.sock)$" \
    "$VMCTL" -s "$TMP/none.sock" status
# A socket nobody listens on (a vmd killed with -9 leaves one).
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_SEQPACKET,
    Local => $ARGV[0]) or die "$!\n"' "$TMP/stale.sock"
expect staledaemon 1 "^vmctl: vmd is not running (no daemon on $TMP/stale.sock)$" \
    "$VMCTL" -s "$TMP/stale.sock" status

# run -b with a file that is neither a bzImage nor a firmware image (a
# truncated SeaBIOS) says so; a boot device needs BIOS boot.
head -c 100000 /dev/zero >"$TMP/trunc.bin"
expect badboot 1 "^vmctl: $TMP/trunc.bin: not a bzImage .* nor a firmware image (size not a multiple of 64 KiB from 64 KiB to 16 MiB)$" \
    "$VMCTL" run -m 64M -b "$TMP/trunc.bin"
expect bootdevkernel 1 "^vmctl: boot device needs BIOS boot (no -b kernel)$" \
    "$VMCTL" run -m 64M -B disk -b "$GUEST"
expect badbootdev 1 "^vmctl: invalid boot device: floppy$" \
    "$VMCTL" run -m 64M -B floppy

# Sizes: decimals as in vm.conf; out of range names the range.
expect bigmem 1 '^vmctl: memory size 200G out of range (16M to 128G)$' \
    "$VMCTL" -s "$TMP/none.sock" start -b "$GUEST" -m 200G big
expect smallmem 1 '^vmctl: memory size 1.5M out of range (16M to 128G)$' \
    "$VMCTL" -s "$TMP/none.sock" start -b "$GUEST" -m 1.5M small
expect hugemem 1 'memory size 99999999999999999999G out of range (16M to 128G)$' \
    "$VMCTL" run -b "$GUEST" -m 99999999999999999999G
expect badmem 1 '^vmctl: invalid memory size: 1.5.5G$' \
    "$VMCTL" run -b "$GUEST" -m 1.5.5G
expect runmem 1 '^vmctl: memory size 8M out of range (16M to 128G)$' \
    "$VMCTL" run -b "$GUEST" -m 8M

# vmctl run -m 100.5M: 100M (with a warning), as the guest's e820 shows.
run_vm "$TMP/run100" 60 -b "$GUEST" -m 100.5M \
    -k "tg.checks=e820,cmdline tg.mem=104857600"
[ "$rc" -eq 0 ] && grep -q '^vmctl: memory size rounded down to 100M$' \
    "$TMP/run100.err" && guest_tap_clean "$TMP/run100"
ok $? "run -m 100.5M: the guest gets 100M, with a warning"
if [ $? -ne 0 ]; then echo "exit $rc" | diag; diag <"$TMP/run100.err"; fi

# The README's example, as it is written there: no command line at all.
run_vm "$TMP/readme" 60 -b "$GUEST" -p 2 -m 256M
[ "$rc" -eq 0 ] && guest_tap_clean "$TMP/readme" &&
    tr -d '\r' <"$TMP/readme.out" | grep -q '^ok [0-9]* - cmdline: empty'
ok $? "the README's vmctl run example passes every check (empty cmdline)"
if [ $? -ne 0 ]; then echo "exit $rc" | diag; fi

# A fresh host, where vmd never ran: no /var/empty (a tmpfs over /var in a
# mount namespace of its own). vmctl run as root makes it for the VM
# process's chroot, as vmd does.
unshare -m --propagation private true 2>/dev/null
ok $? "a mount namespace of our own for the fresh host's /var"
timeout -s KILL 60 unshare -m --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 vmdtest /var && "$@"; rc=$?;
    [ -d /var/empty ] || { echo "no /var/empty after the run" >&2; exit 9; }
    exit $rc' sh "$VMCTL" run -b "$GUEST" -m 64M -k "tg.checks=cmdline" \
    </dev/null >"$TMP/fresh.out" 2>"$TMP/fresh.err"
rc=$?
[ "$rc" -eq 0 ] && guest_tap_clean "$TMP/fresh"
ok $? "run as root with no /var/empty yet: made, and the guest passes"
if [ $? -ne 0 ]; then echo "exit $rc" | diag; diag <"$TMP/fresh.err"; fi

# Through the daemon: start -m 100.5M.
vmd_start
ok $? "vmd starts"
vmctl start -b "$GUEST" -m 100.5M -k "tg.end=wait-powerbutton" m100 \
    >"$TMP/start.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^vmctl: memory size rounded down to 100M$' \
    "$TMP/start.out" &&
    vmctl status -j m100 | grep -q '"maxmem": 104857600,'
ok $? "start -m 100.5M: a VM of 100M"
if [ $? -ne 0 ]; then diag <"$TMP/start.out"; vmctl status -j m100 | diag; fi
vmctl stop -f m100 >/dev/null 2>&1
wait_for 20 vm_gone m100

vmctl start -b "$GUEST" -m 64M -k "tg.end=wait-powerbutton" web \
    >"$TMP/start2.out" 2>&1 && wait_for 30 state_is web running
ok $? "a VM for the console tests"

# The console leaves when its input ends, with or without a terminal.
timeout -s KILL 20 "$VMCTL" -s "$SOCK" console web </dev/null \
    >"$TMP/eof.out" 2>"$TMP/eof.err"
rc=$?
[ $rc -eq 0 ] && grep -q 'EOT' "$TMP/eof.err"
ok $? "console with its input at EOF leaves (exit $rc)"

# On a terminal: raw while attached, restored after ~.; a hangup ends it.
cat >"$TMP/console_pty.py" <<'EOF'
import os, pty, select, sys, termios, time
vmctl, sock, how = sys.argv[1:4]
master, slave = pty.openpty()
before = termios.tcgetattr(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(vmctl, [vmctl, "-s", sock, "console", "web"])
buf = b""
# Wait for the banner, which vmctl prints once the terminal is raw.
end = time.time() + 20
while b"Connected to" not in buf and time.time() < end:
    if select.select([master], [], [], 1)[0]:
        buf += os.read(master, 4096)
if b"Connected to" not in buf:
    sys.exit("no banner: %r" % buf)
if termios.tcgetattr(slave)[3] & termios.ICANON:
    sys.exit("the terminal is not raw while attached")
if how == "leave":
    os.write(master, b"~.")
else:
    os.close(master)    # a hangup: vmctl reads the end of its input
# vmctl must end by itself.
end = time.time() + 20
while time.time() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if how == "leave" and select.select([master], [], [], 0.05)[0]:
        try:
            os.read(master, 4096)
        except OSError:
            pass
    elif how != "leave":
        time.sleep(0.05)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.exit("vmctl console did not end")
if status != 0:
    sys.exit("vmctl console exited with status %d" % status)
if how == "leave" and termios.tcgetattr(slave) != before:
    sys.exit("terminal not restored: %r -> %r" %
        (before, termios.tcgetattr(slave)))
EOF
python3 "$TMP/console_pty.py" "$VMCTL" "$SOCK" leave >"$TMP/pty1.out" 2>&1
ok $? "console on a terminal: raw while attached, restored after ~."
if [ $? -ne 0 ]; then diag <"$TMP/pty1.out"; fi
python3 "$TMP/console_pty.py" "$VMCTL" "$SOCK" hangup >"$TMP/pty2.out" 2>&1
ok $? "console on a terminal that hangs up leaves"
if [ $? -ne 0 ]; then diag <"$TMP/pty2.out"; fi

# One console per VM: the second is refused while the first is attached.
mkfifo "$TMP/c1.in"
"$VMCTL" -s "$SOCK" console web <"$TMP/c1.in" >"$TMP/c1.out" \
    2>"$TMP/c1.err" &
C1_PID=$!
exec 7>"$TMP/c1.in"
wait_for 20 grep -q 'Connected to' "$TMP/c1.err"
ok $? "a first console attaches"
timeout -s KILL 20 "$VMCTL" -s "$SOCK" console web </dev/null \
    >"$TMP/c2.out" 2>"$TMP/c2.err"
rc=$?
[ $rc -eq 1 ] && grep -q \
    '^vmctl: console /dev/pts/[0-9]* is in use: another vmctl console is attached$' \
    "$TMP/c2.err"
ok $? "a second console on the same VM is refused, saying why (exit $rc)"
if [ $? -ne 0 ]; then diag <"$TMP/c2.err"; fi
printf '~.' >&7 2>/dev/null
exec 7>&-
c1_gone() { ! kill -0 "$C1_PID" 2>/dev/null; }
rc=1
if wait_for 20 c1_gone; then
	wait "$C1_PID"
	rc=$?
	C1_PID=
fi
[ $rc -eq 0 ]
ok $? "the first console leaves with ~."
timeout -s KILL 20 "$VMCTL" -s "$SOCK" console web </dev/null \
    >"$TMP/c3.out" 2>"$TMP/c3.err"
ok $? "then another console may attach"

vmctl stop -f web >/dev/null 2>&1
wait_for 20 vm_gone web
ok $? "the VM is gone"
vmd_term 20
[ "$vmd_rc" -eq 0 ]
ok $? "vmd exits"

# The man pages as man(1) renders them.
if command -v man >/dev/null 2>&1; then
	MANWIDTH=1000 man -l "$TOP/man/vm.conf.5" 2>/dev/null >"$TMP/vm.conf.txt"
	grep -q 'vm "parent" instance "name" defines' "$TMP/vm.conf.txt"
	ok $? 'vm.conf.5: Instances shows vm "parent" instance "name"'
	MANWIDTH=1000 man -l "$TOP/man/vmctl.8" 2>/dev/null >"$TMP/vmctl.txt"
	! grep -q -e 'not yet honoured' -e 'networking work' "$TMP/vmctl.txt" &&
	    grep -q 'vmd(8) refuses a boot device for a VM that boots a kernel' \
	    "$TMP/vmctl.txt" &&
	    grep -q '100\.64\.n\.(2i+3) by DHCP' "$TMP/vmctl.txt"
	ok $? "vmctl.8: -B needs BIOS boot, -L's addresses are described"
	grep -q '0x7f000000 plus its pid.*chrooted.*seccomp' "$TMP/vmctl.txt" &&
	    grep -q 'another vmctl console is attached' "$TMP/vmctl.txt"
	ok $? "vmctl.8: run's sandbox and the one-console rule"
else
	for _ in 1 2 3; do ok 0 "# SKIP no man(1)"; done
fi
done_testing
