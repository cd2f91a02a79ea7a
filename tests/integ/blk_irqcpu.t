#!/bin/bash
# A disk's ring thread runs where the disk under its image takes its
# completion interrupts, when those are some of the host's CPUs only
# (docs/DESIGN.md), and anywhere with VMD_NO_IRQ_AFFINITY. Where that is
# is worked out here from sysfs and procfs on their own, as a referee:
# the block device under the image, its PCI function's MSI vectors but
# virtio's config one, their effective affinity.
. "$(dirname "$0")/lib.sh"
need_kvm
[ -f "$GUEST" ] || skip_all "no test guest"

RUN_PID=
irq_cleanup() {
	[ -z "$RUN_PID" ] || kill -KILL "$RUN_PID" 2>/dev/null
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap irq_cleanup EXIT

# cpus LIST: a CPU list ("0-2,5") one CPU a line.
cpus() {
	perl -e 'for (split /,/, $ARGV[0]) {
	    my ($a, $b) = split /-/; $b //= $a; print "$_\n" for $a .. $b }' "$1"
}

# irq_cpus FILE: the CPUs of FILE's disk's interrupts, one a line, sorted.
irq_cpus() {
	local p d i a
	p=$(readlink -f "/sys/dev/block/$(stat -c '%Hd:%Ld' "$1")") || return
	[ -e "$p/partition" ] && p=${p%/*}
	d=$(readlink -f "$p/device") || return
	while [ "${d#/sys/devices/}" != "$d" ] && [ ! -d "$d/msi_irqs" ]; do
		d=${d%/*}
	done
	[ -d "$d/msi_irqs" ] || return
	for i in $(ls "$d/msi_irqs"); do
		a=$(cat "/sys/kernel/irq/$i/actions" 2>/dev/null)
		case $a in ''|*config*) continue ;; esac
		cpus "$(cat "/proc/irq/$i/effective_affinity_list")"
	done | sort -n -u
}

# allowed PID TID: the thread's CPUs, one a line.
allowed() {
	cpus "$(awk '/^Cpus_allowed_list:/ { print $2 }' \
	    "/proc/$1/task/$2/status")"
}

truncate -s 8M "$TMP/d.img"
all=$(allowed $$ $$ | paste -s -d ' ')
want=$(irq_cpus "$TMP/d.img" | grep -x -F -f <(allowed $$ $$) | paste -s -d ' ')
if [ -n "$want" ] && [ "$want" != "$all" ]; then
	echo "# the image's disk takes its interrupts on CPUs $want of $all"
else
	echo "# the image's disk: interrupts on CPUs '$want' of $all (no pinning)"
	want=
fi

# run_check NAME [ENV...]: a VM with the disk; the CPUs of its threads
# that are not on every CPU, one line each, into $TMP/NAME.threads.
run_check() {
	local name=$1 vp t
	shift
	env "$@" timeout -s KILL 60 "$VMCTL" run -b "$GUEST" -m 64M \
	    -d "$TMP/d.img" -k "tg.checks=cmdline tg.end=wait-powerbutton" \
	    </dev/null >"$TMP/$name.out" 2>&1 &
	RUN_PID=$!
	for _ in $(seq 200); do
		grep -q "waiting for the power button" "$TMP/$name.out" &&
		    break
		sleep 0.05
	done
	# timeout -> vmctl -> the VM process
	vp=$(pgrep -x vmd -P "$(pgrep -P "$RUN_PID" -x vmctl)")
	: >"$TMP/$name.threads"
	for t in $(ls "/proc/$vp/task" 2>/dev/null); do
		a=$(allowed "$vp" "$t" | paste -s -d ' ')
		[ "$a" = "$all" ] || echo "$a" >>"$TMP/$name.threads"
	done
	kill -TERM "$vp"	# the power button
	wait "$RUN_PID"
	rc=$?
	RUN_PID=
}

run_check on
if [ -n "$want" ]; then
	[ "$rc" -eq 0 ] && [ "$(cat "$TMP/on.threads")" = "$want" ]
	ok $? "one thread (the disk's) kept on CPUs $want, the others anywhere"
else
	[ "$rc" -eq 0 ] && [ ! -s "$TMP/on.threads" ]
	ok $? "no thread kept off any CPU"
fi
if [ $? -ne 0 ]; then
	echo "exit $rc; restricted threads:" | diag
	diag <"$TMP/on.threads"
	tail -5 "$TMP/on.out" | diag
fi

run_check off VMD_NO_IRQ_AFFINITY=1
[ "$rc" -eq 0 ] && [ ! -s "$TMP/off.threads" ]
ok $? "VMD_NO_IRQ_AFFINITY=1: no thread kept off any CPU"
if [ $? -ne 0 ]; then
	echo "exit $rc" | diag
	diag <"$TMP/off.threads"
fi
done_testing
