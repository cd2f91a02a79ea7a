#!/bin/bash
# vmd's networking end to end, inside network namespaces made here: a
# local-interface guest gets the address vmd's scheme predicts by DHCP,
# reaches the host side, and with local nat a fake upstream host in another
# namespace; two VMs on one switch see each other's frames; taps, bridges,
# addresses and the nat table appear and go away as vmd(8) says (stop,
# SIGKILL of a VM process, reset, vmd exit, a restarted vmd after a kill).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest built"
command -v ip >/dev/null && command -v nft >/dev/null ||
    skip_all "needs ip and nft"
need_vmd_user

NS=vmdnet$$
NSU=vmdup$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
ip netns add "$NSU" || { ip netns del "$NS"; skip_all "no second namespace"; }
net_cleanup() {
	daemon_cleanup
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NSU" 2>/dev/null
}
trap net_cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }
nsx ip link set lo up
# The upstream: 198.51.100.2, which has no route back to 100.64.0.0/10.
ip link add vmdu0 netns "$NS" type veth peer name eth0 netns "$NSU"
nsx ip addr add 198.51.100.1/24 dev vmdu0
nsx ip link set vmdu0 up
ip netns exec "$NSU" ip addr add 198.51.100.2/24 dev eth0
ip netns exec "$NSU" ip link set eth0 up
ip netns exec "$NSU" ip link set lo up

# vmd runs inside the namespace: what it creates stays there.
VMCTL_BIN=$VMCTL
vmctl() { ip netns exec "$NS" "$VMCTL_BIN" -s "$SOCK" "$@"; }
vmd_start() {
	[ -f "$CONF" ] || : >"$CONF"
	ip netns exec "$NS" "$VMD" -d -f "$CONF" -s "$SOCK" "$@" \
	    >>"$VMD_LOG" 2>&1 &
	VMD_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && vmctl status >/dev/null 2>&1
		[ $? -le 1 ] && [ -S "$SOCK" ] && return 0
		kill -0 "$VMD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

cat >"$CONF" <<CONF
local nat
local inet6 prefix fd00:77::/64
switch "lan" {
	interface vmdbr7
	locked lladdr
}
vm "l" {
	disable
	memory 128M
	boot "$GUEST"
	cmdline "tg.checks=dhcp tg.dhcp.expect=100.64.1.3 tg.dhcp.timeout=20 tg.dhcp.ping=198.51.100.2 tg.end=wait-powerbutton"
	local interface
}
vm "s1" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.checks=net tg.net.ip=10.99.0.1 tg.net.host=10.99.0.2 tg.net.pings=1 tg.net.udpn=0 tg.end=wait-powerbutton"
	interface { switch "lan" }
}
vm "s2" {
	disable
	memory 64M
	boot "$GUEST"
	cmdline "tg.checks=net tg.net.ip=10.99.0.2 tg.net.host=10.99.0.1 tg.net.pings=1 tg.net.udpn=0 tg.end=wait-powerbutton"
	interface { switch "lan" }
}
CONF

# console NAME: what the guest printed once it waits for the power button
# (its checks are done), or after 30 s what it printed so far. The console
# reads a FIFO held open here, so that it leaves on ~. and not before.
console() {
	local out=$TMP/console.$1 in=$TMP/console.$1.in pid w
	rm -f "$in" && mkfifo "$in" || return 1
	ip netns exec "$NS" "$VMCTL_BIN" -s "$SOCK" console "$1" \
	    <"$in" >"$out" 2>/dev/null &
	pid=$!
	exec {w}>"$in"
	wait_for 30 grep -q 'waiting for the power button' "$out"
	printf '~.' >&"$w"
	exec {w}>&-
	wait_for 5 exited "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	tr -d '\r' <"$out"
}
# up NAME: the link is administratively up.
up() { nsx ip -o link show "$1" | grep -q '[<,]UP[,>]'; }
# descendants PID: the pids of PID's children, theirs, and so on.
descendants() {
	ps -eo pid=,ppid= | awk -v p="$1" '{ c[$2] = c[$2] " " $1 }
	    END { n = split(c[p], q); for (i = 1; i <= n; i++) {
		print q[i]; m = split(c[q[i]], r)
		for (j = 1; j <= m; j++) q[++n] = r[j] } }'
}
# exited PID: PID is gone or a zombie.
exited() {
	case $(ps -o stat= -p "$1") in
	""|Z*)	return 0 ;;
	esac
	return 1
}
# all_gone PID...: each has exited.
all_gone() {
	local p
	for p; do exited "$p" || return 1; done
	return 0
}
links() { nsx ip -br link | awk '{ print $1 }' | sed 's/@.*//' | sort | tr '\n' ' '; }
has_link() { nsx ip link show "$1" >/dev/null 2>&1; }
no_link() { ! has_link "$1"; }
# What this daemon owns on the host is named after its socket (vmd(8)):
# table inet $T and bridges tagged "$T-switch NAME", where T is vmd for
# /run/vmd.sock and vmd- plus the 32-bit FNV-1a hash of the path otherwise.
T=$(perl -e 'my $h = 2166136261;
    $h = (($h ^ ord) * 16777619) % 4294967296 for split //, $ARGV[0];
    printf "vmd-%08x\n", $h' "$SOCK")
nat_table() { nsx nft list table inet "$T" >/dev/null 2>&1; }
no_nat_table() { ! nat_table; }

vmd_start -v
ok $? "vmd started in namespace $NS"
# priv makes the bridge and the table after the socket answers: wait.
wait_for 5 sh -c "ip netns exec $NS ip -d link show vmdbr7 | grep -q 'alias $T-switch lan'"
ok $? "switch lan: bridge vmdbr7 created, tagged '$T-switch lan'"
wait_for 5 sh -c "ip netns exec $NS nft list table inet $T | grep -q 'ip saddr 100.64.0.0/10 .*masquerade'"
ok $? "local nat: table inet $T masquerades 100.64.0.0/10"
wait_for 5 sh -c "[ \"\$(ip netns exec $NS cat /proc/sys/net/ipv4/ip_forward)\" = 1 ]"
ok $? "local nat: IPv4 forwarding on"

# ------------------------------------------------------------ local + nat
vmctl start l >/dev/null 2>&1
ok $? "start l (local interface)"
wait_for 20 sh -c "ip netns exec $NS ip -br addr | grep -q '100.64.1.2/31'"
ok $? "the host side 100.64.1.2/31 is on l's tap"
tap=$(nsx ip -br addr | awk '/100.64.1.2\/31/ { print $1 }')
wait_for 5 sh -c "ip netns exec $NS ip -br addr show $tap | grep -q 'fd00:77::6440:103:0:1/96'"
ok $? "local inet6: the host side fd00:77::6440:103:0:1/96 is on it too"
wait_for 5 sh -c "ip netns exec $NS ip -d link show $tap | grep -q 'alias vm1-if0-l'"
ok $? "l's tap $tap has the description vm1-if0-l"
out=$(console l)
grep -q '^ok .*dhcp: leased 100.64.1.3 mask 255.255.255.254 router 100.64.1.2 dns 100.64.1.2' <<<"$out"
ok $? "l leased 100.64.1.3/31, router and DNS 100.64.1.2 (vmd's scheme for vm 1)"
grep -q '^ok .*dhcp: router 100.64.1.2 answers ARP and 3/3 ICMP' <<<"$out"
ok $? "l reaches the host side"
grep -q '^ok .*dhcp: 198.51.100.2 answers 3/3 ICMP echoes through the router' <<<"$out"
ok $? "l reaches the upstream host through local nat"
grep -q '^not ok' <<<"$out"
[ $? -ne 0 ]
ok $? "l: no guest check failed"
[ $? -eq 0 ] || diag <<<"$out"
vmctl stop -f l >/dev/null 2>&1
wait_for 10 no_link "$tap"
ok $? "vmctl stop: tap $tap is gone"

# ------------------------------------------------------------ switch
vmctl start s1 >/dev/null 2>&1 && vmctl start s2 >/dev/null 2>&1
ok $? "start s1 and s2 on switch lan"
wait_for 10 sh -c "[ \$(ip netns exec $NS ip -br link show master vmdbr7 | wc -l) -eq 2 ]"
ok $? "two taps joined vmdbr7 ($(nsx ip -br link show master vmdbr7 | wc -l))"
o1=$(console s1)
o2=$(console s2)
grep -q '^ok .*ARP reply: 10.99.0.2 is-at fe:e1:bb:d1' <<<"$o1" &&
    grep -q '^ok .*ARP reply: 10.99.0.1 is-at fe:e1:bb:d1' <<<"$o2"
ok $? "s1 and s2 exchange frames through the switch (each answers the other's ARP)"
[ $? -eq 0 ] || { diag <<<"$o1"; diag <<<"$o2"; }
wait_for 5 sh -c "[ \$(grep -c '^s[12]: interface 0: lladdr fe:e1:bb:d1:..:.. (locked)\$' $VMD_LOG) -eq 2 ]"
ok $? "the switch's locked lladdr reaches both VM processes"
s1pid=$(status_field s1 2)
s1tap=$(nsx ip -br link show master vmdbr7 | awk 'NR == 1 { print $1 }' | sed 's/@.*//')
kill -KILL "$s1pid"
wait_for 10 no_link "$s1tap"
ok $? "SIGKILL of s1's VM process ($s1pid): its tap $s1tap is gone"
vmctl stop -f s2 >/dev/null 2>&1
wait_for 10 sh -c "[ -z \"\$(ip netns exec $NS ip -br link show master vmdbr7)\" ]"
ok $? "stop s2: no tap left on the switch"

# ------------------------------------------------------------ reset
vmctl reset switches >/dev/null 2>&1
wait_for 5 no_link vmdbr7
ok $? "reset switches: the bridge vmd created is gone"
wait_for 5 no_nat_table
ok $? "reset switches: table inet $T is gone"
vmctl reload >/dev/null 2>&1
wait_for 5 has_link vmdbr7
ok $? "reload: the switch's bridge is back"
printf 'switch "extra" {\n\tinterface vmdbr6\n}\n' >"$TMP/extra.conf"
vmctl load "$TMP/extra.conf" >/dev/null 2>&1
wait_for 5 sh -c "ip netns exec $NS ip -d link show vmdbr6 | grep -q 'alias $T-switch extra'"
ok $? "load: a loaded file's switch gets its bridge, tagged"
vmctl reset switches >/dev/null 2>&1
wait_for 5 no_link vmdbr6
ok $? "and reset switches removes it"
vmctl reload >/dev/null 2>&1
wait_for 5 has_link vmdbr7

# ------------------------------------------------------------ ad hoc -L
vmctl start -b "$GUEST" -m 64M -L -k "tg.end=wait-powerbutton" adhoc \
    >/dev/null 2>&1
ok $? "vmctl start -L adhoc"
id=$(status_field adhoc 1)
wait_for 10 sh -c "ip netns exec $NS ip -br addr | grep -q '100.64.$id.2/31'"
ok $? "adhoc (vm $id) has 100.64.$id.2/31 on its tap"
vmctl stop -f adhoc >/dev/null 2>&1

# ------------------------------------------------------------ nat off
sed -i '/^local nat$/d' "$CONF"
vmctl reload >/dev/null 2>&1
wait_for 5 no_nat_table
ok $? "reload without local nat: table inet $T is gone"
# priv drops the table, then puts forwarding back: wait for both.
wait_for 5 sh -c "[ \"\$(ip netns exec $NS cat /proc/sys/net/ipv4/ip_forward)\" = 0 ]"
ok $? "reload without local nat: IPv4 forwarding back to 0"
echo 'local nat' >>"$CONF"
vmctl reload >/dev/null 2>&1
wait_for 5 nat_table
ok $? "reload with local nat: the table is back"

# ------------------------------------------------------------ exit
nsx ip link add vmdbr8 type bridge
cat >>"$CONF" <<CONF
switch "admin" {
	interface vmdbr8
}
CONF
vmctl reload >/dev/null 2>&1
# priv sets the admin's bridge up once it has taken the switch on.
wait_for 5 up vmdbr8
ok $? "reload: switch admin uses the admin's bridge vmdbr8"
vmd_stop
wait_for 5 no_link vmdbr7
ok $? "vmd exit: the bridge it created is gone"
wait_for 5 no_nat_table
ok $? "vmd exit: table inet $T is gone"
wait_for 5 sh -c "[ \"\$(ip netns exec $NS cat /proc/sys/net/ipv4/ip_forward)\" = 0 ]"
ok $? "vmd exit: IPv4 forwarding back to 0"
has_link vmdbr8
ok $? "vmd exit: the admin's own bridge stays"

# ------------------------------------------------------------ killed vmd
vmd_start
wait_for 5 has_link vmdbr7
wait_for 5 nat_table
kids=$(descendants "$VMD_PID")
{ kill -KILL "$VMD_PID"; wait "$VMD_PID"; } 2>/dev/null
VMD_PID=
wait_for 5 no_link vmdbr7
wait_for 5 no_nat_table
# shellcheck disable=SC2086
[ -n "$kids" ] && wait_for 10 all_gone $kids
ok $? "a killed vmd's processes all end ($(echo $kids))"
# Its children see the parent go and clean up; recreate what a harder
# crash (priv killed too) would leave: a new vmd must remove it.
nsx ip link add vmdbr7 type bridge 2>/dev/null &&
    nsx ip link set vmdbr7 alias "$T-switch lan"
nsx nft add table inet "$T" 2>/dev/null
has_link vmdbr7 && nat_table
ok $? "a killed vmd left a tagged bridge and table inet $T"
# And what the daemon on /run/vmd.sock would own: not ours to touch.
nsx ip link add vmdbr9 type bridge 2>/dev/null &&
    nsx ip link set vmdbr9 alias "vmd-switch lan"
nsx nft add table inet vmd 2>/dev/null
sed -i 's/interface vmdbr8/interface vmdbr9/' "$CONF"
rm -f "$SOCK"
vmd_start
wait_for 5 grep -q 'bridge vmdbr7 adopted' "$VMD_LOG"
ok $? "a restarted vmd adopts the tagged bridge"
wait_for 5 sh -c "ip netns exec $NS nft list table inet $T | grep -q masquerade"
ok $? "a restarted vmd replaces the table a killed one left with its own"
vmd_stop
wait_for 5 sh -c "! ip netns exec $NS ip link show vmdbr7 && ! ip netns exec $NS nft list table inet $T"
ok $? "and deletes both when it exits"
has_link vmdbr9 && nsx nft list table inet vmd >/dev/null 2>&1
ok $? "the default socket's table inet vmd and bridge tagged 'vmd-switch lan' stay"
nsx ip link del vmdbr8 2>/dev/null
nsx ip link del vmdbr9 2>/dev/null
nsx nft delete table inet vmd 2>/dev/null
done_testing
