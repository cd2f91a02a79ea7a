#!/bin/bash
# vmd with a vm.conf: VMs from the config (started, disabled, listed when
# stopped), guest reboot restarts with the same id and tty and its rate
# limit, reload (SIGHUP too) keeping running VMs, load, reset, log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user

vmconf() {	# vmconf NAME CMDLINE [EXTRA]
	printf 'vm "%s" {\n\tmemory 64M\n\tboot "%s"\n\tcmdline "%s"\n%s\n}\n' \
	    "$1" "$GUEST" "$2" "${3:-}"
}
{
	vmconf c1 "tg.end=wait-powerbutton"
	vmconf c2 "tg.end=reboot-triple" "	disable"
	vmconf c3 "tg.end=wait-powerbutton"
} >"$CONF"

vmd_start
ok $? "vmd starts with a vm.conf"
wait_for 5 state_is c3 running && wait_for 5 state_is c1 running
ok $? "enabled VMs start with the daemon"
row=$(vmctl status c2 | awk '$9 == "c2"')
set -- $row
[ "$1" = 2 ] && [ "$2" = - ] && [ "$5" = - ] && [ "$6" = - ] &&
    [ "$8" = stopped ]
ok $? "a disabled VM is listed: - for PID, CURMEM and TTY, stopped"
vmctl status -r | grep -q ' c2$'
[ $? -ne 0 ]
ok $? "status -r lists only running VMs"

vmctl stop -w c1 >/dev/null 2>&1
[ "$(status_field c1 8)" = stopped ] && [ "$(status_field c1 1)" = 1 ]
ok $? "a config VM stays listed, stopped, when it stops"
vmctl start c1 >/dev/null 2>&1 && [ "$(status_field c1 8)" = running ] &&
    [ "$(status_field c1 1)" = 1 ]
ok $? "start by name: it runs again with the same id"
vmctl stop -w c1 >/dev/null 2>&1
vmctl start -m 128M c1 >/dev/null 2>&1 && [ "$(status_field c1 4)" = 128M ]
ok $? "root may change a configured VM's settings for one run"
vmctl stop -f c1 >/dev/null 2>&1
wait_for 5 state_is c1 stopped && [ "$(status_field c1 4)" = 64.0M ]
ok $? "and it has its configured settings again once stopped"
vmctl start c1 >/dev/null 2>&1
vmctl start 1 >"$TMP/again.out" 2>&1
[ $? -eq 1 ] && grep -q 'already' "$TMP/again.out"
ok $? "starting a running VM fails"

# Guest reboot: restart in a new process, same id and tty; the fourth
# quick restart is refused.
(sleep 2; printf '~.') | timeout 10 "$VMCTL" -s "$SOCK" start -c c2 \
    >"$TMP/c2.out" 2>&1
wait_for 10 grep -q 'c2: restarted too quickly' "$VMD_LOG"
ok $? "a guest that keeps rebooting is stopped: restarted too quickly"
n=$(grep -c 'started c2 (vm 2) successfully' "$VMD_LOG")
ttys=$(sed -n 's/.*started c2 (vm 2) successfully, tty //p' "$VMD_LOG" | sort -u | wc -l)
[ "$n" -eq 4 ] && [ "$ttys" -eq 1 ]
ok $? "three restarts after reboots, each with the same id and tty ($n starts, $ttys ttys)"
n=$(tr -d '\r' <"$TMP/c2.out" | grep -c '^testguest: done, rebooting')
[ "$n" -eq 4 ]
ok $? "start -c: one console session sees all four boots ($n)"
wait_for 5 state_is c2 stopped
ok $? "then it is stopped and stays listed"

# Reload: running VMs are untouched, stopped ones re-read.
pid3=$(status_field c3 2)
{
	vmconf c1 "tg.end=wait-powerbutton" "	cpus 2"
	vmconf c4 "tg.end=wait-powerbutton" "	disable"
} >"$CONF"
vmctl reload
ok $? "reload"
[ "$(status_field c3 2)" = "$pid3" ] && [ "$(status_field c3 8)" = running ]
ok $? "reload keeps running VMs (c3 still pid $pid3)"
[ "$(status_field c4 8)" = stopped ] && [ -z "$(status_field c2 8)" ]
ok $? "reload adds new VMs and drops stopped ones no longer configured"
[ "$(status_field c1 3)" = 1 ]
ok $? "a running VM keeps its settings"
sleep 0.3
vmctl stop -w c1 >/dev/null 2>&1
[ "$(status_field c1 3)" = 2 ] && [ "$(status_field c1 8)" = stopped ]
ok $? "and takes the reloaded ones when it stops"
vmconf c5 "tg.end=wait-powerbutton" "	disable" >>"$CONF"
kill -HUP "$VMD_PID"
wait_for 5 state_is c5 stopped
ok $? "SIGHUP reloads"

vmconf c6 "tg.end=wait-powerbutton" "	disable" >"$TMP/extra.conf"
vmctl load "$TMP/extra.conf" && [ "$(status_field c6 8)" = stopped ] &&
    [ "$(status_field c5 8)" = stopped ]
ok $? "load adds a file's VMs without removing any"
vmctl status | awk 'NR > 1 { print $1 }' >"$TMP/ids"
sort -n -c "$TMP/ids" && [ "$(wc -l <"$TMP/ids")" -ge 4 ]
ok $? "after reloads and a load, status lists VMs by id ($(tr '\n' ' ' <"$TMP/ids"))"
echo 'vm "bad" { memory 1K }' >"$TMP/bad.conf"
vmctl load "$TMP/bad.conf" >"$TMP/bad.out" 2>&1
[ $? -eq 1 ] && grep -q 'configuration' "$TMP/bad.out" && kill -0 "$VMD_PID"
ok $? "load of a bad file fails and the daemon carries on"

vmctl log verbose && grep -q 'log level verbose' "$VMD_LOG" &&
    vmctl log brief && [ "$(status_field c3 8)" = running ]
ok $? "log verbose / brief, the VM processes too"

vmctl reset vms
wait_for 5 sh -c "! $VMCTL -s $SOCK status >/dev/null 2>&1"
ok $? "reset vms: every VM is terminated and forgotten"
kill -0 "$pid3" 2>/dev/null
[ $? -ne 0 ]
ok $? "reset vms: the VM processes are gone"
vmctl reset && vmctl reset switches
ok $? "reset, reset switches"
vmctl start -b "$GUEST" -m 64M -k "tg.end=wait-powerbutton" n1 >"$TMP/n1.out" 2>&1
grep -q 'started vm 1 ' "$TMP/n1.out"
ok $? "after reset, ids start again at 1"
vmctl stop -f n1 >/dev/null 2>&1

vmd_stop
[ "$vmd_rc" -eq 0 ]
ok $? "vmd exits on SIGTERM"
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
