#!/bin/bash
# vmd: stop -a over several rounds (bench/daemon.pl's rate rounds): every
# VM is asked, a guest deaf to the power button is forced after the
# timeout in every round (not only the first), and each VM's end is
# logged once: "stopped, status N" when it powers off, "killed by
# signal 9" when forced.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user
export VMD_STOP_TIMEOUT=2
N=6		# VMs per round: odd ones deaf, even ones polite
ROUNDS=3

vmd_start
ok $? "vmd starts (stop timeout 2 s)"
for r in $(seq $ROUNDS); do
	fails=0
	for i in $(seq $N); do
		if [ $((i % 2)) -eq 1 ]; then end=hang; else end=wait-powerbutton; fi
		vmctl start -b "$GUEST" -m 64M -k "tg.checks=none tg.end=$end" \
		    "r${r}v$i" >/dev/null 2>&1 || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ] && [ "$(vmctl status -r | tail -n +2 | wc -l)" -eq "$N" ]
	ok $? "round $r: $N VMs running"
	t0=$(date +%s%N)
	vmctl stop -a >"$TMP/stopall.$r" 2>&1
	[ "$(grep -c 'requested to shutdown' "$TMP/stopall.$r")" -eq "$N" ]
	ok $? "round $r: stop -a asks every VM"
	# Timeout 2 s, plus slack for a loaded machine.
	wait_for 6 sh -c "! $VMCTL -s $SOCK status -r >/dev/null 2>&1"
	ok $? "round $r: all of them end within the timeout" ||
	    vmctl status | diag
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	sleep 0.2
	forced=$(grep -c "r${r}v[0-9]* (vm [0-9]*) did not stop in 2 s, forcing it" "$VMD_LOG")
	killed=$(grep -c "r${r}v[0-9]* (vm [0-9]*) killed by signal 9" "$VMD_LOG")
	polite=$(grep -c "r${r}v[0-9]* (vm [0-9]*) stopped, status 0" "$VMD_LOG")
	[ "$forced" -eq $((N / 2)) ] && [ "$killed" -eq $((N / 2)) ] &&
	    [ "$polite" -eq $((N / 2)) ]
	ok $? "round $r: $((N / 2)) forced, $((N / 2)) polite (forced $forced, killed $killed, polite $polite, ${ms} ms)"
done
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
