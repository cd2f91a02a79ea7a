#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Density through the daemon: how fast vmd brings VMs to "running" when
# 1, 10 and 100 `vmctl start` run at once (the daemon rate), then N idle
# VMs (default 1000, 64 MiB each, the test guest's tg.end=idle) at once:
# the time to start them all, host memory per idle VM (PSS of the VM
# processes, and the drop of MemAvailable), the CPU all of them use while
# idle, `vmctl status` latency with N VMs, and the time `vmctl stop -a`
# takes until every one is gone.  A private vmd on a private socket, as
# bench/daemon.pl; QEMU has no daemon.  bench/README.md says more.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchLib;
use Getopt::Long;
use JSON::PP;
use POSIX qw(:sys_wait_h setpgid);
use Cwd ();

my %o = (
	root	 => '.',
	count	 => 1000,		# idle VMs at once
	parallel => 100,		# vmctl start processes at a time
	mem	 => 64,			# MiB per VM
	idle	 => 30,			# seconds of idle CPU measured
	statusruns => 5,
	rates	 => '1:5,10:3,100:2',	# VMs started at once : rounds
	guest	 => 'build/guest/testguest',
	json	 => 'build/bench/density.json',
	budget	 => 300,
);
GetOptions(\%o, 'root=s', 'count=i', 'parallel=i', 'mem=i', 'idle=f',
    'statusruns=i', 'rates=s', 'guest=s', 'json=s', 'budget=f') or die
    "usage: density.pl [--count N] [--parallel P] [--idle S] "
    . "[--rates N:R,...] [--budget S] [--json FILE]\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T0 = now();
my $tmp = Cwd::getcwd() . "/build/bench/density.$$";
my $sock = "$tmp/vmd.sock";
my $log = "$tmp/vmd.log";
my $vmctl = 'build/vmctl';
my $CMDLINE = 'tg.checks=none tg.end=idle';
my $TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
my (@rows, %kids, $vmd_pid);
system('mkdir', '-p', $tmp) == 0 or die "mkdir $tmp\n";

sub why_not {
	return "no $o{guest} (make all)" unless -f $o{guest};
	return 'no /dev/kvm' unless -c '/dev/kvm';
	return 'no build/vmd or build/vmctl (make all)'
	    unless -x 'build/vmd' && -x $vmctl;
	return 'vmd needs root' if $> != 0;
	if (!getpwnam('_vmd')) {
		system('useradd', '--system', '--no-create-home', '--shell',
		    '/usr/sbin/nologin', '_vmd');
		return 'no _vmd user and useradd failed' unless getpwnam('_vmd');
	}
	return '';
}

# fork and exec argv with stdout and stderr into file (in its own process
# group); returns the pid.
sub launch {
	my ($file, @argv) = @_;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setpgid(0, 0);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $file) or POSIX::_exit(126);
		open(STDERR, '>&', \*STDOUT);
		{ no warnings 'exec'; exec { $argv[0] } @argv; }
		POSIX::_exit(127);
	}
	$kids{$pid} = 1 if $file ne $log;
	return $pid;
}

sub vmd_alive { $vmd_pid && waitpid($vmd_pid, WNOHANG) == 0 }

# The end, however we get there: every VM and the private vmd go (SIGTERM
# to vmd ends its VMs; SIGKILL to its group if it lingers), our vmctl
# processes too, and the scratch directory.
sub cleanup {
	kill 'KILL', -$_ for keys %kids;
	waitpid($_, 0) for keys %kids;
	%kids = ();
	if (vmd_alive()) {
		kill 'TERM', $vmd_pid;
		my $t = now();
		while (now() - $t < 60 && vmd_alive()) {
			select(undef, undef, undef, 0.1);
		}
		if (vmd_alive()) {
			kill 'KILL', -$vmd_pid;
			waitpid($vmd_pid, 0);
		}
	}
	$vmd_pid = undef;
	system('rm', '-rf', $tmp) if -d $tmp && !$ENV{BENCH_DEBUG};
}
END { my $rc = $?; cleanup(); $? = $rc; }
$SIG{INT} = $SIG{TERM} = sub { exit 1 };

# vmctl with its output; (status, output).
sub ctl {
	my @args = @_;
	my $out = `$vmctl -s $sock @args 2>&1`;
	return ($? >> 8, $out);
}

# The VMs as `vmctl status -j` lists them; [] if it fails.
sub status {
	my ($rc, $out) = ctl('status', '-j');
	return eval { decode_json($out) } || [];
}

sub loadavg {
	open(my $f, '<', '/proc/loadavg') or return undef;
	my @l = split ' ', <$f>;
	return "$l[0] $l[1] $l[2]";
}

sub meminfo {
	my ($key) = @_;
	open(my $f, '<', '/proc/meminfo') or return undef;
	while (my $l = <$f>) {
		return $1 if $l =~ /^\Q$key\E:\s+(\d+) kB/;
	}
	return undef;
}

# utime + stime (ticks) of a process, all its threads; undef if gone.
sub cputicks {
	my ($pid) = @_;
	open(my $f, '<', "/proc/$pid/stat") or return undef;
	my $s = <$f>;
	$s =~ s/^.*\)\s+// or return undef;
	my @f = split ' ', $s;
	return $f[11] + $f[12];		# fields 14 and 15 of stat
}

sub smaps {
	my ($pid, $key) = @_;
	open(my $f, '<', "/proc/$pid/smaps_rollup") or return undef;
	while (my $l = <$f>) {
		return $1 if $l =~ /^\Q$key\E:\s+(\d+) kB/;
	}
	return undef;
}

# Count the lines of vmd's log matching re.
sub log_count {
	my ($re) = @_;
	open(my $f, '<', $log) or return 0;
	my $n = 0;
	while (my $l = <$f>) {
		$n++ if $l =~ $re;
	}
	return $n;
}

# wait_until(seconds, cond): poll cond every 50 ms; its last value.
sub wait_until {
	my ($secs, $cond) = @_;
	my $t = now();
	while (1) {
		my $c = $cond->();
		return $c if $c || now() - $t > $secs;
		select(undef, undef, undef, 0.05);
	}
}

# How many of names (a hash) status shows running.
sub running {
	my ($want) = @_;
	return scalar grep { $want->{$_->{name}} && $_->{state} eq 'running' }
	    @{status()};
}

# start(names, parallel): vmctl start for each name, at most parallel
# processes at a time (a new one as soon as one ends).  Returns the number
# that failed, and the first failure's output.
sub start {
	my ($names, $parallel) = @_;
	my (%run, $fail, $why);
	my @queue = @$names;
	while (@queue || %run) {
		while (@queue && keys %run < $parallel) {
			my $n = shift @queue;
			my $f = "$tmp/start.$n";
			$run{launch($f, $vmctl, '-s', $sock, 'start', '-b',
			    $o{guest}, '-m', "$o{mem}M", '-k', $CMDLINE, $n)} =
			    $n;
		}
		my $pid = waitpid(-1, 0);
		if ($vmd_pid && $pid == $vmd_pid) {
			$vmd_pid = undef;
			die "the private vmd exited (status $?)\n";
		}
		next unless $pid > 0 && defined $run{$pid};
		my $n = delete $run{$pid};
		delete $kids{$pid};
		if ($? != 0) {
			$fail++;
			if (!defined $why && open(my $f, '<', "$tmp/start.$n")) {
				local $/;
				($why = <$f> // '') =~ s/\s+$//;
			}
		}
		unlink "$tmp/start.$n";
	}
	return ($fail // 0, $why);
}

# stop_all: vmctl stop -a, then wait (up to secs) until status lists none;
# the seconds it took, or undef, and the seconds vmctl stop -a itself took.
sub stop_all {
	my ($secs) = @_;
	my $t = now();
	ctl('stop', '-a');
	my $cmd = now() - $t;
	my $gone = wait_until($secs, sub { !@{status()} });
	return ($gone ? now() - $t : undef, $cmd);
}

my $why = why_not();
my $json = { host => host_info(), config => { %o, cmdline => $CMDLINE },
    loadavg_start => loadavg() };
if (!$why) {
	open(my $c, '>', "$tmp/vm.conf") or die "$tmp/vm.conf: $!\n";
	close $c;
	# -v: the guests' debug port writes (0x02: main reached) are logged.
	$vmd_pid = launch($log, 'build/vmd', '-d', '-v', '-f', "$tmp/vm.conf",
	    '-s', $sock);
	$why = 'private vmd did not come up' unless wait_until(10, sub {
	    -S $sock && (ctl('status'))[0] <= 1 });
	$json->{nofile} = `prlimit --pid $vmd_pid --nofile --raw --noheadings 2>/dev/null`;
	chomp $json->{nofile} if defined $json->{nofile};
}

# --- the daemon rate: N vmctl start at once ---------------------------------
my @rate_runs;
for my $spec (split /,/, $o{rates}) {
	my ($n, $rounds) = split /:/, $spec;
	for my $round (1 .. ($why ? 0 : $rounds)) {
		if (now() - $T0 > $o{budget} / 4) {
			push @rate_runs, { n => $n, round => $round,
			    error => 'budget' };
			last;
		}
		my @names = map { "r${n}x${round}v$_" } 1 .. $n;
		my %want = map { $_ => 1 } @names;
		my $t0 = now();
		my ($fail, $fwhy) = start(\@names, $n);
		my $ok = wait_until(60, sub { running(\%want) == $n });
		my $t1 = now();
		my %r = (n => $n, round => $round, start_failed => $fail);
		$r{start_s} = $t1 - $t0 if $ok;
		$r{error} = $fwhy // "not all running within 60 s" unless $ok;
		($r{stop_s}) = stop_all(60);
		$r{error} //= 'not all gone within 60 s' unless defined
		    $r{stop_s};
		push @rate_runs, \%r;
	}
}
$json->{rate_runs} = \@rate_runs;
for my $spec (split /,/, $o{rates}) {
	my ($n) = split /:/, $spec;
	my @r = grep { $_->{n} == $n } @rate_runs;
	my $w = $why || (!@r ? 'not run' : (grep { $_->{start_s} } @r) ? '' :
	    $r[0]{error});
	my $note = join('; ', map { "round $_->{round}: $_->{error}" }
	    grep { $_->{error} } @r) || undef;
	push @rows, row("$n vmctl start at once .. all running", 'VMs/s',
	    $w || [map { $_->{start_s} ? $n / $_->{start_s} : undef } @r],
	    'n/a: no daemon', $note);
}

# --- density: count idle VMs at once -----------------------------------------
my %d = (count => $o{count});
if (!$why && now() - $T0 > $o{budget} / 3) {
	$why = 'budget spent before the density run';
}
if (!$why) {
	my @names = map { "d$_" } 1 .. $o{count};
	my %want = map { $_ => 1 } @names;
	my $from = log_count(qr/: debug port 0x02 at /);
	$d{mem_available_before_kb} = meminfo('MemAvailable');
	my $t0 = now();
	my ($fail, $fwhy) = start(\@names, $o{parallel});
	$d{vmctl_done_s} = now() - $t0;
	$d{start_failed} = $fail;
	$d{start_error} = $fwhy if $fwhy;
	wait_until(120, sub { running(\%want) >= $o{count} - $fail });
	$d{running} = running(\%want);
	$d{start_s} = now() - $t0 if $d{running} == $o{count};
	$d{loadavg_started} = loadavg();
	# Every guest past its main (then idle at once, tg.checks=none).
	wait_until(60, sub { log_count(qr/: debug port 0x02 at /) - $from >=
	    $d{running} });
	my @vms = grep { $want{$_->{name}} && $_->{pid} > 0 } @{status()};
	my @pids = map { $_->{pid} } @vms;
	select(undef, undef, undef, 1);
	my ($pss, $rss) = (0, 0);
	for my $pid (@pids) {
		$pss += smaps($pid, 'Pss') // 0;
		$rss += smaps($pid, 'Rss') // 0;
	}
	$d{mem_available_after_kb} = meminfo('MemAvailable');
	if (@pids) {
		$d{pss_kb_per_vm} = $pss / @pids;
		$d{rss_kb_per_vm} = $rss / @pids;
		$d{mem_available_drop_kb_per_vm} =
		    ($d{mem_available_before_kb} - $d{mem_available_after_kb})
		    / @pids;
	}
	# CPU of all VM processes (and of vmd's own) over the idle time.
	my @daemon = ($vmd_pid, map { /^\s*(\d+)/ ? $1 : () }
	    `ps -o pid=,args= --ppid $vmd_pid | grep -v 'vmd: vm '`);
	my (%c0, %c1);
	$c0{$_} = cputicks($_) for @pids, @daemon;
	my $ti = now();
	select(undef, undef, undef, $o{idle});
	my $idle_s = now() - $ti;
	$c1{$_} = cputicks($_) for @pids, @daemon;
	my ($vt, $dt, $alive) = (0, 0, 0);
	for (@pids) {
		next unless defined $c0{$_} && defined $c1{$_};
		$vt += $c1{$_} - $c0{$_};
		$alive++;
	}
	for (@daemon) {
		$dt += ($c1{$_} // 0) - ($c0{$_} // 0);
	}
	$d{idle_s} = $idle_s;
	$d{idle_vms} = $alive;
	$d{idle_cpu_pct_one_core} = 100 * $vt / $TCK / $idle_s;
	$d{idle_daemon_cpu_pct_one_core} = 100 * $dt / $TCK / $idle_s;
	$d{loadavg_idle} = loadavg();
	# vmctl status with count VMs.
	my @lat;
	for (1 .. $o{statusruns}) {
		my $t = now();
		my ($rc, $out) = ctl('status');
		push @lat, (now() - $t) * 1000;
		$d{status_lines} = ($out =~ tr/\n//);
	}
	$d{status_ms} = \@lat;
	my $polite0 = log_count(qr/^parent: vm \S+ \(vm \d+\) stopped, status 0$/);
	($d{stop_s}, $d{stop_cmd_s}) = stop_all(300);
	$d{stopped_politely} = log_count(
	    qr/^parent: vm \S+ \(vm \d+\) stopped, status 0$/) - $polite0;
	$d{broke_protocol} = log_count(qr/broke the protocol/);
	$d{loadavg_end} = loadavg();
}
$json->{density} = \%d;
my $N = $o{count};
my $dw = $why || (!defined $d{start_s} ? "started $d{running}/$N" .
    ($d{start_error} ? ": $d{start_error}" : '') : '');
my $one = sub { my ($k) = @_; $dw || (defined $d{$k} ? [$d{$k}] :
    'not measured') };
push @rows,
    row("$N idle VMs: vmctl start .. all running", 's', $one->('start_s'),
	'n/a: no daemon', "$o{parallel} vmctl start at a time"),
    row("$N idle VMs: start rate", 'VMs/s', $dw || [$N / $d{start_s}],
	'n/a: no daemon'),
    row("$N idle VMs: host memory per VM (PSS)", 'KiB',
	$one->('pss_kb_per_vm'), 'n/a: no daemon'),
    row("$N idle VMs: MemAvailable drop per VM", 'KiB',
	$one->('mem_available_drop_kb_per_vm'), 'n/a: no daemon'),
    row("$N idle VMs: CPU of all VM processes, $o{idle} s idle",
	'% of a core', $one->('idle_cpu_pct_one_core'), 'n/a: no daemon'),
    row("$N idle VMs: vmctl status", 'ms', $dw || $d{status_ms},
	'n/a: no daemon'),
    row("$N idle VMs: vmctl stop -a .. all gone", 's', $one->('stop_s'),
	'n/a: no daemon', defined $d{stopped_politely} ?
	"$d{stopped_politely} of $N powered off politely" : undef);
cleanup();
$json->{loadavg_end} = loadavg();
print_rows("density (private vmd, tg.end=idle, $o{mem} MiB each; load "
    . "average at start $json->{loadavg_start})", 'qemu', @rows);
$json->{rows} = \@rows;
$json->{seconds} = 0 + sprintf('%.1f', now() - $T0);
write_json($o{json}, $json);
