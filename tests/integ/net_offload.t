#!/bin/bash
# virtio-net's transmit offloads end to end, with the host's Linux as the
# referee: the test guest (tg.checks=net-offload, guest/README.md) sends,
# through vmctl run's tap, one UDP datagram with a partial checksum and
# one TCP segment of 3000 bytes for 1000-byte segmentation (CSUM and
# HOST_TSO4) to an address beyond the host side. The host's kernel, in a
# network namespace made here, forwards them to a second tap that has no
# offload, so it must finish the checksum and cut the segment itself from
# the header the VM process handed it; a reader on that tap checks every
# frame's checksums and bytes. Without the header passed on, the datagram
# would arrive with the guest's partial checksum and the 3054-byte frame
# not at all. And the other way: the guest's tap was left by an earlier
# user offloading towards its reader; an answer from the host must still
# reach the guest with its checksum whole. Then the receive offloads: a
# second guest takes GUEST_CSUM and GUEST_TSO4 (tg.checks=net-rx-offload
# tg.net.gso=1) and asks the far side for a TCP segment of 3000 bytes,
# which the reader writes to its tap with a virtio_net_hdr asking for
# 1000-byte segmentation; the host's kernel forwards it to the guest's
# tap, which must hand it to the guest in one frame, as the guest's
# driver asked through the VM process (TUNSETOFFLOAD), and the guest
# checks its header, bytes and checksum.
. "$(dirname "$0")/lib.sh"
need_kvm
GUEST=${TG_GUEST:-$GUEST}
[ -f "$GUEST" ] || skip_all "no test guest built"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/net/tun ] && command -v ip >/dev/null || skip_all "needs /dev/net/tun and ip"

NS=vmdof$$
TAPIF=tgof0		# the guest's
FWDIF=tgob0		# the far side: no offload, read here
HOSTIP=10.213.9.1
GUESTIP=10.213.9.2
FWDHOST=10.213.10.1
FWDIP=10.213.10.2
PORT=7781
ECHOPORT=7782
GSOPORT=7783
TCPPORT=7784
FWDMAC=02:00:00:0a:0a:01	# the far tap's own
READER=
ECHO=
TCPSRV=
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
cleanup() {
	for p in $READER $ECHO $TCPSRV; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }
# boot NAME KERNEL-ARGS...: the test guest on the guest's tap, its console
# in NAME.out (NAME.txt without CRs), vmctl's log in NAME.err; its exit.
boot() {
	local r=$1 st
	shift
	timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" -v run -b "$GUEST" \
	    -m 64M -t $TAPIF -k "$*" </dev/null >"$TMP/$r.out" 2>"$TMP/$r.err"
	st=$?
	tr -d '\r' <"$TMP/$r.out" >"$TMP/$r.txt"
	return $st
}
ns_tap "$NS" $TAPIF $HOSTIP/24
# A persistent tap keeps the offloads its last user asked for: leave
# checksum and TSO on towards the reader (TUNSETIFF with IFF_VNET_HDR,
# then TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4), as another VMM could
# have. The VM process must turn them off, or the host's datagrams reach
# the guest with partial checksums under our zero header.
nsx perl -e '
	open(my $t, "+<", "/dev/net/tun") or die "tun: $!";
	my $ifr = pack("Z16 s x22", $ARGV[0], 0x5002);
	ioctl($t, 0x400454ca, $ifr) or die "TUNSETIFF: $!";
	ioctl($t, 0x400454d0, 3) or die "TUNSETOFFLOAD: $!"' $TAPIF
ok $? "$TAPIF left with checksum and TSO offload towards its reader"
# The host's side of the guest's tap takes 9000-byte frames, so that the
# host can send the guest a frame longer than its 2 KiB buffers.
nsx ip link set $TAPIF mtu 9000
ok $? "$TAPIF's MTU is 9000"
# The echo service: answers each datagram with 300 bytes; net-offload's
# ("tg-offload-echo") first with 3000 bytes in one 3042-byte frame (DF,
# within the MTU), which does not fit the guest's 2 KiB buffers.
nsx perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], Proto => "udp")
	    or die "udp: $!";
	$| = 1;
	print "ready\n";
	alarm 120;
	while (defined(my $a = $s->recv(my $d, 65535))) {
		if ($d eq "tg-offload-echo") {
			$s->send("b" x 3000, 0, $a) and print "big sent\n";
		}
		$s->send("e" x 300, 0, $a);
	}' "$HOSTIP:$ECHOPORT" >"$TMP/echo" 2>&1 &
ECHO=$!
nsx sysctl -qw net.ipv4.ip_forward=1
nsx sysctl -qw net.ipv4.conf.all.rp_filter=0
nsx sysctl -qw net.ipv4.conf.default.rp_filter=0

# The reader makes the far tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, no
# offload: what it reads is whole, after a 10-byte header) and prints one
# line per IPv4 UDP or TCP frame to PORT: "udp LEN csum data ipcsum" or
# "tcp SEQ LEN csum data ipcsum psh", each check "ok" or "bad". A
# datagram to GSOPORT is answered with a TCP segment of 3000 bytes (seq
# 0x1000, ACK PSH, the payload as the guest's) to its source port, from
# FWDIP through the far tap, its header asking the host to cut it into
# 1000-byte segments and finish its checksum ("gso sent").
nsx perl -e '
	use strict;
	my ($name, $port, $gsoport, $fwdmac, $fwdip) = @ARGV;
	open(my $t, "+<", "/dev/net/tun") or die "tun: $!";
	# TUNSETIFF, struct ifreq (40 bytes).
	ioctl($t, 0x400454ca, pack("Z16 s x22", $name, 0x5002))
	    or die "TUNSETIFF: $!";
	$| = 1;
	print "ready\n";
	alarm 120;
	sub sum {
		my $d = shift;
		$d .= "\0" if length($d) % 2;
		my $s = 0;
		$s += $_ for unpack("n*", $d);
		$s = ($s & 0xffff) + ($s >> 16) while $s >> 16;
		return $s;
	}
	sub data {
		my ($d, $off) = @_;
		for my $i (0 .. length($d) - 1) {
			return "bad" if ord(substr($d, $i, 1)) !=
			    ((($off + $i) * 7 + 3) & 0xff);
		}
		return "ok";
	}
	# gso: the segment for the guest at ip:sport, written to the tap.
	sub gso {
		my ($dmac, $gip, $gport) = @_;
		my $pl = join("", map { chr(($_ * 7 + 3) & 0xff) } 0 .. 2999);
		my $src = pack("C4", split(/\./, $fwdip));
		my $ip = pack("C C n n n C C n a4 a4", 0x45, 0, 3040, 0,
		    0x4000, 64, 6, 0, $src, $gip);
		substr($ip, 10, 2) = pack("n", 0xffff & ~sum($ip));
		# The checksum field: the pseudo-header sum, left partial.
		my $tcp = pack("n n N N C C n n n", $port, $gport, 0x1000, 0,
		    5 << 4, 0x18, 0xffff, sum($src . $gip . pack("n n", 6,
		    3020)), 0);
		# flags NEEDS_CSUM, TCPV4, hdr_len, gso_size, csum_start/off
		my $h = pack("C C v v v v", 1, 1, 54, 1000, 34, 16);
		my $n = syswrite($t, $h . $dmac . pack("H12 n",
		    "0200000a0a02", 0x800) . $ip . $tcp . $pl);
		print "gso sent ", $n // "error $!", "\n";
	}
	while (sysread($t, my $f, 65546)) {
		$f = substr($f, 10);
		next if length($f) < 34 || unpack("n", substr($f, 12, 2)) != 0x800;
		my $ip = substr($f, 14);
		my $ihl = (ord($ip) & 15) * 4;
		my $len = unpack("n", substr($ip, 2, 2));
		my $proto = ord(substr($ip, 9, 1));
		next if length($ip) < $len || $len < $ihl + 8;
		if ($proto == 17 &&
		    unpack("n", substr($ip, $ihl + 2, 2)) == $gsoport) {
			gso(substr($f, 6, 6), substr($ip, 12, 4),
			    unpack("n", substr($ip, $ihl, 2)));
			next;
		}
		my $ipok = sum(substr($ip, 0, $ihl)) == 0xffff ? "ok" : "bad";
		my $l4 = substr($ip, $ihl, $len - $ihl);
		my $ok = sum(substr($ip, 12, 8) . pack("n n", $proto,
		    length($l4)) . $l4) == 0xffff ? "ok" : "bad";
		next if unpack("n", substr($l4, 2, 2)) != $port;
		if ($proto == 17) {
			my $d = substr($l4, 8);
			printf "udp %d %s %s %s\n", length($d), $ok, data($d, 0),
			    $ipok;
		} elsif ($proto == 6) {
			my $seq = unpack("N", substr($l4, 4, 4));
			my $d = substr($l4, (ord(substr($l4, 12, 1)) >> 4) * 4);
			printf "tcp %d %d %s %s %s %d\n", $seq, length($d), $ok,
			    data($d, $seq - 0x1000), $ipok,
			    (ord(substr($l4, 13, 1)) & 8) ? 1 : 0;
		}
	}' $FWDIF $PORT $GSOPORT $FWDMAC $FWDIP >"$TMP/far" 2>&1 &
READER=$!
for _ in $(seq 50); do
	grep -q '^ready$' "$TMP/far" && grep -q '^ready$' "$TMP/echo" && break
	sleep 0.1
done
grep -q '^ready$' "$TMP/far"
ok $? "the far tap $FWDIF is made and read in $NS"
grep -q '^ready$' "$TMP/echo"
ok $? "the echo service listens on $HOSTIP:$ECHOPORT"
nsx ip link set $FWDIF address $FWDMAC
nsx ip addr add $FWDHOST/24 dev $FWDIF
nsx ip link set $FWDIF up
nsx ip neigh replace $FWDIP lladdr 02:00:00:0a:0a:02 dev $FWDIF nud permanent
ok $? "$FWDIP is a static neighbour beyond $FWDIF"

boot g tg.checks=net-offload tg.net.ip=$GUESTIP tg.net.host=$HOSTIP \
    tg.net.fwd=$FWDIP tg.net.fwdport=$PORT tg.net.echoport=$ECHOPORT
rc=$?
ok $rc "the guest powered off (exit $rc)"
guest_tap_clean "$TMP/g"
ok $? "every guest check passed"
grep -q "ok .* net-offload: sent a TCP segment of 3000 bytes" "$TMP/g.txt"
ok $? "the guest sent both frames with their offloads asked"
grep -q "interface 0: the tap takes the guest's checksum and TCP segmentation offloads" "$TMP/g.err"
ok $? "the VM process found the tap's virtio_net_hdr and offered the offloads"
grep -q "ok .* net-offload: the host's answer came with its UDP checksum whole (came, 308 bytes;" "$TMP/g.txt"
ok $? "the host's answer reached the guest checksummed: the stale offloads were turned off"
# A read of the tap returns no more than its buffers hold and the tap
# drops the rest: the device must tell a frame cut short (it reached the
# scratch byte after the buffers) and drop it, not hand the guest the
# 2 KiB that fit, which the guest counts as cut (shorter than its IP
# header says).
grep -q '^big sent$' "$TMP/echo" &&
    grep -q "ok .* net-offload: the host's answer came with its UDP checksum whole (came, 308 bytes; 0 cut frames)" "$TMP/g.txt"
ok $? "a 3042-byte frame for the guest's 2 KiB buffer was dropped; the answer after it came whole"

# What the host forwarded: the datagram, then three segments.
for _ in $(seq 50); do
	[ "$(grep -c '^tcp ' "$TMP/far")" -ge 3 ] && break
	sleep 0.1
done
[ "$(grep -c '^udp ' "$TMP/far")" -eq 1 ] &&
    grep -q '^udp 200 ok ok ok$' "$TMP/far"
ok $? "the datagram arrived once, its checksum finished by the host, its 200 bytes right"
[ "$(grep -c '^tcp ' "$TMP/far")" -eq 3 ]
ok $? "the TCP segment arrived as three ($(grep -c '^tcp ' "$TMP/far"))"
grep -q "^tcp 4096 1000 ok ok ok 0$" "$TMP/far" &&
    grep -q "^tcp 5096 1000 ok ok ok 0$" "$TMP/far" &&
    grep -q "^tcp 6096 1000 ok ok ok 1$" "$TMP/far"
st=$?
ok $st "each of 1000 bytes at its sequence number, TCP and IP checksums valid, PSH on the last only"
[ $st -eq 0 ] || { diag <"$TMP/far"; diag <"$TMP/g.txt"; }

# The receive offloads: a guest that takes them gets the segment whole,
# in one 64 KiB buffer (tg.net.gso=1), or (tg.net.mrg=1 too) in as many
# of its 2 KiB mergeable buffers as it needs, MRG_RXBUF's num_buffers.
# drv_features LOG: the features virtio-net's driver took, from the log.
drv_features() {
	sed -n 's/.*virtio-net: driver features \(0x[0-9a-f]*\) (offered.*/\1/p' \
	    "$1" | head -1
}
# rx_run NAME "WHAT" KERNEL-ARGS... : boot it and check what it got.
rx_run() {
	local r=$1 what=$2 f st
	shift 2
	boot "$r" tg.checks=net-rx-offload tg.net.gso=1 tg.net.ip=$GUESTIP \
	    tg.net.host=$HOSTIP tg.net.fwd=$FWDIP tg.net.gsoport=$GSOPORT \
	    tg.net.echoport=$ECHOPORT "$@"
	st=$?
	ok $st "$what: the guest powered off (exit $st)"
	guest_tap_clean "$TMP/$r"
	ok $? "$what: every check of the guest passed"
	f=$(drv_features "$TMP/$r.err")
	[ -n "$f" ] && [ $((f & 0x82)) = $((0x82)) ] && [ $((f & 0x300)) = 0 ]
	ok $? "$what: its driver took GUEST_CSUM and GUEST_TSO4 (features $f)"
	grep -q "^ok .* net-rx-offload: a TCP segment of 3000 bytes came in one frame of 3054 (gso_type 1, gso_size 1000) in $NB buffers" "$TMP/$r.txt"
	ok $? "$what: it got the segment in one 3054-byte frame, gso_type TCPV4, gso_size 1000, in $NB buffers"
	grep -q "^ok .* net-rx-offload: its 3000 bytes right (0 wrong)" "$TMP/$r.txt" &&
	    grep -q "^ok .* net-rx-offload: its TCP checksum partial, finished as the header says" "$TMP/$r.txt"
	st=$?
	ok $st "$what: its bytes right, its checksum left partial and holding once finished"
	grep -q "^ok .* net-rx-offload: the host's answer came (342 bytes), its UDP checksum" "$TMP/$r.txt"
	ok $? "$what: the host's own answer reached it ($(sed -n 's/.*host.s answer came (342 bytes), its UDP checksum //p' "$TMP/$r.txt"))"
	[ $st -eq 0 ] || { diag <"$TMP/far"; diag <"$TMP/$r.txt"; }
}
NB=1 rx_run big "64 KiB buffers"
grep -q '^gso sent 3064$' "$TMP/far"
ok $? "the far side wrote the 3000-byte segment with its header ($(grep -c '^gso sent' "$TMP/far") times)"
grep "^ok .* buffers of" "$TMP/big.txt" | diag
NB=2 rx_run mrg "mergeable 2 KiB buffers" tg.net.mrg=1
f=$(drv_features "$TMP/mrg.err")
[ -n "$f" ] && [ $((f & 0x8000)) != 0 ]
ok $? "mergeable 2 KiB buffers: its driver took MRG_RXBUF ($f)"
# A real TCP stream from the host's kernel: the guest (net-tcp-bench)
# connects to a server here that writes as fast as it can, and counts
# what comes in order. Taking the receive offloads and mergeable buffers,
# it must get the host's segments whole (frames far above 1514 bytes);
# taking none, frames of 1514 bytes at most (the average a little less
# when the host sends a short segment).
nsx perl "$TOP/guest/tools/net-tcp-source.pl" "$HOSTIP:$TCPPORT" \
    >"$TMP/tcpsrv" 2>&1 &
TCPSRV=$!
for _ in $(seq 50); do
	grep -q '^ready$' "$TMP/tcpsrv" && break
	sleep 0.1
done
# tcp_run NAME ARGS...: the guest's bytes per frame, or nothing.
tcp_run() {
	local r=$1
	shift
	boot "$r" tg.checks=net-tcp-bench tg.bench.ms=300 tg.net.ip=$GUESTIP \
	    tg.net.host=$HOSTIP tg.bench.tcpport=$TCPPORT "$@" &&
	    guest_tap_clean "$TMP/$r" &&
	    sed -n 's/^# bench: net-rx-tcp-frame \([0-9]*\) bytes$/\1/p' "$TMP/$r.txt"
}
# tap_drops: frames the host's tap dropped, its queue full.
tap_drops() {
	nsx cat /sys/class/net/$TAPIF/statistics/tx_dropped
}
# no_loss NAME DROPS-BEFORE: a segment out of order at the guest means one
# was lost: by the tap (its queue full, the host's to answer) or by the
# device, which must not lose any.
no_loss() {
	local ooo d
	ooo=$(sed -n 's/^ok [0-9]* - net-tcp-bench: .* \([0-9]*\) out of order.*/\1/p' "$TMP/$1.txt")
	d=$(( $(tap_drops) - $2 ))
	[ -n "$ooo" ] && { [ "$ooo" -eq 0 ] || [ "$d" -gt 0 ]; }
	ok $? "... no segment lost on the way from the tap (${ooo:-?} out of order, the tap dropped $d)"
}
d0=$(tap_drops)
fb=$(tcp_run tcpoff tg.net.gso=1 tg.net.mrg=1)
ok $? "TCP from the host, receive offloads taken: $(sed -n 's/^ok [0-9]* - net-tcp-bench: //p' "$TMP/tcpoff.txt" | tail -1)"
[ -n "$fb" ] && [ "$fb" -gt 8000 ]
ok $? "... the host's segments came whole: ${fb:-no} bytes a frame"
no_loss tcpoff "$d0"
d0=$(tap_drops)
fb=$(tcp_run tcpplain)
ok $? "TCP from the host, no offload taken: $(sed -n 's/^ok [0-9]* - net-tcp-bench: //p' "$TMP/tcpplain.txt" | tail -1)"
[ -n "$fb" ] && [ "$fb" -le 1514 ] && [ "$fb" -gt 1000 ]
ok $? "... in frames of 1514 bytes at most (${fb:-none} on average)"
no_loss tcpplain "$d0"
done_testing
