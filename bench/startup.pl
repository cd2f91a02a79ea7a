#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Start-up time and memory overhead of our VMM against QEMU on the same test
# guest: runs interleaved (ours, QEMU, ours, ...), prints a table and writes
# JSON.  See bench/README.md for what each metric means and how it is taken.
use strict;
use warnings;
use Fcntl;
use Getopt::Long;
use JSON::PP;
use POSIX qw(:sys_wait_h mkfifo setpgid strftime);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my %o = (
	root	=> '.',
	runs	=> 10,		# timed runs of each VMM
	memruns	=> 5,		# held runs of each VMM for the memory reading
	q35runs	=> 3,		# timed runs of QEMU q35 (informational)
	pvhruns	=> 5,		# boot path: timed runs of each VMM and path
	mem	=> 128,		# guest memory, MiB
	big	=> '4:1024',	# second memory configuration, CPUS:MiB
	timeout	=> 15,		# seconds per run (3 after two timeouts in a row)
	budget	=> 13 * 60,	# seconds for everything; later runs are dropped
	json	=> 'bench/results/latest.json',
	cmdline	=> $ENV{BENCH_GUEST_CMDLINE} // 'tg.checks=cmdline',
	hold	=> $ENV{BENCH_HOLD_CMDLINE} // 'tg.end=wait-powerbutton',
	guest	=> 'build/guest/testguest',
	pvh	=> 'build/guest/testguest.pvh',	# the same guest as a PVH ELF
	qemu_extra => $ENV{BENCH_QEMU_EXTRA} // '',
);
GetOptions(\%o, 'root=s', 'runs=i', 'memruns=i', 'q35runs=i', 'mem=i',
    'timeout=f', 'budget=f', 'json=s', 'cmdline=s', 'hold=s', 'guest=s',
    'big=s', 'pvhruns=i', 'pvh=s',
    'qemu_extra|qemu-extra=s')
    or die "usage: startup.pl [--runs N] [--memruns N] [--guest FILE] ...\n";
chdir $o{root} or die "$o{root}: $!\n";

my $T_START = now();
my $tmp = "build/bench";
system('mkdir', '-p', $tmp) == 0 or die "mkdir $tmp\n";
my $vmctl = 'build/vmctl';
my $qemu = 'qemu-system-x86_64';

sub now { clock_gettime(CLOCK_MONOTONIC) }
sub ms { defined $_[0] ? sprintf('%.1f', $_[0] * 1000) + 0 : undef }

# Why a VMM cannot be measured at all ('' when it can).
sub why_not {
	my ($vmm) = @_;
	return "no $o{guest} (make all builds the test guest)"
	    unless -f $o{guest};
	return "no /dev/kvm" unless -c '/dev/kvm';
	if ($vmm eq 'ours') {
		return "no $vmctl (make all)" unless -x $vmctl;
		return "no build/vmd (make all)" unless -x 'build/vmd';
	} else {
		return "no $qemu in PATH (apt-get install qemu-system-x86)"
		    if system("command -v $qemu >/dev/null 2>&1") != 0;
	}
	return '';
}

sub kb_fields {
	my ($file) = @_;
	my %f;
	open(my $fh, '<', $file) or return;
	while (<$fh>) { $f{$1} = $2 + 0 if /^(\w+):\s+(\d+) kB/ }
	return \%f;
}

# Direct children of a pid (the VM process is vmctl's child).
sub children {
	my ($pid) = @_;
	if (open(my $fh, '<', "/proc/$pid/task/$pid/children")) {
		my $l = <$fh> // '';
		return split ' ', $l;
	}
	my @c;
	for my $st (glob '/proc/[0-9]*/stat') {
		open(my $fh, '<', $st) or next;
		my $l = <$fh> // next;
		push @c, $1 if $l =~ /^(\d+) \(.*\) \S (\d+) / && $2 == $pid;
	}
	return @c;
}

# Guest RAM, ours and QEMU's alike: anonymous memory in one mapping of
# exactly the guest's size; its Rss is what the guest (and the VMM's
# loading) touched. Everything else is the VMM's.
sub guest_rss {
	my ($pid, $mem) = @_;
	open(my $fh, '<', "/proc/$pid/smaps") or return;
	my ($size, $guest, $n) = (0, undef, 0);
	while (<$fh>) {
		if (/^Size:\s+(\d+) kB/) { $size = $1 }
		elsif (/^Rss:\s+(\d+) kB/ && $size == $mem * 1024) {
			$guest = ($guest // 0) + $1; $n++;
		}
	}
	return $n ? ($guest, $n) : ();
}

# Memory of our VM process (build/vmd-vm, or build/vmd -V without it).
sub mem_ours {
	my ($vmctl_pid, $mem) = @_;
	my ($vm) = grep { (readlink("/proc/$_/exe") // '') =~ m{/vmd(-vm)?$} }
	    children($vmctl_pid);
	return { error => 'no VM process under vmctl' } unless $vm;
	my ($guest, $n) = guest_rss($vm, $mem) or
	    return { error => 'no mapping of the guest RAM size' };
	my $s = kb_fields("/proc/$vm/status") or return { error => 'no status' };
	my $c = kb_fields("/proc/$vmctl_pid/status") // {};
	return {
		pid => $vm, rss_kb => $s->{VmRSS}, anon_kb => $s->{RssAnon},
		file_kb => $s->{RssFile}, shmem_kb => $s->{RssShmem},
		guest_kb => $guest, overhead_kb => $s->{VmRSS} - $guest,
		ram_mappings => $n, helper_rss_kb => $c->{VmRSS},
	};
}

# Memory of QEMU.
sub mem_qemu {
	my ($pid, $mem) = @_;
	my ($guest, $n) = guest_rss($pid, $mem) or
	    return { error => 'no mapping of the guest RAM size' };
	my $s = kb_fields("/proc/$pid/status");
	return {
		pid => $pid, rss_kb => $s->{VmRSS}, anon_kb => $s->{RssAnon},
		file_kb => $s->{RssFile}, shmem_kb => $s->{RssShmem},
		guest_kb => $guest, overhead_kb => $s->{VmRSS} - $guest,
		ram_mappings => $n,
	};
}

# One run.  $vmm: ours | microvm | q35.  $hold: keep the guest alive, read
# the memory once it is idle, then end it (ours: SIGTERM to the VM process,
# which presses the power button; QEMU: SIGTERM, which quits).
sub run_one {
	my ($vmm, $hold, $timeout, $cpus, $mem, $guest) = @_;
	$cpus //= 1;
	$mem //= $o{mem};
	$guest //= $o{guest};
	my $cmdline = join ' ', grep { length } $o{cmdline},
	    $hold ? $o{hold} : ();
	my (@argv, $fifo);
	if ($vmm eq 'ours') {
		# -v: the debug port's lines (the timings) are debug output.
		@argv = ($vmctl, '-v', 'run', '-b', $guest, '-p', $cpus,
		    '-m', "${mem}M", length $cmdline ? ('-k', $cmdline) : ());
	} else {
		$fifo = "$tmp/debugcon.$$";
		unlink $fifo;
		mkfifo($fifo, 0600) or die "mkfifo $fifo: $!";
		@argv = ($qemu, '-M', $vmm, '-enable-kvm', '-m', $mem,
		    '-smp', $cpus, '-nodefaults', '-no-user-config',
		    '-display', 'none', '-serial', 'stdio',
		    '-chardev', "pipe,id=dbg,path=$fifo",
		    '-device', 'isa-debugcon,iobase=0xe9,chardev=dbg',
		    '-kernel', $guest, split(' ', $o{qemu_extra}),
		    $hold ? '-no-shutdown' : (),
		    length $cmdline ? ('-append', $cmdline) : ());
	}
	my %r = (vmm => $vmm, hold => $hold ? 1 : 0, e9 => {}, vmclock => {},
	    execclock => {});
	my ($dbg_fh);
	if ($fifo) {
		# Read-write, so the FIFO neither blocks QEMU's open nor reads
		# as EOF before QEMU opens it.
		sysopen($dbg_fh, $fifo, O_RDWR | O_NONBLOCK)
		    or die "$fifo: $!";
	}
	pipe(my $in_r, my $in_w) or die;
	pipe(my $out_r, my $out_w) or die;
	pipe(my $err_r, my $err_w) or die;
	my $t0 = now();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setpgid(0, 0);
		open(STDIN, '<&', $in_r); open(STDOUT, '>&', $out_w);
		open(STDERR, '>&', $err_w);
		close $_ for grep { defined } $in_w, $out_r, $err_r, $dbg_fh;
		{ no warnings 'exec'; exec { $argv[0] } @argv; }
		print STDERR "exec $argv[0]: $!\n";
		POSIX::_exit(127);
	}
	close $in_r; close $out_w; close $err_w;
	my ($serial, $errbuf, $errtail) = ('', '', '');
	my %open = (out => $out_r, err => $err_r);
	$open{dbg} = $dbg_fh if $dbg_fh;
	my ($last_activity, $mem_done, $status) = (now(), 0, undef);
	my $deadline = $t0 + $timeout;
	my $killed = '';
	my $e9 = sub {
		my ($byte, $t) = @_;
		$r{e9}{sprintf('0x%02x', $byte)} //= $t - $t0;
		$last_activity = $t;
	};
	while (keys %open > ($dbg_fh ? 1 : 0)) {
		my $rin = '';
		vec($rin, fileno($_), 1) = 1 for values %open;
		my $wait = $hold && !$mem_done ? 0.05 : 0.5;
		my $n = select(my $rout = $rin, undef, undef, $wait);
		my $t = now();
		for my $k (sort keys %open) {
			my $fh = $open{$k};
			next unless $n > 0 && vec($rout, fileno($fh), 1);
			my $got = sysread($fh, my $buf, 65536);
			if (!$got) {
				delete $open{$k} unless $k eq 'dbg';
				next;
			}
			if ($k eq 'dbg') {
				$e9->($_, $t) for unpack 'C*', $buf;
			} elsif ($k eq 'out') {
				$serial .= $buf; $last_activity = $t;
			} else {
				$errbuf .= $buf;
				while ($errbuf =~ s/^([^\n]*)\n//) {
					my $l = $1;
					$errtail = substr("$errtail$l\n", -2000);
					next unless $l =~
					    /debug port 0x([0-9a-f]{2}) at ([\d.]+) ms/;
					my ($b, $ms) = ($1, $2);
					$e9->(hex $b, $t);
					$r{vmclock}{"0x$b"} //= $ms / 1000;
					# The first write's time from the VM
					# process's exec (its launcher's stamp).
					$r{execclock}{"0x$b"} //= $1 / 1000
					    if $l =~ /, ([\d.]+) ms from the exec/;
				}
			}
		}
		# Held: once the guest reached main and went quiet, read the
		# memory and end the run.
		# The test guest says when it waits (tg.end=wait-powerbutton)
		# or when it parks after a power-off that did not happen.
		if ($hold && !$mem_done && ($serial =~ 
		    /waiting for the power button|still here after/ ||
		    (exists $r{e9}{'0x02'} && $t - $last_activity > 0.5))) {
			$r{mem} = $vmm eq 'ours' ? mem_ours($pid, $mem) :
			    mem_qemu($pid, $mem);
			$mem_done = 1;
			if ($vmm eq 'ours' && $r{mem}{pid}) {
				kill 'TERM', $r{mem}{pid};
			} else {
				kill 'TERM', $pid;
			}
			$deadline = $t + 10;
		}
		# A guest that asked for power-off gets 5 s to get it.
		$deadline = $t + 5 if !$hold && exists $r{e9}{'0x03'} &&
		    $deadline > $t + 5;
		if ($t > $deadline) {
			$killed = exists $r{e9}{'0x03'} ? 'power-off did not end '
			    . 'the VMM' : "timeout ($timeout s)";
			kill 'KILL', -$pid;
			last;
		}
	}
	waitpid($pid, 0);
	$status = $?;
	my $t_exit = now();
	# Late debug bytes still in the FIFO.
	if ($dbg_fh) {
		while ((sysread($dbg_fh, my $buf, 65536) // 0) > 0) {
			$e9->($_, $t_exit) for unpack 'C*', $buf;
		}
		close $dbg_fh;
		unlink $fifo;
	}
	$r{status} = $status & 127 ? 'signal ' . ($status & 127) : $status >> 8;
	# Process exit counts only after a clean guest power-off.
	$r{exit} = $t_exit - $t0 if !$killed && !$hold && $r{status} eq '0'
	    && exists $r{e9}{'0x03'};
	$r{killed} = $killed if $killed;
	$r{tap_not_ok} = () = $serial =~ /^not ok/mg;
	$r{tap_ok} = () = $serial =~ /^ok/mg;
	$r{not_ok} = [$serial =~ /^(not ok[^\n]*)/mg] if $r{tap_not_ok};
	$r{serial_tail} = substr($serial, -1500) if $killed || $r{tap_not_ok}
	    || ($hold && !$r{mem});
	$r{stderr_tail} = $errtail if $killed || ($vmm eq 'ours' &&
	    !exists $r{e9}{'0x01'});
	return \%r;
}

sub stats {
	my @v = sort { $a <=> $b } grep { defined } @_;
	return undef unless @v;
	my $m = @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
	return { median => $m, min => $v[0], max => $v[-1], n => scalar @v };
}

# --- the runs ------------------------------------------------------------
my %why = (ours => why_not('ours'), microvm => why_not('qemu'));
$why{q35} = $why{microvm};
my (%runs, $budget_hit, %tmo);
# Per-run timeout: after two timed-out runs in a row a VMM gets 3 s, enough
# for the first 0xe9 write, so a guest that hangs under it costs little.
sub timeout_for {
	my ($v) = @_;
	return $o{timeout} if ($tmo{$v} // 0) < 2;
	return $o{timeout} < 3 ? $o{timeout} : 3;
}
sub one {
	my ($v, $set, $hold, $cpus, $mem, $guest) = @_;
	my $r = run_one($v, $hold, timeout_for($v), $cpus, $mem, $guest);
	$tmo{$v} = ($r->{killed} // '') =~ /^timeout/ ? ($tmo{$v} // 0) + 1 : 0;
	push @{$runs{$v}{$set}}, $r;
}
my $over = sub { return 0 unless now() - $T_START > $o{budget};
	$budget_hit = 1; return 1 };

for my $i (1 .. $o{runs}) {
	last if $over->();
	for my $v ('ours', 'microvm') {
		next if $why{$v};
		one($v, 'time', 0);
	}
}
for my $i (1 .. $o{memruns}) {
	last if $over->();
	for my $v ('ours', 'microvm') {
		next if $why{$v};
		one($v, 'hold', 1);
	}
}
my ($bigcpus, $bigmem) = $o{big} =~ /^(\d+):(\d+)$/
    or die "--big wants CPUS:MiB\n";
for my $i (1 .. $o{memruns}) {
	last if $over->();
	for my $v ('ours', 'microvm') {
		next if $why{$v};
		one($v, 'holdbig', 1, $bigcpus, $bigmem);
	}
}
for my $i (1 .. $o{q35runs}) {
	last if $over->();
	next if $why{q35};
	one('q35', 'time', 0);
}
# Boot path: the same guest as a bzImage and as a PVH ELF (our 64-bit
# boot protocol entry against our PVH entry; QEMU's 16-bit bzImage entry
# against its PVH loader), interleaved, on microvm and (fewer) on q35.
my $pvh_why = -f $o{pvh} ? '' : "no $o{pvh} (make all builds it)";
for my $i (1 .. ($pvh_why ? 0 : $o{pvhruns})) {
	last if $over->();
	for my $v ('ours', 'microvm') {
		next if $why{$v};
		one($v, 'bz', 0);
		one($v, 'pvh', 0, undef, undef, $o{pvh});
	}
}
for my $i (1 .. ($pvh_why ? 0 : $o{q35runs})) {
	last if $over->();
	next if $why{q35};
	one('q35', 'pvh', 0, undef, undef, $o{pvh});
}

# --- the table -----------------------------------------------------------
my @metrics = (
	['first 0xe9 write (0x01), ms from exec',	'ms', 'first_e9_ms',
	    sub { $_[0]{e9}{'0x01'} }, 'time'],
	['guest main (0x02), ms from exec',		'ms', 'main_ms',
	    sub { $_[0]{e9}{'0x02'} }, 'time'],
	['power-off request (0x03), ms from exec',	'ms', 'poweroff_request_ms',
	    sub { $_[0]{e9}{'0x03'} }, 'time'],
	['process exit, ms from exec',			'ms', 'exit_ms',
	    sub { $_[0]{exit} }, 'time'],
	['0x01 by the VM process clock, ms',		'ms', 'vmclock_first_e9_ms',
	    sub { $_[0]{vmclock}{'0x01'} }, 'time'],
	["first instruction (0x01), ms from the VM process's exec", 'ms',
	    'vmexec_first_e9_ms', sub { $_[0]{execclock}{'0x01'} }, 'time'],
	['VMM RSS overhead (Rss - guest RAM), MiB',	'MiB', 'rss_overhead_mib',
	    sub { my $m = $_[0]{mem} // return; defined $m->{overhead_kb}
	    ? $m->{overhead_kb} / 1024 : undef }, 'hold'],
	['guest RAM touched, MiB',			'MiB', 'guest_touched_mib',
	    sub { my $m = $_[0]{mem} // return; defined $m->{guest_kb}
	    ? $m->{guest_kb} / 1024 : undef }, 'hold'],
	["VMM RSS overhead, ${bigcpus} vCPUs/${bigmem}M, MiB", 'MiB',
	    'rss_overhead_big_mib',
	    sub { my $m = $_[0]{mem} // return; defined $m->{overhead_kb}
	    ? $m->{overhead_kb} / 1024 : undef }, 'holdbig'],
	["guest RAM touched, ${bigcpus} vCPUs/${bigmem}M, MiB", 'MiB',
	    'guest_touched_big_mib',
	    sub { my $m = $_[0]{mem} // return; defined $m->{guest_kb}
	    ? $m->{guest_kb} / 1024 : undef }, 'holdbig'],
);

sub why_missing {
	my ($v, $set, $name) = @_;
	return $why{$v} if $why{$v};
	my $rs = $runs{$v}{$set} || [];
	return 'budget exhausted before these runs' unless @$rs;
	return 'n/a: no VM-process clock' if $name =~ /VM process/ &&
	    $v ne 'ours';
	if ($set eq 'time') {
		my %why;
		for (@$rs) {
			my $w = $_->{killed} // "status $_->{status}" .
			    ($_->{status} eq '11' ? ' (guest reboot)' : '');
			$w .= ', last 0xe9 write ' . (sort keys %{$_->{e9}})[-1]
			    if %{$_->{e9}};
			$why{$w}++;
		}
		return 'no run got here: ' . join('; ',
		    map { "$why{$_}x $_" } sort keys %why);
	}
	return "no reading ($rs->[0]{mem}{error})"
	    if $set =~ /^hold/ && $rs->[0]{mem} && $rs->[0]{mem}{error};
	return 'guest did not reach main before it went quiet' if
	    $set =~ /^hold/ && !$rs->[0]{mem};
	return 'the guest never wrote this';
}

my (%json_metrics, @rows);
for my $m (@metrics) {
	my ($name, $unit, $id, $get, $set) = @$m;
	my %col;
	for my $v ('ours', 'microvm') {
		my @vals = map { $get->($_) } @{$runs{$v}{$set} || []};
		@vals = map { $unit eq 'ms' && defined $_ ? $_ * 1000 : $_ }
		    @vals;
		my $s = stats(@vals);
		$col{$v} = $s ? { %$s, unit => $unit,
		    samples => [map { defined $_ ? 0 + sprintf('%.3f', $_)
		    : undef } @vals] } :
		    { not_measured => why_missing($v, $set, $name) };
	}
	my $ratio = $col{ours}{median} && $col{microvm}{median}
	    ? $col{ours}{median} / $col{microvm}{median} : undef;
	$json_metrics{$id} = { name => $name, ours => $col{ours},
	    qemu_microvm => $col{microvm},
	    ratio_ours_qemu => defined $ratio ? 0 + sprintf('%.3f', $ratio)
	    : undef };
	push @rows, [$name, $col{ours}, $col{microvm}, $ratio];
}
my $q35 = stats(map { defined $_->{e9}{'0x01'} ? $_->{e9}{'0x01'} * 1000
    : undef } @{$runs{q35}{time} || []});
my $q35x = stats(map { defined $_->{exit} ? $_->{exit} * 1000 : undef }
    @{$runs{q35}{time} || []});

sub cell {
	my ($c) = @_;
	return $c->{not_measured} =~ /^n\/a/ ? $c->{not_measured} :
	    sprintf('not measured: %s', $c->{not_measured})
	    if $c->{not_measured};
	my $f = $c->{unit} eq 'ms' ? '%.1f' : '%.2f';
	return sprintf("$f [$f..$f] n=%d", @$c{qw(median min max n)});
}

printf "%-44s %-30s %-30s %s\n", 'metric (median [min..max])', 'ours',
    'qemu -M microvm', 'ours/qemu';
for my $r (@rows) {
	my ($name, $a, $b, $ratio) = @$r;
	my ($ca, $cb) = (cell($a), cell($b));
	if (length($ca) > 30 || length($cb) > 30) {
		printf "%s\n    ours: %s\n    qemu: %s\n", $name, $ca, $cb;
		printf "    ratio: %.2f\n", $ratio if defined $ratio;
	} else {
		printf "%-44s %-30s %-30s %s\n", $name, $ca, $cb,
		    defined $ratio ? sprintf('%.2f', $ratio) : '-';
	}
}
if ($q35) {
	printf "qemu -M q35 (informational): 0x01 at %.1f ms [%.1f..%.1f], "
	    . "exit %s, n=%d\n", @$q35{qw(median min max)},
	    $q35x ? sprintf('%.1f ms', $q35x->{median}) : 'not measured',
	    $q35->{n};
} else {
	print "qemu -M q35 (informational): not measured: ",
	    ($why{q35} || (!$o{q35runs} ? 'not run (--q35runs 0)' :
	    $budget_hit ? 'budget exhausted' : 'no 0x01 seen')), "\n";
}
for my $v ('ours', 'microvm', 'q35') {
	for my $r (map { @{$runs{$v}{$_} || []} } 'time', 'hold', 'holdbig') {
		# microvm has no PM1a event block: its power button test
		# fails in held runs by design (see README.md).
		my @bad = grep { !($v ne 'ours' && $r->{hold} &&
		    /power button: no PM1a_EVT_BLK/) } @{$r->{not_ok} || []};
		next unless $r->{killed} || @bad || $r->{status} ne '0';
		printf "# %s %s run: status %s%s%s\n", $v,
		    $r->{hold} ? 'held' : 'timed', $r->{status},
		    $r->{killed} ? ", $r->{killed}" : '',
		    join('', map { "; guest: $_" } @bad);
	}
}

# The boot-path table: medians of the bz and pvh sets.
my %bootpath;
my @bp_cols = (['ours', 'bz', 'ours bzImage'], ['ours', 'pvh', 'ours PVH'],
    ['microvm', 'bz', 'microvm bzImage'], ['microvm', 'pvh', 'microvm PVH'],
    ['q35', 'time', 'q35 bzImage'], ['q35', 'pvh', 'q35 PVH']);
my @bp_rows = (['first 0xe9 write (0x01)', sub { $_[0]{e9}{'0x01'} }],
    ['guest main (0x02)', sub { $_[0]{e9}{'0x02'} }],
    ['power-off request (0x03)', sub { $_[0]{e9}{'0x03'} }],
    ['process exit', sub { $_[0]{exit} }]);
print "\nboot path, ms from exec (median [min..max] n): the test guest as a "
    . "bzImage and as a PVH ELF\n";
printf "%-26s %s\n", '', join(' ', map { sprintf '%-22s', $_->[2] } @bp_cols);
for my $row (@bp_rows) {
	my ($name, $get) = @$row;
	my @cells;
	for my $c (@bp_cols) {
		my ($v, $set, $label) = @$c;
		my $st = stats(map { my $x = $get->($_); defined $x ? $x * 1000
		    : undef } @{$runs{$v}{$set} || []});
		$bootpath{$label}{$name} = $st;
		push @cells, $st ? sprintf('%.1f [%.1f..%.1f] %d',
		    @$st{qw(median min max n)}) : $pvh_why ? 'n/a' : '-';
	}
	printf "%-26s %s\n", $name, join(' ', map { sprintf '%-22s', $_ }
	    @cells);
}
for my $label ('ours', 'microvm') {
	my ($b, $p) = map { $bootpath{"$label $_"}{'guest main (0x02)'} }
	    'bzImage', 'PVH';
	printf "%s: PVH/bzImage to guest main %.2f\n", $label,
	    $p->{median} / $b->{median} if $b && $p && $b->{median};
}
print "# boot path not measured: $pvh_why\n" if $pvh_why;
print "# budget exhausted: some runs were dropped\n" if $budget_hit;

my $kvm = -d '/sys/module/kvm_pvm' ? 'kvm-pvm' :
    -d '/sys/module/kvm_intel' ? 'kvm-intel' :
    -d '/sys/module/kvm_amd' ? 'kvm-amd' : 'unknown';
my ($cpu) = map { /^model name\s*:\s*(.*)/ ? $1 : () }
    do { open(my $f, '<', '/proc/cpuinfo'); <$f> };
my $qv = `$qemu --version 2>/dev/null` // '';
($qv) = split /\n/, $qv;
chomp(my $rev = `git rev-parse --short HEAD 2>/dev/null` // '');
my $json = {
	date => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime),
	commit => $rev, host => { kernel => (POSIX::uname())[2],
	    kvm => $kvm, cpu => $cpu, nproc => `nproc` + 0 },
	qemu_version => $qv,
	config => { guest => $o{guest}, guest_mem_mib => $o{mem},
	    cpus => 1, cmdline => $o{cmdline}, hold_cmdline => $o{hold},
	    runs => $o{runs}, memruns => $o{memruns},
	    qemu_microvm => "$qemu -M microvm -enable-kvm -m $o{mem} -smp 1 "
	    . '-nodefaults -no-user-config -display none -serial stdio '
	    . '-chardev pipe,id=dbg,path=FIFO -device '
	    . "isa-debugcon,iobase=0xe9,chardev=dbg -kernel $o{guest} "
	    . '-append CMDLINE (held runs: -no-shutdown)' },
	metrics => \%json_metrics,
	qemu_q35 => { first_e9_ms => $q35, exit_ms => $q35x },
	boot_path => { guest_bzimage => $o{guest}, guest_pvh => $o{pvh},
	    medians_ms => \%bootpath },
	runs => \%runs,
	seconds => 0 + sprintf('%.1f', now() - $T_START),
};
(my $dir = $o{json}) =~ s{/[^/]*$}{};
system('mkdir', '-p', $dir) if $dir ne $o{json};
open(my $jf, '>', $o{json}) or die "$o{json}: $!\n";
print $jf JSON::PP->new->canonical->pretty->encode($json);
close $jf;
printf "wrote %s (%.0f s)\n", $o{json}, now() - $T_START;
