#!/usr/bin/perl
# Writes tests/fuzz/seeds/virtio/net-mrg to stdout: virtio_fuzz.c's ops
# (12 bytes: kind, device, le16 offset, le64 value) for a driver of the
# net device (2) that takes MRG_RXBUF, GUEST_CSUM and GUEST_TSO4, posts
# four 1 KiB rx buffers, gets a 3000-byte TCP segment (its tail has no
# chain: it waits, and the frame after it) and then four more buffers.
#	perl tests/fuzz/virtio_seed.pl >tests/fuzz/seeds/virtio/net-mrg
use strict;
use warnings;

my $DEV = 2;
my $out = '';

# op KIND WIDTH OFFSET VALUE
sub op {
	my ($kind, $w, $off, $val) = @_;
	my %wbits = (1 => 0, 2 => 1, 4 => 2, 8 => 3);
	$out .= pack('CCvQ<', $kind | ($wbits{$w} << 4), $DEV, $off, $val);
}
sub bar { op(0, $_[0], $_[1], $_[2]) }		# common config write
sub ram { op(3, 8, $_[0] / 8, $_[1]) }		# 8 bytes of guest RAM
sub notify { op(5, 1, 0, $_[0]) }

my %q = (0 => 0x50000, 1 => 0x53000);		# desc; avail +0x1000, used +0x2000
bar(1, 0x14, 0);
bar(1, 0x14, 1);
bar(1, 0x14, 3);
bar(4, 0x08, 0);
bar(4, 0x0c, (1 << 15) | (1 << 7) | (1 << 5) | (1 << 1));
bar(4, 0x08, 1);
bar(4, 0x0c, 1);				# VERSION_1
bar(1, 0x14, 0x0b);
for my $i (0, 1) {
	bar(2, 0x16, $i);
	bar(2, 0x18, 8);
	bar(8, 0x20, $q{$i});
	bar(8, 0x28, $q{$i} + 0x1000);
	bar(8, 0x30, $q{$i} + 0x2000);
	bar(2, 0x1a, 0);
	bar(2, 0x1c, 1);
}
bar(1, 0x14, 0x0f);
# rx descriptors 0-7: 1 KiB each at 0x60000, device-writable
for my $i (0 .. 7) {
	ram($q{0} + 16 * $i, 0x60000 + 0x400 * $i);
	ram($q{0} + 16 * $i + 8, 0x400 | (2 << 32));
}
# avail: chains 0-3
ram($q{0} + 0x1000, 4 << 16 | 0 << 32 | 1 << 48);
ram($q{0} + 0x1008, 2 | 3 << 16);
notify(0);
# a frame from the wire: NEEDS_CSUM, TCPV4, hdr_len 54, gso_size 1448,
# csum_start 34; 3000 bytes (offset bit 15), then a 100-byte one
op(7, 1, 0x8000 | 2986, 1 | 1 << 8 | 54 << 16 | 1448 << 32 | 34 << 48);
op(7, 1, 86, 0);
# chains 4-7
ram($q{0} + 0x1000, 8 << 16 | 0 << 32 | 1 << 48);
ram($q{0} + 0x1008, 2 | 3 << 16 | 4 << 32 | 5 << 48);
ram($q{0} + 0x1010, 6 | 7 << 16);
notify(0);
print $out;
