#!/bin/bash
# Two vmd on one host (here: one network namespace made for the test), on
# different control sockets, both with local nat and switches: each
# creates host objects under its own name (vmd(8): the default socket's
# daemon owns table inet vmd and tags bridges 'vmd-switch NAME'), and
# neither deletes the other's, at start, at exit or on reset. The tables
# are told apart by what the nft tool lists, not by a name the test
# predicts, so the test runs the same against any vmd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v ip >/dev/null && command -v nft >/dev/null ||
    skip_all "needs ip and nft"
need_vmd_user

NS=vmdtwo$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
PIDA=
PIDB=
# stop_pid PID: SIGTERM, then SIGKILL if it lingers.
stop_pid() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
}
two_cleanup() {
	stop_pid "$PIDA"
	stop_pid "$PIDB"
	ip netns del "$NS" 2>/dev/null
	daemon_cleanup
}
trap two_cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up

SOCKA=$TMP/a.sock
SOCKB=$TMP/b.sock
# A's switch lan is bridge vmdbra; B names the same bridge for its lan
# (an existing bridge it did not create: B must leave it) and makes vmdbrb.
cat >"$TMP/a.conf" <<CONF
local nat
switch "lan" {
	interface vmdbra
}
CONF
cat >"$TMP/b.conf" <<CONF
local prefix 10.77.0.0/16
local nat
switch "lan" {
	interface vmdbra
}
switch "own" {
	interface vmdbrb
}
CONF

# start_one SOCK CONF: a vmd in the namespace; prints its pid once the
# socket answers, nothing if it did not come up.
start_one() {
	local pid
	ip netns exec "$NS" "$VMD" -d -f "$2" -s "$1" >>"$VMD_LOG" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		if [ -S "$1" ]; then
			ip netns exec "$NS" "$VMCTL" -s "$1" status \
			    >/dev/null 2>&1
			[ $? -le 1 ] && { echo "$pid"; return 0; }
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	echo "$pid"
	return 1
}
# stop_one PID: SIGTERM and wait for it to exit.
stop_one() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}
# The inet tables in the namespace, one name a line, sorted.
tables() { nsx nft list tables inet 2>/dev/null | awk '{ print $3 }' | sort; }
ntables() { tables | grep -c .; }
# handle TABLE: the kernel's handle of TABLE (a new table gets a new one).
handle() {
	nsx nft -a list table inet "$1" 2>/dev/null |
	    sed -n 's/^table .*{ # handle \([0-9]*\)$/\1/p'
}
masq() { nsx nft list table inet "$1" 2>/dev/null | grep -q "ip saddr $2 .*masquerade"; }
has_link() { nsx ip link show "$1" >/dev/null 2>&1; }
no_link() { ! has_link "$1"; }
alias_of() { nsx ip -d link show "$1" 2>/dev/null | sed -n 's/^ *alias //p'; }
has_alias() { [ -n "$(alias_of "$1")" ]; }
fwd() { nsx cat /proc/sys/net/ipv4/ip_forward; }

# ------------------------------------------------------------ A alone
PIDA=$(start_one "$SOCKA" "$TMP/a.conf")
ok $? "vmd A started on $SOCKA"
wait_for 5 sh -c "[ \$(ip netns exec $NS nft list tables inet | wc -l) -eq 1 ]"
TA=$(tables)
masq "$TA" 100.64.0.0/10
ok $? "A's local nat: table inet $TA masquerades 100.64.0.0/10"
wait_for 5 has_alias vmdbra
aa=$(alias_of vmdbra)
case $aa in vmd*switch\ lan) r=0 ;; *) r=1 ;; esac
ok $r "A created bridge vmdbra, tagged '$aa'"
HA=$(handle "$TA")
[ -n "$HA" ]
ok $? "A's table has handle $HA"

# ------------------------------------------------------------ B beside A
PIDB=$(start_one "$SOCKB" "$TMP/b.conf")
ok $? "vmd B started on $SOCKB"
wait_for 5 has_alias vmdbrb
wait_for 5 sh -c "ip netns exec $NS nft list ruleset | grep -q 'ip saddr 10.77.0.0/16'"
[ "$(handle "$TA")" = "$HA" ] && masq "$TA" 100.64.0.0/10
ok $? "starting B did not delete or replace A's table $TA (handle $HA)"
[ "$(ntables)" -eq 2 ]
ok $? "B has a table of its own: $(tables | tr '\n' ' ')"
TB=$(tables | grep -vx "$TA")
masq "$TB" 10.77.0.0/16
ok $? "B's local nat: table inet $TB masquerades 10.77.0.0/16"
ab=$(alias_of vmdbrb)
[ -n "$ab" ] && [ "$ab" != "$aa" ] && [ "${ab% own}" != "${aa% lan}" ]
ok $? "B tags its bridge vmdbrb '$ab', not with A's tag '$aa'"
[ "$(alias_of vmdbra)" = "$aa" ]
ok $? "B left the tag of A's bridge vmdbra alone"

# ------------------------------------------------------------ reset in B
ip netns exec "$NS" "$VMCTL" -s "$SOCKB" reset switches >/dev/null 2>&1
wait_for 5 no_link vmdbrb
ok $? "B's reset switches: B's bridge vmdbrb is gone"
wait_for 5 sh -c "[ \$(ip netns exec $NS nft list tables inet | wc -l) -le 1 ]"
has_link vmdbra && [ "$(handle "$TA")" = "$HA" ]
ok $? "B's reset switches left A's bridge and table"
ip netns exec "$NS" "$VMCTL" -s "$SOCKB" reload >/dev/null 2>&1
wait_for 5 has_link vmdbrb && wait_for 5 masq "$TB" 10.77.0.0/16
ok $? "B's reload: its bridge and table are back"

# ------------------------------------------------------------ B stops
stop_one "$PIDB"
ok $? "vmd B exited on SIGTERM"
PIDB=
has_link vmdbra && [ "$(alias_of vmdbra)" = "$aa" ]
ok $? "B's exit left A's bridge vmdbra (which B's lan used)"
[ "$(handle "$TA")" = "$HA" ] && masq "$TA" 100.64.0.0/10
ok $? "B's exit left A's table $TA"
no_link vmdbrb && [ "$(tables)" = "$TA" ]
ok $? "B's exit removed B's own bridge and table"
[ "$(fwd)" = 1 ]
ok $? "IPv4 forwarding stays on for A"

# ------------------------------------------------------------ A stops first
PIDB=$(start_one "$SOCKB" "$TMP/b.conf")
ok $? "vmd B started again"
wait_for 5 masq "$TB" 10.77.0.0/16
HB=$(handle "$TB")
stop_one "$PIDA"
ok $? "vmd A exited on SIGTERM"
PIDA=
[ "$(handle "$TB")" = "$HB" ] && masq "$TB" 10.77.0.0/16 && has_link vmdbrb
ok $? "A's exit left B's table $TB and bridge vmdbrb"
no_link vmdbra && [ "$(tables)" = "$TB" ]
ok $? "A's exit removed A's own bridge and table"
[ "$(fwd)" = 1 ]
ok $? "IPv4 forwarding stays on while B's local nat needs it"
stop_one "$PIDB"
PIDB=
[ "$(ntables)" -eq 0 ] && no_link vmdbrb
ok $? "B's exit removed the rest"
[ $tap_failed -eq 0 ] || show_log
done_testing
