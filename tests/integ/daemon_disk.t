#!/bin/bash
# vmd and qcow2 chains: every layer is opened with the rights of the user
# who named the disk; the guest reads the base through the overlay and
# writes only the overlay; a base the user cannot read, a missing base
# and a loop are refused with a message that reaches vmctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
command -v qemu-img >/dev/null || skip_all "no qemu-img (make deps)"
need_vmd_user

TUSER=vmddisk$$
useradd --no-create-home --shell /bin/sh "$TUSER" || skip_all "cannot add a user"
disk_cleanup() {
	daemon_cleanup
	userdel "$TUSER" 2>/dev/null
}
trap disk_cleanup EXIT
chmod 755 "$TMP"
uvmctl() {
	runuser -u "$TUSER" -- "$VMCTL" -s "$SOCK" "$@"
}
asuser() {
	runuser -u "$TUSER" -- "$@"
}

SIZE=8388608
perl -e 'my ($n, $s) = @ARGV; my $b = "";
    for (my $i = 0; 4 * $i < $n; $i++) {
	$b .= pack("V", (($i * 0x9e3779b1) & 0xffffffff) ^ $s) }
    print $b' $SIZE $((0x5eed0000)) >"$TMP/p.raw"
# Root's shared base, readable by all, and a private one.
"$VMCTL" create -i "$TMP/p.raw" "$TMP/base.qcow2" 2>/dev/null &&
    chmod 644 "$TMP/base.qcow2" && cp "$TMP/base.qcow2" "$TMP/secret.qcow2" &&
    chmod 600 "$TMP/secret.qcow2"
ok $? "root's bases: one shared (0644), one private (0600)"
mkdir "$TMP/u" && chown "$TUSER" "$TMP/u"
(cd "$TMP/u" && asuser "$VMCTL" create -b ../base.qcow2 ov.qcow2 2>/dev/null &&
    asuser "$VMCTL" create -b ../secret.qcow2 sneaky.qcow2 2>/dev/null;
    asuser qemu-img create -q -f qcow2 -b ../secret.qcow2 -F qcow2 -u \
	sneaky.qcow2 8M 2>/dev/null;
    asuser qemu-img create -q -f qcow2 -b l2.qcow2 -F qcow2 -u l1.qcow2 8M &&
    asuser qemu-img create -q -f qcow2 -b l1.qcow2 -F qcow2 -u l2.qcow2 8M &&
    asuser qemu-img create -q -f qcow2 -b gone.qcow2 -F qcow2 -u miss.qcow2 8M)
ok $? "$TUSER's overlays: on the shared base, the private one, a loop, a missing base"

cat >"$CONF" <<CONF
socket owner $TUSER
vm "tmpl" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.checks=blk tg.disks=1 tg.disk0.size=$SIZE tg.disk0.filled=1 tg.disk0.ro=0"
	allow instance { disk, owner $TUSER }
}
CONF
vmd_start
ok $? "vmd starts"
sum=$(md5sum <"$TMP/base.qcow2")
uvmctl start -t tmpl -d "$TMP/u/ov.qcow2" i1 >"$TMP/i1.out" 2>&1
ok $? "$TUSER starts an instance on its overlay of root's base"
wait_for 30 vm_gone i1
ok $? "the VM ran and powered off"
qemu-img check -q "$TMP/u/ov.qcow2" >/dev/null 2>&1
ok $? "qemu-img check of the overlay is clean"
[ "$(md5sum <"$TMP/base.qcow2")" = "$sum" ]
ok $? "the shared base is untouched"
rm -f "$TMP/conv.raw"
qemu-img convert -O raw "$TMP/u/ov.qcow2" "$TMP/conv.raw"
perl -e 'my ($f) = @ARGV; open(my $fh, "<", $f) or exit 1; binmode $fh;
    local $/; my $d = <$fh>; my $w = pack("V", 0 ^ 0xb10c0000);
    exit !(length($d) == 8388608 && substr($d, 0, 4) eq $w)' "$TMP/conv.raw"
ok $? "the guest's writes are in the overlay"

refused() {	# refused NAME DISK WANT: the start fails and says WANT
	uvmctl start -t tmpl -d "$2" "$1" >"$TMP/$1.out" 2>&1
	[ $? -eq 1 ] && grep -q "$3" "$TMP/$1.out"
	ok $? "$1: refused: $(cat "$TMP/$1.out")"
}
refused i2 "$TMP/u/sneaky.qcow2" "backing file .*secret.qcow2: Permission denied"
refused i3 "$TMP/u/l1.qcow2" "backing chain loops"
refused i4 "$TMP/u/miss.qcow2" "backing file .*gone.qcow2: No such file"
refused i5 "$TMP/secret.qcow2" "secret.qcow2: Permission denied"
wait_for 5 vm_gone i2
ok $? "nothing is left running"
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
