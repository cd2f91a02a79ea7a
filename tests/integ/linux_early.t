#!/bin/bash
# Debian's Linux kernel on our boot protocol: it must decompress, read our
# command line, e820 map, initrd and ACPI tables, and say so on the serial
# console. On KVM-PVM hosts its kernel-mode code is emulated and it stops
# later in boot (make check-linux boots it to a shell on hardware KVM);
# everything asserted here comes before that point on either kind of host.
. "$(dirname "$0")/lib.sh"
need_kvm
cache=${LINUX_CACHE:-$B/linux}
mkdir -p "$cache"
if ! kver=$("$TOP/tests/linux/fetch.sh" "$cache" 2>"$TMP/fetch.log"); then
	ok 1 "fetch Debian's kernel and busybox (apt-get download)"
	diag <"$TMP/fetch.log"
	done_testing
	exit 1
fi
kernel=$cache/root/boot/vmlinuz-$kver
initrd=$cache/initramfs-busybox.cpio
"$TOP/tests/linux/mkinitramfs.sh" "$cache/root/bin/busybox" \
    "$TOP/tests/linux/init" "$initrd" 2>"$TMP/mkinit.log"
ok $? "Debian kernel $kver and a busybox initramfs are ready"

marker=vmd-early-$$
"$VMCTL" run -b "$kernel" -I "$initrd" -m 512M -p 2 \
    -k "console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=8 panic=-1 nokaslr $marker" \
    </dev/null >"$TMP/linux.out" 2>"$TMP/linux.err" &
pid=$!
# Wait for the last line we check (the MADT listed), at most 5 minutes.
for i in $(seq 600); do
	grep -q "ACPI: APIC 0x" "$TMP/linux.out" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
vmpid=$(pgrep -x vmd -P $pid)
[ -n "$vmpid" ] && kill -TERM "$vmpid" && sleep 0.2 && kill -TERM "$vmpid" 2>/dev/null
wait $pid
out=$(tr -d '\r' <"$TMP/linux.out")

grep -q "^\[ *[0-9.]*\] Linux version $kver" <<<"$out"
ok $? "the kernel decompressed and started (Linux version $kver)"
grep -q "Command line: .*$marker" <<<"$out"
ok $? "it read our command line from the zero page"
e820=$(grep -o 'BIOS-e820: .*' <<<"$out")
want="BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
BIOS-e820: [mem 0x00000000000e0000-0x00000000000fffff] reserved
BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable"
[ "$e820" = "$want" ]
ok $? "it took our e820 map as given"
[ "$e820" = "$want" ] || diag <<<"$e820"
size=$(stat -c %s "$initrd")
rd=$(grep -o 'RAMDISK: \[mem 0x[0-9a-f]*-0x[0-9a-f]*\]' <<<"$out")
perl -e '($s, $e, $n) = @ARGV; exit !(hex($e) == 0x1fffffff &&
    hex($e) - hex($s) + 1 >= $n && hex($e) - hex($s) + 1 < $n + 4096)' \
    "$(sed 's/.*mem \(0x[0-9a-f]*\)-.*/\1/' <<<"$rd")" \
    "$(sed 's/.*-\(0x[0-9a-f]*\)\]/\1/' <<<"$rd")" "$size"
ok $? "it found the initrd at the top of low memory ($rd, $size bytes)"
grep -q "ACPI: RSDP 0x00000000000E0000 000024 (v02" <<<"$out"
ok $? "it found our RSDP (revision 2) at 0xE0000"
for t in XSDT FACP DSDT FACS APIC; do
	grep -q "ACPI: $t 0x" <<<"$out"
	ok $? "ACPI $t listed"
done
if [ "$tap_failed" -ne 0 ]; then
	tail -20 <<<"$out" | diag
	tail -5 "$TMP/linux.err" | diag
fi
done_testing
