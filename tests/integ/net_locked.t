#!/bin/bash
# locked lladdr end to end: the test guest sends UDP datagrams to the host
# side of a tap from a source MAC that is not its own, each followed by a
# control datagram from its own MAC (tg.net.spoof, guest/README.md). With
# `vmctl run -l` the VM process must drop every spoofed frame and pass
# every control one; without -l both must reach the tap. The host side
# counts three ways, inside a network namespace made here: a UDP listener
# (what the host's stack delivered, per tag and source), a packet socket
# on the tap (each frame's source MAC), and the tap's rx_packets against
# the guest's own count of frames sent.
. "$(dirname "$0")/lib.sh"
need_kvm
GUEST=${TG_GUEST:-$GUEST}
[ -f "$GUEST" ] || skip_all "no test guest built"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/net/tun ] && command -v ip >/dev/null || skip_all "needs /dev/net/tun and ip"

N=8
NS=vmdlk$$
TAPIF=tglk0
HOSTIP=10.213.8.1
GUESTIP=10.213.8.2
PORT=7779
HOST_PIDS=
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
stop_host() {
	local p
	for p in $HOST_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	HOST_PIDS=
}
cleanup() {
	stop_host
	ip netns del "$NS" 2>/dev/null
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }
ns_tap "$NS" $TAPIF $HOSTIP/24
stat_of() { nsx cat "/sys/class/net/$TAPIF/statistics/$1"; }

# start_host OUT: the UDP listener (OUT.udp: "tg-spoof|tg-own K A:P" per
# datagram) and the packet socket on the tap (OUT.cap: "srcmac ethertype
# tag" per frame coming from the guest; tag "-" when not one of ours).
start_host() {
	ip netns exec "$NS" perl -MIO::Socket::INET -MSocket -e '$| = 1;
	    my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], Proto => "udp")
		or die "udp: $!";
	    print "ready\n";
	    alarm 120;
	    while (defined(my $a = $s->recv(my $d, 65535))) {
		my ($p, $ip) = unpack_sockaddr_in($a);
		printf "%s %s:%d\n", $d, inet_ntoa($ip), $p }' \
	    "$HOSTIP:$PORT" >"$1.udp" 2>&1 &
	HOST_PIDS="$HOST_PIDS $!"
	ip netns exec "$NS" perl -MSocket -e '$| = 1;
	    open(my $f, "<", "/sys/class/net/$ARGV[0]/ifindex") or die "$!";
	    chomp(my $idx = <$f>);
	    # AF_PACKET (17), ETH_P_ALL (3), bound to the tap.
	    socket(my $s, 17, SOCK_RAW, unpack("S", pack("n", 3)))
		or die "packet socket: $!";
	    bind($s, pack("S n i S C C a8", 17, 3, $idx, 0, 0, 0, ""))
		or die "bind: $!";
	    print "ready\n";
	    alarm 120;
	    while (defined(my $from = recv($s, my $d, 65535, 0))) {
		next if length($d) < 14;
		next if unpack("C", substr($from, 10, 1)) == 4;	# outgoing
		my $src = join(":", map { sprintf "%02x", $_ }
		    unpack("C6", substr($d, 6, 6)));
		my $type = unpack("n", substr($d, 12, 2));
		my $tag = "-";
		if ($type == 0x800 && length($d) >= 42 &&
		    ord(substr($d, 23, 1)) == 17) {
			my $ihl = (ord(substr($d, 14, 1)) & 15) * 4;
			$tag = "$1-$2" if substr($d, 14 + $ihl + 8) =~
			    /^tg-(spoof|own) (\d+)/;
		}
		printf "%s %04x %s\n", $src, $type, $tag }' \
	    "$TAPIF" >"$1.cap" 2>&1 &
	HOST_PIDS="$HOST_PIDS $!"
	for _ in $(seq 50); do
		grep -q '^ready$' "$1.udp" && grep -q '^ready$' "$1.cap" &&
		    return 0
		sleep 0.1
	done
	return 1
}

# run_one NAME FLAGS...: boot the guest on the tap with vmctl run FLAGS,
# the host side listening; sets rc, gtx (guest's frames sent), hrx (the
# tap's rx_packets over the run), vmmac and smac (spoofed source).
run_one() {
	local name=$1 out=$TMP/$1 rx0
	shift
	start_host "$out"
	ok $? "$name: UDP listener and packet socket ready in $NS"
	rx0=$(stat_of rx_packets)
	timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" -v run "$@" \
	    -b "$GUEST" -m 64M -t $TAPIF -k "$(echo tg.checks=net \
		tg.net.ip=$GUESTIP tg.net.host=$HOSTIP tg.net.pings=2 \
		tg.net.udpn=0 tg.net.spoof=$N tg.net.spoofport=$PORT)" \
	    </dev/null >"$out.out" 2>"$out.err"
	rc=$?
	sleep 0.3	# the last datagrams reach the listener
	stop_host
	hrx=$(($(stat_of rx_packets) - rx0))
	tr -d '\r' <"$out.out" >"$out.txt"
	gtx=$(sed -n 's/^ok .*net: frames tx \([0-9]*\) rx .*/\1/p' "$out.txt")
	vmmac=$(sed -n 's/^ok .*net: MAC \([0-9a-f:]*\), link.*/\1/p' "$out.txt")
	smac=$(sed -n 's/^ok .*net: sent '$N' spoofed frames (source \([0-9a-f:]*\)).*/\1/p' "$out.txt")
	ok $rc "$name: guest powered off (exit $rc)"
	guest_tap_clean "$out"
	ok $? "$name: every guest check passed"
	[ -n "$vmmac" ] && [ -n "$smac" ] && [ "$vmmac" != "$smac" ] &&
	    [ -n "$gtx" ]
	ok $? "$name: the guest sent $N datagrams from $smac, $N from its own $vmmac"
}

# count FILE REGEX: matching lines.
count() { grep -c -E "$2" "$1"; }

# ------------------------------------------------------------ locked
run_one locked -l
grep -q 'interface 0: lladdr fe:e1:bb:d1:..:.. (locked)$' "$TMP/locked.err"
ok $? "locked: vmctl run -l reaches the VM process (its log says locked)"
n=$(count "$TMP/locked.udp" "^tg-own [0-9]+ $GUESTIP:40201$")
[ "$n" -eq $N ]
ok $? "locked: the host's listener got all $N control datagrams ($n)"
n=$(count "$TMP/locked.udp" '^tg-spoof ')
[ "$n" -eq 0 ]
ok $? "locked: the host's listener got none of the spoofed datagrams ($n)"
n=$(count "$TMP/locked.cap" "^$vmmac 0800 own-[0-9]+$")
[ "$n" -eq $N ]
ok $? "locked: the tap carried the $N control frames from $vmmac ($n)"
n=$(count "$TMP/locked.cap" "^$smac ")
m=$(count "$TMP/locked.cap" ' spoof-[0-9]+$')
[ "$n" -eq 0 ] && [ "$m" -eq 0 ]
ok $? "locked: no frame from $smac and no spoofed datagram on the tap ($n, $m)"
n=$(grep -v -c -e "^$vmmac " -e '^ready$' "$TMP/locked.cap")
[ "$n" -eq 0 ]
ok $? "locked: every frame on the tap came from $vmmac ($n others)"
[ -n "$gtx" ] && [ "$hrx" -eq $((gtx - N)) ]
st=$?
ok $st "locked: tap rx_packets is the guest's frames sent less the $N spoofed (tap $hrx, guest $gtx)"
[ $st -eq 0 ] || { diag <"$TMP/locked.cap"; diag <"$TMP/locked.udp"; }

# ------------------------------------------------------------ unlocked
run_one unlocked
! grep -q '(locked)' "$TMP/unlocked.err" &&
    grep -q 'interface 0: lladdr fe:e1:bb:d1:..:..$' "$TMP/unlocked.err"
ok $? "unlocked: without -l the VM process's interface is not locked"
n=$(count "$TMP/unlocked.udp" "^tg-own [0-9]+ $GUESTIP:40201$")
[ "$n" -eq $N ]
ok $? "unlocked: the host's listener got all $N control datagrams ($n)"
n=$(count "$TMP/unlocked.udp" "^tg-spoof [0-9]+ $GUESTIP:40200$")
[ "$n" -eq $N ]
ok $? "unlocked: the host's listener got all $N spoofed datagrams ($n)"
n=$(count "$TMP/unlocked.cap" "^$smac 0800 spoof-[0-9]+$")
m=$(count "$TMP/unlocked.cap" "^$vmmac 0800 own-[0-9]+$")
[ "$n" -eq $N ] && [ "$m" -eq $N ]
ok $? "unlocked: the tap carried $N spoofed frames from $smac and $N from $vmmac ($n, $m)"
[ -n "$gtx" ] && [ "$hrx" -eq "$gtx" ]
st=$?
ok $st "unlocked: tap rx_packets equals the guest's frames sent (tap $hrx, guest $gtx)"
[ $st -eq 0 ] || { diag <"$TMP/unlocked.cap"; diag <"$TMP/unlocked.udp"; }
done_testing
