#!/bin/bash
# The control socket fuzzed on a live daemon: a few hundred malformed
# connections (junk, truncated headers, lying lengths, wrong versions,
# out-of-range fields in real requests, fds where none are expected,
# oversized packets, pipelined requests never read). Afterwards every vmd
# process is alive, the log shows no crash, and status, start and stop
# answer as usual. FUZZ_SEED=N replays a run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
command -v python3 >/dev/null || skip_all "no python3"
need_vmd_user

# A stalled daemon must fail the test, not hang it.
vmctl() {
	timeout 10 "$VMCTL" -s "$SOCK" "$@"
}

TUSER=vmdfuzz$$
useradd --no-create-home --shell /usr/sbin/nologin "$TUSER" ||
    skip_all "cannot add a user"
UFUZZ=
fuzz_cleanup() {
	touch "$U/stop" 2>/dev/null
	if [ -n "$UFUZZ" ]; then
		wait "$UFUZZ" 2>/dev/null
	fi
	daemon_cleanup
	userdel "$TUSER" 2>/dev/null
}
trap fuzz_cleanup EXIT
chmod 755 "$TMP"
U=$TMP/u
mkdir "$U" && chown "$TUSER" "$U"

cat >"$CONF" <<CONF
socket owner $TUSER
vm "fz" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.end=wait-powerbutton"
}
CONF
vmd_start
ok $? "vmd starts"
pids="$VMD_PID $(ps -o pid= --ppid "$VMD_PID")"
[ "$(echo $pids | wc -w)" -eq 4 ]
ok $? "parent, control, vmm and priv run"

SEED=${FUZZ_SEED:-$$}
echo "seed $SEED" | diag
cat >"$U/fuzz.py" <<'PY'
import os, random, re, select, socket, struct, sys, time
sock, hdr, seed, tmp = sys.argv[1], open(sys.argv[2]).read(), \
    int(sys.argv[3]), sys.argv[4]
hold = len(sys.argv) > 5
body = hdr[hdr.index("enum proto_type {"):]
body = body[:body.index("};")]
names = re.findall(r"^\s*(IMSG_[A-Z0-9_]+)", body, re.M)
T = {n: i for i, n in enumerate(names)}
V = int(re.search(r"#define\s+PROTO_CTL_VERSION\s+(\d+)", hdr).group(1))
R = random.Random(seed)
CLIENT = [T[n] for n in ("IMSG_VM_START_REQ", "IMSG_VM_STOP_REQ",
    "IMSG_VM_PAUSE_REQ", "IMSG_VM_UNPAUSE_REQ", "IMSG_VM_STATUS_REQ",
    "IMSG_CONF_LOAD_REQ", "IMSG_CONF_RESET_REQ", "IMSG_LOG_VERBOSE_REQ",
    "IMSG_VM_WAIT_REQ")]
# Types only vmd's own processes send, and answers.
DAEMON = [T[n] for n in names if n.endswith("_RESP") or
    n.startswith(("IMSG_VMM_", "IMSG_PRIV_", "IMSG_VMP_", "IMSG_CTL_"))]
U32 = [0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000,
    0xfffffffe, 0xffffffff]

def rbytes(n):
    return bytes(R.getrandbits(8) for _ in range(n))

def u32():
    return R.choice(U32) if R.random() < 0.7 else R.getrandbits(32)

def name():
    # Never a real VM's name: nothing here may start or stop fz.
    return R.choice([b"", b"x" * 63, b"x" * 64, b"nope", rbytes(8),
        b"../../etc", b"a\0b"])

def s16(b):
    return struct.pack("=H", len(b) if R.random() < 0.8 else u32() & 0xffff) + b

def vmref():
    n = name()
    n = (n + b"\0" * 64)[:64] if R.random() < 0.8 else rbytes(64)
    return struct.pack("=II", u32() if R.random() < 0.5 else 0, u32()) + n

def vmstart():
    w = struct.pack("=Q", R.choice([0, 1, 1 << 20, 1 << 62, (1 << 64) - 1]))
    w += struct.pack("=6I", u32(), u32(), u32(), u32(), R.choice([0, 1, 4, 5,
        0xffffffff]), R.choice([0, 1, 4, 5, 0xffffffff]))
    w += b"".join(struct.pack("=I", u32()) for _ in range(8))
    strs = [name(), name(), R.choice([b"", b"/nonexistent/k", b"rel/k",
        b"/" * 1100]), b"/nonexistent/i", b"", rbytes(R.randrange(0, 300))]
    strs += [b"/nonexistent/d"] * R.randrange(0, 6)
    return w + b"".join(s16(x) for x in strs) + rbytes(R.randrange(0, 4))

def payload(t):
    if R.random() < 0.2:
        return rbytes(R.randrange(0, 200))
    if t == T["IMSG_VM_START_REQ"]:
        return vmstart()
    if t == T["IMSG_CONF_LOAD_REQ"]:
        return R.choice([b"", b"/nonexistent/vm.conf", b"rel.conf",
            b"x" * 1100, b"/nonexistent/\0junk"])
    if t in (T["IMSG_CONF_RESET_REQ"], T["IMSG_LOG_VERBOSE_REQ"]):
        # A reset of VMs or switches is a real request: keep it invalid.
        v = u32() | (0x100 if t == T["IMSG_CONF_RESET_REQ"] else 0)
        if t == T["IMSG_LOG_VERBOSE_REQ"]:
            v = R.choice([0, 1, 2, 3, 0xffffffff, 0x80000000])
        return struct.pack("=I", v) + (rbytes(R.randrange(0, 3))
            if R.random() < 0.3 else b"")
    return vmref() + (rbytes(R.randrange(1, 8)) if R.random() < 0.2 else b"")

def msg(t, p, version=V, lie=None, flags=0, uid=0):
    env = struct.pack("=II", version, uid) + p
    ln = len(env) if lie is None else lie
    return struct.pack("=IIIII", t, ln & 0xffffffff, u32(), u32(),
        flags) + env

def good(t=None):
    t = R.choice(CLIENT) if t is None else t
    return msg(t, payload(t), uid=u32())

def case():
    """One malformed packet: (kind, bytes, fds)."""
    k = R.randrange(11)
    if k == 0:
        return "junk", rbytes(R.randrange(0, 400)), []
    if k == 1:
        return "truncated header", good()[:R.randrange(1, 20)], []
    if k == 2:
        m = good()
        lie = R.choice([0, 7, len(m) - 19, len(m) - 21, len(m) + 1, 16404,
            0xffffffff, u32()])
        return "lying length", m[:4] + struct.pack("=I", lie & 0xffffffff) + \
            m[8:], []
    if k == 3:
        t = R.choice(CLIENT)
        return "wrong version", msg(t, payload(t), version=R.choice([0, V + 1,
            0xffffffff, u32()])), []
    if k == 4:
        t = R.choice(CLIENT)
        return "out-of-range fields", msg(t, payload(t)), []
    if k == 5:
        return "short envelope", struct.pack("=IIIII", R.choice(CLIENT),
            R.randrange(0, 8), 0, 0, 0) + rbytes(R.randrange(0, 8)), []
    if k == 6:
        nf = R.randrange(1, 4)
        return "passed fd", good()[:16] + struct.pack("=I",
            R.choice([0, 1, 2, 0xff])) + good()[20:], [nf]
    if k == 7:
        return "oversized", good()[:20] + rbytes(R.choice([16385, 16396,
            16404, 16500, 70000])), []
    if k == 8:
        t = R.choice([u32(), R.randrange(len(names)), len(names),
            R.choice(DAEMON), R.choice(DAEMON)])
        return "daemon-only or unknown type", msg(t, rbytes(
            R.randrange(0, 80))), []
    if k == 9:
        return "flags", good()[:16] + struct.pack("=I", u32() | 1) + \
            good()[20:], []
    return "empty packet", b"", []

def fds(n):
    out = []
    for _ in range(n):
        r, w = os.pipe()
        out.append(R.choice([r, w]))
        os.close(w if out[-1] == r else r)
    return out

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(sock)
    return s

kinds, held = {}, []
for i in range(400):
    try:
        s = conn()
    except OSError as e:
        kinds["connect failed"] = kinds.get("connect failed", 0) + 1
        time.sleep(0.01)
        continue
    n = R.randrange(1, 4)
    try:
        for _ in range(n):
            kind, data, nf = case()
            kinds[kind] = kinds.get(kind, 0) + 1
            if nf:
                f = fds(nf[0])
                s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    struct.pack("%di" % len(f), *f))])
                for x in f:
                    os.close(x)
            else:
                s.send(data)
    except OSError:
        pass
    if i % 40 == 0:
        # Pipelined requests, never read, held to the end.
        s.setblocking(False)
        try:
            for _ in range(300):
                s.send(good(T["IMSG_VM_STATUS_REQ"]))
        except OSError:
            pass
        held.append(s)
        kinds["pipelined, never read"] = kinds.get(
            "pipelined, never read", 0) + 1
        continue
    if hold:
        held.append(s)
        continue
    if R.random() < 0.5:
        select.select([s], [], [], 0.05)
    s.close()
for k in sorted(kinds):
    print("%5d %s" % (kinds[k], k))
print("done")
sys.stdout.flush()
# Held connections stay open until the test is done with the daemon.
while hold and not os.path.exists(tmp + "/stop"):
    time.sleep(0.05)
for s in held:
    s.close()
PY
chmod 644 "$U/fuzz.py"
# As root: every request type reaches the parent.
timeout -s KILL 120 python3 "$U/fuzz.py" "$SOCK" "$TOP/lib/proto.h" \
    "$SEED" "$U" >"$TMP/fuzz.out" 2>&1
rc=$?
diag <"$TMP/fuzz.out"
[ $rc -eq 0 ] && tail -1 "$TMP/fuzz.out" | grep -qx done
ok $? "400 malformed connections sent as root"
# As a user allowed on the socket, holding every connection open while
# root checks the daemon below.
runuser -u "$TUSER" -- timeout -s KILL 120 python3 "$U/fuzz.py" "$SOCK" \
    "$TOP/lib/proto.h" "$((SEED + 1))" "$U" hold >"$TMP/ufuzz.out" 2>&1 &
UFUZZ=$!
wait_for 60 grep -qx done "$TMP/ufuzz.out"
ok $? "400 more as $TUSER, held open"

alive=0
for p in $pids; do kill -0 "$p" 2>/dev/null || alive=1; done
[ $alive -eq 0 ]
ok $? "every vmd process is still alive"
vmctl status >"$TMP/status.out" 2>&1
rc=$?
[ $rc -le 1 ] && head -1 "$TMP/status.out" | grep -q '^ *ID *PID' &&
    grep -q ' stopped fz$' "$TMP/status.out"
ok $? "status answers"
[ $? -eq 0 ] || { echo "status: $rc"; cat "$TMP/status.out"; } | diag
vmctl start fz >/dev/null 2>&1
ok $? "start answers"
wait_for 10 state_is fz running
ok $? "the VM runs"
vmctl stop -f fz >/dev/null 2>&1
ok $? "stop answers"
wait_for 10 vm_gone fz
ok $? "the VM stopped"
! grep -E 'fatal|protocol error from|went away|[Ss]anitizer|runtime error|[Ss]egmentation|core dumped' \
    "$VMD_LOG" >"$TMP/crash" 2>&1
ok $? "the log shows no crash"
head -5 "$TMP/crash" | diag
touch "$U/stop"
wait "$UFUZZ"
UFUZZ=
diag <"$TMP/ufuzz.out"
vmd_term 10
[ "$vmd_rc" -eq 0 ]
ok $? "SIGTERM: vmd exits 0 within 10 s"
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
