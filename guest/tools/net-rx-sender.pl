#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# The host side of the test guest's net-rx-bench (guest/README.md): waits
# for "tg-rx-ready SIZE MS" datagrams on a UDP port, answers each round
# with SIZE-byte frames (UDP payload SIZE - 42) sent as fast as it can to
# the port the request came from, until "tg-rx-done SIZE FRAMES" or
# MS + 5 s; prints one line per round:
#   net-rx-sender: size SIZE sent N frames in S s to A:P, guest counted F
# Run it where the guest's host address lives (inside the namespace).
use strict;
use warnings;
use Getopt::Long;
use IO::Select;
use IO::Socket::INET;
use Socket qw(inet_ntoa unpack_sockaddr_in);
use Time::HiRes qw(time);

my %o = (port => 9999, rounds => 2, timeout => 120, addr => '0.0.0.0');
GetOptions(\%o, 'port=i', 'rounds=i', 'timeout=f', 'addr=s') or die
    "usage: net-rx-sender.pl [--port P] [--rounds N] [--timeout S] "
    . "[--addr A]\n";
$| = 1;
my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $o{addr},
    LocalPort => $o{port}, ReuseAddr => 1) or die "port $o{port}: $@\n";
my $sel = IO::Select->new($s);
my $t0 = time;
my %done;		# "ip:port:size" of rounds already served
my $rounds = 0;
while ($rounds < $o{rounds} && time - $t0 < $o{timeout}) {
	next unless $sel->can_read(0.5);
	my $from = $s->recv(my $msg, 2048) or next;
	next unless $msg =~ /^tg-rx-ready (\d+) (\d+)/;
	my ($size, $ms) = ($1, $2);
	my ($pport, $paddr) = unpack_sockaddr_in($from);
	my $peer = inet_ntoa($paddr);
	next if $done{"$peer:$pport:$size"}++;
	my $c = IO::Socket::INET->new(Proto => 'udp', PeerAddr => $peer,
	    PeerPort => $pport) or die "$peer:$pport: $@\n";
	my $buf = 'x' x ($size > 60 ? $size - 42 : 18);
	my ($n, $counted, $b0) = (0, '?', time);
	my $end = $b0 + $ms / 1000 + 5;
	BLAST: for (;;) {
		for (1 .. 64) {
			$n++ if defined send($c, $buf, 0);
		}
		while ($sel->can_read(0)) {
			$s->recv(my $m, 2048);
			if ($m =~ /^tg-rx-done $size (\d+)/) {
				$counted = $1;
				last BLAST;
			}
		}
		last if time > $end;
	}
	printf "net-rx-sender: size %d sent %d frames in %.3f s to %s:%d, "
	    . "guest counted %s\n", $size, $n, time - $b0, $peer, $pport,
	    $counted;
	$rounds++;
}
