#!/bin/bash
# ISOLINUX, a bootloader nobody here wrote, as the referee: a CD-ROM image
# built here with xorriso (no loop mount) from Debian's isolinux and
# syslinux-common (6.04) boots in a VM with no disk: SeaBIOS -> virtio-scsi
# CD-ROM (El Torito, no emulation) -> ISOLINUX, which loads the test guest
# from the ISO 9660 file system and boots it through its 16-bit entry with
# its APPEND line. ISOLINUX takes interrupts in 32-bit protected mode: on
# KVM-PVM hosts its IRETDs run in vm/emul.c (before it, the VM ended with
# an emulation failure). The guest's checks pass and it powers off.
. "$(dirname "$0")/lib.sh"
need_kvm
[ -f "$GUEST" ] || skip_all "no test guest built"
[ -f /usr/share/seabios/bios.bin ] || skip_all "no SeaBIOS (make deps)"
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
[ -f "$ISOLINUX" ] && [ -f "$LDLINUX" ] ||
    skip_all "no isolinux.bin or ldlinux.c32 (make deps installs isolinux, syslinux-common)"
command -v xorriso >/dev/null || skip_all "no xorriso (make deps)"

mkdir -p "$TMP/cd/isolinux"
cp "$ISOLINUX" "$LDLINUX" "$TMP/cd/isolinux/"
cp "$GUEST" "$TMP/cd/testguest"
cat >"$TMP/cd/isolinux/isolinux.cfg" <<-EOF
SERIAL 0 115200
DEFAULT tg
PROMPT 0
TIMEOUT 0
LABEL tg
  KERNEL /testguest
  APPEND tg.echo=isolinux tg.cpus=1
EOF
xorriso -as mkisofs -o "$TMP/cd.img" -b isolinux/isolinux.bin \
    -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    "$TMP/cd" >"$TMP/mkisofs.log" 2>&1
ok $? "xorriso made an ISOLINUX CD image" || diag <"$TMP/mkisofs.log"

run_vm "$TMP/iso" 600 -m 128M -r "$TMP/cd.img"
ok $rc "SeaBIOS -> virtio-scsi CD-ROM -> ISOLINUX -> test guest: powered off (exit $rc)"
tr -d '\r' <"$TMP/iso.out" | grep -q "^ISOLINUX 6\.04"
ok $? "ISOLINUX printed its banner on the serial line"
guest_tap_clean "$TMP/iso"
ok $? "every guest check passed after ISOLINUX"
grep -q "^ok .* - cmdline: tg.echo=isolinux" "$TMP/iso.out"
ok $? "the guest got ISOLINUX's APPEND line (tg.echo=isolinux)"
! grep -q "internal error\|cannot emulate" "$TMP/iso.err"
ok $? "no emulation failure ended the VM"
[ "$tap_failed" -eq 0 ] || { tail -20 "$TMP/iso.out"; tail -20 "$TMP/iso.err"; } | diag
done_testing
