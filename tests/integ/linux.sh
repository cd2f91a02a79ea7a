# Shared by the tests that boot the small Linux of guest/linux/
# (linux_boot.t, linux_roots.t): the kernel, a root tree, one boot with its
# console stamped by the host's clock, how the VM ended, and the scan of
# the kernel log for lines that show a problem. Sourced after lib.sh.

# linux_kernel: sets kdir and kernel (the vmlinux through PVH when it has
# the PVH note, else the bzImage; LINUX_BOOT=bzImage forces the bzImage;
# LINUX_KDIR=DIR another build). Ends the test when there is none.
linux_kernel() {
	# make check starts the build early; build.sh waits for one running.
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
	    readelf -n "$kdir/vmlinux" 2>/dev/null |
	    grep -q 'Xen.*0x00000012'; then
		kernel=$kdir/vmlinux	# XEN_ELFNOTE_PHYS32_ENTRY (18): PVH
	fi
	ok 0 "kernel $kernel"
	if [ ! -x "$B/guest/linux-init" ]; then
		ok 1 "$B/guest/linux-init is built"
		done_testing
		exit 1
	fi
}

# linux_rootdir DIR: /sbin/init and the directories the kernel wants.
linux_rootdir() {
	mkdir -p "$1/sbin" "$1/dev" "$1/proc" "$1/sys"
	cp "$B/guest/linux-init" "$1/sbin/init"
}

# linux_cmdline ROOT-ARGS: guest/linux/cmdline with its root and network
# arguments replaced by ROOT-ARGS, plus LINUX_CMDLINE_EXTRA.
linux_cmdline() {
	sed -e 's/ root=[^ ]*//; s/ rw / /; s/ ip=[^ ]*//' \
	    "$TOP/guest/linux/cmdline" | tr -d '\n'
	echo " $1 ${LINUX_CMDLINE_EXTRA:-}"
}

# linux_run OUT [ip netns exec NS] -- VMCTL-RUN-ARGS...: one boot with
# stdin from /dev/null. The console goes to OUT.stamped, each line led by
# the host's time at its arrival (for the RTC check), and to OUT without
# the stamps; vmctl's log to OUT.err; sets rc, t0 and t1 (seconds). The VM
# ends by itself: power-off from init, or panic=-1's reboot when the first
# system call faults on KVM-PVM.
linux_run() {
	local out=$1 pre=()
	shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	t0=$(date +%s)
	"${pre[@]}" timeout -s KILL "${LINUX_BOOT_TIMEOUT:-900}" \
	    "$VMCTL" -v run "$@" </dev/null 2>"$out.err" |
	    perl -MTime::HiRes=time -e '$| = 1;
		while (<STDIN>) { s/\r//g; printf "%.3f %s", time, $_ }' \
	    >"$out.stamped"
	rc=${PIPESTATUS[0]}
	t1=$(date +%s)
	cut -d' ' -f2- "$out.stamped" >"$out"
	[ -n "$KEEP_TMP" ] && echo "# console: $out.stamped"
	return 0
}

# linux_ended CONSOLE RC WHAT: how the VM ended, through init: it ran and
# powered off (hardware KVM), or (KVM-PVM) its first system call faulted
# at the kernel's SYSCALL entry and panic=-1 rebooted.
linux_ended() {
	local con=$1 code=$2 sc
	if grep -q 'vmd-linux-init: user space runs' "$con"; then
		[ "$code" -eq 0 ]
		ok $? "$3: init ran in user space and powered the VM off (exit $code)"
	elif grep -q 'Kernel panic - not syncing: Attempted to kill init' \
	    "$con"; then
		# KVM-PVM: SYSCALL from user mode lands on the kernel's entry
		# point still in user mode, which faults (guest/linux/README.md).
		sc=$(awk '$3 == "entry_SYSCALL_64" { print $1 }' \
		    "$kdir/System.map")
		grep -q "init\\[1\\]: segfault at $sc ip $sc " "$con" &&
		    [ "$code" -eq 11 ]
		ok $? "$3: init's first system call faulted at entry_SYSCALL_64 ($sc: KVM-PVM), panic=-1 rebooted: exit $code"
	else
		ok 1 "$3: the VM ended through init (exit $code)"
		tail -25 "$con" | diag
		tail -5 "$con.err" | diag
	fi
}

# linux_problems CONSOLE WHAT: every kernel line that looks like a problem
# must be on tests/linux/accepted-warnings. On KVM-PVM the log ends with
# init's fault and the panic it causes (linux_ended checks those): those
# lines are not scanned.
linux_problems() {
	local con=$1 pat acc=$TOP/tests/linux/accepted-warnings
	pat='warn|error|fail|bug|call trace|unable|cannot|can.t|not found'
	pat="$pat|invalid|timed? ?out|mismatch|corrupt|unexpected|broken"
	pat="$pat|bad |firmware|disabl|unknown|taint|segfault|panic|oops"
	pat="$pat|stall|hung|not ok"
	sed '/^\[ *[0-9.]*\] init\[1\]: segfault at /,$d' "$con" |
	    sed 's/^\[ *[0-9.]*\] //' | grep -i -E "$pat" >"$con.problems"
	grep -v -E '^(#|$)' "$acc" | cut -f1 >"$TMP/accepted"
	grep -v -E -f "$TMP/accepted" "$con.problems" >"$con.unaccepted"
	[ -s "$con.problems" ] && [ ! -s "$con.unaccepted" ]
	ok $? "$2: no kernel line shows a problem we have not accepted ($(wc -l <"$con.problems") accepted)" ||
	    diag <"$con.unaccepted"
}

# linux_sb IMAGE: the superblock of the ext2 file system at 1 MiB in a raw
# IMAGE (tests/linux/mkdisk.sh's layout), read with dumpe2fs from a copy
# of the partition: nothing is mounted on the host.
linux_sb() {
	dd if="$1" of="$TMP/part.img" bs=1M skip=1 status=none &&
	    dumpe2fs -h "$TMP/part.img" 2>/dev/null
	rm -f "$TMP/part.img"
}

# linux_wrote SB-BEFORE SB-AFTER WHAT: Linux mounted the file system once
# and wrote its superblock during the boot (ext2 records the time of its
# last superblock write, not of the mount).
linux_wrote() {
	local wt0 wt wts
	grep -q '^Mount count: *1$' "$2"
	ok $? "$3: the superblock's mount count is 1"
	wt0=$(date -d "$(sed -n 's/^Last write time: *//p' "$1")" +%s)
	wt=$(sed -n 's/^Last write time: *//p' "$2")
	wts=$(date -d "$wt" +%s 2>/dev/null)
	[ -n "$wts" ] && [ "$wts" -gt "$wt0" ] &&
	    [ "$wts" -ge "$((t0 - 2))" ] && [ "$wts" -le "$((t1 + 2))" ]
	ok $? "$3: its last write time ($wt) is during the boot"
}
