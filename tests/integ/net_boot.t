#!/bin/bash
# Network boot, refereed by programs nobody here wrote. In a network
# namespace made here, dnsmasq (Debian's dnsmasq-base) serves DHCP and
# TFTP on a Linux bridge, and the VM's tap is a port of that switch.
# `vmctl run -B net` boots SeaBIOS, which runs iPXE (Debian's ipxe-qemu,
# pxe-virtio.rom) from the first NIC's expansion ROM BAR; iPXE drives our
# virtio-net, gets an address and the name of an iPXE script by DHCP,
# fetches the script and the test guest by TFTP and boots the guest
# through its 16-bit entry with the script's command line. The guest's
# checks pass (its own virtio-net set-up too, after iPXE's use of the
# device) and it powers off. Then the same through vmd, also in the
# namespace: a VM with `boot device net` and an interface on a switch that
# is the same bridge (the parent opens the ROM). On KVM-PVM hosts iPXE's
# interrupt returns (IRET in protected mode) run in vm/emul.c. vmd,
# dnsmasq and the namespace, with the bridge and the taps in it, go when
# the test ends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest built"
[ -f /usr/share/seabios/bios.bin ] && [ -f /usr/lib/ipxe/qemu/pxe-virtio.rom ] ||
    skip_all "no SeaBIOS or iPXE ROM (make deps installs seabios, ipxe-qemu)"
command -v dnsmasq >/dev/null || skip_all "no dnsmasq (make deps installs dnsmasq-base)"
command -v ip >/dev/null || skip_all "needs ip"
need_vmd_user
NS=vmdnb$$
dpid=
teardown() {
	if [ -n "$VMD_PID" ]; then
		vmd_term 30
		[ -z "$VMD_PID" ] || kill -KILL "$VMD_PID" 2>/dev/null
		VMD_PID=
	fi
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		dpid=
	fi
	ip netns del "$NS" 2>/dev/null
}
trap 'teardown; daemon_cleanup' EXIT
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
nsx() { ip netns exec "$NS" "$@"; }

# The switch: bridge br0 with the server's addresses, tap0 a port of it.
nsx ip link set lo up &&
    nsx ip link add br0 type bridge &&
    nsx ip addr add 10.0.2.1/24 dev br0 &&
    nsx ip addr add fd00:2::1/64 dev br0 nodad &&
    nsx ip link set br0 up &&
    nsx ip tuntap add mode tap name tap0 &&
    nsx ip link set tap0 master br0 &&
    nsx ip link set tap0 up
ok $? "a bridge with a tap port in namespace $NS"

# What the server hands out: an iPXE script that boots the test guest.
# SeaBIOS's serial console holds back the last character and line end
# written until the firmware next checks the keyboard; iPXE's sleep does,
# so the guest's TAP starts on a line of its own.
mkdir "$TMP/tftp"
cp "$GUEST" "$TMP/tftp/testguest"
cat >"$TMP/tftp/boot.ipxe" <<-EOF
#!ipxe
kernel testguest tg.echo=netboot tg.cpus=1
sleep 1
boot
EOF

# dnsmasq in the foreground, our child (ip netns exec execs it): DHCP and
# TFTP on br0, no DNS, neither the host's configuration nor its leases.
# Three settings keep iPXE from waiting: --no-ping (dnsmasq's 3 s check
# that an address is unused outlasted iPXE's discovery here: iPXE sent
# its four DISCOVERs within those 3 s and gave up), iPXE's option 175.176
# no-pxedhcp (the offer has the boot file: no ProxyDHCP wait) and router
# advertisements (iPXE waits for its IPv6 set-up too, about 17 s without
# them). dnsmasq logs "TFTP root is" once its sockets are bound.
touch "$TMP/dnsmasq.log"
ip netns exec "$NS" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
    --interface=br0 --bind-interfaces \
    --dhcp-range=10.0.2.10,10.0.2.50,255.255.255.0,1h \
    --dhcp-leasefile="$TMP/leases" --no-ping --dhcp-boot=boot.ipxe \
    --dhcp-option=encap:175,176,1b \
    --enable-ra --dhcp-range=::,constructor:br0,ra-only \
    --enable-tftp --tftp-root="$TMP/tftp" --user=root --log-dhcp \
    --log-facility="$TMP/dnsmasq.log" --pid-file= \
    >"$TMP/dnsmasq.out" 2>&1 &
dpid=$!
for _ in $(seq 300); do
	grep -q "TFTP root is" "$TMP/dnsmasq.log" && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.1
done
grep -q "TFTP root is" "$TMP/dnsmasq.log"
ok $? "dnsmasq serves DHCP and TFTP on br0" ||
    cat "$TMP/dnsmasq.out" "$TMP/dnsmasq.log" | diag

# vmctl run: no daemon in this half, so asan_daemon.t (which runs this
# test again with vmd under ASan, ASAN_DAEMON=1) runs only the vmd half.
if [ -n "${ASAN_DAEMON:-}" ]; then
	echo "ok $((tap_n += 1)) # SKIP the vmctl run half: no daemon in it, and this is asan_daemon.t's run (the plain run of this test boots it)"
else
	# shellcheck disable=SC2086 # VMCTL_FLAGS: words, e.g. -v
	timeout -s KILL 600 ip netns exec "$NS" "$VMCTL" $VMCTL_FLAGS run -m 128M \
	    -B net -t tap0 </dev/null >"$TMP/nb.out" 2>"$TMP/nb.err"
	rc=$?
	ok $rc "-B net: SeaBIOS -> iPXE -> DHCP and TFTP -> test guest: powered off (exit $rc)"
	out=$(tr -d '\r' <"$TMP/nb.out")
	mac=$(echo "$out" | sed -n 's/^.*net0: \([0-9a-f:]\{17\}\) using virtio-net on 0000:00:02.0.*$/\1/p' | head -1)
	[ -n "$mac" ]
	ok $? "iPXE ran from the NIC's ROM and drove our virtio-net (net0 $mac)"
	grep -q "DHCPACK(br0) 10\.0\.2\.[0-9]* $mac" "$TMP/dnsmasq.log"
	ok $? "dnsmasq leased an address to the VM's MAC"
	grep -q "sent $TMP/tftp/boot.ipxe to 10\.0\.2\." "$TMP/dnsmasq.log" &&
	    grep -q "sent $TMP/tftp/testguest to 10\.0\.2\." "$TMP/dnsmasq.log"
	ok $? "iPXE fetched its script and the test guest by TFTP"
	guest_tap_clean "$TMP/nb"
	ok $? "every guest check passed after network boot"
	echo "$out" | grep -q "^ok .* - cmdline: tg.echo=netboot"
	ok $? "the guest got the iPXE script's command line (tg.echo=netboot)"
	echo "$out" | grep -q "^ok .* - net: .* link up"
	ok $? "the guest set up the virtio-net device iPXE had used"
	! grep -q "internal error\|cannot emulate" "$TMP/nb.err"
	ok $? "no emulation failure ended the VM"
	[ "$tap_failed" -eq 0 ] || { tail -20 "$TMP/nb.out"; tail -20 "$TMP/nb.err"; } | diag
fi

# Through vmd, in the namespace (what it creates stays there): its switch
# is the bridge dnsmasq serves, which vmd finds and leaves in place.
vmctl() { ip netns exec "$NS" "$VMCTL" -s "$SOCK" "$@"; }
cat >"$CONF" <<EOF
switch "lan" {
	interface br0
}
vm "nb" {
	disable
	memory 128M
	boot device net
	interface { switch "lan" }
}
EOF
ip netns exec "$NS" "$VMD" -d -f "$CONF" -s "$SOCK" >>"$VMD_LOG" 2>&1 &
VMD_PID=$!
wait_for 10 vmctl status
ok $? "vmd runs in the namespace with a VM that boots from the network"
failed=$tap_failed
( wait_for 20 state_is nb running; wait_for 580 state_is nb stopped;
    printf '~.' 2>/dev/null ) | timeout 620 ip netns exec "$NS" "$VMCTL" -s "$SOCK" \
    start -c nb >"$TMP/d.out" 2>"$TMP/d.err"
tr -d '\r' <"$TMP/d.out" >"$TMP/d.txt"
dmac=$(sed -n 's/^.*net0: \([0-9a-f:]\{17\}\) using virtio-net on 0000:00:02.0.*$/\1/p' "$TMP/d.txt" | head -1)
[ -n "$dmac" ] && grep -q "DHCPACK(br0) 10\.0\.2\.[0-9]* $dmac" "$TMP/dnsmasq.log"
ok $? "boot device net: iPXE drove the NIC on switch lan and got a lease ($dmac)"
grep -q "^ok .* - cmdline: tg.echo=netboot" "$TMP/d.txt" &&
    grep -q "^testguest: done, powering off" "$TMP/d.txt" &&
    ! grep -q "^not ok" "$TMP/d.txt"
ok $? "boot device net: the guest booted from the network, its checks passed, it powered off"
[ "$tap_failed" -eq "$failed" ] || { tail -20 "$TMP/d.txt" | diag; show_log; }

teardown
! pgrep -f "tftp-root=$TMP/tftp" >/dev/null &&
    ! ip netns list | grep -q "^$NS\b"
ok $? "vmd, dnsmasq and the namespace (bridge, taps) are gone"
done_testing
