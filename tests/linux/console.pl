#!/usr/bin/perl
# Drive a Linux guest's serial console through a VMM's stdin/stdout: wait for
# the initramfs marker and the shell prompt, run one command, check its
# answer, run each --step, power off and check that the VMM exits with
# status 0. Prints 4 + (number of steps) TAP test lines numbered from
# --first.
#
# usage: console.pl [--first N] [--boot-timeout S] [--timeout S]
#                   [--log FILE] [--stderr FILE]
#                   [--step 'WHAT<TAB>COMMAND<TAB>REGEX' ...] -- VMM-COMMAND...
# A step types COMMAND and passes when REGEX (a Perl regex, multi-line)
# matches what the console printed after it. The tty echoes the command,
# so REGEX must match only what the command prints.
use strict;
use warnings;
use Getopt::Long;
use POSIX qw(:sys_wait_h setpgid);
use Time::HiRes qw(time);

my ($first, $boot_to, $to, $log, $errlog) = (1, 120, 30, undef, '/dev/null');
my @steps;
GetOptions('first=i' => \$first, 'boot-timeout=f' => \$boot_to,
    'timeout=f' => \$to, 'log=s' => \$log, 'stderr=s' => \$errlog,
    'step=s' => \@steps)
    or die "usage: console.pl [options] -- command...\n";
@steps = map { [split /\t/, $_, 3] } @steps;
for (@steps) { @$_ == 3 or die "console.pl: a step is WHAT<TAB>CMD<TAB>RE\n" }
@ARGV or die "console.pl: no command\n";

my $marker = 'VMD-LINUX-INIT-OK';
my $prompt = 'vmd-guest# ';
my $n = $first;
my $out = '';		# everything the console printed, \r removed
my ($logfh, $status);
if (defined $log) {
	open($logfh, '>', $log) or die "console.pl: $log: $!\n";
	$logfh->autoflush(1);
}

pipe(my $in_r, my $in_w) or die "pipe: $!";
pipe(my $out_r, my $out_w) or die "pipe: $!";
my $t0 = time;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	setpgid(0, 0);		# so a timeout can end the whole tree
	close $in_w; close $out_r;
	open(STDIN, '<&', $in_r) or die;
	open(STDOUT, '>&', $out_w) or die;
	open(STDERR, '>', $errlog) or die "$errlog: $!";
	{ no warnings q(exec); exec { $ARGV[0] } @ARGV; }
	print STDERR "console.pl: exec $ARGV[0]: $!\n";
	POSIX::_exit(127);
}
close $in_r; close $out_w;
$in_w->autoflush(1);
$SIG{PIPE} = 'IGNORE';

sub tap {
	my ($ok, $what, $diag) = @_;
	printf "%s %d - %s\n", $ok ? 'ok' : 'not ok', $n++, $what;
	if (!$ok && defined $diag) { print "# $_\n" for split /\n/, $diag }
	return $ok;
}

sub reap {
	return 1 if defined $status;
	my $r = waitpid($pid, WNOHANG);
	if ($r == $pid) { $status = $?; return 1 }
	return 0;
}

# Read console output until $re matches after offset $from, the child exits
# or $secs pass.  Returns 1 on a match.
sub expect {
	my ($re, $from, $secs) = @_;
	my $end = time + $secs;
	for (;;) {
		return 1 if substr($out, $from) =~ $re;
		my $left = $end - time;
		return 0 if $left <= 0;
		my $rin = '';
		vec($rin, fileno($out_r), 1) = 1;
		my $nr = select(my $rout = $rin, undef, undef,
		    $left < 0.2 ? $left : 0.2);
		if ($nr > 0) {
			my $got = sysread($out_r, my $buf, 65536);
			if (!$got) {	# EOF: the VMM is gone
				return substr($out, $from) =~ $re ? 1 : 0;
			}
			print $logfh $buf if $logfh;
			$buf =~ tr/\r//d;
			$out .= $buf;
		}
	}
}

sub tail_diag {
	my $t = substr($out, -800);
	my $d = "console (last lines):\n$t";
	if ($errlog ne '/dev/null' && open(my $fh, '<', $errlog)) {
		my @l = <$fh>;
		splice(@l, 0, @l - 10) if @l > 10;
		$d .= "\nVMM stderr (last lines):\n" . join('', @l);
	}
	return $d;
}

sub kill_tree {
	return if reap();
	kill 'TERM', -$pid;
	for (1 .. 20) { return if reap(); select(undef, undef, undef, 0.1) }
	kill 'KILL', -$pid;
	waitpid($pid, 0); $status = $?;
}

sub finish {
	# Report the remaining tests as failed and clean up.
	my ($why) = @_;
	tap(0, $_, $why) for @_[1 .. $#_];
	kill_tree();
	exit 1;
}

my @rest = ('shell prompt on the console', 'command answered in the guest',
    (map { $_->[0] } @steps), 'VM exits 0 after poweroff');
if (!expect(qr/\Q$marker\E/, 0, $boot_to)) {
	my $why = reap() ? sprintf('VMM exited (status %d) before the marker',
	    $status >> 8) : "no marker within $boot_to s";
	tap(0, "initramfs /init reached ($marker)", "$why\n" . tail_diag());
	finish('skipped: no marker', @rest);
}
my $t_marker = time - $t0;
tap(1, sprintf("initramfs /init reached after %.2f s", $t_marker));
($out =~ /(\Q$marker\E[^\n]*)/) and print "# $1\n";

my $at = index($out, $marker);
if (!expect(qr/\Q$prompt\E/, $at, $to)) {
	tap(0, $rest[0], "no prompt within $to s\n" . tail_diag());
	finish('skipped: no prompt', @rest[1 .. $#rest]);
}
tap(1, $rest[0]);

# The tty echoes the command line itself, so the answer is what only the
# shell's arithmetic can produce.
$at = length $out;
print $in_w 'echo "answer=$((6*7))"', "\n";
if (!expect(qr/^answer=42$/m, $at, $to)) {
	tap(0, $rest[1], "no answer=42 within $to s\n" . tail_diag());
	finish('skipped: no answer', @rest[2 .. $#rest]);
}
tap(1, "$rest[1] (6*7=42)");

for my $i (0 .. $#steps) {
	my ($what, $cmd, $re) = @{$steps[$i]};
	$at = length $out;
	print $in_w "$cmd\n";
	# Past the echoed command line: what the command printed.
	expect(qr/\n/, $at, $to);
	my $from = index($out, "\n", $at);
	$from = $at if $from < 0;
	if (!expect(qr/$re/m, $from, $to)) {
		tap(0, $what, "no /$re/ within $to s\n" . tail_diag());
		finish('skipped: a step failed',
		    (map { $_->[0] } @steps[$i + 1 .. $#steps]), $rest[-1]);
	}
	my ($m) = substr($out, $from) =~ /($re)/m;
	tap(1, "$what ($m)");
	expect(qr/\Q$prompt\E/, $from, $to);
}

print $in_w "poweroff -f\n";
my $end = time + $to;
until (reap() || time > $end) {
	expect(qr/(?!)/, length $out, 0.2);	# drain the console
}
if (!defined $status) {
	tap(0, $rest[-1], "still running $to s after poweroff\n" . tail_diag());
	kill_tree();
	exit 1;
}
my $code = $status & 127 ? 128 + ($status & 127) : $status >> 8;
tap($code == 0, $rest[-1] . sprintf(' (%.2f s in all)', time - $t0),
    "exit status $code" . ($code == 11 ? ' (guest reboot: a panic?)' : ''));
exit($code == 0 ? 0 : 1);
