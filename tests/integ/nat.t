#!/bin/bash
# local nat (vmd/nat.c) masquerades for real: a "guest" namespace behind a
# /31 reaches a fake upstream host in another namespace only while vmd's
# nftables table is in place. Everything happens in namespaces made here.
. "$(dirname "$0")/lib.sh"

NAT=$B/tests/unit/vmd/nat_test.t
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$NAT" ] || skip_all "$NAT not built (make unit)"
command -v ip >/dev/null && command -v nsenter >/dev/null ||
    skip_all "needs ip and nsenter"
unshare -n true 2>/dev/null || skip_all "cannot unshare a network namespace"

# Runs inside a fresh namespace that plays the vmd host.
host() {
	set -u
	unshare -n sleep 60 >/dev/null 2>&1 & up=$!
	unshare -n sleep 60 >/dev/null 2>&1 & gu=$!
	srv=
	sleep 0.3
	trap 'kill $up $gu $srv 2>/dev/null' EXIT
	inup() { nsenter -t "$up" -n "$@"; }
	ingu() { nsenter -t "$gu" -n "$@"; }

	ip link set lo up
	# The guest's local interface: 100.64.1.2/31 host side, .3 guest.
	ip link add vmdg0 type veth peer name eth0 netns "$gu"
	ip addr add 100.64.1.2/31 dev vmdg0
	ip link set vmdg0 up
	ingu ip addr add 100.64.1.3/31 dev eth0
	ingu ip link set eth0 up
	ingu ip route add default via 100.64.1.2
	# The upstream: 198.51.100.2, which knows no route to 100.64/10.
	ip link add vmdu0 type veth peer name eth0 netns "$up"
	ip addr add 198.51.100.1/24 dev vmdu0
	ip link set vmdu0 up
	inup ip addr add 198.51.100.2/24 dev eth0
	inup ip link set eth0 up

	# Upstream tells each TCP client the address it came from.
	nsenter -t "$up" -n perl -MIO::Socket::INET -e 'alarm 30;
	    my $s = IO::Socket::INET->new(LocalAddr => "198.51.100.2",
		LocalPort => 7007, Listen => 5, ReuseAddr => 1) or die;
	    while (my $c = $s->accept) { print $c $c->peerhost, "\n"; }' \
	    >/dev/null 2>&1 & srv=$!
	sleep 0.3
	# seen HOST: the source address HOST saw from the guest, or nothing.
	seen() {
		ingu timeout 3 bash -c "exec 3<>/dev/tcp/$1/${2:-7007} &&
		    read -r -t 2 a <&3 && echo \$a" 2>/dev/null
	}
	r=0
	ingu timeout 3 bash -c 'exec 3<>/dev/tcp/100.64.1.2/9' 2>&1 |
	    grep -q refused || { echo "# guest cannot reach the host side"; r=1; }
	s=$(seen 198.51.100.2)
	[ -z "$s" ] || { echo "# reached upstream without nat ($s)"; r=1; }
	"$NAT" --set 100.64.0.0/10 || { echo "# nat --set failed"; r=1; }
	s=$(seen 198.51.100.2)
	[ "$s" = 198.51.100.1 ] ||
	    { echo "# with nat upstream saw '$s', not 198.51.100.1"; r=1; }
	"$NAT" --clear || { echo "# nat --clear failed"; r=1; }
	s=$(seen 198.51.100.2)
	[ -z "$s" ] || { echo "# reached upstream after clear ($s)"; r=1; }
	"$NAT" --set 10.0.0.0/8 || r=1
	s=$(seen 198.51.100.2)
	[ -z "$s" ] || { echo "# reached upstream with another prefix"; r=1; }
	"$NAT" --clear || r=1
	nft list table inet vmd >/dev/null 2>&1 &&
	    { echo "# table left behind"; r=1; }
	return $r
}
export -f host
export NAT

out=$(unshare -n bash -c host 2>&1)
ok $? "guest reaches upstream only through vmd's masquerade table"
[ -n "$out" ] && echo "$out" | diag
done_testing
