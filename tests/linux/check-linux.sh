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
	initrd=$cache/initramfs-busybox.cpio
	if "$here/mkinitramfs.sh" "$cache/root/bin/busybox" "$here/init" \
	    "$initrd" 2>>"$log"; then
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

case $vmm in
ours)
	set -- "$top/build/vmctl" run -b "$kernel" -I "$initrd" \
	    -k "$cmdline" -m 512M -p 2 ;;
qemu-kvm|qemu-tcg)
	# A reference run of the same kernel and initramfs (checks this
	# script and the initramfs, not our VMM).
	accel=kvm; [ $vmm = qemu-tcg ] && accel=tcg
	cpu=host; [ $vmm = qemu-tcg ] && cpu=max
	set -- qemu-system-x86_64 -accel $accel -cpu $cpu -m 512 -smp 2 \
	    -nodefaults -no-user-config -display none -serial stdio \
	    -kernel "$kernel" -initrd "$initrd" -append "$cmdline" ;;
*)	echo "unknown --vmm $vmm" >&2; exit 2 ;;
esac

echo "1..7"
echo "ok 1 - kernel $kver, busybox-static unpacked"
echo "ok 2 - built the busybox initramfs"
if [ $vmm = ours ] && [ ! -x "$top/build/vmctl" ]; then
	echo "not ok 3 - $top/build/vmctl exists (run make all)"
	for i in 4 5 6 7; do echo "not ok $i - # SKIP no vmctl"; done
	exit 1
fi
echo "ok 3 - VMM: $*" | cut -c1-200
echo "# console transcript: $cache/console.log, VMM stderr: $cache/vmm.log"
exec perl "$here/console.pl" --first 4 --boot-timeout "$boot_to" \
    --timeout 30 --log "$cache/console.log" --stderr "$cache/vmm.log" \
    -- "$@"
