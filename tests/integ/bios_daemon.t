#!/bin/bash
# BIOS boot through vmd: a VM in vm.conf with no boot line, a GRUB disk and
# a GRUB CD-ROM ("cdrom"), and "boot device cdrom": the parent opens the
# default firmware (SeaBIOS) and the ISO image, SeaBIOS boots the CD over
# the bootable disk, and the test guest it boots powers off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
need_kvm
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f "$GUEST" ] || skip_all "no test guest"
[ -f /usr/share/seabios/bios.bin ] || skip_all "no SeaBIOS (make deps)"
command -v grub-mkrescue >/dev/null && [ -d /usr/lib/grub/i386-pc ] &&
    command -v xorriso >/dev/null && command -v mformat >/dev/null ||
    skip_all "no grub-mkrescue, grub-pc-bin, xorriso or mtools (make deps)"
need_vmd_user

# grub_image OUT ECHO: as in bios_boot.t.
grub_image() {
	local dir=$TMP/iso-$2
	mkdir -p "$dir/boot/grub"
	cp "$GUEST" "$dir/boot/testguest"
	cat >"$dir/boot/grub/grub.cfg" <<-EOF2
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
	set timeout=0
	menuentry "testguest" {
		linux16 /boot/testguest tg.echo=$2 tg.mem=134217728 tg.cpus=1
		boot
	}
	EOF2
	grub-mkrescue -o "$1" "$dir" >/dev/null 2>&1
}
grub_image "$TMP/disk.img" grubdisk && grub_image "$TMP/cd.img" grubcd
ok $? "GRUB disk and CD images made"
chmod 644 "$TMP/disk.img" "$TMP/cd.img"
cat >"$CONF" <<EOF
vm "bios" {
	disable
	memory 128M
	disk "$TMP/disk.img"
	cdrom "$TMP/cd.img"
	boot device cdrom
}
EOF
vmd_start
ok $? "vmd starts with a VM that has no boot line"

# The console until the VM has run and stopped, then ~. leaves.
( wait_for 20 state_is bios running; wait_for 280 state_is bios stopped;
    printf '~.' ) | timeout 320 "$VMCTL" -s "$SOCK" start -c bios \
    >"$TMP/bios.out" 2>"$TMP/bios.err"
grep -q "started bios (vm 1) successfully" "$VMD_LOG"
ok $? "vmd started it with the firmware"
tr -d '\r' <"$TMP/bios.out" >"$TMP/bios.txt"
grep -q "Booting from DVD/CD" "$TMP/bios.txt"
ok $? "boot device cdrom: SeaBIOS booted from the CD first"
grep -q "^ok .* - cmdline: tg.echo=grubcd" "$TMP/bios.txt" &&
    grep -q "^testguest: done, powering off" "$TMP/bios.txt" &&
    ! grep -q "^not ok" "$TMP/bios.txt"
ok $? "the CD's GRUB booted the guest, its checks passed, it powered off"
[ "$tap_failed" -eq 0 ] || { tail -20 "$TMP/bios.txt" | diag; show_log; }
vmd_stop
done_testing
