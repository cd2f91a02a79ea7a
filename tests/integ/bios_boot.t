#!/bin/bash
# BIOS boot, refereed by programs nobody here wrote: `vmctl run` without
# -b boots SeaBIOS (Debian's), which finds a GRUB disk (grub-mkrescue,
# built here from Debian's grub-pc-bin, xorriso and mtools, no loop mount)
# on virtio-blk after moving the PCI BARs itself; GRUB boots the test guest
# through its 16-bit entry (linux16) on the serial console; the guest's
# checks pass (its ACPI tables arrived through fw_cfg's table loader) and
# it powers off. The disk is the GRUB image converted to qcow2 by qemu-img
# (the installer's disk format). With a GRUB CD-ROM too (virtio-scsi), the
# disk boots by default and -B cdrom picks the CD (each image its own
# tg.echo). A disk
# without a boot sector (booted with -v: SeaBIOS's debug log, port 0x402,
# in the VM process's log): SeaBIOS says so, waits etc/boot-fail-wait and
# resets (exit 11), it does not spin for ever. Bad boot files and CD
# images are refused before a VM runs.
. "$(dirname "$0")/lib.sh"
need_kvm
[ -f "$GUEST" ] || skip_all "no test guest built"
SEABIOS=/usr/share/seabios/bios.bin
[ -f "$SEABIOS" ] || skip_all "no $SEABIOS (make deps installs seabios)"
command -v grub-mkrescue >/dev/null && [ -d /usr/lib/grub/i386-pc ] &&
    command -v xorriso >/dev/null && command -v mformat >/dev/null ||
    skip_all "no grub-mkrescue, grub-pc-bin, xorriso or mtools (make deps)"
command -v qemu-img >/dev/null || skip_all "no qemu-img (make deps)"

MEM=134217728

# grub_image OUT ECHO: a hybrid GRUB image whose menu boots the test guest
# at once with tg.echo=ECHO, console on COM1.
grub_image() {
	local dir=$TMP/iso-$2
	mkdir -p "$dir/boot/grub"
	cp "$GUEST" "$dir/boot/testguest"
	cat >"$dir/boot/grub/grub.cfg" <<-EOF
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
	set timeout=0
	menuentry "testguest" {
		linux16 /boot/testguest tg.echo=$2 tg.mem=$MEM tg.cpus=1
		boot
	}
	EOF
	grub-mkrescue -o "$1" "$dir" >"$TMP/mkrescue-$2.log" 2>&1
}

grub_image "$TMP/disk.img" grubdisk
ok $? "grub-mkrescue made a GRUB disk image" ||
    diag <"$TMP/mkrescue-grubdisk.log"
grub_image "$TMP/cd.img" grubcd
ok $? "grub-mkrescue made a GRUB CD image" ||
    diag <"$TMP/mkrescue-grubcd.log"

qemu-img convert -f raw -O qcow2 "$TMP/disk.img" "$TMP/disk.qcow2"
ok $? "qemu-img converted the GRUB disk to qcow2"

# Both bootable: the default order is disk, then CD-ROM.
run_vm "$TMP/disk" 300 -m 128M -d "$TMP/disk.qcow2" -r "$TMP/cd.img"
ok $rc "SeaBIOS -> virtio-blk (qcow2) -> GRUB -> test guest: powered off (exit $rc)"
tr -d '\r' <"$TMP/disk.out" | grep -q "SeaBIOS (version"
ok $? "SeaBIOS printed its banner on the serial console (etc/sercon-port)"
tr -d '\r' <"$TMP/disk.out" | grep -q "Booting .testguest'"
ok $? "GRUB ran its menu entry on the serial console"
guest_tap_clean "$TMP/disk"
ok $? "every guest check passed after BIOS boot"
grep -q "^ok .* - cmdline: tg.echo=grubdisk" "$TMP/disk.out"
ok $? "the guest got GRUB's command line (tg.echo=grubdisk)"
grep -q "^ok .* - acpi: FADT .*all checksums good" "$TMP/disk.out"
ok $? "ACPI through the table loader: the guest found and checked the tables"
grep -q "^ok .* - e820: RAM .* == tg.mem" "$TMP/disk.out"
ok $? "the guest's e820 map (fw_cfg etc/e820) is direct boot's"
grep -q "^ok .* - virtio-rng: 64 bytes through the used ring" "$TMP/disk.out"
ok $? "a device whose BAR the firmware moved keeps working"
[ "$tap_failed" -eq 0 ] || tail -20 "$TMP/disk.out" | diag

# -B cdrom: the CD-ROM first, over a bootable disk.
run_vm "$TMP/cd" 300 -m 128M -d "$TMP/disk.img" -r "$TMP/cd.img" -B cdrom
ok $rc "-B cdrom: SeaBIOS -> virtio-scsi CD-ROM -> GRUB -> test guest (exit $rc)"
tr -d '\r' <"$TMP/cd.out" | grep -q "Booting from DVD/CD"
ok $? "-B cdrom: SeaBIOS booted from the CD"
guest_tap_clean "$TMP/cd" && grep -q "^ok .* - cmdline: tg.echo=grubcd" "$TMP/cd.out"
ok $? "-B cdrom: the CD's GRUB booted the guest (tg.echo=grubcd), every check passed"
[ "$tap_failed" -eq 0 ] || tail -20 "$TMP/cd.out" | diag

# A disk without a boot sector, at debug level (-v): the firmware's
# debug log (port 0x402) comes out of the VM process, a line at a time.
truncate -s 1M "$TMP/blank.img"
VMCTL_FLAGS="$VMCTL_FLAGS -v" run_vm "$TMP/blank" 120 -m 64M \
    -d "$TMP/blank.img"
[ "$rc" -eq 11 ]
ok $? "no boot sector: the firmware resets after boot-fail-wait (exit 11, got $rc)"
grep -q "No bootable device" "$TMP/blank.out"
ok $? "no boot sector: SeaBIOS says 'No bootable device'"
grep -q "firmware at [0-9]*\.[0-9]* ms: SeaBIOS (version" "$TMP/blank.err" &&
    grep -q "firmware at [0-9.]* ms: Copying SMBIOS" "$TMP/blank.err"
ok $? "-v: SeaBIOS's debug log, stamped, in the VM process's log"

# A truncated firmware image is refused before any VM runs.
head -c 100000 "$SEABIOS" >"$TMP/trunc.bin"
run_vm "$TMP/trunc" 30 -m 64M -b "$TMP/trunc.bin"
[ "$rc" -eq 1 ] && grep -q "nor a firmware image" "$TMP/trunc.err"
ok $? "a truncated firmware image is refused: $(cat "$TMP/trunc.err")"

# A CD-ROM image that is not ISO 9660 is refused before any VM runs.
run_vm "$TMP/notiso" 30 -m 64M -r "$TMP/blank.img"
[ "$rc" -eq 1 ] && grep -q "not an ISO 9660 image" "$TMP/notiso.err"
ok $? "a CD image that is not ISO 9660 is refused: $(cat "$TMP/notiso.err")"
done_testing
