#!/bin/bash
# No client stalls vmd: a user allowed on the socket floods status requests
# from many connections without reading the answers and holds hundreds of
# idle connections; meanwhile root's status and start keep answering, idle
# connections are dropped, and vmd still ends cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
command -v python3 >/dev/null || skip_all "no python3"
need_vmd_user

TUSER=vmdflood$$
useradd --no-create-home --shell /usr/sbin/nologin "$TUSER" ||
    skip_all "cannot add a user"
FLOOD_PIDS=
flood_cleanup() {
	local p
	touch "$U/stop" 2>/dev/null
	# The clients themselves (runuser may leave them behind), then runuser.
	for p in $(cat "$U/flood.pid" "$U/idle.pid" 2>/dev/null) \
	    $FLOOD_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $FLOOD_PIDS; do
		wait "$p" 2>/dev/null
	done
	daemon_cleanup
	userdel "$TUSER" 2>/dev/null
}
trap flood_cleanup EXIT
# A stalled daemon must fail the test, not hang it.
vmctl() {
	timeout 10 "$VMCTL" -s "$SOCK" "$@"
}
chmod 755 "$TMP"
# The clients' own directory: their script, pids, ready marks and output.
U=$TMP/u
mkdir "$U" && chown "$TUSER" "$U"

cat >"$CONF" <<CONF
socket owner $TUSER
vm "fl" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
}
CONF
# Idle connections are dropped after 3 s here (30 s by default).
VMD_CLIENT_IDLE=3 vmd_start
ok $? "vmd starts"

# flood.py MODE: "flood" keeps 16 connections sending status requests and
# never reads (reconnecting when dropped) until $U/stop exists; "idle"
# opens 300 connections that say nothing and reports when vmd has closed
# every one. Each writes its pid to $U/MODE.pid and "ready" to
# $U/MODE.ready once it is going.
cat >"$U/flood.py" <<'PY'
import os, re, select, socket, struct, sys, time
mode, sock, hdr, tmp = sys.argv[1:5]
text = open(hdr).read()
V = int(re.search(r"#define\s+PROTO_CTL_VERSION\s+(\d+)", text).group(1))
body = text[text.index("enum proto_type {"):]
body = body[:body.index("};")]
names = re.findall(r"^\s*(IMSG_[A-Z0-9_]+)", body, re.M)
STATUS = names.index("IMSG_VM_STATUS_REQ")
open("%s/%s.pid" % (tmp, mode), "w").write("%d\n" % os.getpid())
env = struct.pack("=II", V, 0) + struct.pack("=II", 0, 0) + b"\0" * 64
req = struct.pack("=IIIII", STATUS, len(env), 0, os.getpid(), 0) + env

def conn():
    # A full listen queue refuses at once (EAGAIN): retry for 2 s.
    t0 = time.time()
    while time.time() - t0 < 2:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.setblocking(False)
        try:
            s.connect(sock)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.005)
        except OSError:
            s.close()
            return None
    return None

def ready():
    open("%s/%s.ready" % (tmp, mode), "w").write("ready\n")

if mode == "flood":
    socks = [conn() for _ in range(16)]
    sent = drops = 0
    while not os.path.exists(tmp + "/stop"):
        if sent >= 16 * 20:
            ready()
        for i, s in enumerate(socks):
            if s is None:
                socks[i] = conn()
                continue
            try:
                s.send(req)
                sent += 1
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                socks[i] = conn()
                drops += 1
        time.sleep(0.001)
    print("flood: %d requests sent, %d connections dropped by vmd" %
        (sent, drops))
else:
    socks, refused = [], 0
    for _ in range(300):
        s = conn()
        if s is None:
            refused += 1
        else:
            socks.append(s)
    ready()
    t0 = time.time()
    # Wait until vmd has closed every connection (EOF), 60 s at most;
    # those over the cap close at once, the others when idle too long.
    open_, closed = list(socks), []
    while open_ and time.time() - t0 < 60:
        r, _, _ = select.select(open_, [], [], 1)
        for s in r:
            try:
                d = s.recv(100)
            except OSError:
                d = b""
            if not d:
                open_.remove(s)
                closed.append(time.time() - t0)
    soon = len([t for t in closed if t < 1.5])
    print("idle: %d connected (%d refused at connect), %d closed at once, "
        "%d after idling %.1f s, %d still open" % (len(socks), refused,
        soon, len(closed) - soon, max(closed + [0]), len(open_)))
PY

runuser -u "$TUSER" -- python3 "$U/flood.py" flood "$SOCK" \
    "$TOP/lib/proto.h" "$U" >"$TMP/flood.out" 2>&1 &
FLOOD_PIDS="$FLOOD_PIDS $!"
wait_for 30 test -f "$U/flood.ready"
ok $? "a user floods status requests from 16 connections, reading nothing"
runuser -u "$TUSER" -- python3 "$U/flood.py" idle "$SOCK" \
    "$TOP/lib/proto.h" "$U" >"$TMP/idle.out" 2>&1 &
idle_job=$!
FLOOD_PIDS="$FLOOD_PIDS $idle_job"
wait_for 30 test -f "$U/idle.ready"
ok $? "and opens 300 more that say nothing"

# ms CMD...: run CMD (at most 10 s), print how long it took in ms; the
# status is CMD's.
ms() {
	local t0 rc
	t0=$(date +%s%N)
	timeout 10 "$@" >/dev/null 2>&1
	rc=$?
	echo $((($(date +%s%N) - t0) / 1000000))
	return $rc
}

max=0
fails=0
for i in $(seq 20); do
	t=$(ms "$VMCTL" -s "$SOCK" status)
	rc=$?
	# status exits 1 when no VM runs, 0 when one does.
	[ "$t" -gt "$max" ] && max=$t
	[ $rc -le 1 ] || { fails=$((fails + 1)); break; }
done
[ $fails -eq 0 ]
ok $? "root's status answers during the flood (20 tries, slowest $max ms)"
echo "root status latency during the flood: max $max ms" | diag
# A stalled daemon would make every check below wait its full timeout.
stalled=$fails
if [ "$stalled" -eq 0 ]; then
	t=$(ms "$VMCTL" -s "$SOCK" start fl)
	ok $? "root's start answers during the flood ($t ms)"
	wait_for 10 state_is fl running
	ok $? "the VM runs"
	t=$(ms "$VMCTL" -s "$SOCK" status fl)
	[ $? -eq 0 ]
	ok $? "status of the running VM answers ($t ms)"
else
	ok 1 "root's start answers during the flood (vmd is stalled)"
fi

# Idle connections do not keep their slots: vmd closes them.
wait "$idle_job"
diag <"$TMP/idle.out"
grep -q ' [1-9][0-9]* closed at once,' "$TMP/idle.out" &&
    grep -q 'refused: its uid has the most connections' "$VMD_LOG"
ok $? "the user's connections beyond its cap are refused"
grep -q ' [1-9][0-9]* after idling .* 0 still open' "$TMP/idle.out"
ok $? "vmd closes idle connections"

touch "$U/stop"
wait_for 10 test -s "$TMP/flood.out"
diag <"$TMP/flood.out"
t=$(ms "$VMCTL" -s "$SOCK" status fl)
[ $? -eq 0 ]
ok $? "status answers after the flood ($t ms)"

# SIGTERM is honoured: vmd ends every VM and exits 0 within 10 s.
vmpid=
[ "$stalled" -eq 0 ] && vmpid=$(status_field fl 2)
kids=$(ps -o pid= --ppid "$VMD_PID")
vmd_term 10
[ -z "$VMD_PID" ]
ok $? "SIGTERM: vmd exits within 10 s"
[ "$vmd_rc" -eq 0 ]
ok $? "SIGTERM: exit status 0"
alive=0
for p in $kids $vmpid; do kill -0 "$p" 2>/dev/null && alive=1; done
[ $alive -eq 0 ] && [ ! -e "$SOCK" ]
ok $? "no vmd process or VM is left, the socket is gone"
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
