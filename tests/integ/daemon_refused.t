#!/bin/bash
# vmd refuses, with a clear message that reaches vmctl, what it cannot run:
# a forced boot device with a kernel (needs BIOS boot), a CD-ROM image that
# is not ISO 9660, a qcow2 disk (not yet).
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
refused qcow "qcow2 is not supported yet" -d "$TMP/disk.qcow2"
vmctl start -b "$GUEST" -m 64M -k "tg.checks=none" fine >/dev/null 2>&1
ok $? "a plain VM still starts afterwards"
vmctl stop -f fine >/dev/null 2>&1
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
