#!/bin/bash
# vmctl run -L: a local interface without the daemon, in a namespace made
# here. The VM process answers the guest's DHCP with vmd's addresses for
# vm 1 (100.64.1.3/31, router 100.64.1.2), the guest reaches the host
# side, a second local NIC gets the next /31, and the taps go with the VM.
. "$(dirname "$0")/lib.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest built"
command -v ip >/dev/null || skip_all "needs ip"
NS=vmdloc$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
trap 'ip netns del "$NS" 2>/dev/null; [ -n "$KEEP_TMP" ] || rm -rf "$TMP"' EXIT
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up

timeout -s KILL 60 ip netns exec "$NS" "$VMCTL" -v run -L -b "$GUEST" \
    -m 128M -k "$(echo tg.checks=dhcp,net-bench tg.dhcp.expect=100.64.1.3 \
	tg.dhcp.timeout=10 tg.dhcp.ping=100.64.1.2 tg.net.ip=100.64.1.3 \
	tg.net.host=100.64.1.2 tg.bench.ms=500)" \
    </dev/null >"$TMP/l.out" 2>"$TMP/l.err"
rc=$?
ok $rc "guest on a local interface powered off (exit $rc)"
guest_tap_clean "$TMP/l"
ok $? "every guest check passed"
grep -q 'local interface tap[0-9]*: host 100.64.1.2/31, guest 100.64.1.3' "$TMP/l.err"
ok $? "vmctl put 100.64.1.2/31 on the tap"
tr -d '\r' <"$TMP/l.out" | grep -q '^ok .*dhcp: leased 100.64.1.3 mask 255.255.255.254 router 100.64.1.2 dns 100.64.1.2 lease 4294967295 s'
ok $? "DHCP from the VM process: 100.64.1.3/31, router and DNS 100.64.1.2, infinite lease"
tr -d '\r' <"$TMP/l.out" | grep -q '^ok .*dhcp: router 100.64.1.2 answers ARP and 3/3 ICMP'
ok $? "the guest reaches the host side"
tr -d '\r' <"$TMP/l.out" | grep '^# bench: net-tx' | sed 's/^# //' | diag
[ -z "$(nsx ip -br link | grep -v '^lo ')" ]
ok $? "the tap went away with the VM"

# -t first, then -L: the local NIC is index 1, so it gets .4/.5; the
# guest's DHCP client runs on its first NIC, which is not local.
nsx ip tuntap add mode tap name plain0
timeout -s KILL 60 ip netns exec "$NS" "$VMCTL" -v run -t plain0 -L \
    -b "$GUEST" -m 64M -k "tg.checks=" </dev/null >"$TMP/m.out" 2>"$TMP/m.err"
ok $? "a plain and a local interface"
grep -q 'local interface tap[0-9]*: host 100.64.1.4/31, guest 100.64.1.5' "$TMP/m.err"
ok $? "interface 1 gets the next /31 (100.64.1.4/31)"
done_testing
