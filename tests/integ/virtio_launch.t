#!/bin/bash
# vmctl run attaches virtio disks, taps and the entropy device; the image
# lock keeps a second writer out. (No guest driver yet: these checks stop
# at what the VM process does before and around boot; the test guest's
# virtio checks will add the data path.)
. "$(dirname "$0")/lib.sh"
need_kvm
[ -x "$GUEST" ] || skip_all "no test guest"

# run_vmv: run_vm with vmctl -v (the VM process logs its devices).
run_vmv() {
	local out=$1 t=$2
	shift 2
	timeout -s KILL "$t" "$VMCTL" -v run "$@" </dev/null >"$out.out" \
	    2>"$out.err"
	rc=$?
}

truncate -s 8M "$TMP/a.img"
truncate -s 4M "$TMP/b.img"

# Devices appear on PCI with their BARs (the guest is cut short: 3 s).
run_vmv "$TMP/devs" 3 -b "$GUEST" -m 64M -d "$TMP/a.img" -d "ro:$TMP/b.img"
grep -q 'virtio-rng at slot' "$TMP/devs.err"
ok $? "virtio-rng on the PCI bus"
grep -q 'disk 0: raw, 16384 sectors$' "$TMP/devs.err"
ok $? "disk 0: read-write, capacity from the image size"
grep -q 'disk 1: raw, 8192 sectors, read-only' "$TMP/devs.err"
ok $? "disk 1: ro: prefix gives a read-only disk"
if grep -q 'ioeventfd' "$TMP/devs.err"; then
	grep 'ioeventfd' "$TMP/devs.err" | diag
fi

# Another holder of the image lock (as a second VM would be).
perl -e 'use Fcntl ":flock"; open(F, "<", $ARGV[0]) or die;
    flock(F, LOCK_EX) or die; sleep 30' "$TMP/a.img" &
holder=$!
for _ in $(seq 200); do	# until the holder has the lock
	flock -n "$TMP/a.img" true || break
	sleep 0.01
done
run_vm "$TMP/locked" 20 -b "$GUEST" -m 64M -d "$TMP/a.img"
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]
ok $? "locked image: the VM refuses to start (rc $rc)"
grep -q 'disk 0: the image is in use by another VM' "$TMP/locked.err"
ok $? "locked image: says the image is in use"
# A read-only disk shares the image with other readers, not a writer.
run_vm "$TMP/lockedro" 20 -b "$GUEST" -m 64M -d "ro:$TMP/a.img"
grep -q 'in use' "$TMP/lockedro.err"
ok $? "read-only disk on a write-locked image: refused too"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# The lock goes with the VM process, at once (its io_uring ring holds no
# file): VMs started back to back on one image all start.
n=0
for i in 1 2 3 4 5; do
	run_vm "$TMP/again$i" 20 -b "$GUEST" -m 64M -d "$TMP/a.img" \
	    -k "tg.checks=blk tg.disks=1 tg.disk0.size=8388608"
	[ "$rc" -eq 0 ] && n=$((n + 1))
done
[ $n -eq 5 ]
ok $? "five VMs back to back on one image: each gets its lock ($n of 5)"

# The same image twice in one VM: the second disk is refused.
run_vmv "$TMP/twice" 20 -b "$GUEST" -m 64M -d "$TMP/a.img" -d "$TMP/a.img"
grep -q 'disk 1: the image is in use' "$TMP/twice.err"
ok $? "same image twice: refused"

run_vm "$TMP/five" 20 -b "$GUEST" -m 64M -d "$TMP/a.img" -d "$TMP/a.img" \
    -d "$TMP/a.img" -d "$TMP/a.img" -d "$TMP/a.img"
grep -q 'too many disks (at most 4)' "$TMP/five.err"
ok $? "five disks: too many"
run_vm "$TMP/nodisk" 20 -b "$GUEST" -m 64M -d "$TMP/nope.img"
grep -q 'No such file' "$TMP/nodisk.err"
ok $? "missing disk: No such file"

# Interfaces on taps (needs /dev/net/tun and root).
if [ -c /dev/net/tun ] && [ "$(id -u)" -eq 0 ]; then
	tap=vmdt$$
	tap=${tap:0:15}
	run_vmv "$TMP/tap" 3 -b "$GUEST" -m 64M -t "$tap" -i 2
	grep -q "interface on $tap" "$TMP/tap.err"
	ok $? "-t attaches a named tap"
	[ "$(grep -c 'lladdr fe:e1:bb:d' "$TMP/tap.err")" -eq 2 ]
	ok $? "two interfaces with vmd's generated fe:e1:bb:dN MACs"
	grep -q 'interface 1: lladdr fe:e1:bb:d2:' "$TMP/tap.err"
	ok $? "second interface gets dN = d2"
	! ip link show "$tap" >/dev/null 2>&1
	ok $? "a tap vmctl created goes away with the VM"
	run_vm "$TMP/toomany" 20 -b "$GUEST" -m 64M -i 5
	grep -q 'number of interfaces is too large' "$TMP/toomany.err"
	ok $? "-i 5: too many interfaces"
else
	echo "# no /dev/net/tun or not root: tap checks skipped"
fi
done_testing
