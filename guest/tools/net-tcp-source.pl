#!/usr/bin/perl
# SPDX-License-Identifier: ISC
# The host side of the test guest's net-tcp-bench (guest/README.md):
# listens on ADDR:PORT and writes to each connection it accepts, 1 MiB at
# a time, as fast as it can until the guest ends it (its RST); prints
# "ready" once it listens and "wrote N" per connection. Ends after
# --timeout seconds (default 120) or on SIGTERM. Run it where the guest's
# host address lives (inside the namespace).
use strict;
use warnings;
use Getopt::Long;
use IO::Socket::INET;

my %o = (timeout => 120);
GetOptions(\%o, 'timeout=i') && @ARGV == 1 or die
    "usage: net-tcp-source.pl [--timeout S] ADDR:PORT\n";
my $l = IO::Socket::INET->new(LocalAddr => $ARGV[0], Listen => 4,
    ReuseAddr => 1) or die "net-tcp-source: listen $ARGV[0]: $!\n";
$| = 1;
$SIG{PIPE} = 'IGNORE';
alarm $o{timeout};
print "ready\n";
my $buf = 'x' x (1 << 20);
while (my $c = $l->accept) {
	my $n = 0;
	while (defined(my $w = syswrite($c, $buf))) {
		$n += $w;
	}
	print "wrote $n\n";
	close $c;
}
