#!/bin/bash
# vmd refuses, with a clear message that reaches vmctl, what it cannot run:
# a forced boot device with a kernel (needs BIOS boot), a CD-ROM image that
# is not ISO 9660, a disk that is not a
# qcow2 image it can read (a bad header, raw asked of a qcow2 image), a
# boot file that is no kernel.
# Nothing is left behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user

vmd_start
ok $? "vmd starts"
truncate -s 16M "$TMP/disk.img"
chmod 644 "$TMP/disk.img"

refused() {	# refused NAME LOG-PATTERN ARGS...
	local name=$1 pat=$2
	shift 2
	vmctl start -b "$GUEST" -m 64M "$@" "$name" >"$TMP/$name.out" 2>&1
	rc=$?
	[ $rc -ne 0 ]
	ok $? "$name: vmctl start fails (exit $rc)"
	grep -q -- "$pat" "$VMD_LOG"
	ok $? "$name: vmd says '$pat'"
	grep -q -- "^vmctl: start vm command failed: vm $name: .*$pat" \
	    "$TMP/$name.out"
	ok $? "$name: vmctl says why: $(cat "$TMP/$name.out")"
	! vmctl status "$name" 2>/dev/null | grep -q running
	ok $? "$name: not running"
}

refused bootdisk "boot device disk needs BIOS boot" -B disk -d "$TMP/disk.img"
refused bootnet "boot device net needs BIOS boot" -B net
refused cdrom "cdrom $TMP/disk.img: not an ISO 9660 image" -r "$TMP/disk.img"
printf 'QFI\373' >"$TMP/disk.qcow2"
truncate -s 1M "$TMP/disk.qcow2"
refused qcow "qcow2 version 0 is not supported" -d "$TMP/disk.qcow2"
qemu-img create -q -f qcow2 "$TMP/good.qcow2" 1M
refused asraw "is a qcow2 image but raw was asked for" -d "raw:$TMP/good.qcow2"

# A boot file that is no kernel is refused by the parent, before a VM
# process exists, with the loader's own reason.
head -c 65536 /dev/zero >"$TMP/notakernel"
refused notakernel "not a bzImage" -b "$TMP/notakernel"
# An ELF kernel whose segment needs more RAM than the VM has (parent's
# boot_fit): a 64-byte header, one program header, 16 bytes of code.
python3 -c '
import struct, sys
eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH",
    2, 62, 1, 0x100000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
ph = struct.pack("<IIQQQQQQ", 1, 5, 120, 0x100000, 0x100000, 16,
    128 << 20, 0)
sys.stdout.buffer.write(eh + ph + bytes(16))' >"$TMP/bigelf"
refused bigelf "is beyond guest RAM (64 MB)" -b "$TMP/bigelf"

vmctl start -b "$GUEST" -m 64M -k "tg.checks=none" fine >/dev/null 2>&1
ok $? "a plain VM still starts afterwards"
vmctl stop -f fine >/dev/null 2>&1
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
