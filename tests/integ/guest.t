#!/bin/bash
# Boots the test guest on /dev/kvm through vmctl run: every check it knows,
# with 1 to 16 vCPUs and 64M to 4G, and each way a guest can end.
. "$(dirname "$0")/lib.sh"
need_kvm
[ -f "$GUEST" ] || skip_all "no test guest built"

make_initrd "$TMP/initrd" 1048579

# boot NAME CPUS MEM [extra cmdline]: vmctl -v run (the debug port's lines
# are debug output).
boot() {
	local name=$1 cpus=$2 mem=$3 bytes
	shift 3
	bytes=$(perl -e '$_ = shift; s/M$// ? print $_ * 1048576 :
	    s/G$// ? print $_ * 1073741824 : print' "$mem")
	timeout -s KILL 120 "$VMCTL" -v run -b "$GUEST" -p "$cpus" -m "$mem" \
	    -I "$TMP/initrd" -k "tg.mem=$bytes tg.cpus=$cpus tg.rtc=$(date +%s) tg.initrd=1048579 tg.echo=hello-$name $*" \
	    </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
}

for cfg in "c1m64 1 64M" "c4m4g 4 4G" "c2m256 2 256M" "c16m1g 16 1G" "c4m3g 3 3G"; do
	set -- $cfg
	boot "$1" "$2" "$3"
	ok $rc "$1: $2 vCPUs, $3: guest powered off (exit $rc)"
	guest_tap_clean "$TMP/$1"
	ok $? "$1: every guest check passed"
	grep -q "ok .*tg.echo=hello-$1" "$TMP/$1.out"
	ok $? "$1: the guest saw its command line"
	grep -q "debug port 0x01 at" "$TMP/$1.err"
	ok $? "$1: boot timer logged the first guest write"
done

# The ways a guest can reset: each ends the VM process with status 11.
for how in reboot-acpi reboot-kbd reboot-triple; do
	run_vm "$TMP/$how" 60 -b "$GUEST" -m 64M -k "tg.checks=cmdline tg.end=$how"
	[ "$rc" -eq 11 ]
	ok $? "tg.end=$how: exit status 11 (reboot), got $rc"
	! grep -q "debug port" "$TMP/$how.err"
	ok $? "tg.end=$how: no debug port line without -v"
done

# A host signal presses the power button; the guest sees it and powers off.
timeout -s KILL 60 "$VMCTL" run -b "$GUEST" -m 64M \
    -k "tg.checks=cmdline tg.end=wait-powerbutton" </dev/null \
    >"$TMP/pwr.out" 2>"$TMP/pwr.err" &
pid=$!
for i in $(seq 100); do
	grep -q "waiting for the power button" "$TMP/pwr.out" 2>/dev/null && break
	sleep 0.1
done
# timeout -> vmctl -> vmd (the VM process): signal the VM process itself.
vmpid=$(pgrep -x vmd -P "$(pgrep -P $pid -x vmctl)")
kill -TERM "$vmpid"
wait $pid
rc=$?
ok $rc "power button: guest powered off after SIGTERM (exit $rc)"
grep -q "^ok .*power button" "$TMP/pwr.out"
ok $? "power button: the guest saw the press"

# The hostile pass: junk on every port and unbacked MMIO hurts only the guest.
run_vm "$TMP/hostile" 120 -b "$GUEST" -m 128M -p 2 -k "tg.checks=hostile,cmdline"
ok $rc "hostile: VM process survived and the guest powered off (exit $rc)"
guest_tap_clean "$TMP/hostile"
ok $? "hostile: the guest's checks after the junk passed"
done_testing
