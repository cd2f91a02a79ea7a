#!/bin/sh
# check-linux: boot Debian's cloud kernel with a busybox initramfs to a shell
# prompt under build/vmctl, run a command in it, power it off.  TAP output.
# See tests/linux/README.md.
#
# usage: tests/linux/check-linux.sh [--vmm ours|qemu-kvm|qemu-tcg]
#            [--kernel debian|small]
#        (small: the kernel of guest/linux/, built by its build.sh)
# env:   CHECK_LINUX_FORCE=1  run even on a KVM-PVM host (expect a timeout)
#        BOOT_TIMEOUT=S       seconds to wait for the init marker (120)
#        LINUX_CACHE=DIR      download/unpack cache (build/linux)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${LINUX_CACHE:-$top/build/linux}
vmm=ours
kind=debian
while [ $# -gt 0 ]; do
	case "$1" in
	--vmm) vmm=${2:?--vmm needs a value}; shift ;;
	--vmm=*) vmm=${1#--vmm=} ;;
	--kernel) kind=${2:?--kernel needs a value}; shift ;;
	--kernel=*) kind=${1#--kernel=} ;;
	*) echo "usage: $0 [--vmm ours|qemu-kvm|qemu-tcg]" \
	    "[--kernel debian|small]" >&2; exit 2 ;;
	esac
	shift
done
case $kind in debian|small) ;; *) echo "unknown --kernel $kind" >&2; exit 2 ;;
esac
boot_to=${BOOT_TIMEOUT:-120}
cmdline="console=ttyS0 rdinit=/init panic=-1 loglevel=4"

mkdir -p "$cache"
log="$cache/check-linux.log"
: > "$log"

# 1. Fetch, unpack and build the initramfs on every host, so this part is
#    exercised even where the boot is skipped.
prep_ok=1
prep_diag=
if kver=$("$here/fetch.sh" "$cache" 2>>"$log"); then
	kernel=$cache/root/boot/vmlinuz-$kver
	if [ $kind = small ]; then
		if kdir=$("$top/guest/linux/build.sh" 2>>"$log"); then
			kernel=$kdir/bzImage kver="small (guest/linux)"
		else
			prep_ok=0 prep_diag="guest/linux/build.sh failed"
		fi
	fi
	# Debian's kernel has virtio as modules: init loads these, in
	# this order (the small kernel has them built in).
	mods=
	if [ $kind = debian ]; then
		md=$cache/root/lib/modules/$kver/kernel
		for m in drivers/virtio/virtio_ring drivers/virtio/virtio \
		    drivers/virtio/virtio_pci_modern_dev \
		    drivers/virtio/virtio_pci_legacy_dev \
		    drivers/virtio/virtio_pci drivers/block/virtio_blk \
		    net/core/failover drivers/net/net_failover \
		    drivers/net/virtio_net; do
			mods="$mods $md/$m.ko"
		done
	fi
	initrd=$cache/initramfs-busybox-$kind.cpio
	# shellcheck disable=SC2086 # $mods: words
	if "$here/mkinitramfs.sh" "$cache/root/bin/busybox" "$here/init" \
	    "$initrd" $mods 2>>"$log"; then
		echo "# kernel $kernel ($(wc -c < "$kernel") bytes)"
		echo "# initramfs $initrd ($(wc -c < "$initrd") bytes)"
	else
		prep_ok=0 prep_diag="mkinitramfs.sh failed"
	fi
else
	prep_ok=0 prep_diag="fetch.sh failed"
fi
if [ $prep_ok = 0 ]; then
	echo "1..1"
	echo "not ok 1 - fetch kernel and busybox, build the initramfs"
	echo "# $prep_diag; from $log:"
	sed 's/^/#   /' "$log"
	exit 1
fi

# 2. Is /dev/kvm hardware KVM?  (The reasoning is in README.md.)
skip=
if [ "$vmm" != qemu-tcg ]; then
	hwvirt=$(grep -m1 -o -w -E 'vmx|svm' /proc/cpuinfo || true)
	if [ ! -c /dev/kvm ]; then
		skip="no /dev/kvm on this host"
	elif [ -z "$hwvirt" ]; then
		skip="KVM-PVM host: stock Linux kernels cannot boot (CPL0 emulated without SSE/XSAVE); needs hardware KVM"
		[ -d /sys/module/kvm_pvm ] ||
		    skip="no vmx/svm CPU flag, so /dev/kvm is not hardware KVM; needs hardware KVM"
	elif [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] &&
	    [ ! -d /sys/module/kvm_amd ]; then
		skip="KVM-PVM host: stock Linux kernels cannot boot (CPL0 emulated without SSE/XSAVE); needs hardware KVM"
	fi
	if [ -n "$skip" ] && [ "${CHECK_LINUX_FORCE:-0}" = 1 ]; then
		echo "# would skip ($skip), but CHECK_LINUX_FORCE=1"
		skip=
	fi
fi
if [ -n "$skip" ] && [ $kind = small ] && [ -d /sys/module/kvm_pvm ]; then
	skip="KVM-PVM host: this kernel boots here (tests/integ/linux_boot.t), but a system call from user space faults; needs hardware KVM"
fi
if [ -n "$skip" ]; then
	echo "1..0 # SKIP $skip"
	exit 0
fi

# The disk: 8 MiB, a line of our own in its first sector for the guest to
# read; the guest writes another into the second, which the host checks.
disk=$cache/check-linux-disk.img
rm -f "$disk"
truncate -s 8M "$disk"
want_in="vmd-disk-in-$$"
printf '%s\n' "$want_in" | dd of="$disk" conv=notrunc status=none

# The download: 16 MiB of random bytes from the host over TCP, their md5
# compared in the guest. Through our VMM the host's TCP sends the guest
# 64 KiB segments whole (receive offloads) in mergeable buffers.
blob=$cache/check-linux-blob.bin
head -c 16M /dev/urandom >"$blob"
blobsum=$(md5sum <"$blob" | cut -d' ' -f1)
srv=
ns=
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null
	[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
case $vmm in
ours)
	# A local interface (-L): the VM process answers DHCP. Its tap lives
	# in a network namespace made here.
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a tap)"; exit 0; }
	ns=vmdcl$$
	ip netns add "$ns" || { echo "1..0 # SKIP cannot make a network" \
	    "namespace"; exit 0; }
	ip netns exec "$ns" ip link set lo up
	# The host side of the local interface, wherever it is numbered.
	ip netns exec "$ns" perl "$here/blob-server.pl" 0.0.0.0:5555 \
	    "$blob" >/dev/null 2>>"$log" &
	srv=$!
	set -- ip netns exec "$ns" "$top/build/vmctl" run -b "$kernel" \
	    -I "$initrd" -k "$cmdline" -m 512M -p 2 -d "$disk" -L ;;
qemu-kvm|qemu-tcg)
	# A reference run of the same kernel and initramfs (checks this
	# script and the initramfs, not our VMM).
	accel=kvm; [ $vmm = qemu-tcg ] && accel=tcg
	# User networking: the guest's 10.0.2.2 is the host's loopback.
	perl "$here/blob-server.pl" 127.0.0.1:5555 "$blob" >/dev/null \
	    2>>"$log" &
	srv=$!
	cpu=host; [ $vmm = qemu-tcg ] && cpu=max
	set -- qemu-system-x86_64 -accel $accel -cpu $cpu -m 512 -smp 2 \
	    -nodefaults -no-user-config -display none -serial stdio \
	    -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	    -drive "file=$disk,format=raw,if=virtio" \
	    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 ;;
*)	echo "unknown --vmm $vmm" >&2; exit 2 ;;
esac

# What the guest does at its shell, each a test: WHAT, COMMAND, and the
# regex its output must match (the tty echoes the command itself).
tab=$(printf '\t')
step1="read the disk with dd${tab}dd if=/dev/vda bs=32 count=1 2>/dev/null | tr -d '\\000'${tab}^vmd-disk-in-[0-9]+\$"
step2="write the disk with dd${tab}echo vmd-disk-out-\$((6*7)) | dd of=/dev/vda bs=512 seek=1 conv=sync,fsync 2>/dev/null; echo dd=\$?${tab}^dd=0\$"
step3="udhcpc gets a lease on eth0${tab}ip link set eth0 up && udhcpc -i eth0 -n -q -t 10 -T 2 -s /udhcpc.sh 2>&1${tab}lease of [0-9.]+ obtained"
step4="a 16 MiB TCP download from the host arrives whole (md5)${tab}wget -q -O - http://\$(route -n | awk '\$1 == \"0.0.0.0\" { print \$2 }'):5555/blob | md5sum${tab}^$blobsum  -\$"

echo "1..12"
echo "ok 1 - kernel $kver, busybox-static unpacked"
echo "ok 2 - built the busybox initramfs"
if [ $vmm = ours ] && [ ! -x "$top/build/vmctl" ]; then
	echo "not ok 3 - $top/build/vmctl exists (run make all)"
	for i in 4 5 6 7 8 9 10 11 12; do echo "not ok $i - # SKIP no vmctl"; done
	exit 1
fi
echo "ok 3 - VMM: $*" | cut -c1-200
echo "# console transcript: $cache/console.log, VMM stderr: $cache/vmm.log"
perl "$here/console.pl" --first 4 --boot-timeout "$boot_to" \
    --timeout 30 --log "$cache/console.log" --stderr "$cache/vmm.log" \
    --step "$step1" --step "$step2" --step "$step3" --step "$step4" -- "$@"
rc=$?
# The second sector, written by the guest, read back on the host.
got=$(dd if="$disk" bs=512 skip=1 count=1 status=none | tr -d '\000' |
    head -1)
if [ "$got" = vmd-disk-out-42 ]; then
	echo "ok 12 - the host reads what the guest wrote ($got)"
else
	echo "not ok 12 - the host reads what the guest wrote (got '$got')"
	rc=1
fi
exit $rc
