#!/bin/sh
# make demo: vmd with examples/vm.conf on a private socket, the demo VM
# started with vmctl, its status and console, a polite stop; nothing is
# left running.
set -e
B=${B:-build}
TOP=$(pwd)
DIR=$(mktemp -d /tmp/vmd-demo.XXXXXX)
chmod 755 "$DIR"
SOCK=$DIR/vmd.sock
VMCTL="$B/vmctl -s $SOCK"

cleanup() {
	if [ -n "$VMD_PID" ] && kill -0 "$VMD_PID" 2>/dev/null; then
		kill -TERM "$VMD_PID"
		wait "$VMD_PID" || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

id _vmd >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin _vmd

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
}

step vmd -d -D guest=$TOP/$B/guest/testguest -f examples/vm.conf -s $SOCK
"$B/vmd" -d -D "guest=$TOP/$B/guest/testguest" -f examples/vm.conf \
    -s "$SOCK" 2>"$DIR/vmd.log" &
VMD_PID=$!
i=0
until [ -S "$SOCK" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$DIR/vmd.log"; exit 1; }
	sleep 0.05
done
sed 's/^/    vmd: /' "$DIR/vmd.log"

step vmctl status
$VMCTL status 2>&1 || true
step vmctl start demo
$VMCTL start demo 2>&1
step vmctl status
$VMCTL status 2>&1
sleep 1
step vmctl console demo "  (then ~.)"
(sleep 1; printf "~.") | $VMCTL console demo 2>&1 | tr -d "\r"
step vmctl stop -w demo
$VMCTL stop -w demo 2>&1
step vmctl status
$VMCTL status 2>&1
step kill -TERM vmd
kill -TERM "$VMD_PID"
wait "$VMD_PID"
VMD_PID=
sed 's/^/    vmd: /' "$DIR/vmd.log" | tail -n 6
if pgrep -f -- "-s $SOCK" >/dev/null; then
	echo "demo: something is still running" >&2
	exit 1
fi
echo
echo "demo: done, nothing left running"
