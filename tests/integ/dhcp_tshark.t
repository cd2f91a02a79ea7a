#!/bin/bash
# The DHCP/ARP replies vm/net/dhcp.c builds, decoded by tshark (Wireshark):
# every field decoded, checksums verified, no malformed-packet or warning.
. "$(dirname "$0")/lib.sh"

T=$B/tests/unit/vm/net/dhcp_test.t
[ -x "$T" ] || skip_all "$T not built (make unit)"
command -v tshark >/dev/null || skip_all "tshark not installed (make deps)"

"$T" --pcap "$TMP/dhcp.pcap" >"$TMP/unit.out" 2>&1
ok $? "dhcp_test.t wrote $TMP/dhcp.pcap"
tshark -r "$TMP/dhcp.pcap" -o ip.check_checksum:TRUE \
    -o udp.check_checksum:TRUE -V >"$TMP/v.txt" 2>"$TMP/v.err"
ok $? "tshark read the capture"
tshark -r "$TMP/dhcp.pcap" >"$TMP/sum.txt" 2>/dev/null

! grep -Eq 'Malformed|Expert Info \((Warning|Error)' "$TMP/v.txt"
ok $? "no malformed packet, no expert warning or error"
grep -E 'Malformed|Expert Info' "$TMP/v.txt" | head | diag
! grep -Eq '\[(incorrect|Bad)|Checksum Status: Bad|status: Bad' "$TMP/v.txt"
ok $? "IP and UDP checksums verified good"

count() { grep -c -- "$1" "$2"; }
n=$(count 'Dynamic Host Configuration Protocol (Offer)' "$TMP/v.txt")
[ "$n" -ge 3 ]; ok $? "OFFERs decoded ($n)"
n=$(count 'Dynamic Host Configuration Protocol (ACK)' "$TMP/v.txt")
[ "$n" -ge 3 ]; ok $? "ACKs decoded ($n)"
n=$(count 'Dynamic Host Configuration Protocol (NAK)' "$TMP/v.txt")
[ "$n" -ge 1 ]; ok $? "NAK decoded ($n)"

# Every field of the first OFFER (frame 2), as tshark names them.
awk '/^Frame 2:/,/^Frame 3:/' "$TMP/v.txt" >"$TMP/offer.txt"
for f in 'Src: 100.64.1.2, Dst: 255.255.255.255' \
    'Src Port: 67, Dst Port: 68' \
    'Message type: Boot Reply (2)' 'Hardware type: Ethernet (0x01)' \
    'Hardware address length: 6' 'Hops: 0' 'Transaction ID: 0x12345678' \
    'Bootp flags: 0x8000, Broadcast flag (Broadcast)' \
    'Client IP address: 0.0.0.0' 'Your (client) IP address: 100.64.1.3' \
    'Next server IP address: 0.0.0.0' 'Relay agent IP address: 0.0.0.0' \
    'Client MAC address: fe:e1:bb:d1:12:34' 'Magic cookie: DHCP' \
    'Option: (53) DHCP Message Type (Offer)' \
    'Option: (54) DHCP Server Identifier (100.64.1.2)' \
    'IP Address Lease Time: (4294967295s) infinity' \
    'Option: (1) Subnet Mask (255.255.255.254)' 'Router: 100.64.1.2' \
    'Domain Name Server: 100.64.1.2' 'Option: (255) End'; do
	grep -qF -- "$f" "$TMP/offer.txt"
	ok $? "OFFER: $f"
done
grep -qF 'Option: (61) Client identifier' "$TMP/v.txt"
ok $? "client identifier echoed and decoded"
grep -qF 'Host Name: web1' "$TMP/v.txt"
ok $? "host name decoded"
grep -qF 'Boot file name: auto_install' "$TMP/v.txt"
ok $? "boot file decoded"
grep -qF '100.64.1.2 is at fe:e1:bb:d1:12:35' "$TMP/sum.txt"
ok $? "ARP reply decoded"
diag <"$TMP/sum.txt"
done_testing
