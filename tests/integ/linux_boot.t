#!/bin/bash
# Linux as the referee of our machine: the small kernel of guest/linux/
# boots under vmctl run with 2 vCPUs, a virtio-blk disk (MBR, ext2 root
# made here with mke2fs -d), a local interface answered by the VM
# process's DHCP server, virtio-rng and its console on ttyS0. What Linux's
# own drivers say about our ACPI tables, PCI functions, MSI-X, virtio
# devices, RTC and DHCP server is checked line by line in its console log,
# and any line that looks like a problem fails unless
# tests/linux/accepted-warnings lists it with a reason. One boot: of the
# uncompressed vmlinux through the PVH boot ABI when it has the PVH note
# (guest/linux/vmd.config asks for it; it skips the decompressor), else
# of the bzImage; LINUX_BOOT=bzImage boots the bzImage anyway (Linux's
# bzImage path is also what linux_early.t boots, to its first lines).
# LINUX_KDIR=DIR boots DIR's kernel instead of guest/linux/build.sh's;
# LINUX_CMDLINE_EXTRA is appended to guest/linux/cmdline.
. "$(dirname "$0")/lib.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root (a tap for the local interface)"
command -v ip >/dev/null || skip_all "needs ip"
command -v mke2fs >/dev/null || skip_all "needs mke2fs (make deps)"
NS=vmdlnx$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
trap 'ip netns del "$NS" 2>/dev/null; [ -n "$KEEP_TMP" ] || rm -rf "$TMP"' EXIT
ip netns exec "$NS" ip link set lo up

# The kernel: built once per machine (make check starts the build early;
# build.sh waits for a build in progress). LINUX_KDIR: another build dir.
if [ -n "${LINUX_KDIR:-}" ]; then
	kdir=$LINUX_KDIR
elif ! kdir=$("$TOP/guest/linux/build.sh" 2>"$TMP/build.log"); then
	ok 1 "the kernel of guest/linux/ is built (guest/linux/build.sh)"
	diag <"$TMP/build.log"
	done_testing
	exit 1
fi
kernel=$kdir/bzImage
if [ "${LINUX_BOOT:-}" != bzImage ] && [ -f "$kdir/vmlinux" ] &&
    readelf -n "$kdir/vmlinux" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
	kernel=$kdir/vmlinux	# XEN_ELFNOTE_PHYS32_ENTRY (18): PVH
fi
ok 0 "kernel $kernel"
[ -x "$B/guest/linux-init" ] || { ok 1 "$B/guest/linux-init is built"
	done_testing; exit 1; }

# The root file system: /sbin/init and the directories the kernel wants.
mkdir -p "$TMP/root/sbin" "$TMP/root/dev" "$TMP/root/proc" "$TMP/root/sys"
cp "$B/guest/linux-init" "$TMP/root/sbin/init"
disk=$TMP/disk.img
"$TOP/tests/linux/mkdisk.sh" "$disk" "$TMP/root" 32 2>"$TMP/mkdisk.log"
ok $? "a 32 MiB disk with an MBR and an ext2 root (mke2fs -d)" ||
    diag <"$TMP/mkdisk.log"
# The ext2 superblock, read from the image (dumpe2fs on a copy of the
# partition: nothing is mounted on the host).
sb() {
	dd if="$disk" of="$TMP/part.img" bs=1M skip=1 status=none &&
	    dumpe2fs -h "$TMP/part.img" 2>/dev/null
}
sb >"$TMP/sb.before"
grep -q '^Mount count: *0$' "$TMP/sb.before"
ok $? "the new file system was never mounted"

# One boot. The console is stamped with the host's time as lines arrive
# (for the RTC check); the VM ends by itself (power-off from init, or
# panic=-1's reboot when the first system call faults on KVM-PVM).
cmdline="$(cat "$TOP/guest/linux/cmdline") ${LINUX_CMDLINE_EXTRA:-}"
t0=$(date +%s)
ip netns exec "$NS" timeout -s KILL "${LINUX_BOOT_TIMEOUT:-900}" \
    "$VMCTL" -v run -b "$kernel" -p 2 -m 128M -d "$disk" -L \
    -k "$cmdline" </dev/null 2>"$TMP/vm.err" |
    perl -MTime::HiRes=time -e '$| = 1;
	while (<STDIN>) { s/\r//g; printf "%.3f %s", time, $_ }' \
    >"$TMP/console.stamped"
rc=${PIPESTATUS[0]}
t1=$(date +%s)
[ -n "$KEEP_TMP" ] && echo "# console: $TMP/console.stamped"
cut -d' ' -f2- "$TMP/console.stamped" >"$TMP/console"
con=$TMP/console
has() { grep -q -E -- "$1" "$con"; }

# How the VM ended.
if has 'vmd-linux-init: user space runs'; then
	[ "$rc" -eq 0 ]
	ok $? "init ran in user space and powered the VM off (exit $rc)"
elif has 'Kernel panic - not syncing: Attempted to kill init'; then
	# KVM-PVM: SYSCALL from user mode lands on the kernel's entry point
	# still in user mode, which faults there (guest/linux/README.md).
	sc=$(awk '$3 == "entry_SYSCALL_64" { print $1 }' "$kdir/System.map")
	has "init\\[1\\]: segfault at $sc ip $sc " &&
	    [ "$rc" -eq 11 ]
	ok $? "init's first system call faulted at entry_SYSCALL_64 ($sc: KVM-PVM), panic=-1 rebooted: exit $rc"
else
	ok 1 "the VM ended through init (exit $rc after $((t1 - t0)) s)"
	tail -25 "$con" | diag
	tail -5 "$TMP/vm.err" | diag
fi

has '^\[ *[0-9.]+\] Linux version 6\.1\.'
ok $? "Linux started: $(grep -o -m1 'Linux version [^ ]*' "$con")"
has 'smp: Brought up 1 node, 2 CPUs'
ok $? "both CPUs up"
has 'ACPI: Interpreter enabled' && ! has 'ACPI (BIOS )?(Error|Warning)'
ok $? "our ACPI tables loaded without an ACPI error or warning"
has 'ACPI: button: Power Button \[PWRF\]'
ok $? "the fixed power button found"
has 'ACPI: PCI Root Bridge \[PCI0\]'
ok $? "the PCI root bridge of our DSDT"
for d in 1044:virtio-rng 1042:virtio-blk 1041:virtio-net; do
	id=${d%%:*} name=${d#*:}
	has "pci 0000:00:0[0-9]\.0: \[1af4:$id\]" &&
	    grep -q "$name: MSI-X enabled" "$TMP/vm.err" &&
	    ! grep -q "$name: MSI-X disabled" "$TMP/vm.err"
	ok $? "$name found on PCI, its driver enabled MSI-X"
done
has 'virtio_blk virtio[0-9]+: \[vda\] 65536 512-byte logical blocks \(33\.6 MB/32\.0 MiB\)'
ok $? "vda: 65536 sectors (32 MiB)"
has '^\[ *[0-9.]+\]  vda: vda1$'
ok $? "vda's partition table: vda1"
has '00:0[0-9]: ttyS0 at I/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A'
ok $? "our UART: found through ACPI PnP at 0x3f8, IRQ 4, a 16550A"
has 'random: crng init done'
ok $? "the entropy from virtio-rng initialised the kernel's RNG"
has 'IP-Config: Got DHCP answer from 100\.64\.1\.2, my address is 100\.64\.1\.3'
ok $? "DHCP: our server 100.64.1.2 leased 100.64.1.3"
has 'device=eth0, hwaddr=fe:e1:bb:d1:[0-9a-f:]{5}, ipaddr=100\.64\.1\.3, mask=255\.255\.255\.254, gw=100\.64\.1\.2'
ok $? "DHCP: mask 255.255.255.254, router 100.64.1.2"
has 'VFS: Mounted root \(ext2 filesystem\) on device 254:1\.'
ok $? "the root file system mounted (ext2, vda1)"
! has 'VFS: Mounted root .*readonly'
ok $? "... read-write"
has 'Run /sbin/init as init process'
ok $? "init started"

# The RTC: the time Linux read from our CMOS clock, against the host's
# time when that line reached us.
line=$(grep -m1 'rtc_cmos [^ ]*: setting system clock to' \
    "$TMP/console.stamped")
host=${line%% *}
guest=$(sed -n 's/.*UTC (\([0-9]*\))$/\1/p' <<<"$line")
[ -n "$guest" ] && perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) < 3)' \
    "$host" "$guest"
ok $? "the RTC's time is the host's (guest ${guest:-?}, host ${host:-?})"

# Problem-like lines: each one must be on the accepted list. On KVM-PVM
# the log ends with init's fault and the panic it causes (checked above):
# those lines are not scanned.
pat='warn|error|fail|bug|call trace|unable|cannot|can.t|not found|invalid'
pat="$pat|timed? ?out|mismatch|corrupt|unexpected|broken|bad |firmware"
pat="$pat|disabl|unknown|taint|segfault|panic|oops|stall|hung|not ok"
sed '/^\[ *[0-9.]*\] init\[1\]: segfault at /,$d' "$con" |
    sed 's/^\[ *[0-9.]*\] //' | grep -i -E "$pat" >"$TMP/problems"
acc=$TOP/tests/linux/accepted-warnings
grep -v -E '^(#|$)' "$acc" | cut -f1 >"$TMP/accepted"
grep -v -E -f "$TMP/accepted" "$TMP/problems" >"$TMP/unaccepted"
[ -s "$TMP/problems" ] && [ ! -s "$TMP/unaccepted" ]
ok $? "no kernel line shows a problem we have not accepted ($(wc -l <"$TMP/problems") accepted)" ||
    diag <"$TMP/unaccepted"

# After the VM: Linux mounted and wrote the file system.
sb >"$TMP/sb.after"
grep -q '^Mount count: *1$' "$TMP/sb.after"
ok $? "the superblock's mount count is 1"
# ext2 records the time of its last superblock write (not of the mount).
wt0=$(date -d "$(sed -n 's/^Last write time: *//p' "$TMP/sb.before")" +%s)
wt=$(sed -n 's/^Last write time: *//p' "$TMP/sb.after")
wts=$(date -d "$wt" +%s 2>/dev/null)
[ -n "$wts" ] && [ "$wts" -gt "$wt0" ] && [ "$wts" -ge "$((t0 - 2))" ] &&
    [ "$wts" -le "$((t1 + 2))" ]
ok $? "its last write time ($wt) is during the boot"

if [ "$tap_failed" -ne 0 ]; then
	echo "# the console's last lines:"
	tail -15 "$con" | diag
fi
done_testing
