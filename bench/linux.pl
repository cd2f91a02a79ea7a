#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Linux from exec to "Run /sbin/init": the small kernel (issue 13's recipe,
# guest/linux/build.sh) as a bzImage and as a vmlinux, under our VMM and
# under QEMU microvm and q35, interleaved.  Our VMM boots the vmlinux
# through PVH when it has the PVH note (else through its 64-bit entry);
# QEMU boots a vmlinux only through PVH.  See bench/README.md.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use BenchLib;

my %o = (
	root	=> '.',
	runs	=> 1,		# rounds; each boots every configuration once
	mem	=> 256,		# MiB
	timeout	=> 240,		# seconds per boot
	budget	=> 600,		# seconds for everything; later boots dropped
	json	=> 'build/bench/linux.json',
	kernel	=> '',		# directory with bzImage and vmlinux
	cmdline	=> '',		# default: guest/linux/cmdline, adapted
);
GetOptions(\%o, 'root=s', 'runs=i', 'mem=i', 'timeout=f', 'budget=f',
    'json=s', 'kernel=s', 'cmdline=s')
    or die "usage: linux.pl [--kernel DIR] [--runs N] [--budget S] ...\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T0 = now();
my $tmp = 'build/bench';
system('mkdir', '-p', $tmp) == 0 or die "mkdir $tmp\n";

# The kernel: --kernel, or the one guest/linux/build.sh cached (never
# built here: that takes minutes and is make check's job).
my $why = '';
if (!$o{kernel} && -x 'guest/linux/build.sh') {
	chomp($o{kernel} = `guest/linux/build.sh -n 2>/dev/null` // '');
}
if (!$o{kernel}) {
	$why = -x 'guest/linux/build.sh' ? 'no kernel built yet ' .
	    '(guest/linux/build.sh; make check builds it)' :
	    'no guest/linux/build.sh (the Linux kernel recipe, issue 13)';
} elsif (!-f "$o{kernel}/bzImage" || !-f "$o{kernel}/vmlinux") {
	$why = "no bzImage and vmlinux in $o{kernel}";
}
my $pvh = !$why && has_pvh_note("$o{kernel}/vmlinux");

# Whether an ELF64 file has a Xen note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY)
# in a PT_NOTE segment (4-byte aligned notes, as Linux writes them).
sub has_pvh_note {
	my ($f) = @_;
	open(my $fh, '<:raw', $f) or return 0;
	local $/;
	my $b = <$fh>;
	return 0 if length($b) < 64 || substr($b, 0, 4) ne "\x7fELF";
	my ($phoff) = unpack 'Q<', substr($b, 32, 8);
	my ($phnum) = unpack 'v', substr($b, 56, 2);
	for my $i (0 .. $phnum - 1) {
		my ($type, undef, $off, undef, undef, $sz) = unpack 'V V Q< Q< Q< Q<',
		    substr($b, $phoff + 56 * $i, 56);
		next unless $type == 4;
		my $pos = $off;
		while ($pos + 12 <= $off + $sz) {
			my ($nl, $dl, $t) = unpack 'V3', substr($b, $pos, 12);
			my $name = substr($b, $pos + 12, $nl);
			return 1 if $name eq "Xen\0" && $t == 18;
			$pos += 12 + (($nl + 3) & ~3) + (($dl + 3) & ~3);
		}
	}
	return 0;
}

# The command line: the recipe's, without its root disk and network (this
# boot has neither), with an initramfs whose /sbin/init is started.
my $cmdline = $o{cmdline} || 'console=ttyS0 panic=-1';
if (!$o{cmdline} && open(my $fh, '<', 'guest/linux/cmdline')) {
	chomp($cmdline = <$fh> // $cmdline);
	$cmdline = join ' ', grep { !/^(root|ip)=|^rw$/ } split ' ', $cmdline;
}
$cmdline .= ' rdinit=/sbin/init';
my $initrd = "$tmp/linux-initrd.cpio";
if (!$why) {
	my $d = "$tmp/linux-initrd.d";
	system("rm -rf $d && mkdir -p $d/sbin && cp /bin/true $d/sbin/init "
	    . "&& (cd $d && find . | cpio -o -H newc --quiet) >$initrd") == 0
	    or $why = 'cannot make the initramfs (cpio)';
}

my @configs = (
	['ours', 'bzImage', 'bzImage'],
	['ours', 'vmlinux', $pvh ? 'vmlinux, PVH' : 'vmlinux, 64-bit entry'],
	['microvm', 'bzImage', 'bzImage'],
	['microvm', 'vmlinux', 'vmlinux, PVH'],
	['q35', 'bzImage', 'bzImage'],
	['q35', 'vmlinux', 'vmlinux, PVH'],
);

sub argv_for {
	my ($vmm, $file) = @_;
	my $k = "$o{kernel}/$file";
	return ('build/vmctl', 'run', '-b', $k, '-m', "$o{mem}M", '-I',
	    $initrd, '-k', $cmdline) if $vmm eq 'ours';
	return ('qemu-system-x86_64', '-M', $vmm, '-enable-kvm', '-m', $o{mem},
	    '-smp', 1, '-nodefaults', '-no-user-config', '-display', 'none',
	    '-serial', 'stdio', '-kernel', $k, '-initrd', $initrd,
	    '-append', $cmdline);
}

# One boot: seconds from exec to the first console line, to "Linux
# version", to "Run /sbin/init"; then the VMM is killed (user space would
# take long on KVM-PVM and is not what is measured).
sub boot {
	my ($vmm, $file) = @_;
	my $p = spawn([argv_for($vmm, $file)]);
	my $seen = sub { my ($re) = @_;
	    for (@{$p->{out}}) { return $_->[0] - $p->{t0} if $_->[1] =~ $re }
	    return undef };
	pump_until($p->{t0} + $o{timeout}, sub { defined $seen->(
	    qr/Run \/sbin\/init as init process|Kernel panic/) }, $p);
	my %r = (first_line => @{$p->{out}} ? $p->{out}[0][0] - $p->{t0} :
	    undef, linux_version => $seen->(qr/Linux version/),
	    init => $seen->(qr/Run \/sbin\/init as init process/));
	$r{panic} = 1 if defined $seen->(qr/Kernel panic/);
	kill 'KILL', -$p->{pid};
	reap($p, 5);
	$r{timeout} = 1 unless defined $r{init} || $r{panic};
	$r{tail} = join "\n", map { $_->[1] } @{$p->{out}}[-5 .. -1]
	    if !defined $r{init} && @{$p->{out}} >= 5;
	$r{stderr} = join "\n", map { $_->[1] } @{$p->{err}}
	    if !defined $r{init};
	return \%r;
}

my (%runs, $budget_hit);
for my $i (1 .. ($why ? 0 : $o{runs})) {
	for my $c (@configs) {
		my ($vmm, $file) = @$c;
		next if $vmm ne 'ours' && $file eq 'vmlinux' && !$pvh;
		next if $vmm ne 'ours' && !have('qemu-system-x86_64');
		if (now() - $T0 > $o{budget}) { $budget_hit = 1; last }
		push @{$runs{"$vmm $file"}}, boot($vmm, $file);
	}
}

# The table: one column per configuration, one row per milestone.
my @rows = (['first console line', 'first_line'],
    ['"Linux version"', 'linux_version'], ['"Run /sbin/init"', 'init']);
my %json;
print "\n== Linux from exec, s (median [min..max] n): $o{mem}M, 1 vCPU\n";
print "# not measured: $why\n" if $why;
printf "%-20s %s\n", '', join(' ', map { sprintf '%-22s',
    "$_->[0] $_->[2]" } @configs);
for my $row (@rows) {
	my ($name, $k) = @$row;
	my @cells;
	for my $c (@configs) {
		my ($vmm, $file, $label) = @$c;
		my $s = stats(map { $_->{$k} } @{$runs{"$vmm $file"} || []});
		$json{"$vmm $label"}{$k} = $s;
		push @cells, $s ? sprintf('%.1f [%.1f..%.1f] %d',
		    @$s{qw(median min max n)}) : $why ? 'n/a' :
		    ($vmm ne 'ours' && $file eq 'vmlinux' && !$pvh) ?
		    'n/a: no PVH note' : '-';
	}
	printf "%-20s %s\n", $name, join(' ', map { sprintf '%-22s', $_ }
	    @cells);
}
my %m = map { my $s = $json{$_}{init}; $s ? ($_ => $s->{median}) : () }
    keys %json;
my $q35 = $m{'q35 bzImage'};
for my $k (sort keys %m) {
	printf "%s: %.2fx QEMU q35 bzImage to \"Run /sbin/init\"\n", $k,
	    $m{$k} / $q35 if $q35 && $k ne 'q35 bzImage';
}
for my $k (sort keys %runs) {
	for my $r (@{$runs{$k}}) {
		next if defined $r->{init};
		printf "# %s: %s\n", $k, $r->{panic} ? 'kernel panic' :
		    "no \"Run /sbin/init\" in $o{timeout} s";
	}
}
print "# budget exhausted: some boots were dropped\n" if $budget_hit;
write_json($o{json}, { host => host_info(), kernel => $o{kernel},
    vmlinux_pvh_note => $pvh, cmdline => $cmdline, mem_mib => $o{mem},
    not_measured => $why || undef, medians_s => \%json, runs => \%runs,
    seconds => 0 + sprintf('%.1f', now() - $T0) });
printf "wrote %s (%.0f s)\n", $o{json}, now() - $T0;
