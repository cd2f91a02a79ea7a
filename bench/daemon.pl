#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# Through the daemon: start-up of one VM with `vmctl start` (to the guest's
# first boot-timer write and to its power-off), and how many VMs per second
# vmd brings to "running" and stops again, for 1, 10 and 50 VMs.  A private
# vmd on a private socket; QEMU has no daemon (bench/README.md).
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use BenchLib;
use Getopt::Long;
use JSON::PP;
use Cwd ();

my %o = (
	root	=> '.',
	runs	=> 10,			# vmctl start runs
	counts	=> '1:5,10:3,50:2',	# VMs per round : rounds
	mem	=> 128,
	ratemem	=> 64,
	guest	=> 'build/guest/testguest',
	json	=> 'build/bench/daemon.json',
	budget	=> 240,
);
GetOptions(\%o, 'root=s', 'runs=i', 'counts=s', 'mem=i', 'ratemem=i',
    'guest=s', 'json=s', 'budget=f') or die "usage: daemon.pl [--runs N] "
    . "[--counts N:R,...] [--json FILE]\n";
chdir $o{root} or die "$o{root}: $!\n";
my $T0 = now();
my $tmp = "build/bench/vmd.$$";
my $sock = Cwd::getcwd() . "/$tmp/vmd.sock";
system('mkdir', '-p', $tmp) == 0 or die "mkdir $tmp\n";
my $vmctl = 'build/vmctl';
my @rows;

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

my $why = why_not();
my $vmd;
# Whatever happens, the private vmd (and its VMs) go with us.
END {
	if ($vmd && !defined $vmd->{status}) {
		kill 'TERM', $vmd->{pid};
		select(undef, undef, undef, 1);
		kill 'KILL', -$vmd->{pid};
	}
}
$SIG{INT} = $SIG{TERM} = sub { exit 1 };
my $json = { host => host_info(), config => { %o } };
# Lines of vmd's log that arrived after index $from, matching $re.
sub vmd_match {
	my ($re, $from) = @_;
	my $l = $vmd->{err};
	for my $i ($from .. $#$l) {
		return $l->[$i] if $l->[$i][1] =~ $re;
	}
	return undef;
}
sub vmd_count {
	my ($re, $from) = @_;
	return scalar grep { $_->[1] =~ $re } @{$vmd->{err}}[$from ..
	    $#{$vmd->{err}}];
}
sub ctl {
	my (@args) = @_;
	my $p = reap(spawn([$vmctl, '-s', $sock, @args]), 60);
	pump_until(now(), sub { 0 }, $vmd);
	return $p;
}

if (!$why) {
	open(my $c, '>', "$tmp/vm.conf") or die "$tmp/vm.conf: $!\n";
	close $c;
	# -v: the debug port's lines (the timings) are debug output.
	$vmd = spawn(['build/vmd', '-d', '-v', '-f', "$tmp/vm.conf", '-s',
	    $sock],
	    env => { VMD_STOP_TIMEOUT => 10 });
	my $up = 0;
	for (1 .. 100) {
		pump_until(now() + 0.05, sub { 0 }, $vmd);
		if (-S $sock) { $up = 1; last }
	}
	$why = 'private vmd did not come up: ' . join(' | ', map { $_->[1] }
	    @{$vmd->{err}}) unless $up;
}

# --- one VM through vmctl start -------------------------------------------
my (%st, @start_runs);
for my $i (1 .. ($why ? 0 : $o{runs})) {
	last if now() - $T0 > $o{budget} / 2;
	my $name = "bs$$" . "x$i";
	my $from = @{$vmd->{err}};
	my $p = spawn([$vmctl, '-s', $sock, 'start', '-b', $o{guest}, '-p',
	    1, '-m', "$o{mem}M", '-k', 'tg.checks=cmdline', $name]);
	my $done = qr/^parent: vm \Q$name\E \(vm \d+\) stopped, status (\S+)/;
	pump_until(now() + 15, sub { vmd_match($done, $from) && !%{$p->{fh}} },
	    $vmd, $p);
	reap($p, 5);
	my %r = (name => $name);
	my $t0 = $p->{t0};
	for my $b ('01', '02', '03') {
		my $m = vmd_match(qr/^\Q$name\E: debug port 0x$b at /, $from);
		$r{"e9_$b"} = ($m->[0] - $t0) * 1000 if $m;
	}
	$r{vmctl_ms} = ($p->{t_exit} - $t0) * 1000;
	my $m = vmd_match($done, $from);
	if ($m && $m->[1] =~ $done && $1 eq '0') {
		$r{stopped_ms} = ($m->[0] - $t0) * 1000;
	} else {
		$r{error} = $m ? $m->[1] : 'did not stop within 15 s';
	}
	$r{log} = [map { $_->[1] } @{$vmd->{err}}[$from .. $#{$vmd->{err}}]] if $ENV{BENCH_DEBUG};
	push @start_runs, \%r;
}
$json->{start_runs} = \@start_runs;
my $cmp = 'n/a: no daemon';
my @srows = (
	['vmctl start: first 0xe9 write (0x01)', 'e9_01'],
	['vmctl start: guest main (0x02)', 'e9_02'],
	['vmctl start: power-off request (0x03)', 'e9_03'],
	['vmctl start: vmd logs "stopped"', 'stopped_ms'],
	['vmctl start: vmctl exits', 'vmctl_ms'],
);
for (@srows) {
	my ($n, $k) = @$_;
	push @rows, row($n, 'ms from exec',
	    $why ? $why : [map { $_->{$k} } @start_runs], $cmp);
}

# --- VMs per second --------------------------------------------------------
my @rate_runs;
for my $spec (split /,/, $o{counts}) {
	my ($n, $rounds) = split /:/, $spec;
	for my $round (1 .. ($why ? 0 : $rounds)) {
		if (now() - $T0 > $o{budget}) {
			push @rate_runs, { n => $n, error => 'budget' };
			last;
		}
		my $from = @{$vmd->{err}};
		my %r = (n => $n, round => $round);
		my @names = map { "r$$" . "n${n}r${round}v$_" } 1 .. $n;
		my $t0 = now();
		my $fail = 0;
		for my $name (@names) {
			my $p = ctl('start', '-b', $o{guest}, '-m', "$o{ratemem}M",
			    '-k', 'tg.checks=none tg.end=wait-powerbutton',
			    $name);
			$fail++ if $p->{status};
		}
		# Running: every one says so in vmctl status.
		my $running = 0;
		while (now() - $t0 < 60) {
			my $p = ctl('status', '-j');
			my $l = eval { decode_json(join "\n", map { $_->[1] }
			    @{$p->{out}}) } || [];
			my %want = map { $_ => 1 } @names;
			$running = grep { $want{$_->{name}} &&
			    $_->{state} eq 'running' } @$l;
			last if $running == $n;
			select(undef, undef, undef, 0.01);
		}
		my $t1 = now();
		$r{start_failed} = $fail if $fail;
		$r{running} = $running;
		$r{start_s} = $t1 - $t0 if $running == $n;
		# The guests must be waiting for the power button (a press
		# during boot is lost): main reached, then a moment.
		pump_until(now() + 20, sub { vmd_count(qr/: debug port 0x02 /,
		    $from) >= $n }, $vmd);
		pump_until(now() + 0.3 + 0.01 * $n, sub { 0 }, $vmd);
		my $t2 = now();
		ctl('stop', '-a');
		my $stopped = qr/^parent: vm \S+ \(vm \d+\) (?:stopped, status|killed by signal)/;
		pump_until(now() + 40, sub { vmd_count($stopped, $from) >= $n },
		    $vmd);
		my $t3 = now();
		my $c = vmd_count($stopped, $from);
		$r{stopped} = $c;
		$r{polite} = vmd_count(qr/^parent: vm \S+ \(vm \d+\) stopped, status 0$/,
		    $from);
		$r{stop_s} = $t3 - $t2 if $c >= $n;
		if (!defined $r{stop_s} || $r{polite} < $n || $fail ||
		    $running < $n) {
			$r{error} = "started $running/$n, stopped $c, politely "
			    . "$r{polite}";
			# Leave nothing behind for the next round.
			ctl('stop', '-f', '-a');
			pump_until(now() + 10, sub { vmd_count($stopped, $from)
			    >= $n }, $vmd);
		}
		push @rate_runs, \%r;
	}
}
$json->{rate_runs} = \@rate_runs;
for my $spec (split /,/, $o{counts}) {
	my ($n) = split /:/, $spec;
	my @r = grep { $_->{n} == $n } @rate_runs;
	my $ok = grep { $_->{start_s} || $_->{stop_s} } @r;
	my $w = $why || (!@r ? 'not run' : $ok ? '' : $r[0]{error});
	my $note = join('; ', map { "round $_->{round}: $_->{error}" }
	    grep { $_->{error} && $_->{round} } @r) || undef;
	push @rows, row("$n VMs: vmctl start .. all running", 'VMs/s',
	    $w || [map { $_->{start_s} ? $n / $_->{start_s} : undef } @r],
	    $cmp, $note);
	push @rows, row("$n VMs: vmctl stop -a .. all stopped",
	    'VMs/s', $w || [map { $_->{stop_s} ? $n / $_->{stop_s} : undef }
	    @r], $cmp);
}

if ($vmd) {
	kill 'TERM', $vmd->{pid};
	reap($vmd, 15);
	$json->{vmd_log_tail} = [map { $_->[1] } @{$vmd->{err}}[-20 .. -1]]
	    if @{$vmd->{err}} >= 20;
}
system('rm', '-rf', $tmp);
print_rows('daemon (private vmd; QEMU has no daemon)', 'qemu', @rows);
$json->{rows} = \@rows;
$json->{seconds} = 0 + sprintf('%.1f', now() - $T0);
write_json($o{json}, $json);
