#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# BIOS boot: from exec to the boot loader's first console line ("GRUB
# loading.") and to SeaBIOS's banner, our `vmctl run` (no -b: SeaBIOS, its
# 128 KiB bios.bin) against QEMU q35 (SeaBIOS's bios-256k.bin), both on
# the same GRUB disk image (grub-mkrescue, made here) as virtio-blk, both
# with the firmware's console on COM1. Runs interleaved; prints a table,
# writes JSON.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchLib;
use Getopt::Long;
use JSON::PP;

my %o = (
	root	=> '.',
	runs	=> 3,
	timeout	=> 120,		# seconds per run
	budget	=> 600,
	json	=> 'build/bench/bios.json',
);
GetOptions(\%o, 'root=s', 'runs=i', 'timeout=f', 'budget=f', 'json=s')
    or die "usage: bios.pl [--runs N] [--budget S] [--json FILE]\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T0 = now();
my $dir = 'build/bench/bios';
my $img = "$dir/disk.img";

# A GRUB disk whose menu would boot the test guest; we stop at GRUB.
sub make_image {
	return "no grub-mkrescue (make deps installs grub-pc-bin, xorriso, "
	    . "mtools)" unless have('grub-mkrescue') &&
	    -d '/usr/lib/grub/i386-pc' && have('xorriso');
	return "no build/guest/testguest (make all)"
	    unless -f 'build/guest/testguest';
	system('mkdir', '-p', "$dir/iso/boot/grub") == 0 or return "mkdir";
	system('cp', 'build/guest/testguest', "$dir/iso/boot/") == 0 or
	    return "cp";
	open(my $c, '>', "$dir/iso/boot/grub/grub.cfg") or return "grub.cfg";
	print $c "serial --unit=0 --speed=115200\nterminal_input serial\n"
	    . "terminal_output serial\nset timeout=0\nmenuentry t {\n"
	    . "\tlinux16 /boot/testguest\n\tboot\n}\n";
	close $c;
	system("grub-mkrescue -o $img $dir/iso >$dir/mkrescue.log 2>&1") == 0
	    or return "grub-mkrescue failed (see $dir/mkrescue.log)";
	return '';
}

sub why_not {
	my ($vmm) = @_;
	return 'no /dev/kvm' unless -c '/dev/kvm';
	if ($vmm eq 'ours') {
		return 'no build/vmctl (make all)' unless -x 'build/vmctl';
		return 'no /usr/share/seabios/bios.bin (make deps)'
		    unless -f '/usr/share/seabios/bios.bin';
	} else {
		return 'no qemu-system-x86_64 (apt-get install qemu-system-x86)'
		    unless have('qemu-system-x86_64');
	}
	return '';
}

sub argv {
	my ($vmm) = @_;
	return ['build/vmctl', 'run', '-m', '128M', '-d', $img]
	    if $vmm eq 'ours';
	return ['qemu-system-x86_64', '-enable-kvm', '-M', 'q35', '-m', '128M',
	    '-nodefaults', '-nographic', '-serial', 'stdio', '-drive',
	    "file=$img,if=none,id=d,format=raw", '-device',
	    'virtio-blk-pci,drive=d'];
}

# One run: seconds to SeaBIOS's banner and to "GRUB loading.", or undef.
sub run1 {
	my ($vmm) = @_;
	my $p = spawn(argv($vmm));
	my ($banner, $grub);
	pump_until($p->{t0} + $o{timeout}, sub {
		for (@{$p->{out}}, defined $p->{buf}{out} ?
		    [now(), $p->{buf}{out}] : ()) {
			$banner //= $_->[0] if $_->[1] =~ /SeaBIOS \(version/;
			$grub //= $_->[0] if $_->[1] =~ /GRUB loading/;
		}
		return defined $grub;
	}, $p);
	kill 'KILL', -$p->{pid};
	reap($p, 5);
	return (defined $banner ? $banner - $p->{t0} : undef,
	    defined $grub ? $grub - $p->{t0} : undef);
}

my %why = map { $_ => why_not($_) } qw(ours qemu);
my $imgwhy = make_image();
$why{$_} ||= $imgwhy for qw(ours qemu);
my (%banner, %grub, $cut);
for my $i (1 .. $o{runs}) {
	for my $vmm (qw(ours qemu)) {
		next if $why{$vmm};
		if (now() - $T0 > $o{budget}) {
			$cut = "budget of $o{budget} s spent after " .
			    ($i - 1) . " runs";
			last;
		}
		my ($b, $g) = run1($vmm);
		push @{$banner{$vmm}}, defined $b ? $b * 1000 : undef;
		push @{$grub{$vmm}}, defined $g ? $g * 1000 : undef;
	}
}
my @rows = (
	row('exec to SeaBIOS banner on COM1', 'ms', $why{ours} || $banner{ours},
	    $why{qemu} || $banner{qemu}),
	row('exec to boot loader first line (GRUB loading.)', 'ms',
	    $why{ours} || $grub{ours}, $why{qemu} || $grub{qemu}, $cut),
);
print_rows('BIOS boot: vmctl run (SeaBIOS bios.bin) vs qemu -M q35 '
    . '(bios-256k.bin), same GRUB disk on virtio-blk', 'qemu q35', @rows);
write_json($o{json}, { host => host_info(), rows => \@rows,
    commands => { ours => argv('ours'), qemu => argv('qemu') } });
