#!/bin/bash
# vmd boots an ELF kernel through PVH: a vm.conf VM whose boot is the test
# guest's PVH ELF starts, and its checks pass on the console (the parent
# and the VM process both take the file through boot_probe).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
PVH=$B/guest/testguest.pvh
[ -f "$PVH" ] || skip_all "no test guest"
need_vmd_user

cat >"$CONF" <<CONF
vm "pvh" {
	disable
	boot "$PVH"
	memory 64M
	cmdline "tg.entry=pvh tg.checks=entry,e820,cmdline,acpi tg.mem=67108864 tg.end=wait-powerbutton"
}
CONF
vmd_start
ok $? "vmd starts with a VM that boots an ELF kernel"
vmctl start pvh >"$TMP/start.out" 2>&1
ok $? "vmctl start pvh: $(cat "$TMP/start.out")"
wait_for 10 state_is pvh running
ok $? "the VM runs"

# The console: read until the guest waits for the power button, then ~.
mkfifo "$TMP/in"
timeout 30 "$VMCTL" -s "$SOCK" console pvh <"$TMP/in" >"$TMP/con.out" 2>&1 &
cpid=$!
exec 3>"$TMP/in"
wait_for 20 grep -q "waiting for the power button" "$TMP/con.out"
ok $? "the guest ran its checks and waits"
printf '~.' >&3
exec 3>&-
wait "$cpid"
tr -d '\r' <"$TMP/con.out" >"$TMP/con.txt"
grep -q '^ok .* - entry: pvh, tg.entry=pvh' "$TMP/con.txt" &&
    grep -q '^ok .* - pvh: hvm_start_info at 0x7000' "$TMP/con.txt" &&
    ! grep -q '^not ok' "$TMP/con.txt"
ok $? "entered through PVH, every check passed"
if [ $? -ne 0 ]; then diag <"$TMP/con.txt"; fi
vmctl stop pvh >/dev/null 2>&1
wait_for 15 vm_gone pvh
ok $? "stops on the power button"
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
