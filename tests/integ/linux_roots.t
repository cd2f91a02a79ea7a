#!/bin/bash
# The small Linux of guest/linux/ with its root on what users bring
# besides a raw disk, its own drivers as the referees: a qcow2 overlay
# made by `vmctl create -b` over a raw base (virtio-blk; Linux mounts the
# ext2 root read-write, writes go to the overlay and the base stays as it
# was), and an ISO 9660 image on our virtio-scsi CD-ROM (`vmctl run -r`;
# Linux's virtio-scsi and sr drivers find the drive, the root is mounted
# from sr0). The two boots run at once, one vCPU each, without network
# (linux_boot.t covers SMP, DHCP and the other devices).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux.sh"
need_kvm
command -v mke2fs >/dev/null || skip_all "needs mke2fs (make deps)"
command -v xorriso >/dev/null || skip_all "needs xorriso (make deps)"
command -v qemu-img >/dev/null || skip_all "needs qemu-img (make deps)"

linux_kernel
linux_rootdir "$TMP/root"
base=$TMP/base.img
over=$TMP/over.qcow2
iso=$TMP/root.iso
"$TOP/tests/linux/mkdisk.sh" "$base" "$TMP/root" 32 2>"$TMP/mkdisk.log"
ok $? "a 32 MiB raw base with an MBR and an ext2 root (mke2fs -d)" ||
    diag <"$TMP/mkdisk.log"
linux_sb "$base" >"$TMP/sb.before"
sum0=$(sha256sum <"$base")
"$VMCTL" create -b "$base" "$over" >"$TMP/create.out" 2>&1
ok $? "vmctl create -b base.img over.qcow2" || diag <"$TMP/create.out"
# Rock Ridge keeps /sbin/init's mode; the volume is what Linux mounts.
xorriso -as mkisofs -R -V VMDROOT -o "$iso" "$TMP/root" \
    >"$TMP/xorriso.log" 2>&1
ok $? "an ISO 9660 image of the same root (xorriso)" ||
    diag <"$TMP/xorriso.log"

# Both boots at once: each in a subshell that leaves its exit status and
# times beside its console.
boot() {	# boot OUT ROOT-ARGS VMCTL-ARGS...
	local out=$1 root=$2
	shift 2
	linux_run "$out" -- -b "$kernel" -m 128M -k "$(linux_cmdline \
	    "$root")" "$@"
	echo "$rc $t0 $t1" >"$out.rc"
}
boot "$TMP/qcow2" "root=/dev/vda1 rw" -d "$over" &
p1=$!
boot "$TMP/cd" "root=/dev/sr0 ro" -r "$iso" &
p2=$!
wait "$p1" "$p2"

# The qcow2 overlay.
con=$TMP/qcow2
read -r rc t0 t1 <"$con.rc"
has() { grep -q -E -- "$1" "$con"; }
linux_ended "$con" "$rc" "qcow2 overlay"
has 'virtio_blk virtio[0-9]+: \[vda\] 65536 512-byte logical blocks \(33\.6 MB/32\.0 MiB\)'
ok $? "qcow2 overlay: vda has the base's size, 65536 sectors"
has '^\[ *[0-9.]+\]  vda: vda1$'
ok $? "qcow2 overlay: the base's partition table, read through the overlay: vda1"
has 'VFS: Mounted root \(ext2 filesystem\) on device 254:1\.' &&
    ! has 'VFS: Mounted root .*readonly'
ok $? "qcow2 overlay: the root mounted read-write (ext2, vda1)"
has 'Run /sbin/init as init process'
ok $? "qcow2 overlay: init started from it"
linux_problems "$con" "qcow2 overlay"
[ "$(sha256sum <"$base")" = "$sum0" ]
ok $? "the base image is unchanged"
qemu-img check -q "$over" >"$TMP/check.out" 2>&1
ok $? "qemu-img check finds the overlay clean" || diag <"$TMP/check.out"
qemu-img info --output=json "$over" 2>/dev/null |
    grep -q "\"backing-filename\": \"$base\""
ok $? "the overlay still names its base"
qemu-img convert -O raw "$over" "$TMP/flat.img" 2>"$TMP/convert.out"
ok $? "qemu-img reads the chain to a flat image" || diag <"$TMP/convert.out"
linux_sb "$TMP/flat.img" >"$TMP/sb.after"
linux_wrote "$TMP/sb.before" "$TMP/sb.after" "qcow2 overlay"

# The CD-ROM.
con=$TMP/cd
read -r rc t0 t1 <"$con.rc"
linux_ended "$con" "$rc" "CD-ROM"
has '^\[ *[0-9.]+\] scsi host[0-9]+: Virtio SCSI HBA$'
ok $? "CD-ROM: Linux's virtio-scsi driver took our controller"
grep -q "virtio-scsi: MSI-X enabled" "$con.err" &&
    ! grep -q "virtio-scsi: MSI-X disabled" "$con.err"
ok $? "CD-ROM: ... with MSI-X"
has 'scsi [0-9]+:0:0:0: CD-ROM +.* PQ: 0 ANSI: [0-9]'
ok $? "CD-ROM: the SCSI scan found a CD-ROM at target 0, LUN 0: $(grep -o -m1 'CD-ROM .*' "$con")"
has 'sr [0-9]+:0:0:0: \[sr0\] scsi3-mmc drive:'
ok $? "CD-ROM: the sr driver read our MMC capabilities page: $(grep -o -m1 '\[sr0\] scsi3-mmc.*' "$con")"
# (sr's "Attached scsi CD-ROM sr0" is a debug-level line: the mount on
# 11:0, the first SCSI CD-ROM, says it instead.)
has 'VFS: Mounted root \(iso9660 filesystem\) readonly on device 11:0\.'
ok $? "CD-ROM: the root mounted from sr0 (device 11:0, iso9660, read-only)"
has 'Run /sbin/init as init process'
ok $? "CD-ROM: init started from it"
linux_problems "$con" "CD-ROM"

if [ "$tap_failed" -ne 0 ]; then
	for con in "$TMP/qcow2" "$TMP/cd"; do
		echo "# $con: the console's last lines:"
		tail -15 "$con" | diag
	done
fi
done_testing
