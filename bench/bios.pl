#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# BIOS boot: from exec to the boot loader's first console line ("GRUB
# loading.") and to SeaBIOS's banner, our `vmctl run` (no -b: SeaBIOS, its
# 128 KiB bios.bin) against QEMU q35 (SeaBIOS's bios-256k.bin), both on
# the same GRUB disk image (grub-mkrescue, made here) as virtio-blk, both
# with the firmware's console on COM1. Runs interleaved; prints a table,
# writes JSON. --phases: one more run each with SeaBIOS's debug log on
# (port 0x402: ours `vmctl -v run`, QEMU isa-debugcon on a FIFO), each
# line stamped on arrival, and where POST's time goes, side by side.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchLib;
use Fcntl qw(O_RDWR);
use Getopt::Long;
use JSON::PP;
use POSIX qw(mkfifo);

my %o = (
	root	=> '.',
	runs	=> 3,
	timeout	=> 120,		# seconds per run
	budget	=> 600,
	json	=> 'build/bench/bios.json',
);
GetOptions(\%o, 'root=s', 'runs=i', 'timeout=f', 'budget=f', 'json=s',
    'phases') or die "usage: bios.pl [--runs N] [--budget S] [--json FILE] "
    . "[--phases]\n";
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

# Milestones of SeaBIOS's debug log (Debian's 1.16 builds, debug level 1).
my @milestones = (
	['first firmware line', qr/^SeaBIOS \(version/],
	['fw_cfg files read', qr/^Moving pm_base/],
	['PCI set up', qr/^Found \d+ cpu/],
	['SMBIOS tables copied', qr/^Copying SMBIOS/],
	['option ROM area cleared (VGA scan)', qr/^No VGA found/],
	['devices set up', qr/^All threads complete/],
	['free ROM area cleared (prepboot)', qr/^Space available for UMB/],
	['int 19h (low memory cleared)', qr/^enter handle_19/],
	['boot sector runs', qr/^Booting from 0000:7c00/],
);

# One run with the firmware's debug log: {milestone => ms since exec}.
sub phases1 {
	my ($vmm) = @_;
	my @a = @{argv($vmm)};
	my ($fifo, $dbg, $grub, %t);
	if ($vmm eq 'ours') {
		splice(@a, 1, 0, '-v');
	} else {
		$fifo = "$dir/debugcon";
		unlink $fifo;
		mkfifo($fifo, 0600) or return { error => "mkfifo: $!" };
		push @a, '-chardev', "pipe,id=dbg,path=$fifo", '-device',
		    'isa-debugcon,iobase=0x402,chardev=dbg';
		# Read-write: never blocks, never sees EOF before QEMU opens it.
		sysopen($dbg, $fifo, O_RDWR) or return { error => "$fifo: $!" };
	}
	my $p = spawn(\@a);
	$p->{fh}{dbg} = $dbg if $dbg;
	pump_until($p->{t0} + $o{timeout}, sub {
		for (@{$p->{out}}, defined $p->{buf}{out} ?
		    [now(), $p->{buf}{out}] : ()) {
			$grub //= $_->[0] if $_->[1] =~ /GRUB loading/;
		}
		return defined $grub;
	}, $p);
	kill 'KILL', -$p->{pid};
	reap($p, 5);
	unlink $fifo if $fifo;
	for my $l ($vmm eq 'ours' ? @{$p->{err}} : @{$p->{dbg} // []}) {
		my $text = $l->[1];
		if ($vmm eq 'ours') {
			next unless $text =~ /firmware at [\d.]+ ms: (.*)$/;
			$text = $1;
		}
		for my $m (@milestones) {
			$t{$m->[0]} //= ($l->[0] - $p->{t0}) * 1000
			    if $text =~ $m->[1];
		}
	}
	$t{'GRUB loading.'} = ($grub - $p->{t0}) * 1000 if defined $grub;
	return \%t;
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
my %phases;
if ($o{phases} && !$why{ours} && !$why{qemu} && now() - $T0 > $o{budget}) {
	print "\n== Where the time goes: not run, budget of $o{budget} s spent\n";
} elsif ($o{phases} && !$why{ours} && !$why{qemu}) {
	%phases = map { $_ => phases1($_) } qw(ours qemu);
	print "\n== Where the time goes: one run each with SeaBIOS's debug "
	    . "log on (slower), ms since exec, stamped on arrival\n";
	printf "%-40s %16s %16s\n", 'milestone', 'ours', 'qemu q35';
	my %prev;
	for my $name ((map { $_->[0] } @milestones), 'GRUB loading.') {
		printf "%-40s", $name;
		for my $vmm (qw(ours qemu)) {
			my $v = $phases{$vmm}{$name};
			printf " %16s", !defined $v ? '-' : defined $prev{$vmm} ?
			    sprintf('%.0f (+%.0f)', $v, $v - $prev{$vmm}) :
			    sprintf('%.0f', $v);
			$prev{$vmm} = $v if defined $v;
		}
		print "\n";
	}
}
write_json($o{json}, { host => host_info(), rows => \@rows,
    %phases ? (phases => \%phases) : (),
    commands => { ours => argv('ours'), qemu => argv('qemu') } });
