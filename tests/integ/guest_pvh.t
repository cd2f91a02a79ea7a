#!/bin/bash
# The test guest booted each way vmctl run's -b takes a kernel: as a bzImage
# (64-bit boot protocol), as an ELF vmlinux with a PVH note (32-bit PVH
# entry, hvm_start_info) and as an ELF without one (64-bit entry, zero
# page); every guest check passes each way. Bad ELF files are refused
# before a VM runs, with a message naming the problem. QEMU, when present,
# boots the same PVH ELF as a referee for the guest's PVH entry.
. "$(dirname "$0")/lib.sh"
need_kvm
PVH=$B/guest/testguest.pvh
ELF64=$B/guest/testguest.elf64
[ -f "$GUEST" ] && [ -f "$PVH" ] && [ -f "$ELF64" ] ||
    skip_all "no test guest built"

make_initrd "$TMP/initrd" 1048579

# boot NAME FILE ENTRY CPUS MEM [extra cmdline]
boot() {
	local name=$1 file=$2 entry=$3 cpus=$4 mem=$5 bytes
	shift 5
	bytes=$(perl -e '$_ = shift; s/M$// ? print $_ * 1048576 :
	    s/G$// ? print $_ * 1073741824 : print' "$mem")
	run_vm "$TMP/$name" 120 -b "$file" -p "$cpus" -m "$mem" \
	    -I "$TMP/initrd" -k "tg.mem=$bytes tg.cpus=$cpus tg.rtc=$(date +%s) tg.initrd=1048579 tg.entry=$entry tg.echo=hello-$name $*"
	ok $rc "$name: $cpus vCPUs, $mem: guest powered off (exit $rc)"
	guest_tap_clean "$TMP/$name"
	ok $? "$name: every guest check passed"
	tr -d '\r' <"$TMP/$name.out" | grep -q "^ok .* - entry: $entry, tg.entry=$entry"
	ok $? "$name: entered through the $entry entry"
	grep -q "ok .*tg.echo=hello-$name" "$TMP/$name.out"
	ok $? "$name: the guest saw its command line"
}

boot bz-c2m256 "$GUEST" 64 2 256M
boot pvh-c1m64 "$PVH" pvh 1 64M
boot pvh-c2m256 "$PVH" pvh 2 256M
boot pvh-c4m4g "$PVH" pvh 4 4G		# RAM above 4G in the memory map
boot elf64-c2m256 "$ELF64" 64 2 256M
for f in pvh-c1m64 pvh-c2m256 pvh-c4m4g; do
	n=$(tr -d '\r' <"$TMP/$f.out" | grep -c "^ok .* - pvh: ")
	[ "$n" -eq 4 ]
	ok $? "$f: the four PVH start-of-day checks ran ($n)"
done

# Bad ELF files, made from the good one by changing one field each.
# mutate OUT [python statements on bytearray b, with ph(i) the offset of
# program header i and put(off, fmt, value)]
mutate() {
	local out=$1
	shift
	python3 - "$PVH" "$out" "$*" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
phoff = struct.unpack_from('<Q', b, 32)[0]
def ph(i): return phoff + 56 * i
def put(off, fmt, v): struct.pack_into(fmt, b, off, v)
def load(): return [i for i in range(struct.unpack_from('<H', b, 56)[0])
    if struct.unpack_from('<I', b, ph(i))[0] == 1 and
    struct.unpack_from('<Q', b, ph(i) + 40)[0] > 0][0]
def note(): return [i for i in range(struct.unpack_from('<H', b, 56)[0])
    if struct.unpack_from('<I', b, ph(i))[0] == 4][0]
exec(sys.argv[3])
open(sys.argv[2], 'wb').write(b)
EOF
}

refused() {	# refused NAME PATTERN FILE [vmctl run args]
	local name=$1 pat=$2 file=$3
	shift 3
	run_vm "$TMP/$name" 30 -b "$file" -m 64M "$@"
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]
	ok $? "$name: refused with a non-zero exit (rc $rc)"
	grep -q -- "$pat" "$TMP/$name.err"
	ok $? "$name: says '$pat'"
	grep -q -- "$pat" "$TMP/$name.err" || diag <"$TMP/$name.err"
	[ ! -s "$TMP/$name.out" ]
	ok $? "$name: no guest ran (no console output)"
}

mutate "$TMP/elf32" 'b[4] = 1'
refused elf32 "not a 64-bit ELF file" "$TMP/elf32"
mutate "$TMP/arm" "put(18, '<H', 183)"
refused arm "not for x86-64" "$TMP/arm"
mutate "$TMP/dyn" "put(16, '<H', 3)"
refused dyn "not an executable" "$TMP/dyn"
mutate "$TMP/phnum" "put(56, '<H', 0xffff)"
refused phnum "program headers (1 to" "$TMP/phnum"
mutate "$TMP/phoff" "put(32, '<Q', len(b) - 10)"
refused phoff "program headers are not within" "$TMP/phoff"
mutate "$TMP/low" "put(ph(load()) + 24, '<Q', 0x8000)"
refused low "below 1 MB" "$TMP/low"
mutate "$TMP/hole" "put(ph(load()) + 24, '<Q', 0xbff00000)"
refused hole "overlaps the PCI hole" "$TMP/hole"
mutate "$TMP/big" "put(ph(load()) + 40, '<Q', 0x8000000)"
refused big "beyond guest RAM (64 MB)" "$TMP/big"
mutate "$TMP/past" "put(ph(load()) + 32, '<Q', len(b))"
refused past "beyond the end of the file" "$TMP/past"
mutate "$TMP/filesz" "put(ph(load()) + 40, '<Q', 16)"
refused filesz "file size larger than memory size" "$TMP/filesz"
mutate "$TMP/notesz" "o = struct.unpack_from('<Q', b, ph(note()) + 8)[0]; put(o + 4, '<I', 2)"
refused notesz "PVH entry note of the wrong size" "$TMP/notesz"
mutate "$TMP/noteentry" "o = struct.unpack_from('<Q', b, ph(note()) + 8)[0]; put(o + 16, '<I', 0x90000000)"
refused noteentry "PVH entry point 0x90000000 is not in a loaded segment" \
    "$TMP/noteentry"
mutate "$TMP/notecut" "put(ph(note()) + 32, '<Q', 14)"
refused notecut "ELF note name beyond its segment" "$TMP/notecut"

# The referee: QEMU's own PVH loader boots the same file (microvm; its
# memory map from qboot carries an empty entry, so e820 is not checked).
if command -v qemu-system-x86_64 >/dev/null; then
	timeout -s KILL 120 qemu-system-x86_64 -enable-kvm \
	    -M microvm,rtc=on -m 256M -smp 2 -nodefaults -display none \
	    -serial stdio -kernel "$PVH" -initrd "$TMP/initrd" \
	    -append "tg.cpus=2 tg.initrd=1048579 tg.entry=pvh tg.checks=entry,cmdline,initrd,acpi" \
	    </dev/null >"$TMP/qemu.out" 2>"$TMP/qemu.err"
	ok $? "qemu microvm -kernel testguest.pvh: guest powered off"
	guest_tap_clean "$TMP/qemu"
	ok $? "qemu microvm: the guest's PVH, cmdline, initrd and ACPI checks passed"
	tr -d '\r' <"$TMP/qemu.out" | grep -q "^ok .* - entry: pvh"
	ok $? "qemu microvm: entered through the PVH entry"
else
	echo "# qemu-system-x86_64 not installed: no referee run"
fi
done_testing
