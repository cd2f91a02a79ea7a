#!/bin/bash
# vmd: a polite stop the guest does not answer is forced after the
# timeout; stop again while stopping is refused, stop -f still works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user
export VMD_STOP_TIMEOUT=2

vmd_start
ok $? "vmd starts (stop timeout 2 s)"
# A guest deaf to the power button (tg.end=hang) ignores the polite stop.
vmctl start -b "$GUEST" -m 64M -k "tg.checks=none tg.end=hang" deaf >/dev/null 2>&1
vmctl stop deaf >/dev/null 2>&1
t0=$(date +%s%N)
[ "$(status_field deaf 8)" = stopping ]
ok $? "STATE stopping"
vmctl stop deaf >"$TMP/again.out" 2>&1
[ $? -eq 1 ] && grep -q 'already in progress' "$TMP/again.out"
ok $? "a second polite stop is refused (EALREADY)"
wait_for 6 vm_gone deaf
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
grep -q 'deaf (vm 1) did not stop in 2 s, forcing it' "$VMD_LOG" &&
    [ "$ms" -ge 1500 ]
ok $? "forced after the timeout (${ms} ms)"

vmctl start -b "$GUEST" -m 64M -k "tg.checks=none tg.end=hang" deaf2 >/dev/null 2>&1
vmctl stop deaf2 >/dev/null 2>&1
vmctl stop -f deaf2 >/dev/null 2>&1
wait_for 1 vm_gone deaf2
ok $? "stop -f while stopping ends it at once"
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
