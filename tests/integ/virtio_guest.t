#!/bin/bash
# The test guest drives virtio-blk, virtio-net and virtio-rng from CPL3:
# data written by the guest is checked in the images after the VM exits,
# frames are checked on both sides of a tap inside a network namespace
# this test creates, a DHCP client's frames are decoded by tshark, and
# malformed rings put one device into NEEDS_RESET while the rest work.
. "$(dirname "$0")/lib.sh"
need_kvm
GUEST=${TG_GUEST:-$GUEST}
[ -f "$GUEST" ] || skip_all "no test guest built"

NS=
# Background servers in the namespace, started with `ip netns exec` (which
# execs them) rather than nsx, so that $! is the server and not a subshell
# that a kill would leave it behind.
NS_PIDS=
cleanup() {
	local p
	for p in $NS_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -n "$KEEP_TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT

# pattern FILE SIZE SEED: the guest's disk pattern, 32-bit LE words
# w[i] = (i * 0x9e3779b1 mod 2^32) ^ SEED (guest/README.md).
pattern() {
	perl -e 'my ($n, $s) = @ARGV; my $b = "";
	    for (my $i = 0; 4 * $i < $n; $i++) {
		$b .= pack("V", (($i * 0x9e3779b1) & 0xffffffff) ^ $s) }
	    print substr($b, 0, $n)' "$2" "$3" >"$1"
}

# image_ok FILE SEED HOLES: FILE holds the pattern of SEED; with HOLES=1
# [1M, 2M) and [3M, 3.5M) are zeros and [1M, 2M) is unallocated.
image_ok() {
	perl -e 'my ($f, $s, $holes) = @ARGV;
	    open(my $fh, "<", $f) or die "$f: $!"; binmode $fh;
	    local $/; my $d = <$fh>; my $n = length($d); my $e = "";
	    for (my $i = 0; 4 * $i < $n; $i++) {
		$e .= pack("V", (($i * 0x9e3779b1) & 0xffffffff) ^ $s) }
	    if ($holes) {
		substr($e, 1 << 20, 1 << 20) = "\0" x (1 << 20);
		substr($e, 3 << 20, 512 << 10) = "\0" x (512 << 10);
	    }
	    if ($d ne $e) {
		for (my $o = 0; $o < $n; $o += 4) {
		    next if substr($d, $o, 4) eq substr($e, $o, 4);
		    printf "# %s: first difference at 0x%x\n", $f, $o; last }
		exit 1 }
	    exit 0 unless $holes;
	    # SEEK_DATA (3) from 1M must land at 2M or later: a hole.
	    sysopen(my $h, $f, 0) or die; my $p = sysseek($h, 1 << 20, 3);
	    if (defined $p && $p < (2 << 20)) {
		printf "# %s: [1M, 2M) is allocated (data at 0x%x)\n", $f, $p;
		exit 1 }
	    exit 0' "$1" "$2" "$3"
}

# ---------------------------------------------------------------- blk + rng
# disk 0: 8M read-write, filled by the host; 1: 4M read-only, filled;
# 2 and 3: 4M read-write, sparse. The guest checks sizes, ids, the host's
# pattern, writes its own across each writable disk, flushes, discards
# [1M, 2M) and zeroes [3M, 3.5M).
pattern "$TMP/d0.img" 8388608 $((0x5eed0000))
pattern "$TMP/d1.img" 4194304 $((0x5eed0001))
truncate -s 4M "$TMP/d2.img" "$TMP/d3.img"
md5_1=$(md5sum <"$TMP/d1.img")
ids=
for i in 0 1 2 3; do
	ids="$ids tg.disk$i.id=vmd$i-$(printf %x "$(stat -c %i "$TMP/d$i.img")")"
done
VMCTL_FLAGS=-v run_vm "$TMP/blk" 120 -b "$GUEST" -m 128M \
    -d "$TMP/d0.img" -d "ro:$TMP/d1.img" -d "$TMP/d2.img" -d "$TMP/d3.img" \
    -k "$(echo tg.checks=virtio-rng,blk tg.disks=4 $ids \
	tg.disk0.size=8388608 tg.disk0.filled=1 tg.disk0.ro=0 \
	tg.disk0.bsize=512 tg.disk1.size=4194304 tg.disk1.filled=1 \
	tg.disk1.ro=1 tg.disk2.size=4194304 tg.disk3.size=4194304)"
ok $rc "blk: guest with 4 disks powered off (exit $rc)"
guest_tap_clean "$TMP/blk"
ok $? "blk: every guest check passed"
for want in "blk: 4 disks == tg.disks" \
    "blk0: capacity 8388608 bytes" "blk0: get-id" \
    "blk0: read 8388608 bytes, the host's pattern is there" \
    "blk0: wrote and read back 8388608 bytes" "blk0: flush" \
    "blk0: discard" "blk0: write-zeroes" "blk0: MSI-X interrupts taken" \
    "blk0: the zeroed range reads as zeros, the rest as written; the discarded range reads as zeros" \
    "blk1: read-only is 1" "blk1: read-only: a write fails with IOERR" \
    "blk3: wrote and read back 4194304 bytes" "virtio-rng: a second read differs"; do
	grep -q "^ok .*$want" "$TMP/blk.out"
	ok $? "blk: guest says: $want"
done
for i in 0 2 3; do
	image_ok "$TMP/d$i.img" $((0xb10c0000 + i)) 1
	ok $? "blk: disk $i holds the guest's pattern, zeros and a hole after exit"
done
[ "$(md5sum <"$TMP/d1.img")" = "$md5_1" ]
ok $? "blk: the read-only image is unchanged"

# The same with the thread pool that serves disks where io_uring is
# missing or disabled (VMD_NO_IO_URING), and the ring's use above.
grep -q "disk 0: io_uring" "$TMP/blk.err" || [ -n "$VMD_NO_IO_URING" ] ||
    [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" != 0 ]
ok $? "blk: the disks were served through io_uring where the host has it"
pattern "$TMP/d0.img" 8388608 $((0x5eed0000))
truncate -s 0 "$TMP/d2.img" && truncate -s 4M "$TMP/d2.img"
VMD_NO_IO_URING=1 timeout -s KILL 120 "$VMCTL" -v run -b "$GUEST" -m 128M \
    -d "$TMP/d0.img" -d "ro:$TMP/d1.img" -d "$TMP/d2.img" \
    -k "$(echo tg.checks=blk tg.disks=3 tg.disk0.size=8388608 \
	tg.disk0.filled=1 tg.disk0.ro=0 tg.disk1.size=4194304 \
	tg.disk1.filled=1 tg.disk1.ro=1 tg.disk2.size=4194304)" \
    </dev/null >"$TMP/pool.out" 2>"$TMP/pool.err"
ok $? "blk, thread pool: guest with 3 disks powered off"
guest_tap_clean "$TMP/pool" && grep -q "disk 0: no io_uring" "$TMP/pool.err"
ok $? "blk, thread pool: every guest check passed without io_uring"
for i in 0 2; do
	image_ok "$TMP/d$i.img" $((0xb10c0000 + i)) 1
	ok $? "blk, thread pool: disk $i holds the guest's pattern, zeros and a hole"
done

# ---------------------------------------------------------------- hostile
truncate -s 4M "$TMP/h0.img" "$TMP/h1.img"
run_vm "$TMP/vhostile" 120 -b "$GUEST" -m 128M -d "$TMP/h0.img" \
    -d "$TMP/h1.img" -k "tg.checks=virtio-hostile,virtio-rng"
ok $rc "virtio-hostile: the VM ran on and powered off (exit $rc)"
guest_tap_clean "$TMP/vhostile"
ok $? "virtio-hostile: every guest check passed"
n=$(grep -c '^ok .*NEEDS_RESET (status 0x4f)' "$TMP/vhostile.out")
[ "$n" -eq 4 ]
ok $? "virtio-hostile: 4 malformed chains, 4 times NEEDS_RESET ($n)"
n=$(grep -c '^ok .*works again after a reset' "$TMP/vhostile.out")
[ "$n" -eq 4 ]
ok $? "virtio-hostile: the disk works again after each reset ($n)"
n=$(grep -c '^ok .*still works' "$TMP/vhostile.out")
[ "$n" -eq 8 ]
ok $? "virtio-hostile: rng and the other disk work meanwhile ($n)"
n=$(grep -c 'device needs reset' "$TMP/vhostile.err")
[ "$n" -ge 1 ] && [ "$n" -le 4 ]
ok $? "virtio-hostile: the VM process logs it, rate-limited ($n lines)"

# ---------------------------------------------------------------- net
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	echo "# not root, or no /dev/net/tun or ip: network checks skipped"
	done_testing
	exit $?
fi
NS=vmdtg$$
TAPIF=tgtap0
HOSTIP=10.213.7.1
GUESTIP=10.213.7.2
if ! ip netns add "$NS" 2>/dev/null; then
	NS=
	echo "# cannot create a network namespace: network checks skipped"
	done_testing
	exit $?
fi
nsx() { ip netns exec "$NS" "$@"; }
ns_tap "$NS" $TAPIF $HOSTIP/24
stat_of() { nsx cat "/sys/class/net/$TAPIF/statistics/$1"; }

# A UDP echo responder on the host side: logs "length first-bytes".
ip netns exec "$NS" perl -MIO::Socket::INET -e '$| = 1;
    my $s = IO::Socket::INET->new(LocalAddr => "'$HOSTIP':7777",
	Proto => "udp") or die "udp: $!";
    alarm 120;
    while (defined(my $a = $s->recv(my $d, 65535))) {
	printf "%d %s\n", length($d), join(" ", (split / /, $d)[0, 1]);
	$s->send($d, 0, $a) }' >"$TMP/udp.log" 2>&1 &
NS_PIDS="$NS_PIDS $!"
sleep 0.3
rx0=$(stat_of rx_packets)
tx0=$(stat_of tx_packets)
icmp_in() {	# the namespace's InEchos and OutEchoReps
	nsx awk '/^Icmp:/ { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i;
	    h = 1; next } print $c["InEchos"], $c["OutEchoReps"]; exit }' \
	    /proc/net/snmp
}
icmp0=$(icmp_in)
timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" -v run -b "$GUEST" \
    -m 128M -t $TAPIF -k "$(echo tg.checks=net tg.net.ip=$GUESTIP \
	tg.net.host=$HOSTIP tg.net.udp=7777 tg.net.pings=8 tg.net.udpn=8)" \
    </dev/null >"$TMP/net.out" 2>"$TMP/net.err"
rc=$?
ok $rc "net: guest powered off (exit $rc)"
guest_tap_clean "$TMP/net"
ok $? "net: every guest check passed"
grep -q "^ok .*ARP reply: $HOSTIP is-at" "$TMP/net.out"
ok $? "net: the host answered the guest's ARP request"
grep -q "^ok .*8/8 ICMP echo replies" "$TMP/net.out" &&
    grep -q "^ok .*8/8 UDP echoes" "$TMP/net.out"
ok $? "net: 8 ICMP and 8 UDP echoes came back intact"
set -- $(icmp_in) $icmp0
[ $(($1 - $3)) -eq 8 ] && [ $(($2 - $4)) -eq 8 ]
ok $? "net: the host's stack saw 8 echo requests and sent 8 replies ($(($1 - $3)), $(($2 - $4)))"
[ "$(grep -c '^[0-9]* tg-udp [0-9]*$' "$TMP/udp.log")" -eq 8 ] &&
    [ "$(awk '{ print $1 }' "$TMP/udp.log" | tr '\n' ' ')" = "18 64 200 512 1000 1400 1472 18 " ]
ok $? "net: the host's responder got the 8 datagrams, sizes as sent"
gtx=$(tr -d '\r' <"$TMP/net.out" | sed -n 's/^ok .*net: frames tx \([0-9]*\) rx \([0-9]*\).*/\1/p')
grx=$(tr -d '\r' <"$TMP/net.out" | sed -n 's/^ok .*net: frames tx \([0-9]*\) rx \([0-9]*\).*/\2/p')
hrx=$(($(stat_of rx_packets) - rx0))
htx=$(($(stat_of tx_packets) - tx0))
[ -n "$gtx" ] && [ "$gtx" -eq "$hrx" ]
ok $? "net: the tap received every frame the guest sent (guest $gtx, tap $hrx)"
[ -n "$grx" ] && [ "$grx" -le "$htx" ] && [ "$grx" -ge 17 ]
ok $? "net: the guest received what the tap sent ($grx of $htx)"
grep -q "interface 0: frames in batches, io_uring" "$TMP/net.err" ||
    [ -n "$VMD_NO_IO_URING" ] ||
    [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" != 0 ]
ok $? "net: frames moved through io_uring where the host has it"
# The same without io_uring: one readv or writev per frame.
: >"$TMP/udp.log"
VMD_NO_IO_URING=1 timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" -v run \
    -b "$GUEST" -m 128M -t $TAPIF -k "$(echo tg.checks=net \
	tg.net.ip=$GUESTIP tg.net.host=$HOSTIP tg.net.udp=7777 \
	tg.net.pings=8 tg.net.udpn=8)" \
    </dev/null >"$TMP/netsys.out" 2>"$TMP/netsys.err"
ok $? "net, system calls: guest powered off"
guest_tap_clean "$TMP/netsys" &&
    grep -q "^ok .*8/8 ICMP echo replies" "$TMP/netsys.out" &&
    grep -q "^ok .*8/8 UDP echoes" "$TMP/netsys.out" &&
    grep -q "interface 0: frames in batches, one system call each" \
    "$TMP/netsys.err"
ok $? "net, system calls: every guest check passed without io_uring"
# A flood from the host (the C sender of bench/io.pl), taken in batches:
# the guest counts the frames for 300 ms per size; what it counted came
# whole (its check) and is no more than what the sender sent.
if [ -x "$B/guest/net-rx-sender" ]; then
	ip netns exec "$NS" "$B/guest/net-rx-sender" -p 9999 -r 2 -t 60 \
	    >"$TMP/sender.out" 2>&1 &
	snd=$!
	NS_PIDS="$NS_PIDS $snd"
	timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" run -b "$GUEST" \
	    -m 128M -t $TAPIF -k "$(echo tg.checks=net-rx-bench \
		tg.bench.ms=300 tg.net.ip=$GUESTIP tg.net.host=$HOSTIP \
		tg.bench.rxport=9999)" </dev/null >"$TMP/flood.out" \
	    2>"$TMP/flood.err"
	ok $? "net, host flood: guest powered off"
	wait "$snd"
	guest_tap_clean "$TMP/flood" &&
	    grep -q "^ok .*net-rx-bench: done" "$TMP/flood.out"
	ok $? "net, host flood: the guest counted both rounds"
	n=$(awk '/^net-rx-sender: size/ && $NF ~ /^[0-9]+$/ && $NF > 0 &&
	    $NF <= $5 { n++ } END { print n + 0 }' "$TMP/sender.out")
	[ "$n" -eq 2 ]
	ok $? "net, host flood: counted frames, no more than sent, both sizes ($n)"
	diag <"$TMP/sender.out"
fi

# ---------------------------------------------------------------- dhcp
# The client's frames, decoded by tshark. The answers come from a
# small responder here (any RFC 2131 server would do).
if command -v tshark >/dev/null; then
	nsx ip addr add 10.213.99.1/32 dev lo	# "beyond the router"
	ip netns exec "$NS" perl -MIO::Socket::INET -MSocket -e '$| = 1;
	    my ($dev, $srv, $yi) = @ARGV;
	    my $s = IO::Socket::INET->new(LocalPort => 67, Proto => "udp",
		Broadcast => 1, ReuseAddr => 1) or die "dhcp: $!";
	    setsockopt($s, SOL_SOCKET, 25, $dev) or die "bind to $dev: $!";
	    my $to = sockaddr_in(68, inet_aton("255.255.255.255"));
	    alarm 120;
	    while (defined($s->recv(my $m, 1500))) {
		next if length($m) < 240 || ord($m) != 1;
		my ($type, $o) = (0, 240);
		while ($o < length($m)) {
		    my $c = ord(substr($m, $o, 1)); last if $c == 255;
		    if ($c == 0) { $o++; next }
		    my $l = ord(substr($m, $o + 1, 1));
		    $type = ord(substr($m, $o + 2, 1)) if $c == 53;
		    $o += 2 + $l }
		my $rt = $type == 1 ? 2 : $type == 3 ? 5 : next;
		print "got $type\n";
		my $r = pack("CCCC", 2, 1, 6, 0) . substr($m, 4, 4) .
		    "\0\0\0\0" . "\0" x 4 . inet_aton($yi) . inet_aton($srv) .
		    "\0" x 4 . substr($m, 28, 16) . "\0" x 192 .
		    pack("C4", 99, 130, 83, 99) .
		    pack("CCC", 53, 1, $rt) . pack("CC", 54, 4) . inet_aton($srv) .
		    pack("CCN", 51, 4, 3600) . pack("CC", 1, 4) .
		    inet_aton("255.255.255.0") . pack("CC", 3, 4) . inet_aton($srv) .
		    pack("CC", 6, 4) . inet_aton($srv) . pack("C", 255);
		$s->send($r, 0, $to) }' $TAPIF $HOSTIP 10.213.7.77 \
	    >"$TMP/dhcpd.log" 2>&1 &
	NS_PIDS="$NS_PIDS $!"
	ip netns exec "$NS" tshark -q -i $TAPIF -w "$TMP/dhcp.pcap" -f "udp port 67 or udp port 68" \
	    >"$TMP/tshark.log" 2>&1 &
	tshark_pid=$!
	NS_PIDS="$NS_PIDS $tshark_pid"
	for _ in $(seq 100); do
		grep -q "Capturing on" "$TMP/tshark.log" && break
		sleep 0.1
	done
	timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" run -b "$GUEST" \
	    -m 128M -t $TAPIF -k "$(echo tg.checks=dhcp \
		tg.dhcp.expect=10.213.7.77 tg.dhcp.timeout=20 \
		tg.dhcp.ping=10.213.99.1)" </dev/null >"$TMP/dhcp.out" 2>"$TMP/dhcp.err"
	rc=$?
	sleep 0.5
	kill "$tshark_pid" 2>/dev/null
	wait "$tshark_pid" 2>/dev/null
	ok $rc "dhcp: guest powered off (exit $rc)"
	guest_tap_clean "$TMP/dhcp"
	ok $? "dhcp: the client got its lease"
	grep -q "^ok .*dhcp: leased 10.213.7.77 mask 255.255.255.0 router $HOSTIP dns $HOSTIP lease 3600 s" "$TMP/dhcp.out"
	ok $? "dhcp: the guest printed the lease as offered"
	grep -q "^ok .*dhcp: router $HOSTIP answers ARP and 3/3 ICMP" "$TMP/dhcp.out" &&
	    grep -q "^ok .*dhcp: 10.213.99.1 answers 3/3 ICMP echoes through the router" "$TMP/dhcp.out"
	ok $? "dhcp: with its lease the guest reaches the router and past it"
	tshark -r "$TMP/dhcp.pcap" -V >"$TMP/dhcp.txt" 2>&1
	! grep -qi "malformed\|Expert Info (Warning\|Expert Info (Error" "$TMP/dhcp.txt"
	ok $? "dhcp: tshark decodes every frame without a warning"
	types=$(tshark -r "$TMP/dhcp.pcap" -T fields -e dhcp.option.dhcp 2>/dev/null | tr '\n' ' ')
	[ "$types" = "1 2 3 5 " ]
	ok $? "dhcp: DISCOVER, OFFER, REQUEST, ACK on the wire ($types)"
	tshark -r "$TMP/dhcp.pcap" -Y "dhcp.option.dhcp == 3" -T fields \
	    -e dhcp.option.requested_ip_address -e dhcp.option.dhcp_server_id \
	    -e udp.checksum.status -e ip.checksum.status -e ip.dst \
	    -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	    >"$TMP/req.txt" 2>/dev/null
	set -- $(cat "$TMP/req.txt")
	[ "$1" = 10.213.7.77 ] && [ "$2" = "$HOSTIP" ] && [ "$3" = 1 ] &&
	    [ "$4" = 1 ] && [ "$5" = 255.255.255.255 ]
	ok $? "dhcp: REQUEST names the offer and server, checksums good ($*)"
	# Client frames: chaddr, client id (type 1) and source MAC agree.
	n=$(tshark -r "$TMP/dhcp.pcap" -Y "dhcp.type == 1" -T fields \
	    -e dhcp.hw.mac_addr -e eth.src -e dhcp.hw.type 2>/dev/null |
	    awk -F'\t' '{ split($1, m, ","); if (m[1] == $2 && m[2] == $2 &&
		$3 == "0x01,0x01") n++ } END { print n + 0 }')
	[ "$n" -eq 2 ]
	ok $? "dhcp: chaddr, client identifier and source MAC agree ($n)"
else
	echo "# no tshark: DHCP checks skipped"
fi

# ---------------------------------------------------------------- bench
# Only that the benchmarks run and report; the numbers go to the
# benchmark issue (tg.bench.ms=300 keeps this short).
truncate -s 64M "$TMP/bench.img"
timeout -s KILL 120 ip netns exec "$NS" "$VMCTL" run -b "$GUEST" -m 256M \
    -d "$TMP/bench.img" -t $TAPIF -k "$(echo tg.checks=blk-bench,net-bench \
	tg.bench.ms=300 tg.net.ip=$GUESTIP tg.net.host=$HOSTIP)" \
    </dev/null >"$TMP/bench.out" 2>"$TMP/bench.err"
rc=$?
ok $rc "bench: guest powered off (exit $rc)"
guest_tap_clean "$TMP/bench"
ok $? "bench: the benchmarks ran"
# blk-bench's 8 rows and its kick cost, net-bench's 60- and 1514-byte
# rounds (pps and MB/s each) and its TSO round (segments/s and MB/s: the
# device offers CSUM and HOST_TSO4 on a tap with a header); the
# per-1000 counts are not in this shape.
n=$(tr -d '\r' <"$TMP/bench.out" | grep -c '^# bench: [a-z0-9-]* [0-9]* [A-Za-z/]*$')
[ "$n" -eq 15 ]
ok $? "bench: 15 '# bench: name value unit' lines ($n)"
tr -d '\r' <"$TMP/bench.out" | grep '^# bench:' | sed 's/^# //' | diag
done_testing
