#!/bin/bash
# Linux as the referee of our machine: the small kernel of guest/linux/
# boots under vmctl run with 2 vCPUs, a virtio-blk disk (MBR, ext2 root
# made here with mke2fs -d), a local interface answered by the VM
# process's DHCP server, virtio-rng and its console on ttyS0. What Linux's
# own drivers say about our ACPI tables, PCI functions, MSI-X, virtio
# devices, RTC and DHCP server is checked line by line in its console log,
# and any line that looks like a problem fails unless
# tests/linux/accepted-warnings lists it with a reason. One boot: of the
# uncompressed vmlinux through the PVH boot ABI when it has the PVH note
# (guest/linux/vmd.config asks for it; it skips the decompressor), else
# of the bzImage; LINUX_BOOT=bzImage boots the bzImage anyway (Linux's
# bzImage path is also what linux_early.t boots, to its first lines).
# LINUX_KDIR=DIR boots DIR's kernel instead of guest/linux/build.sh's;
# LINUX_CMDLINE_EXTRA is appended to guest/linux/cmdline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root (a tap for the local interface)"
command -v ip >/dev/null || skip_all "needs ip"
command -v mke2fs >/dev/null || skip_all "needs mke2fs (make deps)"
NS=vmdlnx$$
ip netns add "$NS" 2>/dev/null || skip_all "cannot create a network namespace"
trap 'ip netns del "$NS" 2>/dev/null; [ -n "$KEEP_TMP" ] || rm -rf "$TMP"' EXIT
ip netns exec "$NS" ip link set lo up

linux_kernel
linux_rootdir "$TMP/root"
disk=$TMP/disk.img
"$TOP/tests/linux/mkdisk.sh" "$disk" "$TMP/root" 32 2>"$TMP/mkdisk.log"
ok $? "a 32 MiB disk with an MBR and an ext2 root (mke2fs -d)" ||
    diag <"$TMP/mkdisk.log"
linux_sb "$disk" >"$TMP/sb.before"
grep -q '^Mount count: *0$' "$TMP/sb.before"
ok $? "the new file system was never mounted"

# One boot. Meanwhile, once Linux has its address, the host sends
# datagrams to a closed port of it: our tap gives them with the checksum
# left partial (the driver took GUEST_CSUM, so the tap has TUN_F_CSUM and
# its header goes to the guest), and Linux answers with an ICMP port
# unreachable, which the host's connected socket sees as ECONNREFUSED,
# only if it takes that header's word that the checksum is to be
# finished, not wrong. rootdelay=3 keeps Linux in its kernel, the
# network up, a while after its DHCP (on KVM-PVM it ends at init).
con=$TMP/console
(
	for _ in $(seq 1200); do
		grep -q 'IP-Config: Complete' "$con.stamped" 2>/dev/null &&
		    break
		sleep 0.1
	done
	ip netns exec "$NS" perl -MIO::Socket::INET -MIO::Select -e '
		my $s = IO::Socket::INET->new(PeerAddr => "100.64.1.3:9",
		    Proto => "udp") or die "udp: $!";
		my $sel = IO::Select->new($s);
		for my $i (1 .. 40) {
			$s->send("u" x 300);
			next unless $sel->can_read(0.25);
			if (!defined($s->recv(my $d, 512)) &&
			    $!{ECONNREFUSED}) {
				print "refused after $i\n";
				exit 0;
			}
		}
		print "no answer to 40 datagrams\n";'
) >"$TMP/udp" 2>&1 &
udpw=$!
linux_run "$con" ip netns exec "$NS" -- -b "$kernel" -p 2 -m 128M \
    -d "$disk" -L -k "$(linux_cmdline "root=/dev/vda1 rw ip=dhcp rootdelay=3")"
wait $udpw
has() { grep -q -E -- "$1" "$con"; }

linux_ended "$con" "$rc" "the boot"

has '^\[ *[0-9.]+\] Linux version 6\.1\.'
ok $? "Linux started: $(grep -o -m1 'Linux version [^ ]*' "$con")"
has 'smp: Brought up 1 node, 2 CPUs'
ok $? "both CPUs up"
has 'found SMP MP-table at \[mem 0x0009fc00-0x0009fc0f\]'
ok $? "our MP floating pointer found at 639 KiB (no scan of the BIOS area)"
has 'ACPI: Interpreter enabled' && ! has 'ACPI (BIOS )?(Error|Warning)'
ok $? "our ACPI tables loaded without an ACPI error or warning"
has 'ACPI: button: Power Button \[PWRF\]'
ok $? "the fixed power button found"
has 'ACPI: PCI Root Bridge \[PCI0\]'
ok $? "the PCI root bridge of our DSDT"
for d in 1044:virtio-rng 1042:virtio-blk 1041:virtio-net; do
	id=${d%%:*} name=${d#*:}
	has "pci 0000:00:0[0-9]\.0: \[1af4:$id\]" &&
	    grep -q "$name: MSI-X enabled" "$con.err" &&
	    ! grep -q "$name: MSI-X disabled" "$con.err"
	ok $? "$name found on PCI, its driver enabled MSI-X"
done
has 'virtio_blk virtio[0-9]+: \[vda\] 65536 512-byte logical blocks \(33\.6 MB/32\.0 MiB\)'
ok $? "vda: 65536 sectors (32 MiB)"
has '^\[ *[0-9.]+\]  vda: vda1$'
ok $? "vda's partition table: vda1"
has '00:0[0-9]: ttyS0 at I/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A'
ok $? "our UART: found through ACPI PnP at 0x3f8, IRQ 4, a 16550A"
has 'random: crng init done'
ok $? "the entropy from virtio-rng initialised the kernel's RNG"
# Linux's virtio_net takes the offloads a tap with a header lets us
# offer: transmit (bits 0 CSUM, 11 HOST_TSO4, 12 HOST_TSO6, 13 HOST_ECN)
# and receive (1 GUEST_CSUM, 7 GUEST_TSO4, 8 GUEST_TSO6, 9 GUEST_ECN,
# 15 MRG_RXBUF: page-sized buffers a 64 KiB frame spans); its driver
# checks they hang together,
# ours too (a refusal would leave no features line), and its DHCP goes
# out and comes back through them.
f=$(sed -n 's/.*virtio-net: driver features 0x\([0-9a-f]*\) (offered .*/\1/p' \
    "$con.err" | tail -1)
[ -n "$f" ] && [ $((0x$f & 0xbb83)) -eq $((0xbb83)) ]
ok $? "Linux's virtio_net took CSUM, GUEST_CSUM, GUEST_TSO4/6/ECN, HOST_TSO4/6/ECN and MRG_RXBUF (0x$f)"
grep -q '^refused after' "$TMP/udp"
ok $? "the host's datagrams reached Linux with their checksum left partial, and it took them: port unreachable ($(cat "$TMP/udp"))"
has 'IP-Config: Got DHCP answer from 100\.64\.1\.2, my address is 100\.64\.1\.3'
ok $? "DHCP: our server 100.64.1.2 leased 100.64.1.3"
has 'device=eth0, hwaddr=fe:e1:bb:d1:[0-9a-f:]{5}, ipaddr=100\.64\.1\.3, mask=255\.255\.255\.254, gw=100\.64\.1\.2'
ok $? "DHCP: mask 255.255.255.254, router 100.64.1.2"
has 'VFS: Mounted root \(ext2 filesystem\) on device 254:1\.'
ok $? "the root file system mounted (ext2, vda1)"
! has 'VFS: Mounted root .*readonly'
ok $? "... read-write"
has 'Run /sbin/init as init process'
ok $? "init started"

# The RTC: the time Linux read from our CMOS clock, against the host's
# time when that line reached us.
line=$(grep -m1 'rtc_cmos [^ ]*: setting system clock to' \
    "$con.stamped")
host=${line%% *}
guest=$(sed -n 's/.*UTC (\([0-9]*\))$/\1/p' <<<"$line")
[ -n "$guest" ] && perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) < 3)' \
    "$host" "$guest"
ok $? "the RTC's time is the host's (guest ${guest:-?}, host ${host:-?})"

linux_problems "$con" "the boot"

# After the VM: Linux mounted and wrote the file system.
linux_sb "$disk" >"$TMP/sb.after"
linux_wrote "$TMP/sb.before" "$TMP/sb.after" "vda1"

if [ "$tap_failed" -ne 0 ]; then
	echo "# the console's last lines:"
	tail -15 "$con" | diag
fi
done_testing
