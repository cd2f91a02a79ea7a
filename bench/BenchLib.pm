# SPDX-License-Identifier: ISC
# Shared by bench/daemon.pl and bench/io.pl: the clock, statistics, child
# processes with their output stamped on arrival, table cells and the JSON
# shape of a row.  bench/README.md says what each row means.
package BenchLib;
use strict;
use warnings;
use Exporter 'import';
use JSON::PP;
use POSIX qw(:sys_wait_h setpgid strftime);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

our @EXPORT = qw(now stats row print_rows spawn reap pump_until
    host_info write_json have);

sub now { clock_gettime(CLOCK_MONOTONIC) }

sub have { system("command -v $_[0] >/dev/null 2>&1") == 0 }

# stats(values...): median, min, max, n of the defined values, or undef.
sub stats {
	my @v = sort { $a <=> $b } grep { defined } @_;
	return undef unless @v;
	my $m = @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
	return { median => $m, min => $v[0], max => $v[-1], n => scalar @v };
}

# row(name, unit, ours, qemu[, note[, first]]): ours and qemu are either an
# array of samples or a string, the reason there is no number ("not
# measured: ...", "n/a: ...").  first names the first column when it is
# not ours (bench/io.pl's "host": no VM at all); the ratio is then
# ratio_FIRST_qemu.  Returns the row as it goes into the JSON.
sub row {
	my ($name, $unit, $a, $b, $note, $first) = @_;
	$first //= 'ours';
	my %r = (name => $name, unit => $unit);
	$r{first} = $first if $first ne 'ours';
	for ([$first, $a], ['qemu', $b]) {
		my ($k, $v) = @$_;
		if (ref $v) {
			my $s = stats(@$v);
			$r{$k} = $s ? { %$s, samples => [map { defined $_ ?
			    0 + sprintf('%.3f', $_) : undef } @$v] } :
			    { not_measured => 'no run produced a number' };
		} else {
			$r{$k} = { not_measured => $v // 'not run' };
		}
	}
	$r{"ratio_${first}_qemu"} = 0 + sprintf('%.3f', $r{$first}{median} /
	    $r{qemu}{median}) if $r{$first}{median} && $r{qemu}{median};
	$r{note} = $note if $note;
	return \%r;
}

sub cell {
	my ($c, $unit) = @_;
	if (my $w = $c->{not_measured}) {
		return $w =~ /^n\/a/ ? $w : "not measured: $w";
	}
	my $f = $c->{median} >= 1000 ? '%.0f' : $c->{median} >= 100 ?
	    '%.1f' : '%.2f';
	return sprintf("$f [$f..$f] n=%d", @$c{qw(median min max n)});
}

# print_rows(title, qemu column heading, rows...): the plain table.
sub print_rows {
	my ($title, $qname, @rows) = @_;
	my $f0 = @rows && $rows[0]{first} ? $rows[0]{first} : 'ours';
	print "\n== $title\n";
	printf "%-54s %-28s %-28s %s\n", 'metric, unit (median [min..max])',
	    $f0, $qname, "$f0/qemu";
	for my $r (@rows) {
		my $f = $r->{first} // 'ours';
		my $name = "$r->{name}, $r->{unit}";
		my ($ca, $cb) = (cell($r->{$f}), cell($r->{qemu}));
		my $ratio = defined $r->{"ratio_${f}_qemu"} ?
		    sprintf('%.2f', $r->{"ratio_${f}_qemu"}) : '-';
		if ($ca eq $cb && $ca =~ /^not/) {
			printf "%-54s both %s\n", $name, $ca;
		} elsif (length($ca) > 28 || length($cb) > 28 ||
		    length($name) > 54) {
			printf "%s\n    %s: %s\n    qemu: %s\n    %s/qemu: %s\n",
			    $name, $f, $ca, $cb, $f, $ratio;
		} else {
			printf "%-54s %-28s %-28s %s\n", $name, $ca, $cb, $ratio;
		}
		print "    ($r->{note})\n" if $r->{note};
	}
}

# spawn(argv, %opt): fork and exec in a new process group, stdin from
# /dev/null, stdout and stderr on pipes.  Returns a handle: pid, t0, the
# output stamped line by line (out => [[t, line]...], err => ...).
sub spawn {
	my ($argv, %opt) = @_;
	pipe(my $out_r, my $out_w) or die "pipe: $!";
	pipe(my $err_r, my $err_w) or die "pipe: $!";
	my $t0 = now();
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		setpgid(0, 0);
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>&', $out_w); open(STDERR, '>&', $err_w);
		close $out_r; close $err_r;
		$ENV{$_} = $opt{env}{$_} for keys %{$opt{env} || {}};
		{ no warnings 'exec'; exec { $argv->[0] } @$argv; }
		print STDERR "exec $argv->[0]: $!\n";
		POSIX::_exit(127);
	}
	close $out_w; close $err_w;
	return { pid => $pid, t0 => $t0, argv => $argv,
	    fh => { out => $out_r, err => $err_r }, buf => {},
	    out => [], err => [] };
}

# pump_until(deadline, cond, procs...): read every process's output until
# cond->() is true, the deadline passes, or all pipes are closed.  Lines
# are stamped when they arrive (CR removed).  Returns cond's last value.
sub pump_until {
	my ($deadline, $cond, @ps) = @_;
	while (1) {
		my $c = $cond->();
		return $c if $c;
		my $rin = '';
		my %by;
		for my $p (@ps) {
			for my $k (keys %{$p->{fh}}) {
				my $fh = $p->{fh}{$k};
				vec($rin, fileno($fh), 1) = 1;
				$by{fileno($fh)} = [$p, $k];
			}
		}
		return $cond->() unless %by;
		my $left = $deadline - now();
		return $cond->() if $left <= 0;
		my $n = select(my $rout = $rin, undef, undef,
		    $left < 0.05 ? $left : 0.05);
		next unless $n > 0;
		my $t = now();
		for my $fd (keys %by) {
			next unless vec($rout, $fd, 1);
			my ($p, $k) = @{$by{$fd}};
			my $got = sysread($p->{fh}{$k}, my $b, 65536);
			if (!$got) {
				delete $p->{fh}{$k};
				push @{$p->{$k}}, [$t, $p->{buf}{$k}]
				    if length($p->{buf}{$k} // '');
				next;
			}
			$p->{buf}{$k} .= $b;
			while ($p->{buf}{$k} =~ s/^([^\n]*)\n//) {
				(my $l = $1) =~ s/\r//g;
				push @{$p->{$k}}, [$t, $l];
			}
		}
	}
}

# reap(proc, timeout): wait for the process (SIGKILL to its group past the
# timeout); sets exit time and status.
sub reap {
	my ($p, $timeout) = @_;
	my $deadline = now() + ($timeout // 30);
	pump_until($deadline, sub { 0 }, $p) if %{$p->{fh}};
	while (1) {
		my $w = waitpid($p->{pid}, WNOHANG);
		if ($w == $p->{pid}) {
			$p->{status} = $?;
			$p->{t_exit} = now();
			last;
		}
		if (now() > $deadline) {
			kill 'KILL', -$p->{pid};
			$p->{killed} = 1;
			$deadline = now() + 5;
		}
		select(undef, undef, undef, 0.01);
	}
	close $_ for values %{$p->{fh}};
	$p->{fh} = {};
	return $p;
}

sub host_info {
	my $kvm = -d '/sys/module/kvm_pvm' ? 'kvm-pvm' :
	    -d '/sys/module/kvm_intel' ? 'kvm-intel' :
	    -d '/sys/module/kvm_amd' ? 'kvm-amd' : 'unknown';
	my ($cpu) = map { /^model name\s*:\s*(.*)/ ? $1 : () }
	    do { open(my $f, '<', '/proc/cpuinfo'); <$f> };
	my ($qv) = split /\n/, (`qemu-system-x86_64 --version 2>/dev/null`
	    // '');
	chomp(my $rev = `git rev-parse --short HEAD 2>/dev/null` // '');
	return { kernel => (POSIX::uname())[2], kvm => $kvm, cpu => $cpu,
	    nproc => `nproc` + 0, qemu_version => $qv, commit => $rev,
	    date => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime) };
}

sub write_json {
	my ($file, $data) = @_;
	(my $dir = $file) =~ s{/[^/]*$}{};
	system('mkdir', '-p', $dir) if $dir ne $file;
	open(my $jf, '>', $file) or die "$file: $!\n";
	print $jf JSON::PP->new->canonical->pretty->encode($data);
	close $jf;
}

1;
