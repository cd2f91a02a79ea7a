#!/bin/bash
# vmd with many VMs: 20 at once, how fast vmctl start brings them to
# running, the daemon's own memory with 0 and 20 VMs, stop -a; then 300
# vmctl start at once, idle guests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
need_vmd_user
N=${VMD_SCALE_N:-20}

# The daemon's processes (parent, control, vmm, priv): RSS in KiB.
daemon_rss() {
	local total=0 p
	for p in $VMD_PID $(ps -o pid= --ppid "$VMD_PID"); do
		case "$(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ')" in
		*" -V "*|"vmd: vm "*) continue ;;
		esac
		total=$((total + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")))
	done
	echo "$total"
}

# Started under the usual soft limit of 1024 open files, vmd raises it to
# the hard one (it holds a few fds per VM); its VM processes get at most
# 4096 each, soft and hard.
hard=$(ulimit -Hn)
ulimit -Sn 1024
vmd_start
ok $? "vmd starts"
nofile() {	# nofile PID: "soft hard" open files
	awk '/^Max open files/ { print $4, $5 }' "/proc/$1/limits"
}
[ "$(nofile "$VMD_PID")" = "$hard $hard" ]
ok $? "vmd's open files limit: soft raised to the hard one ($(nofile "$VMD_PID"), hard $hard)"
sleep 0.2
rss0=$(daemon_rss)
t0=$(date +%s%N)
fails=0
for i in $(seq "$N"); do
	vmctl start -b "$GUEST" -m 64M -k "tg.end=wait-powerbutton tg.checks=none" \
	    "s$i" >/dev/null 2>&1 || fails=$((fails + 1))
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$fails" -eq 0 ] && [ "$(vmctl status -r | tail -n +2 | wc -l)" -eq "$N" ]
ok $? "$N VMs running at once"
rssn=$(daemon_rss)
echo "# vmctl start to running: $N VMs in ${ms} ms = $(( N * 1000000 / (ms > 0 ? ms : 1) / 1000 )).$(( (N * 1000000 / (ms > 0 ? ms : 1)) % 1000 )) VMs/s (sequential)"
echo "# daemon RSS (parent+control+vmm+priv): ${rss0} KiB with 0 VMs, ${rssn} KiB with $N VMs"
vmax=$([ "$hard" = unlimited ] || [ "$hard" -gt 4096 ] && echo 4096 ||
    echo "$hard")
vpid=$(vmctl status | awk '$9 == "s1" { print $2 }')
[ "$(nofile "$vpid")" = "$vmax $vmax" ]
ok $? "a VM process may hold $vmax files, soft and hard ($(nofile "$vpid"))"
ids=$(vmctl status | awk 'NR > 1 { print $1 }' | sort -n | uniq | wc -l)
[ "$ids" -eq "$N" ]
ok $? "each has its own id"
ttys=$(vmctl status | awk 'NR > 1 { print $6 }' | sort -u | wc -l)
[ "$ttys" -eq "$N" ]
ok $? "each has its own tty"
sleep 0.5
vmctl stop -a >"$TMP/stopall.out" 2>&1
[ "$(grep -c 'requested to shutdown' "$TMP/stopall.out")" -eq "$N" ]
ok $? "stop -a asks every VM"
wait_for 15 sh -c "! $VMCTL -s $SOCK status >/dev/null 2>&1"
ok $? "and they all power off"
[ "$(grep -c 'stopped, status 0' "$VMD_LOG")" -eq "$N" ]
ok $? "politely (status 0 each)"

# A burst: M vmctl start at once, each holding a control connection until
# its VM runs (connections past control's last slot wait for one instead
# of being refused); every VM runs, then stops politely, and none is
# taken for a process that broke the protocol while it exits.
M=${VMD_SCALE_BURST:-300}
pids=
for i in $(seq "$M"); do
	vmctl start -b "$GUEST" -m 64M -k "tg.checks=none tg.end=idle" \
	    "b$i" >"$TMP/burst.$i" 2>&1 &
	pids="$pids $!"
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
[ "$fails" -eq 0 ]
ok $? "$M vmctl start at once: every one succeeds ($fails failed)" ||
    cat "$TMP"/burst.* | grep -v 'successfully' | sort | uniq -c | diag
[ "$(vmctl status | awk '$8 == "running" && $9 ~ /^b/' | wc -l)" -eq "$M" ]
ok $? "$M VMs running"
before=$(grep -c 'stopped, status 0' "$VMD_LOG")
vmctl stop -a >/dev/null 2>&1
wait_for 60 sh -c "! $VMCTL -s $SOCK status >/dev/null 2>&1"
ok $? "stop -a: all $M gone"
[ $(($(grep -c 'stopped, status 0' "$VMD_LOG") - before)) -eq "$M" ] &&
    ! grep -q 'broke the protocol' "$VMD_LOG"
ok $? "politely, each, none taken for broken while it exits"
vmd_stop
if [ "$tap_failed" -ne 0 ]; then show_log; fi
done_testing
