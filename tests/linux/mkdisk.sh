#!/bin/sh
# Make a raw disk image with an MBR holding one Linux partition (type 0x83)
# from 1 MiB to the end, and an ext2 file system on it holding the files of
# ROOTDIR (mke2fs -d: nothing is mounted on the host).
# usage: mkdisk.sh IMAGE ROOTDIR [SIZE-MiB (32)]
set -eu
img=${1:?usage: mkdisk.sh IMAGE ROOTDIR [MiB]}
root=${2:?}
mib=${3:-32}
[ "$mib" -ge 4 ] || { echo "mkdisk.sh: $mib MiB is too small" >&2; exit 1; }
rm -f "$img"
truncate -s "${mib}M" "$img"
# The MBR: partition entry 1 at 446 (status, CHS start, type, CHS end,
# LBA start, sector count; CHS fields unused), signature 0x55aa at 510.
perl -e 'my ($n) = @ARGV;
    my $e = pack("C C3 C C3 V V", 0, 0xfe, 0xff, 0xff, 0x83,
	0xfe, 0xff, 0xff, 2048, $n);
    print "\0" x 440, pack("V", 0x766d6431), "\0\0", $e, "\0" x 48,
	"\x55\xaa"' $(( (mib - 1) * 2048 )) |
    dd of="$img" conv=notrunc status=none
mke2fs -q -F -t ext2 -L vmdroot -E offset=1048576 -d "$root" "$img" \
    "$(( (mib - 1) * 1024 ))k"
