#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# The small Linux of guest/linux/ booting under our VMM, QEMU microvm and
# QEMU q35: the same bzImage, command line, 2 vCPUs, 128 MiB, a virtio-blk
# disk (MBR + ext2 root), virtio-net with a DHCP server and virtio-rng, all
# on PCI. Times from just before the exec to each milestone of the console
# log (stamped on arrival), interleaved runs. See bench/README.md.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use BenchLib;

my %o = (
	root	=> '.',
	runs	=> 1,		# boots of each VMM
	timeout	=> 600,		# seconds per boot
	budget	=> 20 * 60,	# seconds for everything; later runs dropped
	json	=> 'build/bench/linux.json',
	kdir	=> '',		# a kernel build dir (default: build.sh's)
);
GetOptions(\%o, 'root=s', 'runs=i', 'timeout=f', 'budget=f', 'json=s',
    'kdir=s')
    or die "usage: linux.pl [--runs N] [--timeout S] [--budget S] " .
    "[--kdir DIR]\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T_START = now();
my $tmp = 'build/bench/linux';
system('mkdir', '-p', "$tmp/root/sbin", "$tmp/root/dev") == 0 or die;

# Milestones, in boot order: name, pattern.
my @MS = (
	['first console line', qr/./],
	['kernel entered (Linux version)', qr/\] Linux version /],
	['real console (ttyS0) enabled', qr/printk: console \[ttyS0\] enabled/],
	['both CPUs up', qr/smp: Brought up 1 node, 2 CPUs/],
	['ACPI interpreter enabled', qr/ACPI: Interpreter enabled/],
	['PCI bus scanned (PCI: Using ACPI for IRQ routing)',
	    qr/PCI: Using ACPI for IRQ routing/],
	['vda probed', qr/\[vda\] \d+ 512-byte logical blocks/],
	['DHCP lease', qr/IP-Config: Got DHCP answer/],
	['root mounted', qr/VFS: Mounted root/],
	['Run /sbin/init', qr{Run /sbin/init as init process}],
);

my $kdir = $o{kdir} || `guest/linux/build.sh 2>$tmp/build.log`;
chomp $kdir;
my $why_all = '';
$why_all = "no kernel (guest/linux/build.sh failed: $tmp/build.log)"
    unless $kdir && -f "$kdir/bzImage";
$why_all ||= 'no build/guest/linux-init (make all)'
    unless -x 'build/guest/linux-init';
$why_all ||= 'no /dev/kvm' unless -c '/dev/kvm';
$why_all ||= 'needs root (a tap for the local interface)' if $> != 0;
my $qemu = 'qemu-system-x86_64';
my %why = (ours => $why_all, microvm => $why_all, q35 => $why_all);
for my $v ('microvm', 'q35') {
	$why{$v} ||= "no $qemu (apt-get install qemu-system-x86)"
	    unless have($qemu);
}
open(my $cf, '<', 'guest/linux/cmdline') or die "guest/linux/cmdline: $!";
chomp(my $cmdline = <$cf>);
close $cf;
system('cp', 'build/guest/linux-init', "$tmp/root/sbin/init")
    unless $why_all;

sub argv_for {
	my ($vmm, $disk) = @_;
	my $k = "$kdir/bzImage";
	if ($vmm eq 'ours') {
		return ('ip', 'netns', 'exec', "vmdbench$$", 'build/vmctl', 'run',
		    '-b', $k, '-p', 2, '-m', '128M', '-d', $disk, '-L',
		    '-k', $cmdline);
	}
	# Our CPUID offers no hypercall-based PV features (vm/vcpu.c); QEMU
	# is told the same, or its 2-vCPU guest hangs in a PV IPI here.
	my $m = $vmm eq 'microvm' ? 'microvm,pcie=on,rtc=on' : 'q35';
	return ($qemu, '-M', $m, '-enable-kvm', '-cpu',
	    'host,-arch-capabilities,kvm-pv-ipi=off,kvm-pv-unhalt=off,' .
	    'kvm-pv-sched-yield=off',
	    '-smp', 2, '-m', 128, '-nodefaults', '-no-user-config',
	    '-display', 'none', '-serial', 'stdio', '-no-reboot',
	    '-kernel', $k, '-append', $cmdline,
	    '-drive', "id=d,file=$disk,format=raw,if=none",
	    '-device', 'virtio-blk-pci,drive=d',
	    '-netdev', 'user,id=n', '-device', 'virtio-net-pci,netdev=n',
	    '-device', 'virtio-rng-pci');
}

my %runs = (ours => [], microvm => [], q35 => []);
my @argvs;
sub one {
	my ($vmm) = @_;
	my $disk = "$tmp/disk-$vmm.img";
	system('tests/linux/mkdisk.sh', $disk, "$tmp/root", 32) == 0
	    or return { error => 'mkdisk.sh failed' };
	my @argv = argv_for($vmm, $disk);
	push @argvs, join(' ', @argv) if @{$runs{$vmm}} == 0;
	my $p = spawn(\@argv);
	my $last = $MS[-1][1];
	pump_until($p->{t0} + $o{timeout},
	    sub { grep { $_->[1] =~ $last } @{$p->{out}} }, $p);
	# The first system call faults on KVM-PVM; panic=-1 ends the VM.
	reap($p, 120);
	my %r = (vmm => $vmm, ms => {}, status => $p->{status},
	    killed => $p->{killed} ? 1 : 0);
	for my $m (@MS) {
		my ($l) = grep { $_->[1] =~ $m->[1] } @{$p->{out}};
		$r{ms}{$m->[0]} = ($l->[0] - $p->{t0}) * 1000 if $l;
	}
	# Guest time when kvm-clock started: the guest's own clock, ns since
	# the VM was created (decompressor and early boot before it).
	for my $l (@{$p->{out}}) {
		$r{kvmclock_offset_ms} = $1 / 1e6
		    if $l->[1] =~ /kvm-clock: using sched offset of (\d+) cycles/;
	}
	unlink $disk;
	return \%r;
}

if ($why_all eq '') {
	system('ip', 'netns', 'add', "vmdbench$$") == 0 or
	    $why{ours} = 'cannot create a network namespace';
	system('ip', 'netns', 'exec', "vmdbench$$", 'ip', 'link', 'set', 'lo',
	    'up') unless $why{ours};
}
RUN: for my $i (1 .. $o{runs}) {
	for my $v ('ours', 'microvm', 'q35') {
		next if $why{$v};
		if (now() - $T_START > $o{budget}) {
			print "# budget of $o{budget} s spent: later runs dropped\n";
			last RUN;
		}
		push @{$runs{$v}}, one($v);
	}
}
system('ip', 'netns', 'del', "vmdbench$$") unless $why_all;

sub samples {
	my ($v, $m) = @_;
	return $why{$v} ? "not measured: $why{$v}" :
	    [map { $_->{ms}{$m} } @{$runs{$v}}];
}
for my $q ('microvm', 'q35') {
	my @rows = map { row($_->[0], 'ms', samples('ours', $_->[0]),
	    samples($q, $_->[0])) } @MS;
	push @rows, row('kvm-clock start (guest clock, since VM creation)',
	    'ms', $why{ours} ? "not measured: $why{ours}" :
	    [map { $_->{kvmclock_offset_ms} } @{$runs{ours}}],
	    $why{$q} ? "not measured: $why{$q}" :
	    [map { $_->{kvmclock_offset_ms} } @{$runs{$q}}]);
	print_rows("Linux boot (guest/linux, 2 vCPUs): ours vs QEMU $q",
	    "qemu -M $q", @rows);
	$runs{"rows_$q"} = \@rows;
}
write_json($o{json}, { host => host_info(), argv => \@argvs,
    cmdline => $cmdline, kernel => $kdir, runs => \%runs,
    seconds => now() - $T_START });
