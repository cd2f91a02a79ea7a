#!/bin/bash
# vmd's control socket against hostile clients: garbage, lies in the
# header, a wrong version, daemon-only types, passed fds, bad payloads.
# Each gets an error or a dropped connection; vmd keeps answering.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v python3 >/dev/null || skip_all "no python3"
need_vmd_user

vmd_start
ok $? "vmd starts"

python3 - "$SOCK" "$TOP/lib/proto.h" >"$TMP/py.out" 2>&1 <<'PY'
import re, socket, struct, sys, os
sock, hdr = sys.argv[1], open(sys.argv[2]).read()
body = hdr[hdr.index("enum proto_type {"):]
body = body[:body.index("};")]
names = re.findall(r"^\s*(IMSG_[A-Z0-9_]+)", body, re.M)
T = {n: i for i, n in enumerate(names)}
V = int(re.search(r"#define\s+PROTO_CTL_VERSION\s+(\d+)", hdr).group(1))

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    s.settimeout(5)
    return s

def msg(t, payload=b"", version=V, fds=None, lie=None):
    env = struct.pack("=II", version, 0) + payload
    ln = len(env) if lie is None else lie
    return struct.pack("=IIIII", t, ln, 0, os.getpid(), 1 if fds else 0) + env

def answer(s):
    try:
        d = s.recv(70000)
    except socket.timeout:
        return "timeout"
    if not d:
        return "closed"
    t, ln = struct.unpack("=II", d[:8])
    err = struct.unpack("=i", d[28:32])[0] if len(d) >= 32 else None
    return "type %d err %s" % (t, err)

cases = [
    ("short garbage", b"\x01\x02\x03"),
    ("length lies", msg(T["IMSG_VM_STATUS_REQ"], b"x" * 72, lie=9999)),
    ("unknown type", msg(4242)),
    ("daemon-only type", msg(T["IMSG_VMM_ATTACH_REQ"], struct.pack("=I", 1))),
    ("a VM's answer", msg(T["IMSG_VMP_PAUSE_RESP"], struct.pack("=I", 0))),
    ("wrong version", msg(T["IMSG_VM_STATUS_REQ"], b"\0" * 72, version=99)),
    ("truncated start", msg(T["IMSG_VM_START_REQ"], b"\0" * 10)),
    ("start, junk strings", msg(T["IMSG_VM_START_REQ"], b"\xff" * 200)),
    ("stop, short vmref", msg(T["IMSG_VM_STOP_REQ"], b"\0" * 3)),
    ("status, unterminated", msg(T["IMSG_VM_STATUS_REQ"], b"A" * 72)),
    ("reset, bad mask", msg(T["IMSG_CONF_RESET_REQ"], struct.pack("=I", 0xff))),
    ("load, empty path", msg(T["IMSG_CONF_LOAD_REQ"], b"")),
    ("oversized", msg(T["IMSG_VM_START_REQ"], b"\0" * 20000)),
    ("start, bad boot device", msg(T["IMSG_VM_START_REQ"],
        struct.pack("=Q6I4I4I", 64 << 20, 1, 0, 99, 0x30, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0) + b"".join(struct.pack("=H", len(x)) + x
        for x in (b"bd", b"", b"/nonexistent", b"", b"", b"")))),
]
for name, data in cases:
    s = conn()
    s.send(data)
    print("%s: %s" % (name, answer(s)))
    s.close()
# An fd the protocol does not expect.
s = conn()
r, w = os.pipe()
s.sendmsg([msg(T["IMSG_VM_STATUS_REQ"], b"\0" * 72, fds=True)],
    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", r))])
print("passed fd: %s" % answer(s))
# Many clients at once, none saying anything.
many = [conn() for _ in range(300)]
for c in many:
    c.close()
PY
diag <"$TMP/py.out"
for c in "short garbage" "length lies" "unknown type" "daemon-only type" \
    "a VM's answer" "wrong version" "passed fd" "oversized"; do
	grep -q "^$c: closed" "$TMP/py.out"
	ok $? "$c: the connection is dropped"
done
for c in "truncated start" "start, junk strings" "stop, short vmref" \
    "status, unterminated" "reset, bad mask" "load, empty path" \
    "start, bad boot device"; do
	grep -q "^$c: type [0-9]* err 22" "$TMP/py.out"
	ok $? "$c: answered EINVAL"
done
vmctl status >/dev/null 2>&1
[ $? -eq 1 ] && kill -0 "$VMD_PID"
ok $? "vmd still answers"
vmd_stop
[ "$vmd_rc" -eq 0 ]
ok $? "and exits cleanly"
done_testing
